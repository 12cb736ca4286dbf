"""One identity per card: a lossy reader's number resolves to the one enrolled card it can mean."""

from __future__ import annotations

from edge.core.cards import CardIndex
from hardware.uid import Rendering, parse, render


def test_a_whole_uid_is_the_card_itself() -> None:
    assert CardIndex(["E43AC9D2"]).resolve("E43AC9D2", Rendering.DEC8) == ("E43AC9D2", "")


def test_a_desktop_readers_eight_digits_find_the_enrolled_card() -> None:
    index = CardIndex(["E43AC9D2", "01026F6C3A"])
    printed = render("E43AC9D2", Rendering.DEC8)  # what a "6H->8D" reader prints for that card
    partial = parse(printed, Rendering.DEC8)
    assert len(partial) == 6  # three of the four bytes
    assert index.resolve(partial, Rendering.DEC8) == ("E43AC9D2", "")


def test_two_cards_a_rendering_cannot_tell_apart_are_refused_not_guessed() -> None:
    index = CardIndex(["AA3AC9D2", "BB3AC9D2"])  # same last three bytes
    assert index.resolve("3AC9D2", Rendering.DEC8) == ("3AC9D2", "ambiguous_rendering")


def test_an_unknown_number_stays_unknown() -> None:
    assert CardIndex(["E43AC9D2"]).resolve("123456", Rendering.DEC8) == ("123456", "")
