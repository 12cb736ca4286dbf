"""The store: durability settings, the epoch, appends with their projection, check, rebuild, datasets."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.core.codec import school_to_datasets
from edge.core.errors import StoreError
from edge.core.model import Event, EventKind, Outcome, Room, School
from edge.core.projection import Projection
from edge.device.store import Store

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 30, 18, 0, tzinfo=TZ)


def tap(n: int, outcome: Outcome = Outcome.ON_CAMPUS, **extra: object) -> Event:
    return Event(
        uuid=uuid.uuid4().hex,
        kind=EventKind.TAP,
        outcome=outcome,
        at=START + timedelta(seconds=n),
        device_id="gate-1",
        reader_id="gate-in",
        card_uid=f"{n:08X}",
        subject=f"s{n}",
        data=dict(extra),
    )


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "edge.sqlite3")
    yield opened
    opened.close()


def test_wal_and_full_sync_so_a_commit_survives_power_loss(store: Store) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_epoch_is_minted_once_and_kept_across_reopen(tmp_path: Path) -> None:
    first = Store.open(tmp_path / "a.sqlite3")
    epoch = first.epoch
    first.close()
    again = Store.open(tmp_path / "a.sqlite3")
    other = Store.open(tmp_path / "b.sqlite3")
    assert again.epoch == epoch and len(epoch) == 16
    assert other.epoch != epoch  # a re-imaged device shows a new epoch
    again.close()
    other.close()


def test_append_gives_increasing_seqs_and_round_trips_every_field(store: Store) -> None:
    projection = Projection()
    stored = [store.append(tap(n, session="x"), projection) for n in range(3)]
    assert [e.seq for e in stored] == [1, 2, 3]
    read_back = list(store.events())
    assert read_back == stored
    assert read_back[0].epoch == store.epoch and read_back[0].at == START
    assert [e.seq for e in store.events(after=1, limit=1)] == [2]
    assert store.head_seq() == 3


def test_projection_rows_change_in_the_same_transaction_as_the_event(store: Store) -> None:
    projection = Projection()
    store.append(tap(1), projection)
    assert store.load_projection().state == projection.state
    assert store.check() == []


def test_check_finds_a_projection_row_that_disagrees_with_the_log(store: Store) -> None:
    store.append(tap(1), Projection())
    store.db.execute(
        "UPDATE projection SET value = ? WHERE key = ?", ['{"on_campus": false, "place": "", "seen_at": ""}',
                                                        "whereabouts|2026-11-30|s1"]
    )
    problems = store.check()
    assert problems == ["projection row 'whereabouts|2026-11-30|s1' differs from a replay of the log"]
    store.rebuild()
    assert store.check() == []


def test_a_failed_append_leaves_neither_event_nor_projection_behind(store: Store) -> None:
    event = tap(1)
    store.append(event, Projection())
    with pytest.raises(Exception, match="UNIQUE"):
        store.append(event, Projection())  # the same uuid again
    assert store.head_seq() == 1
    assert store.check() == []


def test_datasets_swap_whole_and_never_regress(store: Store) -> None:
    school = School(rooms={"r1": Room("r1", "301教室")})
    store.install_datasets(school_to_datasets(school), version=2)
    assert store.load_school().rooms["r1"].name == "301教室"
    with pytest.raises(StoreError, match="version 2 is not newer than 2"):
        store.install_datasets({"rooms": [{"id": "r1", "name": "改名"}]}, version=2)
    with pytest.raises(StoreError, match="rooms row 1: missing field 'name'"):
        store.install_datasets({"rooms": [{"id": "r2"}]}, version=3)
    with pytest.raises(StoreError, match="unknown dataset 'pets'"):
        store.install_datasets({"pets": []}, version=4)
    assert store.load_school().rooms["r1"].name == "301教室"  # the last good version stays
    assert store.dataset_version("rooms") == 2


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("这不是数据库" * 200)
    with pytest.raises(StoreError, match=r"notes\.sqlite3: file is not a database"):
        Store.open(path)
