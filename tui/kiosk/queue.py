"""Provides `Screen` and its folds: which taps the students' screen shows, and until when.

Pure; times are the kiosk's monotonic seconds. The latest tap always takes the big panel at
once: the child in front of the screen is the one who just tapped. A refusal is never hidden
before its hold is over: when the next tap takes the panel, the refusal moves to the strip below
it ("请到门卫室" with her name) for the rest of its time, so a child sent to the guard room in a
rush still sees it. A success displaced early just goes: the reader's light and beep told her.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tui.kiosk.verdict import Verdict

HOLD = 4.0  # s a tap stays on the screen; `--hold` changes it


@dataclass(frozen=True, slots=True)
class Shown:
    verdict: Verdict
    until: float


@dataclass(frozen=True, slots=True)
class Screen:
    current: Shown | None = None
    refusals: tuple[Shown, ...] = ()  # displaced refusals still within their hold, newest first

    def next_change(self) -> float | None:
        """When something on the screen expires next (to set a timer), or None."""
        times = [s.until for s in self.refusals] + ([self.current.until] if self.current else [])
        return min(times) if times else None


def show(screen: Screen, verdict: Verdict, now: float, hold: float = HOLD) -> Screen:
    """The new tap on the big panel; a refusal it displaces moves to the strip until its time is up."""
    screen = expire(screen, now)
    refusals = screen.refusals
    if screen.current is not None and screen.current.verdict.refused:
        refusals = (screen.current, *refusals)
    # The same child tapping again replaces her own line rather than standing twice.
    refusals = tuple(r for r in refusals if r.verdict.name != verdict.name or not verdict.name)
    return Screen(Shown(verdict, now + hold), refusals)


def expire(screen: Screen, now: float) -> Screen:
    """Without what has been shown long enough; an empty panel is "ready for the next child"."""
    current = screen.current if screen.current is not None and screen.current.until > now else None
    refusals = tuple(r for r in screen.refusals if r.until > now)
    if current is screen.current and refusals == screen.refusals:
        return screen
    return replace(screen, current=current, refusals=refusals)
