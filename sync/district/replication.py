"""Provides the upward report over PostgreSQL logical replication: the table, the school's publication, the district's subscriptions.

On the school's PostgreSQL, `prepare_school` makes the `upward` table and `upsert` writes a day's
rows (`sync.district.upward`). `publish` makes, or changes, the school's publication: a row filter
sends only the school's own rows from the dates it chose (`since` .. `until`), and a column list
leaves out the signer's name and the children's names unless the school sends them. What the
publication leaves out never reaches the WAL sender, so the district cannot read it.

On the district's PostgreSQL, `prepare_district` makes the same table (plus `received_at`, the
district's clock when a row arrived) and `subscribe` one subscription per school. A subscription
keeps a replication slot on the school's server, so a school offline for a week keeps its WAL
and the district catches up when it is back, by itself; `copy_data` brings the rows written
before the subscription existed.

Connections are psycopg 3 (`rollcall[district]`). SQL is composed with `psycopg.sql`, never by
string formatting: DDL takes no parameters, so the filter's constants are `sql.Literal`s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from sync.district.upward import COLUMNS, KEY, SCHOOL_CODE, UpwardRow

PERSONAL = ("signer", "children")  # left out of a publication unless the school sends them

TABLE = """
CREATE TABLE IF NOT EXISTS upward (
    school text NOT NULL,
    date date NOT NULL,
    service text NOT NULL,
    room text NOT NULL,
    service_name text NOT NULL DEFAULT '',
    room_name text NOT NULL DEFAULT '',
    enrolled integer NOT NULL DEFAULT 0,
    present integer NOT NULL DEFAULT 0,
    on_leave integer NOT NULL DEFAULT 0,
    missing integer NOT NULL DEFAULT 0,
    found integer NOT NULL DEFAULT 0,
    still_waiting integer NOT NULL DEFAULT 0,
    unexplained integer NOT NULL DEFAULT 0,
    signed_by text NOT NULL DEFAULT '',
    signer text NOT NULL DEFAULT '',
    signed_at timestamptz,
    due_at timestamptz,
    staff_on_duty integer NOT NULL DEFAULT 0,
    children jsonb NOT NULL DEFAULT '[]',
    version integer NOT NULL,
    PRIMARY KEY (school, date, service, room)
)"""
# The district's clock when the apply worker inserted the row (the latency the bench prints).
_RECEIVED = (
    "ALTER TABLE upward ADD COLUMN IF NOT EXISTS received_at timestamptz NOT NULL DEFAULT clock_timestamp()"
)


class DistrictError(ValueError):
    """A school code or a publishing choice the district cannot take."""


@dataclass(frozen=True, slots=True)
class Publishing:
    """What a school decides leaves it: its own rows, from `since` (to `until`), names only if it says so."""

    school: str
    since: date | None = None  # None: every date
    until: date | None = None
    signer_names: bool = False
    names: bool = False

    def columns(self) -> tuple[str, ...]:
        kept = {"signer": self.signer_names, "children": self.names}
        return tuple(c for c in COLUMNS if kept.get(c, True))


def code(school: str) -> str:
    """The school's code, checked: it names a publication, a subscription and a slot."""
    if not SCHOOL_CODE.fullmatch(school):
        raise DistrictError(f"school code {school!r}: 1-40 letters, digits, '-' or '_'")
    return school


def publication(school: str) -> str:
    return f"rollcall_upward_{code(school).lower().replace('-', '_')}"


def subscription(school: str) -> str:
    return f"rollcall_from_{code(school).lower().replace('-', '_')}"


# -- the school's side ---------------------------------------------------------------------------


def prepare_school(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute(TABLE)


def _filter(p: Publishing) -> sql.Composable:
    parts = [sql.SQL("school = {}").format(sql.Literal(code(p.school)))]
    if p.since is not None:
        parts.append(sql.SQL("date >= {}").format(sql.Literal(p.since)))
    if p.until is not None:
        if p.since is not None and p.until < p.since:
            raise DistrictError(f"publishing {p.school}: until {p.until} is before since {p.since}")
        parts.append(sql.SQL("date <= {}").format(sql.Literal(p.until)))
    return sql.SQL(" AND ").join(parts)


def publish(conn: psycopg.Connection[Any], p: Publishing) -> None:
    """Create the school's publication, or change what it sends (rows already sent stay at the district)."""
    name = sql.Identifier(publication(p.school))
    table = sql.SQL("upward ({}) WHERE ({})").format(
        sql.SQL(", ").join(map(sql.Identifier, p.columns())), _filter(p)
    )
    exists = conn.execute(
        "SELECT 1 FROM pg_publication WHERE pubname = %s", (publication(p.school),)
    ).fetchone()
    with conn.transaction():
        if exists:
            conn.execute(sql.SQL("ALTER PUBLICATION {} SET TABLE {}").format(name, table))
        else:
            conn.execute(sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(name, table))


def _value(row: UpwardRow, column: str) -> Any:
    value = getattr(row, column)
    if column == "children":
        return Jsonb([list(child) for child in value])
    if column == "signed_at":
        return value or None
    return value


_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
_CHANGING = [c for c in COLUMNS if c not in KEY]
_UPSERT = sql.SQL(
    "INSERT INTO upward ({cols}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {sets} "
    "WHERE ({old}) IS DISTINCT FROM ({new})"
).format(
    cols=_COLUMNS,
    values=sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
    key=sql.SQL(", ").join(map(sql.Identifier, KEY)),
    sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in _CHANGING),
    old=sql.SQL(", ").join(sql.SQL("upward.{}").format(sql.Identifier(c)) for c in _CHANGING),
    new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in _CHANGING),
)


def upsert(conn: psycopg.Connection[Any], rows: Iterable[UpwardRow]) -> None:
    """Write a day's rows in one transaction; an unchanged row is not rewritten (nor sent again)."""
    params = [[_value(row, c) for c in COLUMNS] for row in rows]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(_UPSERT, params)


# -- the district's side -------------------------------------------------------------------------


def prepare_district(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute(TABLE)
        conn.execute(_RECEIVED)


def subscribe(conn: psycopg.Connection[Any], school: str, dsn: str) -> None:
    """The district's subscription to one school (needs an autocommit connection: it creates a slot there)."""
    conn.execute(
        sql.SQL("CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {} WITH (copy_data = true)").format(
            sql.Identifier(subscription(school)), sql.Literal(dsn), sql.Identifier(publication(school))
        )
    )


def set_enabled(conn: psycopg.Connection[Any], school: str, enabled: bool) -> None:
    verb = sql.SQL("ENABLE" if enabled else "DISABLE")
    conn.execute(sql.SQL("ALTER SUBSCRIPTION {} {}").format(sql.Identifier(subscription(school)), verb))


def unsubscribe(conn: psycopg.Connection[Any], school: str) -> None:
    conn.execute(sql.SQL("DROP SUBSCRIPTION IF EXISTS {}").format(sql.Identifier(subscription(school))))


def district_rows(
    conn: psycopg.Connection[Any],
    schools: Sequence[str] = (),
    first: date | None = None,
    last: date | None = None,
) -> list[UpwardRow]:
    """The district's rows (of `schools`, or all; from `first` to `last`, or every day), in key order."""
    where: list[sql.Composable] = []
    params: list[Any] = []
    if schools:
        where.append(sql.SQL("school = ANY(%s)"))
        params.append(list(schools))
    for bound, op in ((first, ">="), (last, "<=")):
        if bound is not None:
            where.append(sql.SQL("date {} %s").format(sql.SQL(op)))
            params.append(bound)
    query = sql.SQL("SELECT {} FROM upward {} ORDER BY school, date, service, room").format(
        _COLUMNS, sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL("")
    )
    found = []
    for values in conn.execute(query, params).fetchall():
        data = dict(zip(COLUMNS, values, strict=True))
        data["date"] = data["date"].isoformat()
        data["signed_at"] = data["signed_at"].isoformat() if data["signed_at"] else ""
        data["due_at"] = data["due_at"].isoformat() if data["due_at"] else ""
        found.append(UpwardRow(**{**data, "children": tuple(tuple(c) for c in data["children"])}))
    return found


def received(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """The latest `received_at` of each school's rows: when the district last heard from it."""
    return dict(conn.execute("SELECT school, max(received_at) FROM upward GROUP BY school").fetchall())
