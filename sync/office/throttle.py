"""Provides `Throttle`: failed sign-ins slow down per address and per account, on an injectable monotonic clock."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

FREE_FAILURES = 5  # a teacher mistyping her password a few times is not held up
WINDOW = 900.0  # s: failures older than 15 minutes are forgotten
FIRST_WAIT = 2.0  # s after the sixth failure, doubling ...
MOST_WAIT = 300.0  # ... to five minutes: about 200 guesses an hour at most against one account
REMEMBERED = 4096  # keys kept; the oldest are forgotten first


class Throttle:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, *keys: str) -> float:
        """Seconds until a sign-in for these keys (address, account) is tried again; 0 when it may be now."""
        now = self.monotonic()
        longest = 0.0
        for key in keys:
            stamps = self._recent(key, now)
            extra = len(stamps) - FREE_FAILURES
            if extra >= 0 and stamps:
                delay = min(FIRST_WAIT * 2**extra, MOST_WAIT)
                longest = max(longest, stamps[-1] + delay - now)
        return max(0.0, longest)

    def failed(self, *keys: str) -> None:
        now = self.monotonic()
        for key in keys:
            self._recent(key, now).append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > REMEMBERED:
            self._failures.popitem(last=False)

    def succeeded(self, account_key: str) -> None:
        self._failures.pop(account_key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures.setdefault(key, deque(maxlen=64))
        while stamps and now - stamps[0] > WINDOW:
            stamps.popleft()
        return stamps
