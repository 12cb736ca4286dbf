"""A school's whole day: each rule of one timeline per child, on midday care, clubs and evening study.

The rules (README, "One day, one timeline per child"): an arrival attaches to the session under way
or about to start, never to one that has ended; a child present at a session's end who has a later
session is handed over to it, and midday care sends children back to lessons; leaving campus closes
the session she leaves from and every later one; absence alerts hold only while the session runs; a
staff card signs only a report whose head count is due in a session not over; a release needs a child
who is here, and can be taken back; the day closes when every report is signed and nobody waits.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from edge.core.model import Outcome
from edge.core.report import AlertKind, ZeroReport, alerts, day_closed, zero_report
from edge.core.rules import ActionError, decide_check_in, decide_correct, decide_release, decide_sign
from tests.day_school import CARD, DAY_READERS, DAY_SCHOOL, JULY_DAY, SUMMER_DAY, WINTER_DAY, session_id
from tests.school import Story, at


def story() -> Story:
    return Story(school=DAY_SCHOOL, readers=DAY_READERS)


def w(hh: int, mm: int, day: date = WINTER_DAY) -> datetime:
    return at(hh, mm, day)


def report(s: Story, session: str, now: datetime) -> ZeroReport:
    plan = s.plan(now.date())
    return zero_report(DAY_SCHOOL, plan, s.state, plan.sessions[session], now)


def ids(lines: object) -> list[str]:
    return [line.id for line in lines]  # type: ignore[attr-defined]


def held(s: Story, now: datetime) -> set[tuple[AlertKind, str, str]]:
    return {(a.kind, a.session_id, a.student_id) for a in alerts(DAY_SCHOOL, s.plan(now.date()), s.state, now)}


# -- the timetables of the seed plans ------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "service", "hours"),
    [
        (WINTER_DAY, "midday", ("12:10", "13:30")), (SUMMER_DAY, "midday", ("12:10", "14:00")),
        (WINTER_DAY, "clubs", ("15:45", "16:50")), (SUMMER_DAY, "clubs", ("16:15", "17:20")),
        (WINTER_DAY, "evening", ("18:15", "19:30")), (JULY_DAY, "summer", ("08:30", "17:30")),
    ],
)  # fmt: skip
def test_the_seed_plans_timetables(day: date, service: str, hours: tuple[str, str]) -> None:
    found = [s for s in story().plan(day).sessions.values() if s.service_id == service]
    assert found and {(s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in found} == {hours}


# -- 1. an arrival attaches to the session under way or about to start ---------------------------


def test_a_gate_arrival_after_clubs_attaches_to_evening_study_not_to_the_ended_clubs() -> None:
    s = story()
    decision = s.tap("gate-in", CARD["s-zoe"], w(17, 55))
    assert decision.outcome is Outcome.ON_CAMPUS and decision.data == {"session": session_id("evening", "r2")}


def test_a_room_tap_in_the_clubs_room_after_clubs_is_the_wrong_room_for_evening_study() -> None:
    s = story()
    decision = s.tap("room-music", CARD["s-leo"], w(17, 0))
    assert decision.outcome is Outcome.WRONG_ROOM and decision.data["session"] == session_id("evening", "r2")


def test_a_room_tap_before_the_start_checks_in_to_the_session_about_to_start() -> None:
    s = story()
    assert s.tap("room-r2", CARD["s-zoe"], w(15, 40)).data == {"session": session_id("clubs", "r2")}
    assert s.tap("room-r2", CARD["s-zoe"], w(18, 0)).data == {"session": session_id("evening", "r2")}


# -- 2. hand-over and back to lessons ------------------------------------------------------------


def test_a_child_present_at_the_end_of_clubs_is_handed_over_to_evening_study_not_waiting() -> None:
    s = story()
    s.tap("room-r2", CARD["s-mia"], w(15, 40))
    clubs = report(s, session_id("clubs", "r2"), w(17, 30))
    assert ids(clubs.handed_over) == ["s-mia"] and clubs.still_waiting == ()
    assert not any(kind is AlertKind.NOT_PICKED_UP for kind, _, _ in held(s, w(17, 30)))


def test_midday_care_sends_children_back_to_lessons_and_nobody_waits_or_is_escalated() -> None:
    s = story()
    s.tap("room-r1", CARD["s-ivy"], w(12, 5))
    s.tap("room-r1", CARD["s-mia"], w(12, 6))
    midday = report(s, session_id("midday", "r1"), w(14, 10))
    assert ids(midday.back_to_lessons) == ["s-ivy", "s-mia"] and midday.still_waiting == midday.handed_over == ()
    assert not any(kind is AlertKind.NOT_PICKED_UP for kind, _, _ in held(s, w(14, 10)))


# -- 3. leaving campus closes the session she leaves from and every later one ----------------------


def test_picked_up_after_clubs_while_on_leave_from_evening_study_is_picked_up_from_clubs() -> None:
    s = story()
    s.tap("room-music", CARD["s-leo"], w(15, 40))
    taken = s.tap("gate-in", CARD["p-leo"], w(17, 0))
    assert taken.outcome is Outcome.PICKED_UP and taken.reason == ""  # after clubs' end: not early
    assert taken.data["children"] == [
        {"student": "s-leo", "session": session_id("clubs", "music"), "closes": [session_id("evening", "r2")]}
    ]
    clubs, evening = report(s, session_id("clubs", "music"), w(17, 10)), report(s, session_id("evening", "r2"), w(18, 30))
    assert ids(clubs.picked_up) == ["s-leo"] and clubs.still_waiting == ()
    assert "s-leo" in ids(evening.on_leave) and "s-leo" not in ids(evening.unexplained)
    assert ("s-leo" not in {student for _, _, student in held(s, w(17, 10))})


def test_a_child_taken_home_after_clubs_without_leave_is_flagged_in_evening_study_but_not_missing() -> None:
    s = story()
    s.tap("room-r2", CARD["s-zoe"], w(15, 40))
    s.act(lambda c: decide_release("s-zoe", "p-zoe", c), w(16, 55))
    evening = report(s, session_id("evening", "r2"), w(18, 30))
    assert ids(evening.left_before_start) == ["s-zoe"] and "s-zoe" in ids(evening.unexplained)
    assert "s-zoe" not in ids(evening.missing)
    assert not {a for a in held(s, w(18, 30)) if a[2] == "s-zoe"}  # nobody to call: her mother has her


def test_coming_back_for_evening_study_after_going_home_reopens_it() -> None:
    s = story()
    s.tap("room-r2", CARD["s-zoe"], w(15, 40))
    s.tap("gate-in", CARD["p-zoe"], w(16, 55))
    s.tap("gate-in", CARD["s-zoe"], w(18, 0))
    s.tap("room-r2", CARD["s-zoe"], w(18, 2))
    evening = report(s, session_id("evening", "r2"), w(18, 30))
    assert "s-zoe" in ids(evening.present)
    assert "s-zoe" not in ids(evening.left_before_start) + ids(evening.unexplained)


def test_checked_in_early_at_the_desk_then_taken_home_before_the_start_was_never_in_the_session() -> None:
    # Found by tests/test_day_properties.py: she stayed "in the room" after evening study had ended.
    s = story()
    s.act(lambda c: decide_check_in("s-zoe", c, "忘带卡"), w(18, 5))
    s.tap("gate-in", CARD["p-zoe"], w(18, 6))
    evening = report(s, session_id("evening", "r2"), w(19, 30))
    assert ids(evening.left_before_start) == ["s-zoe"]
    assert not evening.present and not evening.in_room and not evening.still_waiting


def test_going_home_between_midday_care_and_evening_study_closes_nothing() -> None:
    s = story()
    s.tap("room-r2", CARD["s-kai"], w(12, 5))
    assert s.tap("gate-out", CARD["s-kai"], w(16, 5)).outcome is Outcome.LEFT_CAMPUS
    assert report(s, session_id("evening", "r2"), w(18, 0)).left_before_start == ()


# -- 4. alerts only while someone can act ---------------------------------------------------------


def test_a_device_started_after_clubs_raises_nothing_about_clubs_and_its_report_still_tells() -> None:
    s = story()  # nothing recorded all day: switched on at 17:45
    assert held(s, w(17, 45)) == set()
    assert ids(report(s, session_id("clubs", "music"), w(17, 45)).missing) == ["s-leo"]


def test_missing_holds_from_the_head_count_to_the_end_once_per_child_and_session() -> None:
    s = story()
    evening_r1 = session_id("evening", "r1")
    assert (AlertKind.MISSING, evening_r1, "s-max") not in held(s, w(18, 24))
    assert (AlertKind.MISSING, evening_r1, "s-max") in held(s, w(18, 25))
    first = s.raise_alerts(w(18, 25))
    assert [e.subject for e in first].count("s-max") == 1 and s.raise_alerts(w(18, 40)) == []
    assert (AlertKind.MISSING, evening_r1, "s-max") in held(s, w(19, 29))
    assert not any(kind is AlertKind.MISSING for kind, _, _ in held(s, w(19, 30)))


def test_not_in_room_waits_for_the_walk_from_the_gate() -> None:
    s = story()
    s.tap("gate-in", CARD["s-max"], w(18, 23))
    evening_r1 = session_id("evening", "r1")
    assert {a for a in held(s, w(18, 25)) if a[2] == "s-max"} == set()
    assert (AlertKind.NOT_IN_ROOM, evening_r1, "s-max") in held(s, w(18, 28))


def test_a_noon_tap_does_not_make_a_child_on_campus_for_evening_study() -> None:
    s = story()
    s.tap("room-r2", CARD["s-kai"], w(12, 5))
    assert (AlertKind.MISSING, session_id("evening", "r2"), "s-kai") in held(s, w(18, 30))
    assert s.tap("gate-in", CARD["p-kai"], w(19, 40)).outcome is Outcome.NO_CHILD_WAITING


def test_not_picked_up_only_for_pickup_sessions_and_never_for_a_child_who_has_left() -> None:
    s = story()
    s.tap("room-r1", CARD["s-max"], w(18, 5))
    escalated = (AlertKind.NOT_PICKED_UP, session_id("evening", "r1"), "s-max")
    assert escalated in held(s, w(20, 0))
    s.tap("gate-in", CARD["p-max"], w(20, 5))
    assert escalated not in held(s, w(20, 6))


# -- 5. a staff card signs the report whose head count is due, in a session not over ---------------


def test_a_teacher_arriving_for_evening_study_does_not_sign_the_forgotten_clubs_report() -> None:
    s = story()
    early = s.tap("room-r2", CARD["t-a"], w(17, 58))
    assert early.outcome is Outcome.STAFF_ON_DUTY and early.reason == "headcount_not_due"
    assert session_id("clubs", "r2") not in s.state.signoffs
    signed = s.tap("room-r2", CARD["t-a"], w(18, 26))
    assert signed.outcome is Outcome.REPORT_SIGNED and signed.data == {"session": session_id("evening", "r2")}
    after = s.tap("room-r2", CARD["t-a"], w(19, 45))
    assert after.outcome is Outcome.STAFF_ON_DUTY and after.reason == "earlier_report_unsigned"
    assert after.data == {"session": session_id("clubs", "r2")}
    s.act(lambda c: decide_sign(session_id("clubs", "r2"), "t-b", c), w(19, 46))  # explicitly, by name
    assert s.state.signoffs[session_id("clubs", "r2")].by == "t-b"


# -- 6. release and pickup need a child who is here; corrections are new events --------------------


def test_releasing_a_child_who_never_arrived_is_refused_naming_her_state() -> None:
    s = story()
    with pytest.raises(ActionError, match="s-max has not arrived") as refused:
        s.act(lambda c: decide_release("s-max", "p-max", c), w(19, 40))
    assert refused.value.code == "not_here" and s.events == []
    assert "s-max" in ids(report(s, session_id("evening", "r1"), w(19, 40)).missing)


def test_releasing_a_child_on_leave_or_already_gone_is_refused() -> None:
    s = story()
    with pytest.raises(ActionError, match="s-leo is on leave"):
        s.act(lambda c: decide_release("s-leo", "p-leo", c), w(18, 40))
    s.tap("room-r1", CARD["s-max"], w(18, 5))
    s.tap("gate-in", CARD["p-max"], w(19, 35))
    with pytest.raises(ActionError, match="already left at 19:35") as gone:
        s.act(lambda c: decide_release("s-max", "p-zoe", c), w(19, 40))
    assert gone.value.code == "already_left"


def test_a_wrong_release_is_taken_back_by_a_correcting_event() -> None:
    s = story()
    s.tap("room-r1", CARD["s-max"], w(18, 5))
    s.act(lambda c: decide_release("s-max", "p-zoe", c), w(18, 50))  # the wrong child at the desk
    release = s.events[-1]
    corrected = s.act(lambda c: decide_correct(release, "放错了孩子", c), w(18, 52))
    assert corrected.outcome is Outcome.CORRECTED
    record = s.state.attendance[(session_id("evening", "r1"), "s-max")]
    assert record.present_at and not record.left_at and s.state.whereabouts[(WINTER_DAY.isoformat(), "s-max")].on_campus
    with pytest.raises(ActionError, match="already corrected"):
        s.act(lambda c: decide_correct(release, "again", c), w(18, 53))
    with pytest.raises(ActionError, match="needs its reason"):
        s.act(lambda c: decide_correct(release, " ", c), w(18, 53))
    with pytest.raises(ActionError, match="only a release or a found"):
        s.act(lambda c: decide_correct(s.events[0], "typo", c), w(18, 53))


def test_a_wrong_found_is_taken_back_and_the_child_is_missing_again() -> None:
    from edge.core.rules import decide_check_in

    s = story()
    s.act(lambda c: decide_check_in("s-max", c, "在操场", found=True), w(18, 30))
    found = s.events[-1]
    assert "s-max" not in ids(report(s, session_id("evening", "r1"), w(18, 31)).missing)
    s.act(lambda c: decide_correct(found, "看错了人", c), w(18, 35))
    assert "s-max" in ids(report(s, session_id("evening", "r1"), w(18, 36)).missing)
    # "Found" had put her on campus; taken back, she is where she was before it: nowhere, missing.
    assert {kind for kind, _, student in held(s, w(18, 36)) if student == "s-max"} == {AlertKind.MISSING}


def test_a_found_taken_back_leaves_her_as_last_seen_at_the_gate_and_alerted_at_once() -> None:
    from edge.core.rules import decide_check_in

    s = story()
    s.tap("gate-in", CARD["s-max"], w(18, 5))  # through the gate, never in her room
    s.act(lambda c: decide_check_in("s-max", c, found=True), w(18, 40))
    s.act(lambda c: decide_correct(s.events[-1], "按错了", c), w(18, 41))
    where = s.state.whereabouts[(WINTER_DAY.isoformat(), "s-max")]
    assert (where.on_campus, where.place, where.seen_at) == (True, "gate-in", w(18, 5).isoformat())
    # not a fresh sighting at 18:40 that would hold the alert back for the walk from the gate
    assert {kind for kind, _, student in held(s, w(18, 41)) if student == "s-max"} == {AlertKind.NOT_IN_ROOM}


# -- 7. the day closes ----------------------------------------------------------------------------


def test_the_day_closes_when_every_report_is_signed_and_nobody_waits() -> None:
    s = story()
    s.tap("room-r1", CARD["s-max"], w(18, 5))
    for room in ("r1", "r2"):
        s.act(lambda c, room=room: decide_sign(session_id("evening", room), "t-a", c), w(18, 30))
    for session in ("midday.r1", "midday.r2", "clubs.r2", "clubs.music"):
        s.act(lambda c, session=session: decide_sign(f"{WINTER_DAY.isoformat()}.{session}", "t-b", c), w(18, 31))

    def reports(now: datetime) -> list[ZeroReport]:
        plan = s.plan(now.date())
        return [zero_report(DAY_SCHOOL, plan, s.state, session, now) for session in plan.sessions.values()]

    assert not day_closed(reports(w(19, 0)))  # s-max is still in the room
    assert not day_closed(reports(w(19, 40)))  # s-max waits for a guardian
    s.tap("gate-in", CARD["p-max"], w(19, 45))
    assert day_closed(reports(w(19, 50)))  # the missing children keep their reports not clean, not the day open


# -- 8. a card's printed number finds its child at the desk ---------------------------------------


def test_a_number_printed_on_the_card_finds_the_child() -> None:
    from edge.api.students import find
    from edge.core.cards import CardIndex
    from hardware.uid import Rendering, render

    uid = CARD["s-zoe"]
    for rendering in (Rendering.DEC10, Rendering.DEC10_LSB, Rendering.DEC8, Rendering.FC_CN):
        printed = render(uid, rendering)
        found = find(DAY_SCHOOL, {}, printed, 5, CardIndex(DAY_SCHOOL.cards))
        assert found and found[0]["id"] == "s-zoe", (rendering, printed)
    assert find(DAY_SCHOOL, {}, "9999999999", 5, CardIndex(DAY_SCHOOL.cards)) == []


def test_the_window_rules_hold_through_a_summer_day() -> None:
    s = story()  # summer hours: clubs end 17:20, so a 17:30 gate arrival is for evening study
    assert s.tap("gate-in", CARD["s-zoe"], w(17, 30, SUMMER_DAY)).data == {
        "session": session_id("evening", "r2", SUMMER_DAY)
    }
    assert held(s, w(17, 30, SUMMER_DAY)) == set()
