"""The load generator of the benchmarks, run by `bench/run.py` in a process of its own.

    python -m bench.loadgen SPEC.json

The spec names a mode and its parameters (see `run.py`); the result is printed as one JSON line.
Every mode is bounded: by a number of samples, or by seconds plus a fixed grace period after
which unfinished requests are abandoned.

- `latency`: page loads and bare client calls one after the other, alternating, so both see the
  same noise. Each page load requests a ticket that no earlier request fetched, so it misses
  the cache.
- `compare`: requests to two URLs, alternating, one at a time.
- `throughput`: as many requests as a few keep-alive connections complete, in alternating
  phases of two URLs.
- `agents`: agents that each open a ticket page and poll it at the page's interval, as the
  page's script does, spread over a set of tickets and over one or more servers.
"""

import heapq
import http.client
import json
import re
import statistics
import sys
import threading
import time
from urllib.parse import urlencode, urlsplit

from tickets.sendcloud.client import SendcloudClient

# Seconds a request may take before the load generator gives up on it.
REQUEST_TIMEOUT = 30.0
# Seconds an `agents` or `throughput` run may last beyond its planned time before it stops.
GRACE_SECONDS = 30.0
FINGERPRINT_INPUT = re.compile(r'id="fingerprint" name="fingerprint" value="([^"]*)"')


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(values: list[float]) -> dict:
    """Median, 90th percentile, minimum and count of durations in seconds."""
    return {
        "median": statistics.median(values) if values else None,
        "p90": percentile(values, 0.9),
        "min": min(values) if values else None,
        "count": len(values),
    }


class Connection:
    """One keep-alive HTTP/1.1 connection to a dashboard server, signed in as the agent."""

    def __init__(self, base_url: str, session_key: str) -> None:
        url = urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self.host = url.hostname
        self.port = url.port
        self.cookie = f"sessionid={session_key}"
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """GET a path and return the status and the body, reconnecting once after a drop."""
        all_headers = {"Cookie": self.cookie, "Accept-Encoding": "identity", **(headers or {})}
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=REQUEST_TIMEOUT
                )
            try:
                self._connection.request("GET", path, headers=all_headers)
                response = self._connection.getresponse()
                body = response.read()
            except (http.client.HTTPException, OSError) as error:
                self.close()
                if attempt == 2:
                    raise ConnectionError(f"GET {path} failed twice: {error}") from error
                continue
            if response.will_close:
                self.close()
            return response.status, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def poll_headers(base_url: str, ticket_id: int) -> dict[str, str]:
    """Return the headers that htmx 2 sends with the ticket page's poll."""
    return {
        "HX-Request": "true",
        "HX-Current-URL": f"{base_url.rstrip('/')}/tickets/{ticket_id}/",
        "HX-Target": "freshness",
        "HX-Trigger": "poller",
    }


def poll_path(ticket_id: int, fingerprint: str) -> str:
    return f"/tickets/{ticket_id}/refresh/?{urlencode({'fingerprint': fingerprint})}"


def read_fingerprint(body: bytes) -> str | None:
    match = FINGERPRINT_INPUT.search(body.decode("utf-8", "replace"))
    return match.group(1) if match else None


# Modes


def run_latency(spec: dict) -> dict:
    """Time cache-missing page loads and bare client calls, alternating their order."""
    connection = Connection(spec["base_url"], spec["session_key"])
    client = SendcloudClient(
        spec["simulator_url"], spec["public_key"], spec["secret_key"], pool_size=1
    )
    ticket_id = spec["first_ticket_id"]
    page_times: list[float] = []
    client_times: list[float] = []
    failures: list[str] = []

    def time_page() -> float:
        nonlocal ticket_id
        ticket_id += 1
        started = time.perf_counter()
        status, _body = connection.get(f"/tickets/{ticket_id}/")
        elapsed = time.perf_counter() - started
        if status != 200:
            failures.append(f"page of ticket {ticket_id} answered {status}")
        return elapsed

    def time_client() -> float:
        started = time.perf_counter()
        client.get_ticket(spec["client_ticket_id"])
        return time.perf_counter() - started

    for _warm_up in range(spec["warm_up"]):
        time_page()
        time_client()
    for sample in range(spec["samples"]):
        if sample % 2:
            client_times.append(time_client())
            page_times.append(time_page())
        else:
            page_times.append(time_page())
            client_times.append(time_client())
    connection.close()
    client.close()
    return {
        "page": summary(page_times),
        "client": summary(client_times),
        "last_ticket_id": ticket_id,
        "failures": failures[:10],
    }


def run_compare(spec: dict) -> dict:
    """Time requests to targets `a` and `b`, alternating, one request at a time."""
    targets = {name: spec[name] for name in ("a", "b")}
    connections = {
        name: Connection(target["base_url"], target["session_key"])
        for name, target in targets.items()
    }
    times: dict[str, list[float]] = {name: [] for name in targets}
    failures: list[str] = []
    for sample in range(spec["warm_up"] + spec["samples"]):
        order = ("a", "b") if sample % 2 == 0 else ("b", "a")
        for name in order:
            started = time.perf_counter()
            status, _body = connections[name].get(targets[name]["path"])
            elapsed = time.perf_counter() - started
            if status != 200:
                failures.append(f"{name} answered {status}")
            if sample >= spec["warm_up"]:
                times[name].append(elapsed)
    for connection in connections.values():
        connection.close()
    return {name: summary(values) for name, values in times.items()} | {"failures": failures[:10]}


def run_throughput(spec: dict) -> dict:
    """Count the requests that `connections` keep-alive connections complete per target.

    The targets take turns in phases of `phase_seconds`, `rounds` times each, so that both see
    the same share of the machine's noise. The first `warm_up_seconds` of each phase are not
    counted.
    """
    targets = spec["targets"]
    totals = {name: {"requests": 0, "seconds": 0.0, "failures": 0} for name in targets}
    samples: dict[str, str] = {}
    for round_number in range(spec["rounds"]):
        names = list(targets) if round_number % 2 == 0 else list(reversed(targets))
        for name in names:
            target = targets[name]
            count, failures, seconds, body = run_phase(
                spec["base_url"],
                spec["session_key"],
                target["path"],
                target.get("headers", {}),
                spec["connections"],
                spec["warm_up_seconds"],
                spec["phase_seconds"],
            )
            totals[name]["requests"] += count
            totals[name]["failures"] += failures
            totals[name]["seconds"] += seconds
            samples.setdefault(name, body[:200].decode("utf-8", "replace"))
    for total in totals.values():
        total["per_second"] = total["requests"] / total["seconds"] if total["seconds"] else 0.0
    return {"targets": totals, "sample_bodies": samples}


def run_phase(
    base_url: str,
    session_key: str,
    path: str,
    headers: dict[str, str],
    connection_count: int,
    warm_up_seconds: float,
    phase_seconds: float,
) -> tuple[int, int, float, bytes]:
    """Run one throughput phase and return completed requests, failures, seconds and a body."""
    lock = threading.Lock()
    counts = {"requests": 0, "failures": 0}
    bodies: list[bytes] = []
    started = time.monotonic()
    count_from = started + warm_up_seconds
    stop_at = count_from + phase_seconds

    def work() -> None:
        connection = Connection(base_url, session_key)
        while (now := time.monotonic()) < stop_at:
            try:
                status, body = connection.get(path, headers)
            except ConnectionError:
                status, body = 0, b""
            finished = time.monotonic()
            with lock:
                if not bodies:
                    bodies.append(body)
                if now >= count_from and finished <= stop_at:
                    counts["requests" if status == 200 else "failures"] += 1
        connection.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(connection_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.1, stop_at + GRACE_SECONDS - time.monotonic()))
    return counts["requests"], counts["failures"], phase_seconds, bodies[0] if bodies else b""


class AgentRun:
    """Agents with one ticket page open each, polling at the page's interval.

    Agent `n` watches ticket `first_ticket_id + n % tickets` on server `n % len(base_urls)`.
    The agents open their pages spread evenly over the first interval, as agents arriving at
    work would, then poll every `interval` seconds until `seconds` have passed.
    """

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.base_urls = spec["base_urls"]
        self.interval = spec["interval"]
        self.started = time.monotonic()
        self.stop_at = self.started + spec["seconds"]
        self.fingerprints: dict[int, str | None] = {}
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.schedule: list[tuple[float, int]] = []
        agents = spec["agents"]
        for agent in range(agents):
            heapq.heappush(self.schedule, (self.started + self.interval * agent / agents, agent))
        self.counts = {"loads": 0, "polls": 0, "unchanged": 0, "changed": 0, "failures": 0}
        self.failure_samples: list[str] = []
        # The start of a few changed responses, to tell a real change from a banner that came
        # and went.
        self.changed_samples: list[str] = []
        self.poll_times: list[float] = []
        self.load_times: list[float] = []
        self.max_lag = 0.0

    def ticket_of(self, agent: int) -> int:
        return self.spec["first_ticket_id"] + agent % self.spec["tickets"]

    def next_due(self) -> tuple[float, int] | None:
        """Wait for the next agent whose request is due, or return None when the run is over."""
        with self.wake:
            while True:
                now = time.monotonic()
                if not self.schedule or self.schedule[0][0] >= self.stop_at:
                    return None
                due, agent = self.schedule[0]
                if due <= now:
                    heapq.heappop(self.schedule)
                    self.max_lag = max(self.max_lag, now - due)
                    return due, agent
                self.wake.wait(timeout=min(due - now, 1.0))

    def reschedule(self, agent: int, due: float) -> None:
        with self.wake:
            heapq.heappush(self.schedule, (due, agent))
            self.wake.notify()

    def work(self) -> None:
        connections = [Connection(url, self.spec["session_key"]) for url in self.base_urls]
        hard_stop = self.stop_at + GRACE_SECONDS
        while time.monotonic() < hard_stop and (item := self.next_due()) is not None:
            due, agent = item
            base_url = self.base_urls[agent % len(self.base_urls)]
            connection = connections[agent % len(self.base_urls)]
            ticket_id = self.ticket_of(agent)
            try:
                self.request(agent, ticket_id, base_url, connection)
            except ConnectionError as error:
                self.record_failure(f"agent {agent}: {error}")
            self.reschedule(agent, due + self.interval)
        for connection in connections:
            connection.close()

    def request(self, agent: int, ticket_id: int, base_url: str, connection: Connection) -> None:
        fingerprint = self.fingerprints.get(agent)
        started = time.perf_counter()
        if fingerprint is None:
            status, body = connection.get(f"/tickets/{ticket_id}/")
            elapsed = time.perf_counter() - started
            fingerprint = read_fingerprint(body)
            with self.lock:
                self.counts["loads"] += 1
                self.load_times.append(elapsed)
            if status != 200 or fingerprint is None:
                self.record_failure(f"page of ticket {ticket_id} answered {status}")
                return
            self.fingerprints[agent] = fingerprint
            return

        path = poll_path(ticket_id, fingerprint)
        status, body = connection.get(path, poll_headers(base_url, ticket_id))
        elapsed = time.perf_counter() - started
        new_fingerprint = read_fingerprint(body)
        with self.lock:
            self.counts["polls"] += 1
            self.poll_times.append(elapsed)
            self.counts["changed" if new_fingerprint else "unchanged"] += 1
            if new_fingerprint and len(self.changed_samples) < 3:
                self.changed_samples.append(body[:1500].decode("utf-8", "replace"))
        if status != 200:
            self.record_failure(f"poll of ticket {ticket_id} answered {status}")
        if new_fingerprint:
            self.fingerprints[agent] = new_fingerprint

    def record_failure(self, message: str) -> None:
        with self.lock:
            self.counts["failures"] += 1
            if len(self.failure_samples) < 10:
                self.failure_samples.append(message)

    def run(self) -> dict:
        threads = [
            threading.Thread(target=self.work, daemon=True) for _ in range(self.spec["workers"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.1, self.stop_at + GRACE_SECONDS - time.monotonic()))
        return {
            **self.counts,
            "seconds": time.monotonic() - self.started,
            "max_lag_seconds": self.max_lag,
            "poll": summary(self.poll_times),
            "load": summary(self.load_times),
            "failure_samples": self.failure_samples,
            "changed_samples": self.changed_samples,
        }


MODES = {
    "latency": run_latency,
    "compare": run_compare,
    "throughput": run_throughput,
    "agents": lambda spec: AgentRun(spec).run(),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.loadgen SPEC.json", file=sys.stderr)
        return 2
    with open(argv[0]) as spec_file:
        spec = json.load(spec_file)
    if spec.get("mode") not in MODES:
        print(f"unknown mode {spec.get('mode')!r}: use one of {', '.join(MODES)}", file=sys.stderr)
        return 2
    print(json.dumps(MODES[spec["mode"]](spec)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
