"""Provides the uploads page: a roster, enrolments or leave as CSV or XLSX, read by the same parsers as
`rollcall server roster import` (edge.files.roster), every bad row shown in the page as `file:line: reason`."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from edge.core.codec import school_to_datasets, to_plain
from edge.files.roster import read_enrolments, read_leave, read_roster
from edge.files.tabular import SUFFIXES, RosterError
from sync import datasets
from sync.office.lookups import roster
from sync.office.publish import publish
from sync.office.web import Refused, audit, form, need, render, text
from sync.store import ServerStore

KINDS = ("roster", "enrolments", "leave")
LIMIT = 16 * 1024 * 1024  # a 5,000-pupil roster with guardians is about 1 MB as XLSX


async def uploads_page(request: web.Request, problems: list[str] | None = None, message: str = "",
                       status: int = 200) -> web.Response:  # fmt: skip
    need(request, "uploads")
    return render(request, "uploads.html", {"kinds": KINDS, "problems": problems or [], "message": message},
                  status=status)  # fmt: skip


def _read(kind: str, path: Path, known: Any) -> Any:
    if kind == "roster":
        return read_roster(path)
    if kind == "enrolments":
        return read_enrolments(path, known)
    return read_leave(path, known)


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
            parsed = await asyncio.to_thread(_read, kind, path, people)
        except RosterError as error:
            problems = [m.replace(str(path), name) for m in error.messages]
            await audit(request, {"upload": kind, "file": name, "problems": len(problems)})
            return await uploads_page(
                request, problems, text(request, "office.uploads.refused", name=name), 422
            )

    def build(store: ServerStore) -> dict[str, Any]:
        if kind == "roster":
            plain = school_to_datasets(parsed)
            return {"students": plain["students"], "guardians": plain["guardians"],
                    "cards": datasets.with_assignments(store.db, plain["cards"])}  # fmt: skip
        return {kind: [to_plain(row) for row in parsed]}

    made = await publish(request, build, f"office upload {name} {user.role}:{user.username}")
    await audit(request, {"upload": kind, "file": name, "versions": made})
    versions = ", ".join(f"{k} v{v}" for k, v in made.items()) or text(request, "office.uploads.unchanged")
    return await uploads_page(
        request, message=text(request, "office.uploads.stored", name=name, versions=versions)
    )


ROUTES = (
    ("GET", "/uploads", uploads_page),
    ("POST", "/uploads", upload),
)
