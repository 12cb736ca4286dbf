"""Provides the readable live feed: one line per event, in the guard's language, with a shape per signal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.core.i18n import t
from edge.core.model import SIGNALS, Event, EventKind, Outcome, School, Signal

# Colour is not enough (colour-blind guards, sunlight on the screen): each signal has a shape too.
SHAPES: Mapping[Signal, str] = {Signal.OK: "✓", Signal.WARNING: "!", Signal.DENIED: "✗", Signal.FAULT: "⚠"}


def holder_name(school: School, holder_id: str) -> str:
    for table in (school.students, school.guardians, school.staff):
        if holder_id in table:
            return table[holder_id].name
    return holder_id


def describe(event: Event, school: School, lang: str = "zh") -> str:
    """`18:02:13 gate-in ✓ 到校 张三 三年级2班 · reason` — what the guard needs from one event."""
    return str(view(event, school, lang)["text"])


def view(event: Event, school: School, lang: str = "zh") -> dict[str, Any]:
    """The parts of `describe`'s line, for a screen that lays them out itself (the console's last tap).

    `name` is the card holder's (or the bare card UID when nobody holds it), `class` the student's
    class, `children` the names a guardian took or was refused, `signal` and `shape` the feedback.
    """
    signal = SIGNALS[event.outcome]
    if event.kind is EventKind.ALERT:
        label = f"{t('outcome.alert', lang)}: {t('alert.' + event.reason, lang)}"
    else:
        label = t(f"outcome.{event.outcome.value}", lang)
    name = holder_name(school, event.subject) if event.subject else ""
    if event.card_uid and not name:
        name = event.card_uid
    student = school.students.get(event.subject) if event.subject else None
    children = [holder_name(school, str(c["student"])) for c in event.data.get("children") or ()]
    if event.outcome not in (Outcome.PICKED_UP, Outcome.UNAUTHORISED_PICKUP):
        children = []
    who = f"{name} {student.class_name}" if student else name
    if children:
        who = f"{who} → {'、'.join(children)}"
    reason = _reason(event, school, lang)
    place = event.reader_id or (f"[{event.actor}]" if event.actor else "")
    line = f"{event.at:%H:%M:%S} {place:<10} {SHAPES[signal]} {label}  {who.strip()}"
    return {
        "seq": event.seq,
        "time": f"{event.at:%H:%M:%S}",
        "place": place,
        "signal": signal.value,
        "shape": SHAPES[signal],
        "label": label,
        "name": name,
        "class": student.class_name if student else "",
        "children": children,
        "reason": reason,
        "text": f"{line} · {reason}" if reason else line,
    }


def _reason(event: Event, school: School, lang: str) -> str:
    if not event.reason or event.kind is EventKind.ALERT:
        return ""
    params = dict(event.data)
    if "room" in params and params["room"] in school.rooms:
        params["room"] = school.rooms[str(params["room"])].name
    text = t(f"reason.{event.reason}", lang, **params)
    return "" if text == f"reason.{event.reason}" else text
