"""Tests a guard's dismissal of an unknown or lost card (issue 12): a device event with its reason, and its undo.

The rules: only a card that is nobody's, or a lost one, is dismissed, and never without why; the
correction takes it back like the other guard actions. The projection: neither the dismissal nor
its undo changes anything about any child (a lost card's holder stays where she was), whatever
came before; the undo is recorded as a correction, so it cannot be taken back twice.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.core.model import EventKind, Outcome
from edge.core.projection import Projection
from edge.core.rules import ActionError, Decision, decide_correct, decide_dismiss_card
from tests.school import (
    ANNA_CARD,
    BO_CARD,
    FEI_CARD,
    FEI_LOST_CARD,
    MAMA_CARD,
    SPARE_CARD,
    UNKNOWN_CARD,
    Story,
    at,
)


def test_an_unknown_card_is_dismissed_with_its_reason() -> None:
    story = Story()
    story.tap("gate-in", UNKNOWN_CARD, at(18, 0))
    decision = story.act(lambda c: decide_dismiss_card(UNKNOWN_CARD, "访客的公交卡", c), at(18, 2))
    assert decision == Decision(Outcome.CARD_DISMISSED, "note", "", {"uid": UNKNOWN_CARD, "note": "访客的公交卡"})
    event = story.events[-1]
    assert (event.kind, event.card_uid, event.actor) == (EventKind.DISMISS_CARD, UNKNOWN_CARD, "g-wang")


def test_a_lost_card_is_dismissed_naming_its_holder_and_she_stays_where_she_was() -> None:
    story = Story()
    story.tap("gate-in", FEI_CARD, at(18, 0))
    story.tap("room-r2", FEI_CARD, at(18, 3))
    story.tap("gate-in", FEI_LOST_CARD, at(18, 5))  # someone found her old card and tapped it
    before = dict(Projection(story.state).all_rows())
    decision = story.act(lambda c: decide_dismiss_card(FEI_LOST_CARD, "交还办公室", c), at(18, 6))
    assert (decision.outcome, decision.subject) == (Outcome.CARD_DISMISSED, "s-fei")
    story.act(lambda c: decide_correct(story.events[-1], "按错了", c), at(18, 7))
    after = dict(Projection(story.state).all_rows())
    assert {k: v for k, v in after.items() if not k.startswith("correction|")} == before
    assert story.events[-1].reason == "dismissal_taken_back" and story.events[-1].data["uid"] == FEI_LOST_CARD


@pytest.mark.parametrize(
    ("uid", "reason", "code"),
    [
        (ANNA_CARD, "不是我的", "card_not_unresolved"),  # a child's own card is nobody's problem
        (MAMA_CARD, "x", "card_not_unresolved"),  # nor a guardian's
        (UNKNOWN_CARD, "  ", "dismiss_reason_required"),
        (UNKNOWN_CARD, "", "dismiss_reason_required"),
    ],
)
def test_a_dismissal_is_refused_for_a_held_card_or_without_a_reason(uid: str, reason: str, code: str) -> None:
    story = Story()
    with pytest.raises(ActionError) as refused:
        decide_dismiss_card(uid, reason, story.ctx(at(18, 0)))
    assert refused.value.code == code


def test_a_card_given_to_a_child_is_no_longer_dismissed() -> None:
    from edge.core.rules import decide_assign_card

    story = Story()
    story.act(lambda c: decide_assign_card(SPARE_CARD, "s-hui", c), at(18, 0))
    with pytest.raises(ActionError, match="s-hui"):
        decide_dismiss_card(SPARE_CARD, "旧卡", story.ctx(at(18, 1)))


def test_a_dismissal_is_taken_back_once() -> None:
    story = Story()
    story.act(lambda c: decide_dismiss_card(UNKNOWN_CARD, "访客", c), at(18, 0))
    dismissal = story.events[-1]
    story.act(lambda c: decide_correct(dismissal, "看错了卡", c), at(18, 3))
    assert dismissal.uuid in story.state.corrections
    with pytest.raises(ActionError) as again:
        decide_correct(dismissal, "again", story.ctx(at(18, 4)))
    assert again.value.code == "already_corrected"


TAPS = [(reader, uid) for reader in ("gate-in", "room-r1", "room-r2", "gate-out")
        for uid in (ANNA_CARD, BO_CARD, FEI_CARD, FEI_LOST_CARD, UNKNOWN_CARD)]  # fmt: skip
STEPS = st.lists(st.tuples(st.sampled_from([*TAPS, "dismiss", "undo"]), st.integers(0, 9)), max_size=30)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS)
def test_dismissals_and_their_undos_change_nothing_about_any_child(steps: list[tuple[object, int]]) -> None:
    """The same evening with and without its dismissals (and their undos) folds to the same rows,
    but for the corrections' own: a dismissal is a record of the guard's, not of the child's."""
    with_them, without_them = Story(), Story()
    now = at(17, 50)
    for step, minutes in steps:
        now += timedelta(minutes=minutes)
        if isinstance(step, tuple):
            with_them.tap(*step, now)
            without_them.tap(*step, now)
        elif step == "dismiss":
            uid = FEI_LOST_CARD if minutes % 2 else UNKNOWN_CARD
            with_them.act(lambda c, uid=uid: decide_dismiss_card(uid, "访客", c), now)  # type: ignore[misc]
        else:
            dismissals = [e for e in with_them.events
                          if e.outcome is Outcome.CARD_DISMISSED and e.uuid not in with_them.state.corrections]  # fmt: skip
            if dismissals:
                with_them.act(lambda c, e=dismissals[-1]: decide_correct(e, "按错了", c), now)  # type: ignore[misc]
    rows = {k: v for k, v in Projection(with_them.state).all_rows() if not k.startswith("correction|")}
    assert rows == dict(Projection(without_them.state).all_rows())
