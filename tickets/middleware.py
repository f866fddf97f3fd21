"""Sign-in, single sign-on, idle sessions, request limits and embedding in the portal."""

import logging
import time
from http.cookies import Morsel
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware, RemoteUserMiddleware
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from tickets import security

logger = logging.getLogger(__name__)


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


# Requests with longer paths or query strings are rejected before any view parses them. gunicorn
# (config/gunicorn.conf.py) allows request lines up to 8190 bytes, so these limits apply first.
MAX_PATH_LENGTH = 1024
MAX_QUERY_STRING_LENGTH = 6144
# The key in the session of the time (Unix seconds) of the agent's last request that was not a poll.
LAST_ACTIVITY_KEY = "dashboard_last_activity"
# The id of the element whose htmx requests are polls (see static/js/dashboard.js).
POLLER_ID = "poller"


class RequestLimitsMiddleware:
    """Reject overlong addresses with a message before they reach a view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        too_long = (
            len(request.path) > MAX_PATH_LENGTH
            or len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING_LENGTH
        )
        if too_long:
            message = _("This address is too long for the dashboard. Check the link and try again.")
            return security.refuse(request, 414, message)
        return self.get_response(request)


class EmbeddingMiddleware:
    """Let the configured portal frame the dashboard, and tell pages when they are framed.

    `request.framed` is True for a page loaded into a frame (`Sec-Fetch-Dest: iframe`), so the
    server can render compact chrome at once. static/js/embed.js covers browsers that do not
    send the header. With DASHBOARD_FRAME_ANCESTORS set, X-Frame-Options (which cannot list
    origins) is left off and the CSP's frame-ancestors decides alone. With
    DASHBOARD_CROSS_SITE_COOKIES, the session and CSRF cookies are marked Partitioned.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.framed = request.headers.get("Sec-Fetch-Dest") == "iframe"
        response = self.get_response(request)
        patch_vary_headers(response, ["Sec-Fetch-Dest"])
        if settings.DASHBOARD_FRAME_ANCESTORS:
            response.xframe_options_exempt = True
        if settings.CROSS_SITE_COOKIES:
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name] = PartitionedMorsel.from_morsel(response.cookies[name])
        return response


class PartitionedMorsel(Morsel):
    """A cookie with the Partitioned attribute, which Python's http.cookies adds only from 3.14."""

    @classmethod
    def from_morsel(cls, morsel: Morsel) -> "PartitionedMorsel":
        partitioned = cls()
        partitioned.set(morsel.key, morsel.value, morsel.coded_value)
        partitioned.update(morsel)
        return partitioned

    def OutputString(self, attrs=None) -> str:  # noqa: N802 - overrides http.cookies.Morsel.
        return super().OutputString(attrs) + "; Partitioned"


class SingleSignOnMiddleware(RemoteUserMiddleware):
    """Sign agents in by the user name that the intranet's reverse proxy sends.

    Off while DASHBOARD_SSO_HEADER is empty. When on, every request except the health check
    must come from one of DASHBOARD_TRUSTED_PROXIES and carry the header, so nobody can reach
    the dashboard around the proxy or name a user themselves.
    """

    sync_capable = True
    async_capable = False
    # Every request carries the header, so a request without it never reaches this class.
    force_logout_if_no_header = True

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = settings.SSO_HEADER
        if not header or request.path_info == reverse("healthz"):
            return self.get_response(request)

        remote = request.META.get("REMOTE_ADDR", "")
        username = request.META.get(security.sso_meta_key(header), "").strip()
        refusal = _("Open the dashboard through the intranet portal, which signs you in.")
        if not security.is_trusted_proxy(remote):
            logger.warning("Rejected a request from %s, which is not a trusted proxy", remote)
            return security.refuse(request, 403, refusal)
        if not username:
            logger.warning("Rejected a request from proxy %s without the %s header", remote, header)
            return security.refuse(request, 403, refusal)
        try:
            UnicodeUsernameValidator()(username)
            if len(username) > 150:
                raise ValidationError("too long")
        except ValidationError:
            logger.warning("Rejected the user name %r from proxy %s", username[:200], remote)
            message = _("The intranet portal sent a user name that is not valid here.")
            return security.refuse(request, 403, message)

        self.process_request(request)
        if not request.user.is_authenticated:
            logger.warning("Single sign-on of %r from proxy %s failed", username, remote)
            message = _("The intranet portal signed you in, but this account may not sign in here.")
            return security.refuse(request, 403, message)
        return self.get_response(request)

    def get_username(self, request: HttpRequest) -> str:
        return request.META[security.sso_meta_key(settings.SSO_HEADER)].strip()


class IdleSessionMiddleware:
    """End a session after SESSION_IDLE_SECONDS without a request from the agent.

    Polls of the #poller element do not count as activity, so a page left open does not keep
    the session alive. Activity is written to the session at most once per
    SESSION_ACTIVITY_RESOLUTION_SECONDS, so most requests do not save the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check_activity(request)
        return self.get_response(request)

    def _check_activity(self, request: HttpRequest) -> None:
        now = int(time.time())
        last_activity = request.session.get(LAST_ACTIVITY_KEY)
        if last_activity is not None and now - last_activity > settings.SESSION_IDLE_SECONDS:
            logger.info(
                "Ended the idle session of %s after %d seconds",
                request.user.get_username(),
                now - last_activity,
            )
            logout(request)
            return
        is_poll = request.htmx and request.htmx.trigger == POLLER_ID
        if last_activity is None or (
            not is_poll and now - last_activity >= settings.SESSION_ACTIVITY_RESOLUTION_SECONDS
        ):
            request.session[LAST_ACTIVITY_KEY] = now


class MethodNotAllowedPageMiddleware:
    """Render a page in words for a 405 response, whose body Django leaves empty.

    An agent who types the sign-out address sends a GET, which the view rejects. An empty white
    page would look like a broken dashboard.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.htmx:
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "")
        return page


class UnsafeMethodMiddleware:
    """Reject a POST, PUT or DELETE to a page that only reads with a 405, before the CSRF check.

    Without it, CsrfViewMiddleware rejects such a request first, with a 403 about an expired
    form, which is wrong for a page that has no form. Only the sign-in and sign-out views,
    class-based views that list the method, take unsafe methods.
    """

    SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.method in self.SAFE_METHODS:
            return None
        view_class = getattr(view_func, "view_class", None)
        allowed = getattr(view_class, "http_method_names", ())
        if request.method.lower() in allowed:
            return None
        # MethodNotAllowedPageMiddleware, further in, renders the page for this response.
        return HttpResponseNotAllowed(["GET", "HEAD"])
