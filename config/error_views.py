"""The project's own error pages, rendered with the normal context so they carry the chrome."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404
from django.utils.translation import gettext as _


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Only messages of Http404 raised by this project's views are meant for the agent. The
    # resolver's own message is a dict of the unmatched path, meant for developers.
    message = ""
    is_own = type(exception) not in (Http404, Resolver404)
    if isinstance(exception, Http404) and exception.args and is_own:
        message = str(exception.args[0])
    return render(
        request, "404.html", {"message": message or _("This page does not exist.")}, status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # A bare template: the context processors may be what failed.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
