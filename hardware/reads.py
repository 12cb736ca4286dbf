"""Provides `CardRead`, the one value every reader produces, and UID normalisation."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime

_HEX = frozenset(string.hexdigits)


@dataclass(frozen=True, slots=True)
class CardRead:
    """One card seen by one reader.

    `uid` is the raw UID as upper-case hex, in the order the card sends it; `at` is the
    wall time (timezone-aware) and `monotonic` the clock's monotonic seconds, which the
    repeat filter uses because wall time can jump on a Pi without a real-time clock.
    """

    reader_id: str
    uid: str
    at: datetime
    monotonic: float


def normalise_uid(text: str) -> str:
    """Return `text` as canonical UID hex (upper case, no separators), or raise ValueError.

    Accepts the separators vendors print (`E4:3A:C9:D2`, `e4 3a c9 d2`, `E4-3A-C9-D2`).
    """
    cleaned = "".join(ch for ch in text.strip() if ch not in " :-").upper()
    if not cleaned or len(cleaned) % 2 or not set(cleaned) <= _HEX:
        raise ValueError(f"not a card UID in hex: {text!r}")
    return cleaned


def is_random_uid(uid: str) -> bool:
    """True for a 4-byte UID starting 08: random per tap (phones, CPU cards), never an identity."""
    return len(uid) == 8 and uid.startswith("08")
