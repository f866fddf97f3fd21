"""Serve the Sendcloud simulator for a benchmark run, with a fixed latency on every response.

    python -m bench.simulator --latency 0.15 --public-key K --secret-key S

It prints `SIMULATOR_URL=<base URL>` once it listens, then reads one command a line on stdin
and responds to each on stdout:

- `count` prints `COUNT <n>`, the number of ticket requests it received so far;
- `quit` stops it, and so do the end of stdin, SIGTERM and `--max-seconds`.

The clock is frozen and the scenario disabled, so no ticket changes during a run. Besides the
seed tickets it serves copies of ticket 43 (open, needs action) under the ids from
`FIRST_COPY_ID` on, so that each measurement can use tickets no earlier one has cached.
"""

import argparse
import logging
import queue
import signal
import sys
import threading
import time

from tickets.sendcloud.simulator import Latency, SimulatorServer, SimulatorState

logger = logging.getLogger("bench.simulator")

FIRST_COPY_ID = 1_000_001
TEMPLATE_TICKET_ID = 43
TICKET_PATH_PREFIX = "/dsf/tickets"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--public-key", required=True, help="public key that Basic auth accepts")
    parser.add_argument("--secret-key", required=True, help="secret key that Basic auth accepts")
    parser.add_argument(
        "--latency", type=float, default=0.15, help="seconds to wait before each response"
    )
    parser.add_argument(
        "--copies", type=int, default=5000, help="copies of ticket 43 to serve under new ids"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=1800, help="seconds after which it stops by itself"
    )
    return parser.parse_args(argv)


def build_state(public_key: str, secret_key: str, copies: int, latency: float) -> SimulatorState:
    state = SimulatorState(public_key, secret_key)
    state.scenario_enabled = False
    template = state.get_ticket(TEMPLATE_TICKET_ID)
    for ticket_id in range(FIRST_COPY_ID, FIRST_COPY_ID + copies):
        state.put_ticket({**template, "id": ticket_id})
    if latency > 0:
        state.inject(Latency(latency))
    return state


def read_commands(commands: "queue.Queue[str]") -> None:
    """Move the lines of stdin to `commands`, and `quit` once stdin ends."""
    for line in sys.stdin:
        commands.put(line.strip())
    commands.put("quit")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    state = build_state(
        arguments.public_key, arguments.secret_key, arguments.copies, arguments.latency
    )
    server = SimulatorServer(state, "127.0.0.1", arguments.port).start()

    commands: queue.Queue[str] = queue.Queue()
    # The handler only sets a flag: putting into the queue from it could deadlock on the lock
    # that `commands.get` holds.
    terminated = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: terminated.set())
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()
    print(f"SIMULATOR_URL={server.url}", flush=True)

    stop_at = time.monotonic() + arguments.max_seconds
    try:
        while not terminated.is_set() and time.monotonic() < stop_at:
            try:
                command = commands.get(timeout=0.5)
            except queue.Empty:
                continue
            if command == "count":
                print(f"COUNT {state.count_requests(TICKET_PATH_PREFIX)}", flush=True)
            elif command == "quit":
                break
            else:
                print(f"ERROR unknown command {command!r}: use count or quit", flush=True)
        else:
            if not terminated.is_set():
                logger.warning("Stopped after --max-seconds (%.0f s).", arguments.max_seconds)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
