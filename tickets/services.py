"""The one place that decides between the cache, the local mirror and a live call.

Views ask this module for a ticket and get a snapshot: the ticket, when it was fetched, where it
came from and, if the latest try failed, what failed and since when. All of it lives in Django's
cache, which every process shares (the database cache, or Redis with `REDIS_URL`):

- the outcome of the latest call for each ticket. For `SENDCLOUD_TICKET_CACHE_SECONDS` every
  page is served from it without calling Sendcloud, failures included;
- the last known state of each ticket, kept for `DASHBOARD_STALE_SECONDS` to show beside a
  failure. Where the mirror holds a newer state within that window, the mirror's is shown;
- a lock per ticket, taken with `cache.add`, so that one process calls Sendcloud while the
  others wait for its outcome. A waiter that has data to show waits at most a second.

The request budget and the back-off after a 429 are enforced by the client (see
`tickets.sendcloud.throttle`); here they are failures like any other.
"""

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import mirror
from tickets.after_response import call_after_response
from tickets.models import MirroredTicket
from tickets.sendcloud import errors
from tickets.sendcloud.client import get_client
from tickets.sendcloud.types import RequestedAction, Resolution, Ticket

logger = logging.getLogger(__name__)

# Failure kinds, each with the HTTP status of a full page that has nothing to show.
UNAVAILABLE = "unavailable"
RATE_LIMITED = "rate_limited"
BUDGET_SPENT = "budget_spent"
REJECTED = "rejected"
NO_ACCESS = "no_access"
INVALID = "invalid"
MISCONFIGURED = "misconfigured"
NOT_FOUND = "not_found"

PAGE_STATUS = {
    UNAVAILABLE: 503,
    RATE_LIMITED: 503,
    BUDGET_SPENT: 503,
    REJECTED: 502,
    NO_ACCESS: 502,
    INVALID: 502,
    MISCONFIGURED: 502,
    NOT_FOUND: 404,
}

# Sources of a snapshot's data.
LIVE = "live"
CACHE = "cache"
MIRROR = "mirror"

# The reason of a waiter that gave up on another process's slow call, beside the client's
# `errors.Unavailable` reasons.
SLOW = "slow"

# How often a request checks whether another process's call has finished, and how long it
# waits when it has a last known state to show instead.
WAIT_POLL_SECONDS = 0.05
WAIT_WITH_DATA_SECONDS = 1.0


@dataclass(frozen=True)
class UpstreamFailure:
    """A failure of Sendcloud, in words for the agent, with the time it started.

    `retry_after` is the wait in seconds that Sendcloud or the request budget requires, or None.
    """

    kind: str
    message: str
    since: datetime
    retry_after: float | None = None

    @property
    def page_status(self) -> int:
        return PAGE_STATUS[self.kind]


@dataclass(frozen=True)
class TicketSnapshot:
    """A ticket as last fetched, and the failure of the latest try if it failed.

    `source` is LIVE for a ticket fetched by this request, CACHE for one fetched by an earlier
    request, and MIRROR for the local mirror's copy, whose `fetched_at` is its last sync.
    """

    ticket: Ticket
    fetched_at: datetime
    failure: UpstreamFailure | None = None
    source: str = LIVE


class TicketUnavailable(Exception):
    """Sendcloud failed and no earlier state of the ticket is known."""

    def __init__(self, failure: UpstreamFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True)
class _Outcome:
    """The result of the latest call for one ticket, as the cache keeps it.

    `kind` is None after a success. `fetch_id` names the lock of the call, so that requests
    waiting on that call recognise its outcome.
    """

    checked_at: datetime
    fetch_id: str = ""
    kind: str | None = None
    reason: str = ""
    status: int | None = None
    failing_since: datetime | None = None
    retry_until: datetime | None = None
    not_found: bool = False


def _last_known_key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}:last-known"


def _outcome_key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}:outcome"


def _lock_key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}:fetching"


# Failures in words


def _failure_kind(error: errors.SendcloudError) -> str:
    if isinstance(error, errors.BudgetSpent):
        return BUDGET_SPENT
    if isinstance(error, errors.RateLimited):
        return RATE_LIMITED
    if isinstance(error, errors.CredentialsRejected):
        return REJECTED
    if isinstance(error, errors.AccessDenied):
        return NO_ACCESS
    if isinstance(error, errors.ConfigurationError):
        return MISCONFIGURED
    if isinstance(error, errors.InvalidResponse):
        return INVALID
    return UNAVAILABLE


def _failure_message(kind: str, reason: str = "", status: int | None = None) -> str:
    """Describe a failure in a sentence for the agent."""
    if kind == RATE_LIMITED:
        return _("Sendcloud is limiting the dashboard's requests.")
    if kind == BUDGET_SPENT:
        return _(
            "The dashboard has used its %(count)s Sendcloud requests for this minute "
            "and waits before asking again."
        ) % {"count": settings.SENDCLOUD_REQUESTS_PER_MINUTE}
    if kind == REJECTED:
        return _("Sendcloud rejected the dashboard's API keys.")
    if kind == NO_ACCESS:
        return _(
            "The dashboard's API keys have no access to Sendcloud's Support API. "
            "The Support API is in beta and may not be enabled for this account."
        )
    if kind == MISCONFIGURED and status is not None and 300 <= status < 400:
        return _(
            "The Sendcloud API address of the dashboard is misconfigured: it redirects elsewhere."
        )
    if kind == MISCONFIGURED:
        return _("The dashboard's Sendcloud settings are invalid.")
    if kind == INVALID:
        return _("Sendcloud sent an answer the dashboard cannot read.")
    if reason == errors.Unavailable.TIMEOUT:
        return _("Sendcloud did not answer in time.")
    if reason == SLOW:
        return _("Sendcloud is slow to answer.")
    if reason == errors.Unavailable.SERVER_ERROR and status is not None:
        return _("Sendcloud is failing: it answered with server error %(status)s.") % {
            "status": status
        }
    if reason == errors.Unavailable.NOT_JSON:
        return _("Sendcloud sent a web page or a cut-off answer instead of ticket data.")
    return _("Sendcloud cannot be reached.")


def _failure_from(outcome: _Outcome, now: datetime) -> UpstreamFailure:
    retry_after = None
    if outcome.retry_until is not None:
        retry_after = max(0.0, (outcome.retry_until - now).total_seconds())
    return UpstreamFailure(
        kind=outcome.kind,
        message=_failure_message(outcome.kind, outcome.reason, outcome.status),
        since=outcome.failing_since or outcome.checked_at,
        retry_after=retry_after,
    )


# Getting a ticket


def get_ticket(ticket_id: int) -> TicketSnapshot:
    """Return a ticket from the cache, from one live call, or from its last known state.

    Raises `errors.TicketNotFound` when Sendcloud does not know the ticket, and
    `TicketUnavailable` when Sendcloud fails and no earlier state is kept.
    """
    return _get_ticket(ticket_id, may_wait=True)


def _get_ticket(ticket_id: int, *, may_wait: bool) -> TicketSnapshot:
    entries = cache.get_many([_last_known_key(ticket_id), _outcome_key(ticket_id)])
    last_known = entries.get(_last_known_key(ticket_id))
    outcome = entries.get(_outcome_key(ticket_id))
    if outcome is not None and _is_fresh(outcome) and _can_answer(outcome, last_known):
        return _answer(ticket_id, outcome, last_known)

    # NOTE: the request that makes the call waits for it, up to SENDCLOUD_DEADLINE, even when
    # it has an earlier state to show. Only the requests waiting on it give up after a second.
    fetch_id = uuid.uuid4().hex
    lock_seconds = math.ceil(settings.SENDCLOUD_DEADLINE) + 2
    if cache.add(_lock_key(ticket_id), (fetch_id, timezone.now()), timeout=lock_seconds):
        try:
            return _fetch(ticket_id, fetch_id, outcome)
        finally:
            if _lock_holder(ticket_id) == fetch_id:
                cache.delete(_lock_key(ticket_id))

    if not may_wait:
        return _answer_while_slow(ticket_id, last_known, timezone.now())
    return _wait_for_other_call(ticket_id, last_known)


def _is_fresh(outcome: _Outcome) -> bool:
    age = timezone.now() - outcome.checked_at
    return age < timedelta(seconds=settings.SENDCLOUD_TICKET_CACHE_SECONDS)


def _can_answer(outcome: _Outcome, last_known: tuple | None) -> bool:
    # A success whose ticket has left the cache since cannot answer a request.
    return outcome.kind is not None or outcome.not_found or last_known is not None


def _lock_holder(ticket_id: int) -> str | None:
    lock = cache.get(_lock_key(ticket_id))
    return lock[0] if lock is not None else None


def _fetch(ticket_id: int, fetch_id: str, previous: _Outcome | None) -> TicketSnapshot:
    """Call Sendcloud for the ticket and share the outcome through the cache."""
    started = time.monotonic()
    try:
        ticket = get_client().get_ticket(ticket_id)
    except errors.TicketNotFound:
        # A mistyped ticket number is no fault of Sendcloud's, so it gets no warning.
        logger.info(
            "Sendcloud has no ticket %s (404) after %.0f ms.",
            ticket_id,
            (time.monotonic() - started) * 1000,
        )
        outcome = _Outcome(checked_at=timezone.now(), fetch_id=fetch_id, not_found=True)
        cache.set(_outcome_key(ticket_id), outcome, timeout=settings.DASHBOARD_STALE_SECONDS)
        cache.delete(_last_known_key(ticket_id))
        _warnings.forget(ticket_id)
        raise
    except errors.SendcloudError as error:
        duration = time.monotonic() - started
        outcome = _failed_outcome(error, fetch_id, previous)
        cache.set(_outcome_key(ticket_id), outcome, timeout=settings.DASHBOARD_STALE_SECONDS)
        _warnings.failed(ticket_id, error, duration)
        return _answer(ticket_id, outcome, cache.get(_last_known_key(ticket_id)))

    fetched_at = timezone.now()
    cache.set_many(
        {
            _last_known_key(ticket_id): (ticket, fetched_at),
            _outcome_key(ticket_id): _Outcome(checked_at=fetched_at, fetch_id=fetch_id),
        },
        timeout=settings.DASHBOARD_STALE_SECONDS,
    )
    _warnings.recovered(ticket_id)
    # The page does not show the mirror's copy, so it need not wait for the write.
    call_after_response(lambda: _record_in_mirror(ticket, fetched_at))
    return TicketSnapshot(ticket=ticket, fetched_at=fetched_at, source=LIVE)


def _failed_outcome(
    error: errors.SendcloudError, fetch_id: str, previous: _Outcome | None
) -> _Outcome:
    now = timezone.now()
    failing_since = now
    if previous is not None and previous.kind is not None:
        failing_since = previous.failing_since or previous.checked_at
    retry_after = getattr(error, "retry_after", None)
    return _Outcome(
        checked_at=now,
        fetch_id=fetch_id,
        kind=_failure_kind(error),
        reason=getattr(error, "reason", ""),
        status=error.status,
        failing_since=failing_since,
        retry_until=now + timedelta(seconds=retry_after) if retry_after is not None else None,
    )


def _answer(ticket_id: int, outcome: _Outcome, last_known: tuple | None) -> TicketSnapshot:
    """Answer from a shared outcome: the cached ticket, or its failure beside older data."""
    if outcome.not_found:
        raise errors.TicketNotFound(
            "Sendcloud has no such ticket for this account (404 Not Found)",
            path=f"/dsf/tickets/{ticket_id}",
            status=404,
        )
    if outcome.kind is None and last_known is not None:
        ticket, fetched_at = last_known
        return TicketSnapshot(ticket=ticket, fetched_at=fetched_at, source=CACHE)
    if outcome.kind is None:
        # The call succeeded but its ticket has left the cache since (evicted or cleared).
        return _get_ticket(ticket_id, may_wait=False)
    return _fall_back(ticket_id, _failure_from(outcome, timezone.now()), last_known)


def _fall_back(
    ticket_id: int, failure: UpstreamFailure, last_known: tuple | None
) -> TicketSnapshot:
    """Pair a failure with the newest state known from the cache or the mirror."""
    snapshot = None
    if last_known is not None:
        ticket, fetched_at = last_known
        snapshot = TicketSnapshot(ticket, fetched_at, failure, source=CACHE)
    mirrored = _mirror_snapshot(ticket_id, failure)
    if mirrored is not None and (snapshot is None or mirrored.fetched_at > snapshot.fetched_at):
        snapshot = mirrored
    if snapshot is None:
        raise TicketUnavailable(failure)
    return snapshot


def _wait_for_other_call(ticket_id: int, last_known: tuple | None) -> TicketSnapshot:
    """Wait for the call another request is making, and answer with its outcome.

    With data to show, the wait ends after WAIT_WITH_DATA_SECONDS. Without, it lasts as long
    as the other call may.
    """
    lock = cache.get(_lock_key(ticket_id))
    other_fetch_id, other_started = lock if lock is not None else ("", timezone.now())
    has_data = last_known is not None or _has_mirrored_state(ticket_id)
    patience = WAIT_WITH_DATA_SECONDS if has_data else settings.SENDCLOUD_DEADLINE + 1.0
    give_up_at = time.monotonic() + patience

    while time.monotonic() < give_up_at:
        time.sleep(WAIT_POLL_SECONDS)
        entries = cache.get_many(
            [_lock_key(ticket_id), _outcome_key(ticket_id), _last_known_key(ticket_id)]
        )
        outcome = entries.get(_outcome_key(ticket_id))
        if outcome is not None and outcome.fetch_id == other_fetch_id:
            return _answer(ticket_id, outcome, entries.get(_last_known_key(ticket_id)))
        if _lock_key(ticket_id) not in entries:
            # The other call ended without an outcome, or its lock expired: try once more.
            return _get_ticket(ticket_id, may_wait=False)

    return _answer_while_slow(ticket_id, last_known, other_started)


def _answer_while_slow(ticket_id: int, last_known: tuple | None, since: datetime) -> TicketSnapshot:
    failure = UpstreamFailure(UNAVAILABLE, _failure_message(UNAVAILABLE, SLOW), since)
    return _fall_back(ticket_id, failure, last_known)


# The mirror


def _stale_limit() -> datetime:
    return timezone.now() - timedelta(seconds=settings.DASHBOARD_STALE_SECONDS)


def _has_mirrored_state(ticket_id: int) -> bool:
    try:
        return MirroredTicket.objects.filter(pk=ticket_id, synced_at__gte=_stale_limit()).exists()
    except DatabaseError:
        logger.exception("Reading ticket %s from the mirror failed.", ticket_id)
        return False


def _mirror_snapshot(ticket_id: int, failure: UpstreamFailure) -> TicketSnapshot | None:
    """Return the mirror's copy of the ticket if it was synced within the stale window."""
    try:
        row = MirroredTicket.objects.filter(pk=ticket_id, synced_at__gte=_stale_limit()).first()
    except DatabaseError:
        logger.exception("Reading ticket %s from the mirror failed.", ticket_id)
        return None
    if row is None:
        return None
    try:
        ticket = ticket_from_mirror(row)
    except (KeyError, TypeError, ValueError, InvalidOperation):
        logger.exception("The mirror's row of ticket %s cannot be read back.", ticket_id)
        return None
    return TicketSnapshot(ticket, row.synced_at, failure, source=MIRROR)


def _parse_moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def ticket_from_mirror(row: MirroredTicket) -> Ticket:
    """Rebuild a ticket from its mirror row, the reverse of `mirror.ticket_fields`."""
    actions = tuple(
        RequestedAction(
            id=action["id"],
            data_type=action["data_type"],
            created_at=_parse_moment(action["created_at"]),
        )
        for action in row.requested_actions or []
    )
    resolution = None
    if row.resolution is not None:
        amount = row.resolution.get("amount")
        resolution = Resolution(
            outcome=row.resolution.get("outcome"),
            amount=Decimal(amount) if amount is not None else None,
            currency=row.resolution.get("currency"),
            solved_at=_parse_moment(row.resolution.get("solved_at")),
        )
    # The mirror keeps "" where Sendcloud sent null in a text field.
    return Ticket(
        id=row.id,
        status=row.status,
        stage=row.stage,
        created_at=row.created_at,
        requested_actions=actions,
        type=row.type or None,
        parcel_id=row.parcel_id,
        carrier=row.carrier or None,
        order_number=row.order_number or None,
        brand_id=row.brand_id,
        updated_at=row.updated_at,
        resolution=resolution,
    )


def _record_in_mirror(ticket: Ticket, fetched_at: datetime) -> None:
    """Write a freshly fetched ticket through to the local mirror.

    The row gets the fetch time of the cached copy, so a later sync pass is what makes the
    mirror's copy the newer one. A failed write is logged and does not fail the page: the
    next sync pass repairs the row.
    """
    try:
        mirror.upsert_tickets([ticket], fetched_at)
    except DatabaseError:
        logger.exception("Writing ticket %s through to the mirror failed.", ticket.id)


# Logging


class _FailureLog:
    """Log each failure of a ticket's calls once a minute, counting the repeats in between.

    Failures count as the same when the ticket, the error class, the status and the reason are
    the same. Their messages may still differ in the request id. The counts are kept per process.
    """

    WINDOW_SECONDS = 60.0
    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (ticket id, error class, status, reason) -> [logged at (monotonic), repeats since]
        self._entries: dict[tuple, list] = {}

    def failed(self, ticket_id: int, error: errors.SendcloudError, duration: float) -> None:
        key = (ticket_id, type(error).__name__, error.status, getattr(error, "reason", ""))
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.WINDOW_SECONDS:
                entry[1] += 1
                return
            repeats = entry[1] if entry is not None else 0
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = [now, 0]

        repeated = f" ({repeats} more failures like it since the last warning)" if repeats else ""
        logger.warning(
            "Sendcloud call for ticket %s failed after %.0f ms: %s%s",
            ticket_id,
            duration * 1000,
            error,
            repeated,
        )

    def _pop(self, ticket_id: int) -> int:
        with self._lock:
            keys = [key for key in self._entries if key[0] == ticket_id]
            return sum(1 + self._entries.pop(key)[1] for key in keys)

    def recovered(self, ticket_id: int) -> None:
        failures = self._pop(ticket_id)
        if failures:
            logger.info(
                "Sendcloud call for ticket %s succeeded again after %d failed calls.",
                ticket_id,
                failures,
            )

    def forget(self, ticket_id: int) -> None:
        self._pop(ticket_id)


_warnings = _FailureLog()
