"""Profile one kind of dashboard request in-process with cProfile.

    python -m bench.profile page-miss      # ticket pages, each of a ticket not yet cached
    python -m bench.profile poll           # polls of an unchanged, cached ticket
    python -m bench.profile overview --mirror-tickets 10000

It starts the benchmark simulator's state on a loopback port in this process, prepares a
temporary SQLite database, signs an agent in with Django's test client and prints the functions
with the most cumulative time. The upstream latency (`--latency`, default 0) shows up as time
spent reading the socket.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

import django

KINDS = ("page-miss", "poll", "overview", "minimal")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("kind", choices=KINDS, help="the request to profile")
    parser.add_argument("--requests", type=int, default=200, help="requests to profile")
    parser.add_argument("--latency", type=float, default=0.0, help="upstream latency, seconds")
    parser.add_argument(
        "--mirror-tickets", type=int, default=100, help="mirrored tickets for the overview"
    )
    parser.add_argument("--top", type=int, default=40, help="functions to print")
    parser.add_argument(
        "--sort", default="cumulative", help="pstats sort key (cumulative, tottime, ...)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="dashboard-profile-"))

    from bench.simulator import FIRST_COPY_ID, build_state
    from tickets.sendcloud.simulator import SimulatorServer

    public_key, secret_key = "profile-" + secrets.token_hex(4), secrets.token_hex(16)
    state = build_state(public_key, secret_key, arguments.requests + 10, arguments.latency)
    simulator = SimulatorServer(state, "127.0.0.1", 0).start()

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DASHBOARD_DEMO": "false",
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DATABASE_URL": f"sqlite:///{work_dir / 'profile.sqlite3'}",
            "REDIS_URL": "",
            "BENCH_STATIC_ROOT": str(work_dir / "static"),
            "SENDCLOUD_API_URL": simulator.url,
            "SENDCLOUD_PUBLIC_KEY": public_key,
            "SENDCLOUD_SECRET_KEY": secret_key,
            "SENDCLOUD_REQUESTS_PER_MINUTE": "100000",
            "LOG_LEVEL": "WARNING",
        }
    )
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bench.loadgen import poll_headers, poll_path, read_fingerprint
    from bench.prepare import fill_mirror

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    if arguments.kind == "overview":
        fill_mirror(arguments.mirror_tickets)

    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.create_user("profile", password=secrets.token_urlsafe(16))
    client = Client(headers={"Accept-Encoding": "identity"})
    client.force_login(agent)

    ticket_ids = iter(range(FIRST_COPY_ID + 1, FIRST_COPY_ID + arguments.requests + 2))
    poll_ticket = FIRST_COPY_ID
    fingerprint = read_fingerprint(client.get(f"/tickets/{poll_ticket}/").content) or ""

    def request() -> int:
        if arguments.kind == "page-miss":
            return client.get(f"/tickets/{next(ticket_ids)}/").status_code
        if arguments.kind == "poll":
            base = "http://testserver"
            return client.get(
                poll_path(poll_ticket, fingerprint), headers=poll_headers(base, poll_ticket)
            ).status_code
        if arguments.kind == "overview":
            return client.get("/").status_code
        return client.get("/bench/minimal/").status_code

    request()  # Warm up templates, URL resolvers and connections.
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    statuses = [request() for _ in range(arguments.requests)]
    profiler.disable()
    elapsed = time.perf_counter() - started
    simulator.stop()

    print(
        f"{arguments.requests} {arguments.kind} requests in {elapsed:.2f} s "
        f"({elapsed / arguments.requests * 1000:.2f} ms each, with the profiler's overhead); "
        f"statuses {sorted(set(statuses))}"
    )
    pstats.Stats(profiler).strip_dirs().sort_stats(arguments.sort).print_stats(arguments.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
