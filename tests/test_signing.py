"""Tests signing a zero report at a console: the rules' PIN and staff-card proofs, the PIN's hash, the wrong-PIN throttle."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from edge.core.model import Event, EventKind, Outcome
from edge.core.pins import LOCK_FOR, WRONG_LIMIT, WRONG_WINDOW, PinThrottle, hash_pin, pin_matches
from edge.core.projection import State
from edge.core.rules import ActionError, Context, Proof, decide_sign
from tests.school import R1_SESSION, SCHOOL, at, plan

SALT = bytes(16)  # a fixed salt keeps the table fast to read; the office's are random
LI_HASH = hash_pin("4821", SALT, iterations=1000)
WITH_PIN = replace(SCHOOL, staff={**SCHOOL.staff, "t-li": replace(SCHOOL.staff["t-li"], pin_hash=LI_HASH)})
NOW = at(18, 30)


def context(school: object = WITH_PIN, now: datetime = NOW) -> Context:
    return Context(school, plan(now.date()), State(), now)  # type: ignore[arg-type]


def staff_tap(subject: str, when: datetime, outcome: Outcome = Outcome.STAFF_ON_DUTY) -> Event:
    return Event("e1", EventKind.TAP, outcome, when, "dev1", subject=subject, reader_id="gate-in")


SIGNED = {
    "right_pin": (Proof(pin="4821"), "console_pin"),
    "card_tapped_just_now": (Proof(card_tap=staff_tap("t-li", NOW - timedelta(seconds=20))), "console_staff_card"),
    "card_even_while_pins_locked": (
        Proof(card_tap=staff_tap("t-li", NOW), locked_until=NOW + LOCK_FOR), "console_staff_card"),
    "office_page_behind_its_sign_in": (None, "console"),
}


@pytest.mark.parametrize("name", SIGNED)
def test_a_signer_who_shows_who_they_are_signs(name: str) -> None:
    proof, reason = SIGNED[name]
    decision = decide_sign(R1_SESSION, "t-li", context(), proof)
    assert (decision.outcome, decision.reason, decision.subject) == (Outcome.REPORT_SIGNED, reason, "t-li")
    assert decision.data == {"session": R1_SESSION}  # nothing of the PIN goes into the event


REFUSED = {
    "wrong_pin": (WITH_PIN, Proof(pin="4822"), "pin_wrong"),
    "no_pin_given": (WITH_PIN, Proof(), "pin_required"),
    "locked_after_wrong_pins": (WITH_PIN, Proof(pin="4821", locked_until=NOW + timedelta(minutes=3)), "pin_locked"),
    "no_pin_set_by_the_office": (SCHOOL, Proof(pin="4821"), "pin_not_set"),
    "someone_elses_card": (WITH_PIN, Proof(card_tap=staff_tap("g-wang", NOW)), "pin_required"),
    "a_card_tapped_long_ago": (WITH_PIN, Proof(card_tap=staff_tap("t-li", NOW - timedelta(minutes=5))), "pin_required"),
    "a_pupils_tap_is_no_proof": (WITH_PIN, Proof(card_tap=staff_tap("t-li", NOW, Outcome.CHECKED_IN)), "pin_required"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_a_console_signer_without_proof_is_refused_by_code(name: str) -> None:
    school, proof, code = REFUSED[name]
    with pytest.raises(ActionError) as refused:
        decide_sign(R1_SESSION, "t-li", context(school), proof)
    assert refused.value.code == code
    assert "4821" not in str(refused.value) and "4822" not in str(refused.value)


def test_a_lock_that_has_run_out_no_longer_refuses() -> None:
    decision = decide_sign(R1_SESSION, "t-li", context(), Proof(pin="4821", locked_until=NOW))
    assert decision.reason == "console_pin"


def test_the_stored_pin_is_a_salted_hash_that_only_its_pin_matches() -> None:
    first, second = hash_pin("4821"), hash_pin("4821")
    assert first != second and "4821" not in first  # a fresh salt each time
    assert first.startswith("pbkdf2_sha256$") and pin_matches("4821", first) and pin_matches("4821", second)
    assert not pin_matches("4820", first) and not pin_matches("4821", "garbage") and not pin_matches("", first)
    with pytest.raises(ValueError):
        hash_pin("12a4")
    with pytest.raises(ValueError):
        hash_pin("123")


def test_five_wrong_pins_in_ten_minutes_lock_that_staff_member_for_ten() -> None:
    throttle = PinThrottle()
    for minute in range(WRONG_LIMIT - 1):
        throttle = throttle.after_wrong("t-li", NOW + timedelta(minutes=minute))
    assert throttle.locked_until("t-li", NOW + timedelta(minutes=4)) is None
    assert throttle.tries_left("t-li", NOW + timedelta(minutes=4)) == 1
    throttle = throttle.after_wrong("t-li", NOW + timedelta(minutes=4))
    assert throttle.locked_until("t-li", NOW + timedelta(minutes=5)) == NOW + timedelta(minutes=4) + LOCK_FOR
    assert throttle.locked_until("g-wang", NOW + timedelta(minutes=5)) is None  # per staff member
    assert throttle.locked_until("t-li", NOW + timedelta(minutes=4) + LOCK_FOR) is None


def test_wrong_pins_spread_over_more_than_the_window_never_lock() -> None:
    throttle = PinThrottle()
    for n in range(WRONG_LIMIT * 2):
        when = NOW + n * (WRONG_WINDOW / (WRONG_LIMIT - 1))
        throttle = throttle.after_wrong("t-li", when)
        assert throttle.locked_until("t-li", when) is None


def test_a_right_pin_forgets_the_wrong_ones() -> None:
    throttle = PinThrottle().after_wrong("t-li", NOW).after_wrong("t-li", NOW)
    assert throttle.after_right("t-li").tries_left("t-li", NOW) == WRONG_LIMIT
