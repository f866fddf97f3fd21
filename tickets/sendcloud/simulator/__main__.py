"""Run the simulator in the foreground with a real-time scenario clock.

    python -m tickets.sendcloud.simulator --port 0 --public-key K --secret-key S

Once listening, it prints one line `SIMULATOR_URL=<base URL>` to stdout. Logs go to stderr.
SIGINT or SIGTERM stops it.
"""

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta

from .scenario import ScenarioClock
from .seed import newest_timestamp, seed_tickets, shift_seed
from .server import SimulatorServer
from .state import AUTH_SCHEMES, SimulatorState

logger = logging.getLogger("tickets.sendcloud.simulator")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tickets.sendcloud.simulator",
        description="Serve a simulated Sendcloud Support API on a loopback address.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port to listen on; 0 picks a free one (default)"
    )
    parser.add_argument(
        "--public-key",
        default=os.environ.get("SIMULATOR_PUBLIC_KEY"),
        help="public key that Basic auth accepts as user name (default $SIMULATOR_PUBLIC_KEY)",
    )
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("SIMULATOR_SECRET_KEY"),
        help="secret key that Basic auth accepts as password (default $SIMULATOR_SECRET_KEY)",
    )
    parser.add_argument(
        "--auth",
        choices=AUTH_SCHEMES,
        default="both",
        help="credentials the API accepts: Basic auth, OAuth2 Bearer tokens from /oauth2/token, "
        "or both (default both)",
    )
    parser.add_argument(
        "--recent",
        action="store_true",
        help="move the seed's dates so that its newest ticket is an hour old "
        "(ticket 42 keeps the dates of Sendcloud's example)",
    )
    arguments = parser.parse_args(argv)
    if not arguments.public_key:
        parser.error("missing public key: pass --public-key or set SIMULATOR_PUBLIC_KEY")
    if not arguments.secret_key:
        parser.error("missing secret key: pass --secret-key or set SIMULATOR_SECRET_KEY")
    if not 0 <= arguments.port <= 65535:
        parser.error(f"invalid port {arguments.port}: use 0 to 65535")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )

    now = datetime.now(UTC)
    clock = ScenarioClock(now, real_time=True)
    tickets = seed_tickets()
    if arguments.recent:
        # The newest seed ticket becomes an hour old; ticket 42 keeps its documented dates.
        tickets = shift_seed(tickets, now - timedelta(hours=1) - newest_timestamp(tickets))
    state = SimulatorState(
        arguments.public_key,
        arguments.secret_key,
        clock=clock,
        tickets=tickets,
        auth_scheme=arguments.auth,
    )
    try:
        server = SimulatorServer(state, arguments.host, arguments.port)
        server.start()
    except (OSError, ValueError) as error:
        logger.error(
            "Could not start the simulator on %s:%s: %s", arguments.host, arguments.port, error
        )
        return 1

    stop_requested = threading.Event()

    def request_stop(signum: int, _frame) -> None:
        logger.info("Received %s, stopping", signal.Signals(signum).name)
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    print(f"SIMULATOR_URL={server.url}", flush=True)
    while not stop_requested.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
