"""Provides pay (plan 1: 课后服务经费…补助; plan 5: 报酬分配制度; plan 2: 绩效补贴): sessions served times the office's rates.

Pure: attendance marks and a rate table in, an allocation out, whose every line lists the sessions
behind its figure. Money is in fen (int), never a float.

Decisions where the plans are silent:
- A rate is fen per session served, set by the office per role and service (`(role, service id)`;
  duty leaders and guards are paid per duty day, service ""), so a line is count × rate exactly and
  nothing rounds. An outside coach (外聘) on a club is paid at the role "coach", not "club".
- A session is served when its mark is on time or late (a late arrival is paid; the office corrects
  it to absent when it should not be); absent and covered are not, and the person covering is paid.
- A month's or a term's allocation takes the sessions whose day falls in it, so the months of a
  term add up to the term. A role and service served without a rate is refused, naming them.
- When the fund is smaller than the allocation, `within_budget` shares the fund in proportion to
  each line (`money.share`: half-even, the fen left over to the largest remainders, ties to the
  earlier line), so the parts add up to the fund exactly.
"""

from __future__ import annotations

import calendar as months
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sync.office.attendance import SERVED, Mark
from sync.office.money import share
from sync.office.problems import Problem, Refused
from sync.office.rota import Person, Role

COACH = "coach"  # 外聘教练: a club led by an outside coach
PAY_ROLES = (Role.LEADER.value, Role.GUARD.value, Role.TEACHER.value, Role.CLUB.value, COACH)

Rates = Mapping[tuple[str, str], int]  # (pay role, service id; "" for a day role) -> fen a session


@dataclass(frozen=True, slots=True)
class Served:
    """One session behind a figure: the day, and the group (service and room, "" for a day role)."""

    day: date
    service_id: str
    room_id: str


@dataclass(frozen=True, slots=True)
class PayLine:
    person_id: str
    name: str
    role: str
    service_id: str
    rate_fen: int
    sessions: tuple[Served, ...]

    @property
    def count(self) -> int:
        return len(self.sessions)

    @property
    def amount_fen(self) -> int:
        return self.count * self.rate_fen


@dataclass(frozen=True, slots=True)
class Allocation:
    first: date
    last: date
    lines: tuple[PayLine, ...]  # by person id, role, service

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    def person_total(self, person_id: str) -> int:
        return sum(line.amount_fen for line in self.lines if line.person_id == person_id)


def pay_role(mark: Mark, people: Mapping[str, Person]) -> str:
    person = people.get(mark.person_id)
    if mark.role is Role.CLUB and person is not None and person.external:
        return COACH
    return mark.role.value


def check_rates(rates: Rates) -> tuple[Problem, ...]:
    """Rates the office may not set: an unknown role, a negative amount or one not in whole fen."""
    found = []
    for (role, service), fen in sorted(rates.items()):
        params = {"role": role, "service": service}
        if role not in PAY_ROLES:
            found.append(Problem("pay.rate.role", params))
        elif isinstance(fen, bool) or not isinstance(fen, int):
            found.append(Problem("pay.rate.not_fen", params))
        elif fen < 0:
            found.append(Problem("pay.rate.negative", params))
    return tuple(found)


def allocate(
    marks: Iterable[Mark], people: Mapping[str, Person], rates: Rates, first: date, last: date
) -> Allocation:
    """Every person's sessions served from `first` to `last`, by role and service, at the office's rates."""
    problems = check_rates(rates)
    if problems:
        raise Refused(*problems)
    served: dict[tuple[str, str, str], list[Served]] = defaultdict(list)
    for mark in marks:
        if mark.status in SERVED and first <= mark.day <= last:
            served[(mark.person_id, pay_role(mark, people), mark.service_id)].append(
                Served(mark.day, mark.service_id, mark.room_id)
            )
    missing = sorted({(role, service) for _, role, service in served if (role, service) not in rates})
    if missing:
        raise Refused(*(Problem("pay.no_rate", {"role": r, "service": s}) for r, s in missing))
    lines = tuple(
        PayLine(
            person_id,
            people[person_id].name if person_id in people else person_id,
            role,
            service,
            rates[(role, service)],
            tuple(sorted(sessions, key=lambda s: (s.day, s.room_id))),
        )
        for (person_id, role, service), sessions in sorted(served.items())
    )
    return Allocation(first, last, lines)


def month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, months.monthrange(year, month)[1])


def monthly(
    marks: Iterable[Mark], people: Mapping[str, Person], rates: Rates, year: int, month: int
) -> Allocation:
    return allocate(marks, people, rates, *month_range(year, month))


def within_budget(allocation: Allocation, budget_fen: int) -> tuple[int, ...]:
    """What each line is paid from a fund of `budget_fen`: its amount when the fund suffices, else a share."""
    amounts = [line.amount_fen for line in allocation.lines]
    if sum(amounts) <= budget_fen:
        return tuple(amounts)
    return share(max(budget_fen, 0), amounts)
