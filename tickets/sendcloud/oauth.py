"""OAuth2 access tokens of the client-credentials grant, kept until shortly before they expire.

Sendcloud documents that its tokens live an hour and that clients should cache them and renew
them shortly before expiry.
The token is kept in a Django cache that every process shares, so the processes of one
dashboard fetch one token between them. The HTTP request itself is the client's `fetch`.
"""

import hashlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache

logger = logging.getLogger(__name__)

# A token is renewed this long before it expires: a tenth of its lifetime, at most a minute.
RENEW_BEFORE_FRACTION = 0.1
MAX_RENEW_BEFORE_SECONDS = 60.0
# How long a process waits for another process's token request before sending its own.
MAX_WAIT_FOR_OTHER_SECONDS = 2.0
WAIT_POLL_SECONDS = 0.05

# `fetch(deadline_at)` requests a new token and returns it with its lifetime in seconds.
TokenFetch = Callable[[float], tuple[str, float]]


class TokenCache:
    """The current access token of one client id at one token URL."""

    def __init__(
        self,
        fetch: TokenFetch,
        *,
        token_url: str,
        client_id: str,
        cache: BaseCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Without a shared cache the token is kept by this object alone.
        self._cache = cache if cache is not None else LocMemCache(f"oauth2-{uuid.uuid4()}", {})
        self._fetch = fetch
        self._clock = clock
        # The key names neither the secret nor the client id itself.
        digest = hashlib.sha256(f"{token_url}\n{client_id}".encode()).hexdigest()[:16]
        self._key = f"sendcloud:oauth2-token:{digest}"
        self._lock_key = f"{self._key}:lock"
        # The latest tokens seen, so that the client can hide them in messages.
        self.known_tokens: deque[str] = deque(maxlen=4)

    def _remember(self, token: str) -> None:
        if token not in self.known_tokens:
            self.known_tokens.append(token)

    def _cached(self) -> str | None:
        entry = self._cache.get(self._key)
        if entry is None:
            return None
        token, renew_at = entry
        if renew_at <= self._clock():
            return None
        self._remember(token)
        return token

    def get(self, deadline_at: float) -> str:
        """Return a valid token, fetching a new one when none is kept or it is due for renewal.

        `deadline_at` is a `time.monotonic()` value that bounds waiting and fetching. Errors of
        `fetch` propagate.
        """
        token = self._cached()
        if token is not None:
            return token

        lock_seconds = max(1, round(deadline_at - time.monotonic()) + 1)
        if not self._cache.add(self._lock_key, True, timeout=lock_seconds):
            wait_until = min(deadline_at, time.monotonic() + MAX_WAIT_FOR_OTHER_SECONDS)
            while time.monotonic() < wait_until:
                time.sleep(WAIT_POLL_SECONDS)
                token = self._cached()
                if token is not None:
                    return token
            logger.info("Another process is slow to fetch an OAuth2 token; fetching one too.")

        try:
            return self._renew(deadline_at)
        finally:
            self._cache.delete(self._lock_key)

    def _renew(self, deadline_at: float) -> str:
        token, lifetime = self._fetch(deadline_at)
        renew_before = min(MAX_RENEW_BEFORE_SECONDS, lifetime * RENEW_BEFORE_FRACTION)
        keep_seconds = max(lifetime - renew_before, 0.0)
        self._cache.set(
            self._key, (token, self._clock() + keep_seconds), timeout=max(1, int(keep_seconds))
        )
        self._remember(token)
        logger.info("Fetched an OAuth2 token from Sendcloud that lives %.0f s.", lifetime)
        return token

    def discard(self, token: str) -> None:
        """Forget `token` after Sendcloud rejected it, unless another process renewed it."""
        entry = self._cache.get(self._key)
        if entry is not None and entry[0] == token:
            self._cache.delete(self._key)
