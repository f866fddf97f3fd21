"""The simulator's WSGI application: request log, fault injection and the normal response."""

import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus

from .endpoints import (
    MAX_TOKEN_BODY_BYTES,
    TOKEN_PATH,
    Response,
    default_error_body,
    handle_request,
    handle_token_request,
    json_response,
)
from .faults import Hang, Html, Latency, Redirect, Reset, Status, Trickle, Truncated, WrongShape
from .state import SimulatorState

logger = logging.getLogger(__name__)

SOCKET_ENVIRON_KEY = "simulator.socket"
STOPPING_ENVIRON_KEY = "simulator.stopping"

# How often a hang, a latency or a trickle checks whether it should end early, in seconds.
_POLL_SECONDS = 0.1

_LOGIN_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Log in</title></head>
<body>
<h1>Log in to continue</h1>
<form method="post" action="/login">
<label>Email <input type="email" name="email"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Log in</button>
</form>
</body>
</html>
"""


class _ConnectionDropped(ConnectionAbortedError):
    """Raised to end a request without sending a response.

    wsgiref's handler treats ConnectionAbortedError as a client that went away, so it writes
    nothing more and logs nothing.
    """


def make_app(state: SimulatorState, *, base_path: str = "/api/v3") -> Callable:
    """Build a WSGI application that serves the Support API GET endpoints under `base_path`.

    It also serves the OAuth2 token endpoint at /oauth2/token, outside the base path, because
    Sendcloud serves it on another host.
    """
    base = base_path.rstrip("/")

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        full_path = environ.get("PATH_INFO") or "/"
        path = _relative_path(full_path, base)
        query_string = environ.get("QUERY_STRING", "")
        record = state.record_request(method, path if path is not None else full_path, query_string)
        request_id = state.next_request_id()

        def normal_response() -> Response:
            authorization = environ.get("HTTP_AUTHORIZATION")
            if full_path == TOKEN_PATH:
                return handle_token_request(state, method, authorization, _read_body(environ))
            return handle_request(state, method, path, query_string, authorization)

        matched_fault = state.take_fault(record.path)
        if matched_fault is None:
            response = normal_response()
            body: Iterable[bytes] = [response.body]
            length = len(response.body)
        else:
            fault, generation = matched_fault
            context = _FaultContext(state, environ, generation)
            response, body, length = _serve_fault(fault, context, normal_response)

        record.status = response.status
        logger.debug("%s %s -> %s (%s)", method, full_path, response.status, request_id)
        headers = {
            "Content-Type": response.content_type,
            "Content-Length": str(length),
            "X-Request-Id": request_id,
        }
        # A fault's own headers replace the defaults of the same name.
        for name, value in response.headers:
            headers = {key: kept for key, kept in headers.items() if key.lower() != name.lower()}
            headers[name] = value
        start_response(_status_line(response.status), list(headers.items()))
        return body

    return application


def _read_body(environ: dict) -> bytes:
    """Read the request body, at most MAX_TOKEN_BODY_BYTES of it."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(min(max(length, 0), MAX_TOKEN_BODY_BYTES))


def _relative_path(full_path: str, base: str) -> str | None:
    if not base:
        return full_path
    if full_path == base:
        return "/"
    if full_path.startswith(base + "/"):
        return full_path[len(base) :]
    return None


def _status_line(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{status} {phrase}"


class _FaultContext:
    """The request details a fault uses: the client socket and the signals to stop early."""

    def __init__(self, state: SimulatorState, environ: dict, generation: int) -> None:
        self.state = state
        self.socket = environ.get(SOCKET_ENVIRON_KEY)
        self.stopping = environ.get(STOPPING_ENVIRON_KEY) or threading.Event()
        self.generation = generation

    def interrupted(self) -> bool:
        return self.stopping.is_set() or self.state.faults_cleared_since(self.generation)

    def wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, returning early when the server stops or faults are cleared."""
        deadline = time.monotonic() + seconds
        while not self.interrupted():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(_POLL_SECONDS, remaining))


def _serve_fault(
    fault, context: _FaultContext, normal_response: Callable[[], Response]
) -> tuple[Response, Iterable[bytes], int]:
    """Carry out a fault, returning the response, its body iterable and the Content-Length."""
    match fault:
        case Latency(seconds=seconds):
            context.wait(seconds)
            response = normal_response()
        case Hang(seconds=seconds):
            context.wait(seconds)
            if context.stopping.is_set():
                raise _ConnectionDropped("the simulator is stopping")
            response = normal_response()
        case Status(code=code, body=body, headers=headers, content_type=content_type):
            response = Response(code, _encode_body(code, body), content_type)
            response.headers = list((headers or {}).items())
        case Html(status=status):
            response = Response(status, _LOGIN_PAGE, "text/html; charset=utf-8")
        case Truncated():
            complete = normal_response()
            response = Response(200, complete.body[: len(complete.body) // 2])
        case WrongShape(body=body):
            response = json_response(200, body)
        case Redirect(location=location, status=status):
            response = Response(status, b"", headers=[("Location", location)])
        case Trickle(interval=interval, total_seconds=total_seconds):
            response = normal_response()
            body_iterator = _trickle(response.body, interval, total_seconds, context)
            return response, body_iterator, len(response.body)
        case Reset():
            _reset_connection(context.socket)
            raise _ConnectionDropped("connection reset by an injected fault")
        case _:
            raise TypeError(f"unknown fault {fault!r}")
    return response, [response.body], len(response.body)


def _encode_body(status: int, body: str | dict | list | None) -> bytes:
    if body is None:
        return json.dumps(default_error_body(status)).encode()
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _trickle(
    body: bytes, interval: float, total_seconds: float, context: _FaultContext
) -> Iterator[bytes]:
    deadline = time.monotonic() + total_seconds
    for index in range(len(body)):
        if index > 0:
            context.wait(min(interval, max(deadline - time.monotonic(), 0)))
            if context.interrupted() or time.monotonic() >= deadline:
                return
        yield body[index : index + 1]


def _reset_connection(connection: socket.socket | None) -> None:
    # With SO_LINGER on and a zero timeout, closing the socket sends a TCP RST instead of a
    # FIN. The server closes it after this request without its usual shutdown(SHUT_WR).
    if connection is None:
        return
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
