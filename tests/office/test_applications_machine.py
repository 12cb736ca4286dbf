"""The four steps as a hypothesis state machine: random steps by random roles on random applications."""

from __future__ import annotations

from datetime import date

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sync.office import applications as rules
from sync.office.applications import ApplicationError, Consent, Terms
from sync.office.roles import ROLES

TODAY = date(2026, 11, 30)
CONSENT = Consent("张敏", "母亲", date(2026, 11, 29))
CAPACITY = 3


class Steps(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.apps: list[rules.Application] = []
        self.history: list[list[str]] = []  # the states each application went through

    @rule(student=st.integers(0, 9))
    def record(self, student: int) -> None:
        active = any(a.student_id == f"s{student}" and a.state != rules.WITHDRAWN for a in self.apps)
        try:
            app = rules.record(f"s{student}", "一年级1班", "clubs", CONSENT, Terms(None, CAPACITY), TODAY,
                               already_active=active)  # fmt: skip
        except ApplicationError as refused:
            assert active and refused.key == "office.refused.duplicate"
            return
        assert not active
        self.apps.append(app)
        self.history.append([app.state])

    @precondition(lambda self: self.apps)
    @rule(data=st.data(), action=st.sampled_from(rules.ACTIONS), role=st.sampled_from(ROLES),
          reason=st.sampled_from(["", "  ", "缺少签字"]))  # fmt: skip
    def step(self, data: st.DataObject, action: str, role: str, reason: str) -> None:
        index = data.draw(st.integers(0, len(self.apps) - 1))
        before = self.apps[index]
        taken = sum(a.state in rules.HOLDS_PLACE for a in self.apps)
        allowed = rules.TRANSITIONS.get((before.state, action))
        try:
            after = rules.step(before, action, role, Terms(None, CAPACITY), taken, reason)
        except ApplicationError as refused:
            # Refused exactly when the table, the role, the reason or the capacity says so.
            assert (
                allowed is None
                or role not in allowed[1]
                or (action in rules.NEEDS_REASON and not reason.strip())
                or (action == rules.SCHOOL_APPROVE and taken >= CAPACITY)
            ), refused.key
            assert self.apps[index] == before
            return
        assert allowed is not None and after.state == allowed[0] and role in allowed[1]
        if action in rules.NEEDS_REASON:
            assert after.reason == reason.strip()
        if action == rules.SEND_BACK:
            assert after.returned_from == before.state
        self.apps[index] = after
        self.history[index].append(after.state)

    @invariant()
    def places_never_exceed_capacity(self) -> None:
        assert sum(a.state in rules.HOLDS_PLACE for a in self.apps) <= CAPACITY

    @invariant()
    def every_path_follows_the_four_steps(self) -> None:
        for path in self.history:
            assert path[0] == rules.SUBMITTED
            for was, now in zip(path, path[1:], strict=False):
                assert was != rules.WITHDRAWN  # final
                if now == rules.ARRANGED:
                    assert was == rules.SCHOOL_REVIEWED
                if now == rules.SCHOOL_REVIEWED:
                    assert was == rules.CLASS_REVIEWED
                if now == rules.CLASS_REVIEWED:
                    assert was == rules.SUBMITTED

    @invariant()
    def a_returned_or_withdrawn_application_says_why(self) -> None:
        for app in self.apps:
            assert (app.state in (rules.RETURNED, rules.WITHDRAWN)) == bool(app.reason)

    @invariant()
    def at_most_one_active_application_a_child(self) -> None:
        active = [a.student_id for a in self.apps if a.state != rules.WITHDRAWN]
        assert len(active) == len(set(active))


Steps.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestSteps = Steps.TestCase


def test_record_refuses_past_the_deadline_without_consent_and_bad_periods() -> None:
    def refused(**kwargs: object) -> str:
        base = {"student_id": "s1", "class_name": "c", "service_id": "summer", "consent": CONSENT,
                "terms": Terms(), "today": TODAY}  # fmt: skip
        try:
            rules.record(**(base | kwargs))  # type: ignore[arg-type]
        except ApplicationError as error:
            return error.key
        return ""

    assert refused(terms=Terms(date(2026, 11, 29))) == "office.refused.deadline"
    assert refused(terms=Terms(TODAY)) == ""
    assert refused(consent=Consent(" ", "母亲", TODAY)) == "office.refused.consent"
    assert refused(consent=Consent("张敏", "母亲", date(2026, 12, 1))) == "office.refused.consent_future"
    assert refused(period_count=2) == "office.refused.no_period"
    assert refused(period_count=2, periods=(3,)) == "office.refused.period"
    assert refused(period_count=2, periods=(2, 1, 2)) == ""
