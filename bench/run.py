"""Run the dashboard's benchmarks and print their figures: `make bench`.

Everything runs on 127.0.0.1 in processes this script starts and stops: the simulator with a
fixed latency per response (`bench/simulator.py`), gunicorn with the production configuration
as `make run` starts it (2 workers of 8 threads), Redis, and the load generator
(`bench/loadgen.py`). Each figure is a ratio of two measurements taken side by side in one
run, because the machines are shared and noisy. Absolute times are printed too.

`BENCH_QUICK=1` shortens every step for a check of the benchmark itself; its figures are
rougher. The results are printed as Markdown and written to `var/bench/`.
"""

import gzip
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from bench.loadgen import poll_headers, poll_path, read_fingerprint
from bench.simulator import FIRST_COPY_ID

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
QUICK = os.environ.get("BENCH_QUICK", "").strip() in ("1", "true", "yes")

UPSTREAM_LATENCY_SECONDS = 0.15
# The request budget is raised far above the load, so that it cannot hide what the cache does.
REQUESTS_PER_MINUTE = 100_000
AGENT_TICKETS = 20
AGENT_COUNTS = (10, 100) if QUICK else (10, 100, 500)
AGENT_SECONDS = 20 if QUICK else 60
SCALE_OUT_AGENTS = 100
LATENCY_SAMPLES = 10 if QUICK else 40
COMPARE_SAMPLES = 8 if QUICK else 30
THROUGHPUT_ROUNDS = 1 if QUICK else 3
THROUGHPUT_PHASE_SECONDS = 2.0 if QUICK else 5.0
THROUGHPUT_CONNECTIONS = 8
OVERVIEW_SMALL, OVERVIEW_LARGE = 100, 10_000
# The whole run stops with an error after this many seconds, between two steps.
MAX_RUN_SECONDS = 300 if QUICK else 900

# Ticket ids of the simulator's copies of ticket 43, a separate range for each measurement so
# that none finds a ticket that an earlier one left in the cache.
SIZE_TICKET = FIRST_COPY_ID
THROUGHPUT_TICKET = FIRST_COPY_ID + 1
LATENCY_FIRST_TICKET = FIRST_COPY_ID + 100
AGENTS_FIRST_TICKET = FIRST_COPY_ID + 1000

# Environment variables passed on from the caller; every dashboard setting is set here instead.
PASSED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Processes:
    """Every process the run started, so that one `stop_all()` ends them."""

    started: list[subprocess.Popen] = field(default_factory=list)

    def start(self, command: list[str], env: dict[str, str], log_path: Path, **kwargs):
        log_file = log_path.open("ab")
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stderr=log_file, **kwargs)
        log_file.close()
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)


class Simulator:
    """The benchmark simulator in its own process, asked for its request count over a pipe."""

    def __init__(self, processes: Processes, env: dict[str, str], work_dir: Path) -> None:
        self.public_key = "bench-" + secrets.token_hex(6)
        self.secret_key = secrets.token_hex(16)
        self.process = processes.start(
            [
                *(PYTHON, "-m", "bench.simulator"),
                *("--latency", str(UPSTREAM_LATENCY_SECONDS)),
                *("--public-key", self.public_key, "--secret-key", self.secret_key),
                *("--max-seconds", str(MAX_RUN_SECONDS + 120)),
            ],
            env,
            work_dir / "simulator.log",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.startswith("SIMULATOR_URL="):
            raise SystemExit(f"The benchmark simulator did not start; it printed {line!r}.")
        self.url = line.removeprefix("SIMULATOR_URL=")

    def count(self) -> int:
        """Return how many ticket requests the simulator has received."""
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().strip()
        if not line.startswith("COUNT "):
            raise SystemExit(
                f"The benchmark simulator returned {line!r} to count, expected COUNT <n>."
            )
        return int(line.removeprefix("COUNT "))


@dataclass
class Server:
    """A gunicorn serving the dashboard, and the session of the agent signed in there."""

    base_url: str
    session_key: str
    settings: dict
    process: subprocess.Popen


class Bench:
    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.processes = Processes()
        self.started = time.monotonic()
        self.results: dict = {}
        self.base_env = {name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ}
        self.base_env |= {"PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.simulator = Simulator(self.processes, self.base_env, work_dir)
        self.static_collected = False

    def check_time(self, step: str) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > MAX_RUN_SECONDS:
            raise SystemExit(
                f"The benchmark ran {elapsed:.0f} s, over its limit of {MAX_RUN_SECONDS} s, "
                f"before {step}."
            )
        log(f"{step} ({elapsed:.0f} s so far)")

    def django_env(self, database: str, redis_url: str = "") -> dict[str, str]:
        return self.base_env | {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DASHBOARD_DEMO": "false",
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"sqlite:///{self.work_dir / database}",
            "REDIS_URL": redis_url,
            "BENCH_STATIC_ROOT": str(self.work_dir / "static"),
            "SENDCLOUD_API_URL": self.simulator.url,
            "SENDCLOUD_PUBLIC_KEY": self.simulator.public_key,
            "SENDCLOUD_SECRET_KEY": self.simulator.secret_key,
            "SENDCLOUD_REQUESTS_PER_MINUTE": str(REQUESTS_PER_MINUTE),
        }

    def prepare(self, env: dict[str, str], mirror_tickets: int = 0) -> dict:
        """Create the tables and the agent of a database and return the agent's session."""
        command = [PYTHON, "-m", "bench.prepare", "--mirror-tickets", str(mirror_tickets)]
        if not self.static_collected:
            command.append("--collectstatic")
        result = subprocess.run(
            command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise SystemExit(f"Preparing a benchmark database failed:\n{result.stderr[-3000:]}")
        self.static_collected = True
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start_server(self, env: dict[str, str], prepared: dict, name: str) -> Server:
        port = free_port()
        process = self.processes.start(
            [
                *(PYTHON, "-m", "gunicorn", "--config", "config/gunicorn.conf.py"),
                *("config.wsgi", "--bind", f"{HOST}:{port}"),
                *("--workers", "2", "--threads", "8"),
                *("--access-logfile", str(self.work_dir / f"{name}-access.log")),
            ],
            env,
            self.work_dir / f"{name}.log",
        )
        base_url = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn {name} stopped; see its log:\n{self.tail(name)}")
            try:
                if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    return Server(base_url, prepared["session_key"], prepared, process)
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn {name} did not respond within 30 s:\n{self.tail(name)}")

    def tail(self, name: str) -> str:
        path = self.work_dir / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def loadgen(self, spec: dict, planned_seconds: float) -> dict:
        """Run the load generator in its own process and return its result."""
        spec_path = self.work_dir / f"loadgen-{spec['mode']}.json"
        spec_path.write_text(json.dumps(spec))
        result = subprocess.run(
            [PYTHON, "-m", "bench.loadgen", str(spec_path)],
            cwd=BASE_DIR,
            env=self.base_env,
            capture_output=True,
            text=True,
            timeout=planned_seconds + 90,
        )
        if result.returncode != 0:
            raise SystemExit(f"The load generator failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start_redis(self) -> str:
        """Start a Redis server without persistence and return its URL without a database."""
        port = free_port()
        process = self.processes.start(
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                *("--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"),
            ],
            self.base_env,
            self.work_dir / "redis.log",
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit("redis-server stopped at once; is it installed?")
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                return f"redis://{HOST}:{port}"
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"redis-server did not listen on port {port} within 10 s.")

    # The figures

    def measure_sizes(self, server: Server) -> None:
        session = signed_in_session(server)
        page = session.get(f"{server.base_url}/tickets/{SIZE_TICKET}/", timeout=30)
        page.raise_for_status()
        fingerprint = read_fingerprint(page.content)
        poll = session.get(
            server.base_url + poll_path(SIZE_TICKET, fingerprint or ""),
            headers=poll_headers(server.base_url, SIZE_TICKET),
            timeout=30,
        )
        self.results["poll_body"] = {
            "status": poll.status_code,
            "bytes": len(poll.content),
            "body": poll.text[:300],
        }
        self.results["page_weight"] = page_weight(session, server.base_url, page)

    def measure_latency(self, server: Server, first_ticket: int) -> dict:
        warm_up = 3
        return self.loadgen(
            {
                "mode": "latency",
                "base_url": server.base_url,
                "session_key": server.session_key,
                "simulator_url": self.simulator.url,
                "public_key": self.simulator.public_key,
                "secret_key": self.simulator.secret_key,
                "first_ticket_id": first_ticket,
                "client_ticket_id": SIZE_TICKET,
                "warm_up": warm_up,
                "samples": LATENCY_SAMPLES,
            },
            planned_seconds=(LATENCY_SAMPLES + warm_up) * 2 * 0.5,
        )

    def measure_throughput(self, server: Server, ticket_id: int) -> dict:
        session = signed_in_session(server)
        page = session.get(f"{server.base_url}/tickets/{ticket_id}/", timeout=30)
        fingerprint = read_fingerprint(page.content) or ""
        warm_up = 1.0
        return self.loadgen(
            {
                "mode": "throughput",
                "base_url": server.base_url,
                "session_key": server.session_key,
                "connections": THROUGHPUT_CONNECTIONS,
                "rounds": THROUGHPUT_ROUNDS,
                "warm_up_seconds": warm_up,
                "phase_seconds": THROUGHPUT_PHASE_SECONDS,
                "targets": {
                    "poll": {
                        "path": poll_path(ticket_id, fingerprint),
                        "headers": poll_headers(server.base_url, ticket_id),
                    },
                    "minimal": {"path": "/bench/minimal/"},
                },
            },
            planned_seconds=THROUGHPUT_ROUNDS * 2 * (warm_up + THROUGHPUT_PHASE_SECONDS),
        )

    def measure_overview(self, redis_url: str) -> None:
        servers = {}
        for name, count, database in (("small", OVERVIEW_SMALL, 2), ("large", OVERVIEW_LARGE, 3)):
            env = self.django_env(f"overview-{name}.sqlite3", f"{redis_url}/{database}")
            servers[name] = self.start_server(env, self.prepare(env, count), f"overview-{name}")
        try:
            result = self.loadgen(
                {
                    "mode": "compare",
                    "warm_up": 3,
                    "samples": COMPARE_SAMPLES,
                    **{
                        key: {
                            "base_url": servers[name].base_url,
                            "session_key": servers[name].session_key,
                            "path": "/",
                        }
                        for key, name in (("a", "small"), ("b", "large"))
                    },
                },
                planned_seconds=(COMPARE_SAMPLES + 3) * 2 * 2.0,
            )
        finally:
            for server in servers.values():
                self.processes.stop(server.process)
        self.results["overview"] = {
            "small": result["a"],
            "large": result["b"],
            "failures": result["failures"],
        }

    def measure_agents(self, servers: list[Server], agents: int, first_ticket: int) -> dict:
        before = self.simulator.count()
        result = self.loadgen(
            {
                "mode": "agents",
                "base_urls": [server.base_url for server in servers],
                "session_key": servers[0].session_key,
                "agents": agents,
                "tickets": AGENT_TICKETS,
                "first_ticket_id": first_ticket,
                "seconds": AGENT_SECONDS,
                "interval": servers[0].settings["poll_seconds"],
                "workers": min(agents, 32),
            },
            planned_seconds=AGENT_SECONDS,
        )
        result["upstream_calls"] = self.simulator.count() - before
        result["agents"] = agents
        return result

    def measure_scale_out(self, redis_url: str) -> None:
        env = self.django_env("scale-out.sqlite3", f"{redis_url}/1")
        prepared = self.prepare(env)
        servers = [self.start_server(env, prepared, f"scale-out-{n}") for n in (1, 2)]
        try:
            first_ticket = AGENTS_FIRST_TICKET + 100 * len(AGENT_COUNTS)
            self.results["scale_out"] = self.measure_agents(servers, SCALE_OUT_AGENTS, first_ticket)
        finally:
            for server in servers:
                self.processes.stop(server.process)

    def run(self) -> dict:
        self.check_time("Starting Redis and preparing the databases")
        redis_url = self.start_redis()
        production_env = self.django_env("production.sqlite3", f"{redis_url}/0")
        prepared = self.prepare(production_env)
        self.results["settings"] = prepared | {"session_key": None}
        production = self.start_server(production_env, prepared, "production")
        embedded_env = self.django_env("embedded.sqlite3")
        embedded = self.start_server(embedded_env, self.prepare(embedded_env), "embedded")

        self.check_time("Measuring the poll body and the page weight")
        self.measure_sizes(production)
        for name, server, offset in (("production", production, 0), ("embedded", embedded, 200)):
            self.check_time(f"Measuring page latency against the bare client call ({name})")
            self.results[f"latency_{name}"] = self.measure_latency(
                server, LATENCY_FIRST_TICKET + offset
            )
            self.check_time(f"Measuring poll throughput against a minimal view ({name})")
            self.results[f"throughput_{name}"] = self.measure_throughput(
                server, THROUGHPUT_TICKET + offset
            )
        self.processes.stop(embedded.process)
        self.results["settings"]["embedded_cache_backend"] = embedded.settings["cache_backend"]

        self.check_time("Measuring the overview with 100 and 10,000 mirrored tickets")
        self.measure_overview(redis_url)

        self.results["agents"] = {}
        for index, agents in enumerate(AGENT_COUNTS):
            self.check_time(f"Running {agents} agents for {AGENT_SECONDS} s")
            first_ticket = AGENTS_FIRST_TICKET + 100 * index
            self.results["agents"][agents] = self.measure_agents([production], agents, first_ticket)
        self.processes.stop(production.process)

        self.check_time(f"Running {SCALE_OUT_AGENTS} agents on two servers sharing Redis")
        self.measure_scale_out(redis_url)
        self.results["seconds"] = time.monotonic() - self.started
        return self.results


def signed_in_session(server: Server) -> requests.Session:
    session = requests.Session()
    session.cookies.set("sessionid", server.session_key, domain=HOST)
    return session


class _AssetParser(HTMLParser):
    """Collect the URLs a browser fetches while loading a page: stylesheets, scripts, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])
        elif tag in ("script", "img", "iframe", "source", "audio", "video") and values.get("src"):
            self.urls.append(values["src"])


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def page_weight(session: requests.Session, base_url: str, page: requests.Response) -> dict:
    """Fetch every asset of a page as a browser would and add up the bytes sent on the wire.

    Static files are requested with `Accept-Encoding: gzip, br` and counted as sent. The HTML
    is counted both as sent and gzip-compressed at level 6, because gunicorn does not compress
    it and a production proxy usually does.
    """
    page_host = urlsplit(base_url).netloc
    parser = _AssetParser()
    parser.feed(page.text)
    pending = [urljoin(page.url, url) for url in parser.urls]
    assets: dict[str, dict] = {}
    other_hosts: list[str] = []
    while pending and len(assets) < 50:
        url = pending.pop(0)
        if url.startswith("data:") or url in assets:
            continue
        if urlsplit(url).netloc != page_host:
            other_hosts.append(url)
            continue
        response = session.get(
            url, headers={"Accept-Encoding": "gzip, br"}, stream=True, timeout=30
        )
        wire = response.raw.read(decode_content=False)
        assets[url] = {
            "status": response.status_code,
            "bytes": len(wire),
            "encoding": response.headers.get("Content-Encoding", ""),
        }
        if "css" in response.headers.get("Content-Type", ""):
            text = session.get(url, timeout=30).text
            for match in CSS_URL.finditer(text):
                pending.append(urljoin(url, match.group(1) or match.group(2)))

    html = page.content
    html_gzip = len(gzip.compress(html, compresslevel=6))
    assets_bytes = sum(asset["bytes"] for asset in assets.values())
    csp = page.headers.get("Content-Security-Policy", "")
    return {
        "html_bytes": len(html),
        "html_gzip_bytes": html_gzip,
        "assets": {urlsplit(url).path: asset for url, asset in assets.items()},
        "assets_bytes": assets_bytes,
        "total_compressed_bytes": html_gzip + assets_bytes,
        "other_host_requests": other_hosts,
        "csp_names_other_hosts": bool(re.search(r"https?://", csp)),
    }


# The report


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def verdict(value: float | None, goal: float, at_most: bool) -> str:
    if value is None:
        return "not measured"
    met = value <= goal if at_most else value >= goal
    return "met" if met else "**missed**"


def upstream_bound(settings: dict) -> int | None:
    ttl = settings.get("ticket_cache_seconds")
    if not ttl:
        return None
    return int(AGENT_TICKETS * (AGENT_SECONDS / ttl) + AGENT_TICKETS)


def machine_description() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model or platform.processor() or 'unknown CPU'}, {os.cpu_count()} logical CPUs, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def milliseconds(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.1f} ms"


def latency_row(results: dict, name: str, label: str) -> tuple:
    latency = results[f"latency_{name}"]
    value = ratio(latency["page"]["median"], latency["client"]["median"])
    return (
        f"Ticket page on a cache miss ÷ bare client call, median latency ({label})",
        "≤ 1.10",
        "–" if value is None else f"{value:.3f}",
        f"{milliseconds(latency['page']['median'])} ÷ {milliseconds(latency['client']['median'])}",
        verdict(value, 1.10, at_most=True),
    )


def throughput_row(results: dict, name: str, label: str) -> tuple:
    targets = results[f"throughput_{name}"]["targets"]
    poll, minimal = targets["poll"]["per_second"], targets["minimal"]["per_second"]
    value = ratio(poll, minimal)
    return (
        f"Unchanged poll ÷ minimal view, throughput ({label})",
        "≥ 0.5",
        "–" if value is None else f"{value:.2f}",
        f"{poll:.0f} ÷ {minimal:.0f} requests/s",
        verdict(value, 0.5, at_most=False),
    )


def upstream_row(result: dict, label: str, bound: int | None, interval: int) -> tuple:
    naive = result["agents"] * AGENT_SECONDS // interval
    return (
        f"Upstream calls, {label}, {AGENT_SECONDS} s",
        f"≤ {bound}" if bound else "≤ 20 × (60 ÷ TTL) + 20 (no TTL set)",
        str(result["upstream_calls"]),
        f"{result['loads']} page loads, {result['polls']} polls ({result['changed']} changed), "
        f"{result['failures']} failed; "
        f"a call on every request would make {naive}",
        verdict(result["upstream_calls"], bound, at_most=True) if bound else "no cache",
    )


def report(results: dict) -> str:
    """Format the results as a Markdown table, with the machine, the command and the date."""
    settings = results["settings"]
    weight = results["page_weight"]
    overview = results["overview"]
    bound = upstream_bound(settings)
    interval = settings["poll_seconds"]
    kilobytes = weight["total_compressed_bytes"] / 1000
    other_hosts = len(weight["other_host_requests"])
    overview_ratio = ratio(overview["large"]["median"], overview["small"]["median"])

    rows = [
        latency_row(results, "production", "Redis"),
        latency_row(results, "embedded", "database cache"),
        throughput_row(results, "production", "Redis"),
        throughput_row(results, "embedded", "database cache"),
        *(
            upstream_row(result, f"{agents} agents on {AGENT_TICKETS} tickets", bound, interval)
            for agents, result in results["agents"].items()
        ),
        (
            "Body of an unchanged poll",
            "≤ 200 bytes",
            f"{results['poll_body']['bytes']} bytes",
            f"status {results['poll_body']['status']}",
            verdict(results["poll_body"]["bytes"], 200, at_most=True),
        ),
        (
            "Ticket page with all its assets, compressed",
            "≤ 60 KB",
            f"{kilobytes:.1f} KB",
            f"HTML {weight['html_bytes']} bytes ({weight['html_gzip_bytes']} gzipped), "
            f"{len(weight['assets'])} assets {weight['assets_bytes']} bytes as sent",
            verdict(kilobytes, 60, at_most=True),
        ),
        (
            "Requests to other hosts",
            "0",
            str(other_hosts),
            "the CSP names other hosts" if weight["csp_names_other_hosts"] else "",
            verdict(other_hosts, 0, at_most=True),
        ),
        (
            f"Overview with {OVERVIEW_LARGE:,} ÷ {OVERVIEW_SMALL} mirrored tickets, median time",
            "≤ 3",
            "–" if overview_ratio is None else f"{overview_ratio:.2f}",
            f"{milliseconds(overview['large']['median'])} ÷ "
            f"{milliseconds(overview['small']['median'])}",
            verdict(overview_ratio, 3, at_most=True),
        ),
        upstream_row(
            results["scale_out"],
            f"{SCALE_OUT_AGENTS} agents on two gunicorn servers sharing Redis",
            bound,
            interval,
        ),
    ]
    lines = [
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"Machine: {machine_description()}",
        "Command: `" + ("BENCH_QUICK=1 " if QUICK else "") + "make bench`",
        f"Settings: upstream latency {UPSTREAM_LATENCY_SECONDS * 1000:.0f} ms, poll interval "
        f"{interval} s, ticket cache {settings.get('ticket_cache_seconds') or 'none'} s, request "
        f"budget raised to {settings.get('requests_per_minute') or 'none'} a minute, gunicorn "
        "with 2 workers of 8 threads, SQLite",
        f"Run time: {results['seconds']:.0f} s",
        "",
        "| Figure | Goal | Measured | Detail | Verdict |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    return "\n".join(lines)


def main() -> int:
    out_dir = BASE_DIR / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as directory:
        bench = Bench(Path(directory))
        try:
            results = bench.run()
        except BaseException:
            # Keep what was measured and the servers' logs for the failure's diagnosis.
            (out_dir / f"{stamp}-partial.json").write_text(json.dumps(bench.results, indent=2))
            bench.processes.stop_all()
            logs = out_dir / f"{stamp}-logs"
            logs.mkdir()
            for log_file in Path(directory).glob("*.log"):
                shutil.copy(log_file, logs)
            log(f"Failed; wrote var/bench/{stamp}-partial.json and the logs to {logs.name}/")
            raise
        finally:
            bench.processes.stop_all()
    text = report(results)
    (out_dir / f"{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    (out_dir / f"{stamp}.md").write_text(text + "\n")
    print(text)
    log(f"Wrote var/bench/{stamp}.md and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
