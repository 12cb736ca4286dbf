"""Provides `Route`: one endpoint's method, path, handler, roles and its OpenAPI description, in one place.

Each route family module lists its `Route`s; the app registers exactly these, the auth wrapper
checks their roles, and the OpenAPI document is assembled from them, so the three cannot drift.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Schema = Mapping[str, Any]

SERVER, GUARD, TEACHER, ADMIN, SIM = "server", "guard", "teacher", "admin", "sim"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    where: str  # "query" or "path"
    schema: Schema
    description: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    roles: frozenset[str]  # empty: public (no token)
    summary: str
    params: tuple[Param, ...] = ()
    body: Schema | None = None  # JSON Schema of the request body
    # status -> (description, media type -> schema); errors need only a description.
    responses: Mapping[int, tuple[str, Mapping[str, Schema]]] = field(default_factory=dict)
    query_token: bool = False  # the token may come as ?token= (browsers cannot set WebSocket headers)


APP_ROUTES: web.AppKey[tuple[Route, ...]] = web.AppKey("routes")  # what the app registered (OpenAPI, tests)


def roles(*names: str) -> frozenset[str]:
    """The roles that may call a route; admin may call every protected one."""
    return frozenset((*names, ADMIN))


def json_ok(description: str, schema: Schema, status: int = 200) -> dict[int, tuple[str, Mapping[str, Schema]]]:
    return {status: (description, {"application/json": schema})}


def obj(required: Mapping[str, Schema], optional: Mapping[str, Schema] | None = None, *, closed: bool = False) -> Schema:
    """An object schema; `closed` refuses unknown properties (request bodies)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": dict(required) | dict(optional or {}),
        "required": list(required),
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


STRING: Schema = {"type": "string"}
TEXT: Schema = {"type": "string", "minLength": 1, "maxLength": 500, "pattern": r"\S"}  # MAX_TEXT in parse.py
NOTE: Schema = {"type": "string", "maxLength": 500}
# What `normalise_uid` takes: hex byte pairs, optionally separated as vendors print them.
UID: Schema = {"type": "string", "pattern": r"^\s*[0-9A-Fa-f]{2}([ :-]?[0-9A-Fa-f]{2})*\s*$"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
ANY_OBJECT: Schema = {"type": "object"}
EVENT: Schema = {"$ref": "#/components/schemas/Event"}
