"""Feedback patterns: validated from the configuration, played on (mock) GPIO pins."""

from __future__ import annotations

import pytest

from hardware.feedback import DEFAULT_PATTERNS, GpioFeedback, Pattern, patterns_from


def test_patterns_override_the_defaults_and_reject_nonsense() -> None:
    patterns = patterns_from({"ok": [2, 0.2, 0.1, "both"]})
    assert patterns["ok"] == Pattern(2, 0.2, 0.1, "both")
    assert patterns["denied"] == DEFAULT_PATTERNS["denied"]
    with pytest.raises(ValueError, match="unknown signal 'great'"):
        patterns_from({"great": [1, 0.1, 0, "green"]})
    with pytest.raises(ValueError, match=r"must be \[beeps, on_seconds, off_seconds, led\]"):
        patterns_from({"ok": "loud"})
    with pytest.raises(ValueError, match="led must be green, red or both"):
        patterns_from({"ok": [1, 0.1, 0, "blue"]})


def test_denied_beeps_three_times_and_lights_red_only() -> None:
    gpiozero = pytest.importorskip("gpiozero")
    from gpiozero.pins.mock import MockFactory

    gpiozero.Device.pin_factory = MockFactory()
    try:
        sink = GpioFeedback(buzzer_pin=17, green_pin=27, red_pin=22, background=False)
        sink.play("denied", Pattern(3, 0.01, 0.01, "red"))
        rises = [s for prev, s in zip(sink.buzzer.pin.states, sink.buzzer.pin.states[1:], strict=False)
                 if s.state and not prev.state]
        assert len(rises) == 3
        assert any(s.state for s in sink.red.pin.states)
        assert not any(s.state for s in sink.green.pin.states)
    finally:
        gpiozero.Device.pin_factory.close()
        gpiozero.Device.pin_factory = None
