"""The exception family of the Sendcloud client.

Messages are safe to log: they name the request path, the upstream status and Sendcloud's
request id where known, and never a key, a secret or an Authorization header.
"""


class SendcloudError(Exception):
    """Root of every failure the client raises."""

    def __init__(self, message: str, *, status: int | None = None, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.path = path

    def __str__(self) -> str:
        parts = [self.message]
        if self.path:
            parts.append(f"path={self.path}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        return " ".join(parts)


class TicketNotFound(SendcloudError):
    """Sendcloud returned 404: the ticket does not exist or belongs to another account."""


class CredentialsRejected(SendcloudError):
    """Sendcloud returned 401: the public or secret key is wrong."""


class AccessDenied(SendcloudError):
    """Sendcloud returned 403: the keys work but may not use the Support API (beta not enabled)."""


class RateLimited(SendcloudError):
    """Sendcloud returned 429. `retry_after` is the wait in seconds, or None when not sent."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class BudgetSpent(RateLimited):
    """The dashboard's own request budget for this minute is used up, so no request was sent.

    `retry_after` is the wait in seconds until the budget has room again.
    """


class Unavailable(SendcloudError):
    """Sendcloud could not be reached or failed: timeout, connection error, 5xx or an HTML page.

    `reason` is one of the constants below. `retry_after` is the wait in seconds that a 5xx
    response asked for in `Retry-After`, or None.
    """

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    SERVER_ERROR = "server_error"
    NOT_JSON = "not_json"

    def __init__(
        self,
        message: str,
        *,
        reason: str = CONNECTION,
        retry_after: float | None = None,
        **kwargs,
    ) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason
        self.retry_after = retry_after
        # True for a connect timeout too, whose reason is CONNECTION.
        self.timed_out = reason == self.TIMEOUT


class InvalidResponse(SendcloudError):
    """Sendcloud returned JSON of an unexpected shape, or another unexpected status."""


class ConfigurationError(SendcloudError):
    """The client is set up wrongly, for example the API URL redirects to another host."""
