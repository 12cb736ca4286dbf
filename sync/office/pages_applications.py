"""Provides the applications' pages: the list, recording a paper application, one application and its steps,
and the services' deadlines and places."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from sync.api.keys import SCHOOL
from sync.office import applications as rules
from sync.office import records
from sync.office.applications import ApplicationError, Consent, Terms
from sync.office.lookups import child, roster, sees_class
from sync.office.periods import periods
from sync.office.roles import HOMEROOM, school_wide
from sync.office.web import Refused, audit, field, form, need, render, see_other, text

PAGE = 100  # applications a page: a 5,000-pupil school's list stays quick to render and to read


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except ValueError:
        return default


async def list_applications(request: web.Request) -> web.Response:
    user = need(request, "applications")
    school = request.app[SCHOOL]
    state = request.query.get("state", "")
    state = state if state in rules.STATES else ""
    service = request.query.get("service", "")
    page = max(1, _int(request.query.get("page", "1"), 1))
    own = "" if school_wide(user.role) else user.class_name
    class_name = request.query.get("class", "") if school_wide(user.role) else own
    found, total = await school.writer.run(
        lambda store: records.applications(store.db, class_name, state, service, PAGE, (page - 1) * PAGE)
    )
    people = await roster(request)
    rows: list[dict[str, Any]] = [
        {"row": row, "student": people.students.get(row.application.student_id),
         "service": people.services.get(row.application.service_id)}
        for row in found
    ]  # fmt: skip
    await audit(request, {"applications": len(rows), "class": class_name or "*", "state": state or "*",
                          "students": [row.application.student_id for row in found]})  # fmt: skip
    return render(request, "applications.html", {
        "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PAGE)), "state": state,
        "service": service, "class_name": class_name, "states": rules.STATES, "services": people.services,
    })  # fmt: skip


async def _form_context(request: web.Request, message: str = "") -> dict[str, Any]:
    user = need(request, "record")
    people = await roster(request)
    school = request.app[SCHOOL]
    today = school.clock.now().date()
    students = sorted(
        (s for s in people.students.values() if s.class_name == user.class_name), key=lambda s: s.id
    )
    services = [(s, periods(s, today.year)) for s in people.services.values()]
    terms = await school.writer.run(lambda store: records.terms(store.db))
    return {"students": students, "services": services, "terms": terms, "message": message, "today": today,
            "values": dict(form(request)) if request.method == "POST" else {}}  # fmt: skip


async def new_application(request: web.Request) -> web.Response:
    context = await _form_context(request)
    await audit(request, {"application_form": need(request, "record").class_name,
                          "students": [s.id for s in context["students"]]})  # fmt: skip
    return render(request, "application_new.html", context)


async def record_application(request: web.Request) -> web.StreamResponse:
    user = need(request, "record")
    school = request.app[SCHOOL]
    people = await roster(request)
    student = child(people, user, field(request, "student"))
    chosen = [str(s) for s in form(request).getall("service", []) if str(s) in people.services]
    try:
        signed_on = date.fromisoformat(field(request, "consent_on"))
    except ValueError:
        return render(request, "application_new.html",
                      await _form_context(request, text(request, "office.refused.consent_date")), status=422)  # fmt: skip
    if not chosen:
        return render(request, "application_new.html",
                      await _form_context(request, text(request, "office.refused.no_service")), status=422)  # fmt: skip
    consent = Consent(field(request, "consent_by", 40), field(request, "consent_relation", 20), signed_on)
    picked = tuple(_int(str(p)) for p in form(request).getall("period", []))
    now = school.clock.now()
    actor = f"{user.role}:{user.username}"

    def store_them(store: Any) -> list[int]:
        terms = records.terms(store.db)
        made = []
        for service_id in chosen:
            count = len(periods(people.services[service_id], now.year))
            application = rules.record(
                student.id, student.class_name, service_id, consent, terms.get(service_id, Terms()), now.date(),
                picked if count else (), count, records.active_for(store.db, student.id, service_id),
            )  # fmt: skip
            made.append(application)
        return [records.insert(store.db, a, actor, now) for a in made]

    try:
        made = await school.writer.run(store_them)
    except ApplicationError as refused:
        return render(request, "application_new.html",
                      await _form_context(request, text(request, refused.key, **refused.params)), status=422)  # fmt: skip
    await audit(request, {"recorded": made, "student": student.id, "services": chosen,
                          "consent": {"by": consent.signed_by, "relation": consent.relation,
                                      "on": consent.signed_on.isoformat()}})  # fmt: skip
    raise see_other(f"/applications/{made[0]}" if len(made) == 1 else "/applications")


async def _visible(request: web.Request) -> tuple[records.Row, Any]:
    user = need(request, "applications")
    school = request.app[SCHOOL]
    app_id = _int(request.match_info["id"], -1)
    row = await school.writer.run(lambda store: records.application(store.db, app_id))
    if row is None:
        raise Refused(403 if user.role == HOMEROOM else 404, "office.forbidden" if user.role == HOMEROOM
                      else "office.no_application")  # fmt: skip
    if not sees_class(user, row.application.class_name):
        raise Refused(403, "office.forbidden")
    return row, user


async def show_application(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    row, user = await _visible(request)
    school = request.app[SCHOOL]
    people = await roster(request)
    history = await school.writer.run(lambda store: records.steps(store.db, row.application.id))
    await audit(request, {"application": row.application.id, "student": row.application.student_id})
    service = people.services.get(row.application.service_id)
    return render(request, "application.html", {
        "row": row, "app": row.application, "student": people.students.get(row.application.student_id),
        "service": service, "history": history, "actions": rules.next_actions(row.application, user.role),
        "message": message, "room": people.rooms.get(row.room_id),
        "periods": periods(service, school.clock.now().year) if service else [],
    }, status=status)  # fmt: skip


async def take_step(request: web.Request) -> web.StreamResponse:
    row, user = await _visible(request)
    school = request.app[SCHOOL]
    action, reason = field(request, "action", 30), field(request, "reason", 200)
    now = school.clock.now()
    if action == rules.ARRANGE:  # only by confirming a class formation, where the room is chosen
        return await show_application(request, text(request, "office.refused.arrange_here"), 422)

    def store_it(store: Any) -> rules.Application:
        held = records.application(store.db, row.application.id)
        if held is None:
            raise Refused(404, "office.no_application")
        terms = records.terms(store.db).get(held.application.service_id, Terms())
        after = rules.step(held.application, action, user.role, terms,
                           records.taken(store.db, held.application.service_id), reason)  # fmt: skip
        records.save_step(store.db, held.application, after, action, f"{user.role}:{user.username}", now)
        return after

    try:
        after = await school.writer.run(store_it)
    except ApplicationError as refused:
        return await show_application(request, text(request, refused.key, **refused.params), 422)
    except records.StepRaced:
        return await show_application(request, text(request, "office.refused.raced"), 409)
    await audit(request, {"application": row.application.id, "student": row.application.student_id,
                          "step": action, "to": after.state, "reason": reason})  # fmt: skip
    raise see_other(f"/applications/{row.application.id}")


async def services_page(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    need(request, "settings")
    school = request.app[SCHOOL]
    people = await roster(request)
    terms, taken = await school.writer.run(
        lambda store: (records.terms(store.db), {s: records.taken(store.db, s) for s in people.services})
    )
    rooms = await school.writer.run(lambda store: records.room_capacity(store.db))
    return render(request, "services.html", {"services": people.services, "terms": terms, "taken": taken,
                                            "rooms": people.rooms, "capacity": rooms, "message": message},
                  status=status)  # fmt: skip


async def save_services(request: web.Request) -> web.StreamResponse:
    need(request, "settings")
    school = request.app[SCHOOL]
    people = await roster(request)
    new: dict[str, Terms] = {}
    for service_id in people.services:
        deadline_text = field(request, f"deadline.{service_id}", 10)
        capacity_text = field(request, f"capacity.{service_id}", 6) or "0"
        try:
            deadline = date.fromisoformat(deadline_text) if deadline_text else None
            capacity = int(capacity_text)
            if capacity < 0:
                raise ValueError(capacity_text)
        except ValueError:
            return await services_page(
                request, text(request, "office.refused.terms", service=service_id), 422
            )
        new[service_id] = Terms(deadline, capacity)
    rooms = []
    for room_id in people.rooms:
        given = field(request, f"room.{room_id}", 4)
        if given:
            if not given.isdigit() or int(given) < 1:
                return await services_page(
                    request, text(request, "office.refused.terms", service=room_id), 422
                )
            rooms.append((room_id, int(given)))

    def store_them(store: Any) -> None:
        for service_id, found in new.items():
            records.set_terms(store.db, service_id, found)
        records.set_room_capacity(store.db, rooms)

    await school.writer.run(store_them)
    await audit(request, {"terms": {k: [str(v.deadline or ""), v.capacity] for k, v in new.items()},
                          "rooms": dict(rooms)})  # fmt: skip
    raise see_other("/services")


ROUTES = (
    ("GET", "/applications", list_applications),
    ("GET", "/applications/new", new_application),
    ("POST", "/applications", record_application),
    ("GET", "/applications/{id}", show_application),
    ("POST", "/applications/{id}/step", take_step),
    ("GET", "/services", services_page),
    ("POST", "/services", save_services),
)
