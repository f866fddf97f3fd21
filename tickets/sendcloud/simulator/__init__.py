"""A local simulator of Sendcloud's Support API, served over HTTP on loopback.

The demo, the tests and the benchmarks point the client at it. See `state.py` for what tests can
change, `faults.py` for the faults they can inject and `seed.py` for the seed tickets.
"""

from .app import make_app
from .faults import (
    RATE_LIMIT_BODY,
    Fault,
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
from .scenario import ScenarioClock
from .seed import SEED_ANCHOR, seed_tickets
from .server import SimulatorServer
from .state import RecordedRequest, SimulatorState

__all__ = [
    "RATE_LIMIT_BODY",
    "SEED_ANCHOR",
    "Fault",
    "Hang",
    "Html",
    "Latency",
    "RecordedRequest",
    "Redirect",
    "Reset",
    "ScenarioClock",
    "SimulatorServer",
    "SimulatorState",
    "Status",
    "Trickle",
    "Truncated",
    "WrongShape",
    "make_app",
    "rate_limited",
    "seed_tickets",
]
