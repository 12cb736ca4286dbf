"""Provides a child's page, and for the office her personal data exported whole or deleted on a guardian's
request (PIPL art. 45-47), the deletion itself recorded in the audit log.

Deleting removes her from the students dataset (and her cards, enrolments and leave, and a guardian
left with no child), her applications, their steps and the office's leave rows, and her events in
the server's log, in one transaction; the new datasets go to every device, which then no longer knows
her. What a device still holds of her taps goes with its retention purge. The audit row names her id
only, who asked, and how much went.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

from aiohttp import web

from edge.api.students import find
from edge.core.codec import to_plain
from sync.api.keys import SCHOOL
from sync.office import records
from sync.office.lookups import child, roster, sees_class
from sync.office.publish import publish, rows_of
from sync.office.web import Refused, audit, field, need, render, see_other, text, user_of
from sync.store import ServerStore


def _held(store: ServerStore, student_id: str) -> dict[str, Any]:
    """Everything the server holds about her, beyond the roster: applications with steps, leave, events."""

    def rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
        cursor = store.db.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    applications = rows("SELECT * FROM office_applications WHERE student_id = ? ORDER BY id", [student_id])
    for application in applications:
        application["steps"] = records.steps(store.db, application["id"])
    return {
        "applications": applications,
        "leave_recorded": rows("SELECT * FROM office_leave WHERE student_id = ? ORDER BY id", [student_id]),
        "events": rows(
            "SELECT device, seq, kind, outcome, reason, at, reader_id, actor, data FROM events WHERE subject = ? "
            "ORDER BY at",
            [student_id],
        ),
    }


async def search(request: web.Request) -> web.Response:
    user = need(request, "child")
    wanted = request.query.get("q", "").strip()[:64]
    people = await roster(request)
    found = await asyncio.to_thread(find, people, {}, wanted, 200) if wanted else []
    found = [s for s in found if sees_class(user, str(s.get("class", "")))][:50]
    await audit(request, {"q": wanted, "students": [s["id"] for s in found]})
    return render(request, "children.html", {"q": wanted, "found": found,
                                             "message": request.query.get("message", "")[:200]})  # fmt: skip


async def show(request: web.Request) -> web.Response:
    user = need(request, "child")
    people = await roster(request)
    student = child(people, user, request.match_info["id"])
    held = await request.app[SCHOOL].writer.run(lambda store: _held(store, student.id))
    await audit(request, {"child": student.id})
    return render(request, "child.html", {
        "student": student, "guardians": people.guardians_of(student.id), "held": held, "people": people,
        "enrolments": [e for e in people.enrolments if e.student_id == student.id],
        "leave": [x for x in people.leave if x.student_id == student.id],
        "message": request.query.get("message", "")[:200],
    })  # fmt: skip


async def export(request: web.Request) -> web.Response:
    need(request, "privacy")
    people = await roster(request)
    student = child(people, user_of(request), request.match_info["id"])
    held = await request.app[SCHOOL].writer.run(lambda store: _held(store, student.id))
    body = {
        "student": to_plain(student),
        "guardians": [to_plain(g) for g in people.guardians_of(student.id)],
        "cards": [to_plain(c) for c in people.cards.values() if c.holder_id == student.id],
        "enrolments": [to_plain(e) for e in people.enrolments if e.student_id == student.id],
        "leave": [to_plain(x) for x in people.leave if x.student_id == student.id],
        **held,
    }
    await audit(request, {"exported_child": student.id, "events": len(held["events"])})
    return web.Response(
        text=json.dumps(body, ensure_ascii=False, indent=1), content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="child-{student.id}.json"'},
    )  # fmt: skip


async def delete(request: web.Request) -> web.StreamResponse:
    user = need(request, "privacy")
    people = await roster(request)
    student = child(people, user, request.match_info["id"])
    if field(request, "confirm", 40) != student.id:
        raise Refused(422, "office.child.confirm_id", id=student.id)
    requested_by = field(request, "requested_by", 80)
    if not requested_by:
        raise Refused(422, "office.child.requested_by_missing")
    counts: dict[str, int] = {}

    def build(store: ServerStore) -> dict[str, Any]:
        sid = student.id
        guardians = []
        for guardian in rows_of(store, "guardians"):
            children = [c for c in guardian["children"] if c != sid]
            if children:
                guardians.append(guardian | {"children": children})
        apps = [
            r[0] for r in store.db.execute("SELECT id FROM office_applications WHERE student_id = ?", [sid])
        ]
        for app_id in apps:
            store.db.execute("DELETE FROM office_steps WHERE application_id = ?", [app_id])
        counts["applications"] = store.db.execute(
            "DELETE FROM office_applications WHERE student_id = ?", [sid]
        ).rowcount
        counts["leave_recorded"] = store.db.execute(
            "DELETE FROM office_leave WHERE student_id = ?", [sid]
        ).rowcount
        counts["events"] = store.db.execute("DELETE FROM events WHERE subject = ?", [sid]).rowcount
        return {
            "students": [s for s in rows_of(store, "students") if s["id"] != sid],
            "guardians": guardians,
            "cards": [c for c in rows_of(store, "cards") if c["holder_id"] != sid],
            "enrolments": [e for e in rows_of(store, "enrolments") if e["student_id"] != sid],
            "leave": [x for x in rows_of(store, "leave") if x["student_id"] != sid],
        }

    made = await publish(request, build, f"deletion of {student.id} on request")
    await audit(request, {"deleted_child": student.id, "requested_by": requested_by,
                          "reason": field(request, "reason", 200), "removed": counts, "versions": made})  # fmt: skip
    raise see_other(f"/children?message={quote(text(request, 'office.child.deleted', id=student.id))}")


ROUTES = (
    ("GET", "/children", search),
    ("GET", "/children/{id}", show),
    ("GET", "/children/{id}/export", export),
    ("POST", "/children/{id}/delete", delete),
)
