"""Provides staff accounts (argon2id password hashes) and their sign-in sessions, kept in the server's store.

Sessions are rows of the store, not signed cookies: the cookie holds a random 256-bit token and
the table only its SHA-256, so signing out, a new password or a removed account ends a session
at once, expiry is the server's decision, and no cookie-encryption key has to be kept anywhere.
A session ends `IDLE` after its last request and `LIFETIME` after it began, whichever is first.
Functions take the store's `Database` and run on its owner thread.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.web.settings import ConfigError
from sync.db import Database
from sync.office.roles import HOMEROOM, ROLES

try:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError
except ImportError as missing:  # the school server's extra: a device runs without it
    raise ConfigError(
        "the school server needs argon2-cffi for the office's passwords: pip install 'rollcall[server]'"
        " (sudo systemd/install.sh --server does; the server needs a 64-bit system)"
    ) from missing

IDLE = timedelta(hours=2)  # an office left open over lunch signs out
LIFETIME = timedelta(hours=12)  # a school day, the evening study included
SEEN_EVERY = timedelta(minutes=1)  # seen_at is written at most this often (one write, not one a request)
MIN_PASSWORD = 10

# argon2id with the library's defaults (RFC 9106's second choice: t=3, 64 MiB, p=4): about 50 ms on
# a Raspberry Pi 4, and 64 MiB a guess makes a GPU farm slow.
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("a password nobody has")  # an unknown user costs the same time as a wrong password


class AccountError(ValueError):
    """An account that cannot be made as asked; the message names the field."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    name: str
    role: str
    class_name: str = ""  # a homeroom teacher's class
    room_id: str = ""  # a duty teacher's room
    staff_id: str = ""  # her id in the staff dataset (the signer of a zero report)


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    csrf: str
    token_sha256: str


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")


def add_user(db: Database, user: User, password: str, now: datetime) -> None:
    if not user.username or not user.username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise AccountError("username: letters, digits, '.', '-' and '_' only")
    if user.role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}, not {user.role!r}")
    if user.role == HOMEROOM and not user.class_name:
        raise AccountError("class: a homeroom teacher needs her class (--class 一年级1班)")
    check_password(password)
    stamp = now.isoformat()
    with db.atomic():
        if db.execute("SELECT 1 FROM office_users WHERE username = ?", [user.username]).fetchone():
            raise AccountError(f"username: {user.username!r} exists (use passwd to change the password)")
        db.execute(
            "INSERT INTO office_users (username, name, role, class_name, room_id, staff_id, password_hash, "
            "created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [user.username, user.name, user.role, user.class_name, user.room_id, user.staff_id,
             _HASHER.hash(password), stamp, stamp],
        )  # fmt: skip


def set_password(db: Database, username: str, password: str, now: datetime) -> None:
    """A new password; every session of the account ends."""
    check_password(password)
    with db.atomic():
        changed = db.execute(
            "UPDATE office_users SET password_hash = ?, changed_at = ? WHERE username = ?",
            [_HASHER.hash(password), now.isoformat(), username],
        ).rowcount
        if not changed:
            raise AccountError(f"username: no account {username!r}")
        db.execute("DELETE FROM office_sessions WHERE username = ?", [username])


_USER_COLUMNS = "username, name, role, class_name, room_id, staff_id"


def get_user(db: Database, username: str) -> User | None:
    row = db.execute(f"SELECT {_USER_COLUMNS} FROM office_users WHERE username = ?", [username]).fetchone()  # noqa: S608 (a constant)
    return User(*row) if row else None


def users(db: Database) -> list[User]:
    sql = f"SELECT {_USER_COLUMNS} FROM office_users ORDER BY role, username"  # noqa: S608 (a constant)
    return [User(*row) for row in db.execute(sql)]


def stored_hash(db: Database, username: str) -> str | None:
    row = db.execute("SELECT password_hash FROM office_users WHERE username = ?", [username]).fetchone()
    return str(row[0]) if row else None


def matches(stored: str | None, password: str) -> bool:
    """Whether the password is the one hashed; the same work for an unknown user. Run it off the store's
    thread (asyncio.to_thread): 64 MiB and tens of milliseconds would hold up every device's ingest."""
    try:
        _HASHER.verify(stored or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def start_session(db: Database, username: str, now: datetime) -> tuple[str, str]:
    """A new session: (the cookie's token, its CSRF token). Expired sessions are swept at the same time."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    stamp = now.isoformat()
    with db.atomic():
        db.execute("DELETE FROM office_sessions WHERE expires_at < ?", [stamp])
        db.execute(
            "INSERT INTO office_sessions (token_sha256, username, csrf, created_at, seen_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [_sha(token), username, csrf, stamp, stamp, (now + LIFETIME).isoformat()],
        )
    return token, csrf


def session(db: Database, token: str, now: datetime) -> SignedIn | None:
    """The signed-in user of a cookie's token, while the session lasts."""
    digest = _sha(token)
    row = db.execute(
        f"SELECT s.csrf, s.seen_at, s.expires_at, {', '.join('u.' + c for c in _USER_COLUMNS.split(', '))} "  # noqa: S608 (constants)
        "FROM office_sessions s JOIN office_users u USING (username) WHERE s.token_sha256 = ?",
        [digest],
    ).fetchone()
    if row is None:
        return None
    csrf, seen, expires, *user = row
    seen_at = datetime.fromisoformat(seen)
    if now >= datetime.fromisoformat(expires) or now - seen_at >= IDLE:
        end_session(db, token)
        return None
    if now - seen_at >= SEEN_EVERY:
        with db.atomic():
            db.execute(
                "UPDATE office_sessions SET seen_at = ? WHERE token_sha256 = ?", [now.isoformat(), digest]
            )
    return SignedIn(User(*user), csrf, digest)


def end_session(db: Database, token: str) -> None:
    with db.atomic():
        db.execute("DELETE FROM office_sessions WHERE token_sha256 = ?", [_sha(token)])
