"""`Database.executemany` on SQLite and PostgreSQL: the count of rows inserted, first row wins, order kept.

On PostgreSQL an `INSERT … ON CONFLICT DO NOTHING` goes `ROWS_A_STATEMENT` rows a statement
(sync/db.py), so the rows it is given are chosen to cross those statements: keys already held,
keys repeated within one call (and so within one statement), a last statement shorter than the
rest. Whatever the batches, each call's count is the rows that were new, a key keeps the value of
its first row, and the ids follow the order the rows came in, as row by row. A DO UPDATE stays row
by row (one statement would refuse two rows of one key). The store's ingest over 1,000 events
counts a replay the same way and still finds a divergent one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from sync.db import ROWS_A_STATEMENT, Database, connect
from sync.store import Batch, Divergent, ServerStore
from tests import pgstore
from tests.sync.test_store import NOW, page

INSERT = "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING"


@pytest.fixture(params=pgstore.BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with pgstore.target(request.param, tmp_path) as target:
        found = connect(target)
        found.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL, UNIQUE (k))"
        )
        yield found
        found.close()


keys = st.lists(st.integers(0, 3 * ROWS_A_STATEMENT), max_size=4 * ROWS_A_STATEMENT + 3)


def test_insert_do_nothing_counts_the_new_rows_keeps_the_first_and_their_order(db: Database) -> None:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(keys, min_size=1, max_size=4))
    def check(batches: list[list[int]]) -> None:
        db.execute("DELETE FROM t")
        held: dict[int, str] = {}
        for n, batch in enumerate(batches):
            rows = [(k, f"{n}.{i}") for i, k in enumerate(batch)]
            new: dict[int, str] = {}
            for k, v in rows:
                if k not in held and k not in new:  # the first row of a key wins, later ones are skipped
                    new[k] = v
            with db.atomic():
                assert db.executemany(INSERT, rows) == len(new)
            held |= new
        assert [tuple(r) for r in db.execute("SELECT k, v FROM t ORDER BY id")] == list(held.items())

    check()


def test_insert_do_update_of_one_key_twice_in_one_call_is_row_by_row(db: Database) -> None:
    upsert = "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    rows = [(k % 3, f"v{k}") for k in range(2 * ROWS_A_STATEMENT + 1)]
    with db.atomic():
        db.executemany(upsert, rows)
    last = dict(rows)  # each key's last row
    assert dict(tuple(r) for r in db.execute("SELECT k, v FROM t")) == last


def test_a_page_of_a_thousand_over_held_rows_stores_only_the_new_ones(store: ServerStore) -> None:
    assert store.ingest("gate-1", Batch(0, page(1, 1000)), NOW).stored == 1000
    store.db.execute("UPDATE streams SET after = 493")  # as if the cursor were behind the rows
    assert store.ingest("gate-1", Batch(493, page(494, 1517)), NOW).stored == 517
    seqs = [seq for (seq,) in store.db.execute("SELECT seq FROM events ORDER BY id")]
    assert seqs == list(range(1, 1518))
    store.db.execute("UPDATE streams SET after = 1200")
    with pytest.raises(Divergent, match="seq 1201"):
        store.ingest("gate-1", Batch(1200, page(1201, 2200, uuid="other")), NOW)
    assert store.db.scalar("SELECT COUNT(*) FROM events") == 1517
