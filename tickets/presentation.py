"""Presentation of a ticket for the templates: labels, derived states and the timeline."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets import labels, rules
from tickets.sendcloud.types import Ticket


@dataclass(frozen=True)
class TimelineEvent:
    """One dated entry of the ticket timeline."""

    kind: str  # "created", "requested", "updated" or "resolved"
    label: str
    at: datetime | None
    data_type: str = ""


@dataclass(frozen=True)
class TicketView:
    """A ticket with its labels and derived states, ready for the templates."""

    ticket: Ticket
    status_label: str
    stage_label: str
    type_label: str
    carrier_label: str
    status_known: bool
    stage_known: bool
    type_known: bool
    carrier_known: bool
    needs_action: bool
    is_final: bool
    outstanding_count: int
    timeline: tuple[TimelineEvent, ...]

    @property
    def id(self) -> int:
        return self.ticket.id

    @property
    def state_phrase(self) -> str:
        """Return the short state shown in the tab title and the heading."""
        if self.needs_action:
            return _("Needs action")
        return self.status_label

    @property
    def outstanding_phrase(self) -> str:
        return ngettext(
            "%(count)d document outstanding",
            "%(count)d documents outstanding",
            self.outstanding_count,
        ) % {"count": self.outstanding_count}

    @property
    def quiet_outstanding(self) -> bool:
        """Tell whether to show the quieter marker: documents requested, no action state."""
        return self.outstanding_count > 0 and not self.needs_action and not self.is_final

    @property
    def order_url(self) -> str:
        """Return the permalink of the ticket's order number, or "" if it has none."""
        return _lookup_url("order_lookup", self.ticket.order_number)

    @property
    def parcel_url(self) -> str:
        parcel_id = self.ticket.parcel_id
        return _lookup_url("parcel_lookup", str(parcel_id) if parcel_id is not None else None)

    @property
    def outcome_label(self) -> str:
        resolution = self.ticket.resolution
        return labels.outcome_label(resolution.outcome) if resolution else ""

    @property
    def amount(self) -> Decimal | None:
        resolution = self.ticket.resolution
        return resolution.amount if resolution else None


def _lookup_url(name: str, value: str | None) -> str:
    # Sendcloud may send any text, including characters no URL pattern matches.
    if not value:
        return ""
    try:
        return reverse(name, args=[value])
    except NoReverseMatch:
        return ""


def build_ticket_view(ticket: Ticket) -> TicketView:
    """Label a ticket and lay out its timeline, oldest entry first."""
    requested = sorted(ticket.requested_actions, key=lambda action: action.created_at)
    events = [TimelineEvent("created", _("Ticket created"), ticket.created_at)]
    events += [
        TimelineEvent(
            "requested",
            labels.data_type_label(action.data_type),
            action.created_at,
            data_type=action.data_type,
        )
        for action in requested
    ]
    if ticket.updated_at is not None:
        events.append(TimelineEvent("updated", _("Last update"), ticket.updated_at))
    if ticket.resolution is not None:
        events.append(TimelineEvent("resolved", _("Resolved"), ticket.resolution.solved_at))
    return TicketView(
        ticket=ticket,
        status_label=labels.status_label(ticket.status),
        stage_label=labels.stage_label(ticket.stage),
        type_label=labels.type_label(ticket.type),
        carrier_label=labels.carrier_label(ticket.carrier),
        status_known=labels.is_known("status", ticket.status),
        stage_known=labels.is_known("stage", ticket.stage),
        type_known=labels.is_known("type", ticket.type),
        carrier_known=labels.is_known("carrier", ticket.carrier),
        needs_action=rules.needs_action(ticket),
        is_final=rules.is_final(ticket),
        outstanding_count=len(ticket.requested_actions),
        timeline=tuple(_sorted_by_time(events)),
    )


def _sorted_by_time(events: list[TimelineEvent]) -> list[TimelineEvent]:
    # A resolution without a date stays last; the sort is stable for equal times.
    order = {"created": 0, "requested": 1, "updated": 2, "resolved": 3}
    dated = [event for event in events if event.at is not None]
    undated = [event for event in events if event.at is None]
    dated.sort(key=lambda event: (event.at, order[event.kind]))
    return dated + undated
