"""Tests the check-in rules: one row per outcome of a tap and of each console action, then short stories."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pytest

from edge.core.model import Card, CardKind, Outcome
from edge.core.projection import State
from edge.core.rules import (
    ActionError,
    Context,
    Decision,
    decide_assign_card,
    decide_check_in,
    decide_excuse,
    decide_release,
    decide_sign,
    decide_tap,
)
from tests.school import (
    ANNA_CARD,
    AUNTIE_CARD,
    BO_CARD,
    CHEN_CARD,
    DAN_CARD,
    EVE_CARD,
    FEI_CARD,
    FEI_LOST_CARD,
    LI_CARD,
    MAMA_CARD,
    R1_SESSION,
    R2_SESSION,
    RANDOM_UID,
    READERS,
    SATURDAY,
    SCHOOL,
    SPARE_CARD,
    UNKNOWN_CARD,
    WANG_CARD,
    Story,
    at,
    ctx,
    plan,
)

Tap = tuple[str, str, datetime]  # (reader, uid, when)

ANNA_ARRIVES: tuple[Tap, ...] = (("gate-in", ANNA_CARD, at(18, 0)), ("room-r1", ANNA_CARD, at(18, 5)))
CHEN_ARRIVES: tuple[Tap, ...] = (("gate-in", CHEN_CARD, at(18, 1)), ("room-r2", CHEN_CARD, at(18, 6)))
BO_ARRIVES: tuple[Tap, ...] = (("gate-in", BO_CARD, at(18, 2)), ("room-r1", BO_CARD, at(18, 7)))


@dataclass(frozen=True)
class TapCase:
    before: tuple[Tap, ...]
    reader: str | None  # None: a reader the device has no configuration for
    uid: str
    now: datetime
    outcome: Outcome
    reason: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)


TAP_CASES = {
    "checked_in": TapCase(
        (("gate-in", ANNA_CARD, at(18, 0)),), "room-r1", ANNA_CARD, at(18, 10),
        Outcome.CHECKED_IN, "", "s-anna", {"session": R1_SESSION},
    ),
    "checked_in_at_late_threshold": TapCase(
        (), "room-r1", ANNA_CARD, at(18, 20), Outcome.CHECKED_IN, "", "s-anna", {"session": R1_SESSION},
    ),
    "checked_in_before_start": TapCase(
        (), "room-r1", ANNA_CARD, at(17, 50), Outcome.CHECKED_IN, "", "s-anna", {"session": R1_SESSION},
    ),
    "late_with_minutes": TapCase(
        (), "room-r1", ANNA_CARD, at(18, 27), Outcome.LATE, "late", "s-anna",
        {"session": R1_SESSION, "minutes": 12},
    ),
    "already_in_second_room_tap": TapCase(
        ANNA_ARRIVES, "room-r1", ANNA_CARD, at(18, 30), Outcome.ALREADY_IN, "already_checked_in", "s-anna",
        {"session": R1_SESSION},
    ),
    "on_campus_gate_in": TapCase(
        (), "gate-in", ANNA_CARD, at(18, 0), Outcome.ON_CAMPUS, "", "s-anna", {"session": R1_SESSION},
    ),
    "already_on_campus": TapCase(
        (("gate-in", ANNA_CARD, at(18, 0)),), "gate-in", ANNA_CARD, at(18, 2),
        Outcome.ALREADY_IN, "already_on_campus", "s-anna", {"session": R1_SESSION},
    ),
    "wrong_room_names_expected_room": TapCase(
        (), "room-r2", ANNA_CARD, at(18, 10), Outcome.WRONG_ROOM, "expected_in_room", "s-anna",
        {"session": R1_SESSION, "room": "r1"},
    ),
    "not_enrolled_at_all": TapCase(
        (), "room-r1", EVE_CARD, at(18, 10), Outcome.NOT_ENROLLED_TODAY, "no_session_now", "s-eve",
    ),
    "not_enrolled_on_saturday": TapCase(
        (), "room-r1", ANNA_CARD, at(18, 10, SATURDAY), Outcome.NOT_ENROLLED_TODAY, "no_session_now", "s-anna",
    ),
    "not_enrolled_at_ten_in_the_morning": TapCase(
        (), "room-r1", ANNA_CARD, at(10, 0), Outcome.NOT_ENROLLED_TODAY, "no_session_now", "s-anna",
    ),
    "came_despite_leave": TapCase(
        (), "room-r1", DAN_CARD, at(18, 10), Outcome.ON_LEAVE, "came_despite_leave", "s-dan",
        {"session": R1_SESSION},
    ),
    "unknown_card": TapCase((), "gate-in", UNKNOWN_CARD, at(18, 0), Outcome.UNKNOWN_CARD, "card_not_registered", ""),
    "random_uid": TapCase((), "gate-in", RANDOM_UID, at(18, 0), Outcome.RANDOM_UID, "random_uid", ""),
    "lost_card_names_holder": TapCase(
        (), "room-r2", FEI_LOST_CARD, at(18, 10), Outcome.LOST_CARD, "card_reported_lost", "s-fei",
    ),
    "unknown_reader": TapCase((), None, ANNA_CARD, at(18, 10), Outcome.UNKNOWN_READER, "reader_not_configured", ""),
    "picked_up_both_siblings": TapCase(
        ANNA_ARRIVES + CHEN_ARRIVES, "gate-out", MAMA_CARD, at(19, 40), Outcome.PICKED_UP, "", "p-mama",
        {
            "children": [
                {"student": "s-anna", "session": R1_SESSION, "closes": []},
                {"student": "s-chen", "session": R2_SESSION, "closes": []},
            ],
            "early": False,
            "excused": False,
        },
    ),
    "picked_up_only_the_child_who_came": TapCase(
        ANNA_ARRIVES, "gate", MAMA_CARD, at(19, 40), Outcome.PICKED_UP, "", "p-mama",
        {"children": [{"student": "s-anna", "session": R1_SESSION, "closes": []}], "early": False, "excused": False},
    ),
    "picked_up_from_gate_only": TapCase(
        (("gate-in", CHEN_CARD, at(18, 1)),), "gate-out", MAMA_CARD, at(19, 40), Outcome.PICKED_UP, "", "p-mama",
        {"children": [{"student": "s-chen", "session": R2_SESSION, "closes": []}], "early": False, "excused": False},
    ),
    "picked_up_early": TapCase(
        ANNA_ARRIVES, "gate-out", MAMA_CARD, at(19, 0), Outcome.PICKED_UP, "early_pickup", "p-mama",
        {"children": [{"student": "s-anna", "session": R1_SESSION, "closes": []}], "early": True, "excused": False},
    ),
    "no_child_waiting": TapCase(
        (), "gate-out", MAMA_CARD, at(19, 40), Outcome.NO_CHILD_WAITING, "no_child_on_campus", "p-mama",
    ),
    "unauthorised_contact_card": TapCase(
        ANNA_ARRIVES, "gate-out", AUNTIE_CARD, at(19, 40), Outcome.UNAUTHORISED_PICKUP, "not_authorised",
        "p-auntie", {"children": [{"student": "s-anna"}]},
    ),
    "guardian_card_at_room": TapCase(
        ANNA_ARRIVES, "room-r1", MAMA_CARD, at(19, 40), Outcome.WRONG_READER, "guardian_card_at_room", "p-mama",
    ),
    "walked_home_with_consent": TapCase(
        BO_ARRIVES, "gate-out", BO_CARD, at(19, 35), Outcome.WALKED_HOME, "consent_on_file", "s-bo",
        {"session": R1_SESSION, "children": [{"student": "s-bo", "session": R1_SESSION, "closes": []}]},
    ),
    "walked_home_at_the_end_minute": TapCase(
        BO_ARRIVES, "gate-out", BO_CARD, at(19, 30), Outcome.WALKED_HOME, "consent_on_file", "s-bo",
        {"session": R1_SESSION, "children": [{"student": "s-bo", "session": R1_SESSION, "closes": []}]},
    ),
    "must_be_picked_up_without_consent": TapCase(
        ANNA_ARRIVES, "gate-out", ANNA_CARD, at(19, 35), Outcome.MUST_BE_PICKED_UP, "no_walk_home_consent",
        "s-anna", {"session": R1_SESSION},
    ),
    "left_early_with_leave": TapCase(
        (("room-r1", DAN_CARD, at(18, 10)),), "gate-out", DAN_CARD, at(18, 50), Outcome.LEFT_EARLY, "with_leave",
        "s-dan", {"session": R1_SESSION, "children": [{"student": "s-dan", "session": R1_SESSION, "closes": []}], "excused": True},
    ),
    "left_early_without_leave": TapCase(
        ANNA_ARRIVES, "gate-out", ANNA_CARD, at(18, 50), Outcome.LEFT_EARLY, "without_leave", "s-anna",
        {"session": R1_SESSION, "children": [{"student": "s-anna", "session": R1_SESSION, "closes": []}], "excused": False},
    ),
    "consent_does_not_cover_leaving_before_the_end": TapCase(
        BO_ARRIVES, "gate-out", BO_CARD, at(19, 0), Outcome.LEFT_EARLY, "without_leave", "s-bo",
        {"session": R1_SESSION, "children": [{"student": "s-bo", "session": R1_SESSION, "closes": []}], "excused": False},
    ),
    "left_campus_without_session": TapCase(
        (("gate-in", EVE_CARD, at(18, 0)),), "gate-out", EVE_CARD, at(18, 30), Outcome.LEFT_CAMPUS, "", "s-eve",
    ),
    "left_campus_on_saturday": TapCase(
        (("gate-in", ANNA_CARD, at(9, 0, SATURDAY)),), "gate-out", ANNA_CARD, at(11, 0, SATURDAY),
        Outcome.LEFT_CAMPUS, "", "s-anna",
    ),
    "left_campus_after_pickup": TapCase(
        (*ANNA_ARRIVES, ("gate-out", MAMA_CARD, at(19, 40))), "gate-out", ANNA_CARD, at(19, 41),
        Outcome.LEFT_CAMPUS, "", "s-anna",
    ),
    "bidirectional_gate_infers_in": TapCase(
        (), "gate", ANNA_CARD, at(18, 0), Outcome.ON_CAMPUS, "", "s-anna", {"session": R1_SESSION},
    ),
    "bidirectional_gate_infers_out_after_end": TapCase(
        (("gate", ANNA_CARD, at(18, 0)), ("room-r1", ANNA_CARD, at(18, 5))), "gate", ANNA_CARD, at(19, 35),
        Outcome.MUST_BE_PICKED_UP, "no_walk_home_consent", "s-anna", {"session": R1_SESSION},
    ),
    "bidirectional_gate_infers_out_before_end": TapCase(
        (("gate", BO_CARD, at(18, 0)),), "gate", BO_CARD, at(18, 40), Outcome.LEFT_EARLY, "without_leave", "s-bo",
        {"session": R1_SESSION, "children": [{"student": "s-bo", "session": R1_SESSION, "closes": []}], "excused": False},
    ),
    "bidirectional_gate_infers_in_again_after_leaving": TapCase(
        (*BO_ARRIVES, ("gate", BO_CARD, at(19, 35))), "gate", BO_CARD, at(19, 50), Outcome.ON_CAMPUS, "", "s-bo",
        {},  # an arrival never attaches to a session that has ended
    ),
    "staff_on_duty_before_headcount": TapCase(
        (), "room-r1", LI_CARD, at(18, 24), Outcome.STAFF_ON_DUTY, "headcount_not_due", "t-li",
    ),
    "report_signed_by_staff_card": TapCase(
        (), "room-r1", LI_CARD, at(18, 25), Outcome.REPORT_SIGNED, "staff_card", "t-li", {"session": R1_SESSION},
    ),
    "report_signed_for_the_readers_room": TapCase(
        (), "room-r2", LI_CARD, at(18, 40), Outcome.REPORT_SIGNED, "staff_card", "t-li", {"session": R2_SESSION},
    ),
    "staff_on_duty_again_after_signing": TapCase(
        (("room-r1", LI_CARD, at(18, 26)),), "room-r1", LI_CARD, at(18, 40), Outcome.STAFF_ON_DUTY, "", "t-li",
    ),
    "staff_at_gate_is_on_duty": TapCase((), "gate-in", LI_CARD, at(18, 40), Outcome.STAFF_ON_DUTY, "", "t-li"),
    "guard_at_room_is_on_duty_never_signs": TapCase(
        (), "room-r1", WANG_CARD, at(18, 40), Outcome.STAFF_ON_DUTY, "", "g-wang",
    ),
    "staff_at_room_without_session": TapCase(
        (), "room-r1", LI_CARD, at(18, 40, SATURDAY), Outcome.STAFF_ON_DUTY, "", "t-li",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", TAP_CASES.values(), ids=TAP_CASES.keys())
def test_decide_tap(case: TapCase) -> None:
    story = Story()
    for reader, uid, when in case.before:
        story.tap(reader, uid, when)
    decision = decide_tap(case.uid, READERS[case.reader] if case.reader else None, story.ctx(case.now))

    assert decision == Decision(case.outcome, case.reason, case.subject, case.data)


# -- console actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionCase:
    before: tuple[Tap, ...]
    decide: Callable[[Context], Decision]
    now: datetime
    expected: Decision


ACTION_CASES = {
    "manual_check_in": ActionCase(
        (), lambda c: decide_check_in("s-hui", c), at(18, 10),
        Decision(Outcome.CHECKED_IN, "", "s-hui", {"session": R1_SESSION, "note": ""}),
    ),
    "manual_check_in_late_with_note": ActionCase(
        (), lambda c: decide_check_in("s-hui", c, note="忘带卡"), at(18, 30),
        Decision(Outcome.LATE, "late", "s-hui", {"session": R1_SESSION, "note": "忘带卡", "minutes": 15}),
    ),
    "manual_check_in_already_in": ActionCase(
        ANNA_ARRIVES, lambda c: decide_check_in("s-anna", c), at(18, 10),
        Decision(Outcome.ALREADY_IN, "already_checked_in", "s-anna", {"session": R1_SESSION, "note": ""}),
    ),
    "found": ActionCase(
        (("gate-in", CHEN_CARD, at(18, 1)),), lambda c: decide_check_in("s-chen", c, note="在操场", found=True),
        at(18, 40), Decision(Outcome.FOUND, "found", "s-chen", {
            "session": R2_SESSION, "note": "在操场",
            "seen_before": {"on_campus": True, "place": "gate-in", "seen_at": at(18, 1).isoformat()},
        }),
    ),
    "excuse": ActionCase(
        (), lambda c: decide_excuse("s-hui", c, note="家长来电"), at(18, 20),
        Decision(Outcome.EXCUSED, "excused", "s-hui", {"session": R1_SESSION, "note": "家长来电"}),
    ),
    "release_to_authorised_guardian": ActionCase(
        ANNA_ARRIVES, lambda c: decide_release("s-anna", "p-mama", c), at(19, 40),
        Decision(
            Outcome.PICKED_UP, "released_by_guard", "p-mama",
            {"children": [{"student": "s-anna", "session": R1_SESSION, "closes": []}], "early": False, "excused": False},
        ),
    ),
    "release_early": ActionCase(
        ANNA_ARRIVES, lambda c: decide_release("s-anna", "p-mama", c), at(19, 0),
        Decision(
            Outcome.PICKED_UP, "released_by_guard", "p-mama",
            {"children": [{"student": "s-anna", "session": R1_SESSION, "closes": []}], "early": True, "excused": False},
        ),
    ),
    "release_to_contact_who_may_not_pick_up": ActionCase(
        ANNA_ARRIVES, lambda c: decide_release("s-anna", "p-auntie", c), at(19, 40),
        Decision(
            Outcome.UNAUTHORISED_PICKUP, "not_authorised", "p-auntie",
            {"children": [{"student": "s-anna", "session": R1_SESSION, "closes": []}]},
        ),
    ),
    "release_to_guardian_not_linked": ActionCase(
        ANNA_ARRIVES, lambda c: decide_release("s-anna", "p-bo-dad", c), at(19, 40),
        Decision(
            Outcome.UNAUTHORISED_PICKUP, "not_authorised", "p-bo-dad",
            {"children": [{"student": "s-anna", "session": R1_SESSION, "closes": []}]},
        ),
    ),
    "sign_from_console": ActionCase(
        (), lambda c: decide_sign(R2_SESSION, "t-li", c), at(18, 30),
        Decision(Outcome.REPORT_SIGNED, "console", "t-li", {"session": R2_SESSION}),
    ),
    "assign_blank_card": ActionCase(
        (), lambda c: decide_assign_card(SPARE_CARD, "s-hui", c), at(18, 0),
        Decision(Outcome.CARD_ASSIGNED, "console", "s-hui", {"uid": SPARE_CARD}),
    ),
    "assign_lost_card_again": ActionCase(
        (), lambda c: decide_assign_card(FEI_LOST_CARD, "s-hui", c), at(18, 0),
        Decision(Outcome.CARD_ASSIGNED, "console", "s-hui", {"uid": FEI_LOST_CARD}),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", ACTION_CASES.values(), ids=ACTION_CASES.keys())
def test_console_action(case: ActionCase) -> None:
    story = Story()
    for reader, uid, when in case.before:
        story.tap(reader, uid, when)

    assert case.decide(story.ctx(case.now)) == case.expected


ACTION_ERRORS = {
    "sign_unknown_session": (lambda c: decide_sign("2026-11-30.evening.r9", "t-li", c), at(18, 30), "r9"),
    "sign_session_of_another_day": (lambda c: decide_sign(R1_SESSION, "t-li", c), at(18, 30, SATURDAY), R1_SESSION),
    "sign_unknown_staff": (lambda c: decide_sign(R1_SESSION, "t-nobody", c), at(18, 30), "t-nobody"),
    "assign_to_unknown_student": (lambda c: decide_assign_card(SPARE_CARD, "s-nobody", c), at(18, 0), "s-nobody"),
    "assign_active_card": (lambda c: decide_assign_card(ANNA_CARD, "s-hui", c), at(18, 0), "s-anna"),
    "assign_active_guardian_card": (lambda c: decide_assign_card(MAMA_CARD, "s-hui", c), at(18, 0), "p-mama"),
    "check_in_unknown_student": (lambda c: decide_check_in("s-nobody", c), at(18, 10), "s-nobody"),
    "check_in_student_not_enrolled": (lambda c: decide_check_in("s-eve", c), at(18, 10), "s-eve"),
    "excuse_outside_any_session": (lambda c: decide_excuse("s-anna", c), at(10, 0), "s-anna"),
    "release_to_unknown_guardian": (lambda c: decide_release("s-anna", "p-nobody", c), at(19, 40), "p-nobody"),
}  # fmt: skip


@pytest.mark.parametrize(("decide", "now", "named"), ACTION_ERRORS.values(), ids=ACTION_ERRORS.keys())
def test_console_action_refused(decide: Callable[[Context], Decision], now: datetime, named: str) -> None:
    with pytest.raises(ActionError, match=named):
        decide(ctx(State(), now))


# -- stories: decisions folded into the projection, then the next decision ----------------------


def test_second_room_tap_keeps_first_check_in_time_and_punctuality() -> None:
    story = Story()
    story.arrive(ANNA_CARD, "r1", at(18, 0), at(18, 5))

    assert story.tap("room-r1", ANNA_CARD, at(18, 40)).outcome is Outcome.ALREADY_IN

    record = story.state.attendance[(R1_SESSION, "s-anna")]
    assert (record.present_at, record.late) == (at(18, 5).isoformat(), False)


def test_late_check_in_is_recorded_late() -> None:
    story = Story()
    story.tap("room-r1", ANNA_CARD, at(18, 21))

    record = story.state.attendance[(R1_SESSION, "s-anna")]
    assert (record.present_at, record.late) == (at(18, 21).isoformat(), True)


def test_mother_picks_up_both_siblings_with_one_tap() -> None:
    story = Story()
    story.arrive(ANNA_CARD, "r1", at(18, 0), at(18, 5))
    story.arrive(CHEN_CARD, "r2", at(18, 1), at(18, 6))

    assert story.tap("gate-out", MAMA_CARD, at(19, 40)).outcome is Outcome.PICKED_UP

    for session, child in ((R1_SESSION, "s-anna"), (R2_SESSION, "s-chen")):
        record = story.state.attendance[(session, child)]
        assert (record.left_at, record.left_how, record.left_with) == (
            at(19, 40).isoformat(),
            "picked_up",
            "p-mama",
        )
        assert story.state.whereabouts[("2026-11-30", child)].on_campus is False
    # Both are gone: a second tap finds nobody, and a child's own tap is just leaving campus.
    assert story.tap("gate-out", MAMA_CARD, at(19, 41)).outcome is Outcome.NO_CHILD_WAITING
    assert story.tap("gate-out", ANNA_CARD, at(19, 41)).outcome is Outcome.LEFT_CAMPUS


def test_unauthorised_pickup_leaves_the_child_waiting() -> None:
    story = Story()
    story.arrive(ANNA_CARD, "r1", at(18, 0), at(18, 5))

    assert story.tap("gate-out", AUNTIE_CARD, at(19, 40)).outcome is Outcome.UNAUTHORISED_PICKUP
    story.act(lambda c: decide_release("s-anna", "p-auntie", c), at(19, 41))

    assert story.state.attendance[(R1_SESSION, "s-anna")].left_at == ""
    assert story.tap("gate-out", MAMA_CARD, at(19, 45)).data["children"] == [
        {"student": "s-anna", "session": R1_SESSION, "closes": []}
    ]


def test_child_who_must_be_picked_up_stays_until_guardian_comes() -> None:
    story = Story()
    story.arrive(ANNA_CARD, "r1", at(18, 0), at(18, 5))

    assert story.tap("gate-out", ANNA_CARD, at(19, 35)).outcome is Outcome.MUST_BE_PICKED_UP

    assert story.state.whereabouts[("2026-11-30", "s-anna")].on_campus is True
    assert story.state.attendance[(R1_SESSION, "s-anna")].left_at == ""
    assert story.tap("gate-out", MAMA_CARD, at(19, 40)).outcome is Outcome.PICKED_UP


def test_early_pickup_is_recorded_as_left_early() -> None:
    story = Story()
    story.arrive(ANNA_CARD, "r1", at(18, 0), at(18, 5))
    story.tap("gate-out", MAMA_CARD, at(19, 0))

    record = story.state.attendance[(R1_SESSION, "s-anna")]
    # Handed to an authorised guardian: left early, but accounted for.
    assert (record.left_how, record.left_with, record.left_excused) == ("left_early", "p-mama", True)


def test_signing_by_card_records_signer_and_stops_further_signing() -> None:
    story = Story()
    assert story.tap("room-r1", LI_CARD, at(18, 26)).outcome is Outcome.REPORT_SIGNED

    assert story.state.signoffs[R1_SESSION].by == "t-li"
    assert story.state.signoffs[R1_SESSION].at == at(18, 26).isoformat()
    assert R2_SESSION not in story.state.signoffs


def test_assigned_card_checks_its_new_holder_in_and_cannot_be_assigned_twice() -> None:
    story = Story()
    story.act(lambda c: decide_assign_card(SPARE_CARD, "s-hui", c), at(18, 0))

    assert story.state.cards == {SPARE_CARD: "s-hui"}
    assert story.tap("room-r1", SPARE_CARD, at(18, 5)) == Decision(
        Outcome.CHECKED_IN, "", "s-hui", {"session": R1_SESSION}
    )
    with pytest.raises(ActionError, match="s-hui"):
        decide_assign_card(SPARE_CARD, "s-anna", story.ctx(at(18, 6)))


def test_reassigned_lost_card_is_no_longer_refused() -> None:
    story = Story()
    story.act(lambda c: decide_assign_card(FEI_LOST_CARD, "s-hui", c), at(18, 0))

    assert story.tap("gate-in", FEI_LOST_CARD, at(18, 1)) == Decision(
        Outcome.ON_CAMPUS, "", "s-hui", {"session": R1_SESSION}
    )
    # Fei's replacement card still works for Fei.
    assert story.tap("room-r2", FEI_CARD, at(18, 2)).subject == "s-fei"


def test_excused_child_is_marked_excused_and_may_still_check_in() -> None:
    story = Story()
    story.act(lambda c: decide_excuse("s-hui", c, note="家长来电"), at(18, 0))

    assert story.state.attendance[(R1_SESSION, "s-hui")].excused is True
    assert story.act(lambda c: decide_check_in("s-hui", c), at(18, 10)).outcome is Outcome.CHECKED_IN


def test_child_who_steps_out_and_comes_back_must_still_be_picked_up() -> None:
    # A six-year-old taps the bidirectional gate twice by mistake (in, out), taps again (in) and
    # goes to class. At the end she has no walk-home consent: the gate must not let her go alone.
    story = Story()
    assert story.tap("gate", ANNA_CARD, at(18, 0)).outcome is Outcome.ON_CAMPUS
    assert story.tap("gate", ANNA_CARD, at(18, 1)).outcome is Outcome.LEFT_EARLY
    assert story.tap("gate", ANNA_CARD, at(18, 2)).outcome is Outcome.ON_CAMPUS
    assert story.tap("room-r1", ANNA_CARD, at(18, 5)).outcome is Outcome.CHECKED_IN

    assert story.tap("gate-out", ANNA_CARD, at(19, 35)).outcome is Outcome.MUST_BE_PICKED_UP


def test_child_excused_at_console_leaves_early_with_leave() -> None:
    story = Story()
    story.arrive(ANNA_CARD, "r1", at(18, 0), at(18, 5))
    story.act(lambda c: decide_excuse("s-anna", c, note="妈妈来电: 18:50 接去看病"), at(18, 40))

    decision = story.tap("gate-out", MAMA_CARD, at(18, 50))

    assert decision.outcome is Outcome.PICKED_UP
    assert decision.data["excused"] is True


def test_a_card_whose_holder_is_missing_from_the_roster_is_refused_not_a_crash() -> None:
    orphan = replace(SCHOOL, cards={**SCHOOL.cards, "F0000001": Card("F0000001", CardKind.STUDENT, "s-gone")})
    decision = decide_tap("F0000001", READERS["gate-in"], Context(orphan, plan(), State(), at(18, 0)))
    assert decision == Decision(Outcome.UNKNOWN_CARD, "holder_not_in_roster", "s-gone")


def test_a_child_cannot_be_released_twice() -> None:
    story = Story()
    story.arrive(ANNA_CARD, "r1", at(18, 0), at(18, 5))
    story.act(lambda c: decide_release("s-anna", "p-mama", c), at(19, 35))
    with pytest.raises(ActionError, match="s-anna already left at 19:35"):
        decide_release("s-anna", "p-mama", story.ctx(at(19, 40)))
