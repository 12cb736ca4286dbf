"""Provides `ServerStore`: the server's database, its cursors, and ingest that loses and duplicates nothing.

A SQLite file by default (WAL with synchronous=FULL, like the device: a COMMIT that returned
survives a power cut), or a PostgreSQL database (`[store] url`), both through `sync.db.Database`
with the same SQL. One thread owns it (`sync.owner.Owner`). `ingest` stores a page of a device's events and moves that
stream's cursor in one transaction, after checking the page starts where the cursor is: a crash
anywhere leaves either both or neither, a replayed page inserts nothing (`ON CONFLICT DO
NOTHING` on (device, epoch, seq)), and the next pull asks from exactly the cursor (DESIGN §6). The cursor's UPDATE is conditional on the
`after` the page was checked against, so on PostgreSQL too (read committed, where another session
could move it between the check and the update) a page is stored only on top of the cursor it follows.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from edge.core.errors import StoreError
from edge.web.audit import AUDIT_COLUMNS
from sync import datasets
from sync.clock import (
    FUTURE,
    REBASED,
    TRUSTED,
    UNNAMED_BOOTS,
    UNTRUSTED,
    Anchor,
    StampCheck,
    anchor_from_event,
    rebase,
)
from sync.db import Database, IntegrityError, connect
from sync.page import Page, PageError, Problem
from sync.schema import migrations

_FIELDS = itemgetter(
    "seq", "uuid", "device_id", "reader_id", "kind", "card_uid", "subject", "outcome", "reason", "at",
    "boot_id", "boottime_ns", "clock_trusted", "actor",
)  # fmt: skip


def _data(value: dict[str, Any]) -> str:
    """`data` as stored: sorted keys, UTF-8 (as the device's, without its spaces). orjson: json.dumps with
    options builds an encoder per call, which was a fifth of a page's ingest."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


log = logging.getLogger("rollcall.sync")

_INSERT = """
    INSERT INTO events (device, epoch, seq, uuid, device_id, reader_id, kind, card_uid, subject, outcome,
                        reason, at, boot_id, boottime_ns, clock_trusted, actor, data, day, time_flag, received_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING
"""


def _warn_unless_c_collation(db: Database) -> None:
    """A WARNING when the database's text does not sort by code point, as SQLite's does (the README's CREATE DATABASE).

    Asked of the collation itself ('B' before 'a' only by code point), whichever provider (libc, ICU) it is.
    """
    by_code_point, collation = db.execute(
        "SELECT 'B' < 'a' AND 'Z' < 'a', datcollate FROM pg_database WHERE datname = current_database()"
    ).fetchone()
    if not by_code_point:
        log.warning(
            "store_collation store=%s collation=%s: text sorts otherwise than on SQLite; make the database with "
            "CREATE DATABASE … TEMPLATE template0 LOCALE 'C.UTF-8'", db.label, collation,
        )  # fmt: skip


class CursorMoved(StoreError):
    """The page does not follow the stored cursor (another writer, or a stale pull): nothing was stored."""


class Divergent(StoreError):
    """The device sent a different event under a (device, epoch, seq) the server already holds."""


class NotStopped(StoreError):
    """A resume for a device whose ingest is not stopped."""


@dataclass(frozen=True, slots=True)
class Cursor:
    device: str
    epoch: str
    after: int
    head_seq: int
    stopped: str = ""  # why its ingest stopped (gap, behind, divergent); "" while it runs


@dataclass(frozen=True, slots=True)
class Batch:
    """A checked page to store after `after` of the stream (device, `page.epoch`)."""

    after: int
    page: Page
    pull_anchor: Anchor | None = None  # from the pull that fetched it, for the device's current boot


@dataclass(frozen=True, slots=True)
class Ingested:
    stored: int
    first_id: int
    last_id: int
    days: frozenset[str] = frozenset()  # days whose events moved by re-basing (the view refolds them)
    flags: Mapping[str, int] = field(default_factory=dict)  # time flag -> events of this batch
    cards_version: int | None = None  # a new cards snapshot made from console assignments


class ServerStore:
    """The server's database. One owner thread."""

    def __init__(self, db: Database, path: Path | str, tz: ZoneInfo) -> None:
        self.db = db
        self.path = path
        self.tz = tz
        # Each boot's anchor, and the boots with events not yet placed in time: read once, kept in
        # step with each transaction (`_transaction`), since every page would otherwise ask again.
        self._anchors = {
            (device, boot): Anchor(offset, error, source)
            for device, boot, source, offset, error in db.execute(
                "SELECT device, boot_id, source, offset_ns, error_ns FROM anchors"
            )
        }
        self._unplaced: set[tuple[str, str]] = set(
            db.execute(
                "SELECT DISTINCT device, boot_id FROM events WHERE time_flag IN ('untrusted', 'future')"
            )
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """`db.atomic()`, and the in-memory anchors and unplaced boots rolled back with it."""
        anchors, unplaced = dict(self._anchors), set(self._unplaced)
        try:
            with self.db.atomic():
                yield
        except BaseException:
            self._anchors, self._unplaced = anchors, unplaced
            raise

    @classmethod
    def open(cls, target: Path | str, tz: ZoneInfo) -> ServerStore:
        """A SQLite file (a path) or a PostgreSQL database (a `postgresql://` URL), migrated.

        A database that cannot be opened or reached is a `StoreError` naming it (a URL without its password).
        """
        db = connect(target)
        try:
            migrations.apply(db)
        except sqlite3.DatabaseError as error:
            db.close()
            raise StoreError(f"{db.label}: {error}") from None
        except BaseException:
            db.close()
            raise
        if db.dialect == "postgresql":
            _warn_unless_c_collation(db)
        return cls(db, target, tz)

    def close(self) -> None:
        self.db.close()

    # -- cursors and streams ----------------------------------------------------------------

    def cursor(self, device: str) -> Cursor | None:
        row = self.db.execute(
            "SELECT d.epoch, s.after, s.head_seq, d.stopped FROM devices d "
            "JOIN streams s ON s.device = d.device AND s.epoch = d.epoch WHERE d.device = ?",
            [device],
        ).fetchone()
        return Cursor(device, row[0], row[1], row[2], row[3]) if row else None

    def switch_epoch(self, device: str, epoch: str, head_seq: int, now: datetime) -> Cursor:
        """Make `epoch` the device's current stream (a first contact, or a re-imaged device).

        The old stream keeps what it holds; events of it that were never pulled are gone with the
        old database, and the alarm says how many.
        """
        stamp = now.isoformat()
        with self.db.atomic():
            old = self.cursor(device)
            if old is not None and old.epoch != epoch:
                lost = max(0, old.head_seq - old.after)
                detail = {"old_epoch": old.epoch, "old_after": old.after, "old_head_seq": old.head_seq,
                          "epoch": epoch, "lost": lost}  # fmt: skip
                self._alarm(device, "new_epoch", detail, stamp, resolved=True)
            self.db.execute(
                "INSERT INTO devices (device, epoch) VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET epoch = excluded.epoch",
                [device, epoch],
            )
            self.db.execute(
                "INSERT INTO streams (device, epoch, after, head_seq, started_at, updated_at) VALUES (?, ?, 0, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [device, epoch, head_seq, stamp, stamp],
            )
        cursor = self.cursor(device)
        if cursor is None:  # pragma: no cover (written just above)
            raise StoreError(f"{device}: the stream {epoch} was not recorded")
        return cursor

    def streams(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT s.device, s.epoch, s.after, s.head_seq, s.started_at, s.updated_at, "
            "CASE WHEN s.epoch = d.epoch THEN 1 ELSE 0 END AS current, d.stopped FROM streams s JOIN devices d USING (device) "
            "ORDER BY s.device, s.started_at"
        )
        names = ("device", "epoch", "after", "head_seq", "started_at", "updated_at", "current", "stopped")
        return [dict(zip(names, row, strict=True)) for row in rows]

    # -- ingest -----------------------------------------------------------------------------

    def ingest(self, device: str, batch: Batch, now: datetime) -> Ingested:
        """Store the batch and move the cursor to its end, in one transaction; or store nothing and raise."""
        page, epoch = batch.page, batch.page.epoch
        received, check = now.isoformat(), StampCheck(now)
        prefix, offset = check.prefix, check.offset
        rows: list[tuple[Any, ...]] = []
        flags: Counter[str] = Counter()
        first_trusted: dict[str, tuple[str, int]] = {}  # boot -> (at, boottime) of its first trusted event
        waiting: set[str] = set()  # boots with events still to place
        assignments = []
        try:
            for event in page.events:
                seq, uuid, device_id, reader, kind, card, subject, outcome, reason, at, boot, boottime, trusted, \
                    actor = _FIELDS(event)  # fmt: skip
                data = event["data"]
                if not isinstance(at, str) or not isinstance(data, dict) or not isinstance(boottime, int):
                    raise PageError(f"seq {seq}: at, data or boottime_ns of the wrong type")
                # check.flag(), inlined for the common case (this loop runs a million times in a catch-up).
                if at[-6:] == offset and len(at) >= 25:
                    flag = FUTURE if at[:19] > prefix else TRUSTED if trusted else UNTRUSTED
                else:
                    flag = check.flag(at, bool(trusted))
                flags[flag] += 1
                if flag == TRUSTED:
                    first_trusted.setdefault(boot, (at, boottime))
                else:
                    waiting.add(boot)
                if kind == "assign_card" and outcome == "card_assigned":
                    assignments.append((card, subject, at, device, uuid))
                rows.append((device, epoch, seq, uuid, device_id, reader, kind, card, subject, outcome, reason, at,
                             boot, boottime, int(bool(trusted)), actor,
                             _data(data), at[:10], flag, received))  # fmt: skip
        except KeyError as missing:
            raise PageError(f"an event without the field {missing}") from None
        with self._transaction():
            stored = self.db.execute(
                "SELECT after FROM streams WHERE device = ? AND epoch = ?", [device, epoch]
            ).fetchone()
            if stored is None or stored[0] != batch.after:
                raise CursorMoved(
                    f"{device}: the page follows seq {batch.after} of {epoch}, the cursor is at "
                    f"{None if stored is None else stored[0]}"
                )
            before = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
            try:
                inserted = self.db.executemany(_INSERT, rows) if rows else 0
            except IntegrityError as error:  # STRICT, or PostgreSQL's types, refused a value: malformed
                raise PageError(f"an event does not fit the log: {error}") from None
            if inserted != len(rows):
                self._check_replay(device, epoch, page.events)
            last = page.next_after if page.events else batch.after
            moved = self.db.execute(
                "UPDATE streams SET after = ?, head_seq = ?, updated_at = ? WHERE device = ? AND epoch = ? AND after = ?",
                [last, page.head_seq, received, device, epoch, batch.after],
            ).rowcount
            if moved != 1:  # another writer moved it since the check above: this page is not stored
                raise CursorMoved(f"{device}: the cursor of {epoch} moved while the page was stored")
            boots = self._anchor_events(device, first_trusted, received)
            if batch.pull_anchor is not None and page.clock is not None:
                boots |= self._anchor(device, page.clock.boot_id, batch.pull_anchor, received)
            self._unplaced |= {(device, boot) for boot in waiting - UNNAMED_BOOTS}
            days = self._place(device, boots | waiting, check)
            cards = datasets.assign_cards(self.db, assignments, now) if assignments else None
            after = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        return Ingested(inserted, before + 1, after, frozenset(days), dict(flags), cards)

    def _check_replay(self, device: str, epoch: str, events: list[dict[str, Any]]) -> None:
        """Some seqs were already here: harmless if they are the same events, an alarm if not."""
        seqs = [e["seq"] for e in events]
        held = dict(
            self.db.execute(
                "SELECT seq, uuid FROM events WHERE device = ? AND epoch = ? AND seq BETWEEN ? AND ?",
                [device, epoch, min(seqs), max(seqs)],
            ).fetchall()
        )
        for event in events:
            if held.get(event["seq"], event["uuid"]) != event["uuid"]:
                raise Divergent(
                    f"{device}: seq {event['seq']} of epoch {epoch} is {held[event['seq']]} here but "
                    f"{event['uuid']} on the device"
                )

    # -- time -------------------------------------------------------------------------------

    def _anchor_events(
        self, device: str, first_trusted: Mapping[str, tuple[str, int]], stamp: str
    ) -> set[str]:
        changed = set()
        for boot, (at, boottime) in first_trusted.items():
            if boot not in UNNAMED_BOOTS:
                changed |= self._anchor(
                    device, boot, anchor_from_event(datetime.fromisoformat(at), boottime), stamp
                )
        return changed

    def _anchor(self, device: str, boot: str, anchor: Anchor, stamp: str) -> set[str]:
        """Keep `anchor` for the boot if it is better than the one held; the boot's name when it is.

        A pull anchor that is not at least a millisecond better than the one held is not written:
        a long pull would otherwise rewrite the row on nearly every page.
        """
        held = self.anchor(device, boot)
        if boot in UNNAMED_BOOTS or not anchor.better_than(held):
            return set()
        if (
            held is not None
            and held.source == anchor.source == "pull"
            and held.error_ns - anchor.error_ns < 10**6
        ):
            return set()
        self.db.execute(
            "INSERT INTO anchors (device, boot_id, source, offset_ns, error_ns, taken_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (device, boot_id) DO UPDATE SET source = excluded.source, offset_ns = excluded.offset_ns, "
            "error_ns = excluded.error_ns, taken_at = excluded.taken_at",
            [device, boot, anchor.source, anchor.offset_ns, anchor.error_ns, stamp],
        )
        self._anchors[(device, boot)] = anchor
        return {boot}

    def anchor(self, device: str, boot: str) -> Anchor | None:
        return self._anchors.get((device, boot))

    def _place(self, device: str, boots: Iterable[str], check: StampCheck) -> set[str]:
        """Re-base the untrusted events of these boots that have an anchor; the days they left and joined."""
        days: set[str] = set()
        for boot in boots:
            anchor = self.anchor(device, boot)
            if anchor is None or (device, boot) not in self._unplaced:
                continue
            updates = []
            for row_id, boottime, day in self.db.execute(
                "SELECT id, boottime_ns, day FROM events WHERE device = ? AND boot_id = ? "
                "AND time_flag IN ('untrusted', 'future')",
                [device, boot],
            ):
                text = rebase(boottime, anchor, self.tz).isoformat()
                if check.is_future(text):
                    continue  # an anchor that puts it in the future is no better than the stamp
                updates.append((REBASED, text, text[:10], row_id))
                days |= {day, text[:10]}
            if updates:
                self.db.executemany(
                    "UPDATE events SET time_flag = ?, rebased_at = ?, day = ? WHERE id = ?", updates
                )
            left = self.db.execute(
                "SELECT 1 FROM events WHERE device = ? AND boot_id = ? AND time_flag IN ('untrusted', 'future') LIMIT 1",
                [device, boot],
            ).fetchone()
            if left is None:
                self._unplaced.discard((device, boot))
        return days

    def unplaced(self) -> dict[str, int]:
        """Events whose time is not known (untrusted and no anchor yet, or far in the future), by flag."""
        rows = self.db.execute(
            "SELECT time_flag, COUNT(*) FROM events WHERE time_flag IN ('untrusted', 'future') GROUP BY time_flag"
        )
        return {flag: int(count) for flag, count in rows}

    # -- alarms: a stopped ingest, a new epoch ---------------------------------------------------

    def _alarm(
        self, device: str, kind: str, detail: Mapping[str, Any], stamp: str, resolved: bool = False
    ) -> None:
        self.db.execute(
            "INSERT INTO alarms (device, kind, detail, raised_at, resolved_at) VALUES (?, ?, ?, ?, ?)",
            [device, kind, json.dumps(detail, ensure_ascii=False), stamp, stamp if resolved else ""],
        )

    def stop(self, device: str, epoch: str, after: int, problem: Problem, now: datetime) -> None:
        """Stop the device's ingest and raise the alarm, in one transaction."""
        stamp = now.isoformat()
        detail = {"epoch": epoch, "after": after, "first_seq": problem.first_seq, "message": problem.message}
        with self.db.atomic():
            self.db.execute(
                "UPDATE devices SET stopped = ?, stopped_at = ? WHERE device = ?",
                [problem.kind, stamp, device],
            )
            self._alarm(device, problem.kind, detail, stamp)

    def resume(self, device: str, now: datetime) -> dict[str, Any]:
        """Let a stopped device's ingest go on; past a gap, the lost seqs stay recorded in the alarm."""
        stamp = now.isoformat()
        with self.db.atomic():
            row = self.db.execute("SELECT stopped FROM devices WHERE device = ?", [device]).fetchone()
            if row is None or not row[0]:
                raise NotStopped(f"the ingest of {device!r} is not stopped")
            alarm = self.db.execute(
                "SELECT id, detail FROM alarms WHERE device = ? AND kind = ? AND resolved_at = '' ORDER BY id DESC",
                [device, row[0]],
            ).fetchone()
            detail = json.loads(alarm[1]) if alarm else {}
            if row[0] == "gap" and detail:
                # The lost seqs are skipped: the cursor moves to just before the first one the device has.
                self.db.execute(
                    "UPDATE streams SET after = ? WHERE device = ? AND epoch = ? AND after = ?",
                    [detail["first_seq"] - 1, device, detail["epoch"], detail["after"]],
                )
            self.db.execute("UPDATE devices SET stopped = '', stopped_at = '' WHERE device = ?", [device])
            self.db.execute(
                "UPDATE alarms SET resolved_at = ? WHERE device = ? AND resolved_at = ''", [stamp, device]
            )
        return {"device": device, "was": row[0], "detail": detail}

    def alarms(self, open_only: bool = True) -> list[dict[str, Any]]:
        sql = "SELECT id, device, kind, detail, raised_at, resolved_at FROM alarms"
        sql += " WHERE resolved_at = '' ORDER BY id" if open_only else " ORDER BY id DESC LIMIT 100"
        return [
            {"id": i, "device": d, "kind": k, "detail": json.loads(detail), "raised_at": r, "resolved_at": x}
            for i, d, k, detail, r, x in self.db.execute(sql)
        ]

    # -- privacy: the audit log and retention ----------------------------------------------------

    def audit(self, entry: Mapping[str, str]) -> None:
        """`edge.web.audit.append_audit`'s row, in `?` placeholders (the device's own keeps its named ones)."""
        with self.db.atomic():
            self.db.execute(
                f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608 (constants)
                [entry[name] for name in AUDIT_COLUMNS],
            )

    def audit_rows(self, after: int, limit: int) -> list[dict[str, Any]]:
        cursor = self.db.execute("SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?", [after, limit])
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, values, strict=True)) for values in cursor]

    def purge(self, before: str) -> dict[str, int]:
        """Delete events of days before `before` (YYYY-MM-DD), audit rows and sent notifications as old.

        Whole days, by the day each event counts for. Cursors stay: what was purged is never pulled again.
        """
        with self.db.atomic():
            events = self.db.execute("DELETE FROM events WHERE day < ?", [before]).rowcount
            audited = self.db.execute("DELETE FROM audit WHERE substr(at, 1, 10) < ?", [before]).rowcount
            sent = self.db.execute(
                "DELETE FROM outbox WHERE status != 'pending' AND substr(created_at, 1, 10) < ?", [before]
            ).rowcount
        return {"events": events, "audit": audited, "outbox": sent}
