"""Provides the uploads page: a roster, enrolments or leave (read by the same parsers as `rollcall server
roster import`, edge.files.roster), and the school's rooms, staff, services with their timetables and
calendar (edge.files.settings) as CSV or XLSX, every bad row shown in the page as `file:line: reason` and
nothing of the file stored; each accepted file is the next version of its dataset, pushed to every device.
The page also shows what is current for the settings, and a sample file (模板) of each kind."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web

from edge.core.codec import school_to_datasets, staff_to_plain, to_plain
from edge.core.model import CardKind, School
from edge.files import settings
from edge.files.roster import read_enrolments, read_leave, read_roster
from edge.files.tabular import SUFFIXES, RosterError
from sync import datasets
from sync.api.keys import SCHOOL
from sync.office import records
from sync.office.lookups import roster
from sync.office.publish import publish, rows_of
from sync.office.web import LANG, Refused, audit, form, need, render, text
from sync.store import ServerStore

KINDS = ("roster", "enrolments", "leave", "rooms", "staff", "services", "calendar")
SETTINGS = ("rooms", "staff", "services", "calendar")  # shown as they are now, below the form
LIMIT = 16 * 1024 * 1024  # a 5,000-pupil roster with guardians is about 1 MB as XLSX


async def uploads_page(request: web.Request, problems: list[str] | None = None, message: str = "",
                       status: int = 200) -> web.Response:  # fmt: skip
    need(request, "uploads")
    people = await roster(request)
    held = await request.app[SCHOOL].writer.run(
        lambda store: (records.room_capacity(store.db), datasets.latest(store.db))
    )
    capacity, versions = held
    context = {"kinds": KINDS, "problems": problems or [], "message": message, "school": people,
               "capacity": capacity, "versions": {k: versions[k].version for k in SETTINGS if k in versions},
               "staff_cards": _staff_cards(people), "samples": settings.KINDS, "ranges": _ranges}  # fmt: skip
    return render(request, "uploads.html", context, status=status)


def _staff_cards(people: School) -> dict[str, list[str]]:
    cards: dict[str, list[str]] = {}
    for card in people.cards.values():
        if card.kind == CardKind.STAFF:
            cards.setdefault(card.holder_id, []).append(card.uid)
    return cards


def _ranges(days: Any) -> list[str]:
    """Consecutive dates as "first – last", for a calendar page that stays short."""
    out: list[list[date]] = []
    for day in sorted(days):
        if out and (day - out[-1][-1]).days == 1:
            out[-1].append(day)
        else:
            out.append([day])
    return [f"{r[0]} – {r[-1]}" if len(r) > 1 else str(r[0]) for r in out]


async def sample(request: web.Request) -> web.StreamResponse:
    need(request, "uploads")
    kind = request.match_info["kind"]
    if kind not in settings.KINDS:
        raise Refused(404, "office.uploads.missing")
    return web.Response(
        body=settings.sample_csv(kind),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
    )


def _read(kind: str, path: Path, known: School, lang: str) -> Any:
    if kind == "roster":
        return read_roster(path, lang)
    if kind == "enrolments":
        return read_enrolments(path, known, lang)
    if kind == "leave":
        return read_leave(path, known, lang)
    if kind == "rooms":
        return settings.read_rooms(path, lang)
    if kind == "staff":
        return settings.read_staff(path, lang, known.cards)
    if kind == "services":
        return settings.read_services(path, lang, known.services)
    return settings.read_calendar(path, lang)


def _datasets(store: ServerStore, kind: str, parsed: Any) -> dict[str, Any]:
    """The datasets an accepted file makes (on the store's thread, in publish's transaction)."""
    if kind == "roster":
        plain = school_to_datasets(parsed)
        return {"students": plain["students"], "guardians": plain["guardians"],
                "cards": datasets.with_assignments(store.db, plain["cards"])}  # fmt: skip
    if kind == "rooms":
        records.set_room_capacity(store.db, [(room.id, n) for room, n in parsed if n is not None])
        return {"rooms": [to_plain(room) for room, _ in parsed]}
    if kind == "staff":
        staff, cards = parsed
        # The file is every staff card; pupils' and guardians' cards stay as they are.
        kept = [c for c in rows_of(store, "cards") if c.get("kind") != CardKind.STAFF.value]
        merged = sorted([*kept, *(to_plain(c) for c in cards)], key=lambda c: str(c.get("uid")))
        # Nor does it hold the signing PINs the office set on this page: each staff member keeps theirs.
        pins = {str(row.get("id")): row["pin_hash"] for row in rows_of(store, "staff") if row.get("pin_hash")}
        rows = [staff_to_plain(s) | ({"pin_hash": pins[s.id]} if s.id in pins else {}) for s in staff]
        return {"staff": rows, "cards": merged}
    if kind == "calendar":
        return {"calendar": to_plain(parsed)}
    return {kind: [to_plain(row) for row in parsed]}


async def upload(request: web.Request) -> web.StreamResponse:
    user = need(request, "uploads")
    kind = str(form(request).get("kind", ""))
    given = form(request).get("file")
    if kind not in KINDS or not isinstance(given, web.FileField):
        raise Refused(422, "office.uploads.missing")
    name = Path(given.filename or "upload").name
    if Path(name).suffix.lower() not in SUFFIXES:
        return await uploads_page(
            request, message=text(request, "office.uploads.suffix", name=name), status=422
        )
    data = given.file.read(LIMIT + 1)
    if len(data) > LIMIT:
        return await uploads_page(
            request, message=text(request, "office.uploads.large", name=name), status=413
        )
    people = await roster(request)
    with tempfile.TemporaryDirectory(prefix="rollcall-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            parsed = await asyncio.to_thread(_read, kind, path, people, request.get(LANG, "zh"))
        except RosterError as error:
            problems = [m.replace(str(path), name) for m in error.messages]
            await audit(request, {"upload": kind, "file": name, "problems": len(problems)})
            return await uploads_page(
                request, problems, text(request, "office.uploads.refused", name=name), 422
            )

    made = await publish(request, lambda store: _datasets(store, kind, parsed),
                         f"office upload {name} {user.role}:{user.username}")  # fmt: skip
    await audit(request, {"upload": kind, "file": name, "versions": made})
    versions = ", ".join(f"{k} v{v}" for k, v in made.items()) or text(request, "office.uploads.unchanged")
    return await uploads_page(
        request, message=text(request, "office.uploads.stored", name=name, versions=versions)
    )


ROUTES = (
    ("GET", "/uploads", uploads_page),
    ("POST", "/uploads", upload),
    ("GET", "/uploads/sample/{kind}.csv", sample),
)
