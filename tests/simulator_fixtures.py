"""Pytest fixtures that serve the Sendcloud simulator over HTTP on loopback.

One server runs for the whole test session. The `simulator` fixture resets its state before
each test, so every test starts from the seed tickets, no faults, an empty request log and the
clock at `SEED_ANCHOR`. The fixtures need no Django settings.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tickets.sendcloud.simulator import (
    SEED_ANCHOR,
    ScenarioClock,
    SimulatorServer,
    SimulatorState,
)

TEST_PUBLIC_KEY = "test-public-key"
TEST_SECRET_KEY = "test-secret-key"


@dataclass(frozen=True)
class Simulator:
    """A running simulator: its base URL, its state and the keys it accepts."""

    url: str
    state: SimulatorState
    public_key: str
    secret_key: str

    @property
    def auth(self) -> tuple[str, str]:
        """Basic-auth credentials in the form `requests` takes."""
        return (self.public_key, self.secret_key)


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[SimulatorServer]:
    clock = ScenarioClock(SEED_ANCHOR, real_time=False)
    state = SimulatorState(TEST_PUBLIC_KEY, TEST_SECRET_KEY, clock=clock)
    with SimulatorServer(state) as server:
        yield server


@pytest.fixture
def simulator(simulator_server: SimulatorServer) -> Iterator[Simulator]:
    state = simulator_server.state
    state.reset()
    yield Simulator(simulator_server.url, state, TEST_PUBLIC_KEY, TEST_SECRET_KEY)
    # End hangs and trickles this test left behind before the next test starts.
    state.clear_faults()
