"""Provides the leave page: a homeroom teacher records a leave for a child of her class; it becomes the
leave dataset every device holds, and one recorded after the head count is marked 补请假."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from edge.core.codec import to_plain
from edge.core.model import Leave
from sync.api.keys import SCHOOL
from sync.office.leave import LeaveError, after_headcount, check
from sync.office.lookups import child, roster
from sync.office.publish import publish, rows_of
from sync.office.roles import school_wide
from sync.office.web import audit, field, need, render, see_other, text
from sync.store import ServerStore

LISTED = 200  # the latest leave shown


def _recent(store: ServerStore, class_name: str) -> list[dict[str, Any]]:
    sql = ("SELECT id, student_id, class_name, valid_from, valid_to, service_id, reason, late, recorded_by, "
           "recorded_at FROM office_leave")  # fmt: skip
    cursor = (
        store.db.execute(sql + " WHERE class_name = ? ORDER BY id DESC LIMIT ?", [class_name, LISTED])
        if class_name
        else store.db.execute(sql + " ORDER BY id DESC LIMIT ?", [LISTED])
    )
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


async def leave_page(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    user = need(request, "leave")
    school = request.app[SCHOOL]
    people = await roster(request)
    own = "" if school_wide(user.role) else user.class_name
    found = await school.writer.run(lambda store: _recent(store, own))
    students = sorted(
        (s for s in people.students.values() if s.class_name == user.class_name), key=lambda s: s.id
    )
    await audit(
        request, {"leave": len(found), "class": own or "*", "students": [r["student_id"] for r in found]}
    )
    return render(request, "leave.html", {
        "rows": found, "students": students, "people": people, "services": people.services, "message": message,
        "today": school.clock.now().date(),
    }, status=status)  # fmt: skip


async def record_leave(request: web.Request) -> web.StreamResponse:
    user = need(request, "record")
    school = request.app[SCHOOL]
    people = await roster(request)
    student = child(people, user, field(request, "student"))
    try:
        first = date.fromisoformat(field(request, "from", 10))
        last = date.fromisoformat(field(request, "to", 10) or field(request, "from", 10))
    except ValueError:
        return await leave_page(request, text(request, "office.leave.refused.date"), 422)
    try:
        leave = check(Leave(student.id, first, last, field(request, "service", 40), field(request, "reason", 200)),
                      people.services)  # fmt: skip
    except LeaveError as refused:
        return await leave_page(request, text(request, refused.key), 422)
    now = school.clock.now()
    sessions = await school.query(lambda view: view.plan(now.date()).sessions_of.get(student.id, ()))
    late = after_headcount(leave, sessions, people.services, now)
    actor = f"{user.role}:{user.username}"

    def build(store: ServerStore) -> dict[str, Any]:
        store.db.execute(
            "INSERT INTO office_leave (student_id, class_name, valid_from, valid_to, service_id, reason, late, "
            "recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [student.id, student.class_name, first.isoformat(), last.isoformat(), leave.service_id,
             leave.reason, int(late), actor, now.isoformat()],
        )  # fmt: skip
        return {"leave": [*rows_of(store, "leave"), to_plain(leave)]}

    made = await publish(request, build, f"office leave {actor}")
    await audit(request, {"leave_for": student.id, "from": first.isoformat(), "to": last.isoformat(),
                          "service": leave.service_id or "*", "late": late, "version": made.get("leave")})  # fmt: skip
    raise see_other("/leave")


ROUTES = (
    ("GET", "/leave", leave_page),
    ("POST", "/leave", record_leave),
)
