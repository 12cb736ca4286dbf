"""Provides the duty rota page (plan 5): build a term's rota from a weekly pattern, swap a day, cover for someone.

`GET /office/rota` shows the rota, what `rota.check` finds wrong with it (in the reader's language)
and the forms; the office (and admin) may build, swap and cover, everyone signed in may look. Each
change is a new row of the rota's history and the next version of the `rota` dataset, which the
pushers take to every device, where a staff card at a room door is checked against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from aiohttp import web

from edge.core.model import School
from sync.api.keys import SCHOOL
from sync.office import rota_store
from sync.office.lookups import problem_texts, roster
from sync.office.problems import Problem, Refused
from sync.office.publish import publish
from sync.office.rota import DayPattern, Person, Rota, build, check, cover, swap
from sync.office.rota_store import Held
from sync.office.web import audit, field, form, need, render, see_other, text
from sync.store import ServerStore

SCHOOL_WEEK = range(5)  # Monday to Friday; a make-up day (调休) takes the pattern of the weekday it follows
MAX_COACHES = 40


def groups_of(people: School) -> list[tuple[str, str]]:
    """The groups a teacher is posted to: each (service, room) the enrolments use."""
    return sorted({(e.service_id, e.room_id) for e in people.enrolments if e.service_id in people.services})


def is_club(people: School, service_id: str) -> bool:
    """A club service (社团) is posted as CLUB: its teachers include outside coaches (外聘)."""
    service = people.services.get(service_id)
    return service_id.startswith("club") or bool(service and "社团" in service.name)


def staff_people(people: School, coaches: tuple[Person, ...]) -> dict[str, Person]:
    found = {s.id: Person(s.id, s.name) for s in people.staff.values()}
    return found | {c.id: c for c in coaches}


def _coaches(raw: str) -> tuple[Person, ...]:
    """One outside coach a line: `id name` (外聘)."""
    found = []
    for line in raw.splitlines()[:MAX_COACHES]:
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
            found.append(Person(parts[0][:40], parts[1].strip()[:40], external=True))
    return tuple(found)


def _week(request: web.Request, people: School) -> dict[int, DayPattern]:
    week = {}
    for day in SCHOOL_WEEK:
        leaders = tuple(p for p in (field(request, f"w{day}.leader{n}", 40) for n in (1, 2)) if p)
        guards = tuple(p for p in (field(request, f"w{day}.guard{n}", 40) for n in (1, 2)) if p)
        teachers: dict[tuple[str, str], str] = {}
        clubs: dict[tuple[str, str], str] = {}
        for service, room in groups_of(people):
            who = field(request, f"w{day}|{service}|{room}", 40)
            if who:
                (clubs if is_club(people, service) else teachers)[(service, room)] = who
        week[day] = DayPattern(leaders, guards, teachers, clubs)
    return week


async def rota_page(
    request: web.Request, messages: list[str] | None = None, status: int = 200, done: str = ""
) -> web.Response:
    need(request, "rota")
    school = request.app[SCHOOL]
    people = await roster(request)
    held: Held | None = await school.writer.run(lambda store: rota_store.latest(store.db))
    groups = groups_of(people)
    today = school.clock.now().date()
    return render(request, "rota.html", {
        "held": held, "rota": held.rota if held else None, "week": held.week if held else {},
        "problems": problem_texts(request, people, check(held.rota)) if held else [],
        "messages": messages or [], "done": done, "groups": groups, "services": people.services,
        "rooms": people.rooms, "people": staff_people(people, held.coaches if held else ()),
        "coaches": held.coaches if held else (), "school_week": SCHOOL_WEEK, "rows": _rows(held.rota, groups) if held else [],
        "first": held.rota.first if held else today, "last": held.rota.last if held else today,
        "is_club": lambda s: is_club(people, s),
    }, status=status)  # fmt: skip


def _rows(rota: Rota, groups: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One row a duty day: its leaders, guards, and each group's holder (with whom she covers)."""
    rows = []
    for day in rota.days:
        duties = rota.on(day)
        by_group = {(d.service_id, d.room_id): d for d in duties if d.service_id}
        rows.append({
            "day": day, "weekday": day.weekday(),
            "leaders": [d for d in duties if d.role.value == "leader"],
            "guards": [d for d in duties if d.role.value == "guard"],
            "groups": [by_group.get(g) for g in groups],
        })  # fmt: skip
    return rows


async def _change(
    request: web.Request, action: str, make: Any, detail: Mapping[str, Any]
) -> web.StreamResponse:
    """Store `make(held)`'s rota as the next row and the next `rota` dataset; refusals show in the page."""
    user = need(request, "rota_edit")
    school = request.app[SCHOOL]
    now = school.clock.now()
    actor = f"{user.role}:{user.username}"
    held: Held | None = await school.writer.run(lambda store: rota_store.latest(store.db))
    try:
        new = make(held)
    except Refused as refused:
        return await rota_page(request, problem_texts(request, await roster(request), refused.problems), 422)

    def store_it(store: ServerStore) -> dict[str, Any]:
        rota_store.save(store.db, new, action, actor, now, detail)
        return {"rota": rota_store.device_rows(new.rota)}

    made = await publish(request, store_it, f"office rota {action} {actor}")
    await audit(request, {"rota": action, **detail, "version": made.get("rota")})
    raise see_other(f"/rota?done={action}")


async def build_rota(request: web.Request) -> web.StreamResponse:
    need(request, "rota_edit")
    people = await roster(request)
    try:
        first = date.fromisoformat(field(request, "first", 10))
        last = date.fromisoformat(field(request, "last", 10))
    except ValueError:
        return await rota_page(request, [text(request, "office.rota.bad_date")], 422)
    if last < first or (last - first).days > 400:
        return await rota_page(request, [text(request, "office.rota.bad_range")], 422)
    week = _week(request, people)
    coaches = _coaches(str(form(request).get("coaches", ""))[:4000])

    def make(_: Held | None) -> Held:
        rota = build(week, people.services, people.calendar, staff_people(people, coaches), first, last)
        return Held(rota, week, coaches, "build", "", "")

    return await _change(request, "build", make, {"first": first.isoformat(), "last": last.isoformat()})


def _held(held: Held | None) -> Held:
    if held is None:
        raise Refused(Problem("office.rota.none"))
    return held


async def swap_day(request: web.Request) -> web.StreamResponse:
    need(request, "rota_edit")
    try:
        first_day = date.fromisoformat(field(request, "first_day", 10))
        second_day = date.fromisoformat(field(request, "second_day", 10) or field(request, "first_day", 10))
    except ValueError:
        return await rota_page(request, [text(request, "office.rota.bad_date")], 422)
    first_id, second_id = field(request, "first_person", 40), field(request, "second_person", 40)

    def make(held: Held | None) -> Held:
        found = _held(held)
        return Held(
            swap(found.rota, first_day, first_id, second_day, second_id),
            found.week,
            found.coaches,
            "",
            "",
            "",
        )

    detail = {"first_day": first_day.isoformat(), "first": first_id, "second_day": second_day.isoformat(),
              "second": second_id}  # fmt: skip
    return await _change(request, "swap", make, detail)


async def cover_for(request: web.Request) -> web.StreamResponse:
    need(request, "rota_edit")
    try:
        day = date.fromisoformat(field(request, "day", 10))
    except ValueError:
        return await rota_page(request, [text(request, "office.rota.bad_date")], 422)
    absent, by = field(request, "absent", 40), field(request, "by", 40)
    service, _, room = field(request, "group", 90).partition("|")

    def make(held: Held | None) -> Held:
        found = _held(held)
        return Held(cover(found.rota, day, absent, by, service, room), found.week, found.coaches, "", "", "")

    detail = {"day": day.isoformat(), "absent": absent, "by": by, "service": service, "room": room}
    return await _change(request, "cover", make, detail)


async def rota_get(request: web.Request) -> web.Response:
    done = request.query.get("done", "")
    return await rota_page(request, done=done if done in ("build", "swap", "cover") else "")


ROUTES = (
    ("GET", "/rota", rota_get),
    ("POST", "/rota/build", build_rota),
    ("POST", "/rota/swap", swap_day),
    ("POST", "/rota/cover", cover_for),
)
