"""Provides `Board`: everything the console knows about the device, and pure functions that fold news into it.

The board is immutable: each fold returns a new one, so the app can hand it down to the screens
as one attribute and a screen can tell at once whether anything changed. The feed is capped
(`FEED_ROWS`), so a long evening at a busy gate costs the console no more memory than a quiet one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from tui.rows import LAST_TAP_KINDS, AlertRow, FeedLine, Health, SessionRow, Snapshot
from tui.unresolved import Cards, UnresolvedCard, fold_cards

FEED_ROWS = 200  # a guard's screen shows about 30 lines; 200 is a few minutes of a rush to scroll back through

# A session is "on now" from this long before its start to this long after its end, as the
# device's plan counts it (edge/core/plan.py: ARRIVAL_WINDOW, DEPARTURE_WINDOW).
BEFORE_START = timedelta(minutes=90)
AFTER_END = timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class Board:
    online: bool = False
    offline_since: datetime | None = None  # the console's own clock: when the device was last reachable
    problem: str = ""  # why the last connection failed, in the API's words ("token refused", ...)
    device_now: datetime | None = None  # the device's clock, as its last message said
    epoch: str = ""
    head_seq: int = 0
    sessions: tuple[SessionRow, ...] = ()
    alerts: tuple[AlertRow, ...] = ()
    feed: tuple[FeedLine, ...] = ()  # oldest first
    last_tap: FeedLine | None = None
    readers: Mapping[str, str] = field(default_factory=dict)  # reader id -> "up" | "down"
    health: Health | None = None
    muted: bool = False  # the guard silenced the bell (the status bar says so on every screen)
    cards: tuple[UnresolvedCard, ...] = ()  # unknown and lost cards tapped, not yet assigned or dismissed
    cards_set_aside: Mapping[str, UnresolvedCard] = field(default_factory=dict)  # by the event that dealt with each


def with_snapshot(board: Board, snapshot: Snapshot) -> Board:
    """Start again from the device's snapshot; the feed is kept when the log is the same one."""
    same_log = snapshot.epoch == board.epoch
    kept = tuple(line for line in board.feed if line.seq < _first_seq(snapshot.recent)) if same_log else ()
    feed = (kept + snapshot.recent)[-FEED_ROWS:]
    taps = [line for line in snapshot.recent if line.kind in LAST_TAP_KINDS]
    cards = _cards_after_snapshot(board, snapshot, same_log)
    return replace(
        board,
        online=True,
        offline_since=None,
        problem="",
        device_now=snapshot.now or board.device_now,
        epoch=snapshot.epoch,
        head_seq=snapshot.head_seq,
        sessions=snapshot.sessions,
        alerts=snapshot.alerts,
        feed=feed,
        last_tap=taps[-1] if taps else (board.last_tap if same_log else None),
        readers=dict(snapshot.readers),
        cards=cards.open,
        cards_set_aside=cards.set_aside,
    )


def _cards_after_snapshot(board: Board, snapshot: Snapshot, same_log: bool) -> Cards:
    """The same log: the cards held, and the snapshot's events not seen yet (a reconnect keeps what a
    guard has not dealt with); another log (a re-imaged device): only what its snapshot shows."""
    lines = snapshot.cards + snapshot.recent
    if not same_log:
        return fold_cards(Cards(), lines)
    return fold_cards(Cards(board.cards, board.cards_set_aside), (line for line in lines if line.seq > board.head_seq))


def _first_seq(lines: Sequence[FeedLine]) -> int:
    return lines[0].seq if lines else 1 << 62


def with_events(board: Board, lines: Iterable[FeedLine]) -> Board:
    """Append new events to the feed; events the board already holds (seq at or below its head) are skipped."""
    fresh = [line for line in lines if line.seq > board.head_seq]
    if not fresh:
        return board
    taps = [line for line in fresh if line.kind in LAST_TAP_KINDS]
    readers = dict(board.readers)
    for line in fresh:
        if line.kind == "reader" and line.place:
            readers[line.place] = "up" if line.outcome == "reader_up" else "down"
    last_at = _at(fresh[-1].at)
    cards = fold_cards(Cards(board.cards, board.cards_set_aside), fresh)
    return replace(
        board,
        head_seq=fresh[-1].seq,
        feed=(board.feed + tuple(fresh))[-FEED_ROWS:],
        last_tap=taps[-1] if taps else board.last_tap,
        readers=readers,
        device_now=last_at or board.device_now,
        cards=cards.open,
        cards_set_aside=cards.set_aside,
    )


def _at(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def with_refresh(
    board: Board, sessions: Sequence[SessionRow], alerts: Sequence[AlertRow], now: datetime | None
) -> Board:
    return replace(board, sessions=tuple(sessions), alerts=tuple(alerts), device_now=now or board.device_now)


def with_health(board: Board, health: Health) -> Board:
    now = _at(health.now)
    readers = {r.id: r.state for r in health.readers} or dict(board.readers)
    return replace(board, health=health, readers=readers, device_now=now or board.device_now)


def gone_offline(board: Board, since: datetime, problem: str = "") -> Board:
    """Offline from `since`, unless it already was: the first failure is when it went."""
    return replace(board, online=False, offline_since=board.offline_since or since, problem=problem)


def current_sessions(board: Board) -> tuple[SessionRow, ...]:
    """Today's sessions that are on now (or, between them, the next ones), for the gate's counts."""
    now = board.device_now
    if now is None:
        return board.sessions
    on = tuple(s for s in board.sessions if s.start - BEFORE_START <= now <= s.end + AFTER_END)
    if on:
        return on
    upcoming = sorted((s for s in board.sessions if s.start > now), key=lambda s: s.start)
    return tuple(s for s in upcoming if upcoming and s.start == upcoming[0].start)


def session_under_way(board: Board, room: str = "") -> SessionRow | None:
    """The session a child leaving now leaves before its end: the one under way in her room (by its
    name, when known), else the first to end of those under way; None when none is (no early leaving)."""
    now = board.device_now
    if now is None:
        return None
    under_way = [s for s in board.sessions if s.start <= now < s.end]
    in_room = [s for s in under_way if room and s.room == room]
    return min(in_room or under_way, key=lambda s: s.end, default=None)


def totals(sessions: Iterable[SessionRow]) -> dict[str, int]:
    """Counts summed over sessions: enrolled, present, late, ... still_waiting."""
    summed: dict[str, int] = {}
    for session in sessions:
        for name in ("enrolled", "not_yet_arrived", "present", "late", "on_leave", "missing",
                     "left_early", "picked_up", "walked_home", "still_waiting"):  # fmt: skip
            summed[name] = summed.get(name, 0) + session.count(name)
    return summed


# Alerts a guard must act on at once: a child who should be here and is not, or not collected.
URGENT = frozenset({"not_in_room", "missing", "left_without_leave", "not_picked_up"})

# Of the children present in a session, these have left campus (or gone on to another session,
# counted there): the rest are on campus now.
GONE = ("picked_up", "walked_home", "left_early", "handed_over", "back_to_lessons")


def alert_key(alert: AlertRow) -> tuple[str, str, str]:
    """Which alert this is, across refreshes: its kind, session and child."""
    return alert.kind, alert.session, alert.student.id if alert.student else ""


def urgent_alerts(board: Board) -> frozenset[tuple[str, str, str]]:
    return frozenset(alert_key(a) for a in board.alerts if a.kind in URGENT)


def on_campus(board: Board) -> int:
    """Children on campus now (在校人数): in the sessions on now, present and not gone, and those
    through the gate who have not reached their room yet (the not-in-room alerts)."""
    sessions = current_sessions(board)
    inside = sum(max(s.count("present") - sum(s.count(g) for g in GONE), 0) for s in sessions)
    return inside + sum(1 for a in board.alerts if a.kind == "not_in_room")


def place_names(board: Board) -> dict[str, str]:
    """Reader id -> the name people read (from the device's health; empty until it is read)."""
    return {r.id: r.name for r in board.health.readers if r.name} if board.health else {}
