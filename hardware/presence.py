"""Provides the hardware repeat filter: one read per presence of a card on a reader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PRUNE_AT = 64
DEFAULT_GAP = 0.3  # s: RDM6300 repeats every ~65 ms, a PN532 poll takes ~50 ms; 0.3 s spans a few misses


class PresenceFilter:
    """Says which sightings of a card start a new presence.

    A reader reports a card it sees, over and over while the card stays (RDM6300 frames, PN532
    polls). A sighting within `gap` seconds of the previous sighting of the same card is the same
    presence; a card is gone once it has not been seen for `gap`. The window slides, so a card
    left on the reader is one read however long it stays; a single missed poll is not a removal
    (the flapping in ondryaso/pi-rc522#10). Time is a parameter: pass monotonic seconds.
    """

    def __init__(self, gap: float = DEFAULT_GAP) -> None:
        if not gap > 0:
            raise ValueError(f"presence gap must be positive seconds, not {gap!r}")
        self.gap = gap
        self._last_seen: dict[str, float] = {}
        self._prune_at = _PRUNE_AT

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> PresenceFilter:
        """The filter a reader's `presence_gap` option asks for (seconds, default 0.3)."""
        value = options.get("presence_gap", DEFAULT_GAP)
        try:
            return cls(float(value))
        except (TypeError, ValueError):
            raise ValueError(f"presence_gap must be positive seconds, not {value!r}") from None

    def seen(self, uid: str, monotonic: float) -> bool:
        """Note a sighting of `uid`; True when it starts a new presence (the reader should emit)."""
        last = self._last_seen.get(uid)
        if len(self._last_seen) >= self._prune_at:
            # Forget cards gone longer than the gap, now and then rather than on every frame (a
            # scan per frame made 100,000 frames take 5 s); doubling the threshold keeps it linear.
            self._last_seen = {o: at for o, at in self._last_seen.items() if monotonic - at < self.gap}
            self._prune_at = max(_PRUNE_AT, 2 * len(self._last_seen))
        self._last_seen[uid] = monotonic
        return last is None or monotonic - last >= self.gap

    def present(self, monotonic: float) -> list[str]:
        """The cards whose presence has not ended at `monotonic`."""
        return [uid for uid, at in self._last_seen.items() if monotonic - at < self.gap]
