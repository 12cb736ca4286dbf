"""Provides the store: the append-only event log, the projection rows and the datasets, in SQLite.

WAL with synchronous=FULL, so a COMMIT that returned survives a power cut (where the SD card
honours flushes). One thread owns a `Store` (a sqlite3 connection belongs to the thread that
opened it); the async side reaches it through `edge.device.recorder`. The projection's rows change in
the same transaction as the event that changed them.
"""

from __future__ import annotations

import errno
import json
import logging
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from edge.core.codec import (
    DATASETS,
    DatasetError,
    canonical_json,
    dataset_sha256,
    event_from_row,
    event_to_row,
    school_from_datasets,
)
from edge.core.errors import DatasetRefused, StorageError, StorageFull, StoreError
from edge.core.model import Event, Outcome, School
from edge.core.projection import Projection
from edge.web.audit import create_audit_table

log = logging.getLogger("rollcall.store")

migrations = Migrations("rollcall.edge")

Progress = Callable[[int, int], None]  # (done, total)


@migrations()
def m001_initial(db: Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.execute(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            epoch TEXT NOT NULL,
            device_id TEXT NOT NULL,
            reader_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            card_uid TEXT NOT NULL,
            subject TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            boottime_ns INTEGER NOT NULL,
            clock_trusted INTEGER NOT NULL,
            actor TEXT NOT NULL,
            data TEXT NOT NULL
        )
        """
    )
    db.table("projection").create({"key": str, "value": str}, pk="key")
    db.table("datasets").create(
        {"name": str, "version": int, "sha256": str, "body": str, "installed_at": str}, pk="name"
    )


@migrations()
def m002_audit(db: Database) -> None:
    create_audit_table(db)


# SQLite's primary result codes (an extended code's low byte): the disk is full, or an I/O call failed.
SQLITE_IOERR, SQLITE_FULL = 10, 13
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
CARD_OUTCOMES = tuple(o.value for o in (Outcome.UNKNOWN_CARD, Outcome.LOST_CARD, Outcome.CARD_ASSIGNED,
                                        Outcome.CARD_DISMISSED, Outcome.CORRECTED))  # fmt: skip
_IO_ERRNOS = (errno.EIO, errno.EROFS)
# An I/O error with less than this free is the disk being full in disguise: SQLite says "disk I/O
# error", not "full", when it cannot grow the WAL index (-shm) of a database it opens on a full disk.
NEARLY_FULL = 256 * 1024


def free_bytes(folder: Path) -> int:
    """Free bytes for us in `folder`'s filesystem (what an unprivileged writer may still use); 0 when unknown."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def storage_error(error: BaseException, what: str, folder: Path) -> StorageError | None:
    """`error` as a `StorageError` when the disk refused the write (full, or an I/O failure), else None."""
    if isinstance(error, sqlite3.Error):
        code = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF
        if code == SQLITE_FULL:
            return StorageFull(what, str(error))
        if code == SQLITE_IOERR:
            detail = f"{error} ({getattr(error, 'sqlite_errorname', 'SQLITE_IOERR')})"
            return (StorageFull if free_bytes(folder) < NEARLY_FULL else StorageError)(what, detail)
    elif isinstance(error, OSError):
        if error.errno in _FULL_ERRNOS:
            return StorageFull(
                what, f"{error.strerror or error} ({errno.errorcode.get(error.errno or 0, '')})"
            )
        if error.errno in _IO_ERRNOS:
            return StorageError(
                what, f"{error.strerror or error} ({errno.errorcode.get(error.errno or 0, '')})"
            )
    return None


def describe_write(event: Event) -> str:
    """The write an event is, for a log line and an error: `tap gate-in card 14008EC793 (on_campus)`."""
    parts = [
        f"{event.kind.value} {event.reason}" if event.kind.value == "alert" else event.kind.value,
        event.reader_id,
        f"card {event.card_uid}" if event.card_uid else "",
        f"by {event.actor}" if event.actor and event.actor != "rollcall" else "",
        f"({event.outcome.value})",
    ]
    return " ".join(part for part in parts if part)


@contextmanager
def storing(what: str, folder: Path) -> Iterator[None]:
    """Turn the disk's refusal of a write into `StorageFull`/`StorageError` naming `what`, and log it."""
    try:
        yield
    except (sqlite3.Error, OSError) as error:
        translated = storage_error(error, what, folder)
        if translated is None:
            raise
        log.error("write_failed what=%s folder=%s error=%s: %s", what, folder, type(translated).__name__,
                  translated.detail)  # fmt: skip
        raise translated from error


_INSERT_EVENT = """
    INSERT INTO events (uuid, epoch, device_id, reader_id, kind, card_uid, subject, outcome, reason,
                        at, boot_id, boottime_ns, clock_trusted, actor, data)
    VALUES (:uuid, :epoch, :device_id, :reader_id, :kind, :card_uid, :subject, :outcome, :reason,
            :at, :boot_id, :boottime_ns, :clock_trusted, :actor, :data)
"""


def _close_quietly(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except sqlite3.Error:  # closing what failed to open: it is dropped either way
            log.debug("close_failed", exc_info=True)


class Store:
    """The device's database. Not thread-safe by design: one owner thread."""

    def __init__(self, db: Database, path: Path) -> None:
        self.db = db
        self.path = path
        self.epoch = self._meta("epoch")

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (or create) the database; a full disk is `StorageFull`, another problem `StoreError`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        conn: sqlite3.Connection | None = None
        try:
            with storing(f"opening {path.name}", path.parent):
                # isolation_level=None: no implicit transactions; db.atomic() says where each begins.
                conn = sqlite3.connect(str(path), isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA busy_timeout=5000")
                db = Database(conn)
                migrations.apply(db)
                with db.atomic():
                    if not db.execute("SELECT 1 FROM meta WHERE key = 'epoch'").fetchone():
                        # The epoch names this database: a re-imaged device starts a new one, and the
                        # server sees the change instead of mistaking new seqs for old ones.
                        db.table("meta").insert_all(
                            [
                                {"key": "epoch", "value": uuid.uuid4().hex[:16]},
                                {"key": "created_at", "value": datetime.now(UTC).isoformat()},
                            ]
                        )
        except sqlite3.DatabaseError as error:
            _close_quietly(conn)
            raise StoreError(f"{path}: {error}") from None
        except StorageError:
            _close_quietly(conn)
            raise
        return cls(db, path)

    def close(self) -> None:
        self.db.conn.close()

    def _meta(self, key: str) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else ""

    def meta(self, key: str) -> str:
        return self._meta(key)

    def set_meta(self, key: str, value: str) -> None:
        with storing(f"meta {key}", self.path.parent), self.db.atomic():
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    # -- events ---------------------------------------------------------------------------

    def append(self, event: Event, projection: Projection) -> Event:
        """Append one event and its projection changes in one durable transaction; return it with its seq."""
        what = describe_write(event)
        with storing(what, self.path.parent), self.db.atomic():
            cursor = self.db.execute(_INSERT_EVENT, event_to_row(replace(event, epoch=self.epoch)))
            stored = replace(event, epoch=self.epoch, seq=int(cursor.lastrowid or 0))
            self._write_rows(projection.rows(projection.apply(stored)))
        return stored

    def _write_rows(self, rows: Iterator[tuple[str, str | None]]) -> None:
        for key, value in rows:
            if value is None:
                self.db.execute("DELETE FROM projection WHERE key = ?", [key])
            else:
                self.db.execute("INSERT OR REPLACE INTO projection (key, value) VALUES (?, ?)", [key, value])

    def events(self, after: int = 0, limit: int | None = None) -> Iterator[Event]:
        sql = "SELECT * FROM events WHERE seq > ? ORDER BY seq"
        params: list[Any] = [after]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        cursor = self.db.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        for values in cursor:
            yield event_from_row(dict(zip(columns, values, strict=True)))

    def card_events(self, since: str, upto: int) -> Iterator[Event]:
        """The events from `since` (an ISO instant) up to seq `upto` that open or deal with a problem card:
        unknown and lost cards tapped, cards given or dismissed, corrections (one may take those back).
        A day's worth, read when a console connects, so its list of unresolved cards is the whole day's."""
        cursor = self.db.execute(
            "SELECT * FROM events WHERE seq <= ? AND at >= ? AND outcome IN (?, ?, ?, ?, ?) ORDER BY seq",
            [upto, since, *CARD_OUTCOMES],
        )
        columns = [c[0] for c in cursor.description]
        for values in cursor:
            yield event_from_row(dict(zip(columns, values, strict=True)))

    def event(self, uuid: str) -> Event | None:
        """The event with this uuid, or None (a correction names the event it takes back)."""
        cursor = self.db.execute("SELECT * FROM events WHERE uuid = ?", [uuid])
        columns = [c[0] for c in cursor.description]
        row = cursor.fetchone()
        return None if row is None else event_from_row(dict(zip(columns, row, strict=True)))

    def head_seq(self) -> int:
        row = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        return int(row[0])

    # -- projection -----------------------------------------------------------------------

    def load_projection(self) -> Projection:
        cursors = dict(
            self.db.execute("SELECT device_id, MAX(seq) FROM events GROUP BY device_id").fetchall()
        )
        return Projection.from_rows(self.db.execute("SELECT key, value FROM projection"), cursors)

    def replay(self, progress: Progress | None = None) -> Projection:
        projection = Projection()
        total = self.head_seq()
        for done, event in enumerate(self.events(), start=1):
            projection.apply(event)
            if progress is not None and done % 10_000 == 0:
                progress(done, total)
        return projection

    def rebuild(self, progress: Progress | None = None) -> Projection:
        """Throw the projection rows away and fold the whole log again, in one transaction."""
        projection = self.replay(progress)
        with storing("the projection's rebuild", self.path.parent), self.db.atomic():
            self.db.execute("DELETE FROM projection")
            self._write_rows(projection.all_rows())
        return projection

    def check(self) -> list[str]:
        """Problems found: SQLite's integrity check, seq gaps aside, and projection rows that differ from a replay."""
        problems = [
            f"integrity: {row[0]}" for row in self.db.execute("PRAGMA integrity_check") if row[0] != "ok"
        ]
        if problems:
            return problems
        stored = dict(self.db.execute("SELECT key, value FROM projection").fetchall())
        replayed = dict(self.replay().all_rows())
        for key in sorted(stored.keys() | replayed.keys()):
            if stored.get(key) != replayed.get(key):
                problems.append(f"projection row {key!r} differs from a replay of the log")
        return problems

    # -- datasets -------------------------------------------------------------------------

    def install_datasets(
        self, datasets: dict[str, Any], version: int, expected_sha256: Mapping[str, str] | None = None
    ) -> None:
        """Swap in a whole set of datasets in one transaction, or nothing (`DatasetRefused` says why).

        Each dataset's hash is taken over `canonical_json(body)`; where `expected_sha256` names a
        dataset, the body must hash to it. An older or equal version is refused.
        """
        unknown = set(datasets) - set(DATASETS)
        if unknown:
            raise DatasetRefused("unknown_dataset", f"unknown dataset {sorted(unknown)[0]!r}")
        hashes = {name: dataset_sha256(body) for name, body in datasets.items()}
        for name, expected in (expected_sha256 or {}).items():
            if hashes.get(name) != expected.lower():
                raise DatasetRefused(
                    "sha256_mismatch",
                    f"dataset {name!r}: sha256 of the rows is {hashes.get(name)}, not {expected} as sent "
                    "(hash the canonical JSON: sorted keys, no spaces, UTF-8)",
                )
        try:
            school_from_datasets(datasets)  # validates every row before anything is written
        except DatasetError as error:
            raise DatasetRefused("invalid_dataset", str(error)) from None
        with storing(f"datasets version {version}", self.path.parent), self.db.atomic():
            for name, body in datasets.items():
                current = self.dataset_version(name)
                if version <= current:
                    raise DatasetRefused(
                        "version_not_newer", f"dataset {name!r} version {version} is not newer than {current}"
                    )
                self.db.table("datasets").upsert(
                    {
                        "name": name,
                        "version": version,
                        "sha256": hashes[name],
                        "body": canonical_json(body).decode("utf-8"),
                        "installed_at": datetime.now(UTC).isoformat(),
                    },
                    pk="name",
                )

    def dataset_version(self, name: str) -> int:
        row = self.db.execute("SELECT version FROM datasets WHERE name = ?", [name]).fetchone()
        return int(row[0]) if row else 0

    def load_school(self) -> School:
        bodies = {name: json.loads(body) for name, body in self.db.execute("SELECT name, body FROM datasets")}
        return school_from_datasets(bodies)

    def datasets_installed(self) -> dict[str, dict[str, Any]]:
        rows = self.db.execute("SELECT name, version, sha256, installed_at FROM datasets ORDER BY name")
        return {name: {"version": v, "sha256": sha, "installed_at": at} for name, v, sha, at in rows}
