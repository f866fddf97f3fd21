"""The simulator's mutable state: tickets, injected faults, the request log and the clock.

One lock guards everything, because the server handles each request in its own thread while a
test changes the state from the main thread.
"""

import copy
import random
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import scenario
from .faults import Fault
from .scenario import ScenarioClock
from .seed import SEED_ANCHOR, format_timestamp, seed_tickets

# NOTE: Sendcloud does not document the 404 body of GET /dsf/tickets/{id}. This is the Support
# errors envelope that its spec uses for other 404 responses.
DEFAULT_NOT_FOUND_BODY = {
    "errors": [{"code": "not_found", "detail": "Not found", "title": "Not Found", "status": 404}]
}

# Requests kept in the log before the oldest half is dropped.
MAX_LOGGED_REQUESTS = 200_000

REQUESTED_DATA_ENVELOPES = ("data", "paged")

# Credentials that the API endpoints accept: Basic auth with the keys, a Bearer token from
# POST /oauth2/token, or either. Sendcloud lets an integration require OAuth2, and Basic auth
# then fails for it.
AUTH_SCHEMES = ("basic", "oauth2", "both")
# Sendcloud's tokens live an hour.
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600

__all__ = ["RecordedRequest", "ScenarioClock", "SimulatorState"]


@dataclass(slots=True)
class RecordedRequest:
    """One request the simulator received.

    `path` is relative to the base path (`/dsf/tickets/42`), or the full path when the request
    was outside it. `status` is None while the response is pending and when none was sent. `time`
    is the wall-clock time of arrival.
    """

    method: str
    path: str
    query_string: str
    status: int | None = None
    time: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(slots=True)
class _FaultRule:
    fault: Fault
    path: str | None
    remaining: int | None


@dataclass(slots=True)
class _RandomFaults:
    rate: float
    faults: tuple[Fault, ...]
    path: str | None
    random: random.Random


def path_matches(path: str, prefix: str | None) -> bool:
    """Return whether `path` is `prefix` or lies below it, segment by segment.

    `/dsf/tickets/4` matches `/dsf/tickets/4` and `/dsf/tickets/4/x` but not `/dsf/tickets/42`.
    """
    if prefix is None:
        return True
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


class SimulatorState:
    """Tickets, faults, request log and scenario of one simulated Sendcloud account."""

    def __init__(
        self,
        public_key: str,
        secret_key: str,
        *,
        clock: ScenarioClock | None = None,
        tickets: dict | None = None,
        auth_scheme: str = "basic",
        token_lifetime: float = DEFAULT_TOKEN_LIFETIME_SECONDS,
    ) -> None:
        self.public_key = public_key
        self.secret_key = secret_key
        self._initial_auth_scheme = auth_scheme
        self._initial_token_lifetime = token_lifetime
        self.clock = clock if clock is not None else ScenarioClock(SEED_ANCHOR)
        self._initial_tickets = copy.deepcopy(tickets) if tickets is not None else None
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Restore the seed tickets and the defaults, and clear faults, request log and clock."""
        with self._lock:
            if self._initial_tickets is not None:
                self.tickets = copy.deepcopy(self._initial_tickets)
            else:
                self.tickets = seed_tickets()
            self.requests: list[RecordedRequest] = []
            self.not_found_body: dict | list | str = copy.deepcopy(DEFAULT_NOT_FOUND_BODY)
            self._requested_data_envelope = "data"
            self._faults: list[_FaultRule] = []
            self._random_faults: _RandomFaults | None = None
            self._fault_generation = 0
            self._request_counter = 0
            self._next_action_id = self._max_action_id() + 1
            self.clock.reset()
            self._scenario_enabled = True
            self.auth_scheme = self._initial_auth_scheme
            self.token_lifetime = self._initial_token_lifetime
            # access token -> time.monotonic() at which it expires
            self._tokens: dict[str, float] = {}
            self._tick = 0
            self._tick_times = scenario.tick_times(self.clock.now())
            self._next_tick_time = next(self._tick_times)

    # Tickets

    def get_ticket(self, ticket_id: int) -> dict | None:
        """Return a copy of the ticket after the due scenario steps, or None if it is unknown."""
        with self._lock:
            self.apply_scenario()
            ticket = self.tickets.get(ticket_id)
            return copy.deepcopy(ticket) if ticket is not None else None

    def put_ticket(self, ticket: dict, *, ticket_id: int | None = None) -> None:
        """Store a raw ticket as it is, replacing one with the same id.

        Any content is allowed, so tests can serve unknown enum values, extra fields or nulls.
        `ticket_id` sets the key when the ticket's own `id` is missing or not an int.
        """
        key = ticket_id if ticket_id is not None else ticket["id"]
        with self._lock:
            self.tickets[key] = copy.deepcopy(ticket)
            self._next_action_id = max(self._next_action_id, self._max_action_id() + 1)

    def update_ticket(self, ticket_id: int, **fields) -> dict:
        """Set fields of a ticket and return a copy of it.

        `updated_at` becomes the clock's now unless given. Raises KeyError for an unknown id.
        """
        with self._lock:
            ticket = self.tickets[ticket_id]
            fields.setdefault("updated_at", self._now_stamp())
            ticket.update(copy.deepcopy(fields))
            return copy.deepcopy(ticket)

    def add_requested_action(
        self, ticket_id: int, data_type: str, created_at: str | None = None
    ) -> dict:
        """Add an outstanding request with a new unique id to a ticket and return it.

        `created_at` defaults to the clock's now. Raises KeyError for an unknown id.
        """
        with self._lock:
            ticket = self.tickets[ticket_id]
            action = {
                "id": self._take_action_id(),
                "data_type": data_type,
                "created_at": created_at if created_at is not None else self._now_stamp(),
            }
            ticket.setdefault("requested_actions", []).append(action)
            return dict(action)

    def remove_requested_action(self, ticket_id: int, action_id: int) -> None:
        """Remove a request from a ticket, as Sendcloud does once the shop has provided the data.

        Raises KeyError when the ticket or the request is unknown.
        """
        with self._lock:
            actions = self.tickets[ticket_id].get("requested_actions") or []
            remaining = [action for action in actions if action.get("id") != action_id]
            if len(remaining) == len(actions):
                raise KeyError(f"ticket {ticket_id} has no requested action {action_id}")
            self.tickets[ticket_id]["requested_actions"] = remaining

    def delete_ticket(self, ticket_id: int) -> None:
        """Delete a ticket, if it exists, so the API returns 404 for it."""
        with self._lock:
            self.tickets.pop(ticket_id, None)

    def snapshot(self) -> dict[int, dict]:
        """Return a copy of every ticket after the due scenario steps."""
        with self._lock:
            self.apply_scenario()
            return copy.deepcopy(self.tickets)

    @property
    def requested_data_envelope(self) -> str:
        """Envelope of GET /dsf/tickets/requested-data: `"data"` or `"paged"`.

        NOTE: Sendcloud's current envelope is not documented. The older spec shows
        `{"data": [...]}`, and the endpoint's newer `page` and `size` parameters suggest
        `{total, page, pages, size, items}`.
        """
        return self._requested_data_envelope

    @requested_data_envelope.setter
    def requested_data_envelope(self, envelope: str) -> None:
        if envelope not in REQUESTED_DATA_ENVELOPES:
            raise ValueError(
                f"envelope must be one of {REQUESTED_DATA_ENVELOPES}, got {envelope!r}"
            )
        self._requested_data_envelope = envelope

    # Scenario

    @property
    def scenario_enabled(self) -> bool:
        return self._scenario_enabled

    @scenario_enabled.setter
    def scenario_enabled(self, enabled: bool) -> None:
        # Settle the ticks due so far under the old setting, so that enabling the scenario again
        # does not replay the ticks that fell while it was frozen.
        with self._lock:
            self.apply_scenario()
            self._scenario_enabled = enabled

    def apply_scenario(self) -> int:
        """Apply every scenario tick due up to the clock's now and return how many fell due.

        While the scenario is disabled the due ticks pass without changing any ticket.
        """
        with self._lock:
            now = self.clock.now()
            count = 0
            while self._next_tick_time <= now:
                self._tick += 1
                count += 1
                if self._scenario_enabled:
                    scenario.apply_tick(
                        self.tickets, self._tick, self._next_tick_time, self._take_action_id
                    )
                self._next_tick_time = next(self._tick_times)
            return count

    # Authentication

    @property
    def auth_scheme(self) -> str:
        """Credentials the API endpoints accept: `"basic"`, `"oauth2"` or `"both"`."""
        return self._auth_scheme

    @auth_scheme.setter
    def auth_scheme(self, scheme: str) -> None:
        if scheme not in AUTH_SCHEMES:
            raise ValueError(f"auth_scheme must be one of {AUTH_SCHEMES}, got {scheme!r}")
        self._auth_scheme = scheme

    def issue_token(self) -> tuple[str, float]:
        """Create an access token and return it with its lifetime in seconds.

        Tokens expire after `token_lifetime` seconds of real time, not of the scenario clock.
        """
        with self._lock:
            token = "sim_at_" + secrets.token_urlsafe(24)
            lifetime = self.token_lifetime
            self._tokens[token] = time.monotonic() + lifetime
            return token, lifetime

    def token_is_valid(self, token: str) -> bool:
        with self._lock:
            expires_at = self._tokens.get(token)
            return expires_at is not None and time.monotonic() < expires_at

    def expire_tokens(self) -> None:
        """Make every token issued so far invalid, as if its hour had passed."""
        with self._lock:
            self._tokens.clear()

    # Faults

    def inject(self, fault: Fault, *, path: str | None = None, times: int | None = None) -> Fault:
        """Add a fault for requests whose path lies under `path` (relative to the base path).

        `path=None` matches every request. The fault applies `times` times, or until
        `clear_faults()` when `times` is None. The first matching fault in injection order wins.
        """
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 or None, got {times}")
        with self._lock:
            self._faults.append(_FaultRule(fault, path, times))
        return fault

    def fail_randomly(
        self,
        rate: float,
        faults: Sequence[Fault],
        *,
        path: str | None = None,
        seed: int = 0,
    ) -> None:
        """Answer a share `rate` of the requests under `path` with one of `faults`, at random.

        Faults added with `inject()` go first. The choice is repeatable for a given `seed`.
        `clear_faults()` ends it.
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        if not faults:
            raise ValueError("faults must name at least one fault")
        with self._lock:
            self._random_faults = _RandomFaults(rate, tuple(faults), path, random.Random(seed))

    def clear_faults(self) -> None:
        """Remove every fault and end hangs and trickles in progress."""
        with self._lock:
            self._faults.clear()
            self._random_faults = None
            self._fault_generation += 1

    def take_fault(self, path: str) -> tuple[Fault, int] | None:
        """Return the first fault matching `path` and the fault generation, using up one time."""
        with self._lock:
            for rule in self._faults:
                if not path_matches(path, rule.path):
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._faults.remove(rule)
                return rule.fault, self._fault_generation
            chance = self._random_faults
            if chance is not None and path_matches(path, chance.path):
                if chance.random.random() < chance.rate:
                    return chance.random.choice(chance.faults), self._fault_generation
            return None

    def faults_cleared_since(self, generation: int) -> bool:
        with self._lock:
            return self._fault_generation != generation

    # Request log

    def record_request(self, method: str, path: str, query_string: str) -> RecordedRequest:
        """Append a request to the log and return its record, whose status the caller sets."""
        record = RecordedRequest(method, path, query_string)
        with self._lock:
            self.requests.append(record)
            if len(self.requests) > MAX_LOGGED_REQUESTS:
                # A demo may run for days, so the newest half is kept and the rest dropped.
                # NOTE: counts then cover only the kept requests; tests log far fewer.
                del self.requests[: MAX_LOGGED_REQUESTS // 2]
        return record

    def count_requests(self, path_prefix: str | None = None) -> int:
        """Count the logged requests whose path lies under `path_prefix` (all when None)."""
        with self._lock:
            return sum(1 for record in self.requests if path_matches(record.path, path_prefix))

    def next_request_id(self) -> str:
        with self._lock:
            self._request_counter += 1
            return f"sim-{self._request_counter:06d}"

    # Helpers

    def _now_stamp(self) -> str:
        return format_timestamp(self.clock.now())

    def _take_action_id(self) -> int:
        action_id = self._next_action_id
        self._next_action_id += 1
        return action_id

    def _max_action_id(self) -> int:
        ids = [
            action["id"]
            for ticket in self.tickets.values()
            if isinstance(ticket, dict)
            for action in ticket.get("requested_actions") or []
            if isinstance(action, dict) and isinstance(action.get("id"), int)
        ]
        return max(ids, default=0)
