"""The one place that decides between the cache, the last known state and a live call.

Views ask this module for a ticket and get a snapshot: the ticket, when it was fetched and,
if the latest try failed, what failed and since when. The last known state of each ticket is
kept in Django's cache for `DASHBOARD_STALE_SECONDS`, so a failing Sendcloud does not blank a
page that an agent has open.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import mirror
from tickets.sendcloud import errors
from tickets.sendcloud.client import get_client
from tickets.sendcloud.types import Ticket

logger = logging.getLogger(__name__)

# Failure kinds, each with the HTTP status a full page answers when it has nothing to show.
UNAVAILABLE = "unavailable"
RATE_LIMITED = "rate_limited"
REJECTED = "rejected"
NO_ACCESS = "no_access"
INVALID = "invalid"
MISCONFIGURED = "misconfigured"

PAGE_STATUS = {
    UNAVAILABLE: 503,
    RATE_LIMITED: 503,
    REJECTED: 502,
    NO_ACCESS: 502,
    INVALID: 502,
    MISCONFIGURED: 502,
}


@dataclass(frozen=True)
class UpstreamFailure:
    """What went wrong with Sendcloud, in words for the agent, and since when."""

    kind: str
    message: str
    since: datetime
    retry_after: float | None = None

    @property
    def page_status(self) -> int:
        return PAGE_STATUS[self.kind]


@dataclass(frozen=True)
class TicketSnapshot:
    """A ticket as last fetched, and the failure of the latest try if it failed."""

    ticket: Ticket
    fetched_at: datetime
    failure: UpstreamFailure | None = None


class TicketUnavailable(Exception):
    """Sendcloud failed and no earlier state of the ticket is known."""

    def __init__(self, failure: UpstreamFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _last_known_key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}:last-known"


def _failing_since_key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}:failing-since"


def describe_failure(error: errors.SendcloudError) -> tuple[str, str]:
    """Classify a client error into a failure kind and a sentence for the agent."""
    if isinstance(error, errors.RateLimited):
        return RATE_LIMITED, _("Sendcloud is limiting the dashboard's requests.")
    if isinstance(error, errors.CredentialsRejected):
        return REJECTED, _("Sendcloud rejected the dashboard's API keys.")
    if isinstance(error, errors.AccessDenied):
        return NO_ACCESS, _(
            "The dashboard's API keys have no access to Sendcloud's Support API. "
            "The Support API is in beta and may not be enabled for this account."
        )
    if isinstance(error, errors.ConfigurationError):
        return MISCONFIGURED, _(
            "The Sendcloud API address of the dashboard is misconfigured: "
            "it redirects elsewhere."
        )
    if isinstance(error, errors.InvalidResponse):
        return INVALID, _("Sendcloud sent an answer the dashboard cannot read.")
    return UNAVAILABLE, _("Sendcloud cannot be reached.")


def get_ticket(ticket_id: int) -> TicketSnapshot:
    """Fetch a ticket live, falling back on its last known state when Sendcloud fails.

    Raises `errors.TicketNotFound` when Sendcloud does not know the ticket, and
    `TicketUnavailable` when Sendcloud fails and no earlier state is kept.
    """
    started = time.monotonic()
    try:
        ticket = get_client().get_ticket(ticket_id)
    except errors.TicketNotFound:
        cache.delete_many([_last_known_key(ticket_id), _failing_since_key(ticket_id)])
        raise
    except errors.SendcloudError as error:
        return _fall_back(ticket_id, error, time.monotonic() - started)

    fetched_at = timezone.now()
    cache.set_many(
        {_last_known_key(ticket_id): (ticket, fetched_at)},
        timeout=settings.DASHBOARD_STALE_SECONDS,
    )
    cache.delete(_failing_since_key(ticket_id))
    _record_in_mirror(ticket)
    return TicketSnapshot(ticket=ticket, fetched_at=fetched_at)


def _fall_back(ticket_id: int, error: errors.SendcloudError, duration: float) -> TicketSnapshot:
    kind, message = describe_failure(error)
    now = timezone.now()
    cache.add(_failing_since_key(ticket_id), now, timeout=settings.DASHBOARD_STALE_SECONDS)
    since = cache.get(_failing_since_key(ticket_id)) or now
    retry_after = getattr(error, "retry_after", None)
    failure = UpstreamFailure(kind=kind, message=message, since=since, retry_after=retry_after)
    logger.warning(
        "Sendcloud fetch of ticket %s failed after %.0f ms: %s (%s)",
        ticket_id,
        duration * 1000,
        kind,
        error,
    )
    last_known = cache.get(_last_known_key(ticket_id))
    if last_known is None:
        raise TicketUnavailable(failure) from error
    ticket, fetched_at = last_known
    return TicketSnapshot(ticket=ticket, fetched_at=fetched_at, failure=failure)


def _record_in_mirror(ticket: Ticket) -> None:
    """Write a freshly fetched ticket through to the local mirror.

    A failed write is logged and does not fail the page: the next sync pass repairs the row.
    """
    try:
        mirror.record_ticket(ticket)
    except DatabaseError:
        logger.exception("Writing ticket %s through to the mirror failed.", ticket.id)
