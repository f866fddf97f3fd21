"""Typed, immutable results of the Support API.

The client builds these from JSON at the boundary. Unknown enum values are kept as the raw
strings Sendcloud sent, so the presentation layer decides how to show them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RequestedAction:
    """An outstanding request from the carrier for one piece of data."""

    id: int
    data_type: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of a resolved ticket. Any of its fields may be missing upstream."""

    outcome: str | None
    amount: Decimal | None
    currency: str | None
    solved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A support ticket in its current state, as GET /dsf/tickets/{id} returns it."""

    id: int
    status: str
    stage: str
    created_at: datetime
    requested_actions: tuple[RequestedAction, ...] = ()
    type: str | None = None
    parcel_id: int | None = None
    carrier: str | None = None
    order_number: str | None = None
    brand_id: int | None = None
    updated_at: datetime | None = None
    resolution: Resolution | None = None


@dataclass(frozen=True, slots=True)
class TicketPage:
    """One page of the ticket list with its paging envelope."""

    items: tuple[Ticket, ...]
    total: int
    page: int
    pages: int
    size: int


@dataclass(frozen=True, slots=True)
class RequestedData:
    """One outstanding data request of an open ticket, from GET /dsf/tickets/requested-data."""

    request_id: int
    data_type: str
    title: str
    created_at: datetime
    description: str | None = None
    tracking_number: str | None = None
    order_number: str | None = None


@dataclass(frozen=True, slots=True)
class RequestedDataPage:
    """One page of requested data.

    Paging fields are `None` when Sendcloud returned the bare `{"data": [...]}` envelope.
    """

    items: tuple[RequestedData, ...]
    total: int | None = None
    page: int | None = None
    pages: int | None = None
    size: int | None = None
    extra: dict = field(default_factory=dict, compare=False, repr=False)
