"""Provides signing PINs: the office's salted hash of a staff member's PIN, its check, and the wrong-PIN throttle.

A PIN is 4-8 digits, set by the office on the school server and kept there and on the devices only
as `pbkdf2_sha256$ITERATIONS$SALT$HASH` (stdlib hashlib: a device needs no argon2, which is a
server-only extra). Neither the PIN nor its hash is ever logged.

Why 20,000 iterations: the check runs on the device's writer thread (it takes ~8 ms on a laptop,
~60 ms on a Pi 3), once per signature; and a 4-8 digit PIN would fall to an offline search whatever
the count, so what defends it is the throttle below and the dataset never leaving the campus. The
per-staff random salt keeps two teachers with the same PIN from having the same hash.

Pure: the throttle takes `now` as a parameter; the device keeps one in memory (a restart forgets
it, which needs the device's own console or SSH — not the gate's keyboard).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

SCHEME = "pbkdf2_sha256"
ITERATIONS = 20_000
PIN_PATTERN = re.compile(r"[0-9]{4,8}")

WRONG_LIMIT = 5  # wrong PINs for one staff member ...
WRONG_WINDOW = timedelta(minutes=10)  # ... within this long ...
LOCK_FOR = timedelta(minutes=10)  # ... lock that staff member's PIN signing this long (the card still signs)


def valid_pin(pin: str) -> bool:
    return PIN_PATTERN.fullmatch(pin) is not None


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The stored form of `pin`; `salt` is fresh random bytes unless given (tests)."""
    if not valid_pin(pin):
        raise ValueError("a PIN is 4 to 8 digits")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether `pin` is the one `stored` was made from; a malformed `stored` matches nothing."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != SCHEME or not valid_pin(pin):
            return False
        found = hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


@dataclass(frozen=True, slots=True)
class PinThrottle:
    """Each staff member's recent wrong PINs and locks: `WRONG_LIMIT` wrong within `WRONG_WINDOW`
    locks that staff member's PIN signing for `LOCK_FOR`. Immutable: each change is a new value."""

    wrong: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)
    locked: Mapping[str, datetime] = field(default_factory=dict)  # staff id -> locked until

    def locked_until(self, staff_id: str, now: datetime) -> datetime | None:
        until = self.locked.get(staff_id)
        return until if until is not None and now < until else None

    def after_wrong(self, staff_id: str, now: datetime) -> PinThrottle:
        recent = (*(at for at in self.wrong.get(staff_id, ()) if now - at < WRONG_WINDOW), now)
        if len(recent) < WRONG_LIMIT:
            return replace(self, wrong={**self.wrong, staff_id: recent})
        wrong = {k: v for k, v in self.wrong.items() if k != staff_id}
        return PinThrottle(wrong, {**self.locked, staff_id: now + LOCK_FOR})

    def after_right(self, staff_id: str) -> PinThrottle:
        return PinThrottle({k: v for k, v in self.wrong.items() if k != staff_id},
                           {k: v for k, v in self.locked.items() if k != staff_id})  # fmt: skip

    def tries_left(self, staff_id: str, now: datetime) -> int:
        recent = [at for at in self.wrong.get(staff_id, ()) if now - at < WRONG_WINDOW]
        return max(WRONG_LIMIT - len(recent), 0)
