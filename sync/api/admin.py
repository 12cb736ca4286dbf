"""Provides the office's routes: datasets (what the server holds, what each device has), resuming a stopped device, the audit log.

`PUT /api/v1/datasets/{name}` stores a new version of a whole dataset — the body of a device's
push (`rows`, and optionally the `sha256` it must hash to), the version chosen by the server —
and the pushers take it to every device. `POST /api/v1/devices/{id}/resume` lets a device's
ingest go on after a gap (the lost seqs stay in the alarm). `GET /api/v1/audit` exports who
read or did what (DESIGN §7).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edge.core.codec import DATASETS, DatasetError, dataset_sha256
from edge.web.errors import Conflict, NotFound, Unprocessable, dumps
from edge.web.keys import IDENTITY
from edge.web.parse import field, fields, query, query_int, read_json
from edge.web.routing import ANY_OBJECT, INTEGER, SERVER, STRING, Param, Route, json_ok, obj, roles
from sync import datasets
from sync.api.audit import audit
from sync.api.keys import SCHOOL
from sync.store import NotStopped, ServerStore

DATASET_LIMIT = 32 * 1024 * 1024  # as on the device: 5,000 students' cards and guardians are ~3 MB


async def list_datasets(request: web.Request) -> web.Response:
    query(request, ())

    def held(store: ServerStore) -> dict[str, Any]:
        latest = datasets.latest(store.db)
        return {
            "datasets": {v.name: {"version": v.version, "sha256": v.sha256} for v in latest.values()},
            "devices": {
                device: {
                    v.name: {
                        "version": v.version,
                        "sha256": v.sha256,
                        "current": v.name in latest and latest[v.name].version == v.version,
                    }
                    for v in found.values()
                }
                for device, found in datasets.deliveries(store.db).items()
            },  # fmt: skip
        }

    return web.json_response(await request.app[SCHOOL].writer.run(held), dumps=dumps)


async def put_dataset(request: web.Request) -> web.Response:
    name = request.match_info.get("name", "calendar")
    if name not in DATASETS:
        raise NotFound(f"no dataset {name!r} (known: {', '.join(DATASETS)})")
    body = fields(await read_json(request, DATASET_LIMIT), ("rows", "sha256", "version"))
    rows: Any = field(body, "rows", dict) if name == "calendar" else field(body, "rows", list)
    if "sha256" in body and field(body, "sha256", str).lower() != dataset_sha256(rows):
        raise Unprocessable(f"dataset {name!r}: the rows do not hash to the sha256 sent (hash the canonical JSON)",
                            code="sha256_mismatch")  # fmt: skip
    school = request.app[SCHOOL]
    now = school.clock.now()
    source = f"api {request[IDENTITY].actor}"

    def store_it(store: ServerStore) -> dict[str, Any]:
        latest = datasets.latest(store.db).get(name)
        if "version" in body and latest is not None and field(body, "version", int) <= latest.version:
            raise Conflict(f"dataset {name!r} version {body['version']} is not newer than {latest.version}",
                           code="version_not_newer")  # fmt: skip
        try:
            made = datasets.add_versions(store.db, {name: rows}, source, now)
        except DatasetError as error:
            raise Unprocessable(str(error), code="invalid_dataset") from None
        current = datasets.latest(store.db)[name]
        return {"name": name, "version": current.version, "sha256": current.sha256, "created": name in made}

    answer = await school.writer.run(store_it)
    await audit(request, {"dataset": name, "version": answer["version"], "created": answer["created"]})
    if answer["created"]:
        school.datasets_changed()
    return web.json_response(answer, dumps=dumps)


async def resume(request: web.Request) -> web.Response:
    query(request, ())
    device = request.match_info["id"]
    school = request.app[SCHOOL]
    if school.config.device(device) is None:
        raise NotFound(f"no device {device!r} in the server's configuration")
    now = school.clock.now()
    try:
        done = await school.writer.run(lambda store: store.resume(device, now))
    except NotStopped as error:
        raise Conflict(str(error), code="not_stopped") from None
    await audit(request, {"resume": device, "was": done["was"]})
    school.resume(device)
    return web.json_response(done, dumps=dumps)


async def audit_log(request: web.Request) -> web.Response:
    params = query(request, ("after", "limit"))
    after, limit = query_int(params, "after", 0, 0, 2**63 - 1), query_int(params, "limit", 1000, 1, 10_000)
    rows = await request.app[SCHOOL].writer.run(lambda store: store.audit_rows(after, limit))
    return web.json_response({"audit": rows, "next_after": rows[-1]["id"] if rows else after}, dumps=dumps)


def _push_body(rows: Any) -> Any:
    return obj({"rows": rows}, {"sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                                "version": {"type": "integer", "minimum": 1}}, closed=True)  # fmt: skip


STORED = json_ok("stored (or unchanged)", obj({"name": STRING, "version": INTEGER, "sha256": STRING,
                                                "created": {"type": "boolean"}}))  # fmt: skip
REFUSED: dict[int, tuple[str, dict[str, Any]]] = {409: ("the version given is not newer than the server's", {}),
           422: ("a row is invalid, or the rows do not hash to the sha256 given", {})}  # fmt: skip

ROUTES = (
    Route(
        "GET",
        "/api/v1/datasets",
        list_datasets,
        roles(SERVER),
        "The latest version of each dataset, and what each device holds",
        responses=json_ok("datasets and deliveries", obj({"datasets": ANY_OBJECT, "devices": ANY_OBJECT})),
    ),
    Route(  # before {name}: the router tries resources in the order they were added
        "PUT",
        "/api/v1/datasets/calendar",
        put_dataset,
        roles(),
        "Store a new calendar version (holidays, make-up days, terms) for every device",
        body=_push_body({"type": "object"}),
        responses=STORED | REFUSED,
    ),
    Route(
        "PUT",
        "/api/v1/datasets/{name}",
        put_dataset,
        roles(),
        "Store a new version of a whole dataset for every device; the server numbers it",
        params=(
            Param(
                "name",
                "path",
                {"type": "string", "enum": [n for n in DATASETS if n != "calendar"]},
                "the dataset",
                required=True,
            ),
        ),  # fmt: skip
        body=_push_body({"type": "array", "items": {"type": "object"}}),
        responses=STORED | REFUSED | {404: ("no such dataset", {})},
    ),
    Route(
        "POST",
        "/api/v1/devices/{id}/resume",
        resume,
        roles(),
        "Let a device's stopped ingest go on (past a gap, the lost seqs stay in the alarm)",
        params=(Param("id", "path", STRING, "the device", required=True),),
        responses=json_ok("resumed", ANY_OBJECT)
        | {404: ("no such device", {}), 409: ("its ingest is not stopped", {})},
    ),
    Route(
        "GET",
        "/api/v1/audit",
        audit_log,
        roles(),
        "Who read personal data or acted, through which route, when (DESIGN §7)",
        params=(
            Param("after", "query", {"type": "integer", "minimum": 0}, "the last id already read (0)"),
            Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 10000}, "rows (1000)"),
        ),
        responses=json_ok(
            "audit rows", obj({"audit": {"type": "array", "items": ANY_OBJECT}, "next_after": INTEGER})
        ),
    ),
)
