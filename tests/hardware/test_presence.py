"""Tests the presence filter: one read per presence, a new read only after the card was away."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.presence import PresenceFilter


def test_frames_every_65_ms_are_one_presence() -> None:
    presence = PresenceFilter(0.3)
    sightings = [presence.seen("14008EC793", i * 0.065) for i in range(100)]  # 6.5 s on the reader
    assert sightings == [True] + [False] * 99


def test_card_back_after_the_gap_is_a_new_presence() -> None:
    presence = PresenceFilter(0.3)
    assert presence.seen("A", 10.0)
    assert not presence.seen("A", 10.29)
    assert presence.seen("A", 10.59)  # away for 0.3 s since the last sighting
    assert presence.present(10.6) == ["A"]
    assert presence.present(10.9) == []


def test_cards_are_independent() -> None:
    presence = PresenceFilter(0.3)
    assert presence.seen("A", 1.0)
    assert presence.seen("B", 1.1)
    assert not presence.seen("A", 1.2)
    assert not presence.seen("B", 1.3)


def test_gap_comes_from_reader_options() -> None:
    assert PresenceFilter.from_options({}).gap == 0.3
    assert PresenceFilter.from_options({"presence_gap": "1.5"}).gap == 1.5
    for bad in ("soon", 0, -1, None):
        with pytest.raises(ValueError, match="presence_gap"):
            PresenceFilter.from_options({"presence_gap": bad})


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.floats(0, 0.5)), max_size=60))
def test_emits_exactly_when_the_card_was_away_for_the_gap(steps: list[tuple[str, float]]) -> None:
    presence = PresenceFilter(0.3)
    now = 0.0
    last: dict[str, float] = {}
    for uid, step in steps:
        now += step
        expected = uid not in last or now - last[uid] >= 0.3
        assert presence.seen(uid, now) == expected
        last[uid] = now
    # Cards away longer than the gap are no longer present (and are forgotten in time).
    assert sorted(presence.present(now)) == sorted(uid for uid, at in last.items() if now - at < 0.3)


def test_memory_holds_only_recent_cards_however_many_have_passed() -> None:
    presence = PresenceFilter(gap=0.3)
    for n in range(10_000):
        presence.seen(f"{n:08X}", n * 1.0)  # one card a second, each gone before the next
    assert len(presence._last_seen) <= 64
