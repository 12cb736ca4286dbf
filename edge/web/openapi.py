"""Provides `GET /api/v1/openapi.json`: an OpenAPI 3.1 document of every route the app registered.

Built from the same `Route` list the app registers and the auth wrapper enforces, with each
route's parameters, body and answers, plus the answers every route shares: the one error shape
for 400 (bad parameter or body), 401/403/429 (tokens and roles), 404, 405 and 413. Public, like
`/healthz`: it describes the API and holds no data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from edge.web.errors import dumps
from edge.web.parse import query
from edge.web.routing import APP_ROUTES, Route, Schema

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

EVENT: Schema = {
    "type": "object",
    "required": ["uuid", "epoch", "seq", "device_id", "kind", "outcome", "at", "actor", "data"],
    "properties": {
        "uuid": {"type": "string"}, "epoch": {"type": "string"}, "seq": {"type": "integer"},
        "device_id": {"type": "string"}, "reader_id": {"type": "string"}, "kind": {"type": "string"},
        "card_uid": {"type": "string"}, "subject": {"type": "string"}, "outcome": {"type": "string"},
        "reason": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
        "boot_id": {"type": "string"}, "boottime_ns": {"type": "integer"}, "clock_trusted": {"type": "boolean"},
        "actor": {"type": "string"}, "data": {"type": "object"},
    },
}  # fmt: skip

_SHARED = {
    400: "a bad query parameter or body (the message names it)",
    405: "the method is not allowed on this path",
}
_PROTECTED = {
    401: "no token, or a token the device does not know",
    403: "the token's role may not use this route",
    429: "too many failed attempts from this address",
}


def document(routes: Iterable[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Rollcall edge device", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR, "Event": EVENT},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(route: Route) -> dict[str, Any]:
    answers = {
        str(status): _answer(status, description, content)
        for status, (description, content) in route.responses.items()
    }
    shared = _SHARED | (_PROTECTED if route.roles else {})
    if route.body is not None:
        shared |= {413: "the body is larger than this route takes"}
    if any(p.where == "path" for p in route.params):
        shared |= {404: "nothing at this path"}
    for status, description in shared.items():
        answers.setdefault(str(status), _answer(status, description, {}))
    operation: dict[str, Any] = {
        "operationId": f"{route.method.lower()}{route.path.replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": route.summary,
        "parameters": [
            {"name": p.name, "in": p.where, "required": p.required or p.where == "path", "description": p.description,
             "schema": p.schema}
            for p in route.params
        ],  # fmt: skip
        "responses": answers,
        "x-roles": sorted(route.roles),
        "security": [{"bearer": []}] if route.roles else [],
    }
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    return operation


def _answer(status: int, description: str, content: Mapping[str, Schema]) -> dict[str, Any]:
    if content:
        return {"description": description, "content": {media: {"schema": s} for media, s in content.items()}}
    if status < 400:
        return {"description": description}
    # Every error answer is in the one shape.
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


async def openapi(request: web.Request) -> web.Response:
    query(request, ())
    routes = request.app[APP_ROUTES]
    return web.json_response(document(routes), dumps=dumps)


ROUTES = (
    Route(
        "GET",
        "/api/v1/openapi.json",
        openapi,
        frozenset(),
        "This document",
        responses={200: ("the OpenAPI 3.1 document", {"application/json": {"type": "object"}})},
    ),
)
