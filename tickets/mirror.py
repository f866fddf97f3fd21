"""Keep the local mirror of Sendcloud's tickets: write-through, sync passes and their state.

A sync pass pages through GET /dsf/tickets (at most 20 a page), upserts every ticket, removes
the tickets Sendcloud no longer lists, and then copies the requested-data list. Each pass
records its outcome in the `SyncState` row, which the pages read for "data as of" and for the
warning when the sync fails or falls behind.
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tickets import rules
from tickets.models import MirroredRequest, MirroredTicket, SyncState
from tickets.sendcloud import errors
from tickets.sendcloud.client import get_client
from tickets.sendcloud.types import RequestedData, Ticket

logger = logging.getLogger(__name__)

TICKET_PAGE_SIZE = 20
REQUESTED_DATA_PAGE_SIZE = 100
# A guard against an upstream that sends full pages without end: 50,000 tickets.
MAX_PAGES = 2500
# How often one page is tried again after a 429, and the longest wait between tries.
RATE_LIMIT_RETRIES = 3
MAX_RATE_LIMIT_WAIT_SECONDS = 60.0
DEFAULT_RATE_LIMIT_WAIT_SECONDS = 10.0

CODE_MAX_LENGTH = 100
ORDER_NUMBER_MAX_LENGTH = 255

# The fields whose values decide whether a ticket changed. Sync times are not among them.
STATE_FIELDS = (
    "status",
    "stage",
    "type",
    "carrier",
    "parcel_id",
    "order_number",
    "brand_id",
    "created_at",
    "updated_at",
    "requested_actions",
    "resolution",
    "needs_action",
    "is_final",
    "outstanding_count",
    "oldest_request_at",
)

CREATED = "created"
CHANGED = "changed"
UNCHANGED = "unchanged"
SKIPPED = "skipped"


@dataclass
class SyncResult:
    """Counts and duration of one sync pass, for the log and the `SyncState` row."""

    pages: int = 0
    tickets: int = 0
    created: int = 0
    changed: int = 0
    removed: int = 0
    requests: int = 0
    duration: float = 0.0
    requested_data_error: str = ""

    @property
    def changes(self) -> int:
        return self.created + self.changed + self.removed


@dataclass(frozen=True)
class SyncStatus:
    """The freshness of the mirror, as the queue pages show it."""

    data_as_of: datetime | None
    failing_since: datetime | None
    error: str
    is_late: bool
    requested_data_as_of: datetime | None
    requested_data_error: str

    @property
    def never_synced(self) -> bool:
        return self.data_as_of is None

    @property
    def needs_warning(self) -> bool:
        return self.never_synced or self.is_late or self.failing_since is not None


# Writing tickets


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _clip(value: str | None, limit: int, field: str, ticket_id: int) -> str:
    text = value or ""
    if len(text) > limit:
        logger.warning(
            "Ticket %s: the %s has %d characters; the mirror keeps the first %d.",
            ticket_id,
            field,
            len(text),
            limit,
        )
        return text[:limit]
    return text


def ticket_fields(ticket: Ticket) -> dict:
    """Return the mirror's column values for a ticket, derived columns included."""
    actions = sorted(ticket.requested_actions, key=lambda action: action.created_at)
    resolution = ticket.resolution
    return {
        "status": _clip(ticket.status, CODE_MAX_LENGTH, "status", ticket.id),
        "stage": _clip(ticket.stage, CODE_MAX_LENGTH, "stage", ticket.id),
        "type": _clip(ticket.type, CODE_MAX_LENGTH, "type", ticket.id),
        "carrier": _clip(ticket.carrier, CODE_MAX_LENGTH, "carrier", ticket.id),
        "parcel_id": ticket.parcel_id,
        "order_number": _clip(
            ticket.order_number, ORDER_NUMBER_MAX_LENGTH, "order number", ticket.id
        ),
        "brand_id": ticket.brand_id,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "requested_actions": [
            {
                "id": action.id,
                "data_type": action.data_type,
                "created_at": _iso(action.created_at),
            }
            for action in actions
        ],
        "resolution": None
        if resolution is None
        else {
            "outcome": resolution.outcome,
            # A string keeps 149.99 exact, as the client's Decimal has it.
            "amount": str(resolution.amount) if resolution.amount is not None else None,
            "currency": resolution.currency,
            "solved_at": _iso(resolution.solved_at),
        },
        "needs_action": rules.needs_action(ticket),
        "is_final": rules.is_final(ticket),
        "outstanding_count": len(actions),
        "oldest_request_at": actions[0].created_at if actions else None,
    }


def _differs(row: MirroredTicket, fields: dict) -> bool:
    return any(getattr(row, name) != fields[name] for name in STATE_FIELDS)


def upsert_tickets(tickets: Iterable[Ticket], fetched_at: datetime) -> dict[str, int]:
    """Write tickets fetched at `fetched_at` into the mirror and count what happened.

    A row that a later fetch already wrote (a live fetch of the ticket page during a sync
    pass) is left alone, so an older page of the list cannot undo a newer state.
    """
    tickets = list(tickets)
    counts = {CREATED: 0, CHANGED: 0, UNCHANGED: 0, SKIPPED: 0}
    with transaction.atomic():
        existing = MirroredTicket.objects.select_for_update().in_bulk(
            [ticket.id for ticket in tickets]
        )
        for ticket in tickets:
            fields = ticket_fields(ticket)
            row = existing.get(ticket.id)
            if row is None:
                MirroredTicket.objects.create(
                    id=ticket.id,
                    first_seen_at=fetched_at,
                    synced_at=fetched_at,
                    changed_at=fetched_at,
                    **fields,
                )
                counts[CREATED] += 1
            elif row.synced_at > fetched_at:
                counts[SKIPPED] += 1
            elif _differs(row, fields):
                for name, value in fields.items():
                    setattr(row, name, value)
                row.synced_at = row.changed_at = fetched_at
                row.save()
                counts[CHANGED] += 1
            else:
                row.synced_at = fetched_at
                row.save(update_fields=["synced_at"])
                counts[UNCHANGED] += 1
    return counts


def record_ticket(ticket: Ticket) -> None:
    """Write one live-fetched ticket through to the mirror."""
    upsert_tickets([ticket], timezone.now())


# Sync passes


def _fetch_with_retries[T](
    fetch: Callable[[], T], description: str, sleep: Callable[[float], None]
) -> T:
    """Call `fetch`, waiting and trying again after a 429 up to RATE_LIMIT_RETRIES times."""
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        try:
            return fetch()
        except errors.RateLimited as error:
            if attempt == RATE_LIMIT_RETRIES:
                raise
            wait = error.retry_after or DEFAULT_RATE_LIMIT_WAIT_SECONDS
            wait = min(max(wait, 0.0), MAX_RATE_LIMIT_WAIT_SECONDS)
            logger.warning(
                "Sync: %s was rate limited; trying again in %.0f s (%s).", description, wait, error
            )
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _sync_ticket_pages(client, result: SyncResult, started: datetime, sleep) -> None:
    seen: set[int] = set()
    total = None
    page_number = 1
    while page_number <= MAX_PAGES:
        page = _fetch_with_retries(
            lambda number=page_number: client.list_tickets(page=number, size=TICKET_PAGE_SIZE),
            f"ticket page {page_number}",
            sleep,
        )
        result.pages += 1
        result.requests += 1
        total = page.total
        counts = upsert_tickets(page.items, timezone.now())
        result.created += counts[CREATED]
        result.changed += counts[CHANGED]
        seen.update(ticket.id for ticket in page.items)
        if not page.items or page_number >= page.pages:
            break
        page_number += 1
    result.tickets = len(seen)

    # Tickets can move between pages while a pass runs, because the list has no documented
    # order. Only a pass that saw exactly as many tickets as Sendcloud counts removes any.
    if total is not None and len(seen) == total:
        removed, _ = MirroredTicket.objects.filter(synced_at__lt=started).delete()
        result.removed = removed
    else:
        logger.warning(
            "Sync: saw %d tickets but Sendcloud counts %s; no ticket is removed this pass.",
            len(seen),
            total,
        )


def _sync_requested_data(client, result: SyncResult, sleep) -> None:
    """Replace the mirrored requested-data list with Sendcloud's current one."""
    items: dict[int, RequestedData] = {}
    page_number = 1
    while page_number <= MAX_PAGES:
        page = _fetch_with_retries(
            lambda number=page_number: client.list_requested_data(
                page=number, size=REQUESTED_DATA_PAGE_SIZE
            ),
            f"requested-data page {page_number}",
            sleep,
        )
        result.requests += 1
        new_ids = {item.request_id for item in page.items} - items.keys()
        items.update((item.request_id, item) for item in page.items)
        if page.pages is not None:
            if page_number >= page.pages or not page.items:
                break
        # NOTE: the bare {"data": [...]} envelope has no page count, and whether Sendcloud
        # pages it is not documented. A short page, or a page with nothing new, ends the list.
        elif len(page.items) < REQUESTED_DATA_PAGE_SIZE or not new_ids:
            break
        page_number += 1

    synced_at = timezone.now()
    with transaction.atomic():
        MirroredRequest.objects.exclude(request_id__in=list(items)).delete()
        for item in items.values():
            MirroredRequest.objects.update_or_create(
                request_id=item.request_id,
                defaults={
                    "data_type": item.data_type[:CODE_MAX_LENGTH],
                    "title": (item.title or "")[:500],
                    "description": item.description or "",
                    "order_number": (item.order_number or "")[:ORDER_NUMBER_MAX_LENGTH],
                    "tracking_number": (item.tracking_number or "")[:255],
                    "created_at": item.created_at,
                    "synced_at": synced_at,
                },
            )


def _sync_state() -> SyncState:
    state, _ = SyncState.objects.get_or_create(pk=SyncState.SINGLETON_ID)
    return state


def sync_once(client=None, *, sleep: Callable[[float], None] = time.sleep) -> SyncResult:
    """Run one sync pass and record its outcome.

    Raises the client's `SendcloudError` when the ticket list fails; the mirror then keeps
    what it had. A failing requested-data list is recorded in the result and in `SyncState`
    but does not fail the pass.
    """
    client = client or get_client()
    started = timezone.now()
    clock = time.monotonic()
    result = SyncResult()
    SyncState.objects.update_or_create(
        pk=SyncState.SINGLETON_ID, defaults={"last_started_at": started}
    )

    try:
        _sync_ticket_pages(client, result, started, sleep)
    except errors.SendcloudError as error:
        result.duration = time.monotonic() - clock
        state = _sync_state()
        state.failing_since = state.failing_since or started
        state.last_error = str(error)[:2000]
        state.save(update_fields=["failing_since", "last_error"])
        raise

    requested_data_at = None
    try:
        _sync_requested_data(client, result, sleep)
        requested_data_at = timezone.now()
    except errors.SendcloudError as error:
        result.requested_data_error = str(error)[:2000]
        logger.warning("Sync: the requested-data list failed: %s", error)

    result.duration = time.monotonic() - clock
    state = _sync_state()
    state.last_success_at = started
    state.failing_since = None
    state.last_error = ""
    state.last_pages = result.pages
    state.last_tickets = result.tickets
    state.last_changes = result.changes
    state.last_duration_seconds = result.duration
    state.requested_data_error = result.requested_data_error
    if requested_data_at is not None:
        state.requested_data_success_at = requested_data_at
    state.save()
    return result


def get_sync_status(now: datetime | None = None) -> SyncStatus:
    """Return how fresh the mirror is, from the latest sync passes."""
    now = now or timezone.now()
    state = SyncState.objects.filter(pk=SyncState.SINGLETON_ID).first()
    if state is None:
        return SyncStatus(None, None, "", True, None, "")
    late_after = timedelta(seconds=settings.SYNC_LATE_SECONDS)
    is_late = state.last_success_at is None or now - state.last_success_at > late_after
    return SyncStatus(
        data_as_of=state.last_success_at,
        failing_since=state.failing_since,
        error=state.last_error,
        is_late=is_late,
        requested_data_as_of=state.requested_data_success_at,
        requested_data_error=state.requested_data_error,
    )
