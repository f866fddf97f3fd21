"""The simulated Support API endpoints: authentication, routing, paging and error bodies."""

import base64
import binascii
import hmac
import json
import math
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, parse_qsl

from .seed import DATA_TYPE_TITLES, is_final
from .state import SimulatorState

TICKETS_MAX_SIZE = 20
TICKETS_DEFAULT_SIZE = 15
REQUESTED_DATA_MAX_SIZE = 100
REQUESTED_DATA_DEFAULT_SIZE = 50

TOKEN_PATH = "/oauth2/token"  # noqa: S105 (a path)
# The maximum size of a token request body that is read, in bytes.
MAX_TOKEN_BODY_BYTES = 4096

_INTEGER = re.compile(r"-?[0-9]+")
_TICKET_PATH = re.compile(r"/dsf/tickets/(?P<ticket_id>[^/]+)")
# The current docs serve requested data at /dsf/tickets/requested-data, and the Jan-2026 spec
# at /support/dsf/tickets/requested-data, so the simulator serves both.
_REQUESTED_DATA_PATHS = ("/dsf/tickets/requested-data", "/support/dsf/tickets/requested-data")


@dataclass(slots=True)
class Response:
    """A complete HTTP response: status code, body and headers other than Content-Type."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


class _InvalidQuery(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(status: int, payload: object, headers: list | None = None) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, body, headers=list(headers or []))


def errors_body(status: int, code: str, detail: str, title: str | None = None) -> dict:
    """Build the Support errors envelope, whose item `status` is an integer."""
    title = title if title is not None else HTTPStatus(status).phrase
    return {"errors": [{"code": code, "detail": detail, "title": title, "status": status}]}


# The codes and titles of the Support spec's error examples, by HTTP status.
_SUPPORT_ERRORS = {
    400: ("bad_request", "Bad Request", "Bad request"),
    404: ("not_found", "Not Found", "Not found"),
    406: ("not_acceptable", "Not Acceptable", "Not acceptable"),
    409: ("conflict", "Conflict", "Already exists"),
    413: ("content_too_large", "Content Too Large", "Content too large"),
    422: ("unprocessable_content", "Unprocessable Content", "Unprocessable content"),
    429: ("hit_rate_limit", "Rate limit exceeded", "Rate limit exceeded: 30 per 1 minute"),
}


def default_error_body(status: int) -> dict:
    """Build the errors envelope for a bare status code.

    Statuses without a Support example get a code made from the HTTP reason phrase.
    """
    if status in _SUPPORT_ERRORS:
        code, title, detail = _SUPPORT_ERRORS[status]
        return errors_body(status, code, detail, title)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"Status {status}"
    code = re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")
    return errors_body(status, code, phrase, phrase)


def handle_request(
    state: SimulatorState,
    method: str,
    path: str | None,
    query_string: str,
    authorization: str | None,
) -> Response:
    """Build the normal response to a request.

    `path` is relative to the base path, or None when the request lies outside it.
    """
    if not _is_authorized(state, authorization):
        return _unauthorized(authorization)

    route = _route(path)
    if route is None:
        detail = f"No endpoint matches the path {path or '(outside the API base path)'}."
        return json_response(404, errors_body(404, "not_found", detail))
    if method != "GET":
        detail = f"Method {method} is not allowed on this endpoint. Use GET."
        body = errors_body(405, "method_not_allowed", detail)
        return json_response(405, body, headers=[("Allow", "GET")])

    handler, argument = route
    params = parse_qs(query_string, keep_blank_values=True)
    try:
        return handler(state, params, argument)
    except _InvalidQuery as error:
        return error.response


def _route(path: str | None):
    if path is None:
        return None
    if path == "/dsf/tickets":
        return _list_tickets, None
    if path in _REQUESTED_DATA_PATHS:
        return _list_requested_data, None
    match = _TICKET_PATH.fullmatch(path)
    if match:
        return _retrieve_ticket, match["ticket_id"]
    return None


# Authentication


def _is_authorized(state: SimulatorState, authorization: str | None) -> bool:
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() == "basic" and state.auth_scheme in ("basic", "both"):
        return _has_keys(state, credentials)
    if scheme.lower() == "bearer" and state.auth_scheme in ("oauth2", "both"):
        return state.token_is_valid(credentials.strip())
    return False


def _has_keys(state: SimulatorState, encoded: str) -> bool:
    """Check Basic-auth credentials against the public and secret key."""
    if not encoded:
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    username, separator, password = decoded.partition(":")
    if not separator:
        return False
    # Compare both keys every time, so timing does not reveal which one was wrong.
    username_ok = hmac.compare_digest(username.encode(), state.public_key.encode())
    password_ok = hmac.compare_digest(password.encode(), state.secret_key.encode())
    return username_ok and password_ok


def _unauthorized(authorization: str | None) -> Response:
    # NOTE: Sendcloud documents no 401 for Support endpoints. This is the body that other v3
    # resources document, with the status as a string as they send it.
    if authorization:
        detail = "Invalid username/password."
    else:
        detail = "Authentication credentials were not provided."
    error = {
        "status": "401",
        "code": "authentication_failed",
        "title": "Invalid username/password.",
        "detail": detail,
    }
    return json_response(401, {"errors": [error]})


# OAuth2


def handle_token_request(
    state: SimulatorState, method: str, authorization: str | None, body: bytes
) -> Response:
    """Issue a token for the client-credentials grant, as POST /oauth2/token does.

    The client id and secret (the public and secret key) come by Basic auth, and the form body
    carries `grant_type=client_credentials` and `scope=api`. Errors use the OAuth2 error body
    of RFC 6749, section 5.2.
    """
    if method != "POST":
        body_json = {"error": "invalid_request", "error_description": "Use POST."}
        return json_response(405, body_json, headers=[("Allow", "POST")])
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not _has_keys(state, credentials):
        body_json = {
            "error": "invalid_client",
            "error_description": "Client authentication failed.",
        }
        return json_response(401, body_json, headers=[("WWW-Authenticate", "Basic")])
    form = dict(parse_qsl(body.decode("utf-8", errors="replace")))
    if form.get("grant_type") != "client_credentials":
        body_json = {
            "error": "unsupported_grant_type",
            "error_description": "Only client_credentials is supported.",
        }
        return json_response(400, body_json)

    token, lifetime = state.issue_token()
    # The fields of Sendcloud's documented token response; only access_token is ever used.
    return json_response(
        200,
        {
            "access_token": token,
            "expires_in": lifetime,
            "id_token": "sim_id_" + token.removeprefix("sim_at_"),
            "refresh_token": "sim_rt_" + token.removeprefix("sim_at_"),
            "scope": form.get("scope", "api"),
            "token_type": "bearer",
        },
    )


# Endpoints


def _retrieve_ticket(state: SimulatorState, params: dict, raw_id: str) -> Response:
    # NOTE: Sendcloud does not document its response to a non-integer ticket id. The simulator
    # returns 404 as for an unknown ticket.
    ticket = state.get_ticket(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() else None
    if ticket is None:
        return json_response(404, state.not_found_body)
    return json_response(200, ticket)


def _list_tickets(state: SimulatorState, params: dict, _argument: None) -> Response:
    # NOTE: the list's filter parameters (status, carrier, parcel, date range) are not
    # documented by name, so the simulator ignores every parameter but `page` and `size`.
    page = _positive_int(params, "page", default=1)
    size = _positive_int(params, "size", default=TICKETS_DEFAULT_SIZE, maximum=TICKETS_MAX_SIZE)
    tickets = [ticket for _id, ticket in sorted(state.snapshot().items())]
    return json_response(200, _paged(tickets, page, size))


def _list_requested_data(state: SimulatorState, params: dict, _argument: None) -> Response:
    page = _positive_int(params, "page", default=1)
    size = _positive_int(
        params, "size", default=REQUESTED_DATA_DEFAULT_SIZE, maximum=REQUESTED_DATA_MAX_SIZE
    )
    items = []
    for _id, ticket in sorted(state.snapshot().items()):
        if not isinstance(ticket, dict) or is_final(ticket):
            continue
        items.extend(_requested_data_item(ticket, action) for action in _actions(ticket))
    items.sort(key=lambda item: item["request_id"])

    envelope = _paged(items, page, size)
    if state.requested_data_envelope == "data":
        return json_response(200, {"data": envelope["items"]})
    return json_response(200, envelope)


def _actions(ticket: dict) -> list[dict]:
    actions = ticket.get("requested_actions") or []
    return [action for action in actions if isinstance(action, dict) and "id" in action]


def _requested_data_item(ticket: dict, action: dict) -> dict:
    data_type = action.get("data_type")
    title = DATA_TYPE_TITLES.get(data_type, str(data_type).replace("_", " ").capitalize())
    parcel_id = ticket.get("parcel_id")
    return {
        "created_at": action.get("created_at"),
        "request_id": action["id"],
        "title": title,
        "data_type": data_type,
        "description": f"The carrier requests this for support ticket {ticket.get('id')}.",
        "tracking_number": f"3SSIM{parcel_id:010d}" if isinstance(parcel_id, int) else None,
        "order_number": ticket.get("order_number"),
    }


# Paging


def _paged(items: list, page: int, size: int) -> dict:
    """Cut one page out of `items`; a page beyond the last has no items."""
    start = (page - 1) * size
    return {
        "total": len(items),
        "page": page,
        "pages": math.ceil(len(items) / size),
        "size": size,
        "items": items[start : start + size],
    }


def _positive_int(params: dict, name: str, *, default: int, maximum: int | None = None) -> int:
    """Read a query parameter as an integer from 1 to `maximum`, raising _InvalidQuery if not."""
    values = params.get(name)
    if not values:
        return default
    raw = values[0]
    if not _INTEGER.fullmatch(raw):
        _reject(name, "int_parsing", "Input should be a valid integer", raw)
    value = int(raw)
    if value < 1:
        _reject(name, "greater_than_equal", "Input should be greater than or equal to 1", raw)
    if maximum is not None and value > maximum:
        message = f"Input should be less than or equal to {maximum}"
        _reject(name, "less_than_equal", message, raw)
    return value


def _reject(name: str, error_type: str, message: str, raw: str) -> None:
    # NOTE: Sendcloud does not document how it rejects a bad `page` or `size` (400 or 422).
    # The simulator answers 400 with a detail in the style of the Support validation errors.
    error = {"type": error_type, "loc": ("query", name), "msg": message, "input": raw}
    detail = f"Validation Error. Errors: [{error!r}]"
    raise _InvalidQuery(json_response(400, errors_body(400, "bad_request", detail)))
