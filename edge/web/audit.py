"""Provides the audit log: its table, its one insert and the row for a request, shared by the device and the server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlite_utils import Database

from edge.web.keys import IDENTITY

AUDIT_COLUMNS = ("at", "actor", "role", "address", "route", "what")


def create_audit_table(db: Database) -> None:
    """Who read personal data or overrode the rules, through which route, about whom, and when."""
    db.execute(
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            address TEXT NOT NULL,
            route TEXT NOT NULL,
            what TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX audit_at ON audit (at)")


def append_audit(db: Database, entry: Mapping[str, str]) -> None:
    """Append one audit row (`AUDIT_COLUMNS`) durably, in its own transaction."""
    with db.atomic():
        db.execute(
            "INSERT INTO audit (at, actor, role, address, route, what) "
            "VALUES (:at, :actor, :role, :address, :route, :what)",
            {name: entry[name] for name in AUDIT_COLUMNS},
        )


def audit_entry(request: web.Request, at: datetime, what: Mapping[str, Any]) -> dict[str, str]:
    """The audit row for this request: who (token name and role), from where, which route, about whom."""
    identity = request[IDENTITY]
    route = request.match_info.route.resource
    return {
        "at": at.isoformat(),
        "actor": identity.actor,
        "role": identity.role,
        "address": request.remote or "",
        "route": f"{request.method} {route.canonical if route else request.path}",
        "what": json.dumps(what, ensure_ascii=False, sort_keys=True),
    }
