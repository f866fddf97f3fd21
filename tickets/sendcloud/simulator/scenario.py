"""The scenario clock and the scripted changes that keep a few open tickets moving.

Every tick of the scenario moves ticket 45 and tickets 46 and 47 one step along their scripts.
Ticks fall 20, 25, 30 and 22 seconds of clock time apart, in that repeating order, counted from
the clock's start. `SimulatorState` applies due ticks lazily before it reads a ticket, so no
background thread is needed and tests move time with the clock instead of sleeping.
"""

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from .seed import format_timestamp

TICK_SECONDS = (20, 25, 30, 22)


class ScenarioClock:
    """The simulator's notion of now: fixed until moved, or moving with wall time.

    With `real_time=False` (the default, for tests) `now()` stays at `start` plus whatever
    `advance()` and `set()` added. With `real_time=True` (the demo) it also moves with the wall
    clock from the moment the clock was built or last reset.
    """

    def __init__(self, start: datetime, *, real_time: bool = False) -> None:
        if start.tzinfo is None:
            raise ValueError(f"start must be an aware datetime, got {start!r}")
        self.start = start
        self.real_time = real_time
        self._lock = threading.Lock()
        self._offset = timedelta()
        self._wall_start = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            return self.start + self._offset + self._elapsed()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError(f"moment must be an aware datetime, got {moment!r}")
        with self._lock:
            self._offset = moment - self.start - self._elapsed()

    def reset(self) -> None:
        """Move the clock back to `start` and restart its wall-time count."""
        with self._lock:
            self._offset = timedelta()
            self._wall_start = time.monotonic()

    def _elapsed(self) -> timedelta:
        if not self.real_time:
            return timedelta()
        return timedelta(seconds=time.monotonic() - self._wall_start)


def tick_times(start: datetime) -> Iterator[datetime]:
    """Yield the moments of scenario ticks 1, 2, 3, ... after `start`."""
    moment = start
    for seconds in itertools.cycle(TICK_SECONDS):
        moment += timedelta(seconds=seconds)
        yield moment


@dataclass(frozen=True, slots=True)
class Step:
    """One scripted change of a ticket.

    `request` adds a requested action per data type. `answer` removes the oldest outstanding
    request of each data type, as Sendcloud drops a request once the shop has provided the data.
    `paid_amount` sets a `claim_approved` resolution, and every other step clears the resolution.
    """

    status: str
    stage: str = "in_progress"
    request: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()
    paid_amount: float | None = None
    currency: str = "EUR"


# Ticket 45 never reaches a final state, so a dashboard page that stops polling final tickets
# keeps refreshing it. Its script ends where the seed starts, then begins again.
_TICKET_45 = (
    Step("communicated_to_carrier"),
    Step(
        "customer_documents_requested",
        "action_required",
        request=("sales_invoice", "declaration_non_receipt"),
    ),
    Step("customer_reminder_sent", "action_required"),
    Step("customer_documents_requested", "action_required", answer=("sales_invoice",)),
    Step("documents_forwarded_to_carrier", answer=("declaration_non_receipt",)),
    Step("waiting_for_carrier"),
    Step("carrier_update_received"),
    Step("customer_documents_requested", "action_required", request=("photo_of_shipping_label",)),
    Step("escalated", answer=("photo_of_shipping_label",)),
    Step("smart_refund_available"),
    Step("processing"),
)

# Ticket 46 passes through a paid claim and then opens a new claim cycle.
_TICKET_46 = (
    Step(
        "customer_documents_requested",
        "action_required",
        request=("photo_of_damage", "photo_of_packaging_material_interior"),
    ),
    Step("customer_documents_requested", "action_required", answer=("photo_of_damage",)),
    Step("documents_forwarded_to_carrier", answer=("photo_of_packaging_material_interior",)),
    Step("claim_paid", "manually_solved_stage", paid_amount=64.5),
    Step("pending"),
    Step("waiting_for_carrier"),
)

_TICKET_47 = (
    Step("new_scan_received"),
    Step("delayed"),
    Step("carrier_reminder_sent"),
    Step("customer_documents_requested", "action_required", request=("sales_invoice",)),
    Step("processing", answer=("sales_invoice",)),
    Step("waiting_for_scan"),
)

SCRIPTS: dict[int, tuple[Step, ...]] = {45: _TICKET_45, 46: _TICKET_46, 47: _TICKET_47}


def apply_tick(
    tickets: dict[int, dict], tick: int, moment: datetime, next_action_id: Callable[[], int]
) -> None:
    """Apply the step of scenario tick `tick` (1-based) to every scripted ticket that exists.

    Tickets that a test deleted are skipped. `next_action_id` returns a fresh requested-action id.
    """
    stamp = format_timestamp(moment)
    for ticket_id, script in SCRIPTS.items():
        ticket = tickets.get(ticket_id)
        if ticket is None:
            continue
        _apply_step(ticket, script[(tick - 1) % len(script)], stamp, next_action_id)


def _apply_step(ticket: dict, step: Step, stamp: str, next_action_id: Callable[[], int]) -> None:
    ticket["status"] = step.status
    ticket["stage"] = step.stage
    ticket["updated_at"] = stamp

    actions = list(ticket.get("requested_actions") or [])
    for data_type in step.answer:
        for action in actions:
            if action.get("data_type") == data_type:
                actions.remove(action)
                break
    for data_type in step.request:
        actions.append({"id": next_action_id(), "data_type": data_type, "created_at": stamp})
    ticket["requested_actions"] = actions

    if step.paid_amount is None:
        ticket["resolution"] = None
    else:
        ticket["resolution"] = {
            "outcome": "claim_approved",
            "amount": step.paid_amount,
            "currency": step.currency,
            "solved_at": stamp,
        }
