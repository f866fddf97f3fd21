"""Pytest fixtures for the queue pages: a mirror filled from the simulator, and test tickets."""

import pytest

from tickets import mirror
from tickets.sendcloud.client import get_client


def make_ticket(ticket_id: int, **fields) -> dict:
    """Build a raw open ticket as the API sends it, with `fields` replacing the defaults."""
    ticket = {
        "id": ticket_id,
        "status": "waiting_for_carrier",
        "stage": "in_progress",
        "type": "lost",
        "parcel_id": 700000 + ticket_id,
        "carrier": "dhl",
        "order_number": f"TEST-{ticket_id}",
        "brand_id": 5,
        "created_at": "2026-03-01T12:00:00+00:00",
        "updated_at": "2026-03-02T12:00:00+00:00",
        "requested_actions": [],
        "resolution": None,
    }
    ticket.update(fields)
    return ticket


def sync() -> mirror.SyncResult:
    """Run one sync pass against the configured simulator, never sleeping on a 429."""
    return mirror.sync_once(get_client(), sleep=lambda seconds: None)


@pytest.fixture
def mirrored(sendcloud):
    """The simulator's seed tickets, synced into the mirror; returns the simulator."""
    sync()
    return sendcloud
