"""The console's pure parts: the board folds news in order, caps its feed, and the inbox coalesces a burst into one message."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from tests.tui.conftest import TZ
from tui.board import FEED_ROWS, Board, current_sessions, gone_offline, totals, with_events, with_snapshot
from tui.rows import SessionRow, Snapshot, feed_line_from_json
from tui.stream import Inbox, parse

START = datetime(2026, 11, 30, 18, 0, tzinfo=TZ)


def event(seq: int, outcome: str = "on_campus", kind: str = "tap", **extra: Any) -> dict[str, Any]:
    at = (START + timedelta(seconds=seq)).isoformat()
    return {"seq": seq, "kind": kind, "outcome": outcome, "at": at, "reader_id": "gate-in", "subject": f"s{seq:04d}",
            "card_uid": f"{seq:08X}"} | extra  # fmt: skip


def line(seq: int, **extra: Any) -> Any:
    return feed_line_from_json(event(seq, **extra), None, "zh")


def snapshot(head: int, recent: range, epoch: str = "e1") -> Snapshot:
    return Snapshot(START, epoch, head, (), (), tuple(line(n) for n in recent), {"gate-in": "up"})


def session(room: str, start: str, end: str, **counts: int) -> SessionRow:
    day = "2026-11-30T"
    return SessionRow(f"2026-11-30.x.{room}", "x", "x", room, room, datetime.fromisoformat(f"{day}{start}:00+08:00"),
                      datetime.fromisoformat(f"{day}{end}:00+08:00"), counts.pop("enrolled", 0), counts, True, False)  # fmt: skip


def test_the_feed_keeps_the_newest_rows_only_however_long_the_evening() -> None:
    board = Board()
    for start in range(1, 5001, 100):
        board = with_events(board, [line(n) for n in range(start, start + 100)])
    assert len(board.feed) == FEED_ROWS and board.feed[-1].seq == 5000 and board.feed[0].seq == 5001 - FEED_ROWS
    assert board.head_seq == 5000 and board.last_tap is not None and board.last_tap.seq == 5000


def test_events_the_board_already_holds_are_not_shown_twice() -> None:
    board = with_snapshot(Board(), snapshot(10, range(1, 11)))
    again = with_events(board, [line(9), line(10), line(11)])
    assert [x.seq for x in again.feed] == list(range(1, 12))
    assert with_events(again, [line(11)]) is again


def test_a_resnapshot_of_the_same_log_keeps_the_older_feed_and_a_new_log_starts_afresh() -> None:
    board = with_events(with_snapshot(Board(), snapshot(50, range(1, 51))), [line(n) for n in range(51, 61)])
    same = with_snapshot(board, snapshot(1100, range(1051, 1101)))
    assert [x.seq for x in same.feed][:60] == list(range(1, 61)) and same.feed[-1].seq == 1100
    other = with_snapshot(board, snapshot(3, range(1, 4), epoch="e2"))
    assert [x.seq for x in other.feed] == [1, 2, 3] and other.epoch == "e2"


def test_the_last_tap_is_a_tap_or_a_release_not_an_alert() -> None:
    board = with_events(Board(), [line(1), line(2, outcome="alert", kind="alert"), line(3, kind="reader", outcome="reader_down")])
    assert board.last_tap is not None and board.last_tap.seq == 1
    assert board.readers == {"gate-in": "down"}


def test_offline_since_is_the_first_failure_not_the_latest() -> None:
    first = gone_offline(Board(online=True), START, "")
    later = gone_offline(first, START + timedelta(minutes=5), "token")
    assert later.offline_since == START and later.problem == "token" and not later.online
    assert with_snapshot(later, snapshot(0, range(0))).offline_since is None


def test_todays_counts_are_the_sessions_on_now_or_else_the_next() -> None:
    midday = session("r301", "12:10", "14:00", enrolled=30, missing=30)
    evening = [session("r301", "18:15", "19:30", enrolled=38, present=30), session("r302", "18:15", "19:30", enrolled=37)]
    board = Board(sessions=(midday, *evening), device_now=START)
    assert current_sessions(board) == tuple(evening)
    assert totals(current_sessions(board)) == totals(evening) and totals(evening)["enrolled"] == 75
    morning = Board(sessions=(midday, *evening), device_now=START.replace(hour=9))
    assert current_sessions(morning) == (midday,)


def test_a_burst_is_one_message_and_comes_out_in_order() -> None:
    inbox = Inbox(limit=1000)
    told = [inbox.put(line(n)) for n in range(1, 101)]
    assert told == [True] + [False] * 99  # the app is told once for the whole burst
    taken = inbox.take()
    assert [x.seq for x in taken] == list(range(1, 101))  # type: ignore[union-attr]
    assert inbox.put(line(101)) is True


def test_an_inbox_the_app_cannot_keep_up_with_drops_the_oldest() -> None:
    inbox = Inbox(limit=10)
    for n in range(1, 26):
        inbox.put(line(n))
    assert [x.seq for x in inbox.take()] == list(range(16, 26))  # type: ignore[union-attr]


def test_stream_messages_parse_and_an_older_server_without_views_still_reads() -> None:
    assert parse({"type": "resnapshot"}, "zh") is None and parse([1], "zh") is None
    plain = parse({"type": "event", "event": event(7, outcome="wrong_room")}, "en")
    assert plain is not None and not isinstance(plain, Snapshot)
    assert (plain.shape, plain.signal, plain.label, plain.name) == ("✗", "denied", "wrong room", "s0007")
    viewed = parse({"type": "event", "event": event(8), "view": {"name": "张三", "class": "三年级2班", "label": "到校",
                                                             "text": "18:00:08 …", "shape": "✓", "signal": "ok"}}, "zh")  # fmt: skip
    assert viewed is not None and not isinstance(viewed, Snapshot) and (viewed.name, viewed.class_name) == ("张三", "三年级2班")
    snap = parse({"type": "snapshot", "epoch": "e", "head_seq": 2, "recent": [event(1), event(2)], "sessions": []}, "zh")
    assert isinstance(snap, Snapshot) and [x.seq for x in snap.recent] == [1, 2]


def test_a_console_started_late_lists_the_days_problem_cards_from_before_its_recent_events() -> None:
    """Snapshot `cards`: an unknown card at seq 3 and a dismissed one (5, dismissed at 6), then 100 taps."""
    cards = (line(3, outcome="unknown_card", card_uid="DEAD0003"), line(5, outcome="unknown_card", card_uid="DEAD0005"),
             line(6, kind="dismiss_card", outcome="card_dismissed", card_uid="DEAD0005", uuid="u6"))  # fmt: skip
    late = Snapshot(START, "e1", 106, (), (), tuple(line(n) for n in range(57, 107)), {"gate-in": "up"}, cards)
    board = with_snapshot(Board(), late)
    assert [c.uid for c in board.cards] == ["DEAD0003"]
    assert with_snapshot(Board(), replace(late, cards=())).cards == ()  # what a console saw before
