"""Limits on calls to Sendcloud that every process of the dashboard shares.

Two limits, both kept in a Django cache that all processes use (the database cache or Redis):

- A request budget per minute, over a sliding window. Calls for pages in front of agents
  (`INTERACTIVE`) may use all of it. Calls of the mirror sync (`BACKGROUND`) stop at two thirds,
  so agents keep a reserve.
- A back-off after a 429, or after a 5xx that sent `Retry-After`. Until it ends no process calls
  Sendcloud. A request waits for a back-off only when less than a second of it is left.

Counters and locks use only the cache's `add` and `incr`, so any Django cache backend works.
`incr` is atomic on Redis but is a read and a write on the database cache, where two processes
can count the same number. Each counted number is therefore also claimed with `add`, which is
atomic on both, so no number is granted twice.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache.backends.base import BaseCache

from .errors import BudgetSpent, RateLimited, Unavailable

logger = logging.getLogger(__name__)

INTERACTIVE = "interactive"
BACKGROUND = "background"

# The budget counts calls in buckets of ten seconds. A call is allowed when the current bucket
# and the six before it hold fewer calls than the budget, so any 60 seconds hold no more.
BUCKET_SECONDS = 10
BUCKETS_PER_WINDOW = 6
# Maximum seconds a request sleeps to let a back-off end. A longer back-off fails the call.
MAX_BACKOFF_SLEEP_SECONDS = 1.0
# A back-off shorter than this is stretched to it, and a longer one is cut to the maximum.
MIN_BACKOFF_SECONDS = 1.0
# NOTE: a cap on a Retry-After that Sendcloud might send by mistake (hours or days). Sendcloud
# documents no Retry-After header at all, so the right cap is a guess.
MAX_BACKOFF_SECONDS = 15 * 60
# The status recorded for a pause that the dashboard takes itself after Sendcloud timed out.
TIMEOUT_PAUSE_STATUS = 0


@dataclass(frozen=True, slots=True)
class Backoff:
    """A wait that Sendcloud asked for: until when (Unix time), and after which status."""

    until: float
    status: int


class Throttle:
    """The shared request budget and back-off of one Sendcloud account.

    `requests_per_minute` of None means no budget. `backoff_seconds` is the wait after a 429
    that sent no usable `Retry-After`.
    """

    def __init__(
        self,
        cache: BaseCache,
        *,
        requests_per_minute: int | None,
        backoff_seconds: float,
        key_prefix: str = "sendcloud",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute is not None and requests_per_minute < 1:
            raise ValueError(f"requests_per_minute must be at least 1, got {requests_per_minute}")
        self.cache = cache
        self.requests_per_minute = requests_per_minute
        self.backoff_seconds = backoff_seconds
        self.key_prefix = key_prefix
        self._clock = clock
        self._sleep = sleep

    # Back-off

    @property
    def _backoff_key(self) -> str:
        return f"{self.key_prefix}:backoff"

    def current_backoff(self) -> Backoff | None:
        """Return the back-off in force, or None."""
        backoff = self.cache.get(self._backoff_key)
        if backoff is None or backoff.until <= self._clock():
            return None
        return backoff

    def back_off(self, seconds: float | None, *, status: int) -> float:
        """Stop every process from calling Sendcloud for `seconds` and return the wait applied.

        None means the configured `backoff_seconds`. A back-off already in force that ends
        later is kept.
        """
        if seconds is None:
            seconds = self.backoff_seconds
        seconds = min(max(seconds, MIN_BACKOFF_SECONDS), MAX_BACKOFF_SECONDS)
        until = self._clock() + seconds
        current = self.current_backoff()
        if current is not None and current.until >= until:
            return current.until - self._clock()
        self.cache.set(
            self._backoff_key, Backoff(until=until, status=status), timeout=math.ceil(seconds) + 1
        )
        if status == TIMEOUT_PAUSE_STATUS:
            logger.warning(
                "Sendcloud did not respond in time, so no process calls it for the next %.0f s.",
                seconds,
            )
        else:
            logger.warning(
                "Sendcloud returned %s, so no process calls it for the next %.0f s.",
                status,
                seconds,
            )
        return seconds

    def _wait_for_backoff(self, path: str, deadline_at: float) -> None:
        backoff = self.current_backoff()
        if backoff is None:
            return
        remaining = backoff.until - self._clock()
        time_left = deadline_at - time.monotonic()
        if remaining <= MAX_BACKOFF_SLEEP_SECONDS and remaining < time_left:
            self._sleep(remaining)
            return

        if backoff.status == TIMEOUT_PAUSE_STATUS:
            message = (
                f"Sendcloud did not answer in time moments ago; {math.ceil(remaining)} s of the "
                "pause are left, so no request was sent"
            )
            raise Unavailable(message, reason=Unavailable.TIMEOUT, retry_after=remaining, path=path)
        message = (
            f"Sendcloud asked the dashboard to wait after a {backoff.status}; "
            f"{math.ceil(remaining)} s of the wait are left, so no request was sent"
        )
        if backoff.status == 429:
            raise RateLimited(message, retry_after=remaining, path=path)
        raise Unavailable(
            message,
            reason=Unavailable.SERVER_ERROR,
            retry_after=remaining,
            path=path,
            status=backoff.status,
        )

    # Budget

    def _budget_cap(self, priority: str) -> int:
        limit = self.requests_per_minute
        if priority == INTERACTIVE:
            return limit
        return max(1, limit - max(1, limit // 3))

    def _take_budget(self, priority: str, path: str) -> None:
        if self.requests_per_minute is None:
            return
        now = self._clock()
        bucket = int(now // BUCKET_SECONDS)
        keys = [self._bucket_key(bucket - age) for age in range(BUCKETS_PER_WINDOW + 1)]
        counts = self.cache.get_many(keys)
        earlier = [counts.get(key) or 0 for key in keys[1:]]
        cap = self._budget_cap(priority)
        # The current bucket may take what the earlier buckets of the window left.
        bucket_cap = cap - sum(earlier)
        counter_key = keys[0]
        timeout = (BUCKETS_PER_WINDOW + 2) * BUCKET_SECONDS

        # A call that cannot get a number does not count one, so a background call never
        # takes a number that an agent's page could have used.
        if bucket_cap <= 0 or (counts.get(counter_key) or 0) >= bucket_cap:
            self._spent(cap, priority, bucket, earlier, now, path)

        self.cache.add(counter_key, 0, timeout=timeout)
        # Every pass raises the counter, so the loop ends once the counter passes the cap.
        for _ in range(bucket_cap + 1):
            try:
                number = self.cache.incr(counter_key)
            except ValueError:  # The counter expired between add() and incr().
                self.cache.add(counter_key, 0, timeout=timeout)
                continue
            if number > bucket_cap:
                break
            if self.cache.add(f"{counter_key}:{number}", priority, timeout=timeout):
                return
        self._spent(cap, priority, bucket, earlier, now, path)

    def _bucket_key(self, bucket: int) -> str:
        return f"{self.key_prefix}:budget:{bucket}"

    def _spent(
        self, cap: int, priority: str, bucket: int, earlier: list[int], now: float, path: str
    ) -> None:
        # The budget grows when the oldest bucket with calls leaves the window.
        oldest_age = max((age for age, count in enumerate(earlier, 1) if count), default=0)
        frees_at = (bucket - oldest_age + BUCKETS_PER_WINDOW + 1) * BUCKET_SECONDS
        retry_after = max(frees_at - now, 1.0)
        raise BudgetSpent(
            f"The dashboard's budget of {cap} {priority} requests a minute to Sendcloud is "
            f"used up for the next {math.ceil(retry_after)} s, so no request was sent",
            retry_after=retry_after,
            path=path,
        )

    def before_request(self, priority: str, path: str, deadline_at: float) -> None:
        """Wait out a back-off that ends within a second, then take one request from the budget.

        Raises RateLimited or Unavailable during a longer back-off, and BudgetSpent when the
        budget of this minute is used up. `deadline_at` is a `time.monotonic()` value.
        """
        self._wait_for_backoff(path, deadline_at)
        self._take_budget(priority, path)
