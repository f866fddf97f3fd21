"""Faults that replace or delay the simulator's normal response.

Inject one with `SimulatorState.inject()`. The WSGI application in `app.py` carries them out.
"""

from dataclasses import dataclass

RATE_LIMIT_BODY = {
    "errors": [
        {
            "code": "hit_rate_limit",
            "detail": "Rate limit exceeded: 30 per 1 minute",
            "title": "Rate limit exceeded",
            "status": 429,
        }
    ]
}
"""The 429 body of Sendcloud's Support spec, whose example names a limit of 30 a minute."""


@dataclass(frozen=True, slots=True)
class Latency:
    """Wait `seconds` before sending the normal response."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Status:
    """Respond with status `code`.

    A dict or list `body` is sent as JSON and a str as it is. Without a body the response carries
    the Support errors envelope for the code.
    """

    code: int
    body: str | dict | list | None = None
    headers: dict[str, str] | None = None
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Html:
    """Respond with an HTML login page, as a proxy or a login wall in front of the API would."""

    status: int = 200


@dataclass(frozen=True, slots=True)
class Truncated:
    """Respond 200 with the first half of the normal JSON body and a Content-Length to match."""


@dataclass(frozen=True, slots=True)
class WrongShape:
    """Respond 200 with `body` as JSON in place of the normal response."""

    body: dict | list


@dataclass(frozen=True, slots=True)
class Hang:
    """Read the request and send nothing for `seconds`, then send the normal response.

    The hang ends early when the faults are cleared or the server stops. A stopping server
    closes the connection without a response.
    """

    seconds: float = 60


@dataclass(frozen=True, slots=True)
class Trickle:
    """Send the status line and headers at once, then one byte of the body every `interval`.

    After `total_seconds` the connection closes, even when the body is not complete.
    """

    interval: float = 2.0
    total_seconds: float = 30


@dataclass(frozen=True, slots=True)
class Reset:
    """Close the connection with a TCP reset (SO_LINGER 0) and send no response."""


@dataclass(frozen=True, slots=True)
class Redirect:
    """Respond with a redirect to `location`."""

    location: str
    status: int = 302


Fault = Latency | Status | Html | Truncated | WrongShape | Hang | Trickle | Reset | Redirect


def rate_limited(retry_after: str | None = "7") -> Status:
    """Build a 429 fault with Sendcloud's rate-limit body and, unless None, a Retry-After header.

    NOTE: Sendcloud documents no Retry-After header, so tests should cover both cases.
    """
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    return Status(429, body=RATE_LIMIT_BODY, headers=headers)
