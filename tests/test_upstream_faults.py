"""The fault matrix: every way Sendcloud can fail, against the ticket page and its poll.

Each case starts a fault, then checks, for the full page and for the poll:

- with nothing known about the ticket: the status code and the message shown;
- with the ticket shown before: the message, and that the last known data stays on the page;
- that every answer comes within the client's total deadline, with a margin for rendering;
- that the failure is logged at warning level with the ticket id, and no secret is logged;
- that polling recovers once the fault ends.
"""

import email.utils
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from tickets import services
from tickets.sendcloud.simulator import (
    Hang,
    Html,
    Latency,
    Redirect,
    Reset,
    Status,
    Trickle,
    Truncated,
    WrongShape,
    rate_limited,
)

pytestmark = pytest.mark.django_db

TICKET_ID = 43
TICKET_PATH = f"/dsf/tickets/{TICKET_ID}"
# Shown on ticket 43's page while its data is on it.
KEPT_DATA = "Sales invoice requested"
HTMX = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/tickets/{TICKET_ID}/"}

CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
DEADLINE = 1.5
# Time allowed beyond the client's deadline for the dashboard's own work: waiting out a
# back-off that ends within a second, rendering, and the test client.
ANSWER_MARGIN = 1.5
RECOVERY_SECONDS = 8.0


# Servers that misbehave below HTTP


class SilentServer:
    """Accept TCP connections on loopback, count them, and never send a byte."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _address = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(connection)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        for connection in self.connections:
            connection.close()
        self._socket.close()


class FullBacklogServer:
    """Listen on loopback without ever accepting, with the backlog already full.

    The kernel then drops further connection attempts, so a client's connect times out.
    """

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(0)
        self.port = self._socket.getsockname()[1]
        self._fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self._fillers.append(filler)

    def stop(self) -> None:
        for filler in self._fillers:
            filler.close()
        self._socket.close()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def full_backlog_server() -> Iterator[FullBacklogServer]:
    server = FullBacklogServer()
    yield server
    server.stop()


@dataclass
class Upstream:
    """Starts and ends faults: injected into the simulator, or by pointing the client away."""

    simulator: object
    settings: object
    silent: SilentServer
    full_backlog: FullBacklogServer
    notes: dict = field(default_factory=dict)

    def inject(self, fault) -> None:
        self.simulator.state.inject(fault, path=TICKET_PATH)

    def point_at(self, base_url: str) -> None:
        self.settings.SENDCLOUD_API_URL = base_url

    def end(self) -> None:
        self.simulator.state.clear_faults()
        if self.settings.SENDCLOUD_API_URL != self.simulator.url:
            self.settings.SENDCLOUD_API_URL = self.simulator.url


@pytest.fixture
def upstream(sendcloud, settings, silent_server, full_backlog_server) -> Upstream:
    settings.SENDCLOUD_CONNECT_TIMEOUT = CONNECT_TIMEOUT
    settings.SENDCLOUD_READ_TIMEOUT = READ_TIMEOUT
    settings.SENDCLOUD_DEADLINE = DEADLINE
    settings.SENDCLOUD_RATE_LIMIT_BACKOFF_SECONDS = 1.0
    # Failures logged by an earlier test must not hide this test's first warning.
    services._warnings.forget(TICKET_ID)
    return Upstream(sendcloud, settings, silent_server, full_backlog_server)


# The cases


def http_date_in(seconds: float) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return email.utils.format_datetime(moment, usegmt=True)


def unknown_values(upstream: Upstream) -> None:
    ticket = upstream.simulator.state.get_ticket(TICKET_ID)
    ticket.update(
        status="brand_new_status",
        stage="new_stage",
        carrier="mystery_post",
        type=None,
        parcel_id=None,
        brand_id=None,
        updated_at=None,
        surprise={"nested": [1, 2, 3]},
    )
    upstream.simulator.state.put_ticket(ticket)


def redirect_elsewhere(upstream: Upstream) -> None:
    # "localhost" is another host name than the simulator's 127.0.0.1.
    target = f"http://localhost:{upstream.silent.port}/api/v3{TICKET_PATH}"
    upstream.notes["connections_before"] = len(upstream.silent.connections)
    upstream.inject(Redirect(target))


def redirect_not_followed(upstream: Upstream) -> None:
    assert len(upstream.silent.connections) == upstream.notes["connections_before"]


@dataclass(frozen=True)
class Case:
    """A fault and what the ticket page and its poll must show while it lasts.

    `status` is the full page's status with nothing known. `words` appear in the page and in
    the poll, unless `poll_words` differs. `keeps_data` is whether a page with data stays 200
    with that data, and `banner` whether the response carries the failure banner. `log_level` is
    the level of the log line about the ticket, or None for no line.
    """

    start: Callable[[Upstream], None]
    status: int
    words: str
    poll_words: str | None = None
    keeps_data: bool = True
    banner: bool = True
    check: Callable[[Upstream], None] | None = None
    log_level: int | None = logging.WARNING


CASES = {
    "connection-refused": Case(
        lambda up: up.point_at(f"http://127.0.0.1:{unused_port()}/api/v3"),
        503,
        "Sendcloud cannot be reached.",
    ),
    "connect-timeout": Case(
        lambda up: up.point_at(f"http://127.0.0.1:{up.full_backlog.port}/api/v3"),
        503,
        "Sendcloud cannot be reached.",
    ),
    "read-timeout": Case(
        lambda up: up.inject(Latency(seconds=READ_TIMEOUT + 3)),
        503,
        "Sendcloud did not answer in time.",
    ),
    "accepts-never-answers": Case(
        lambda up: up.point_at(f"http://127.0.0.1:{up.silent.port}/api/v3"),
        503,
        "Sendcloud did not answer in time.",
    ),
    "hang": Case(lambda up: up.inject(Hang(seconds=30)), 503, "Sendcloud did not answer in time."),
    "trickle-past-deadline": Case(
        lambda up: up.inject(Trickle(interval=2.0, total_seconds=30)),
        503,
        "Sendcloud did not answer in time.",
    ),
    "connection-reset": Case(lambda up: up.inject(Reset()), 503, "Sendcloud cannot be reached."),
    "500": Case(lambda up: up.inject(Status(500)), 503, "server error 500"),
    "502-html": Case(
        lambda up: up.inject(
            Status(
                502,
                body="<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>",
                content_type="text/html",
            )
        ),
        503,
        "server error 502",
    ),
    "503-retry-after": Case(
        lambda up: up.inject(Status(503, headers={"Retry-After": "1"})),
        503,
        "server error 503",
    ),
    "429-seconds": Case(lambda up: up.inject(rate_limited("1")), 503, "limiting the dashboard"),
    "429-http-date": Case(
        lambda up: up.inject(rate_limited(http_date_in(2))),
        503,
        "limiting the dashboard",
    ),
    "429-no-header": Case(lambda up: up.inject(rate_limited(None)), 503, "limiting the dashboard"),
    "401": Case(lambda up: up.inject(Status(401)), 502, "rejected the dashboard"),
    "403": Case(lambda up: up.inject(Status(403)), 502, "no access to Sendcloud"),
    "404": Case(
        lambda up: up.inject(Status(404)),
        404,
        "not found",
        poll_words="no longer finds this ticket",
        keeps_data=False,
        log_level=logging.INFO,
    ),
    "200-html-login-page": Case(
        lambda up: up.inject(Html(status=200)), 503, "a web page or a cut-off answer"
    ),
    "200-truncated-json": Case(
        lambda up: up.inject(Truncated()), 503, "a web page or a cut-off answer"
    ),
    "200-missing-fields": Case(
        lambda up: up.inject(WrongShape({"id": TICKET_ID, "stage": "in_progress"})),
        502,
        "cannot read",
    ),
    "200-unknown-values-extra-fields-nulls": Case(
        unknown_values, 200, "Brand new status", banner=False, log_level=None
    ),
    "redirect-to-other-host": Case(
        redirect_elsewhere,
        502,
        "misconfigured: it redirects elsewhere",
        check=redirect_not_followed,
    ),
}


# Helpers


def ticket_url() -> str:
    return reverse("ticket_detail", args=[TICKET_ID])


def refresh_url() -> str:
    return reverse("ticket_refresh", args=[TICKET_ID])


def timed_get(client, url, *args, **kwargs):
    started = time.monotonic()
    response = client.get(url, *args, **kwargs)
    return response, time.monotonic() - started


def fingerprint_in(html: str) -> str:
    match = re.search(r'id="fingerprint" name="fingerprint" value="([0-9a-f]*)"', html)
    assert match, "the answer carries no fingerprint"
    return match.group(1)


def has_banner(html: str) -> bool:
    return 'class="banner banner-warning"' in html


def log_lines_for_ticket(caplog, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "tickets.services"
        and record.levelno == level
        and f"ticket {TICKET_ID}" in record.getMessage()
    ]


def assert_logged(caplog, case: Case) -> None:
    if case.log_level is None:
        assert not log_lines_for_ticket(caplog, logging.WARNING)
        return
    lines = log_lines_for_ticket(caplog, case.log_level)
    assert lines, f"no log line about ticket {TICKET_ID} at {logging.getLevelName(case.log_level)}"
    assert re.search(r"after \d+ ms", lines[0]), lines[0]


def assert_no_secrets_logged(caplog, simulator) -> None:
    for secret in (simulator.public_key, simulator.secret_key):
        assert secret not in caplog.text
    assert "Authorization" not in caplog.text


def end_fault_and_forget(upstream: Upstream) -> None:
    upstream.end()
    cache.clear()


# The matrix


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_fault_without_known_data(agent_client, upstream, caplog, case):
    caplog.set_level(logging.DEBUG, logger="tickets")
    case.start(upstream)

    page, page_seconds = timed_get(agent_client, ticket_url())
    poll, poll_seconds = timed_get(agent_client, refresh_url(), {"fingerprint": ""}, headers=HTMX)

    assert page.status_code == case.status
    assert case.words in page.text
    assert page_seconds < DEADLINE + ANSWER_MARGIN
    if case.status == 503:
        assert int(page["Retry-After"]) >= 1
    assert poll.status_code == 200
    assert (case.poll_words or case.words) in poll.text
    assert poll_seconds < DEADLINE + ANSWER_MARGIN
    assert_logged(caplog, case)
    if case.check:
        case.check(upstream)
    assert_no_secrets_logged(caplog, upstream.simulator)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_fault_with_known_data(agent_client, upstream, caplog, case):
    caplog.set_level(logging.DEBUG, logger="tickets")
    shown = agent_client.get(ticket_url())
    assert shown.status_code == 200
    assert KEPT_DATA in shown.text
    fingerprint = fingerprint_in(shown.text)
    case.start(upstream)

    page, page_seconds = timed_get(agent_client, ticket_url())
    poll, poll_seconds = timed_get(
        agent_client, refresh_url(), {"fingerprint": fingerprint}, headers=HTMX
    )

    assert page_seconds < DEADLINE + ANSWER_MARGIN
    assert poll_seconds < DEADLINE + ANSWER_MARGIN
    assert poll.status_code == 200
    assert (case.poll_words or case.words) in poll.text
    assert has_banner(poll.text) == case.banner
    if case.keeps_data:
        assert page.status_code == 200
        assert case.words in page.text
        assert has_banner(page.text) == case.banner
        if case.banner:
            assert KEPT_DATA in page.text
            assert "Failing since" in page.text
            # The poll either leaves the panels alone or redraws them with the known data.
            assert 'id="status-panel"' not in poll.text or KEPT_DATA in poll.text
    else:
        assert page.status_code == case.status
        # The poll answers without panels, so the page keeps what it shows.
        assert 'id="status-panel"' not in poll.text
    assert_logged(caplog, case)
    if case.check:
        case.check(upstream)
    assert_no_secrets_logged(caplog, upstream.simulator)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_polling_recovers_after_fault(agent_client, upstream, case):
    shown = agent_client.get(ticket_url())
    fingerprint = fingerprint_in(shown.text)
    case.start(upstream)
    failed = agent_client.get(refresh_url(), {"fingerprint": fingerprint}, headers=HTMX)
    assert has_banner(failed.text) == case.banner
    if case.banner:
        fingerprint = fingerprint_in(failed.text)

    upstream.end()
    recovered = None
    give_up_at = time.monotonic() + RECOVERY_SECONDS
    for _attempt in range(40):
        poll = agent_client.get(refresh_url(), {"fingerprint": fingerprint}, headers=HTMX)
        # A recovered poll swaps in an empty banner; an unchanged page gets only "Updated".
        banner_cleared = 'id="upstream-banner"' in poll.text and not has_banner(poll.text)
        if banner_cleared or (not case.banner and not has_banner(poll.text)):
            recovered = poll
            break
        if 'id="fingerprint"' in poll.text:
            fingerprint = fingerprint_in(poll.text)
        if time.monotonic() > give_up_at:
            break
        time.sleep(0.25)

    assert recovered is not None, "the poll still shows a failure after the fault ended"
    assert recovered.status_code == 200
    assert case.words not in recovered.text or not case.banner
    if case.banner:
        assert KEPT_DATA in recovered.text
        assert '<div id="upstream-banner" hx-swap-oob="true">' in recovered.text
