"""Load test: many agents polling ticket pages while the simulated Sendcloud fails often.

    .venv/bin/python bench/agents.py [--agents 100] [--tickets 20] [--seconds 60]
        [--failure-rate 0.33] [--workers 2] [--threads 8] [--redis-url redis://127.0.0.1:N/0]

It starts, all on 127.0.0.1 with free ports and a temporary directory:

- the simulator, failing a share `--failure-rate` of the ticket requests with a fault chosen
  at random (5xx, HTML, a cut-off body, a reset, a 429 or a hang);
- the dashboard under gunicorn with its production settings, on a SQLite file and the database
  cache (or Redis with `--redis-url`), after one sync pass has filled the mirror.

Then each agent opens one ticket page and polls it every `DASHBOARD_POLL_SECONDS`, as the
page's script does, starting at a random moment of the first interval. At the end it prints the
upstream calls the simulator saw, the dashboard's errors (a failed request or any answer but
200) and the answer times. Numbers depend on the machine; note it beside any figure you quote.
"""

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import requests  # noqa: E402

from tickets.sendcloud.simulator import (  # noqa: E402
    Hang,
    Html,
    Reset,
    ScenarioClock,
    SimulatorServer,
    SimulatorState,
    Status,
    Truncated,
    rate_limited,
)

PUBLIC_KEY = "bench-public-key"
SECRET_KEY = "bench-secret-key"  # noqa: S105 (the simulator's made-up key)
USERNAME = "agent"
POLL_SECONDS = 15
REQUEST_TIMEOUT = 30
START_TIMEOUT_SECONDS = 30
FINGERPRINT = re.compile(r'id="fingerprint" name="fingerprint" value="([^"]*)"')
FAULTS = [
    Status(500),
    Status(502, body="<html><body>Bad gateway</body></html>", content_type="text/html"),
    Status(503),
    Html(status=200),
    Truncated(),
    Reset(),
    rate_limited("2"),
    Hang(seconds=30),
]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=100, help="simulated agents (default 100)")
    parser.add_argument("--tickets", type=int, default=20, help="tickets they watch (default 20)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the run (default 60)")
    parser.add_argument(
        "--failure-rate",
        type=float,
        default=1 / 3,
        help="share of ticket requests the simulator fails (default 0.33)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="threads a worker (default 8)")
    parser.add_argument("--redis-url", default="", help="share the cache in Redis at this URL")
    return parser.parse_args()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *arguments: str) -> str:
    result = subprocess.run(  # noqa: S603 (a fixed command)
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout


def session_keys(env: dict, count: int) -> list[str]:
    """Sign the agent in `count` times without the password hasher and return the sessions."""
    script = (
        "from django.contrib.auth import get_user_model\n"
        "from django.test import Client\n"
        f"user = get_user_model().objects.create_user({USERNAME!r})\n"
        f"for _ in range({count}):\n"
        "    client = Client()\n"
        "    client.force_login(user)\n"
        "    print(client.cookies['sessionid'].value)\n"
    )
    return manage(env, "shell", "-c", script).split()


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    give_up_at = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < give_up_at:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # Not listening yet, or still loading the application.
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not serve {url} within {START_TIMEOUT_SECONDS} s")


class Results:
    """Response times and errors of all agents, collected from their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.durations: list[float] = []
        self.errors: list[str] = []
        self.banners = 0
        self.requests = 0

    def record(self, duration: float, error: str = "", banner: bool = False) -> None:
        with self.lock:
            self.requests += 1
            self.durations.append(duration)
            if error:
                self.errors.append(error)
            if banner:
                self.banners += 1


def run_agent(
    base_url: str, session_key: str, ticket_id: int, *, stop_at: float, results: Results
) -> None:
    session = requests.Session()
    session.cookies.set("sessionid", session_key, domain="127.0.0.1")
    page_url = f"{base_url}/tickets/{ticket_id}/"
    refresh_url = f"{base_url}/tickets/{ticket_id}/refresh/"
    htmx = {"HX-Request": "true", "HX-Current-URL": page_url}
    time.sleep(random.uniform(0, POLL_SECONDS))  # noqa: S311 (spreading load, not security)
    fingerprint = ""
    first = True
    while time.time() < stop_at:
        started = time.monotonic()
        try:
            if first:
                response = session.get(page_url, timeout=REQUEST_TIMEOUT)
            else:
                response = session.get(
                    refresh_url,
                    params={"fingerprint": fingerprint},
                    headers=htmx,
                    timeout=REQUEST_TIMEOUT,
                )
        except requests.RequestException as error:
            results.record(time.monotonic() - started, f"{type(error).__name__}")
            time.sleep(POLL_SECONDS)
            continue
        duration = time.monotonic() - started
        error = "" if response.status_code == 200 else f"status {response.status_code}"
        results.record(duration, error, banner="banner-warning" in response.text)
        match = FINGERPRINT.search(response.text)
        if match:
            fingerprint = match.group(1)
        first = False
        time.sleep(max(0.0, POLL_SECONDS - duration))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    arguments = parse_arguments()
    state = SimulatorState(
        PUBLIC_KEY, SECRET_KEY, clock=ScenarioClock(datetime.now(UTC), real_time=True)
    )
    open_ids = [
        ticket_id
        for ticket_id, ticket in sorted(state.snapshot().items())
        if ticket.get("resolution") is None
    ]
    ticket_ids = open_ids[: arguments.tickets]

    with tempfile.TemporaryDirectory() as directory, SimulatorServer(state) as simulator:
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "bench-only-secret-key-0123456789-0123456789-0123456789",
            "DATABASE_URL": f"sqlite:///{Path(directory) / 'db.sqlite3'}",
            "DASHBOARD_DEMO": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SENDCLOUD_API_URL": simulator.url,
            "SENDCLOUD_PUBLIC_KEY": PUBLIC_KEY,
            "SENDCLOUD_SECRET_KEY": SECRET_KEY,
            "DASHBOARD_POLL_SECONDS": str(POLL_SECONDS),
            "WHITENOISE_USE_FINDERS": "true",
            "LOG_LEVEL": "ERROR",
        }
        env.pop("REDIS_URL", None)
        if arguments.redis_url:
            env["REDIS_URL"] = arguments.redis_url
        manage(env, "migrate", "--no-input")
        manage(env, "createcachetable")
        manage(env, "sync_tickets")
        keys = session_keys(env, arguments.agents)
        calls_before = state.count_requests("/dsf/tickets")

        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(arguments.workers), "--threads", str(arguments.threads)]
        server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)  # noqa: S603
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_serving(base_url, server)
            state.fail_randomly(arguments.failure_rate, FAULTS, path="/dsf/tickets", seed=7)
            results = Results()
            stop_at = time.time() + arguments.seconds
            agents = [
                threading.Thread(
                    target=run_agent,
                    args=(base_url, keys[index], ticket_ids[index % len(ticket_ids)]),
                    kwargs={"stop_at": stop_at, "results": results},
                    daemon=True,
                )
                for index in range(arguments.agents)
            ]
            for agent in agents:
                agent.start()
            for agent in agents:
                agent.join(timeout=arguments.seconds + REQUEST_TIMEOUT + POLL_SECONDS)
            state.clear_faults()
        finally:
            server.terminate()
            server.wait(timeout=30)

        upstream_calls = state.count_requests("/dsf/tickets") - calls_before
        print_results(arguments, len(ticket_ids), upstream_calls, results)
    return 0


def print_results(
    arguments: argparse.Namespace, tickets: int, upstream_calls: int, results: Results
) -> None:
    print(f"agents: {arguments.agents}, tickets: {tickets}, seconds: {arguments.seconds:g}")
    print(f"simulator failure rate: {arguments.failure_rate:.2f}")
    print(f"cache: {'Redis' if arguments.redis_url else 'database cache (SQLite)'}")
    print(f"dashboard requests: {results.requests}")
    print(f"upstream calls: {upstream_calls}")
    print(f"dashboard errors: {len(results.errors)} {sorted(set(results.errors))}")
    print(f"answers with a failure banner: {results.banners}")
    durations = results.durations
    if durations:
        median = statistics.median(durations)
        p95 = percentile(durations, 0.95)
        print(f"answer time: median {median:.3f} s, p95 {p95:.3f} s, max {max(durations):.3f} s")


if __name__ == "__main__":
    sys.exit(main())
