"""Provides the messages that cross the console: news from the workers going up, a guard's intents going up.

Workers post what they learnt (`Connected`, `EventsWaiting`, `Refreshed`, ...); screens and
dialogs post what the guard asked for (`Act`, `Sign`, `Search`, ...); the app handles both,
folds news into the board and hands the board down. Nothing here does any work itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from tui.rows import ActionResult, AlertRow, Health, Report, SessionRow, StudentHit

# -- from the workers ----------------------------------------------------------------------------


@dataclass
class Connected(Message):
    """The live stream is open; a snapshot follows through the inbox."""


@dataclass
class Disconnected(Message):
    """The live stream could not be opened or was lost; the worker keeps trying."""

    since: datetime
    problem: str = ""


@dataclass
class EventsWaiting(Message):
    """The inbox holds news from the live stream. Posted once until the app has taken it all,
    so a burst of a hundred taps is one message, and the inbox's items are folded in order."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EventsWaiting)


@dataclass
class Refreshed(Message):
    """Sessions with their counts and the alerts that hold, read again after news (at most once a second)."""

    sessions: list[SessionRow]
    alerts: list[AlertRow]
    now: datetime | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Refreshed)


@dataclass
class HealthRead(Message):
    health: Health


@dataclass
class ReportRead(Message):
    report: Report


@dataclass
class Found(Message):
    """Search results for the screen or dialog that asked (`purpose`), for the text it asked about."""

    purpose: str
    text: str
    students: list[StudentHit]


@dataclass
class Done(Message):
    """An action's answer: accepted or refused (the device's outcome, said by the console)."""

    what: str
    result: ActionResult
    who: str = ""


@dataclass
class Failed(Message):
    """A request that failed: the device refused it or could not be reached; `message` says which."""

    what: str
    message: str


# -- from the guard ------------------------------------------------------------------------------


@dataclass
class Act(Message):
    """A manual action: check_in, found, excuse, call, release, assign_card, dismiss_card or correct."""

    kind: str
    student_id: str
    guardian_id: str = ""
    uid: str = ""
    note: str = ""  # for `correct` and `dismiss_card`: the reason
    who: str = ""  # the child's name, for the answer shown to the guard
    event: str = ""  # for `correct`: the uuid of the event taken back


@dataclass
class Sign(Message):
    """Sign a report as `staff_id`, shown by their PIN or by their staff card's tap (`card_event`)."""

    session_id: str
    staff_id: str
    pin: str = ""  # as typed; sent once, never kept
    card_event: str = ""
    who: str = ""  # the signer's name, for the answer shown to the guard


@dataclass
class Search(Message):
    purpose: str  # "pickup" or "assign": who gets the results
    text: str


@dataclass
class WantReport(Message):
    session_id: str


@dataclass
class Export(Message):
    """Write zero reports to a file: one session's, or every session's of the day (`session_id` empty)."""

    session_id: str = ""


@dataclass
class WantWaiting(Message):
    """The 19:30 list wants these sessions' reports (who is still waiting in each)."""

    session_ids: tuple[str, ...]
