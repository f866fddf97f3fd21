"""HTTP client for Sendcloud's Support API (v3, beta).

Only this module sends HTTP requests to Sendcloud. Each public call returns an immutable result from
`types.py` or raises one exception of the family in `errors.py`:

- 401 raises CredentialsRejected, 403 raises AccessDenied, and 429 raises RateLimited with the
  wait from `Retry-After` (seconds or an HTTP date) or None.
- 404 raises TicketNotFound from `get_ticket`. From a list call it raises InvalidResponse,
  because there it means a wrong API URL rather than a missing ticket.
- A 3xx raises ConfigurationError. Redirects are never followed, so the credentials never
  reach the redirect target.
- 5xx, timeouts, connection errors, resets and an exceeded total deadline raise Unavailable.
- A 2xx body that is not readable JSON also raises Unavailable. That covers an HTML page, such
  as a proxy's login or maintenance page, and JSON cut off by a broken connection.
- JSON of the wrong shape, a body over MAX_BODY_BYTES and any other status raise
  InvalidResponse.

Authentication is Basic auth with the public and secret key, or, with `auth_scheme="oauth2"`,
a Bearer token of the client-credentials grant from `token_url` (see `oauth.py`). A 401 to a
Bearer token makes the client fetch a new token and send the request once more.

A client built by `from_settings` shares a `Throttle` (see `throttle.py`) with every process.
Each request takes one from the budget of the minute. A 429 stops all calls for the wait of its
`Retry-After`, and during that wait calls fail at once without reaching Sendcloud.

Every call has a total deadline besides its connect and read timeouts. The body is read in
chunks and the deadline is checked between them, so a server that sends one byte at a time
cannot hold a web worker. Within that deadline a call makes at most one quick retry, after a
connection error or reset, or after a 502, 503 or 504 without `Retry-After`. It retries only
while at least half of the deadline is left. Read timeouts and 429 are never retried.

Exception messages name the path, the upstream status and Sendcloud's `X-Request-Id` where
known, with a short sanitised excerpt of the error body. They never contain the keys, a token or
the Authorization header. Each request is logged at debug level with its method, path, status
and duration.
"""

import base64
import email.utils
import http.client
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import parsing
from .errors import (
    AccessDenied,
    ConfigurationError,
    CredentialsRejected,
    InvalidResponse,
    RateLimited,
    SendcloudError,
    TicketNotFound,
    Unavailable,
)
from .oauth import TokenCache
from .throttle import BACKGROUND, INTERACTIVE, TIMEOUT_PAUSE_STATUS, Throttle
from .types import RequestedDataPage, Ticket, TicketPage

logger = logging.getLogger(__name__)

# Keep in step with `version` in pyproject.toml.
DASHBOARD_VERSION = "0.1.0"
DEFAULT_API_URL = "https://panel.sendcloud.sc/api/v3"
DEFAULT_TOKEN_URL = "https://account.sendcloud.com/oauth2/token"  # noqa: S105 (a URL)
AUTH_SCHEMES = ("basic", "oauth2")

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_TICKET_PAGE_SIZE = 20
MAX_REQUESTED_DATA_PAGE_SIZE = 100
RETRY_PAUSE_SECONDS = 0.1
RETRYABLE_STATUSES = frozenset({502, 503, 504})

_READ_CHUNK_BYTES = 64 * 1024
_JSON_CONTENT_TYPE = re.compile(r"^application/([\w.+-]+\+)?json$")


class SendcloudClient:
    """A connection to one Sendcloud account's Support API.

    Holds one `requests.Session` with a connection pool of `pool_size`, so one client should
    serve the whole process (see `get_client`). Timeouts and the deadline are in seconds.
    """

    def __init__(
        self,
        base_url: str,
        public_key: str,
        secret_key: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        deadline: float = 15.0,
        pool_size: int = 10,
        user_agent: str | None = None,
        auth_scheme: str = "basic",
        token_url: str = DEFAULT_TOKEN_URL,
        token_cache: BaseCache | None = None,
        throttle: Throttle | None = None,
        timeout_pause: float = 0.0,
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("base_url must be an http or https URL with a host name")
        if url.username or url.password:
            raise ValueError("base_url must not contain credentials; pass the keys separately")
        if not public_key or not secret_key:
            raise ValueError("public_key and secret_key must both be set")
        for name, value in (
            ("connect_timeout", connect_timeout),
            ("read_timeout", read_timeout),
            ("deadline", deadline),
        ):
            if value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if pool_size < 1:
            raise ValueError(f"pool_size must be at least 1, got {pool_size!r}")
        if auth_scheme not in AUTH_SCHEMES:
            raise ValueError(f"auth_scheme must be one of {AUTH_SCHEMES}, got {auth_scheme!r}")
        token_parts = urlsplit(token_url)
        if auth_scheme == "oauth2" and (
            token_parts.scheme not in ("http", "https") or not token_parts.hostname
        ):
            raise ValueError("token_url must be an http or https URL with a host name")

        self.base_url = base_url.rstrip("/")
        self.host = url.hostname
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.throttle = throttle
        # Seconds no process calls Sendcloud after it timed out; 0 turns the pause off.
        self.timeout_pause = timeout_pause
        self._client_credentials = (public_key, secret_key)
        self._secrets = _secret_forms(public_key, secret_key)
        basic_auth = self._client_credentials if auth_scheme == "basic" else None
        self._session = _build_session(basic_auth, pool_size, user_agent)
        self.token_url = token_url
        self._tokens = None
        if auth_scheme == "oauth2":
            self._tokens = TokenCache(
                self._request_token, token_url=token_url, client_id=public_key, cache=token_cache
            )

    @classmethod
    def from_settings(cls) -> "SendcloudClient":
        """Build a client from the SENDCLOUD_* Django settings, read now.

        Raises ConfigurationError naming the setting when one is missing or invalid.
        """
        public_key = getattr(settings, "SENDCLOUD_PUBLIC_KEY", "") or ""
        secret_key = getattr(settings, "SENDCLOUD_SECRET_KEY", "") or ""
        if not public_key or not secret_key:
            raise ConfigurationError(
                "SENDCLOUD_PUBLIC_KEY and SENDCLOUD_SECRET_KEY must both be set to reach Sendcloud"
            )

        base_url = getattr(settings, "SENDCLOUD_API_URL", "") or DEFAULT_API_URL
        auth_scheme = getattr(settings, "SENDCLOUD_AUTH", "basic")
        if auth_scheme not in AUTH_SCHEMES:
            raise ConfigurationError(
                f"SENDCLOUD_AUTH must be one of {', '.join(AUTH_SCHEMES)}, got {auth_scheme!r}"
            )
        token_url = getattr(settings, "SENDCLOUD_TOKEN_URL", "") or DEFAULT_TOKEN_URL
        requests_per_minute = getattr(settings, "SENDCLOUD_REQUESTS_PER_MINUTE", None)
        if requests_per_minute is not None:
            requests_per_minute = int(
                _number_setting("SENDCLOUD_REQUESTS_PER_MINUTE", 30, integer=True)
            )
        throttle = Throttle(
            cache,
            requests_per_minute=requests_per_minute,
            backoff_seconds=_number_setting("SENDCLOUD_RATE_LIMIT_BACKOFF_SECONDS", 60.0),
        )
        arguments = {
            "connect_timeout": _number_setting("SENDCLOUD_CONNECT_TIMEOUT", 3.05),
            "read_timeout": _number_setting("SENDCLOUD_READ_TIMEOUT", 10.0),
            "deadline": _number_setting("SENDCLOUD_DEADLINE", 15.0),
            "pool_size": _number_setting("SENDCLOUD_POOL_SIZE", 10, integer=True),
            "auth_scheme": auth_scheme,
            "token_url": token_url,
            "token_cache": cache,
            "throttle": throttle,
            "timeout_pause": _number_setting(
                "SENDCLOUD_TIMEOUT_PAUSE_SECONDS", 10.0, zero_allowed=True
            ),
        }
        try:
            return cls(base_url, public_key, secret_key, **arguments)
        except ValueError as error:
            name = "SENDCLOUD_TOKEN_URL" if "token_url" in str(error) else "SENDCLOUD_API_URL"
            raise ConfigurationError(f"Invalid {name}: {error}") from None

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def get_ticket(self, ticket_id: int, *, priority: str = INTERACTIVE) -> Ticket:
        """Fetch one ticket: https://sendcloud.dev/api/v3/support/retrieve-a-support-ticket"""
        if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
            raise ValueError(f"ticket_id must be an integer, got {type(ticket_id).__name__}")

        path = f"/dsf/tickets/{ticket_id}"
        ticket = self._get(path, parsing.parse_ticket, not_found=TicketNotFound, priority=priority)
        if ticket.id != ticket_id:
            message = f"Requested ticket {ticket_id}, but Sendcloud returned ticket {ticket.id}"
            raise InvalidResponse(message, path=path)
        return ticket

    def list_tickets(
        self, page: int = 1, size: int = MAX_TICKET_PAGE_SIZE, *, priority: str = BACKGROUND
    ) -> TicketPage:
        """Fetch a page of tickets: https://sendcloud.dev/api/v3/support/retrieve-support-tickets"""
        _check_paging(page, size, MAX_TICKET_PAGE_SIZE)
        path = "/dsf/tickets"
        params = {"page": page, "size": size}
        return self._get(path, parsing.parse_ticket_page, params=params, priority=priority)

    def list_requested_data(
        self, page: int = 1, size: int = MAX_REQUESTED_DATA_PAGE_SIZE, *, priority: str = BACKGROUND
    ) -> RequestedDataPage:
        """Fetch open data requests: https://sendcloud.dev/api/v3/support/retrieve-requested-data-for-open-tickets"""
        _check_paging(page, size, MAX_REQUESTED_DATA_PAGE_SIZE)
        path = "/dsf/tickets/requested-data"
        params = {"page": page, "size": size}
        return self._get(path, parsing.parse_requested_data_page, params=params, priority=priority)

    def _get[Result](
        self,
        path: str,
        parse: Callable[[object], Result],
        *,
        params: dict | None = None,
        not_found: type[SendcloudError] = InvalidResponse,
        priority: str = INTERACTIVE,
    ) -> Result:
        """GET a path below the base URL within the deadline and parse the JSON it returns.

        Makes at most one quick retry, as the module docstring describes, and one more request
        with a new token after a 401 to an OAuth2 token. Translates every failure into the
        exception family of `errors.py`.
        """
        deadline_at = time.monotonic() + self.deadline
        attempt = 1
        token_renewed = False
        while True:
            if self.throttle is not None:
                self.throttle.before_request(priority, path, deadline_at)
            token = self._tokens.get(deadline_at) if self._tokens is not None else None
            try:
                response = self._send_once(
                    "GET", path, deadline_at, params=params, bearer_token=token
                )
            except _TransportFailure as failure:
                if failure.retryable and self._may_retry(attempt, deadline_at):
                    self._log_retry(path, str(failure.error.message), attempt)
                    attempt += 1
                    continue
                self._pause_after_timeout(failure.error)
                raise failure.error from failure.__cause__

            if response.status == 401 and token is not None and not token_renewed:
                logger.info("Sendcloud rejected the OAuth2 token on GET %s; renewing it.", path)
                self._tokens.discard(token)
                token_renewed = True
                continue
            self._note_backoff(response)

            retryable = (
                response.status in RETRYABLE_STATUSES and "Retry-After" not in response.headers
            )
            if retryable and self._may_retry(attempt, deadline_at):
                self._log_retry(path, f"status {response.status}", attempt)
                attempt += 1
                continue

            data = self._interpret(response, path, not_found)
            try:
                return parse(data)
            except InvalidResponse as error:
                message = error.message + self._request_id_note(response.request_id)
                raise InvalidResponse(message, path=path, status=response.status) from None

    def _pause_after_timeout(self, error: Unavailable) -> None:
        """Stop every process from calling for a while after Sendcloud timed out.

        Without the pause, each page of another ticket would hold a worker thread for a whole
        timeout while Sendcloud is silent.
        """
        if self.throttle is None or self.timeout_pause <= 0:
            return
        if error.reason == Unavailable.TIMEOUT or error.timed_out:
            self.throttle.back_off(self.timeout_pause, status=TIMEOUT_PAUSE_STATUS)

    def _note_backoff(self, response: "_BufferedResponse") -> None:
        """Make every process wait after a 429, or after a 5xx that sent Retry-After."""
        if self.throttle is None:
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if response.status == 429:
            self.throttle.back_off(retry_after, status=429)
        elif response.status >= 500 and retry_after is not None:
            self.throttle.back_off(retry_after, status=response.status)

    def _request_token(self, deadline_at: float) -> tuple[str, float]:
        """POST the client credentials to the token URL and return the token and its lifetime.

        The form fields and the response fields follow Sendcloud's OAuth2 documentation of the
        client-credentials grant: Basic auth with the keys, `grant_type` and `scope=api`.
        """
        path = urlsplit(self.token_url).path or "/"
        try:
            response = self._send_once(
                "POST",
                path,
                deadline_at,
                url=self.token_url,
                data={"grant_type": "client_credentials", "scope": "api"},
                basic_auth=self._client_credentials,
            )
        except _TransportFailure as failure:
            raise failure.error from failure.__cause__

        if response.status in (400, 401):
            message = (
                f"Sendcloud's token endpoint rejected the OAuth2 client credentials "
                f"({response.status})"
            )
            raise CredentialsRejected(
                message + self._error_details(response), path=path, status=response.status
            )
        self._note_backoff(response)
        data = self._interpret(response, path, InvalidResponse)
        token = data.get("access_token") if isinstance(data, dict) else None
        lifetime = data.get("expires_in") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise InvalidResponse(
                "Sendcloud's token response has no access_token", path=path, status=response.status
            )
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
            # NOTE: Sendcloud documents expires_in; without it the documented lifetime of an hour
            # is assumed.
            lifetime = 3600.0
        return token, float(lifetime)

    def _may_retry(self, attempt: int, deadline_at: float) -> bool:
        return attempt == 1 and deadline_at - time.monotonic() >= self.deadline / 2

    def _log_retry(self, path: str, reason: str, attempt: int) -> None:
        logger.info("Retrying GET %s once after attempt %d failed: %s", path, attempt, reason)
        time.sleep(RETRY_PAUSE_SECONDS)

    def _send_once(
        self,
        method: str,
        path: str,
        deadline_at: float,
        *,
        url: str | None = None,
        params: dict | None = None,
        data: dict | None = None,
        basic_auth: tuple[str, str] | None = None,
        bearer_token: str | None = None,
    ) -> "_BufferedResponse":
        """Send one request and read its whole body, or raise _TransportFailure.

        `url` defaults to the path below the base URL. Basic auth of the session applies
        unless `basic_auth` or `bearer_token` is given.
        """
        started = time.monotonic()
        remaining = deadline_at - started
        if remaining <= 0:
            raise _TransportFailure(
                Unavailable(
                    f"Sendcloud did not respond within {self.deadline:g} s",
                    reason=Unavailable.TIMEOUT,
                    path=path,
                ),
                retryable=False,
            )
        headers = {"Authorization": f"Bearer {bearer_token}"} if bearer_token else None

        read_timeout = min(self.read_timeout, remaining)
        # NOTE: until the headers are complete, the deadline bounds each socket read but not
        # their sum, so a server that trickles its headers can still exceed it.
        try:
            response = self._session.request(
                method,
                url or self.base_url + path,
                params=params,
                data=data,
                auth=basic_auth,
                headers=headers,
                timeout=(min(self.connect_timeout, remaining), read_timeout),
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            self._log_call(method, path, started, failure=type(error).__name__)
            raise _transport_failure(error, path, self.host, read_timeout) from error

        try:
            if 300 <= response.status_code < 400:
                self._log_call(method, path, started, status=response.status_code)
                raise self._redirect_error(response, path)
            body = self._read_body(response, path, deadline_at)
        except (_TransportFailure, InvalidResponse) as error:
            self._log_call(method, path, started, status=response.status_code, failure=str(error))
            raise
        finally:
            response.close()

        self._log_call(method, path, started, status=response.status_code)
        return _BufferedResponse(
            status=response.status_code,
            reason=response.reason or "",
            headers=response.headers,
            content_type=response.headers.get("Content-Type", ""),
            body=body,
            request_id=self._clean(response.headers.get("X-Request-Id", ""), 100),
        )

    def _read_body(self, response: requests.Response, path: str, deadline_at: float) -> bytes:
        """Read the body in chunks, enforcing the deadline and MAX_BODY_BYTES."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise InvalidResponse(
                f"Sendcloud announced a body of {int(declared)} bytes, over the limit of "
                f"{MAX_BODY_BYTES} bytes",
                path=path,
                status=response.status_code,
            )

        raw = response.raw
        chunks = []
        size = 0
        while True:
            remaining = deadline_at - time.monotonic()
            if remaining <= 0:
                raise _TransportFailure(
                    Unavailable(
                        f"Sendcloud did not finish its response within the deadline of "
                        f"{self.deadline:g} s",
                        reason=Unavailable.TIMEOUT,
                        path=path,
                        status=response.status_code,
                    ),
                    retryable=False,
                )
            _limit_socket_wait(raw, min(self.read_timeout, remaining))
            try:
                chunk = raw.read1(_READ_CHUNK_BYTES, decode_content=True)
            except urllib3.exceptions.HTTPError as error:
                raise _body_failure(error, path, response.status_code) from error
            if not chunk:
                return b"".join(chunks)

            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise InvalidResponse(
                    f"Sendcloud sent a body over the limit of {MAX_BODY_BYTES} bytes",
                    path=path,
                    status=response.status_code,
                )
            chunks.append(chunk)

    def _redirect_error(self, response: requests.Response, path: str) -> ConfigurationError:
        location = response.headers.get("Location", "")
        target = urlsplit(location).hostname or self.host
        return ConfigurationError(
            f"The Sendcloud API URL redirects to {self._clean(target, 100)}. Redirects are not "
            "followed, so the credentials were not sent there. Check SENDCLOUD_API_URL"
            f"{self._request_id_note(response.headers.get('X-Request-Id', ''))}",
            path=path,
            status=response.status_code,
        )

    def _interpret(
        self, response: "_BufferedResponse", path: str, not_found: type[SendcloudError]
    ) -> object:
        """Decode a 2xx body as JSON, or raise the exception that matches the status."""
        status = response.status
        if 200 <= status < 300:
            return self._decode_json(response, path)

        details = self._error_details(response)
        reason = self._clean(response.reason, 60)
        if status == 401:
            message = "Sendcloud rejected the API keys (401 Unauthorized)"
            raise CredentialsRejected(message + details, path=path, status=status)
        if status == 403:
            message = (
                "Sendcloud denied access to the Support API (403 Forbidden). The Support API "
                "beta may not be enabled for this account"
            )
            raise AccessDenied(message + details, path=path, status=status)
        if status == 404 and not_found is TicketNotFound:
            message = "Sendcloud has no such ticket for this account (404 Not Found)"
            raise TicketNotFound(message + details, path=path, status=status)
        if status == 404:
            message = "Sendcloud returned 404 Not Found for this path. Check SENDCLOUD_API_URL"
            raise not_found(message + details, path=path, status=status)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is None:
                wait = "no wait given"
            else:
                wait = f"retry after {math.ceil(retry_after)} s"
            message = f"Sendcloud rate limit reached (429 Too Many Requests), {wait}"
            raise RateLimited(message + details, retry_after=retry_after, path=path, status=status)
        if 500 <= status < 600:
            message = f"Sendcloud failed with {status} {reason}".rstrip()
            raise Unavailable(
                message + details,
                reason=Unavailable.SERVER_ERROR,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                path=path,
                status=status,
            )

        message = f"Sendcloud returned unexpected status {status} {reason}".rstrip()
        raise InvalidResponse(message + details, path=path, status=status)

    def _decode_json(self, response: "_BufferedResponse", path: str) -> object:
        try:
            return json.loads(response.body)
        except (ValueError, RecursionError):
            pass

        # A cut-off ticket would put customer data into the message, so only a page that is not
        # JSON, such as a proxy's login page, gets an excerpt.
        if _JSON_CONTENT_TYPE.match(response.media_type):
            message = (
                f"Sendcloud returned unreadable JSON of {len(response.body)} bytes, probably cut "
                f"off by a broken connection{self._request_id_note(response.request_id)}"
            )
        else:
            content_type = self._clean(response.media_type or "no content type", 60)
            message = f"Sendcloud returned {content_type} instead of JSON"
            message += self._error_details(response)
        raise Unavailable(message, reason=Unavailable.NOT_JSON, path=path, status=response.status)

    def _error_details(self, response: "_BufferedResponse") -> str:
        """Describe an error body and the request id as a suffix for an exception message."""
        summary = ""
        try:
            summary = parsing.parse_error_body(json.loads(response.body))
        except (ValueError, RecursionError):
            pass
        if not summary and response.body:
            text = response.body.decode("utf-8", errors="replace")
            if "html" in response.media_type:
                text = re.sub(r"<[^>]*>", " ", text)
            summary = text
        summary = self._clean(summary, parsing.EXCERPT_MAX_CHARS)

        details = f": {summary}" if summary else ""
        return details + self._request_id_note(response.request_id)

    def _request_id_note(self, request_id: str) -> str:
        request_id = self._clean(request_id, 100)
        return f" (Sendcloud request id {request_id})" if request_id else ""

    def _clean(self, text: str, limit: int) -> str:
        """Sanitise upstream text for a message: shorten it and hide the keys and tokens."""
        secrets = list(self._secrets)
        if self._tokens is not None:
            secrets.extend(self._tokens.known_tokens)
        for secret in secrets:
            text = text.replace(secret, "[redacted]")
        return parsing.excerpt(text, limit)

    def _log_call(
        self,
        method: str,
        path: str,
        started: float,
        *,
        status: int | None = None,
        failure: str = "",
    ) -> None:
        duration_ms = (time.monotonic() - started) * 1000
        outcome = str(status) if status is not None else "no status"
        if failure:
            outcome += f", failed: {failure}"
        logger.debug("%s %s -> %s in %.0f ms", method, path, outcome, duration_ms)


def parse_retry_after(value: str | None) -> float | None:
    """Read a `Retry-After` header as seconds to wait, from delay-seconds or an HTTP date.

    Returns None when the header is missing or unreadable, and 0 for a date in the past.
    """
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)

    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


_client: SendcloudClient | None = None
_client_lock = threading.Lock()


def get_client() -> SendcloudClient:
    """Return the process-wide client, building it from Django settings on first use."""
    global _client
    with _client_lock:
        if _client is None:
            _client = SendcloudClient.from_settings()
        return _client


def reset_client() -> None:
    """Drop the process-wide client, so the next `get_client` reads the settings again."""
    global _client
    with _client_lock:
        client, _client = _client, None
    if client is not None:
        client.close()


@receiver(setting_changed)
def _reset_client_on_setting_change(*, setting: str, **kwargs) -> None:
    if setting.startswith("SENDCLOUD_"):
        reset_client()


@dataclass(frozen=True, slots=True)
class _BufferedResponse:
    """An HTTP response whose whole body has been read."""

    status: int
    reason: str
    headers: requests.structures.CaseInsensitiveDict
    content_type: str
    body: bytes
    request_id: str

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()


class _TransportFailure(Exception):
    """Carries the Unavailable error of one attempt and whether a retry may help."""

    def __init__(self, error: Unavailable, *, retryable: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable


def _build_session(
    basic_auth: tuple[str, str] | None, pool_size: int, user_agent: str | None
) -> requests.Session:
    session = requests.Session()
    session.auth = basic_auth
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = user_agent or (
        f"sendcloud-ticket-dashboard/{DASHBOARD_VERSION} (+python-requests/{requests.__version__})"
    )

    # Retries are made by the client itself, because only the client tracks the deadline.
    adapter = HTTPAdapter(
        pool_connections=1,
        pool_maxsize=pool_size,
        max_retries=Retry(total=0, read=False, redirect=False),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _secret_forms(public_key: str, secret_key: str) -> tuple[str, ...]:
    """List the texts that would reveal a key, including the Basic auth token."""
    token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode("ascii")
    return tuple(sorted({secret_key, public_key, token}, key=len, reverse=True))


def _limit_socket_wait(raw: urllib3.HTTPResponse, seconds: float) -> None:
    """Bound the next socket read by the time left, not only by the read timeout."""
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _transport_failure(
    error: requests.RequestException, path: str, host: str, read_timeout: float
) -> _TransportFailure:
    """Translate a failure before any status arrived into an Unavailable error."""
    if isinstance(error, requests.ConnectTimeout):
        message = f"Connection to Sendcloud at {host} timed out"
        unavailable = Unavailable(message, path=path)
        unavailable.timed_out = True
        return _TransportFailure(unavailable, retryable=False)
    if isinstance(error, requests.Timeout):
        message = f"Sendcloud at {host} did not respond within {round(read_timeout, 1):g} s"
        unavailable = Unavailable(message, reason=Unavailable.TIMEOUT, path=path)
        return _TransportFailure(unavailable, retryable=False)
    if isinstance(error, requests.exceptions.SSLError):
        message = f"TLS handshake with Sendcloud at {host} failed"
        return _TransportFailure(Unavailable(message, path=path), retryable=False)
    if isinstance(error, requests.ConnectionError):
        message = f"Connection to Sendcloud at {host} failed: {_describe_cause(error)}"
        return _TransportFailure(Unavailable(message, path=path), retryable=True)

    message = f"Request to Sendcloud at {host} failed: {type(error).__name__}"
    return _TransportFailure(Unavailable(message, path=path), retryable=False)


def _body_failure(error: urllib3.exceptions.HTTPError, path: str, status: int) -> _TransportFailure:
    """Translate a failure while reading the body into an Unavailable error.

    Only a reset is worth a retry. A body cut short with a clean close is not retried.
    """
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        message = "Reading the response from Sendcloud timed out"
        unavailable = Unavailable(message, reason=Unavailable.TIMEOUT, path=path, status=status)
        return _TransportFailure(unavailable, retryable=False)

    message = (
        f"Connection failed while reading the response from Sendcloud: {_describe_cause(error)}"
    )
    retryable = isinstance(_network_cause(error), _RESET_ERRORS)
    return _TransportFailure(Unavailable(message, path=path, status=status), retryable=retryable)


_RESET_ERRORS = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


def _describe_cause(error: BaseException) -> str:
    """Name the network cause of an error in a few words, without any URL."""
    cause = _network_cause(error)
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, http.client.RemoteDisconnected):
        return "connection closed without a response"
    if isinstance(cause, _RESET_ERRORS):
        return "connection reset"
    if isinstance(cause, http.client.IncompleteRead):
        return "response cut off before its announced length"
    if isinstance(cause, urllib3.exceptions.NameResolutionError):
        return "host name not resolved"
    return type(cause or error).__name__


def _network_cause(error: BaseException) -> BaseException | None:
    """Find the socket-level error inside the wrappers of requests and urllib3."""
    causes = (OSError, http.client.IncompleteRead, urllib3.exceptions.NameResolutionError)
    seen = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        # requests' own exceptions derive from OSError too, so they are skipped.
        if isinstance(current, causes) and not isinstance(current, requests.RequestException):
            return current
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend(link for link in (current.__cause__, current.__context__) if link)
    return None


def _check_paging(page: int, size: int, max_size: int) -> None:
    for name, value in (("page", page), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer, got {type(value).__name__}")
    if page < 1:
        raise ValueError(f"page must be at least 1, got {page}")
    if not 1 <= size <= max_size:
        raise ValueError(f"size must be between 1 and {max_size}, got {size}")


def _number_setting(
    name: str, default: float, *, integer: bool = False, zero_allowed: bool = False
) -> float:
    value = getattr(settings, name, default)
    valid_types = int if integer else int | float
    is_number = isinstance(value, valid_types) and not isinstance(value, bool)
    too_small = is_number and (value < 0 if zero_allowed else value <= 0)
    if not is_number or too_small:
        kind = "a positive integer" if integer else "a positive number of seconds"
        if zero_allowed:
            kind = "0 or a positive number of seconds"
        raise ConfigurationError(f"{name} must be {kind}, got {value!r}")
    return value
