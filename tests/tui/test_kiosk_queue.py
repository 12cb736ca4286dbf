"""The students' screen's rules over any run of taps: the latest is on the panel, no refusal hidden before its time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui.kiosk.queue import Screen, expire, show
from tui.kiosk.verdict import OK, REFUSED, Verdict, verdict
from tui.rows import feed_line_from_json

HOLD = 4.0

taps = st.lists(
    st.tuples(st.floats(0, 6, allow_nan=False), st.booleans(), st.sampled_from(["", "张三", "李四", "王五", "赵六"])),
    max_size=40,
)


def made(seq: int, refused: bool, name: str) -> Verdict:
    return Verdict(seq, name, REFUSED if refused else OK, "w", "", "gate-in", "18:00:00")


@given(taps)
def test_the_latest_tap_is_on_the_panel_and_no_refusal_leaves_before_its_hold(run: list[tuple[float, bool, str]]) -> None:
    screen, now, held = Screen(), 0.0, []
    for seq, (gap, refused, name) in enumerate(run, start=1):
        now += gap
        screen = show(screen, made(seq, refused, name), now, HOLD)
        assert screen.current is not None and screen.current.verdict.seq == seq
        if refused:
            held.append((seq, name, now + HOLD))
        on_screen = {s.verdict.seq for s in screen.refusals} | {screen.current.verdict.seq}
        for shown_seq, shown_name, until in held:
            # still within its hold, and not replaced by a later tap of the same child
            replaced = any(later_name == shown_name and shown_name and later_seq > shown_seq
                           for later_seq, (_, _, later_name) in enumerate(run[:seq], start=1))  # fmt: skip
            if until > now and not replaced:
                assert shown_seq in on_screen
        assert all(s.until > now for s in screen.refusals)
        assert all(s.verdict.refused for s in screen.refusals)


@given(taps)
def test_everything_goes_once_its_time_is_up(run: list[tuple[float, bool, str]]) -> None:
    screen, now = Screen(), 0.0
    for seq, (gap, refused, name) in enumerate(run, start=1):
        now += gap
        screen = show(screen, made(seq, refused, name), now, HOLD)
    due = screen.next_change()
    assert (due is None) == (screen.current is None and not screen.refusals)
    assert expire(screen, now + HOLD) == Screen()


def test_a_guardians_card_shows_the_children_taken_and_an_unknown_card_no_number() -> None:
    pickup = feed_line_from_json({"seq": 3, "kind": "tap", "outcome": "picked_up", "reader_id": "gate-out"},
                                 {"name": "王芳", "children": ["李明", "李华"], "signal": "ok"}, "zh")  # fmt: skip
    assert verdict(pickup, "zh").name == "李明、李华" and verdict(pickup, "zh").words == "再见,家长已接"
    unknown = feed_line_from_json({"seq": 4, "kind": "tap", "outcome": "unknown_card", "card_uid": "0A0B0C0D"},
                                  None, "zh")  # fmt: skip
    assert verdict(unknown, "zh").name == "" and verdict(unknown, "zh").mark == REFUSED
    new = feed_line_from_json({"seq": 5, "kind": "tap", "outcome": "some_new_outcome"}, None, "en")
    assert verdict(new, "en").words == "Please see the guard"  # an outcome this kiosk does not know: to the guard
