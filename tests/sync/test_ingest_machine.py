"""Ingest as a hypothesis state machine, on SQLite and PostgreSQL: whatever order pages come in, every event once, no gap.

The device is a model: a growing log of events, seq 1..head, each with its uuid. The steps are
what a puller meets: the device records more; a page from the true cursor (stored); a page from
an older `after` (a stale pull: `CursorMoved`, nothing stored); the cursor set back behind rows
the server holds and a page over them (only the new ones stored: a replay inserts nothing); a
page whose transaction fails inside (`_place` raises the driver's OperationalError once: neither
rows nor cursor); the same seqs with other uuids (`Divergent`, nothing stored). After every step
the server holds exactly seqs 1..cursor.after of the device, each once and with the device's uuid,
the cursor never went back, and head_seq is what the last stored page said.

Decisions: one store a test (a fresh PostgreSQL database is tens of milliseconds, a fresh one
an example would be most of the run) and a fresh device id an example, so examples do not see
each other's rows and nothing in the store's in-memory anchors needs resetting. No health check
is suppressed: the machine takes no pytest fixture and its data are small.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from sync.page import Page
from sync.store import Batch, CursorMoved, Divergent, ServerStore
from tests import pgstore
from tests.sync.conftest import EVENING, TZ
from tests.sync.test_clock import _event

NOW = EVENING + timedelta(hours=1)
EPOCH = "e1"
SETTINGS = settings(max_examples=40, stateful_step_count=20, deadline=None)
_devices = itertools.count(1)


def driver_error(store: ServerStore) -> type[Exception]:
    """The OperationalError of the store's driver: what a disk or connection fault inside a transaction raises."""
    if store.db.dialect == "sqlite":
        return sqlite3.OperationalError
    import psycopg

    return psycopg.OperationalError


class FailOnce:
    """Stands in for `store._place` (it runs after the insert and the cursor update, before COMMIT) and raises."""

    def __init__(self, store: ServerStore) -> None:
        self.store, self.error = store, driver_error(store)

    def __enter__(self) -> FailOnce:
        self.store.__dict__["_place"] = self  # the instance's attribute hides the method
        return self

    def __call__(self, *args: Any) -> set[str]:
        del self.store.__dict__["_place"]  # once: the class's own method is back
        raise self.error("disk I/O error (simulated)")

    def __exit__(self, *exc: object) -> None:
        self.store.__dict__.pop("_place", None)


class Ingest(RuleBasedStateMachine):
    def __init__(self, store: ServerStore) -> None:
        super().__init__()
        self.store = store
        self.device = f"gate-{next(_devices)}"
        self.log: list[str] = []  # the device's uuids; seq n is log[n - 1]
        self.after = 0  # the cursor the server should have
        self.head_sent = 0  # head_seq of the last page stored
        self.highest = 0  # the cursor never goes below what it once was
        store.switch_epoch(self.device, EPOCH, 0, NOW)

    # -- the device and its pages ------------------------------------------------------------------

    def page(self, first: int, last: int, uuids: list[str] | None = None) -> Page:
        """Seqs first..last of the device's log (none when last < first), and its head now."""
        found = uuids if uuids is not None else self.log
        events = [
            _event(seq, EVENING, seq, True) | {"uuid": found[seq - 1], "device_id": self.device}
            for seq in range(first, last + 1)
        ]
        end = last if events else first - 1
        return Page(EPOCH, len(self.log), end, end < len(self.log), events)

    def held(self) -> list[tuple[str, int, str]]:
        return [
            (epoch, int(seq), uuid)
            for epoch, seq, uuid in self.store.db.execute(
                "SELECT epoch, seq, uuid FROM events WHERE device = ? ORDER BY seq, id", [self.device]
            )
        ]

    def stored_after(self) -> int:
        cursor = self.store.cursor(self.device)
        assert cursor is not None
        return cursor.after

    def refused_whole(self, before: list[tuple[str, int, str]]) -> None:
        assert self.held() == before
        assert self.stored_after() == self.after

    @rule(count=st.integers(1, 12))
    def record(self, count: int) -> None:
        start = len(self.log)
        self.log += [f"{self.device}-{seq}-{EPOCH}" for seq in range(start + 1, start + count + 1)]

    @rule(size=st.integers(1, 10))
    def pull(self, size: int) -> None:
        """A page from the true cursor (empty when caught up): stored, the cursor moved to its end."""
        last = min(self.after + size, len(self.log))
        page = self.page(self.after + 1, last)
        done = self.store.ingest(self.device, Batch(self.after, page), NOW)
        assert done.stored == last - self.after
        self.after, self.head_sent = page.next_after, page.head_seq

    @precondition(lambda self: self.after > 0)
    @rule(data=st.data(), size=st.integers(1, 10))
    def stale(self, data: st.DataObject, size: int) -> None:
        """A page from an `after` the cursor has left: refused before a row is written."""
        old = data.draw(st.integers(0, self.after - 1), label="old after")
        before = self.held()
        with pytest.raises(CursorMoved):
            self.store.ingest(
                self.device, Batch(old, self.page(old + 1, min(old + size, len(self.log)))), NOW
            )
        self.refused_whole(before)

    @precondition(lambda self: self.after > 0)
    @rule(data=st.data(), beyond=st.integers(0, 6))
    def overlap(self, data: st.DataObject, beyond: int) -> None:
        """The cursor set back behind held rows, then a page over them and `beyond` more: only the new stored."""
        back = data.draw(st.integers(0, self.after - 1), label="cursor set back to")
        self.store.db.execute(
            "UPDATE streams SET after = ? WHERE device = ? AND epoch = ?", [back, self.device, EPOCH]
        )
        last = min(self.after + beyond, len(self.log))
        page = self.page(back + 1, last)
        done = self.store.ingest(self.device, Batch(back, page), NOW)
        assert done.stored == last - self.after  # the replayed ones inserted nothing
        self.after, self.head_sent = page.next_after, page.head_seq

    @rule(size=st.integers(1, 10))
    def crash(self, size: int) -> None:
        """A page whose transaction fails after its insert and cursor update: neither is kept."""
        before = self.held()
        page = self.page(self.after + 1, min(self.after + size, len(self.log)))
        with FailOnce(self.store) as failing, pytest.raises(failing.error):
            self.store.ingest(self.device, Batch(self.after, page), NOW)
        self.refused_whole(before)

    @precondition(lambda self: self.after > 0)
    @rule(data=st.data())
    def divergent(self, data: st.DataObject) -> None:
        """Held seqs sent again under other uuids: refused whole, whatever else the page carries."""
        back = data.draw(st.integers(0, self.after - 1), label="cursor set back to")
        self.store.db.execute(
            "UPDATE streams SET after = ? WHERE device = ? AND epoch = ?", [back, self.device, EPOCH]
        )
        before = self.held()
        other = [f"{uuid}-other" for uuid in self.log]
        with pytest.raises(Divergent):
            self.store.ingest(self.device, Batch(back, self.page(back + 1, len(self.log), other)), NOW)
        assert self.held() == before and self.stored_after() == back
        self.store.db.execute(  # put it back, as an admin's resume would leave it
            "UPDATE streams SET after = ? WHERE device = ? AND epoch = ?", [self.after, self.device, EPOCH]
        )

    # -- what must hold after every step --------------------------------------------------------------

    @invariant()
    def every_event_once_and_no_gap(self) -> None:
        held = self.held()
        assert [seq for _, seq, _ in held] == list(range(1, self.after + 1))  # each once, from 1, no gap
        assert {epoch for epoch, _, _ in held} <= {EPOCH}
        assert [uuid for _, _, uuid in held] == self.log[: self.after]  # the device's events, not others

    @invariant()
    def the_cursor_is_where_the_pages_left_it(self) -> None:
        cursor = self.store.cursor(self.device)
        assert cursor is not None and cursor.epoch == EPOCH and not cursor.stopped
        assert cursor.after == self.after >= self.highest
        assert cursor.head_seq == self.head_sent
        self.highest = self.after


@pytest.fixture(params=pgstore.BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerStore]:
    """One store a test, on SQLite and on a fresh PostgreSQL database (`tests.pgstore`)."""
    with pgstore.target(request.param, tmp_path) as target:
        found = ServerStore.open(target, TZ)
        yield found
        found.close()


def test_ingest_in_any_order_of_pages_keeps_every_event_once_and_no_gap(store: ServerStore) -> None:
    class OnThisStore(Ingest):
        def __init__(self) -> None:
            super().__init__(store)

    run_state_machine_as_test(OnThisStore, settings=SETTINGS)
