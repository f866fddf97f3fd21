"""The Sendcloud client against the simulator over real HTTP on loopback."""

import base64
import email.utils
import json
import logging
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tickets.sendcloud import client as client_module
from tickets.sendcloud.client import SendcloudClient, get_client, reset_client
from tickets.sendcloud.errors import (
    AccessDenied,
    ConfigurationError,
    CredentialsRejected,
    InvalidResponse,
    RateLimited,
    SendcloudError,
    TicketNotFound,
    Unavailable,
)
from tickets.sendcloud.simulator import (
    Hang,
    Html,
    Redirect,
    Reset,
    Status,
    Trickle,
    Truncated,
    WrongShape,
)

# The autouse cache fixture of tests/dashboard_fixtures.py clears the database cache.
pytestmark = pytest.mark.django_db

TICKET_PATH = "/dsf/tickets/42"
NOT_FOUND_BODY = {"errors": [{"code": "not_found", "title": "Not Found", "detail": "Not found"}]}


@pytest.fixture
def sendcloud_client(simulator):
    sendcloud = SendcloudClient(
        simulator.url,
        simulator.public_key,
        simulator.secret_key,
        connect_timeout=1.0,
        read_timeout=2.0,
        deadline=2.0,
    )
    yield sendcloud
    sendcloud.close()


@pytest.fixture
def short_deadline_client(simulator):
    sendcloud = SendcloudClient(
        simulator.url,
        simulator.public_key,
        simulator.secret_key,
        connect_timeout=0.5,
        read_timeout=5.0,
        deadline=1.0,
    )
    yield sendcloud
    sendcloud.close()


@pytest.fixture
def recording_server():
    """Serve a valid ticket on loopback and record the headers of every request."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            received.append({"path": self.path, "headers": dict(self.headers)})
            body = json.dumps(ticket_json(id=42)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()
    thread.join()


def ticket_json(**overrides) -> dict:
    ticket = {
        "id": 900,
        "status": "pending",
        "stage": "in_progress",
        "type": "damaged",
        "parcel_id": 12345,
        "carrier": "postnl",
        "order_number": "ORD-900",
        "brand_id": 3,
        "created_at": "2026-03-15T10:30:00+00:00",
        "updated_at": "2026-03-18T14:22:00+00:00",
        "requested_actions": [],
        "resolution": None,
    }
    ticket.update(overrides)
    return ticket


def http_date_in(seconds: float) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def secret_forms(simulator) -> list[str]:
    token = f"{simulator.public_key}:{simulator.secret_key}".encode()
    return [simulator.public_key, simulator.secret_key, base64.b64encode(token).decode()]


# Endpoints


def test_get_ticket_reads_documented_example(sendcloud_client):
    ticket = sendcloud_client.get_ticket(42)

    assert ticket.id == 42
    assert ticket.status == "pending"
    assert ticket.stage == "in_progress"
    assert ticket.type == "damaged"
    assert ticket.parcel_id == 98765
    assert ticket.carrier == "postnl"
    assert ticket.order_number == "ORD-2026-1234"
    assert ticket.brand_id == 3
    assert ticket.created_at == datetime(2026, 3, 15, 10, 30, tzinfo=UTC)
    assert ticket.updated_at == datetime(2026, 3, 18, 14, 22, tzinfo=UTC)
    assert ticket.resolution is None
    assert [action.data_type for action in ticket.requested_actions] == ["sales_invoice"]
    assert ticket.requested_actions[0].id == 301
    assert ticket.requested_actions[0].created_at == datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def test_get_ticket_reads_resolution(sendcloud_client):
    resolution = sendcloud_client.get_ticket(44).resolution

    assert resolution is not None
    assert resolution.outcome == "claim_approved"
    assert resolution.amount == Decimal("149.99")
    assert resolution.currency == "EUR"
    assert resolution.solved_at == datetime(2026, 2, 20, 16, 45, tzinfo=UTC)


def test_get_ticket_rejects_non_integer_id(sendcloud_client):
    with pytest.raises(ValueError, match="ticket_id"):
        sendcloud_client.get_ticket("42")
    with pytest.raises(ValueError, match="ticket_id"):
        sendcloud_client.get_ticket(True)


def test_list_tickets_reads_envelope(sendcloud_client, simulator):
    page = sendcloud_client.list_tickets(page=2, size=5)

    assert page.page == 2
    assert page.size == 5
    assert len(page.items) == 5
    assert page.total >= 60
    assert page.pages == -(-page.total // 5)
    assert all(ticket.id for ticket in page.items)
    assert simulator.state.count_requests("/dsf/tickets") == 1


def test_list_tickets_default_page(sendcloud_client):
    page = sendcloud_client.list_tickets()

    assert page.page == 1
    assert page.size == 20
    assert len(page.items) == 20


@pytest.mark.parametrize(
    ("page", "size"), [(1, 0), (1, 21), (0, 20), (1, "20"), (True, 20)], ids=str
)
def test_list_tickets_rejects_bad_paging(sendcloud_client, simulator, page, size):
    with pytest.raises(ValueError, match="page|size"):
        sendcloud_client.list_tickets(page=page, size=size)

    assert simulator.state.count_requests() == 0


@pytest.mark.parametrize("envelope", ["data", "paged"])
def test_list_requested_data_reads_both_envelopes(sendcloud_client, simulator, envelope):
    simulator.state.requested_data_envelope = envelope

    page = sendcloud_client.list_requested_data(page=1, size=100)

    assert page.items
    assert all(item.request_id and item.title and item.data_type for item in page.items)
    assert all(item.created_at.tzinfo is not None for item in page.items)
    if envelope == "paged":
        assert page.page == 1
        assert page.total is not None
    else:
        assert page.page is None
        assert page.total is None


@pytest.mark.parametrize("size", [0, 101])
def test_list_requested_data_rejects_bad_size(sendcloud_client, size):
    with pytest.raises(ValueError, match="size"):
        sendcloud_client.list_requested_data(size=size)


def test_requests_carry_auth_and_identity(recording_server):
    url, received = recording_server
    sendcloud = SendcloudClient(url + "/api/v3/", "public-key", "secret-key")

    sendcloud.get_ticket(42)

    headers = received[0]["headers"]
    expected_token = base64.b64encode(b"public-key:secret-key").decode()
    assert received[0]["path"] == "/api/v3/dsf/tickets/42"
    assert headers["Authorization"] == f"Basic {expected_token}"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("sendcloud-ticket-dashboard/")
    assert "python-requests/" in headers["User-Agent"]


# Errors


ERROR_CASES = [
    pytest.param(Status(403), AccessDenied, 403, "Support API", id="403"),
    pytest.param(Status(404, body=NOT_FOUND_BODY), TicketNotFound, 404, "no such ticket", id="404"),
    pytest.param(Status(500), Unavailable, 500, "failed with 500", id="500"),
    pytest.param(Html(status=502), Unavailable, 502, "failed with 502", id="502-html"),
    pytest.param(Status(503), Unavailable, 503, "failed with 503", id="503"),
    pytest.param(Status(504), Unavailable, 504, "failed with 504", id="504"),
    pytest.param(Html(), Unavailable, 200, "text/html instead of JSON", id="html-200"),
    pytest.param(Truncated(), Unavailable, 200, "unreadable JSON", id="truncated-json"),
    pytest.param(
        WrongShape(["not", "a", "ticket"]), InvalidResponse, 200, "JSON object", id="list"
    ),
    pytest.param(WrongShape({"id": 42}), InvalidResponse, 200, "'status'", id="missing-field"),
    pytest.param(Status(418), InvalidResponse, 418, "unexpected status 418", id="418"),
    pytest.param(Status(400), InvalidResponse, 400, "unexpected status 400", id="400"),
    pytest.param(Reset(), Unavailable, None, "connection reset", id="reset"),
]


@pytest.mark.parametrize(("fault", "error_class", "status", "message"), ERROR_CASES)
def test_fault_raises_matching_error(
    sendcloud_client, simulator, fault, error_class, status, message
):
    simulator.state.inject(fault, path=TICKET_PATH)

    with pytest.raises(error_class) as caught:
        sendcloud_client.get_ticket(42)

    assert caught.value.status == status
    assert caught.value.path == TICKET_PATH
    assert message in str(caught.value)
    assert f"path={TICKET_PATH}" in str(caught.value)
    for secret in secret_forms(simulator):
        assert secret not in str(caught.value)
        assert secret not in repr(caught.value)


@pytest.mark.parametrize(
    ("retry_after", "expected_low", "expected_high"),
    [
        pytest.param(lambda: "7", 7, 7, id="seconds"),
        pytest.param(lambda: http_date_in(30), 20, 30, id="http-date"),
        pytest.param(lambda: http_date_in(-30), 0, 0, id="past-date"),
    ],
)
def test_rate_limit_reads_retry_after(
    sendcloud_client, simulator, retry_after, expected_low, expected_high
):
    headers = {"Retry-After": retry_after()}
    simulator.state.inject(Status(429, headers=headers), path=TICKET_PATH)

    with pytest.raises(RateLimited) as caught:
        sendcloud_client.get_ticket(42)

    assert caught.value.status == 429
    assert expected_low <= caught.value.retry_after <= expected_high
    assert simulator.state.count_requests() == 1


@pytest.mark.parametrize("headers", [None, {"Retry-After": "soon"}], ids=["absent", "junk"])
def test_rate_limit_without_usable_retry_after(sendcloud_client, simulator, headers):
    simulator.state.inject(Status(429, headers=headers), path=TICKET_PATH)

    with pytest.raises(RateLimited) as caught:
        sendcloud_client.get_ticket(42)

    assert caught.value.retry_after is None
    assert "no wait given" in str(caught.value)
    assert simulator.state.count_requests() == 1


def test_rate_limit_message_summarises_body(sendcloud_client, simulator):
    body = {
        "errors": [
            {
                "code": "hit_rate_limit",
                "detail": "Rate limit exceeded: 30 per 1 minute",
                "title": "Rate limit exceeded",
                "status": 429,
            }
        ]
    }
    simulator.state.inject(Status(429, body=body), path=TICKET_PATH)

    with pytest.raises(RateLimited) as caught:
        sendcloud_client.get_ticket(42)

    expected = "Rate limit exceeded (hit_rate_limit, status 429): Rate limit exceeded: 30 per"
    assert expected in str(caught.value)


@pytest.mark.parametrize("status", [404, "404"], ids=["int", "string"])
def test_error_body_status_as_int_or_string(sendcloud_client, simulator, status):
    body = {"errors": [{"code": "not_found", "title": "Not Found", "status": status}]}
    simulator.state.inject(Status(404, body=body), path=TICKET_PATH)

    with pytest.raises(TicketNotFound) as caught:
        sendcloud_client.get_ticket(42)

    assert "Not Found (not_found, status 404)" in str(caught.value)


def test_unknown_ticket_raises_not_found(sendcloud_client):
    with pytest.raises(TicketNotFound) as caught:
        sendcloud_client.get_ticket(999_999)

    assert caught.value.status == 404
    assert caught.value.path == "/dsf/tickets/999999"


def test_not_found_on_list_is_invalid_response(sendcloud_client, simulator):
    simulator.state.inject(Status(404), path="/dsf/tickets")

    with pytest.raises(InvalidResponse) as caught:
        sendcloud_client.list_tickets()

    assert not isinstance(caught.value, TicketNotFound)
    assert "SENDCLOUD_API_URL" in str(caught.value)


def test_error_message_names_request_id(sendcloud_client, simulator):
    simulator.state.inject(Status(503, headers={"X-Request-Id": "req-abc-123"}), path=TICKET_PATH)

    with pytest.raises(Unavailable) as caught:
        sendcloud_client.get_ticket(42)

    assert "req-abc-123" in str(caught.value)


@pytest.mark.parametrize("wrong", ["public", "secret"])
def test_wrong_keys_raise_credentials_rejected(simulator, wrong):
    public_key = "wrong-public" if wrong == "public" else simulator.public_key
    secret_key = "wrong-secret" if wrong == "secret" else simulator.secret_key
    sendcloud = SendcloudClient(simulator.url, public_key, secret_key)

    with pytest.raises(CredentialsRejected) as caught:
        sendcloud.get_ticket(42)

    assert caught.value.status == 401
    assert "rejected the API keys" in str(caught.value)
    assert secret_key not in str(caught.value)
    assert public_key not in str(caught.value)


def test_error_body_echoing_keys_is_redacted(sendcloud_client, simulator):
    echo = f"bad auth {simulator.public_key}:{simulator.secret_key} {secret_forms(simulator)[2]}"
    simulator.state.inject(Status(500, body=echo, content_type="text/plain"), path=TICKET_PATH)

    with pytest.raises(Unavailable) as caught:
        sendcloud_client.get_ticket(42)

    assert "[redacted]" in str(caught.value)
    for secret in secret_forms(simulator):
        assert secret not in str(caught.value)


def test_error_excerpt_is_short_and_clean(sendcloud_client, simulator):
    body = "Gateway\x00 failure \x1b[31m" + "x" * 1000
    simulator.state.inject(Status(500, body=body, content_type="text/plain"), path=TICKET_PATH)

    with pytest.raises(Unavailable) as caught:
        sendcloud_client.get_ticket(42)

    assert "\x00" not in caught.value.message
    assert "\x1b" not in caught.value.message
    assert "Gateway failure" in caught.value.message
    assert len(caught.value.message) < 400


def test_hang_times_out_within_deadline(short_deadline_client, simulator):
    simulator.state.inject(Hang(10), path=TICKET_PATH)

    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        short_deadline_client.get_ticket(42)
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert "did not respond within 1 s" in str(caught.value)
    assert simulator.state.count_requests(TICKET_PATH) == 1


def test_trickle_stops_at_deadline(short_deadline_client, simulator):
    simulator.state.inject(Trickle(interval=0.2, total_seconds=10), path=TICKET_PATH)

    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        short_deadline_client.get_ticket(42)
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert "deadline" in str(caught.value)
    assert caught.value.status == 200


def test_stalled_body_stops_at_deadline(short_deadline_client, simulator):
    simulator.state.inject(Trickle(interval=4, total_seconds=8), path=TICKET_PATH)

    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        short_deadline_client.get_ticket(42)
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert caught.value.status == 200


def test_connection_refused_raises_unavailable():
    sendcloud = SendcloudClient(f"http://127.0.0.1:{closed_port()}/api/v3", "public", "secret")

    with pytest.raises(Unavailable) as caught:
        sendcloud.get_ticket(42)

    assert "connection refused" in str(caught.value)
    assert caught.value.status is None


def test_redirect_is_not_followed(sendcloud_client, simulator, recording_server):
    target, received = recording_server
    simulator.state.inject(Redirect(target + "/api/v3/dsf/tickets/42"), path=TICKET_PATH)

    with pytest.raises(ConfigurationError) as caught:
        sendcloud_client.get_ticket(42)

    assert caught.value.status == 302
    assert "redirects to 127.0.0.1" in str(caught.value)
    assert "credentials were not sent" in str(caught.value)
    assert received == []


def test_oversized_body_raises_invalid_response(sendcloud_client, simulator):
    body = {"errors": [], "padding": "x" * (client_module.MAX_BODY_BYTES + 1)}
    simulator.state.inject(Status(200, body=body), path=TICKET_PATH)

    with pytest.raises(InvalidResponse, match="limit"):
        sendcloud_client.get_ticket(42)


# Retries


@pytest.mark.parametrize(
    "fault", [Reset(), Status(502), Status(503), Status(504)], ids=["reset", "502", "503", "504"]
)
def test_one_quick_retry_recovers(sendcloud_client, simulator, fault):
    simulator.state.inject(fault, path=TICKET_PATH, times=1)

    ticket = sendcloud_client.get_ticket(42)

    assert ticket.id == 42
    assert simulator.state.count_requests(TICKET_PATH) == 2


@pytest.mark.parametrize("fault", [Reset(), Status(503)], ids=["reset", "503"])
def test_retry_happens_only_once(sendcloud_client, simulator, fault):
    simulator.state.inject(fault, path=TICKET_PATH)

    with pytest.raises(Unavailable):
        sendcloud_client.get_ticket(42)

    assert simulator.state.count_requests(TICKET_PATH) == 2


@pytest.mark.parametrize(
    "fault",
    [
        Status(503, headers={"Retry-After": "30"}),
        Status(500),
        Status(429),
        Truncated(),
        Html(),
    ],
    ids=["503-retry-after", "500", "429", "truncated", "html"],
)
def test_no_retry_for_other_failures(sendcloud_client, simulator, fault):
    simulator.state.inject(fault, path=TICKET_PATH, times=1)

    with pytest.raises(SendcloudError):
        sendcloud_client.get_ticket(42)

    assert simulator.state.count_requests(TICKET_PATH) == 1


def test_retry_is_logged(sendcloud_client, simulator, caplog):
    simulator.state.inject(Status(503), path=TICKET_PATH, times=1)

    with caplog.at_level(logging.DEBUG, logger="tickets.sendcloud.client"):
        sendcloud_client.get_ticket(42)

    retries = [record for record in caplog.records if record.levelno == logging.INFO]
    calls = [record.getMessage() for record in caplog.records if record.levelno == logging.DEBUG]
    assert len(retries) == 1
    assert "Retrying GET /dsf/tickets/42" in retries[0].getMessage()
    assert calls[0].startswith("GET /dsf/tickets/42 -> 503 in ")
    assert calls[1].startswith("GET /dsf/tickets/42 -> 200 in ")
    for record in caplog.records:
        for secret in secret_forms(simulator):
            assert secret not in record.getMessage()


# Tolerant reading


def test_reads_both_utc_offsets(sendcloud_client, simulator):
    simulator.state.put_ticket(
        ticket_json(
            created_at="2026-03-15T10:30:00Z",
            updated_at="2026-03-15T12:30:00+02:00",
            requested_actions=[
                {"id": 1, "data_type": "other", "created_at": "2026-03-16T09:00:00Z"}
            ],
        )
    )

    ticket = sendcloud_client.get_ticket(900)

    assert ticket.created_at == datetime(2026, 3, 15, 10, 30, tzinfo=UTC)
    assert ticket.updated_at == datetime(2026, 3, 15, 10, 30, tzinfo=UTC)
    assert ticket.updated_at.utcoffset() == timedelta(0)
    assert ticket.requested_actions[0].created_at == datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def test_reads_naive_timestamp_as_utc(sendcloud_client, simulator):
    simulator.state.put_ticket(ticket_json(created_at="2026-03-15T10:30:00"))

    assert sendcloud_client.get_ticket(900).created_at == datetime(2026, 3, 15, 10, 30, tzinfo=UTC)


def test_keeps_unknown_enum_values(sendcloud_client, simulator):
    simulator.state.put_ticket(
        ticket_json(
            status="brand_new_status",
            stage="brand_new_stage",
            type="brand_new_type",
            requested_actions=[
                {"id": 5, "data_type": "brand_new_document", "created_at": "2026-03-16T09:00:00Z"}
            ],
        )
    )

    ticket = sendcloud_client.get_ticket(900)

    assert ticket.status == "brand_new_status"
    assert ticket.stage == "brand_new_stage"
    assert ticket.type == "brand_new_type"
    assert ticket.requested_actions[0].data_type == "brand_new_document"


def test_ignores_extra_fields(sendcloud_client, simulator):
    ticket = ticket_json(surprise={"nested": [1, 2]}, priority="high")
    ticket["resolution"] = {"outcome": "claim_approved", "reviewer": "someone"}
    simulator.state.put_ticket(ticket)

    result = sendcloud_client.get_ticket(900)

    assert result.id == 900
    assert result.resolution.outcome == "claim_approved"


OPTIONAL_FIELDS = ["type", "parcel_id", "carrier", "order_number", "brand_id", "updated_at"]


def test_accepts_null_in_every_optional_field(sendcloud_client, simulator):
    nulls = dict.fromkeys([*OPTIONAL_FIELDS, "resolution"])
    simulator.state.put_ticket(ticket_json(**nulls))

    ticket = sendcloud_client.get_ticket(900)

    for name in [*OPTIONAL_FIELDS, "resolution"]:
        assert getattr(ticket, name) is None, name


def test_accepts_missing_optional_fields(sendcloud_client, simulator):
    ticket = ticket_json()
    for name in [*OPTIONAL_FIELDS, "resolution"]:
        del ticket[name]
    simulator.state.put_ticket(ticket)

    result = sendcloud_client.get_ticket(900)

    for name in [*OPTIONAL_FIELDS, "resolution"]:
        assert getattr(result, name) is None, name


@pytest.mark.parametrize(
    ("resolution", "expected_amount"),
    [
        ({"amount": 149.99}, Decimal("149.99")),
        ({"amount": "149.99"}, Decimal("149.99")),
        ({"amount": 150}, Decimal("150")),
        ({"amount": None, "outcome": None, "currency": None, "solved_at": None}, None),
        ({}, None),
    ],
    ids=["number", "string", "integer", "nulls", "empty"],
)
def test_reads_resolution_leniently(sendcloud_client, simulator, resolution, expected_amount):
    simulator.state.put_ticket(ticket_json(resolution=resolution))

    result = sendcloud_client.get_ticket(900).resolution

    assert result is not None
    assert result.amount == expected_amount


def test_strips_trailing_comma_from_data_type(sendcloud_client, simulator):
    action = {"id": 7, "data_type": "sales_invoice,", "created_at": "2026-03-16T09:00:00Z"}
    simulator.state.put_ticket(ticket_json(requested_actions=[action]))

    assert sendcloud_client.get_ticket(900).requested_actions[0].data_type == "sales_invoice"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"id": True}, "id", id="boolean-id"),
        pytest.param({"id": "900"}, "id", id="string-id"),
        pytest.param({"status": None}, "status", id="null-status"),
        pytest.param({"stage": 3}, "stage", id="numeric-stage"),
        pytest.param({"created_at": "yesterday"}, "created_at", id="bad-timestamp"),
        pytest.param({"requested_actions": None}, "requested_actions", id="null-actions"),
        pytest.param({"requested_actions": {}}, "requested_actions", id="object-actions"),
        pytest.param({"parcel_id": False}, "parcel_id", id="boolean-parcel-id"),
        pytest.param({"resolution": {"amount": "lots"}}, "resolution.amount", id="bad-amount"),
        pytest.param({"resolution": {"amount": True}}, "resolution.amount", id="boolean-amount"),
        pytest.param({"resolution": "paid"}, "resolution", id="string-resolution"),
        pytest.param(
            {"requested_actions": [{"id": 1, "data_type": "other"}]},
            "created_at",
            id="action-without-time",
        ),
    ],
)
def test_invalid_field_raises_naming_field(sendcloud_client, simulator, overrides, field):
    simulator.state.put_ticket(ticket_json(**overrides), ticket_id=900)

    with pytest.raises(InvalidResponse) as caught:
        sendcloud_client.get_ticket(900)

    assert field in str(caught.value)
    assert caught.value.path == "/dsf/tickets/900"
    assert "ORD-900" not in str(caught.value)


def test_ticket_with_other_id_is_rejected(sendcloud_client, simulator):
    simulator.state.put_ticket(ticket_json(id=901), ticket_id=900)

    with pytest.raises(InvalidResponse, match="returned ticket 901"):
        sendcloud_client.get_ticket(900)


# Settings


@pytest.fixture
def sendcloud_settings(settings, simulator):
    settings.SENDCLOUD_API_URL = simulator.url
    settings.SENDCLOUD_PUBLIC_KEY = simulator.public_key
    settings.SENDCLOUD_SECRET_KEY = simulator.secret_key
    settings.SENDCLOUD_DEADLINE = 4.0
    reset_client()
    yield settings
    reset_client()


def test_get_client_is_cached(sendcloud_settings):
    first = get_client()

    assert get_client() is first
    assert first.deadline == 4.0
    assert first.get_ticket(42).id == 42


def test_get_client_follows_setting_change(sendcloud_settings):
    first = get_client()

    sendcloud_settings.SENDCLOUD_DEADLINE = 3.0

    second = get_client()
    assert second is not first
    assert second.deadline == 3.0


def test_reset_client_builds_new_client(sendcloud_settings):
    first = get_client()

    reset_client()

    assert get_client() is not first


def test_get_client_requires_both_keys(sendcloud_settings):
    sendcloud_settings.SENDCLOUD_SECRET_KEY = ""

    with pytest.raises(ConfigurationError, match="SENDCLOUD_SECRET_KEY"):
        get_client()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SENDCLOUD_DEADLINE", 0),
        ("SENDCLOUD_READ_TIMEOUT", "10"),
        ("SENDCLOUD_POOL_SIZE", 2.5),
        ("SENDCLOUD_API_URL", "ftp://127.0.0.1/api/v3"),
    ],
)
def test_get_client_rejects_bad_setting(sendcloud_settings, name, value):
    setattr(sendcloud_settings, name, value)

    with pytest.raises(ConfigurationError, match=name):
        get_client()
