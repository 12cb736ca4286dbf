"""Provides the audit log's table and its one insert, shared by the device's and the server's databases."""

from __future__ import annotations

from collections.abc import Mapping

from sqlite_utils import Database

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
