"""Provides `PUT /api/v1/datasets/{name}`: a versioned, hash-checked dataset pushed down by the server.

Body: `{"version": N, "sha256": "<hex>", "rows": [...]}` (`rows` is one object for the calendar).
The hash is SHA-256 over exactly these bytes: `json.dumps(rows, ensure_ascii=False,
sort_keys=True, separators=(",", ":")).encode("utf-8")` (`edge.core.codec.canonical_json`). The
store checks the hash, validates every row (an error names the row and field: `students row 3:
missing field 'name'`), refuses a version not newer than the installed one (409), and swaps the
rows in one transaction through the recorder; on any error the last good version stays active.
The calendar, one object rather than rows, has its own path: `PUT /api/v1/datasets/calendar`.
`GET /api/v1/datasets` lists what is installed, so the server knows what to push.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge.api.keys import OPTIONS, SERVICE
from edge.core.codec import DATASETS
from edge.web.errors import BadRequest, NotFound, dumps
from edge.web.parse import field, fields, query, read_json
from edge.web.routing import ANY_OBJECT, INTEGER, SERVER, STRING, Param, Route, Schema, json_ok, obj, roles

MAX_VERSION = 2**63 - 1


async def put_dataset(request: web.Request) -> web.Response:
    name = request.match_info.get("name", "calendar")  # the calendar has its own path: one object, not rows
    if name not in DATASETS:
        raise NotFound(f"no dataset {name!r} (known: {', '.join(DATASETS)})")
    body = fields(await read_json(request, request.app[OPTIONS].dataset_limit), ("version", "sha256", "rows"))
    version, digest = field(body, "version", int), field(body, "sha256", str).lower()
    if not 1 <= version <= MAX_VERSION:
        raise BadRequest(f"version: expected a whole number from 1, got {version}", code="invalid_field")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise BadRequest("sha256: expected 64 hex digits", code="invalid_field")
    rows: Any = field(body, "rows", dict) if name == "calendar" else field(body, "rows", list)
    await request.app[SERVICE].recorder.install_datasets({name: rows}, version, {name: digest})
    return web.json_response({"name": name, "version": version, "sha256": digest, "installed": True}, dumps=dumps)


async def list_datasets(request: web.Request) -> web.Response:
    query(request, ())
    installed = await request.app[SERVICE].recorder.query(lambda view: view.store.datasets_installed())
    return web.json_response({"datasets": installed}, dumps=dumps)


TABLES = [name for name in DATASETS if name != "calendar"]
NAME = Param("name", "path", {"type": "string", "enum": TABLES}, "the dataset", required=True)


def push_body(rows: Schema) -> Schema:
    return obj(
        {
            "version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
            "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
            "rows": rows,
        },
        closed=True,
    )


INSTALLED = json_ok(
    "installed", obj({"name": STRING, "version": INTEGER, "sha256": STRING, "installed": {"const": True}})
)
REFUSED: dict[int, tuple[str, Mapping[str, Schema]]] = {
    409: ("the version is not newer than the installed one", {}),
    422: ("the sha256 does not match, or a row is invalid (the message names row and field)", {}),
}

ROUTES = (
    Route(
        "GET",
        "/api/v1/datasets",
        list_datasets,
        roles(SERVER),
        "The installed datasets: version, sha256 and when each was installed",
        responses=json_ok("installed datasets by name", obj({"datasets": ANY_OBJECT})),
    ),
    Route(  # before {name}: the router tries resources in the order they were added
        "PUT",
        "/api/v1/datasets/calendar",
        put_dataset,
        roles(SERVER),
        "Install a calendar version: holidays, make-up days and terms, as one object",
        body=push_body({"type": "object"}),
        responses=INSTALLED | REFUSED,
    ),
    Route(
        "PUT",
        "/api/v1/datasets/{name}",
        put_dataset,
        roles(SERVER),
        "Install a dataset version: all its rows, hash-checked, never older",
        params=(NAME,),
        body=push_body({"type": "array", "items": {"type": "object"}}),
        responses=INSTALLED | REFUSED | {404: ("no such dataset", {})},
    ),
)
