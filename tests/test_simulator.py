"""The Sendcloud simulator over real HTTP on loopback: endpoints, seed, scenario and faults."""

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from tickets.sendcloud.simulator import (
    RATE_LIMIT_BODY,
    SEED_ANCHOR,
    Hang,
    Html,
    Latency,
    Redirect,
    Reset,
    ScenarioClock,
    SimulatorServer,
    SimulatorState,
    Status,
    Trickle,
    Truncated,
    WrongShape,
    rate_limited,
    seed_tickets,
)
from tickets.sendcloud.simulator.scenario import TICK_SECONDS
from tickets.sendcloud.simulator.seed import (
    ALL_OPTIONAL_NULL_TICKET_ID,
    CARRIERS,
    DATA_TYPES,
    SHARED_ORDER_TICKET_IDS,
    SLASH_ORDER_TICKET_ID,
    STAGES,
    STATUSES,
    TICKET_TYPES,
    is_final,
    newest_timestamp,
    shift_seed,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 5
OPTIONAL_FIELDS = ("type", "parcel_id", "carrier", "order_number", "brand_id", "updated_at")
TICKET_42 = {
    "id": 42,
    "status": "pending",
    "stage": "in_progress",
    "type": "damaged",
    "parcel_id": 98765,
    "carrier": "postnl",
    "order_number": "ORD-2026-1234",
    "brand_id": 3,
    "created_at": "2026-03-15T10:30:00+00:00",
    "updated_at": "2026-03-18T14:22:00+00:00",
    "requested_actions": [
        {"id": 301, "data_type": "sales_invoice", "created_at": "2026-03-16T09:00:00+00:00"}
    ],
    "resolution": None,
}


@pytest.fixture
def api(simulator):
    """GET a path under the simulator's base URL with the right keys."""

    def get(path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("auth", (simulator.public_key, simulator.secret_key))
        kwargs.setdefault("timeout", TIMEOUT)
        return requests.get(simulator.url + path, **kwargs)  # noqa: S113 (timeout set above)

    return get


def error_item(response: requests.Response) -> dict:
    body = response.json()
    assert len(body["errors"]) == 1
    return body["errors"][0]


def read_body_into(response: requests.Response, received: bytearray) -> None:
    """Append the streamed body to `received` byte by byte, so a broken stream keeps its start."""
    for chunk in response.iter_content(1):
        received.extend(chunk)


def advance_ticks(state: SimulatorState, count: int, *, start: int = 0) -> None:
    """Move the clock exactly to the moment of the next `count` scenario ticks, one at a time."""
    for tick in range(start, start + count):
        state.clock.advance(TICK_SECONDS[tick % len(TICK_SECONDS)])
        state.apply_scenario()


# Authentication


def test_missing_credentials_get_401(api):
    response = api("/dsf/tickets/42", auth=None)

    assert response.status_code == 401
    error = error_item(response)
    assert error["status"] == "401"
    assert error["code"] == "authentication_failed"
    assert error["title"] == "Invalid username/password."


def test_wrong_secret_gets_401(api, simulator):
    response = api("/dsf/tickets/42", auth=(simulator.public_key, "wrong-secret"))

    assert response.status_code == 401
    assert error_item(response)["code"] == "authentication_failed"


def test_wrong_public_key_gets_401(api, simulator):
    response = api("/dsf/tickets/42", auth=("wrong-public", simulator.secret_key))

    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Basic", "Basic !!!not-base64", "Basic dGVzdC1wdWJsaWMta2V5"],
    ids=["bearer", "empty-basic", "not-base64", "no-colon"],
)
def test_malformed_authorization_gets_401(api, header):
    response = api("/dsf/tickets/42", auth=None, headers={"Authorization": header})

    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/dsf/tickets/42", "/dsf/tickets", "/dsf/tickets/requested-data"])
def test_every_endpoint_requires_auth(api, path):
    assert api(path, auth=None).status_code == 401
    assert api(path).status_code == 200


# Retrieve one ticket


def test_ticket_42_matches_documented_example(api):
    response = api("/dsf/tickets/42")

    assert response.status_code == 200
    assert response.json() == TICKET_42
    assert '"created_at": "2026-03-15T10:30:00+00:00"' in response.text


def test_unknown_ticket_gets_not_found_body(api):
    response = api("/dsf/tickets/999999")

    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {"code": "not_found", "detail": "Not found", "title": "Not Found", "status": 404}
        ]
    }


@pytest.mark.parametrize("ticket_id", ["abc", "-1", "4.2", "42abc", "%C2%B2"])
def test_non_integer_ticket_id_gets_404(api, ticket_id):
    response = api(f"/dsf/tickets/{ticket_id}")

    assert response.status_code == 404
    assert error_item(response)["code"] == "not_found"


def test_not_found_body_is_configurable(api, simulator):
    simulator.state.not_found_body = {"detail": "Not found."}

    response = api("/dsf/tickets/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/dsf/nothing", "/dsf/tickets/42/extra", "/"])
def test_unknown_path_gets_404(api, path):
    response = api(path)

    assert response.status_code == 404
    assert error_item(response)["code"] == "not_found"


def test_path_outside_base_gets_404(simulator):
    base = simulator.url.removesuffix("/api/v3")

    response = requests.get(base + "/dsf/tickets/42", auth=simulator.auth, timeout=TIMEOUT)

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_get_405(simulator, method):
    response = requests.request(
        method, simulator.url + "/dsf/tickets/42", auth=simulator.auth, timeout=TIMEOUT
    )

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert error_item(response)["status"] == 405


def test_responses_carry_request_id(api):
    responses = [api("/dsf/tickets/42"), api("/dsf/tickets/999999"), api("/x", auth=None)]

    for response in responses:
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["X-Request-Id"]
    request_ids = {response.headers["X-Request-Id"] for response in responses}
    assert len(request_ids) == 3


def test_put_ticket_is_served_as_stored(api, simulator):
    odd = {
        "id": 900,
        "status": "brand_new_status",
        "stage": "brand_new_stage",
        "created_at": "2026-03-15T10:30:00Z",
        "requested_actions": [],
        "unexpected_field": {"nested": True},
    }
    simulator.state.put_ticket(odd)

    response = api("/dsf/tickets/900")

    assert response.json() == odd


def test_put_ticket_with_explicit_key(api, simulator):
    simulator.state.put_ticket({"id": "not-an-int", "status": "pending"}, ticket_id=901)

    assert api("/dsf/tickets/901").json() == {"id": "not-an-int", "status": "pending"}


def test_delete_ticket_gives_404(api, simulator):
    simulator.state.delete_ticket(43)

    assert api("/dsf/tickets/43").status_code == 404


def test_update_ticket_sets_updated_at_to_clock(api, simulator):
    simulator.state.clock.advance(3600)

    simulator.state.update_ticket(43, status="documents_forwarded_to_carrier", stage="in_progress")

    ticket = api("/dsf/tickets/43").json()
    assert ticket["status"] == "documents_forwarded_to_carrier"
    assert ticket["stage"] == "in_progress"
    assert ticket["updated_at"] == "2026-04-01T10:00:00+00:00"


def test_update_ticket_keeps_given_updated_at(simulator):
    ticket = simulator.state.update_ticket(43, updated_at=None)

    assert ticket["updated_at"] is None


def test_requested_action_added_and_removed(api, simulator):
    seed_ids = {
        action["id"] for ticket in seed_tickets().values() for action in ticket["requested_actions"]
    }

    action = simulator.state.add_requested_action(43, "proof_of_shipment")

    assert action["id"] not in seed_ids
    assert action["data_type"] == "proof_of_shipment"
    assert action["created_at"] == "2026-04-01T09:00:00+00:00"
    assert action in api("/dsf/tickets/43").json()["requested_actions"]

    simulator.state.remove_requested_action(43, action["id"])

    assert action not in api("/dsf/tickets/43").json()["requested_actions"]


def test_remove_unknown_requested_action_raises(simulator):
    with pytest.raises(KeyError):
        simulator.state.remove_requested_action(43, 1)


def test_reset_restores_seed_and_defaults(simulator):
    state = simulator.state
    state.delete_ticket(42)
    state.inject(Status(500))
    state.requested_data_envelope = "paged"
    state.clock.advance(600)
    state.record_request("GET", "/dsf/tickets/42", "")

    state.reset()

    assert state.get_ticket(42) == TICKET_42
    assert state.take_fault("/dsf/tickets/42") is None
    assert state.requested_data_envelope == "data"
    assert state.clock.now() == SEED_ANCHOR
    assert state.requests == []


# Ticket list


def test_ticket_list_default_page(api):
    seed = seed_tickets()

    body = api("/dsf/tickets").json()

    assert body["total"] == len(seed)
    assert body["page"] == 1
    assert body["size"] == 15
    assert body["pages"] == math.ceil(len(seed) / 15)
    assert [ticket["id"] for ticket in body["items"]] == sorted(seed)[:15]
    assert body["items"][0] == TICKET_42


def test_ticket_list_pages_cover_every_ticket(api):
    first = api("/dsf/tickets", params={"size": 20}).json()

    ids = []
    for page in range(1, first["pages"] + 1):
        body = api("/dsf/tickets", params={"page": page, "size": 20}).json()
        assert body["page"] == page
        ids.extend(ticket["id"] for ticket in body["items"])

    assert ids == sorted(seed_tickets())


def test_ticket_list_page_beyond_last_is_empty(api):
    body = api("/dsf/tickets", params={"page": 99, "size": 20}).json()

    assert body["items"] == []
    assert body["page"] == 99
    assert body["total"] == len(seed_tickets())


def test_ticket_list_ignores_unknown_parameters(api):
    body = api("/dsf/tickets", params={"status": "claim_paid", "carrier": "dpd"}).json()

    assert body["total"] == len(seed_tickets())


@pytest.mark.parametrize(
    "params",
    [
        {"size": 21},
        {"size": 0},
        {"size": -5},
        {"size": ""},
        {"size": "ten"},
        {"page": 0},
        {"page": -1},
        {"page": "1.5"},
    ],
    ids=[
        "size-21",
        "size-0",
        "size-negative",
        "size-empty",
        "size-word",
        "page-0",
        "page-negative",
        "page-decimal",
    ],
)
def test_ticket_list_rejects_bad_paging(api, params):
    response = api("/dsf/tickets", params=params)

    assert response.status_code == 400
    error = error_item(response)
    assert error["code"] == "bad_request"
    assert error["status"] == 400
    assert error["detail"].startswith("Validation Error.")


# Requested data


def test_requested_data_lists_open_tickets(api, simulator):
    seed = seed_tickets()
    expected = sorted(
        action["id"]
        for ticket in seed.values()
        if not is_final(ticket)
        for action in ticket["requested_actions"]
    )

    body = api("/dsf/tickets/requested-data", params={"size": 100}).json()

    assert list(body) == ["data"]
    assert [item["request_id"] for item in body["data"]] == expected


def test_requested_data_item_fields(api):
    body = api("/dsf/tickets/requested-data").json()

    item = next(item for item in body["data"] if item["request_id"] == 301)
    assert item == {
        "created_at": "2026-03-16T09:00:00+00:00",
        "request_id": 301,
        "title": "Sales invoice",
        "data_type": "sales_invoice",
        "description": "The carrier requests this for support ticket 42.",
        "tracking_number": "3SSIM0000098765",
        "order_number": "ORD-2026-1234",
    }


def test_requested_data_skips_final_tickets(api, simulator):
    action = simulator.state.add_requested_action(44, "iban_bic")

    body = api("/dsf/tickets/requested-data", params={"size": 100}).json()

    assert action["id"] not in [item["request_id"] for item in body["data"]]


def test_requested_data_paged_envelope(api, simulator):
    simulator.state.requested_data_envelope = "paged"

    body = api("/dsf/tickets/requested-data").json()

    assert set(body) == {"total", "page", "pages", "size", "items"}
    assert body["size"] == 50
    assert body["page"] == 1
    assert len(body["items"]) == min(body["total"], 50)
    assert body["pages"] == math.ceil(body["total"] / 50)


def test_requested_data_envelope_rejects_unknown_name(simulator):
    with pytest.raises(ValueError, match="envelope"):
        simulator.state.requested_data_envelope = "list"


def test_requested_data_size_limit(api):
    assert api("/dsf/tickets/requested-data", params={"size": 100}).status_code == 200
    assert api("/dsf/tickets/requested-data", params={"size": 101}).status_code == 400
    assert api("/dsf/tickets/requested-data", params={"page": 0}).status_code == 400


def test_requested_data_older_path_served(api):
    current = api("/dsf/tickets/requested-data").json()
    older = api("/support/dsf/tickets/requested-data").json()

    assert older == current


# Seed data


def test_seed_has_sixty_tickets_or_more():
    assert len(seed_tickets()) >= 60


def test_seed_is_deterministic():
    assert seed_tickets() == seed_tickets()


def test_seed_covers_every_status_and_stage():
    tickets = seed_tickets().values()

    assert {ticket["status"] for ticket in tickets} == set(STATUSES)
    assert len(STATUSES) == 28
    assert {ticket["stage"] for ticket in tickets} == set(STAGES)


def test_seed_covers_every_type_and_null():
    types = {ticket["type"] for ticket in seed_tickets().values()}

    assert types == {*TICKET_TYPES, None}


def test_seed_has_many_carriers_and_brands():
    tickets = seed_tickets().values()
    carriers = {ticket["carrier"] for ticket in tickets} - {None}
    brands = {ticket["brand_id"] for ticket in tickets} - {None}

    assert len(carriers) >= 8
    assert carriers <= set(CARRIERS)
    assert len(brands) >= 3


def test_seed_sets_each_optional_field_null_somewhere():
    tickets = seed_tickets().values()

    for name in (*OPTIONAL_FIELDS, "resolution"):
        assert any(ticket[name] is None for ticket in tickets), name
    assert all(
        seed_tickets()[ALL_OPTIONAL_NULL_TICKET_ID][name] is None for name in OPTIONAL_FIELDS
    )


def test_seed_requested_actions_vary():
    tickets = seed_tickets().values()
    counts = {len(ticket["requested_actions"]) for ticket in tickets}
    actions = [action for ticket in tickets for action in ticket["requested_actions"]]

    assert counts == {0, 1, 2, 3, 4, 5}
    assert {action["data_type"] for action in actions} == set(DATA_TYPES)
    assert len({action["id"] for action in actions}) == len(actions)


def test_seed_stages_fit_statuses():
    for ticket in seed_tickets().values():
        if ticket["stage"] == "action_required":
            assert ticket["requested_actions"], ticket["id"]
        if is_final(ticket):
            assert ticket["requested_actions"] == [], ticket["id"]
        if ticket["resolution"] is not None:
            assert ticket["stage"] in {"manually_solved_stage", "solved_by_automation_stage"}


def test_seed_resolutions_have_numeric_amounts():
    resolutions = [t["resolution"] for t in seed_tickets().values() if t["resolution"]]

    assert len(resolutions) >= 5
    for resolution in resolutions:
        assert set(resolution) == {"outcome", "amount", "currency", "solved_at"}
        assert isinstance(resolution["amount"], float | int)
        assert resolution["currency"] in {"EUR", "GBP", "USD"}


def test_seed_timestamps_precede_anchor():
    anchor = SEED_ANCHOR.isoformat()
    stamps = []
    for ticket in seed_tickets().values():
        stamps += [ticket["created_at"], ticket["updated_at"]]
        stamps += [action["created_at"] for action in ticket["requested_actions"]]
    stamps = [stamp for stamp in stamps if stamp is not None]

    assert all(stamp.replace("Z", "+00:00") < anchor for stamp in stamps)
    assert any(stamp.endswith("Z") for stamp in stamps)
    assert any(stamp.endswith("+00:00") for stamp in stamps)


def test_seed_anchor_43_needs_action():
    ticket = seed_tickets()[43]
    data_types = [action["data_type"] for action in ticket["requested_actions"]]

    assert ticket["stage"] == "action_required"
    assert ticket["status"] == "customer_documents_requested"
    assert len(data_types) >= 2
    assert "photo_of_damage" in data_types
    assert "sales_invoice" in data_types
    assert ticket["resolution"] is None


def test_seed_anchor_44_is_solved():
    ticket = seed_tickets()[44]

    assert ticket["status"] == "claim_paid"
    assert ticket["stage"] == "manually_solved_stage"
    assert ticket["resolution"]["outcome"] == "claim_approved"
    assert ticket["resolution"]["amount"] == 149.99
    assert ticket["resolution"]["currency"] == "EUR"
    assert ticket["resolution"]["solved_at"]


def test_seed_order_numbers_include_odd_ones():
    tickets = seed_tickets()
    shared = {tickets[ticket_id]["order_number"] for ticket_id in SHARED_ORDER_TICKET_IDS}
    holders = [t["id"] for t in tickets.values() if t["order_number"] in shared]

    assert "/" in tickets[SLASH_ORDER_TICKET_ID]["order_number"]
    assert len(shared) == 1
    assert holders == list(SHARED_ORDER_TICKET_IDS)


# Scenario


def test_ticket_45_changes_within_30_seconds(api, simulator):
    before = api("/dsf/tickets/45").json()

    simulator.state.clock.advance(30)
    after = api("/dsf/tickets/45").json()

    assert after["status"] != before["status"]
    assert after["updated_at"] == "2026-04-01T09:00:20+00:00"


def test_ticket_45_never_stays_final(simulator):
    state = simulator.state
    previous = state.get_ticket(45)

    for tick in range(60):
        advance_ticks(state, 1, start=tick)
        ticket = state.get_ticket(45)
        assert not is_final(ticket), tick
        assert ticket["updated_at"] != previous["updated_at"], tick
        previous = ticket


def test_ticket_45_requests_and_answers_documents(simulator):
    state = simulator.state
    seen_counts = set()

    for tick in range(22):
        advance_ticks(state, 1, start=tick)
        seen_counts.add(len(state.get_ticket(45)["requested_actions"]))

    assert {0, 1, 2} <= seen_counts


def test_scenario_requests_show_in_requested_data(api, simulator):
    advance_ticks(simulator.state, 2)
    ticket = api("/dsf/tickets/45").json()
    seed_ids = {a["id"] for t in seed_tickets().values() for a in t["requested_actions"]}

    body = api("/dsf/tickets/requested-data", params={"size": 100}).json()

    assert ticket["stage"] == "action_required"
    new_ids = {action["id"] for action in ticket["requested_actions"]}
    assert len(new_ids) == 2
    assert not new_ids & seed_ids
    assert new_ids <= {item["request_id"] for item in body["data"]}


def test_ticket_46_passes_through_paid_claim(simulator):
    state = simulator.state
    statuses = []

    for tick in range(12):
        advance_ticks(state, 1, start=tick)
        ticket = state.get_ticket(46)
        statuses.append(ticket["status"])
        if ticket["status"] == "claim_paid":
            assert ticket["resolution"]["outcome"] == "claim_approved"
        else:
            assert ticket["resolution"] is None

    assert statuses.count("claim_paid") == 2
    assert statuses[-1] != "claim_paid"


def test_anchors_do_not_move(api, simulator):
    seed = seed_tickets()

    simulator.state.clock.advance(6 * 3600)

    for ticket_id in (42, 43, 44):
        assert api(f"/dsf/tickets/{ticket_id}").json() == seed[ticket_id]


def test_frozen_scenario_keeps_45_still(simulator):
    state = simulator.state
    seed = seed_tickets()[45]

    state.scenario_enabled = False
    state.clock.advance(600)
    frozen = state.get_ticket(45)
    state.scenario_enabled = True
    thawed = state.get_ticket(45)

    assert frozen == seed
    assert thawed == seed


def test_scenario_skips_deleted_ticket(simulator):
    simulator.state.delete_ticket(45)

    simulator.state.clock.advance(120)

    assert simulator.state.get_ticket(45) is None
    assert simulator.state.get_ticket(46)["updated_at"].startswith("2026-04-01")


def test_clock_set_moves_scenario(simulator):
    state = simulator.state

    state.clock.set(SEED_ANCHOR + timedelta(seconds=45))

    assert state.get_ticket(45)["updated_at"] == "2026-04-01T09:00:45+00:00"


def test_real_time_clock_moves_alone():
    clock = ScenarioClock(SEED_ANCHOR, real_time=True)

    first = clock.now()
    second = clock.now()

    assert first >= SEED_ANCHOR
    assert second >= first


def test_fixed_clock_stays_put():
    clock = ScenarioClock(SEED_ANCHOR)

    clock.advance(90)

    assert clock.now() == SEED_ANCHOR + timedelta(seconds=90)
    assert clock.now() == SEED_ANCHOR + timedelta(seconds=90)


# Faults


def test_latency_delays_answer(api, simulator):
    simulator.state.inject(Latency(0.3))

    started = time.monotonic()
    response = api("/dsf/tickets/42")

    assert time.monotonic() - started >= 0.3
    assert response.json() == TICKET_42


def test_status_fault_sends_rate_limit(api, simulator):
    simulator.state.inject(rate_limited())

    response = api("/dsf/tickets/42")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == RATE_LIMIT_BODY


def test_bare_429_uses_support_body(api, simulator):
    simulator.state.inject(Status(429))

    response = api("/dsf/tickets/42")

    assert "Retry-After" not in response.headers
    assert error_item(response)["code"] == "hit_rate_limit"


def test_bare_503_uses_errors_envelope(api, simulator):
    simulator.state.inject(Status(503))

    response = api("/dsf/tickets/42")

    assert response.status_code == 503
    assert error_item(response)["status"] == 503


def test_status_fault_headers_replace_defaults(api, simulator):
    simulator.state.inject(Status(503, headers={"X-Request-Id": "req-abc-123"}))

    response = api("/dsf/tickets/42")

    assert response.headers["X-Request-Id"] == "req-abc-123"


def test_status_fault_sends_text_body(api, simulator):
    simulator.state.inject(Status(502, body="Bad gateway", content_type="text/plain"))

    response = api("/dsf/tickets/42")

    assert response.status_code == 502
    assert response.headers["Content-Type"] == "text/plain"
    assert response.text == "Bad gateway"


def test_html_fault_sends_login_page(api, simulator):
    simulator.state.inject(Html())

    response = api("/dsf/tickets/42")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<form" in response.text


def test_truncated_fault_cuts_body_in_half(api, simulator):
    complete = api("/dsf/tickets/42").content
    simulator.state.inject(Truncated())

    response = api("/dsf/tickets/42")

    assert response.status_code == 200
    assert response.content == complete[: len(complete) // 2]
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_wrong_shape_fault_sends_body(api, simulator):
    simulator.state.inject(WrongShape(["not", "a", "ticket"]))

    response = api("/dsf/tickets/42")

    assert response.status_code == 200
    assert response.json() == ["not", "a", "ticket"]


def test_redirect_fault_sends_location(api, simulator):
    simulator.state.inject(Redirect("http://127.0.0.1:9/elsewhere", status=301))

    response = api("/dsf/tickets/42", allow_redirects=False)

    assert response.status_code == 301
    assert response.headers["Location"] == "http://127.0.0.1:9/elsewhere"


def test_hang_times_out_client(api, simulator):
    simulator.state.inject(Hang(60), path="/dsf/tickets/42")

    with pytest.raises(requests.exceptions.ReadTimeout):
        api("/dsf/tickets/42", timeout=(1, 0.3))

    assert api("/dsf/tickets/43").status_code == 200


def test_hang_ends_when_faults_cleared(api, simulator):
    simulator.state.inject(Hang(60))
    results = []
    worker = threading.Thread(target=lambda: results.append(api("/dsf/tickets/42")))
    worker.start()
    deadline = time.monotonic() + TIMEOUT
    while simulator.state.count_requests() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)

    simulator.state.clear_faults()
    worker.join(TIMEOUT)

    assert not worker.is_alive()
    assert results[0].json() == TICKET_42


def test_trickle_cuts_body_short(api, simulator):
    simulator.state.inject(Trickle(interval=0.05, total_seconds=0.4))

    response = api("/dsf/tickets/42", timeout=(1, 0.3), stream=True)
    received = bytearray()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        read_body_into(response, received)

    assert response.status_code == 200
    assert 0 < len(received) < int(response.headers["Content-Length"])
    assert json.dumps(TICKET_42).encode().startswith(bytes(received))


def test_reset_fault_breaks_connection(api, simulator):
    simulator.state.inject(Reset())

    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        api("/dsf/tickets/42")

    assert "reset" in str(caught.value).lower()
    assert simulator.state.requests[0].status is None


def test_fault_with_times_expires(api, simulator):
    simulator.state.inject(Status(503), times=2)

    statuses = [api("/dsf/tickets/42").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_fault_times_must_be_positive(simulator):
    with pytest.raises(ValueError, match="times"):
        simulator.state.inject(Status(503), times=0)


def test_fault_path_prefix_matches_segments(api, simulator):
    simulator.state.inject(Status(503), path="/dsf/tickets/4")
    simulator.state.inject(Status(500), path="/dsf/tickets/43")

    assert api("/dsf/tickets/42").status_code == 200
    assert api("/dsf/tickets/43").status_code == 500
    assert api("/dsf/tickets").status_code == 200


def test_fault_on_list_path_covers_children(api, simulator):
    simulator.state.inject(Status(503), path="/dsf/tickets")

    assert api("/dsf/tickets").status_code == 503
    assert api("/dsf/tickets/42").status_code == 503
    assert api("/dsf/tickets/requested-data").status_code == 503


def test_first_injected_fault_wins(api, simulator):
    simulator.state.inject(Status(502), times=1)
    simulator.state.inject(Status(504))

    assert api("/dsf/tickets/42").status_code == 502
    assert api("/dsf/tickets/42").status_code == 504


def test_fault_applies_before_auth(api, simulator):
    simulator.state.inject(Status(503))

    assert api("/dsf/tickets/42", auth=None).status_code == 503


def test_clear_faults_restores_responses(api, simulator):
    simulator.state.inject(Status(503))

    simulator.state.clear_faults()

    assert api("/dsf/tickets/42").status_code == 200


# Request log


def test_requests_are_recorded(api, simulator):
    api("/dsf/tickets", params={"page": 2, "size": 5})
    api("/dsf/tickets/42", auth=None)

    first, second = simulator.state.requests
    assert (first.method, first.path, first.query_string, first.status) == (
        "GET",
        "/dsf/tickets",
        "page=2&size=5",
        200,
    )
    assert (second.path, second.status) == ("/dsf/tickets/42", 401)


def test_count_requests_by_path_prefix(api, simulator):
    simulator.state.inject(Status(500), path="/dsf/tickets/43", times=1)
    api("/dsf/tickets/42")
    api("/dsf/tickets/42")
    api("/dsf/tickets/43")
    api("/dsf/tickets")

    assert simulator.state.count_requests() == 4
    assert simulator.state.count_requests("/dsf/tickets/42") == 2
    assert simulator.state.count_requests("/dsf/tickets/43") == 1
    assert simulator.state.count_requests("/dsf/tickets") == 4
    assert simulator.state.count_requests("/dsf/tickets/4") == 0


# Server and command line


def test_server_rejects_non_loopback_host():
    state = SimulatorState("public", "secret")

    with pytest.raises(ValueError, match="loopback"):
        SimulatorServer(state, host="0.0.0.0")  # noqa: S104 (the address under test)


def test_server_stops_during_hang():
    state = SimulatorState("public", "secret")
    state.inject(Hang(60))
    errors = []
    server = SimulatorServer(state).start()

    def fetch() -> None:
        try:
            requests.get(server.url + "/dsf/tickets/42", auth=("public", "secret"), timeout=10)
        except requests.exceptions.ConnectionError as error:
            errors.append(error)

    worker = threading.Thread(target=fetch)
    worker.start()
    deadline = time.monotonic() + TIMEOUT
    while state.count_requests() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop()
    worker.join(TIMEOUT)

    assert not worker.is_alive()
    assert len(errors) == 1


def test_command_prints_url_and_stops():
    environment = {
        **os.environ,
        "SIMULATOR_PUBLIC_KEY": "cli-public",
        "SIMULATOR_SECRET_KEY": "cli-secret",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tickets.sendcloud.simulator", "--port", "0"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        url = line.removeprefix("SIMULATOR_URL=")
        response = requests.get(
            url + "/dsf/tickets/42", auth=("cli-public", "cli-secret"), timeout=5
        )
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=TIMEOUT)

    assert line.startswith("SIMULATOR_URL=http://127.0.0.1:")
    assert url.endswith("/api/v3")
    assert response.json() == TICKET_42
    assert process.returncode == 0
    assert stdout == ""
    assert "cli-secret" not in stderr


def test_command_requires_keys():
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("SIMULATOR_")
    }

    result = subprocess.run(
        [sys.executable, "-m", "tickets.sendcloud.simulator", "--public-key", "public"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    assert result.returncode == 2
    assert "SIMULATOR_SECRET_KEY" in result.stderr
    assert result.stdout == ""


def test_random_faults_hit_about_their_share(simulator):
    simulator.state.fail_randomly(0.5, [Status(500)], path="/dsf/tickets/42", seed=1)

    statuses = [
        requests.get(
            simulator.url + "/dsf/tickets/42", auth=simulator.auth, timeout=TIMEOUT
        ).status_code
        for _ in range(40)
    ]
    other = requests.get(simulator.url + "/dsf/tickets/43", auth=simulator.auth, timeout=TIMEOUT)
    simulator.state.clear_faults()
    cleared = requests.get(simulator.url + "/dsf/tickets/42", auth=simulator.auth, timeout=TIMEOUT)

    assert set(statuses) == {200, 500}
    assert 10 <= statuses.count(500) <= 30
    assert other.status_code == 200
    assert cleared.status_code == 200


def test_shifted_seed_keeps_ticket_42_and_moves_others():
    original = seed_tickets()
    shifted = shift_seed(original, timedelta(days=200))

    assert shifted[42] == original[42]
    assert newest_timestamp(shifted) == newest_timestamp(original) + timedelta(days=200)
    first_action = original[43]["requested_actions"][0]["created_at"]
    moved_action = shifted[43]["requested_actions"][0]["created_at"]
    assert moved_action != first_action
    assert shifted[43]["status"] == original[43]["status"]


def test_request_log_drops_oldest_half_when_full(monkeypatch):
    monkeypatch.setattr("tickets.sendcloud.simulator.state.MAX_LOGGED_REQUESTS", 10)
    state = SimulatorState("public", "secret")

    for number in range(11):
        state.record_request("GET", f"/dsf/tickets/{number}", "")

    assert len(state.requests) == 6
    assert state.requests[0].path == "/dsf/tickets/5"
