"""The sync pass and the sync_tickets command, against the simulator over HTTP."""

import logging
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.queue_fixtures import make_ticket, sync
from tickets import mirror
from tickets.models import MirroredRequest, MirroredTicket, SyncState
from tickets.sendcloud.errors import RateLimited, Unavailable
from tickets.sendcloud.simulator import Status, rate_limited
from tickets.sendcloud.simulator.seed import seed_tickets

pytestmark = pytest.mark.django_db

SEED_COUNT = len(seed_tickets())


def test_sync_fills_mirror_from_every_page(sendcloud):
    result = sync()

    assert SEED_COUNT >= 60
    assert result.tickets == SEED_COUNT
    assert result.pages == -(-SEED_COUNT // mirror.TICKET_PAGE_SIZE)
    assert result.created == SEED_COUNT
    assert MirroredTicket.objects.count() == SEED_COUNT
    assert sendcloud.state.count_requests("/dsf/tickets") >= result.pages


def test_sync_asks_for_pages_of_twenty(sendcloud):
    sync()

    queries = [
        request.query_string
        for request in sendcloud.state.requests
        if request.path == "/dsf/tickets"
    ]
    assert queries
    assert all("size=20" in query for query in queries)


def test_sync_stores_ticket_42_as_sent(sendcloud):
    sync()

    ticket = MirroredTicket.objects.get(id=42)
    assert ticket.status == "pending"
    assert ticket.stage == "in_progress"
    assert ticket.carrier == "postnl"
    assert ticket.order_number == "ORD-2026-1234"
    assert ticket.parcel_id == 98765
    assert ticket.brand_id == 3
    assert ticket.requested_actions == [
        {"id": 301, "data_type": "sales_invoice", "created_at": "2026-03-16T09:00:00+00:00"}
    ]
    assert ticket.outstanding_count == 1
    assert ticket.needs_action is False
    assert ticket.is_final is False


def test_sync_derives_needs_action_and_final(sendcloud):
    sync()

    assert MirroredTicket.objects.get(id=43).needs_action is True
    solved = MirroredTicket.objects.get(id=44)
    assert solved.is_final is True
    assert solved.resolution == {
        "outcome": "claim_approved",
        "amount": "149.99",
        "currency": "EUR",
        "solved_at": "2026-02-20T16:45:00+00:00",
    }


def test_sync_keeps_nulls_as_empty_values(sendcloud):
    sync()

    ticket = MirroredTicket.objects.get(id=48)
    assert ticket.type == ""
    assert ticket.carrier == ""
    assert ticket.order_number == ""
    assert ticket.parcel_id is None
    assert ticket.updated_at is None


def test_second_pass_counts_no_changes(sendcloud):
    sync()
    second = sync()

    assert second.created == 0
    assert second.changed == 0
    assert second.removed == 0
    assert second.changes == 0


def test_sync_picks_up_changed_tickets(sendcloud):
    sync()
    before = MirroredTicket.objects.get(id=42).changed_at
    sendcloud.state.update_ticket(
        42, status="customer_documents_requested", stage="action_required"
    )
    sendcloud.state.add_requested_action(47, "photo_of_damage")

    result = sync()

    assert result.changed == 2
    ticket = MirroredTicket.objects.get(id=42)
    assert ticket.needs_action is True
    assert ticket.changed_at > before
    assert MirroredTicket.objects.get(id=47).outstanding_count == 1


def test_sync_removes_vanished_tickets(sendcloud):
    sync()
    sendcloud.state.delete_ticket(46)
    sendcloud.state.delete_ticket(47)

    result = sync()

    assert result.removed == 2
    assert not MirroredTicket.objects.filter(id__in=[46, 47]).exists()
    assert MirroredTicket.objects.count() == SEED_COUNT - 2


def test_sync_adds_new_tickets_over_many_pages(sendcloud):
    for ticket_id in range(1000, 1040):
        sendcloud.state.put_ticket(make_ticket(ticket_id))

    result = sync()

    assert result.tickets == SEED_COUNT + 40
    assert result.pages == -(-(SEED_COUNT + 40) // 20)
    assert MirroredTicket.objects.filter(id__gte=1000).count() == 40


def test_sync_keeps_unknown_codes_raw(sendcloud):
    sendcloud.state.put_ticket(
        make_ticket(900, status="brand_new_status", stage="brand_new_stage", carrier="zz_post")
    )

    sync()

    ticket = MirroredTicket.objects.get(id=900)
    assert ticket.status == "brand_new_status"
    assert ticket.stage == "brand_new_stage"
    assert ticket.carrier == "zz_post"


def test_sync_records_success(sendcloud):
    result = sync()

    state = SyncState.objects.get()
    assert state.last_success_at is not None
    assert state.failing_since is None
    assert state.last_error == ""
    assert state.last_pages == result.pages
    assert state.last_tickets == SEED_COUNT
    assert state.requested_data_success_at is not None


def test_failed_pass_keeps_mirror_and_records_error(sendcloud):
    sync()
    sendcloud.state.inject(Status(503), path="/dsf/tickets", times=None)

    with pytest.raises(Unavailable):
        sync()

    assert MirroredTicket.objects.count() == SEED_COUNT
    state = SyncState.objects.get()
    assert state.failing_since is not None
    assert "503" in state.last_error
    assert state.last_success_at is not None
    status = mirror.get_sync_status()
    assert status.needs_warning


def test_success_after_failure_clears_error(sendcloud):
    sendcloud.state.inject(Status(500), path="/dsf/tickets", times=1)
    with pytest.raises(Unavailable):
        sync()

    sync()

    state = SyncState.objects.get()
    assert state.failing_since is None
    assert state.last_error == ""


def test_page_error_midway_removes_nothing(sendcloud):
    sync()
    sendcloud.state.delete_ticket(46)
    sendcloud.state.inject(Status(502), path="/dsf/tickets", times=None)

    with pytest.raises(Unavailable):
        sync()

    assert MirroredTicket.objects.filter(id=46).exists()


def test_rate_limited_page_is_tried_again(sendcloud):
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)

    sendcloud.state.inject(rate_limited("1"), path="/dsf/tickets", times=1)

    result = mirror.sync_once(sleep=sleep)

    assert waits == [1.0]
    assert result.tickets == SEED_COUNT


def test_rate_limit_that_persists_fails_pass(sendcloud):
    waits = []
    sendcloud.state.inject(rate_limited(None), path="/dsf/tickets", times=None)

    with pytest.raises(RateLimited):
        mirror.sync_once(sleep=waits.append)

    assert len(waits) == mirror.RATE_LIMIT_RETRIES
    assert waits[0] == mirror.DEFAULT_RATE_LIMIT_WAIT_SECONDS
    assert all(0 < wait <= mirror.MAX_RATE_LIMIT_WAIT_SECONDS for wait in waits)


def test_pass_with_count_mismatch_removes_nothing(sendcloud):
    sync()
    sendcloud.state.delete_ticket(46)
    original = mirror.upsert_tickets

    def add_ticket_mid_pass(tickets, fetched_at):
        # A new ticket at the head of the list moves every later ticket one place on, so the
        # pass reads one ticket twice and never reads the new one.
        sendcloud.state.put_ticket(make_ticket(1))
        return original(tickets, fetched_at)

    with mock.patch.object(mirror, "upsert_tickets", add_ticket_mid_pass):
        result = sync()

    assert result.removed == 0
    assert MirroredTicket.objects.filter(id=46).exists()


def test_older_page_does_not_undo_newer_fetch(sendcloud):
    sync()
    newer = timezone.now() + timedelta(minutes=5)
    MirroredTicket.objects.filter(id=42).update(synced_at=newer, status="claim_paid")

    sync()

    assert MirroredTicket.objects.get(id=42).status == "claim_paid"


@pytest.mark.parametrize("envelope", ["data", "paged"])
def test_sync_copies_requested_data_list(sendcloud, envelope):
    sendcloud.state.requested_data_envelope = envelope

    sync()

    request = MirroredRequest.objects.get(request_id=301)
    assert request.data_type == "sales_invoice"
    assert request.order_number == "ORD-2026-1234"
    open_requests = sum(
        ticket.outstanding_count for ticket in MirroredTicket.objects.filter(is_final=False)
    )
    assert MirroredRequest.objects.count() == open_requests


def test_requested_data_failure_does_not_fail_pass(sendcloud):
    sendcloud.state.inject(Status(500), path="/dsf/tickets/requested-data", times=None)

    result = sync()

    assert result.tickets == SEED_COUNT
    assert "500" in result.requested_data_error
    state = SyncState.objects.get()
    assert state.failing_since is None
    assert state.requested_data_success_at is None
    assert "500" in state.requested_data_error


def test_command_runs_one_pass(sendcloud, caplog):
    caplog.set_level(logging.INFO, logger="tickets.sync")

    call_command("sync_tickets")

    assert MirroredTicket.objects.count() == SEED_COUNT
    assert any("pages" in record.getMessage() for record in caplog.records)


def test_command_reports_failure(sendcloud):
    sendcloud.state.inject(Status(503), path="/dsf/tickets", times=None)

    with pytest.raises(CommandError, match="Sync failed"):
        call_command("sync_tickets")


def test_command_rejects_nonpositive_interval(sendcloud):
    with pytest.raises(CommandError, match="interval"):
        call_command("sync_tickets", "--loop", "--interval", "0")


def test_loop_survives_upstream_errors(sendcloud, caplog):
    caplog.set_level(logging.INFO, logger="tickets.sync")
    sendcloud.state.inject(Status(503), path="/dsf/tickets", times=2)
    sleeps = []

    def sleep(seconds):
        # Stop the loop after its third pass, as Ctrl-C would.
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    with mock.patch("tickets.management.commands.sync_tickets.wait", sleep):
        call_command("sync_tickets", "--loop", "--interval", "30")

    messages = [record.getMessage() for record in caplog.records]
    assert sum("Sync pass failed" in message for message in messages) == 1
    assert sum("Sync pass done" in message for message in messages) == 2
    assert any("Sync loop stopped" in message for message in messages)
    assert MirroredTicket.objects.count() == SEED_COUNT
    assert all(0 <= seconds <= 30 for seconds in sleeps)
