"""The upward report: its figures are the zero reports' own, and nothing personal leaves unless configured."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.core.report import zero_report
from edge.core.rules import ActionError, Context, Decision, decide_check_in, decide_excuse, decide_sign
from sync.district.upward import COLUMNS, UPWARD_VERSION, day_rows, from_dict
from tests.day_school import CARD, DAY_READERS, DAY_SCHOOL, ENROLLED, GUARDIANS, STAFF, WINTER_DAY
from tests.school import Story, at

STUDENTS = sorted(ENROLLED)
HOLDERS = [*STUDENTS, *(g.id for g in GUARDIANS), *(s.id for s in STAFF)]
FIRST = at(11, 30, WINTER_DAY)
END_OF_DAY = datetime.combine(WINTER_DAY, datetime.max.time(), FIRST.tzinfo)
SESSIONS = sorted(Story(school=DAY_SCHOOL, readers=DAY_READERS).plan(WINTER_DAY).sessions)
# Everything about a child or a family that must stay on campus.
PERSONAL = sorted(
    {s.name for s in DAY_SCHOOL.students.values()}
    | {g.name for g in DAY_SCHOOL.guardians.values()}
    | {g.phone for g in DAY_SCHOOL.guardians.values()}
    | set(DAY_SCHOOL.cards)
)

step = st.one_of(
    st.tuples(st.just("tap"), st.sampled_from(HOLDERS), st.sampled_from(sorted(DAY_READERS))),
    st.tuples(st.just("found"), st.sampled_from(STUDENTS), st.just("")),
    st.tuples(st.just("check_in"), st.sampled_from(STUDENTS), st.just("")),
    st.tuples(st.just("excuse"), st.sampled_from(STUDENTS), st.just("")),
    st.tuples(st.just("sign"), st.sampled_from(SESSIONS), st.sampled_from([s.id for s in STAFF])),
)
day = st.lists(st.tuples(st.integers(1, 40), step), max_size=60)


def console(kind: str, who: str, where: str, c: Context) -> Decision:
    if kind == "found":
        return decide_check_in(who, c, "找到了", found=True)
    if kind == "check_in":
        return decide_check_in(who, c, "忘带卡")
    if kind == "excuse":
        return decide_excuse(who, c, "家长来电")
    return decide_sign(who, where, c)


def live(steps: list[tuple[int, tuple[str, str, str]]]) -> Story:
    story, now = Story(school=DAY_SCHOOL, readers=DAY_READERS), FIRST
    for minutes, (kind, who, where) in steps:
        now += timedelta(minutes=minutes)
        try:
            if kind == "tap":
                story.tap(where, CARD[who], now)
            else:
                story.act(partial(console, kind, who, where), now)
        except ActionError:
            continue  # refused at the console: nothing recorded
    return story


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=day, duty=st.dictionaries(st.sampled_from(SESSIONS), st.integers(0, 5)))
def test_the_rows_figures_are_the_reports_own(steps: list[tuple[int, tuple[str, str, str]]],
                                               duty: dict[str, int]) -> None:  # fmt: skip
    story = live(steps)
    plan, state = story.plan(WINTER_DAY), story.state
    rows = day_rows("S001", DAY_SCHOOL, plan, state, END_OF_DAY, staff_on_duty=duty)
    assert [r.key for r in rows] == [("S001", WINTER_DAY.isoformat(), s.service_id, s.room_id)
                                     for s in sorted(plan.sessions.values(), key=lambda s: (s.start, s.room_id))]  # fmt: skip
    for r in rows:
        session = plan.sessions[f"{r.date}.{r.service}.{r.room}"]
        report = zero_report(DAY_SCHOOL, plan, state, session, END_OF_DAY)
        service = DAY_SCHOOL.services[session.service_id]
        headcount = session.start + timedelta(minutes=service.missing_after_min)
        found = {
            line.id for line in report.present
            if datetime.fromisoformat(state.attendance[(session.id, line.id)].present_at) >= headcount
        }  # fmt: skip
        assert (r.enrolled, r.present, r.on_leave, r.missing, r.still_waiting, r.unexplained) == (
            report.enrolled, len(report.present), len(report.on_leave), len(report.missing),
            len(report.still_waiting), len(report.unexplained),
        )  # fmt: skip
        assert r.found == len(found)
        assert (r.signed_by, r.signed_at, r.signer) == (report.signed_by, report.signed_at, "")
        assert r.staff_on_duty == duty.get(session.id, 0)
        assert r.on_time == (bool(report.signed_at) and datetime.fromisoformat(report.signed_at)
                             <= session.start + timedelta(minutes=service.report_due_min))  # fmt: skip
        assert r.version == UPWARD_VERSION
        assert from_dict(r.as_dict()) == r
        text = repr(r.as_dict())
        leaked = [value for value in PERSONAL if value in text]
        assert not leaked, (r.key, leaked)
        assert not r.children


def test_names_leave_only_when_configured() -> None:
    # s-mia missing from evening study (r1) until the guard finds her at 18:40; s-max never comes.
    story = Story(school=DAY_SCHOOL, readers=DAY_READERS)
    story.act(lambda c: decide_check_in("s-mia", c, "在操场找到", found=True), at(18, 40, WINTER_DAY))
    story.act(lambda c: decide_sign(f"{WINTER_DAY}.evening.r1", "t-a", c), at(18, 45, WINTER_DAY))
    plan = story.plan(WINTER_DAY)
    named = {r.key[2:]: r for r in day_rows("S001", DAY_SCHOOL, plan, story.state, END_OF_DAY, names=True,
                                            signer_names=True)}  # fmt: skip
    evening = named[("evening", "r1")]
    assert (evening.missing, evening.found, evening.signer) == (1, 1, "安老师")
    # Nobody collected her after 19:30: still waiting as well, at the end of the day.
    assert set(evening.children) == {("missing", "马克", "四(1)班"), ("found", "米娅", "四(1)班"),
                                     ("still_waiting", "米娅", "四(1)班")}  # fmt: skip
    bare = {r.key[2:]: r for r in day_rows("S001", DAY_SCHOOL, plan, story.state, END_OF_DAY)}
    assert (bare[("evening", "r1")].children, bare[("evening", "r1")].signer) == ((), "")
    assert bare[("evening", "r1")].signed_by == "t-a"
    assert set(COLUMNS) >= {"school", "date", "service", "room", "signed_by", "staff_on_duty", "version"}
