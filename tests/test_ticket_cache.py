"""The shared ticket cache, the request budget, the 429 back-off and the mirror fallback.

Budget and back-off live in Django's cache, so their tests run on the database cache and on a
real Redis alike.
"""

import logging
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tickets import mirror, services
from tickets.models import MirroredTicket
from tickets.sendcloud.client import get_client
from tickets.sendcloud.errors import BudgetSpent, RateLimited
from tickets.sendcloud.simulator import Hang, Status, rate_limited
from tickets.sendcloud.throttle import BUCKET_SECONDS, BUCKETS_PER_WINDOW

pytestmark = pytest.mark.django_db


def ticket_url(ticket_id) -> str:
    return reverse("ticket_detail", args=[ticket_id])


def ticket_path(ticket_id) -> str:
    return f"/dsf/tickets/{ticket_id}"


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, sendcloud):
    """Run a test on the database cache and on Redis; return the simulator."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
        cache.clear()
    services._warnings.forget(42)
    services._warnings.forget(43)
    return sendcloud


# The ticket cache


def test_fresh_ticket_is_served_from_cache(agent_client, sendcloud, settings):
    settings.SENDCLOUD_TICKET_CACHE_SECONDS = 60

    first = agent_client.get(ticket_url(43))
    second = agent_client.get(ticket_url(43))

    assert first.status_code == 200
    assert second.status_code == 200
    assert "Sales invoice requested" in second.text
    assert sendcloud.state.count_requests(ticket_path(43)) == 1


def test_cached_ticket_is_fetched_again_after_ttl(sendcloud, settings):
    settings.SENDCLOUD_TICKET_CACHE_SECONDS = 1
    first = services.get_ticket(43)

    time.sleep(1.1)
    second = services.get_ticket(43)

    assert first.source == services.LIVE
    assert second.source == services.LIVE
    assert sendcloud.state.count_requests(ticket_path(43)) == 2


def test_failure_is_shared_for_ttl(sendcloud, settings):
    settings.SENDCLOUD_TICKET_CACHE_SECONDS = 60
    services.get_ticket(43)
    cache.delete(services._outcome_key(43))
    sendcloud.state.inject(Status(500))
    calls_before = sendcloud.state.count_requests(ticket_path(43))

    first = services.get_ticket(43)
    second = services.get_ticket(43)

    assert first.failure is not None
    assert second.failure == first.failure
    assert second.ticket == first.ticket
    # A 500 gets no quick retry, so one call for the first request and none for the second.
    assert sendcloud.state.count_requests(ticket_path(43)) - calls_before == 1


def test_failing_since_stays_while_failures_last(sendcloud):
    services.get_ticket(43)
    sendcloud.state.inject(Status(500))

    first = services.get_ticket(43)
    time.sleep(0.01)
    second = services.get_ticket(43)

    assert second.failure.since == first.failure.since
    assert second.fetched_at == first.fetched_at


def test_unknown_ticket_is_remembered_as_not_found(sendcloud, settings):
    from tickets.sendcloud.errors import TicketNotFound

    settings.SENDCLOUD_TICKET_CACHE_SECONDS = 60

    for _ in range(3):
        with pytest.raises(TicketNotFound):
            services.get_ticket(987654)

    assert sendcloud.state.count_requests(ticket_path(987654)) == 1


# Mirror fallback


def test_mirror_row_reads_back_as_ticket(sendcloud):
    for ticket_id in (42, 43, 44):
        ticket = get_client().get_ticket(ticket_id)
        mirror.upsert_tickets([ticket], timezone.now())

        rebuilt = services.ticket_from_mirror(MirroredTicket.objects.get(pk=ticket_id))

        assert rebuilt == ticket


def test_failure_falls_back_on_mirror(agent_client, sendcloud):
    services.get_ticket(43)
    cache.delete(services._last_known_key(43))
    sendcloud.state.inject(Status(500))

    response = agent_client.get(ticket_url(43))

    assert response.status_code == 200
    assert "Sales invoice requested" in response.text
    assert "own copy, as of" in response.text
    assert "server error 500" in response.text


def test_newer_mirror_state_wins_over_cache(sendcloud):
    services.get_ticket(43)
    sendcloud.state.add_requested_action(43, "proof_of_shipment")
    newer = get_client().get_ticket(43)
    mirror.upsert_tickets([newer], timezone.now() + timedelta(seconds=1))
    sendcloud.state.inject(Status(500))

    snapshot = services.get_ticket(43)

    assert snapshot.source == services.MIRROR
    assert snapshot.ticket == newer


def test_mirror_past_stale_window_is_ignored(agent_client, sendcloud, settings):
    services.get_ticket(43)
    cache.clear()
    too_old = timezone.now() - timedelta(seconds=settings.DASHBOARD_STALE_SECONDS + 60)
    MirroredTicket.objects.filter(pk=43).update(synced_at=too_old)
    sendcloud.state.inject(Status(500))

    response = agent_client.get(ticket_url(43))

    assert response.status_code == 503


# Request budget


def test_spent_budget_answers_from_mirror(agent_client, shared_cache, settings):
    settings.SENDCLOUD_REQUESTS_PER_MINUTE = 2
    assert agent_client.get(ticket_url(42)).status_code == 200
    assert agent_client.get(ticket_url(43)).status_code == 200
    cache.delete(services._last_known_key(43))

    response = agent_client.get(ticket_url(43))

    assert response.status_code == 200
    assert "Sales invoice requested" in response.text
    assert "used its 2 Sendcloud requests for this minute" in response.text
    assert "own copy, as of" in response.text
    assert "Failing since" not in response.text
    assert shared_cache.state.count_requests() == 2


def test_spent_budget_without_data_answers_503(agent_client, shared_cache, settings):
    settings.SENDCLOUD_REQUESTS_PER_MINUTE = 1
    agent_client.get(ticket_url(42))

    response = agent_client.get(ticket_url(44))

    assert response.status_code == 503
    assert "used its 1 Sendcloud requests" in response.text
    assert 1 <= int(response["Retry-After"]) <= (BUCKETS_PER_WINDOW + 1) * BUCKET_SECONDS
    assert shared_cache.state.count_requests() == 1


def test_sync_leaves_budget_reserve_for_agents(shared_cache, settings):
    settings.SENDCLOUD_REQUESTS_PER_MINUTE = 3
    client = get_client()
    client.list_tickets(page=1)
    client.list_tickets(page=2)

    with pytest.raises(BudgetSpent):
        client.list_tickets(page=3)
    ticket = client.get_ticket(43)

    assert ticket.id == 43
    assert shared_cache.state.count_requests() == 3


# 429 back-off


def test_429_stops_every_call_for_its_wait(agent_client, shared_cache):
    shared_cache.state.inject(rate_limited("30"), times=1)

    first = agent_client.get(ticket_url(43))
    second = agent_client.get(ticket_url(43))

    assert first.status_code == 503
    assert second.status_code == 503
    assert "limiting the dashboard" in second.text
    assert 25 <= int(second["Retry-After"]) <= 30
    with pytest.raises(RateLimited):
        get_client().list_tickets()
    assert shared_cache.state.count_requests() == 1


def test_429_without_header_uses_configured_backoff(agent_client, shared_cache, settings):
    settings.SENDCLOUD_RATE_LIMIT_BACKOFF_SECONDS = 20
    shared_cache.state.inject(rate_limited(None), times=1)
    agent_client.get(ticket_url(43))

    response = agent_client.get(ticket_url(43))

    assert response.status_code == 503
    assert 15 <= int(response["Retry-After"]) <= 20
    assert shared_cache.state.count_requests() == 1


def test_backoff_under_a_second_is_waited_out(agent_client, shared_cache):
    shared_cache.state.inject(rate_limited("1"), times=1)
    assert agent_client.get(ticket_url(43)).status_code == 503
    time.sleep(0.2)

    started = time.monotonic()
    response = agent_client.get(ticket_url(43))
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert 0.5 < elapsed < 1.5
    assert shared_cache.state.count_requests() == 2


def test_503_retry_after_stops_calls(agent_client, shared_cache):
    shared_cache.state.inject(Status(503, headers={"Retry-After": "30"}), times=1)
    agent_client.get(ticket_url(43))

    response = agent_client.get(ticket_url(43))

    assert response.status_code == 503
    assert "server error 503" in response.text
    assert shared_cache.state.count_requests() == 1


# Logging


def test_each_call_is_logged_at_debug(sendcloud, caplog):
    caplog.set_level(logging.DEBUG, logger="tickets.sendcloud.client")

    services.get_ticket(43)

    lines = [r.getMessage() for r in caplog.records if r.name == "tickets.sendcloud.client"]
    assert any(line.startswith("GET /dsf/tickets/43 -> 200 in ") for line in lines)


def test_repeated_failures_are_counted_not_repeated(sendcloud, caplog):
    services._warnings.forget(43)
    caplog.set_level(logging.INFO, logger="tickets.services")
    services.get_ticket(43)
    sendcloud.state.inject(Status(500))

    for _ in range(4):
        services.get_ticket(43)
    sendcloud.state.clear_faults()
    services.get_ticket(43)

    records = [r for r in caplog.records if r.name == "tickets.services"]
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    infos = [r.getMessage() for r in records if r.levelno == logging.INFO]
    assert len(warnings) == 1
    assert "ticket 43" in warnings[0]
    assert "status=500" in warnings[0]
    assert infos == ["Sendcloud call for ticket 43 succeeded again after 4 failed calls."]


def test_warning_names_no_secret(sendcloud, caplog, settings):
    services._warnings.forget(43)
    body = f"echo {sendcloud.secret_key} and {sendcloud.public_key}"
    sendcloud.state.inject(Status(500, body=body, content_type="text/plain"))

    with pytest.raises(services.TicketUnavailable):
        services.get_ticket(43)

    assert "ticket 43" in caplog.text
    assert sendcloud.secret_key not in caplog.text
    assert sendcloud.public_key not in caplog.text
    assert "[redacted]" in caplog.text


# Pause after a timeout


def test_timeout_pauses_calls_for_every_ticket(agent_client, shared_cache, settings):
    settings.SENDCLOUD_TIMEOUT_PAUSE_SECONDS = 30
    settings.SENDCLOUD_READ_TIMEOUT = 0.5
    shared_cache.state.inject(Hang(seconds=5), times=1)
    assert agent_client.get(ticket_url(43)).status_code == 503

    started = time.monotonic()
    response = agent_client.get(ticket_url(42))
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert "did not answer in time" in response.text
    assert elapsed < 0.5
    assert shared_cache.state.count_requests() == 1


def test_timeout_pause_can_be_turned_off(agent_client, shared_cache, settings):
    settings.SENDCLOUD_READ_TIMEOUT = 0.5
    shared_cache.state.inject(Hang(seconds=5), times=1)
    agent_client.get(ticket_url(43))

    response = agent_client.get(ticket_url(42))

    assert response.status_code == 200
    assert shared_cache.state.count_requests() == 2
