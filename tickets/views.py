"""Pages of the dashboard: the ticket page and its refresh, and the health check.

The queue pages, the look-ups and the search box live in `queue_views.py`.
"""

import dataclasses
import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tickets import services
from tickets.presentation import build_ticket_view
from tickets.sendcloud.errors import TicketNotFound
from tickets.templatetags.ticket_tags import relative_time

logger = logging.getLogger(__name__)

# Sendcloud documents ticket ids as int64.
MAX_TICKET_ID = 2**63 - 1
MAX_TICKET_ID_DIGITS = len(str(MAX_TICKET_ID))

# The parts of the ticket page that a poll may replace; their rendering is the fingerprint.
REFRESHED_PARTIALS = ("upstream_banner", "status_panel", "document_timeline")

# Fingerprints of the snapshots this process rendered lately, so that a poll of an unchanged
# ticket skips rendering the refreshed parts. Emptied when it reaches the maximum size.
_fingerprints: dict[tuple, str] = {}
MAX_REMEMBERED_FINGERPRINTS = 2000


class InvalidTicketId(Http404):
    """A ticket id that cannot exist, rejected without asking Sendcloud."""


def parse_ticket_id(raw: str) -> int:
    """Return the ticket id in a URL, or raise a 404 for anything that is not one."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_TICKET_ID_DIGITS:
        raise InvalidTicketId(_("“%(value)s” is not a ticket number.") % {"value": raw[:40]})
    number = int(raw)
    if not 1 <= number <= MAX_TICKET_ID:
        raise InvalidTicketId(_("“%(value)s” is not a ticket number.") % {"value": raw[:40]})
    return number


def _ticket_context(snapshot: services.TicketSnapshot, *, oob: bool = False) -> dict:
    return {
        "view": build_ticket_view(snapshot.ticket),
        "snapshot": snapshot,
        "failure": snapshot.failure,
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "oob": oob,
    }


def _render_refreshed(request: HttpRequest, context: dict) -> dict[str, str]:
    """Render the parts of the page that a poll may replace, as the full page shows them."""
    in_page = {**context, "oob": False}
    return {
        name: render_to_string(f"tickets/ticket.html#{name}", in_page, request)
        for name in REFRESHED_PARTIALS
    }


def _hash_refreshed(refreshed: dict[str, str], context: dict) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for name in REFRESHED_PARTIALS:
        digest.update(refreshed[name].encode())
    digest.update(context["view"].state_phrase.encode())
    return digest.hexdigest()


def _moments(value: object) -> Iterator[datetime]:
    """Yield every datetime inside a snapshot: in its ticket, its failure and their parts."""
    if isinstance(value, datetime):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _moments(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _moments(item)


def _fingerprint_key(context: dict) -> tuple | None:
    """Return everything the refreshed parts depend on, or None if it cannot be a dict key.

    Those parts render the snapshot in the active language and time zone, and `now` enters
    them only through `relative_time`, so the relative form of each moment is part of the key.
    NOTE: a template change that makes these parts show anything else must add it here.
    """
    snapshot = context["snapshot"]
    key = (
        snapshot,
        tuple(relative_time(moment) for moment in _moments(snapshot)),
        get_language(),
        timezone.get_current_timezone_name(),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _remember_fingerprint(key: tuple | None, fingerprint: str) -> None:
    if key is None:
        return
    if len(_fingerprints) >= MAX_REMEMBERED_FINGERPRINTS:
        _fingerprints.clear()
    _fingerprints[key] = fingerprint


def _fingerprint(request: HttpRequest, context: dict) -> str:
    """Hash what the refreshing parts of the page would show, relative times included."""
    key = _fingerprint_key(context)
    remembered = _fingerprints.get(key) if key is not None else None
    if remembered is not None:
        return remembered
    fingerprint = _hash_refreshed(_render_refreshed(request, context), context)
    _remember_fingerprint(key, fingerprint)
    return fingerprint


def _unavailable_page(request: HttpRequest, failure: services.UpstreamFailure) -> HttpResponse:
    response = render(
        request,
        "tickets/upstream_error.html",
        {"failure": failure},
        status=failure.page_status,
    )
    if failure.page_status == 503:
        retry_after = failure.retry_after or settings.DASHBOARD_RETRY_AFTER_SECONDS
        response["Retry-After"] = str(max(1, round(retry_after)))
    return response


@require_safe
def ticket_detail(request: HttpRequest, ticket_id: str) -> HttpResponse:
    number = parse_ticket_id(ticket_id)
    if ticket_id != str(number):
        # One address per ticket, so bookmarks and copied links agree: /tickets/042/ -> /42/.
        return redirect("ticket_detail", ticket_id=number, permanent=True)
    try:
        snapshot = services.get_ticket(number)
    except TicketNotFound:
        return render(request, "tickets/ticket_not_found.html", {"ticket_id": number}, status=404)
    except services.TicketUnavailable as unavailable:
        return _unavailable_page(request, unavailable.failure)

    context = _ticket_context(snapshot)
    # The page shows the same renderings that its fingerprint hashes, so each is rendered once.
    context["refreshed"] = _render_refreshed(request, context)
    context["fingerprint"] = _hash_refreshed(context["refreshed"], context)
    _remember_fingerprint(_fingerprint_key(context), context["fingerprint"])
    response = render(request, "tickets/ticket.html", context)
    patch_vary_headers(response, ["HX-Request"])
    patch_cache_control(response, private=True, no_cache=True)
    return response


@require_safe
def ticket_refresh(request: HttpRequest, ticket_id: str) -> HttpResponse:
    """Respond to a poll of the ticket page: only the freshness line if nothing changed.

    Always 200, because htmx swaps no 4xx or 5xx answer: a failure becomes a banner and the
    page keeps the last known data.
    """
    number = parse_ticket_id(ticket_id)
    if not request.htmx or request.htmx.history_restore_request:
        return redirect("ticket_detail", ticket_id=number)

    try:
        snapshot = services.get_ticket(number)
    except TicketNotFound:
        failure = services.UpstreamFailure(
            kind="not_found",
            message=_("Sendcloud no longer finds this ticket."),
            since=timezone.now(),
        )
        response = _refresh_without_data(request, failure)
    except services.TicketUnavailable as unavailable:
        response = _refresh_without_data(request, unavailable.failure)
    else:
        context = _ticket_context(snapshot, oob=True)
        fingerprint = _fingerprint(request, context)
        if fingerprint == request.GET.get("fingerprint"):
            response = render(request, "tickets/ticket.html#freshness", context)
        else:
            context["fingerprint"] = fingerprint
            response = render(request, "tickets/ticket_refresh.html", context)

    patch_vary_headers(response, ["HX-Request"])
    patch_cache_control(response, private=True, no_store=True)
    return response


def _refresh_without_data(request: HttpRequest, failure: services.UpstreamFailure) -> HttpResponse:
    # The page keeps what it shows. An empty fingerprint makes the next good poll redraw it all.
    context = {"failure": failure, "oob": True, "fingerprint": "", "checked_at": timezone.now()}
    return render(request, "tickets/ticket_refresh_failed.html", context)


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Report that the process serves requests, without touching Sendcloud."""
    return JsonResponse({"status": "ok"})
