"""Tests the zero report's buckets, clean and signed, and every kind of alert with its timing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from edge.core.model import Outcome
from edge.core.report import Alert, AlertKind, StudentLine, ZeroReport, alerts, zero_report
from edge.core.rules import decide_excuse
from tests.school import (
    ANNA_CARD,
    BO_CARD,
    CHEN_CARD,
    DAN_CARD,
    FEI_CARD,
    GAO_CARD,
    LI_CARD,
    MAMA_CARD,
    R1_SESSION,
    R2_SESSION,
    SATURDAY,
    SCHOOL,
    Story,
    at,
    plan,
)

Step = Callable[[Story], object]


def tap(reader: str, uid: str, when: datetime) -> tuple[datetime, Step]:
    return when, lambda story: story.tap(reader, uid, when)


def excuse(student: str, when: datetime) -> tuple[datetime, Step]:
    return when, lambda story: story.act(lambda c: decide_excuse(student, c, note="家长来电"), when)


# The evening the report tests replay, up to the minute asked about.
# r1: anna on time, picked up by mother; bo late (18:24), walks home; dan on leave; hui never comes.
# r2: chen on time, picked up with anna; fei leaves at 18:50 without leave; gao came through the
#     gate at 18:10 and never reached the room.
EVENING = (
    tap("gate-in", ANNA_CARD, at(18, 0)),
    tap("gate-in", FEI_CARD, at(18, 0)),
    tap("gate-in", CHEN_CARD, at(18, 1)),
    tap("room-r2", FEI_CARD, at(18, 2)),
    tap("room-r1", ANNA_CARD, at(18, 5)),
    tap("room-r2", CHEN_CARD, at(18, 8)),
    tap("gate-in", GAO_CARD, at(18, 10)),
    tap("gate-in", BO_CARD, at(18, 22)),
    tap("room-r1", BO_CARD, at(18, 24)),
    tap("gate-out", FEI_CARD, at(18, 50)),
    tap("gate-out", BO_CARD, at(19, 35)),
    tap("gate-out", MAMA_CARD, at(19, 40)),
)


def evening_until(now: datetime, script: tuple[tuple[datetime, Step], ...] = EVENING) -> Story:
    story = Story()
    for when, step in sorted(script, key=lambda s: s[0]):
        if when <= now:
            step(story)
    return story


def report(session: str, now: datetime, script: tuple[tuple[datetime, Step], ...] = EVENING) -> ZeroReport:
    story = evening_until(now, script)
    return zero_report(SCHOOL, plan(), story.state, plan().sessions[session], now)


def ids(lines: tuple[StudentLine, ...]) -> list[str]:
    return [line.id for line in lines]


BUCKETS = (
    "present", "late", "on_leave", "missing", "not_yet_arrived",
    "left_early", "picked_up", "walked_home", "still_waiting", "unexplained",
)  # fmt: skip


def buckets(**filled: list[str]) -> dict[str, list[str]]:
    return {name: sorted(filled.get(name, [])) for name in BUCKETS}


REPORT_CASES = {
    "r1_before_headcount_absence_is_not_yet_missing": (
        R1_SESSION, at(18, 12), buckets(present=["s-anna"], on_leave=["s-dan"], not_yet_arrived=["s-bo", "s-hui"]),
    ),
    "r1_one_minute_before_headcount": (
        R1_SESSION, at(18, 24, ss=59),
        buckets(present=["s-anna", "s-bo"], late=["s-bo"], on_leave=["s-dan"], not_yet_arrived=["s-hui"]),
    ),
    "r1_at_headcount_absence_is_missing": (
        R1_SESSION, at(18, 25),
        buckets(present=["s-anna", "s-bo"], late=["s-bo"], on_leave=["s-dan"], missing=["s-hui"]),
    ),
    "r1_just_before_the_end_nobody_waits": (
        R1_SESSION, at(19, 29),
        buckets(present=["s-anna", "s-bo"], late=["s-bo"], on_leave=["s-dan"], missing=["s-hui"]),
    ),
    "r1_after_the_end_present_children_wait": (
        R1_SESSION, at(19, 30),
        buckets(
            present=["s-anna", "s-bo"], late=["s-bo"], on_leave=["s-dan"], missing=["s-hui"],
            still_waiting=["s-anna", "s-bo"],
        ),
    ),
    "r1_picked_up_and_walked_home": (
        R1_SESSION, at(19, 45),
        buckets(
            present=["s-anna", "s-bo"], late=["s-bo"], on_leave=["s-dan"], missing=["s-hui"],
            picked_up=["s-anna"], walked_home=["s-bo"],
        ),
    ),
    "r2_gate_only_child_is_missing": (
        R2_SESSION, at(18, 25), buckets(present=["s-chen", "s-fei"], missing=["s-gao"]),
    ),
    "r2_left_early_without_leave_is_unexplained": (
        R2_SESSION, at(18, 55),
        buckets(present=["s-chen", "s-fei"], missing=["s-gao"], left_early=["s-fei"], unexplained=["s-fei"]),
    ),
    "r2_picked_up_sibling": (
        R2_SESSION, at(19, 45),
        buckets(
            present=["s-chen", "s-fei"], missing=["s-gao"], left_early=["s-fei"], unexplained=["s-fei"],
            picked_up=["s-chen"],
        ),
    ),
}  # fmt: skip


@pytest.mark.parametrize(("session", "now", "expected"), REPORT_CASES.values(), ids=REPORT_CASES.keys())
def test_zero_report_buckets(session: str, now: datetime, expected: dict[str, list[str]]) -> None:
    found = report(session, now)

    assert {name: sorted(ids(getattr(found, name))) for name in BUCKETS} == expected


def test_zero_report_header() -> None:
    found = report(R1_SESSION, at(18, 30))

    assert (found.session.id, found.service, found.room, found.enrolled) == (
        R1_SESSION,
        "晚自习",
        "301教室",
        4,
    )
    assert report(R2_SESSION, at(18, 30)).enrolled == 3


def test_missing_line_says_whom_to_call_and_where_last_seen() -> None:
    (gao,) = report(R2_SESSION, at(18, 30)).missing

    assert gao == StudentLine(
        id="s-gao",
        name="高翔",
        class_name="三(2)班",
        guardian="高奶奶(奶奶)",
        phone="13800000004",
        place="gate-in",
        seen_at=at(18, 10).isoformat(),
    )


def test_student_line_prefers_a_guardian_who_may_pick_up() -> None:
    # Anna's guardians are the neighbour (may not pick up) and her mother: call the mother.
    (anna,) = report(R1_SESSION, at(18, 30), (tap("gate-in", ANNA_CARD, at(18, 0)),)).missing[:1]

    assert (anna.id, anna.guardian, anna.phone) == ("s-anna", "李芳(母亲)", "13800000001")


def test_lines_are_sorted_by_pinyin() -> None:
    # 安娜 (an) < 博文 (bo) < 丹丹 (dan) < 慧敏 (hui): none came, all missing or on leave.
    assert ids(report(R1_SESSION, at(18, 30), ()).missing) == ["s-anna", "s-bo", "s-hui"]


CLEAN_CASES = {
    "missing_child_is_not_clean": (R1_SESSION, at(18, 30), (), False),
    "excused_absentee_is_clean": (R1_SESSION, at(18, 30), (excuse("s-hui", at(18, 20)),), True),
    "before_headcount_is_clean": (R1_SESSION, at(18, 20), (), True),
    "unexplained_early_leave_is_not_clean": (R2_SESSION, at(18, 55), (excuse("s-gao", at(18, 20)),), False),
    "all_explained_is_clean": (R2_SESSION, at(18, 45), (excuse("s-gao", at(18, 20)),), True),
    "early_leave_with_leave_is_clean": (
        R1_SESSION, at(18, 55),
        (excuse("s-hui", at(18, 20)), tap("room-r1", DAN_CARD, at(18, 10)), tap("gate-out", DAN_CARD, at(18, 50))),
        True,
    ),
}  # fmt: skip


@pytest.mark.parametrize(("session", "now", "extra", "clean"), CLEAN_CASES.values(), ids=CLEAN_CASES.keys())
def test_zero_report_clean(
    session: str, now: datetime, extra: tuple[tuple[datetime, Step], ...], clean: bool
) -> None:
    assert report(session, now, EVENING + extra).clean is clean


def test_excused_absentee_is_on_leave_not_missing() -> None:
    found = report(R1_SESSION, at(18, 30), EVENING + (excuse("s-hui", at(18, 20)),))

    assert (ids(found.on_leave), ids(found.missing)) == (["s-dan", "s-hui"], [])


def test_excuse_note_reaches_the_report() -> None:
    found = report(R1_SESSION, at(18, 30), EVENING + (excuse("s-hui", at(18, 20)),))

    assert {line.id: line.note for line in found.on_leave}["s-hui"] == "家长来电"


def test_child_who_came_despite_leave_counts_present_and_left_with_leave() -> None:
    script = (tap("room-r1", DAN_CARD, at(18, 10)), tap("gate-out", DAN_CARD, at(18, 50)))
    found = report(R1_SESSION, at(18, 55), script)

    assert (ids(found.present), ids(found.on_leave), ids(found.left_early), ids(found.unexplained)) == (
        ["s-dan"], [], ["s-dan"], [],
    )  # fmt: skip


def test_signed_report_names_signer() -> None:
    script = (*EVENING, tap("room-r1", LI_CARD, at(18, 26)))
    signed = report(R1_SESSION, at(18, 30), script)
    other_room = report(R2_SESSION, at(18, 30), script)

    assert (signed.signed, signed.signed_by, signed.signer, signed.signed_at) == (
        True, "t-li", "李老师", at(18, 26).isoformat(),
    )  # fmt: skip
    assert (other_room.signed, other_room.signed_by, other_room.signer) == (False, "", "")


# -- alerts -------------------------------------------------------------------------------------


ALERT_CASES = {
    AlertKind.MISSING: (
        (tap("room-r1", ANNA_CARD, at(18, 5)),), at(18, 24), at(18, 25),
        Alert(AlertKind.MISSING, R1_SESSION, "s-hui", at(18, 25)),
    ),
    AlertKind.NOT_IN_ROOM: (
        (tap("gate-in", GAO_CARD, at(18, 10)),), at(18, 24), at(18, 25),
        Alert(AlertKind.NOT_IN_ROOM, R2_SESSION, "s-gao", at(18, 25)),
    ),
    AlertKind.LEFT_WITHOUT_LEAVE: (
        (tap("room-r2", FEI_CARD, at(18, 2)), tap("gate-out", FEI_CARD, at(18, 50))), at(18, 49), at(18, 50),
        Alert(AlertKind.LEFT_WITHOUT_LEAVE, R2_SESSION, "s-fei", None),
    ),
    AlertKind.NOT_PICKED_UP: (
        (tap("room-r1", ANNA_CARD, at(18, 5)),), at(19, 59), at(20, 0),
        Alert(AlertKind.NOT_PICKED_UP, R1_SESSION, "s-anna", at(20, 0)),
    ),
    AlertKind.REPORT_UNSIGNED: (
        (), at(18, 44), at(18, 45), Alert(AlertKind.REPORT_UNSIGNED, R1_SESSION, "", at(18, 45)),
    ),
}  # fmt: skip


@pytest.mark.parametrize(("script", "before", "due", "expected"), ALERT_CASES.values(), ids=list(ALERT_CASES))
def test_alert_raised_when_due(
    script: tuple[tuple[datetime, Step], ...], before: datetime, due: datetime, expected: Alert
) -> None:
    early = alerts(SCHOOL, plan(), evening_until(before, script).state, before)
    found = alerts(SCHOOL, plan(), evening_until(due, script).state, due)

    assert expected not in early
    assert [a for a in early if a.kind is expected.kind and a.student_id == expected.student_id] == []
    assert expected in found
    assert expected.key == f"{expected.kind}:{expected.session_id}:{expected.student_id}"


def test_alerts_at_headcount_put_the_child_not_in_room_first() -> None:
    found = alerts(SCHOOL, plan(), evening_until(at(18, 25)).state, at(18, 25))

    assert [(a.kind, a.session_id, a.student_id) for a in found] == [
        (AlertKind.NOT_IN_ROOM, R2_SESSION, "s-gao"),
        (AlertKind.MISSING, R1_SESSION, "s-hui"),
    ]


def test_alerts_over_the_evening() -> None:
    found = alerts(SCHOOL, plan(), evening_until(at(19, 29)).state, at(19, 29))

    # A minute before the end: both kinds of absence, the early leaver, and both reports unsigned.
    assert [(a.kind, a.session_id, a.student_id) for a in found] == [
        (AlertKind.NOT_IN_ROOM, R2_SESSION, "s-gao"),
        (AlertKind.MISSING, R1_SESSION, "s-hui"),
        (AlertKind.LEFT_WITHOUT_LEAVE, R2_SESSION, "s-fei"),
        (AlertKind.REPORT_UNSIGNED, R1_SESSION, ""),
        (AlertKind.REPORT_UNSIGNED, R2_SESSION, ""),
    ]


def test_at_the_end_absences_close_with_the_session_and_the_report_keeps_them() -> None:
    now = at(20, 0)
    state = evening_until(now).state
    # Nobody is left waiting (all picked up or walked home by 19:40), and no alert was raised before
    # the end, so nothing holds: a device switched on now would raise nothing about this evening.
    assert alerts(SCHOOL, plan(), state, now) == []
    assert ids(report(R1_SESSION, now).missing) == ["s-hui"] and ids(report(R2_SESSION, now).missing) == ["s-gao"]
    # An unsigned report raised while the session ran still holds after it: someone must still sign it.
    state.alerts[f"report_unsigned:{R1_SESSION}:"] = at(18, 45).isoformat()
    assert [(a.kind, a.session_id) for a in alerts(SCHOOL, plan(), state, now)] == [
        (AlertKind.REPORT_UNSIGNED, R1_SESSION)
    ]


def test_waiting_child_is_escalated_only_after_pickup_grace() -> None:
    script = (tap("room-r1", ANNA_CARD, at(18, 5)), tap("gate-out", ANNA_CARD, at(19, 35)))

    def waiting(now: datetime) -> list[str]:
        found = alerts(SCHOOL, plan(), evening_until(now, script).state, now)
        return [a.student_id for a in found if a.kind is AlertKind.NOT_PICKED_UP]

    assert evening_until(at(19, 35), script).events[-1].outcome is Outcome.MUST_BE_PICKED_UP
    assert (waiting(at(19, 59)), waiting(at(20, 0))) == ([], ["s-anna"])
    picked_up = (*script, tap("gate-out", MAMA_CARD, at(20, 5)))
    now = at(20, 10)
    assert [a for a in alerts(SCHOOL, plan(), evening_until(now, picked_up).state, now)
            if a.kind is AlertKind.NOT_PICKED_UP] == []  # fmt: skip


def test_unsigned_report_alert_goes_once_signed() -> None:
    script = (tap("room-r1", LI_CARD, at(18, 50)),)

    def unsigned(now: datetime) -> list[str]:
        found = alerts(SCHOOL, plan(), evening_until(now, script).state, now)
        return [a.session_id for a in found if a.kind is AlertKind.REPORT_UNSIGNED]

    assert unsigned(at(18, 44)) == []
    assert unsigned(at(18, 49)) == [R1_SESSION, R2_SESSION]
    assert unsigned(at(18, 50)) == [R2_SESSION]


@pytest.mark.parametrize(
    "now",
    [at(18, 14), at(22, 31), at(23, 59), at(18, 30, SATURDAY)],
    ids=["not_started", "stale_after_departure_window", "late_at_night", "no_session_that_day"],
)
def test_no_alerts_outside_a_sessions_window(now: datetime) -> None:
    state = evening_until(now).state  # a missing child, a child not in room, an early leaver, no signature

    assert alerts(SCHOOL, plan(now.date()), state, now) == []


def test_absence_alerts_hold_until_the_last_minute_of_the_session() -> None:
    kinds = {a.kind for a in alerts(SCHOOL, plan(), evening_until(at(19, 29)).state, at(19, 29) + timedelta(seconds=59))}
    assert {AlertKind.NOT_IN_ROOM, AlertKind.MISSING, AlertKind.LEFT_WITHOUT_LEAVE} <= kinds
    assert alerts(SCHOOL, plan(), evening_until(at(19, 30)).state, at(19, 30)) == []


def test_child_who_stepped_out_before_start_and_came_back_is_not_reported_left() -> None:
    script = (
        tap("gate", ANNA_CARD, at(18, 0)),
        tap("gate", ANNA_CARD, at(18, 1)),  # a second tap at the bidirectional gate reads as "out"
        tap("gate", ANNA_CARD, at(18, 2)),
        tap("room-r1", ANNA_CARD, at(18, 5)),
    )
    found = report(R1_SESSION, at(19, 35), script)

    assert ids(found.present) == ["s-anna"]
    assert (ids(found.left_early), ids(found.unexplained), ids(found.still_waiting)) == ([], [], ["s-anna"])


def test_child_excused_at_console_then_picked_up_early_is_explained() -> None:
    script = (
        tap("room-r1", ANNA_CARD, at(18, 5)),
        excuse("s-anna", at(18, 40)),
        tap("gate-out", MAMA_CARD, at(18, 50)),
    )
    found = report(R1_SESSION, at(18, 55), script)

    assert ids(found.left_early) == ["s-anna"]
    assert ids(found.unexplained) == []


def test_a_child_taken_home_from_the_gate_before_the_headcount_is_not_missing() -> None:
    story = Story()
    story.tap("gate-in", ANNA_CARD, at(18, 0))
    story.tap("gate-out", MAMA_CARD, at(18, 10))  # never reached the room; the mother took her

    report = zero_report(SCHOOL, plan(), story.state, plan().sessions[R1_SESSION], at(18, 40))
    assert "s-anna" not in ids(report.missing)
    assert ids(report.left_early) == ["s-anna"] and "s-anna" not in ids(report.unexplained)


def test_a_reader_down_is_an_alert_until_it_comes_back_and_each_outage_is_its_own() -> None:
    from edge.core.model import Event, EventKind
    from edge.core.projection import Projection

    projection = Projection()

    def reader(outcome: Outcome, when: datetime, seq: int) -> None:
        projection.apply(Event(f"r{seq}", EventKind.READER, outcome, when, "edge-1", reader_id="gate-in", seq=seq))

    reader(Outcome.READER_DOWN, at(18, 0), 1)
    first = [a for a in alerts(SCHOOL, plan(), projection.state, at(18, 1)) if a.kind is AlertKind.READER_DOWN]
    assert [(a.reader_id, a.since) for a in first] == [("gate-in", at(18, 0))]
    reader(Outcome.READER_UP, at(18, 2), 2)
    assert not [a for a in alerts(SCHOOL, plan(), projection.state, at(18, 3)) if a.kind is AlertKind.READER_DOWN]
    reader(Outcome.READER_DOWN, at(18, 5), 3)
    second = [a for a in alerts(SCHOOL, plan(), projection.state, at(18, 6)) if a.kind is AlertKind.READER_DOWN]
    assert second[0].key != first[0].key  # raised again, not mistaken for the first outage
