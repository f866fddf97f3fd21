"""The fingerprint of the ticket page, and the per-process memory that spares polls a render."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tickets import views
from tickets.sendcloud.types import Ticket
from tickets.services import TicketSnapshot


@pytest.fixture
def empty_memory():
    views._fingerprints.clear()
    yield
    views._fingerprints.clear()


def snapshot_created(seconds_ago: float) -> TicketSnapshot:
    now = timezone.now()
    ticket = Ticket(
        id=7, status="pending", stage="in_progress", created_at=now - timedelta(seconds=seconds_ago)
    )
    return TicketSnapshot(ticket=ticket, fetched_at=now)


def test_fingerprint_remembered_for_same_snapshot(rf, empty_memory):
    context = views._ticket_context(snapshot_created(3600))
    request = rf.get("/")

    first = views._fingerprint(request, context)

    assert len(views._fingerprints) == 1
    assert views._fingerprint(request, context) == first


def test_fingerprint_follows_relative_time(rf, empty_memory, monkeypatch):
    context = views._ticket_context(snapshot_created(50))
    request = rf.get("/")
    before = views._fingerprint(request, context)
    later = timezone.now() + timedelta(seconds=20)
    monkeypatch.setattr(timezone, "now", lambda: later)

    after = views._fingerprint(request, context)
    views._fingerprints.clear()

    assert after != before  # "just now" became "1 minute ago".
    assert views._fingerprint(request, context) == after


def test_fingerprint_memory_is_bounded(rf, empty_memory, monkeypatch):
    monkeypatch.setattr(views, "MAX_REMEMBERED_FINGERPRINTS", 3)
    request = rf.get("/")

    for hours in range(1, 6):
        views._fingerprint(request, views._ticket_context(snapshot_created(hours * 3600)))

    assert len(views._fingerprints) <= 3
