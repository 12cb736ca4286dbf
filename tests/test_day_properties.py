"""Random days of a school with midday care, clubs and evening study, checked after every step.

A hypothesis state machine taps every kind of card at every kind of reader, releases, finds,
excuses, corrects and signs, and jumps the clock, raising alerts as the device's alert clock does.
After every step: each report's buckets partition its children; no absence alert for a session at
or after its end; no alert about a child who had left; none twice; a child who has left campus is in
no later session; and the projection equals a replay of the log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from edge.core.model import EventKind, Outcome
from edge.core.projection import Projection
from edge.core.report import AlertKind, ZeroReport, zero_report
from edge.core.rules import (
    ActionError,
    decide_call,
    decide_check_in,
    decide_correct,
    decide_excuse,
    decide_release,
    decide_sign,
)
from tests.day_school import CARD, DAY_READERS, DAY_SCHOOL, ENROLLED, GUARDIANS, STAFF, WINTER_DAY
from tests.school import Story, at

STUDENTS = sorted(ENROLLED)
READERS = sorted(DAY_READERS)
LEAVING = {Outcome.PICKED_UP, Outcome.WALKED_HOME, Outcome.LEFT_EARLY}
BACK = {Outcome.ON_CAMPUS, Outcome.ALREADY_IN, Outcome.CHECKED_IN, Outcome.LATE, Outcome.ON_LEAVE, Outcome.FOUND}
ABSENCE = {AlertKind.MISSING.value, AlertKind.NOT_IN_ROOM.value}
ABOUT_A_CHILD = {*ABSENCE, AlertKind.NOT_PICKED_UP.value}
FIRST, LAST = at(11, 30, WINTER_DAY), at(21, 30, WINTER_DAY)


def ids(lines: tuple[object, ...]) -> set[str]:
    return {line.id for line in lines}  # type: ignore[attr-defined]


class SchoolDay(RuleBasedStateMachine):
    @initialize(start=st.integers(0, 9 * 60))
    def open_the_day(self, start: int) -> None:
        self.story = Story(school=DAY_SCHOOL, readers=DAY_READERS)
        self.now = FIRST + timedelta(minutes=start)  # a device switched on at any time of day
        self.left_at: dict[str, tuple[datetime, int]] = {}  # child -> when she last left, and the event's index

    # -- what happens --------------------------------------------------------------------------

    @rule(minutes=st.integers(1, 75))
    def time_passes(self, minutes: int) -> None:
        self.now = min(self.now + timedelta(minutes=minutes), LAST)
        self.tick()

    @rule(holder=st.sampled_from([*STUDENTS, *(g.id for g in GUARDIANS), *(s.id for s in STAFF)]),
          reader=st.sampled_from(READERS))  # fmt: skip
    def tap(self, holder: str, reader: str) -> None:
        decision = self.story.tap(reader, CARD[holder], self.now)
        self.note_leaving(decision.outcome, decision.data)
        self.tick()

    @rule(student=st.sampled_from(STUDENTS), guardian=st.sampled_from([g.id for g in GUARDIANS]))
    def release(self, student: str, guardian: str) -> None:
        self.act(lambda c: decide_release(student, guardian, c))

    @rule(student=st.sampled_from(STUDENTS), kind=st.sampled_from(["check_in", "found", "excuse", "call"]))
    def console(self, student: str, kind: str) -> None:
        deciders = {
            "check_in": lambda c: decide_check_in(student, c, "忘带卡"),
            "found": lambda c: decide_check_in(student, c, "找到了", found=True),
            "excuse": lambda c: decide_excuse(student, c, "家长来电"),
            "call": lambda c: decide_call(student, c, "未接"),
        }
        self.act(deciders[kind])

    @precondition(lambda self: any(e.outcome in (Outcome.PICKED_UP, Outcome.FOUND) for e in self.story.events))
    @rule(data=st.data())
    def correct(self, data: st.DataObject) -> None:
        targets = [e for e in self.story.events if e.outcome in (Outcome.PICKED_UP, Outcome.FOUND)]
        target = data.draw(st.sampled_from(targets))
        self.act(lambda c: decide_correct(target, "弄错了", c))
        if target.outcome is Outcome.PICKED_UP:
            for child in target.data.get("children", []):
                self.left_at.pop(str(child["student"]), None)

    @rule(data=st.data())
    def sign(self, data: st.DataObject) -> None:
        sessions = sorted(self.story.plan(WINTER_DAY).sessions)
        session = data.draw(st.sampled_from(sessions))
        self.act(lambda c: decide_sign(session, "t-a", c))

    def act(self, decide: object) -> None:
        try:
            decision = self.story.act(decide, self.now)  # type: ignore[arg-type]
        except ActionError:
            return  # refused: nothing recorded, which the replay invariant checks too
        self.note_leaving(decision.outcome, decision.data)
        self.tick()

    def note_leaving(self, outcome: Outcome, data: dict[str, object]) -> None:
        if outcome in LEAVING:
            for child in data.get("children", []):  # type: ignore[attr-defined]
                self.left_at[str(child["student"])] = (self.now, len(self.story.events))

    def tick(self) -> None:
        """As the device's alert clock: raise what holds now; check each alert as it is raised."""
        plan = self.story.plan(WINTER_DAY)
        for event in self.story.raise_alerts(self.now):
            kind, session = event.reason, plan.sessions.get(str(event.data["session"]))
            if kind in ABSENCE:
                assert session is not None and self.now < session.end, (kind, session, self.now)
            if kind in ABOUT_A_CHILD:
                assert session is not None
                record = self.story.state.attendance.get((session.id, event.subject))
                assert record is None or not record.left_at, f"{kind} about {event.subject}, who left"
            if kind == AlertKind.NOT_PICKED_UP.value:
                assert session is not None and session.dismissal.value == "pickup"

    # -- what must always hold ----------------------------------------------------------------

    def reports(self) -> list[ZeroReport]:
        plan = self.story.plan(WINTER_DAY)
        return [zero_report(DAY_SCHOOL, plan, self.story.state, s, self.now) for s in plan.sessions.values()]

    @invariant()
    def each_report_adds_up(self) -> None:
        for r in self.reports():
            present = ids(r.present)
            gone_first = (ids(r.picked_up) | ids(r.walked_home) | ids(r.left_early) | ids(r.left_before_start)) - present
            arrival = [present, ids(r.on_leave), ids(r.missing), ids(r.not_yet_arrived), gone_first]
            assert sum(map(len, arrival)) == r.enrolled == len(set().union(*arrival)), r.session.id
            leaving = [ids(r.picked_up) & present, ids(r.walked_home) & present, ids(r.left_early) & present,
                       ids(r.handed_over), ids(r.back_to_lessons), ids(r.still_waiting), ids(r.in_room)]  # fmt: skip
            assert sum(map(len, leaving)) == len(present) == len(set().union(*leaving)), r.session.id
            if self.now >= r.session.end:
                assert not r.in_room and not r.not_yet_arrived
            if r.session.dismissal.value == "to_lessons":
                assert not r.still_waiting

    @invariant()
    def no_alert_twice(self) -> None:
        keys = [str(e.data["key"]) for e in self.story.events if e.kind is EventKind.ALERT]
        assert len(keys) == len(set(keys))

    @invariant()
    def a_child_who_left_is_in_no_later_session(self) -> None:
        plan = self.story.plan(WINTER_DAY)
        for child, (left, index) in self.left_at.items():
            seen_again = any(e.subject == child and e.outcome in BACK for e in self.story.events[index:])
            if seen_again:
                continue
            for session in plan.sessions_of.get(child, ()):
                if session.start > left:
                    record = self.story.state.attendance.get((session.id, child))
                    assert record is not None and record.left_at, (child, session.id, left)

    @invariant()
    def the_projection_equals_a_replay_of_the_log(self) -> None:
        replayed = Projection()
        for event in self.story.events:
            replayed.apply(event)
        assert dict(replayed.all_rows()) == dict(self.story.projection.all_rows())
        rows = [(k, v) for k, v in self.story.projection.all_rows() if v is not None]
        assert dict(Projection.from_rows(rows).all_rows()) == dict(rows)


SchoolDay.TestCase.settings = settings(
    max_examples=500, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_a_school_day = SchoolDay.TestCase
