"""Provides the JSON shapes of datasets and events, as stored, synced and served.

One place turns model objects into plain rows and back, so the store, the API and the server
agree byte for byte. Decoding validates: a bad row raises `DatasetError` naming the row and field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from edge.core.duty import duty_from_row, rota_of
from edge.core.model import (
    Calendar,
    Card,
    CardKind,
    CardStatus,
    Dismissal,
    Enrolment,
    Event,
    EventKind,
    Gender,
    Guardian,
    Leave,
    Outcome,
    Room,
    School,
    Service,
    Staff,
    StaffRole,
    Student,
    TimeRule,
)

DATASETS = ("students", "guardians", "staff", "cards", "rooms", "services", "enrolments", "leave", "calendar",
            "rota")  # fmt: skip


class DatasetError(ValueError):
    """A dataset row that does not fit the model; the message names the dataset, row and field."""


def to_plain(value: Any) -> Any:
    """Model object -> JSON-ready value (dates as ISO text, enums as their value, sets sorted)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(to_plain(k)): to_plain(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(to_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """The bytes a dataset's hash is taken over: sorted keys, no spaces, UTF-8 (not \\u escapes).

    The server hashes the same bytes: `json.dumps(rows, ensure_ascii=False, sort_keys=True,
    separators=(",", ":")).encode("utf-8")`.
    """
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def dataset_sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def school_to_datasets(school: School) -> dict[str, Any]:
    return {
        "students": [to_plain(s) for s in school.students.values()],
        "guardians": [to_plain(g) for g in school.guardians.values()],
        "staff": [staff_to_plain(s) for s in school.staff.values()],
        "cards": [to_plain(c) for c in school.cards.values()],
        "rooms": [to_plain(r) for r in school.rooms.values()],
        "services": [to_plain(s) for s in school.services.values()],
        "enrolments": [to_plain(e) for e in school.enrolments],
        "leave": [to_plain(x) for x in school.leave],
        "calendar": to_plain(school.calendar),
    }


def staff_to_plain(staff: Staff) -> dict[str, Any]:
    """A staff row; `pin_hash` only where the office set a PIN, so a school without PINs pushes the
    very rows (and hash) it did before, and a device that does not know the field yet is not refused them."""
    plain: dict[str, Any] = to_plain(staff)
    if not staff.pin_hash:
        del plain["pin_hash"]
    return plain


def school_from_datasets(datasets: Mapping[str, Any]) -> School:
    def rows(name: str, build: Callable[[dict[str, Any]], Any]) -> list[Any]:
        built = []
        for index, row in enumerate(datasets.get(name, ()), start=1):
            try:
                built.append(build(dict(row)))
            except (KeyError, TypeError, ValueError) as error:
                raise DatasetError(f"{name} row {index}: {_describe(error)}") from None
        return built

    try:
        calendar = _calendar(datasets.get("calendar") or {})
    except (KeyError, TypeError, ValueError) as error:
        raise DatasetError(f"calendar: {_describe(error)}") from None
    return School(
        students={s.id: s for s in rows("students", _student)},
        guardians={g.id: g for g in rows("guardians", _guardian)},
        staff={s.id: s for s in rows("staff", lambda r: Staff(**r | {"role": StaffRole(r["role"])}))},
        cards={c.uid: c for c in rows("cards", _card)},
        rooms={r.id: r for r in rows("rooms", lambda r: Room(**r))},
        services={s.id: s for s in rows("services", _service)},
        enrolments=tuple(rows("enrolments", _enrolment)),
        leave=tuple(rows("leave", _leave)),
        calendar=calendar,
        rota=rota_of(rows("rota", duty_from_row)),  # the duty rota: rows of edge.core.duty.Duty
    )


def _describe(error: Exception) -> str:
    """Say it in the dataset's words: fields, not constructor arguments."""
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    text = str(error)
    if missing := re.search(r"required (?:positional|keyword-only) arguments?: (.+)$", text):
        return f"missing field {missing.group(1).replace(' and ', ', ')}"
    if unknown := re.search(r"unexpected keyword argument ('[^']+')", text):
        return f"unknown field {unknown.group(1)}"
    return text


def _student(r: dict[str, Any]) -> Student:
    return Student(**r | {"gender": Gender(r["gender"]), "grade": int(r["grade"])})


def _guardian(r: dict[str, Any]) -> Guardian:
    return Guardian(**r | {"children": tuple(r["children"])})


def _card(r: dict[str, Any]) -> Card:
    return Card(**r | {"kind": CardKind(r["kind"]), "status": CardStatus(r.get("status", "active"))})


def _service(r: dict[str, Any]) -> Service:
    rules = tuple(
        TimeRule(
            weekdays=frozenset(int(d) for d in rule["weekdays"]),
            start=time.fromisoformat(rule["start"]),
            end=time.fromisoformat(rule["end"]),
            valid_from=date.fromisoformat(rule["valid_from"]),
            valid_to=date.fromisoformat(rule["valid_to"]),
        )
        for rule in r["rules"]
    )
    return Service(**r | {"rules": rules, "dismissal": Dismissal(r.get("dismissal", Dismissal.PICKUP))})


def _enrolment(r: dict[str, Any]) -> Enrolment:
    return Enrolment(**r | _dates(r))


def _leave(r: dict[str, Any]) -> Leave:
    return Leave(**r | _dates(r))


def _dates(r: dict[str, Any]) -> dict[str, date]:
    return {"valid_from": date.fromisoformat(r["valid_from"]), "valid_to": date.fromisoformat(r["valid_to"])}


def _calendar(r: Mapping[str, Any]) -> Calendar:
    return Calendar(
        holidays=frozenset(date.fromisoformat(d) for d in r.get("holidays", ())),
        makeup_days={date.fromisoformat(d): int(w) for d, w in dict(r.get("makeup_days", {})).items()},
        terms=tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in r.get("terms", ())),
    )


# -- events ------------------------------------------------------------------------------------

EVENT_COLUMNS = tuple(f.name for f in fields(Event))


def event_to_row(event: Event) -> dict[str, Any]:
    # Field by field rather than dataclasses.asdict, whose deep copy was a third of a tap's cost.
    row = {name: getattr(event, name) for name in EVENT_COLUMNS}
    row.update(
        kind=event.kind.value,
        outcome=event.outcome.value,
        at=event.at.isoformat(),
        clock_trusted=int(event.clock_trusted),
        data=json.dumps(to_plain(event.data), ensure_ascii=False, sort_keys=True),
    )
    return row


def event_from_row(row: Mapping[str, Any]) -> Event:
    values = dict(row)
    data = values.get("data") or "{}"
    values.update(
        kind=EventKind(values["kind"]),
        outcome=Outcome(values["outcome"]),
        at=datetime.fromisoformat(values["at"]),
        clock_trusted=bool(values.get("clock_trusted")),
        data=json.loads(data) if isinstance(data, str) else data,
    )
    return Event(**{k: values[k] for k in EVENT_COLUMNS if k in values})


def event_to_json(event: Event) -> dict[str, Any]:
    """The event as the API and the sync feed carry it (data as an object, not text)."""
    row = event_to_row(event)
    row["data"] = to_plain(event.data)
    row["clock_trusted"] = event.clock_trusted
    return row


def _event_json_column(name: str) -> str:
    if name == "data":
        return "'data', json(data)"  # stored as JSON text: embed it as the object it is
    if name == "clock_trusted":
        return "'clock_trusted', json(CASE clock_trusted WHEN 0 THEN 'false' ELSE 'true' END)"
    return f"'{name}', {name}"


# The same object as `event_to_json`, built by SQLite's json_object() from the stored row. The
# change feed pages 1,000 events at a time: decoding each row into an Event and encoding it again
# took 45 ms a page on the VM, SQLite builds the same JSON in 3 ms (as long as a bare SELECT).
# tests/api/test_feed.py holds the two equal.
EVENT_JSON_SQL = "json_object(" + ", ".join(_event_json_column(name) for name in EVENT_COLUMNS) + ")"
