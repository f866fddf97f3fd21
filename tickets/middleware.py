"""Sign-in enforcement that also works for htmx requests."""

from urllib.parse import urlsplit

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Require sign-in everywhere, sending htmx requests to sign in with a whole page.

    A plain redirect would make htmx swap the sign-in form into a panel, so htmx requests get
    an HX-Redirect to the sign-in page instead, with `next` set to the page the agent was on.
    """

    def handle_no_permission(self, request: HttpRequest, view_func):
        if not request.htmx:
            return super().handle_no_permission(request, view_func)
        next_path = request.htmx.current_url_abs_path or "/"
        if urlsplit(next_path).scheme or next_path.startswith("//"):
            next_path = "/"
        login = redirect_to_login(
            next_path,
            self.get_login_url(view_func),
            self.get_redirect_field_name(view_func),
        )
        return HttpResponseClientRedirect(login.url)
