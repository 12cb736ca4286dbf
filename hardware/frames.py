"""Provides what every frame decoder returns: a UID as hex, or a typed `FrameError`, never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

RAW_KEPT = 32  # bytes of a bad frame kept for the log: enough to spot a wrong baud rate or protocol


@dataclass(frozen=True, slots=True)
class FrameError:
    """Bytes a decoder could not turn into a card: why (`reason`) and what they were (`raw`)."""

    reason: str
    raw: bytes

    @classmethod
    def of(cls, reason: str, raw: bytes | bytearray) -> FrameError:
        return cls(reason, bytes(raw[:RAW_KEPT]))


Decoded = str | FrameError


class Decoder(Protocol):
    """Incremental: feed bytes as they arrive, get the cards and errors they complete."""

    def feed(self, data: bytes) -> list[Decoded]: ...
