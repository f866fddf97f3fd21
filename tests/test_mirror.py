"""Writing tickets into the mirror, and the write-through of live ticket fetches."""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.queue_fixtures import make_ticket
from tickets import mirror
from tickets.models import MirroredTicket, SyncState
from tickets.sendcloud.types import RequestedAction, Resolution, Ticket

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ticket(**fields) -> Ticket:
    values = {"id": 7, "status": "pending", "stage": "in_progress", "created_at": CREATED}
    values.update(fields)
    return Ticket(**values)


def test_upsert_creates_row_with_derived_columns():
    actions = (
        RequestedAction(2, "photo_of_damage", CREATED + timedelta(days=2)),
        RequestedAction(1, "sales_invoice", CREATED + timedelta(days=1)),
    )
    counts = mirror.upsert_tickets(
        [ticket(status="customer_reminder_sent", requested_actions=actions)], timezone.now()
    )

    assert counts[mirror.CREATED] == 1
    row = MirroredTicket.objects.get(id=7)
    assert row.needs_action is True
    assert row.is_final is False
    assert row.outstanding_count == 2
    assert row.oldest_request_at == CREATED + timedelta(days=1)
    assert [action["id"] for action in row.requested_actions] == [1, 2]


def test_upsert_marks_resolved_ticket_final():
    resolution = Resolution("claim_approved", Decimal("12.50"), "EUR", CREATED)

    mirror.upsert_tickets([ticket(resolution=resolution)], timezone.now())

    row = MirroredTicket.objects.get(id=7)
    assert row.is_final is True
    assert row.resolution["amount"] == "12.50"


def test_upsert_counts_unchanged_and_changed():
    mirror.upsert_tickets([ticket()], timezone.now())

    same = mirror.upsert_tickets([ticket()], timezone.now())
    changed = mirror.upsert_tickets([ticket(status="escalated")], timezone.now())

    assert same[mirror.UNCHANGED] == 1
    assert changed[mirror.CHANGED] == 1
    assert MirroredTicket.objects.get(id=7).status == "escalated"


def test_unchanged_ticket_keeps_changed_at():
    first = timezone.now()
    mirror.upsert_tickets([ticket()], first)

    mirror.upsert_tickets([ticket()], first + timedelta(minutes=1))

    row = MirroredTicket.objects.get(id=7)
    assert row.changed_at == first
    assert row.synced_at == first + timedelta(minutes=1)
    assert row.first_seen_at == first


def test_older_fetch_is_skipped():
    now = timezone.now()
    mirror.upsert_tickets([ticket(status="escalated")], now)

    counts = mirror.upsert_tickets([ticket(status="pending")], now - timedelta(seconds=5))

    assert counts[mirror.SKIPPED] == 1
    assert MirroredTicket.objects.get(id=7).status == "escalated"


def test_overlong_order_number_is_clipped():
    mirror.upsert_tickets([ticket(order_number="X" * 400)], timezone.now())

    assert len(MirroredTicket.objects.get(id=7).order_number) == mirror.ORDER_NUMBER_MAX_LENGTH


def test_clipped_order_number_is_logged(caplog):
    caplog.set_level(logging.WARNING, logger="tickets.mirror")

    mirror.upsert_tickets([ticket(order_number="X" * 400)], timezone.now())

    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Ticket 7: the order number has 400 characters; the mirror keeps the first 255."
    ]


def test_ticket_page_writes_through(agent_client, sendcloud):
    response = agent_client.get(reverse("ticket_detail", args=[43]))

    assert response.status_code == 200
    row = MirroredTicket.objects.get(id=43)
    assert row.needs_action is True
    assert row.outstanding_count == 2


def test_ticket_page_updates_stale_row(agent_client, sendcloud):
    sendcloud.state.put_ticket(make_ticket(800, status="pending"))
    agent_client.get(reverse("ticket_detail", args=[800]))
    sendcloud.state.update_ticket(800, status="claim_paid", stage="manually_solved_stage")

    agent_client.get(reverse("ticket_detail", args=[800]))

    row = MirroredTicket.objects.get(id=800)
    assert row.status == "claim_paid"
    assert row.is_final is True


def test_sync_status_without_any_pass():
    status = mirror.get_sync_status()

    assert status.never_synced
    assert status.needs_warning


def test_sync_status_late_after_setting(settings):
    settings.SYNC_LATE_SECONDS = 120
    now = timezone.now()
    SyncState.objects.create(pk=1, last_success_at=now - timedelta(seconds=121))

    assert mirror.get_sync_status(now).is_late
    assert not mirror.get_sync_status(now - timedelta(seconds=2)).is_late
