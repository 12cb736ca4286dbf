"""Provides kiosk feedback: a beep-and-light pattern per signal, played on GPIO or shown on screen.

The edge maps each outcome to one of four signals (ok, warning, denied, fault) and calls every
sink only after the event is on disk. A child at the door must tell "green, go in" from "red,
see the guard" without reading, so the patterns differ in count and length as well as colour.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pattern:
    """`beeps` beeps of `on` seconds with `off` between, and one LED lit for the same time."""

    beeps: int
    on: float
    off: float
    led: str  # "green" | "red" | "both"


# Short and single for "go in"; long and triple for "stop". After esp-rfid's granted/denied beeps.
DEFAULT_PATTERNS: Mapping[str, Pattern] = {
    "ok": Pattern(1, 0.10, 0.0, "green"),
    "warning": Pattern(2, 0.10, 0.10, "both"),
    "denied": Pattern(3, 0.30, 0.15, "red"),
    "fault": Pattern(5, 0.05, 0.05, "red"),
    # An urgent alert (a child missing, through the gate but not in her room): long, for the guard to
    # hear across the gate; `alarm = [0, 0, 0, "red"]` in [feedback.patterns] silences it.
    "alarm": Pattern(4, 0.50, 0.25, "red"),
}


class FeedbackSink(Protocol):
    def play(self, signal: str, pattern: Pattern) -> None:
        """Start the pattern and return at once: feedback never holds up the next tap."""


def patterns_from(options: Mapping[str, Any]) -> dict[str, Pattern]:
    """The default patterns with any the configuration overrides (`ok = [1, 0.1, 0.0, "green"]`)."""
    patterns = dict(DEFAULT_PATTERNS)
    for signal, value in options.items():
        if signal not in DEFAULT_PATTERNS:
            raise ValueError(
                f"feedback pattern for unknown signal {signal!r} (known: {', '.join(DEFAULT_PATTERNS)})"
            )
        try:
            beeps, on, off, led = value
            patterns[signal] = Pattern(int(beeps), float(on), float(off), str(led))
        except (TypeError, ValueError):
            raise ValueError(
                f"feedback pattern {signal!r} must be [beeps, on_seconds, off_seconds, led]"
            ) from None
        if patterns[signal].led not in ("green", "red", "both"):
            raise ValueError(f"feedback pattern {signal!r}: led must be green, red or both")
    return patterns


class GpioFeedback:
    """A buzzer and two LEDs on the Pi's GPIO through gpiozero, imported only when configured.

    gpiozero plays `beep`/`blink` on its own background thread, so `play` returns at once.
    """

    def __init__(self, buzzer_pin: int, green_pin: int, red_pin: int, background: bool = True) -> None:
        try:
            from gpiozero import LED, Buzzer
        except ImportError:
            raise RuntimeError(
                "GPIO feedback needs the gpiozero package (apt install python3-gpiozero)"
            ) from None
        self.buzzer, self.green, self.red = Buzzer(buzzer_pin), LED(green_pin), LED(red_pin)
        self.background = background

    def play(self, signal: str, pattern: Pattern) -> None:
        leds = {"green": [self.green], "red": [self.red], "both": [self.green, self.red]}[pattern.led]
        length = pattern.beeps * (pattern.on + pattern.off)
        for led in leds:
            led.blink(on_time=length, off_time=0, n=1, background=True)
        self.buzzer.beep(
            on_time=pattern.on, off_time=pattern.off, n=pattern.beeps, background=self.background
        )


class LogFeedback:
    """Feedback as a log line: for a device without a buzzer, and for drills."""

    def play(self, signal: str, pattern: Pattern) -> None:
        log.info("feedback signal=%s beeps=%d led=%s", signal, pattern.beeps, pattern.led)
