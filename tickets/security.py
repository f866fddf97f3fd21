"""Sign-in, single sign-on, safe redirects and embedding in the intranet portal.

The middleware that uses these helpers is in `tickets/middleware.py`.
"""

import hashlib
import logging
import math
import time
from ipaddress import ip_address
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, get_script_prefix, resolve
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets.auth import DashboardBackend

logger = logging.getLogger(__name__)

# Longer `next` values are rejected; no page of the dashboard has an address this long.
MAX_NEXT_LENGTH = 2000
# URL names that `next` may not lead to, because they would loop or sign the agent out.
NEXT_EXCLUDED_URL_NAMES = {"login", "logout"}
# The `type` of the messages that a framed page posts to the portal.
PORTAL_MESSAGE_TYPE = "sendcloud-tickets:location"


def refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """Render the project's error page for a rejected request, with a message for the agent."""
    template = "403.html" if status == 403 else "400.html"
    return render(request, template, {"message": message}, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Render the project's 403 page for a failed CSRF check, in place of Django's bare one."""
    logger.warning("CSRF check failed for %s %s: %s", request.method, request.path, reason)
    message = _("The form expired or was sent from another site. Reload the page and try again.")
    return refuse(request, 403, message)


# --- Addresses and proxies ---


def is_trusted_proxy(address: str) -> bool:
    """Return whether `address` is one of DASHBOARD_TRUSTED_PROXIES."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in settings.TRUSTED_PROXIES)


def client_address(request: HttpRequest) -> str:
    """Return the agent's IP address, read from X-Forwarded-For only behind a trusted proxy.

    The nearest address in X-Forwarded-For that is not a trusted proxy is the client: addresses
    further left were sent by the client itself and may be forged.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for candidate in reversed([item.strip() for item in forwarded.split(",")]):
        if not candidate or is_trusted_proxy(candidate):
            continue
        try:
            return str(ip_address(candidate))
        except ValueError:
            break
    return remote


# --- Where sign-in leads ---


class UnsafeNext(ValueError):
    """A `next` value that does not lead to a page of this dashboard."""


def _has_control_characters(value: str) -> bool:
    return any(ord(character) < 32 or ord(character) == 127 for character in value)


def validate_next_path(raw: str, request: HttpRequest) -> str:
    """Return `raw` if it is the path of a page of this dashboard, or raise UnsafeNext."""
    if len(raw) > MAX_NEXT_LENGTH:
        raise UnsafeNext(_("The address to return to after sign-in is too long."))
    parts = urlsplit(raw)
    decoded_path = unquote(parts.path)
    if _has_control_characters(raw) or _has_control_characters(decoded_path) or "\\" in raw:
        raise UnsafeNext(
            _("The address to return to after sign-in contains characters that are not allowed.")
        )
    is_local = (
        raw.startswith("/")
        and not raw.startswith("//")
        and not parts.scheme
        and not parts.netloc
        and url_has_allowed_host_and_scheme(
            raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )
    if not is_local:
        raise UnsafeNext(
            _("After sign-in the dashboard leads only to its own pages, not to “%(value)s”.")
            % {"value": raw[:80]}
        )
    prefix = get_script_prefix()
    try:
        match = resolve("/" + decoded_path.removeprefix(prefix))
    except Resolver404:
        match = None
    if match is None or match.url_name in NEXT_EXCLUDED_URL_NAMES:
        raise UnsafeNext(
            _("“%(value)s” is not a page of this dashboard to return to after sign-in.")
            % {"value": raw[:80]}
        )
    return raw


# --- Throttling failed sign-ins ---


def _throttle_keys(username: str, address: str) -> list[tuple[str, int]]:
    """Return the cache keys that count failures, each with its limit."""
    keys = [(_cache_key("address", address), settings.SIGN_IN_FAILURES_PER_ADDRESS)]
    name = username.strip().casefold()
    if name:
        keys.append((_cache_key("name", f"{name}\n{address}"), settings.SIGN_IN_FAILURES))
    return keys


def _cache_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"sign-in-failures:{kind}:{digest}"


def seconds_locked(username: str, address: str) -> int:
    """Return how many seconds sign-in stays refused for this user name and address, or 0."""
    now = time.time()
    wait = 0.0
    for key, limit in _throttle_keys(username, address):
        window = cache.get(key)
        if window and window["count"] >= limit and window["until"] > now:
            wait = max(wait, window["until"] - now)
    return math.ceil(wait)


def record_failure(username: str, address: str) -> None:
    """Count one failed sign-in against the user name and the address.

    A window starts at the first failure and lasts DASHBOARD_SIGN_IN_LOCKOUT_SECONDS. The
    count is kept as a value with an explicit expiry, because Django's database cache resets
    the expiry on `incr`.
    """
    # NOTE: read and write are two cache calls, so two concurrent failures may count as one.
    now = time.time()
    for key, _limit in _throttle_keys(username, address):
        window = cache.get(key)
        if not window or window["until"] <= now:
            window = {"count": 0, "until": now + settings.SIGN_IN_LOCKOUT_SECONDS}
        window["count"] += 1
        cache.set(key, window, timeout=math.ceil(window["until"] - now))


def clear_failures(username: str, address: str) -> None:
    """Forget the failures of this user name from this address after a successful sign-in."""
    for key, _limit in _throttle_keys(username, address)[1:]:
        cache.delete(key)


class SignInView(LoginView):
    """Django's sign-in page with a checked `next` and throttled failures."""

    redirect_authenticated_user = True

    @method_decorator(login_not_required)
    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        raw_next = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, ""))
        if raw_next:
            try:
                validate_next_path(raw_next, request)
            except UnsafeNext as error:
                logger.warning("Rejected sign-in next %r from %s", raw_next[:200], request.path)
                return refuse(request, 400, str(error))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wait = seconds_locked(self._username(), client_address(request))
        if wait:
            return self._throttled(wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        username, address = self._username(), client_address(self.request)
        record_failure(username, address)
        logger.warning("Sign-in failed for user name %r from %s", username[:150], address)
        wait = seconds_locked(username, address)
        if wait:
            return self._throttled(wait)
        return super().form_invalid(form)

    def form_valid(self, form) -> HttpResponse:
        clear_failures(self._username(), client_address(self.request))
        return super().form_valid(form)

    def _username(self) -> str:
        return self.request.POST.get("username", "")[:150]

    def _throttled(self, wait: int) -> HttpResponse:
        minutes = max(1, math.ceil(wait / 60))
        message = ngettext(
            "Too many failed sign-ins. Try again in %(minutes)d minute.",
            "Too many failed sign-ins. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        form = self.get_form_class()(request=self.request, initial={"username": self._username()})
        context = self.get_context_data(form=form, sign_in_error=message)
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(wait)
        return response


# --- Single sign-on ---


class SingleSignOnBackend(RemoteUserBackend, DashboardBackend):
    """Sign in the user name that the intranet's reverse proxy sends, creating the user once.

    Only SingleSignOnMiddleware passes a `remote_user`, and only from a trusted proxy, so this
    backend does nothing while DASHBOARD_SSO_HEADER is unset.
    """


def sso_meta_key(header: str) -> str:
    """Return the request.META key of an HTTP header name such as X-Remote-User."""
    return "HTTP_" + header.upper().replace("-", "_")


# --- Embedding in the portal ---


def portal_link(path: str) -> str:
    """Return the portal's address of a dashboard path, or "" without DASHBOARD_PORTAL_LINK."""
    pattern = settings.DASHBOARD_PORTAL_LINK
    if not pattern:
        return ""
    return pattern.replace("{path}", quote(path, safe="/"))


def embedding(request: HttpRequest) -> dict:
    """Add what the page needs to behave inside the portal's frame."""
    path = request.get_full_path()
    return {
        "framed": getattr(request, "framed", False),
        "share_link": portal_link(path) or request.build_absolute_uri(path),
        "sso_enabled": bool(settings.SSO_HEADER),
        "embed_config": {
            "parentOrigins": list(settings.DASHBOARD_FRAME_ANCESTORS),
            "portalLink": settings.DASHBOARD_PORTAL_LINK,
            "messageType": PORTAL_MESSAGE_TYPE,
        },
    }
