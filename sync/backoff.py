"""Provides `Backoff`: exponential waits with jitter between retries, from an injectable random source."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """first, 2×first, 4×first ... up to `most`; each wait drawn from its upper half ("equal jitter").

    Jitter keeps twenty devices that came back together from being retried in lockstep; the lower
    half is cut off so a failing device is never hammered by a run of near-zero draws.
    """

    first: float
    most: float
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next(self) -> float:
        ceiling = min(self.most, self.first * 2.0 ** min(self.failures, 32))
        self.failures += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0
