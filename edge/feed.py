"""Provides the readable live feed: one line per event, in the guard's language, with a shape per signal."""

from __future__ import annotations

from collections.abc import Mapping

from edge.i18n import t
from edge.model import SIGNALS, Event, EventKind, Outcome, School, Signal

# Colour is not enough (colour-blind guards, sunlight on the screen): each signal has a shape too.
SHAPES: Mapping[Signal, str] = {Signal.OK: "✓", Signal.WARNING: "!", Signal.DENIED: "✗", Signal.FAULT: "⚠"}


def holder_name(school: School, holder_id: str) -> str:
    for table in (school.students, school.guardians, school.staff):
        if holder_id in table:
            return table[holder_id].name
    return holder_id


def describe(event: Event, school: School, lang: str = "zh") -> str:
    """`18:02:13 gate-in ✓ 到校 张三 三年级2班 · reason` — what the guard needs from one event."""
    outcome = event.outcome
    shape = SHAPES[SIGNALS[outcome]]
    who = _who(event, school)
    if event.kind is EventKind.ALERT:
        label = f"{t('outcome.alert', lang)}: {t('alert.' + event.reason, lang)}"
    else:
        label = t(f"outcome.{outcome.value}", lang)
    reason = _reason(event, school, lang)
    place = event.reader_id or (f"[{event.actor}]" if event.actor else "")
    line = f"{event.at:%H:%M:%S} {place:<10} {shape} {label}  {who}"
    return f"{line} · {reason}" if reason else line


def _who(event: Event, school: School) -> str:
    children = event.data.get("children")
    name = holder_name(school, event.subject) if event.subject else ""
    if event.card_uid and not name:
        name = event.card_uid
    if event.subject in school.students:
        name = f"{name} {school.students[event.subject].class_name}"
    if children and event.outcome in (Outcome.PICKED_UP, Outcome.UNAUTHORISED_PICKUP):
        kids = "、".join(holder_name(school, str(c["student"])) for c in children)
        name = f"{name} → {kids}"
    return name.strip()


def _reason(event: Event, school: School, lang: str) -> str:
    if not event.reason or event.kind is EventKind.ALERT:
        return ""
    params = dict(event.data)
    if "room" in params and params["room"] in school.rooms:
        params["room"] = school.rooms[str(params["room"])].name
    text = t(f"reason.{event.reason}", lang, **params)
    return "" if text == f"reason.{event.reason}" else text
