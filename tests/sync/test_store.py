"""The store's promises: a page and its cursor in one transaction, replays insert nothing, divergence is refused."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import Any

import pytest

from sync.page import Page, PageError, parse_page, problem
from sync.store import Batch, CursorMoved, Divergent, ServerStore
from tests import pgstore
from tests.sync.conftest import EVENING, TZ
from tests.sync.test_clock import _event

NOW = EVENING + timedelta(hours=1)


def page(first: int, last: int, uuid: str = "u", head: int | None = None) -> Page:
    events = [_event(seq, EVENING, seq, True) | {"uuid": f"{uuid}{seq}"} for seq in range(first, last + 1)]
    return Page("e1", head or last, last, (head or last) > last, events)


def held(store: ServerStore) -> list[tuple[int, str]]:
    return list(store.db.execute("SELECT seq, uuid FROM events ORDER BY seq"))


def test_a_replayed_page_stores_nothing_and_the_cursor_never_passes_the_rows(store: ServerStore) -> None:
    store.ingest("gate-1", Batch(0, page(1, 50)), NOW)
    with pytest.raises(CursorMoved):
        store.ingest("gate-1", Batch(0, page(1, 50)), NOW)  # the same page again: refused before a row
    store.ingest("gate-1", Batch(50, page(51, 60)), NOW)
    assert [seq for seq, _ in held(store)] == list(range(1, 61))
    cursor = store.cursor("gate-1")
    assert cursor is not None and cursor.after == 60 and cursor.head_seq == 60


def test_a_crash_inside_the_transaction_leaves_neither_rows_nor_cursor(
    store: ServerStore, monkeypatch: Any
) -> None:
    store.ingest("gate-1", Batch(0, page(1, 10)), NOW)

    def fail(*args: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setattr(store, "_place", fail)  # runs after the insert and the cursor update, before COMMIT
    with pytest.raises(sqlite3.OperationalError):
        store.ingest("gate-1", Batch(10, page(11, 20)), NOW)
    monkeypatch.undo()
    cursor = store.cursor("gate-1")
    assert cursor is not None and cursor.after == 10 and len(held(store)) == 10
    store.ingest("gate-1", Batch(10, page(11, 20)), NOW)  # the next pull asks from the cursor again
    assert [seq for seq, _ in held(store)] == list(range(1, 21))


def test_the_same_seq_with_another_event_is_divergence_not_a_replay(store: ServerStore) -> None:
    store.ingest("gate-1", Batch(0, page(1, 10)), NOW)
    store.db.execute("UPDATE streams SET after = 5")  # as if the cursor were behind the rows
    store.ingest("gate-1", Batch(5, page(6, 12)), NOW)  # the same events 6..10 again, and 11, 12: fine
    assert len(held(store)) == 12
    store.db.execute("UPDATE streams SET after = 8")
    with pytest.raises(Divergent, match="seq 9"):
        store.ingest("gate-1", Batch(8, page(9, 14, uuid="other")), NOW)
    assert len(held(store)) == 12


def test_a_new_epoch_keeps_the_old_stream_and_counts_what_was_lost(store: ServerStore) -> None:
    store.ingest("gate-1", Batch(0, page(1, 10, head=14)), NOW)
    cursor = store.switch_epoch("gate-1", "e2", 3, NOW)
    assert (cursor.epoch, cursor.after) == ("e2", 0)
    (alarm,) = store.alarms(open_only=False)
    assert alarm["kind"] == "new_epoch" and alarm["detail"]["lost"] == 4 and alarm["resolved_at"]
    streams = {s["epoch"]: s for s in store.streams()}
    assert streams["e1"]["after"] == 10 and not streams["e1"]["current"] and streams["e2"]["current"]


def test_a_page_must_start_right_after_the_cursor_and_skip_nothing() -> None:
    assert problem(page(11, 20), 10) is None
    gap = problem(page(13, 20), 10)
    assert gap is not None and gap.kind == "gap" and gap.first_seq == 13 and "11..12" in gap.message
    holey = page(11, 20)
    del holey.events[4]
    inner = problem(holey, 10)
    assert inner is not None and inner.kind == "gap" and inner.first_seq == 16
    behind = problem(Page("e1", 7, 7, False, []), 10)
    assert behind is not None and behind.kind == "behind"
    with pytest.raises(PageError, match="next_after"):
        problem(Page("e1", 20, 19, False, page(11, 20).events), 10)
    mixed = page(11, 12)
    mixed.events[1]["epoch"] = "e9"
    with pytest.raises(PageError, match="epoch"):
        problem(mixed, 10)


@pytest.mark.parametrize(
    "raw",
    [b'{"epoch":"e1","head_seq":3,"next_after":3,"has_more":false,"events":[{"seq":1}', b"[]", b"",
     b'{"epoch":"e1","head_seq":"3","next_after":3,"has_more":false,"events":[]}',
     b'{"epoch":"e1","head_seq":3,"next_after":3,"has_more":false,"events":[{"uuid":"x"}]}'],
)  # fmt: skip
def test_a_truncated_or_malformed_answer_is_not_a_page(raw: bytes) -> None:
    with pytest.raises(PageError):
        parse_page(raw)


def test_an_event_missing_a_field_is_refused_whole(store: ServerStore) -> None:
    broken = page(1, 3)
    del broken.events[2]["reader_id"]
    with pytest.raises(PageError, match="reader_id"):
        store.ingest("gate-1", Batch(0, broken), NOW)
    typed = page(1, 3)
    typed.events[1]["boottime_ns"] = "soon"
    with pytest.raises(PageError):
        store.ingest("gate-1", Batch(0, typed), NOW)
    assert held(store) == []


def test_the_envelope_is_read_without_the_events_and_any_layout_still_parses() -> None:
    from sync.page import parse_envelope

    full = b'{"epoch":"e1","head_seq":9,"next_after":2,"has_more":true,"clock":{"boot_id":"b","boottime_ns":5,"trusted":false},"events":[{"seq":1},{"seq":2}]}'
    envelope = parse_envelope(full)
    assert (envelope.epoch, envelope.next_after, envelope.has_more, envelope.events) == ("e1", 2, True, [])
    assert envelope.clock is not None and envelope.clock.boottime_ns == 5
    reordered = b'{"events":[{"seq":1}],"epoch":"e1","head_seq":1,"next_after":1,"has_more":false}'
    assert parse_envelope(reordered).next_after == 1
    with pytest.raises(PageError):
        parse_envelope(full[:60])  # cut before the events: not a page


def test_a_database_whose_text_does_not_sort_as_on_sqlite_is_named_in_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:

    found = pgstore.cluster()
    with pgstore.database() as c_url:  # the template's: C.UTF-8, as the README says
        pgstore._admin(
            found, "CREATE DATABASE rollcall_icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'zh-CN'"
        )
        try:
            with caplog.at_level(logging.WARNING, logger="rollcall"):
                ServerStore.open(c_url, TZ).close()
                assert not [r for r in caplog.records if "store_collation" in r.getMessage()]
                ServerStore.open(pgstore.url(found, "rollcall_icu"), TZ).close()
            (warning,) = [r.getMessage() for r in caplog.records if "store_collation" in r.getMessage()]
            assert "rollcall_icu" in warning and "LOCALE 'C.UTF-8'" in warning
        finally:
            pgstore._admin(found, "DROP DATABASE IF EXISTS rollcall_icu WITH (FORCE)")
