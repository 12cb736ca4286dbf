"""Provides the district's figures from the upward rows: reporting rate by school, unresolved children, a school's history.

Pure: rows, the schools the district expects, its school days and `now` in; figures out.

Decisions (where the issue is silent):
- The unit is one zero report: a (school, date, service, room) row. *Expected* on a day is every row
  the school sent for it (its own plan says which sessions were held, so its rows are the sessions it
  had to report), plus, on a school day, one report for each of its configured `services` it sent no
  row for at all, or, with no services configured, one report when it sent no row at all: a school
  whose link is down, or that held nothing and said nothing, shows as not reported instead of vanishing.
- *Reported* is a signed report (its `signed_at` is set, whenever that was); *on time* is signed at or
  before the row's own `due_at` (the service's start + its report_due_min, the school's rule), *late*
  signed after it; *not reported* is unsigned. Each report is exactly one of the three, so
  reported + not reported = expected and on time + late = reported. The rates are DHIS2's
  completeness: reporting rate = reported / expected, reporting rate on time = on time / expected.
- *Unresolved* children are a row's `missing` (still missing when the school last reported: those
  found later are counted in `found`, apart), its `still_waiting` (present at the deadline and nobody
  came) and its `unexplained` (left without leave). Names only where the school sends them.
- A day's reporting is *closed* at the district's deadline (a time of day): before it the page says
  the day is still open, as unsigned reports may yet be signed.
- Schools are listed by the pinyin of their names (`edge.core.pinyin.sort_key`); rows of a school the
  district does not list are not counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from edge.core.pinyin import sort_key
from sync.district.upward import UpwardRow

ON_TIME, LATE, NOT_REPORTED = "on_time", "late", "not_reported"
NAMED = ("missing", "still_waiting")  # the buckets of `children` that are unresolved


@dataclass(frozen=True, slots=True)
class SchoolDays:
    """Monday to Friday, minus holidays, plus make-up days (调休) that fall on a weekend."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)


@dataclass(frozen=True, slots=True)
class Expected:
    """A school the district expects reports of."""

    id: str
    name: str
    services: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rate:
    """Reports counted once each: on time, late or not reported."""

    on_time: int = 0
    late: int = 0
    not_reported: int = 0

    @property
    def reported(self) -> int:
        return self.on_time + self.late

    @property
    def expected(self) -> int:
        return self.on_time + self.late + self.not_reported

    @property
    def reporting_rate(self) -> float | None:
        return share(self.reported, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        return share(self.on_time, self.expected)

    def __add__(self, other: Rate) -> Rate:
        return Rate(
            self.on_time + other.on_time, self.late + other.late, self.not_reported + other.not_reported
        )


def share(part: int, whole: int) -> float | None:
    """`part` of `whole` as a percentage; None when nothing was expected."""
    return 100.0 * part / whole if whole else None


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def status(row: UpwardRow) -> str:
    """One report's standing: signed by its due time, signed after it, or not signed."""
    signed, due = _moment(row.signed_at), _moment(row.due_at)
    if signed is None:
        return NOT_REPORTED
    if due is None:  # nothing said when it was due: it cannot be late
        return ON_TIME
    try:
        return ON_TIME if signed <= due else LATE
    except TypeError:  # one of them without its offset: as written
        return ON_TIME if row.signed_at <= row.due_at else LATE


def rate_of(school: Expected, rows: Iterable[UpwardRow], day: date, days: SchoolDays) -> Rate:
    """The school's reports of `day`: its rows, and those it owed on a school day and sent no row for."""
    held = [r for r in rows if r.school == school.id and r.date == day.isoformat()]
    counts = {ON_TIME: 0, LATE: 0, NOT_REPORTED: 0}
    for row in held:
        counts[status(row)] += 1
    if day in days:
        if school.services:
            sent = {r.service for r in held}
            counts[NOT_REPORTED] += sum(1 for s in school.services if s not in sent)
        elif not held:
            counts[NOT_REPORTED] += 1
    return Rate(counts[ON_TIME], counts[LATE], counts[NOT_REPORTED])


def by_pinyin(schools: Iterable[Expected]) -> list[Expected]:
    return sorted(schools, key=lambda s: (sort_key(s.name), s.id))


@dataclass(frozen=True, slots=True)
class SchoolRate:
    school: Expected
    rate: Rate


def day_rates(
    schools: Sequence[Expected], rows: Sequence[UpwardRow], day: date, days: SchoolDays
) -> tuple[list[SchoolRate], Rate]:
    """Each school's rate on `day`, in pinyin order, and the district's total."""
    lines = [SchoolRate(s, rate_of(s, rows, day, days)) for s in by_pinyin(schools)]
    return lines, sum((line.rate for line in lines), Rate())


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A room's children not accounted for, as its school reported them."""

    school: Expected
    service: str  # the service's name as the school sent it
    room: str  # the room's name
    missing: int
    found: int
    still_waiting: int
    unexplained: int
    names: tuple[tuple[str, str, str], ...] = ()  # (bucket, name, class), only when the school sends names

    @property
    def unresolved(self) -> int:
        return self.missing + self.still_waiting + self.unexplained


def unresolved(schools: Sequence[Expected], rows: Sequence[UpwardRow], day: date) -> list[Unresolved]:
    """The rooms of `day` with a child missing, still waiting or gone without leave; school by pinyin, then room."""
    found: list[Unresolved] = []
    for school in by_pinyin(schools):
        mine = [r for r in rows if r.school == school.id and r.date == day.isoformat()]
        for row in sorted(
            mine, key=lambda r: (sort_key(r.service_name or r.service), sort_key(r.room_name or r.room))
        ):
            line = Unresolved(
                school=school,
                service=row.service_name or row.service,
                room=row.room_name or row.room,
                missing=row.missing,
                found=row.found,
                still_waiting=row.still_waiting,
                unexplained=row.unexplained,
                names=tuple(c for c in row.children if c[0] in NAMED),
            )
            if line.unresolved:
                found.append(line)
    return found


@dataclass(frozen=True, slots=True)
class Totals:
    missing: int = 0
    found: int = 0
    still_waiting: int = 0
    unexplained: int = 0

    @property
    def unresolved(self) -> int:
        return self.missing + self.still_waiting + self.unexplained

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.missing + other.missing, self.found + other.found,
                      self.still_waiting + other.still_waiting, self.unexplained + other.unexplained)  # fmt: skip


def totals(rows: Iterable[UpwardRow]) -> Totals:
    return sum((Totals(r.missing, r.found, r.still_waiting, r.unexplained) for r in rows), Totals())


@dataclass(frozen=True, slots=True)
class HistoryDay:
    day: date
    school_day: bool
    rate: Rate
    children: Totals = field(default_factory=Totals)


def history(
    school: Expected, rows: Sequence[UpwardRow], first: date, last: date, days: SchoolDays
) -> list[HistoryDay]:
    """One line a day from `first` to `last`: the school's rate and its children's figures."""
    by_day: dict[str, list[UpwardRow]] = {}
    for row in rows:
        if row.school == school.id:
            by_day.setdefault(row.date, []).append(row)
    lines = []
    day = first
    while day <= last:
        held = by_day.get(day.isoformat(), [])
        lines.append(HistoryDay(day, day in days, rate_of(school, held, day, days), totals(held)))
        day += timedelta(days=1)
    return lines


def closes_at(day: date, deadline: time, now: datetime) -> datetime:
    """When `day`'s reporting closes, in `now`'s time zone."""
    return datetime.combine(day, deadline, now.tzinfo)


def closed(day: date, deadline: time, now: datetime) -> bool:
    return now >= closes_at(day, deadline, now)
