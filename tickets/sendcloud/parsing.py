"""Tolerant reading of Support API JSON into the typed results of `types.py`.

Required fields are validated and a violation raises `InvalidResponse` naming the field, never
the body. Unknown enum values are kept as the raw strings Sendcloud sent, unknown extra fields
are ignored, and every optional field may be null or missing. A JSON boolean is never accepted
where a number is expected.
"""

import math
import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from .errors import InvalidResponse
from .types import (
    RequestedAction,
    RequestedData,
    RequestedDataPage,
    Resolution,
    Ticket,
    TicketPage,
)

EXCERPT_MAX_CHARS = 200

_PAGING_FIELDS = ("total", "page", "pages", "size")
_WHITESPACE = re.compile(r"\s+")


def parse_ticket(data: object, *, field: str = "ticket") -> Ticket:
    """Validate one ticket object, as GET /dsf/tickets/{id} returns it."""
    ticket = _require_object(data, field)
    ticket_id = _require_int(ticket, "id", field)
    status = _require_str(ticket, "status", field)
    stage = _require_str(ticket, "stage", field)
    created_at = _require_datetime(ticket, "created_at", field)
    actions = _require_list(ticket, "requested_actions", field)

    return Ticket(
        id=ticket_id,
        status=status,
        stage=stage,
        created_at=created_at,
        requested_actions=tuple(
            _parse_requested_action(item, f"{field}.requested_actions[{index}]")
            for index, item in enumerate(actions)
        ),
        type=_optional_str(ticket, "type", field),
        parcel_id=_optional_int(ticket, "parcel_id", field),
        carrier=_optional_str(ticket, "carrier", field),
        order_number=_optional_str(ticket, "order_number", field),
        brand_id=_optional_int(ticket, "brand_id", field),
        updated_at=_optional_datetime(ticket, "updated_at", field),
        resolution=_parse_resolution(ticket.get("resolution"), f"{field}.resolution"),
    )


def parse_ticket_page(data: object) -> TicketPage:
    """Validate a page of the ticket list, the envelope `{total, page, pages, size, items}`."""
    envelope = _require_object(data, "ticket page")
    items = _require_list(envelope, "items", "ticket page")

    # NOTE: Sendcloud documents the paging fields only by one example, with four integers.
    # Whether any of them can be null is unknown, and a null one is rejected here.
    return TicketPage(
        items=tuple(
            parse_ticket(item, field=f"items[{index}]") for index, item in enumerate(items)
        ),
        total=_require_int(envelope, "total", "ticket page"),
        page=_require_int(envelope, "page", "ticket page"),
        pages=_require_int(envelope, "pages", "ticket page"),
        size=_require_int(envelope, "size", "ticket page"),
    )


def parse_requested_data_page(data: object) -> RequestedDataPage:
    """Validate a page of requested data in either envelope Sendcloud has used.

    The older envelope is `{"data": [...]}` and leaves the paging fields None. The paged
    envelope is `{total, page, pages, size, items}`, and any of its paging fields may be null.
    Other top-level keys are kept in `extra`.
    """
    # NOTE: the envelope of this endpoint since it gained `page` and `size` is not documented,
    # so both known shapes are accepted. When both keys are present, `items` wins.
    envelope = _require_object(data, "requested data page")
    if "items" in envelope:
        key = "items"
        paging = {
            name: _optional_int(envelope, name, "requested data page") for name in _PAGING_FIELDS
        }
    elif "data" in envelope:
        key = "data"
        paging = {}
    else:
        raise InvalidResponse("Invalid requested data page: neither 'data' nor 'items' is present")

    items = _require_list(envelope, key, "requested data page")
    known_keys = {key, *_PAGING_FIELDS} if paging else {key}
    return RequestedDataPage(
        items=tuple(
            _parse_requested_data(item, f"{key}[{index}]") for index, item in enumerate(items)
        ),
        extra={name: value for name, value in envelope.items() if name not in known_keys},
        **paging,
    )


def parse_datetime(value: object, *, field: str = "timestamp") -> datetime:
    """Parse an ISO 8601 timestamp into an aware datetime in UTC.

    Accepts both `Z` and `+00:00` as the UTC offset. Raises InvalidResponse naming `field` when
    the value is not a string or not a valid timestamp.
    """
    if not isinstance(value, str):
        raise InvalidResponse(f"Invalid {field}: expected an ISO 8601 string, got {_kind(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidResponse(f"Invalid {field}: {excerpt(value, 40)!r} is not ISO 8601") from None

    if parsed.tzinfo is None:
        # NOTE: every documented Sendcloud timestamp carries an offset. A timestamp without one
        # is read as UTC, which is a guess.
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_error_body(data: object) -> str:
    """Summarise a Sendcloud error body `{"errors": [{code, title, detail, status}]}`.

    Each error reads as "title (code, status 404): detail", with the parts it lacks left out,
    and several errors are joined by "; ". `status` may be a number or a string. Returns an
    empty string when the body is not that envelope. The summary is at most
    EXCERPT_MAX_CHARS long, with control characters removed.
    """
    if not isinstance(data, dict) or not isinstance(data.get("errors"), list):
        return ""

    summaries = [_summarise_error(item) for item in data["errors"] if isinstance(item, dict)]
    return excerpt("; ".join(summary for summary in summaries if summary))


def excerpt(text: str, limit: int = EXCERPT_MAX_CHARS) -> str:
    """Shorten text for a log line or an exception message.

    Control and formatting characters are removed, runs of whitespace become one space, and
    text longer than `limit` is cut and ends with an ellipsis.
    """
    visible = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf")
    )
    collapsed = _WHITESPACE.sub(" ", visible).strip()
    if len(collapsed) <= limit:
        return collapsed
    return collapsed[: limit - 1].rstrip() + "…"


def _summarise_error(error: dict) -> str:
    title = _text_or_none(error.get("title"))
    detail = _text_or_none(error.get("detail"))
    code = _text_or_none(error.get("code"))
    status = error.get("status")

    labels = []
    if code:
        labels.append(code)
    if isinstance(status, int) and not isinstance(status, bool):
        labels.append(f"status {status}")
    elif isinstance(status, str) and status.strip():
        labels.append(f"status {status.strip()}")

    head = title or ""
    if labels:
        head = f"{head} ({', '.join(labels)})".strip()
    if detail and detail != title:
        return f"{head}: {detail}" if head else detail
    return head


def _parse_requested_action(data: object, field: str) -> RequestedAction:
    # NOTE: whether `id`, `data_type` and `created_at` of a requested action are required is not
    # documented. All three are required here because an agent must see every open request.
    action = _require_object(data, field)
    return RequestedAction(
        id=_require_int(action, "id", field),
        data_type=_clean_data_type(_require_str(action, "data_type", field)),
        created_at=_require_datetime(action, "created_at", field),
    )


def _parse_requested_data(data: object, field: str) -> RequestedData:
    item = _require_object(data, field)
    return RequestedData(
        request_id=_require_int(item, "request_id", field),
        data_type=_clean_data_type(_require_str(item, "data_type", field)),
        title=_require_str(item, "title", field),
        created_at=_require_datetime(item, "created_at", field),
        description=_optional_str(item, "description", field),
        tracking_number=_optional_str(item, "tracking_number", field),
        order_number=_optional_str(item, "order_number", field),
    )


def _parse_resolution(data: object, field: str) -> Resolution | None:
    # NOTE: the resolution schema is known from one example only, so every sub-field is
    # optional and other sub-fields are ignored.
    if data is None:
        return None
    resolution = _require_object(data, field)
    return Resolution(
        outcome=_optional_str(resolution, "outcome", field),
        amount=_optional_decimal(resolution, "amount", field),
        currency=_optional_str(resolution, "currency", field),
        solved_at=_optional_datetime(resolution, "solved_at", field),
    )


def _clean_data_type(value: str) -> str:
    # NOTE: every data_type value in Sendcloud's January 2026 OpenAPI file ends in a comma
    # ("sales_invoice,"), a bug in that file. The comma is stripped in case the API sends it too.
    return value.strip().rstrip(",").rstrip()


def _require_object(data: object, field: str) -> dict:
    if not isinstance(data, dict):
        raise InvalidResponse(f"Invalid {field}: expected a JSON object, got {_kind(data)}")
    return data


def _require_list(data: dict, name: str, parent: str) -> list:
    value = _require_present(data, name, parent)
    if not isinstance(value, list):
        raise InvalidResponse(f"Invalid {parent}.{name}: expected a list, got {_kind(value)}")
    return value


def _require_int(data: dict, name: str, parent: str) -> int:
    value = _require_present(data, name, parent)
    return _check_int(value, f"{parent}.{name}")


def _require_str(data: dict, name: str, parent: str) -> str:
    value = _require_present(data, name, parent)
    return _check_str(value, f"{parent}.{name}")


def _require_datetime(data: dict, name: str, parent: str) -> datetime:
    value = _require_present(data, name, parent)
    return parse_datetime(value, field=f"{parent}.{name}")


def _require_present(data: dict, name: str, parent: str) -> object:
    value = data.get(name)
    if value is None:
        state = "null" if name in data else "missing"
        raise InvalidResponse(f"Invalid {parent}: required field '{name}' is {state}")
    return value


def _optional_int(data: dict, name: str, parent: str) -> int | None:
    value = data.get(name)
    return None if value is None else _check_int(value, f"{parent}.{name}")


def _optional_str(data: dict, name: str, parent: str) -> str | None:
    value = data.get(name)
    return None if value is None else _check_str(value, f"{parent}.{name}")


def _optional_datetime(data: dict, name: str, parent: str) -> datetime | None:
    value = data.get(name)
    return None if value is None else parse_datetime(value, field=f"{parent}.{name}")


def _optional_decimal(data: dict, name: str, parent: str) -> Decimal | None:
    """Read a number or a numeric string as a Decimal, keeping 149.99 exact."""
    value = data.get(name)
    if value is None:
        return None

    field = f"{parent}.{name}"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidResponse(f"Invalid {field}: expected a number, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidResponse(f"Invalid {field}: expected a finite number")
    try:
        # str() first, because Decimal(149.99) would carry the float's binary error.
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidResponse(
            f"Invalid {field}: {excerpt(str(value), 40)!r} is not a number"
        ) from None
    if not amount.is_finite():
        raise InvalidResponse(f"Invalid {field}: expected a finite number")
    return amount


def _check_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidResponse(f"Invalid {field}: expected an integer, got {_kind(value)}")
    return value


def _check_str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidResponse(f"Invalid {field}: expected a string, got {_kind(value)}")
    return value


def _text_or_none(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _kind(value: object) -> str:
    """Name the JSON type of a value, so messages never repeat the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
