"""Provides a small school for the rota, attendance, pay and fee tests: its services, calendar, people and week.

Not a test module. The worked week is Monday 30 Nov to Sunday 6 Dec 2026 (Asia/Shanghai); Sunday 6 Dec
is a make-up day (调休) that follows Friday's timetable and pattern. Evening study runs 18:15-19:30 on
school days in rooms r1 and r2; clubs run 16:15-17:20 on Wednesdays and Fridays in the music room,
led by an outside coach. The autumn term here is 2 Nov 2026 to 15 Jan 2027.

Who is who: leaders l-zhao, l-qian (Mon, Wed, Fri) and l-sun, l-li (Tue, Thu); guards g-zhou, g-wu
every day (g-zheng spare); teachers t-chen (r1) and t-lin (r2) every evening, t-he spare (covers);
c-ma is the outside coach (外聘) of the music club.
"""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

from edge.core.model import Calendar, Service, TimeRule
from sync.office.rota import DayPattern, Person, Rota, build

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
WEDNESDAY = date(2026, 12, 2)
FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
MAKEUP_SUNDAY = date(2026, 12, 6)  # follows Friday
TERM = (date(2026, 11, 2), date(2027, 1, 15))
WEEKDAYS = frozenset(range(5))

EVENING = Service("evening", "晚自习", (TimeRule(WEEKDAYS, time(18, 15), time(19, 30), *TERM),))
CLUBS = Service("clubs", "社团", (TimeRule(frozenset({2, 4}), time(16, 15), time(17, 20), *TERM),))
SERVICES = {s.id: s for s in (EVENING, CLUBS)}
CALENDAR = Calendar(holidays=frozenset({date(2027, 1, 1)}), makeup_days={MAKEUP_SUNDAY: 4}, terms=(TERM,))

PEOPLE = {
    p.id: p
    for p in (
        Person("l-zhao", "赵校长"), Person("l-qian", "钱主任"), Person("l-sun", "孙主任"), Person("l-li", "李主任"),
        Person("g-zhou", "周师傅"), Person("g-wu", "吴师傅"), Person("g-zheng", "郑师傅"),
        Person("t-chen", "陈老师"), Person("t-lin", "林老师"), Person("t-he", "何老师"),
        Person("c-ma", "马教练", external=True),
    )
}  # fmt: skip

_EVENINGS = {("evening", "r1"): "t-chen", ("evening", "r2"): "t-lin"}
_MWF = DayPattern(("l-zhao", "l-qian"), ("g-zhou", "g-wu"), _EVENINGS)
_TT = DayPattern(("l-sun", "l-li"), ("g-zhou", "g-wu"), _EVENINGS)
_CLUB_DAY = DayPattern(_MWF.leaders, _MWF.guards, _EVENINGS, {("clubs", "music"): "c-ma"})
WEEK = {0: _MWF, 1: _TT, 2: _CLUB_DAY, 3: _TT, 4: _CLUB_DAY}


def worked_week(first: date = MONDAY, last: date = MAKEUP_SUNDAY) -> Rota:
    return build(WEEK, SERVICES, CALENDAR, PEOPLE, first, last)
