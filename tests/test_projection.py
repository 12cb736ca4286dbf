"""Tests the projection: replay in any batching, row round-trips, per-device cursors, changed keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.core.codec import event_from_row, event_to_row
from edge.core.model import Outcome
from edge.core.projection import Projection
from edge.core.rules import (
    ActionError,
    Context,
    Decision,
    decide_assign_card,
    decide_check_in,
    decide_excuse,
    decide_release,
    decide_sign,
)
from tests.school import (
    ANNA_CARD,
    AUNTIE_CARD,
    BO_CARD,
    BO_DAD_CARD,
    CHEN_CARD,
    DAN_CARD,
    EVE_CARD,
    FEI_CARD,
    FEI_LOST_CARD,
    GAO_CARD,
    LI_CARD,
    MAMA_CARD,
    R1_SESSION,
    R2_SESSION,
    RANDOM_UID,
    SPARE_CARD,
    UNKNOWN_CARD,
    WANG_CARD,
    Story,
    at,
    make_event,
)

Action = Callable[[Context], Decision]
Step = tuple[str, str] | Action | str  # a (reader, uid) tap, a console action, or "alerts"

READER_IDS = ("gate-in", "gate-out", "gate", "room-r1", "room-r2")
STUDENT_CARDS = (ANNA_CARD, BO_CARD, CHEN_CARD, DAN_CARD, EVE_CARD, FEI_CARD, FEI_LOST_CARD, GAO_CARD)
OTHER_CARDS = (MAMA_CARD, AUNTIE_CARD, BO_DAD_CARD, LI_CARD, WANG_CARD, UNKNOWN_CARD, RANDOM_UID, SPARE_CARD)
TAPS: list[Step] = [(r, u) for r in READER_IDS for u in STUDENT_CARDS + OTHER_CARDS]
ACTIONS: list[Step] = [
    lambda c: decide_check_in("s-hui", c, note="忘带卡"),
    lambda c: decide_check_in("s-gao", c, note="在操场", found=True),
    lambda c: decide_excuse("s-anna", c, note="家长来电"),
    lambda c: decide_release("s-bo", "p-bo-dad", c),
    lambda c: decide_release("s-anna", "p-auntie", c),
    lambda c: decide_sign(R2_SESSION, "t-li", c),
    lambda c: decide_assign_card(SPARE_CARD, "s-hui", c),
    lambda c: decide_assign_card(FEI_LOST_CARD, "s-eve", c),
    "alerts",
]
START = at(17, 30)

# One device's evening: each step is (what happens, minutes after the previous step).
evenings = st.lists(st.tuples(st.sampled_from(TAPS + ACTIONS), st.integers(0, 12)), min_size=1, max_size=40)

# The r1 side of the school and the r2 side, as two devices that never touch each other's children.
R1_TAPS: list[Step] = [
    (r, u) for r in ("gate-in", "gate", "room-r1") for u in (ANNA_CARD, BO_CARD, DAN_CARD, LI_CARD)
]
R2_TAPS: list[Step] = [
    (r, u) for r in ("gate-out", "gate", "room-r2") for u in (CHEN_CARD, FEI_CARD, GAO_CARD, LI_CARD)
]


def play(steps: Sequence[tuple[Step, int]], device: str = "edge-1") -> Story:
    story = Story(device=device)
    now = START
    for step, minutes in steps:
        now += timedelta(minutes=minutes)
        if isinstance(step, str):  # "alerts"
            story.raise_alerts(now)
        elif isinstance(step, tuple):
            story.tap(*step, now)
        else:
            try:
                story.act(step, now)
            except ActionError:
                pass  # refused at the console: nothing is recorded
    return story


def rows(projection: Projection) -> dict[str, str]:
    """The rows a store would hold (every key the projection has holds a value)."""
    found = dict(projection.all_rows())
    assert None not in found.values()
    return {key: value for key, value in found.items() if value is not None}


@settings(max_examples=60, deadline=None)
@given(steps=evenings, data=st.data())
def test_replay_in_any_batching_with_duplicates_gives_the_same_state(
    steps: list[tuple[Step, int]], data: st.DataObject
) -> None:
    story = play(steps)
    events = story.events
    replay = Projection()
    sent = 0
    while sent < len(events):
        size = data.draw(st.integers(1, 6), label="batch size")
        redeliver_from = data.draw(st.integers(0, sent), label="re-deliver from")
        batch = events[redeliver_from : sent + size]
        if data.draw(st.booleans(), label="repeat each event"):
            batch = [e for event in batch for e in (event, event)]
        for event in batch:
            replay.apply(event)
        sent += size

    assert rows(replay) == rows(story.projection)
    assert replay.state == story.state
    assert replay.state.cursors == ({"edge-1": len(events)} if events else {})
    assert all(replay.apply(event) == set() for event in events)


@settings(max_examples=60, deadline=None)
@given(steps=evenings)
def test_rebuild_from_the_stored_log_gives_the_same_state(steps: list[tuple[Step, int]]) -> None:
    story = play(steps)
    rebuilt = Projection()
    for event in story.events:
        rebuilt.apply(event_from_row(event_to_row(event)))

    assert rows(rebuilt) == rows(story.projection)


@settings(max_examples=60, deadline=None)
@given(steps=evenings)
def test_changed_keys_are_all_a_store_needs_to_rewrite(steps: list[tuple[Step, int]]) -> None:
    story = play(steps)
    projection, table = Projection(), dict[str, str]()
    for event in story.events:
        changed = projection.apply(event)
        assert projection.state.cursors[event.device_id] == event.seq
        for key, value in projection.rows(changed):
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value

    assert table == rows(story.projection)


@settings(max_examples=60, deadline=None)
@given(steps=evenings, data=st.data())
def test_from_rows_round_trips(steps: list[tuple[Step, int]], data: st.DataObject) -> None:
    story = play(steps)
    split = data.draw(st.integers(0, len(story.events)), label="saved after")
    original = Projection()
    for event in story.events[:split]:
        original.apply(event)

    loaded = Projection.from_rows(rows(original).items(), original.state.cursors)

    assert rows(loaded) == rows(original)
    assert loaded.state == original.state
    # A projection loaded from its rows carries on exactly like the one that was saved.
    for event in story.events:
        assert loaded.apply(event) == original.apply(event)
    assert rows(loaded) == rows(story.projection)


@settings(max_examples=60, deadline=None)
@given(
    r1_steps=st.lists(st.tuples(st.sampled_from(R1_TAPS), st.integers(0, 12)), min_size=1, max_size=25),
    r2_steps=st.lists(st.tuples(st.sampled_from(R2_TAPS), st.integers(0, 12)), min_size=1, max_size=25),
    data=st.data(),
)
def test_two_devices_interleaved_apply_independently(
    r1_steps: list[tuple[Step, int]], r2_steps: list[tuple[Step, int]], data: st.DataObject
) -> None:
    gate, hall = play(r1_steps, "edge-gate"), play(r2_steps, "edge-hall")
    queues = {"edge-gate": list(gate.events), "edge-hall": list(hall.events)}
    merged = Projection()
    while any(queues.values()):
        device = data.draw(st.sampled_from(sorted(d for d, q in queues.items() if q)), label="next device")
        event = queues[device].pop(0)
        before = rows(merged)
        changed = merged.apply(event)
        # Another device's higher seq never hides this one: it is applied, and only once.
        assert merged.state.cursors[device] == event.seq
        assert {key for key, _ in merged.rows(changed)} >= {
            k for k, v in rows(merged).items() if before.get(k) != v
        }
        if data.draw(st.booleans(), label="deliver again"):
            assert merged.apply(event) == set()
            assert merged.state.cursors[device] == event.seq

    assert merged.state.cursors == {"edge-gate": len(gate.events), "edge-hall": len(hall.events)}
    assert rows(merged) == rows(gate.projection) | rows(hall.projection)


def test_event_at_or_below_cursor_is_ignored() -> None:
    check_in = Decision(Outcome.CHECKED_IN, "", "s-anna", {"session": R1_SESSION})
    first = make_event(check_in, at(18, 5), "room-r1", seq=1)
    projection = Projection()
    assert projection.apply(first) == {
        ("whereabouts", "2026-11-30", "s-anna"),
        ("attendance", R1_SESSION, "s-anna"),
    }
    before = rows(projection)

    # The same seq again, even carrying a different event, changes nothing; so does an older one.
    left = Decision(Outcome.LEFT_EARLY, "without_leave", "s-anna", {"session": R1_SESSION})
    assert projection.apply(first) == set()
    assert projection.apply(make_event(left, at(18, 50), "gate-out", seq=1)) == set()
    projection.apply(make_event(Decision(Outcome.STAFF_ON_DUTY, "", "t-li"), at(18, 51), "gate-in", seq=5))
    assert projection.apply(make_event(left, at(18, 52), "gate-out", seq=4)) == set()
    assert rows(projection) == before
    assert projection.state.cursors == {"edge-1": 5}

    # Another device's seq 1 is its own.
    on_campus = Decision(Outcome.ON_CAMPUS, "", "s-chen", {"session": R2_SESSION})
    elsewhere = make_event(on_campus, at(18, 1), "gate-in", seq=1, device="edge-2")
    assert projection.apply(elsewhere) == {("whereabouts", "2026-11-30", "s-chen")}
    assert projection.state.cursors == {"edge-1": 5, "edge-2": 1}


def test_alert_card_signoff_and_excuse_rows() -> None:
    story = Story()
    story.act(lambda c: decide_assign_card(SPARE_CARD, "s-hui", c), at(18, 0))
    story.act(lambda c: decide_sign(R1_SESSION, "t-li", c), at(18, 30), actor="t-li")
    story.act(lambda c: decide_excuse("s-gao", c), at(18, 31))
    story.raise_alerts(at(18, 32))

    saved = rows(story.projection)
    assert {key: value for key, value in saved.items() if not key.startswith("alert|")} == {
        f"card|{SPARE_CARD}": '"s-hui"',
        f"signoff|{R1_SESSION}": '{"by": "t-li", "at": "2026-11-30T18:30:00+08:00"}',
        f"attendance|{R2_SESSION}|s-gao": (
            '{"present_at": "", "late": false, "excused": true, "left_at": "", "left_how": "", '
            '"left_with": "", "left_excused": false, "note": ""}'
        ),
    }
    # At 18:32 everyone but the excused Gao and Dan (on leave) is missing; only r2's report is unsigned.
    raised = "2026-11-30T18:32:00+08:00"
    assert {key: value for key, value in saved.items() if key.startswith("alert|")} == {
        f"alert|missing:{session}:{student}": f'"{raised}"'
        for session, students in (
            (R1_SESSION, ("s-anna", "s-bo", "s-hui")),
            (R2_SESSION, ("s-chen", "s-fei")),
        )
        for student in students
    }
    assert story.raise_alerts(at(18, 40)) == []  # raised once only
    assert [e.data["key"] for e in story.raise_alerts(at(18, 45))] == [f"report_unsigned:{R2_SESSION}:"]
    assert (
        Projection.from_rows(rows(story.projection).items(), {"edge-1": len(story.events)}).state
        == story.state
    )


def test_guardian_card_at_room_reader_is_not_a_student_sighting() -> None:
    story = Story()
    decision = story.tap("room-r1", MAMA_CARD, at(19, 40))

    assert decision.outcome is Outcome.WRONG_READER
    assert [key for key in story.state.whereabouts if key[1] == "p-mama"] == []
