"""Provides the bureau's sign-in sessions, kept in the district process: the office's rules, without its store.

As the office's (`sync.office.accounts`): the cookie holds a random 256-bit token and the process
only its SHA-256; a session ends `IDLE` after its last request and `LIFETIME` after it began,
whichever is first; a wrong password costs the same argon2 work as an unknown user. Kept in memory
because the district's store is the PostgreSQL its schools replicate into: a restart of the unit
signs everyone out, which for a handful of the bureau's viewers is a sign-in, not a loss.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sync.district.config import DistrictUser
from sync.office.accounts import IDLE, LIFETIME, matches


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    name: str
    csrf: str
    started: datetime
    seen: datetime


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Sessions:
    def __init__(self, users: Sequence[DistrictUser]) -> None:
        self.users = {u.username: u for u in users}
        self._open: dict[str, Session] = {}

    def check(self, username: str, password: str) -> bool:
        """Whether the password is the user's (slow on purpose: run it off the event loop)."""
        user = self.users.get(username)
        return matches(user.password_hash if user else None, password)

    def start(self, username: str, now: datetime) -> str:
        """A new session for a user who gave her password; the cookie's token. Ended ones are swept."""
        self._open = {sha: s for sha, s in self._open.items() if self._alive(s, now)}
        token = secrets.token_urlsafe(32)
        user = self.users[username]
        self._open[_sha(token)] = Session(username, user.name, secrets.token_urlsafe(32), now, now)
        return token

    def get(self, token: str, now: datetime) -> Session | None:
        digest = _sha(token)
        found = self._open.get(digest)
        if found is None or found.username not in self.users or not self._alive(found, now):
            self._open.pop(digest, None)
            return None
        self._open[digest] = replace(found, seen=now)
        return found

    def end(self, token: str) -> None:
        self._open.pop(_sha(token), None)

    @staticmethod
    def _alive(session: Session, now: datetime) -> bool:
        return now - session.started < LIFETIME and now - session.seen < IDLE
