"""Provides what the sessions route and the live stream show: sessions with counts, alerts, a snapshot.

These run on the recorder's thread (`Recorder.query`), where the state cannot change halfway;
each costs about a millisecond for the sample school (four rooms, 150 children), so a tap waits
at most that long behind one.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from edge.core.codec import event_to_json, to_plain
from edge.core.feed import view as feed_view
from edge.core.projection import Whereabouts
from edge.core.report import ZeroReport, alerts, student_line, zero_report
from edge.device.recorder import View
from edge.files.report_format import COUNTS


def as_of(day: date, now: datetime) -> datetime:
    """A past day is read as of its last instant, so nobody shows "not yet arrived"; today as of now."""
    if day < now.date():
        return datetime.combine(day, datetime.max.time(), now.tzinfo)
    return now


def reports(view: View, day: date, now: datetime) -> list[ZeroReport]:
    plan = view.plan(day)
    when = as_of(day, now)
    ordered = sorted(plan.sessions.values(), key=lambda s: (s.start, s.room_id))
    return [zero_report(view.school, plan, view.projection.state, session, when) for session in ordered]


def session_summary(report: ZeroReport) -> dict[str, Any]:
    """A session and its counts: no names, so listing sessions is not a read of personal data."""
    session = report.session
    counts = {name: len(getattr(report, name)) for name in (*COUNTS, "not_yet_arrived")}
    return {
        "id": session.id,
        "service_id": session.service_id,
        "service": report.service,
        "room_id": session.room_id,
        "room": report.room,
        "date": session.date.isoformat(),
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "counts": counts | {"enrolled": report.enrolled},
        "clean": report.clean,
        "signed": report.signed,
        "signed_by": report.signed_by,
        "signed_at": report.signed_at,
    }


def alert_lines(view: View, now: datetime) -> list[dict[str, Any]]:
    """The alerts that hold now, most urgent first, each with whom to call."""
    state, day = view.projection.state, now.date().isoformat()
    found = []
    for alert in alerts(view.school, view.plan(now.date()), state, now):
        where = state.whereabouts.get((day, alert.student_id)) or Whereabouts()
        record = state.attendance.get((alert.session_id, alert.student_id))
        note = record.note if record else ""  # e.g. what the guardian said when the guard called
        line = to_plain(student_line(view.school, alert.student_id, where, note)) if alert.student_id else None
        found.append(
            {
                "kind": alert.kind.value,
                "session": alert.session_id,
                "student": line,
                "since": alert.since.isoformat() if alert.since else None,
                "reader": alert.reader_id,  # a reader down: which one (the console says it by its name)
            }
        )
    return found


def snapshot(view: View, now: datetime, recent: int, lang: str = "zh") -> dict[str, Any]:
    head = view.store.head_seq()
    first = max(head - recent, 0)
    events = list(view.store.events(after=first))
    # Today's problem cards from before the recent events: the console's list of unresolved cards is the
    # day's, however many taps came since (a console started at 18:40 still lists a card of 18:02).
    midnight = datetime.combine(now.date(), time(), now.tzinfo).isoformat()
    cards = list(view.store.card_events(midnight, upto=first))
    return {
        "type": "snapshot",
        "now": now.isoformat(),
        "epoch": view.store.epoch,
        "head_seq": head,
        "sessions": [session_summary(r) for r in reports(view, now.date(), now)],
        "alerts": alert_lines(view, now),
        "recent": [event_to_json(e) for e in events],
        "recent_views": [feed_view(e, view.school, lang) for e in events],
        "cards": [event_to_json(e) for e in cards],
        "cards_views": [feed_view(e, view.school, lang) for e in cards],
    }
