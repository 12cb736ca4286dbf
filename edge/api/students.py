"""Provides `GET /api/v1/students?q=`: find a student by name, pinyin, pinyin initials, class, id or card.

For the guard console's pickup desk, forgotten-card and card-assignment flows. Guards see what
they need to act: id, name, class, and each guardian's id (to release to), name, relation, phone
and pickup permission. Every search is audited with its query and the ids it returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge.api.audit import audit
from edge.api.keys import SERVICE
from edge.core.cards import CardIndex
from edge.core.model import CardKind, School, Student
from edge.core.pinyin import matches, sort_key
from edge.web.errors import BadRequest, dumps
from edge.web.parse import query, query_int
from edge.web.routing import ANY_OBJECT, GUARD, Param, Route, json_ok, obj, roles
from hardware.reads import normalise_uid


async def search(request: web.Request) -> web.Response:
    params = query(request, ("q", "limit"))
    text = params.get("q", "").strip()
    if not text:
        raise BadRequest("q: missing: a name, pinyin (zhangsan), initials (zs), class, id or card", code="invalid_parameter")
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
    await audit(request, {"q": text, "students": [s["id"] for s in found]})
    return web.json_response({"students": found}, dumps=dumps)


def find(
    school: School, assigned: Mapping[str, str], text: str, limit: int, cards: CardIndex | None = None
) -> list[dict[str, Any]]:
    """Students by name, pinyin, initials, class, id, card UID or the card's printed number."""
    by_card = _card_holders(school, assigned, text, cards or CardIndex(school.cards))
    hits = [
        student
        for student in school.students.values()
        if student.id in by_card or student.id == text or text in student.class_name or matches(text, student.name)
    ]
    hits.sort(key=lambda s: (s.id not in by_card, sort_key(s.name), s.id))
    return [_describe(school, s) for s in hits[:limit]]


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
        "Find students by name, pinyin (zhangsan), initials (zs), class, id or card UID (audited)",
        params=(
            Param("q", "query", {"type": "string", "minLength": 1, "maxLength": 64}, "what to look for", True),
            Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100}, "at most this many (20)"),
        ),
        responses=json_ok("the students found, best first", obj({"students": {"type": "array", "items": ANY_OBJECT}})),
    ),
)
