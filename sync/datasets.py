"""Provides the server's datasets: whole versioned snapshots with a hash, what each device has, and card merges.

The server is the source of truth for students, guardians, staff, cards, rooms, services,
enrolments, leave and the calendar. Each change is a new version of the whole dataset, stored
as the exact bytes the device hashes (`edge.core.codec.canonical_json`), so pushing it is a copy and
the hash never needs recomputing. Functions take the store's `Database` (`sync.db`, SQLite or
PostgreSQL) and run on its thread;
those that write do so inside the caller's transaction or their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edge.core.codec import DATASETS, DatasetError, canonical_json, dataset_sha256, school_from_datasets
from edge.core.model import School
from sync.db import Database

# Pushed in this order, so a device never holds a card whose holder is not yet in its roster, nor
# an enrolment in a room or service it does not know (each dataset is swapped on its own).
PUSH_ORDER = (
    "rooms",
    "services",
    "calendar",
    "staff",
    "rota",  # after the staff it names
    "students",
    "guardians",
    "cards",
    "enrolments",
    "leave",
)


@dataclass(frozen=True, slots=True)
class Version:
    name: str
    version: int
    sha256: str


def latest(db: Database) -> dict[str, Version]:
    rows = db.execute(
        "SELECT name, version, sha256 FROM dataset_versions v "
        "WHERE version = (SELECT MAX(version) FROM dataset_versions WHERE name = v.name)"
    )
    return {name: Version(name, version, sha) for name, version, sha in rows}


def body(db: Database, name: str, version: int) -> str:
    row = db.execute(
        "SELECT body FROM dataset_versions WHERE name = ? AND version = ?", [name, version]
    ).fetchone()
    if row is None:
        raise KeyError(f"no version {version} of dataset {name!r}")
    return str(row[0])


def push_body(db: Database, name: str, version: int) -> bytes:
    """The PUT body for a device: the stored canonical rows, not decoded and encoded again."""
    found = db.execute(
        "SELECT sha256, body FROM dataset_versions WHERE name = ? AND version = ?", [name, version]
    ).fetchone()
    if found is None:
        raise KeyError(f"no version {version} of dataset {name!r}")
    return f'{{"version":{version},"sha256":"{found[0]}","rows":{found[1]}}}'.encode()


def bodies(db: Database) -> dict[str, Any]:
    return {v.name: json.loads(body(db, v.name, v.version)) for v in latest(db).values()}


def school(db: Database) -> School:
    return school_from_datasets(bodies(db))


def add_versions(db: Database, new: Mapping[str, Any], source: str, now: datetime) -> dict[str, int]:
    """Store each changed dataset as its next version, all in one transaction; unchanged ones are skipped.

    Every row is validated first (`DatasetError` names the dataset, row and field). A version is
    always above any the devices report holding, so a device that imported a roster locally
    still takes the server's.
    """
    unknown = set(new) - set(DATASETS)
    if unknown:
        raise DatasetError(f"unknown dataset {sorted(unknown)[0]!r} (known: {', '.join(DATASETS)})")
    school_from_datasets(new)
    made = {}
    with db.atomic():
        held = latest(db)
        for name, value in new.items():
            digest = dataset_sha256(value)
            if name in held and held[name].sha256 == digest:
                continue
            version = _next_version(db, name, held.get(name))
            db.execute(
                "INSERT INTO dataset_versions (name, version, sha256, body, created_at, source) VALUES (?, ?, ?, ?, ?, ?)",
                [name, version, digest, canonical_json(value).decode("utf-8"), now.isoformat(), source],
            )
            made[name] = version
    return made


def _next_version(db: Database, name: str, held: Version | None) -> int:
    reported = db.execute(
        "SELECT COALESCE(MAX(version), 0) FROM deliveries WHERE name = ?", [name]
    ).fetchone()[0]
    return max(held.version if held else 0, int(reported)) + 1


def supersede(db: Database, name: str, above: int, now: datetime) -> Version:
    """The latest body again as a version above `above`: a device holds a version the server did not make."""
    with db.atomic():
        held = latest(db)[name]
        version = max(held.version, above) + 1
        db.execute(
            "INSERT INTO dataset_versions (name, version, sha256, body, created_at, source) VALUES (?, ?, ?, ?, ?, ?)",
            [
                name,
                version,
                held.sha256,
                body(db, name, held.version),
                now.isoformat(),
                f"supersedes v{above}",
            ],
        )
    return Version(name, version, held.sha256)


# -- what each device holds -------------------------------------------------------------------------


def record_installed(
    db: Database, device: str, installed: Mapping[str, Mapping[str, Any]], now: datetime
) -> None:
    with db.atomic():
        for name, info in installed.items():
            if (
                name in DATASETS
                and isinstance(info.get("version"), int)
                and isinstance(info.get("sha256"), str)
            ):
                db.execute(
                    "INSERT INTO deliveries (device, name, version, sha256, checked_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (device, name) DO UPDATE SET version = excluded.version, "
                    "sha256 = excluded.sha256, checked_at = excluded.checked_at",
                    [device, name, info["version"], info["sha256"], now.isoformat()],
                )


def deliveries(db: Database) -> dict[str, dict[str, Version]]:
    found: dict[str, dict[str, Version]] = {}
    for device, name, version, sha in db.execute("SELECT device, name, version, sha256 FROM deliveries"):
        found.setdefault(device, {})[name] = Version(name, version, sha)
    return found


# -- cards given out at a device's console --------------------------------------------------------


def assign_cards(
    db: Database, assignments: list[tuple[str, str, str, str, str]], now: datetime
) -> int | None:
    """Record console card assignments (uid, student, at, device, uuid) and make the next cards version.

    Called inside the ingest's transaction. The card is a student card of that student from now on,
    replacing whatever the uid meant before (a lost card's uid is given out again at the console).
    Returns the new cards version, or None when nothing changed.
    """
    for uid, student, at, device, event_uuid in assignments:
        db.execute(
            "INSERT INTO card_assignments (uid, student, at, device, event_uuid) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (uid) DO UPDATE SET student = excluded.student, at = excluded.at, "
            "device = excluded.device, event_uuid = excluded.event_uuid",
            [uid, student, at, device, event_uuid],
        )
    held = latest(db).get("cards")
    by_uid = {
        str(card["uid"]): card for card in (json.loads(body(db, "cards", held.version)) if held else [])
    }
    for uid, student, *_ in assignments:
        by_uid[uid] = _student_card(uid, student)
    cards = sorted(by_uid.values(), key=lambda card: str(card["uid"]))
    return add_versions(db, {"cards": cards}, "console assignments", now).get("cards")


def with_assignments(db: Database, cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An office's roster `cards` plus what a roster file does not hold: the staff's cards, and the
    cards given out at consoles — each unless the file gives its uid to someone (the file wins)."""
    by_uid = {str(card.get("uid")): card for card in cards}
    held = latest(db).get("cards")
    for card in json.loads(body(db, "cards", held.version)) if held else []:
        if card.get("kind") == "staff":
            by_uid.setdefault(str(card.get("uid")), card)
    for uid, student in db.execute("SELECT uid, student FROM card_assignments ORDER BY at"):
        by_uid.setdefault(uid, _student_card(uid, student))
    return sorted(by_uid.values(), key=lambda card: str(card.get("uid")))


def _student_card(uid: str, student: str) -> dict[str, Any]:
    return {"uid": uid, "kind": "student", "holder_id": student, "status": "active"}
