"""Provides `GET /api/v1/students?q=`: find a student by name, pinyin, initials, class, guardian, phone, id or card.

For the guard console's pickup desk, forgotten-card and card-assignment flows. Guards see what
they need to act: id, name, class, where the child stands today (`state`), and each guardian's id
(to release to), name, relation, phone and pickup permission. Every search is audited with its
query and the ids it returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from edge.api.audit import audit
from edge.api.keys import SERVICE
from edge.core.cards import CardIndex
from edge.core.class_names import class_key, same_class
from edge.core.model import CardKind, Guardian, School, Student
from edge.core.pinyin import matches, sort_key, syllables
from edge.core.standing import standing
from edge.device.recorder import View
from edge.web.errors import BadRequest, dumps
from edge.web.parse import query, query_int
from edge.web.routing import ANY_OBJECT, GUARD, Param, Route, json_ok, obj, roles
from hardware.reads import normalise_uid


async def search(request: web.Request) -> web.Response:
    params = query(request, ("q", "limit"))
    text = params.get("q", "").strip()
    if not text:
        raise BadRequest("q: missing: a name, pinyin (zhangsan), initials (zs), class (5-1), guardian, phone, id or card",
                         code="invalid_parameter")  # fmt: skip
    if len(text) > 64:
        raise BadRequest("q: longer than 64 characters", code="invalid_parameter")
    limit = query_int(params, "limit", 20, 1, 100)
    service = request.app[SERVICE]
    # The school is immutable, so the matching runs off the writer's thread: the first search warms
    # the pinyin of every name (~0.1 s for 500 students on the VM) and must not hold up a tap.
    school, assigned, cards = await service.recorder.query(
        lambda view: (view.school, dict(view.projection.state.cards), view.cards)
    )
    found = await asyncio.to_thread(find, school, assigned, text, limit, cards)
    now, ids = service.clock.now(), [s["id"] for s in found]
    states = await service.recorder.query(lambda view: _states(view, ids, now))  # the writer's thread: taps change it
    await audit(request, {"q": text, "students": [s["id"] for s in found]})
    return web.json_response({"students": [s | {"state": states[s["id"]]} for s in found]}, dumps=dumps)


def _states(view: View, student_ids: list[str], now: datetime) -> dict[str, dict[str, Any]]:
    """Where each child stands today (in a room since, missing, gone with whom), as the desk shows it."""
    local = now.astimezone(view.tz)
    plan, state = view.plan(local.date()), view.projection.state
    return {student: standing(view.school, plan, state, student, local).to_json() for student in student_ids}


def find(
    school: School, assigned: Mapping[str, str], text: str, limit: int, cards: CardIndex | None = None
) -> list[dict[str, Any]]:
    """Students by name, pinyin (with or without spaces), initials, class in any common spelling,
    a guardian's name, a phone number (or its last 4 digits), id, card UID or the card's printed
    number; in pinyin order, a card's or an id's holder first."""
    by_card = _card_holders(school, assigned, text, cards or CardIndex(school.cards))
    by_family = _families(school, text)
    klass = class_key(text)
    hits = [
        student
        for student in school.students.values()
        if student.id in by_card
        or student.id == text
        or student.id in by_family
        or text in student.class_name
        or (klass is not None and same_class(klass, student.class_name))
        or matches(text, student.name)
    ]
    hits.sort(key=lambda s: (s.id not in by_card and s.id != text, sort_key(s.name), s.id))
    return [_describe(school, s) for s in hits[:limit]]


def _families(school: School, text: str) -> set[str]:
    """The children of the guardians `text` names: by phone (all of it or its last 4 digits) or name."""
    return {child for guardian in school.guardians.values() if _names(text, guardian) for child in guardian.children}


def _names(text: str, guardian: Guardian) -> bool:
    """A phone number in full (with or without +86) or its last 4 digits; a name's characters (two or more, so one surname
    does not list half the school) or its whole pinyin ("zhangli", "zhang li")."""
    digits = "".join(c for c in text if c.isdigit())
    if digits and len(digits) == len("".join(text.split()).replace("-", "").replace("+", "")):
        phone = "".join(c for c in guardian.phone if c.isdigit())
        return bool(phone) and (digits == phone[-4:] if len(digits) == 4 else digits.endswith(phone))
    compact = "".join(text.split()).lower()
    return (len(compact) >= 2 and compact in guardian.name) or compact == "".join(syllables(guardian.name))


def _card_holders(school: School, assigned: Mapping[str, str], text: str, cards: CardIndex) -> set[str]:
    """Whose card `text` names: a UID in hex, or the number printed on it in any vendor's rendering."""
    uids = cards.printed(text)
    try:
        uids.append(normalise_uid(text))
    except ValueError:
        pass
    holders = set()
    for uid in uids:
        card = school.cards.get(uid)
        if uid in assigned:
            holders.add(assigned[uid])
        elif card is not None and card.kind is CardKind.STUDENT:
            holders.add(card.holder_id)
    return holders


def _describe(school: School, student: Student) -> dict[str, Any]:
    return {
        "id": student.id,
        "name": student.name,
        "class": student.class_name,
        "guardians": [
            {"id": g.id, "name": g.name, "relation": g.relation, "phone": g.phone, "may_pick_up": g.may_pick_up}
            for g in school.guardians_of(student.id)
        ],
    }


ROUTES = (
    Route(
        "GET",
        "/api/v1/students",
        search,
        roles(GUARD),
        "Find students by name, pinyin (zhangsan, zhang san), initials (zs), class (五年级1班, 五1, 5-1, 51), "
        "guardian's name, phone (or its last 4 digits), id or card UID; each with `state` {code, at, room, "
        "guardian, relation}: where she stands today (audited)",
        params=(
            Param("q", "query", {"type": "string", "minLength": 1, "maxLength": 64}, "what to look for", True),
            Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100}, "at most this many (20)"),
        ),
        responses=json_ok("the students found, best first", obj({"students": {"type": "array", "items": ANY_OBJECT}})),
    ),
)
