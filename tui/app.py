"""Provides `GuardApp`: the guard console — one screen per function key over one board of the device's state.

Data flows one way. Workers talk to the device (`tui/stream.py`, `tui/tasks.py`) and post what
they learnt; the app folds it into `board` (`tui/board.py`, pure) and each screen watches
`board` and sets its widgets (attributes down). A guard's key press becomes an intent message
(`tui/messages.py`) that the app hands to a worker (messages up). No handler waits on the network.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.logging import TextualHandler
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from edge.core.i18n import t
from tui import tasks
from tui.board import (
    Board,
    gone_offline,
    urgent_alerts,
    with_events,
    with_health,
    with_refresh,
    with_snapshot,
)
from tui.client import EdgeClient
from tui.keys import navigation
from tui.messages import (
    Act,
    Connected,
    Disconnected,
    Done,
    EventsWaiting,
    Export,
    Failed,
    Found,
    HealthRead,
    Refreshed,
    ReportRead,
    Search,
    Sign,
    WantReport,
    WantWaiting,
)
from tui.rows import FeedLine
from tui.screens.alerts import AlertsScreen
from tui.screens.base import BoardScreen
from tui.screens.cards import CardsScreen
from tui.screens.devices import DevicesScreen
from tui.screens.help_dialog import HelpDialog, described
from tui.screens.live import LiveScreen
from tui.screens.note_dialog import NoteDialog
from tui.screens.pickup import PickupScreen
from tui.screens.report import ReportScreen
from tui.screens.rooms import RoomsScreen
from tui.screens.waiting import WaitingScreen
from tui.stream import Inbox, follow_live
from tui.text import localise
from tui.widgets.key_footer import is_navigation
from tui.widgets.student_picker import StudentPicker

log = logging.getLogger("rollcall.tui")

UNDO_MINUTES = 10  # a wrong key noticed at once is taken back at once; later it is the office's correction
UNDOABLE = ("found", "release", "excuse", "assign_card", "dismiss_card")


@dataclass(frozen=True, slots=True)
class Undoable:
    """An action this console took that the guard may still take back."""

    at: float  # the console's monotonic clock
    kind: str
    event: str  # its event's uuid
    who: str


RESTART_AFTER = 2.0  # s before a failed stream or refresh worker starts again


class GuardApp(App[None]):
    CSS_PATH = Path(__file__).with_name("guard.tcss")  # absolute: a subclass elsewhere (the bench) finds it too
    ENABLE_COMMAND_PALETTE = False
    MODES: ClassVar[dict[str, str | Callable[[], Any]]] = {
        "live": LiveScreen, "rooms": RoomsScreen, "alerts": AlertsScreen,
        "pickup": PickupScreen, "report": ReportScreen, "devices": DevicesScreen, "cards": CardsScreen,
    }  # fmt: skip
    DEFAULT_MODE = "live"
    BINDINGS: ClassVar[list[BindingType]] = [
        *navigation(),
        # The unresolved cards from every screen (even with a text box focused); its count and key are
        # on the status line, so the footer (already full at 80 columns) does not carry it too.
        Binding("f7", "switch_mode('cards')", "tui.screen.cards", show=False, priority=True, key_display="F7"),
        # Described for the help (F12), not shown: the status line says M, the answer to an action says U.
        Binding("u", "undo", "tui.key.undo", show=False, key_display="U"),
        Binding("m", "toggle_mute", "tui.key.mute", show=False, key_display="M"),
        # Every key of the screen on view, F1–F6 among them when the footer has no room for them;
        # F12 from a text box too, ? where none takes it.
        Binding("f12", "help", "tui.key.help", key_display="F12", priority=True),
        Binding("question_mark", "help", show=False),
    ]

    board: reactive[Board] = reactive(Board)
    """Everything known about the device; screens watch it."""

    def __init__(
        self,
        url: str,
        token: str,
        lang: str = "zh",
        export_dir: Path | None = None,
        clock: Callable[[], datetime] = datetime.now,
        bell: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.lang = lang
        self.client = EdgeClient(url, token, lang)
        self.inbox = Inbox()
        self.export_dir = export_dir or Path.home() / "rollcall-exports"
        self.monotonic = monotonic  # the status bar's clock ticks on it between the device's news
        self.clock = clock  # the console's own clock, for "offline since HH:MM"
        self.refresh_due = asyncio.Event()  # set when sessions and alerts should be read again
        self.title = t("tui.title", lang)
        self._settled = False
        self.undoable: list[Undoable] = []
        self._rung_for: frozenset[tuple[str, str, str]] | None = None  # urgent alerts already heard
        localise(self)
        if not bell:
            self.board = replace(self.board, muted=True)

    async def on_mount(self) -> None:
        self._quiet_terminal_logs()
        await self.client.open()
        self.follow_stream()
        self.keep_fresh()

    @work(name="live-stream", group="event-stream", exclusive=True, exit_on_error=False)
    async def follow_stream(self) -> None:
        """Read the device's live stream into the inbox for as long as the console runs."""
        await follow_live(self.client, self.inbox, self.post_message, self.clock)

    @work(name="refresh", group="refresh", exclusive=True, exit_on_error=False)
    async def keep_fresh(self) -> None:
        """Read sessions, alerts and health again after news (throttled) and every few seconds."""
        await tasks.refresh_forever(self.client, self.refresh_due, self.post_message)

    async def on_unmount(self) -> None:
        self.workers.cancel_all()
        await self.client.close()
        root = logging.getLogger()
        root.removeHandler(self._textual_log)
        for handler in self._terminal_logs:
            root.addHandler(handler)

    def _quiet_terminal_logs(self) -> None:
        """Log lines written to the terminal land on top of the screen (an INFO line across the big
        panel when the device went offline): while the console runs they go to Textual's log instead."""
        root = logging.getLogger()
        self._terminal_logs = [h for h in root.handlers if type(h) is logging.StreamHandler]  # not files
        for handler in self._terminal_logs:
            root.removeHandler(handler)
        self._textual_log = TextualHandler()
        root.addHandler(self._textual_log)

    # -- news from the workers: folded into the board --------------------------------------------

    def on_connected(self, message: Connected) -> None:
        self.refresh_due.set()

    def on_disconnected(self, message: Disconnected) -> None:
        self.board = gone_offline(self.board, message.since, message.problem)

    def on_events_waiting(self, message: EventsWaiting) -> None:
        board, lines = self.board, []
        for item in self.inbox.take():
            if isinstance(item, FeedLine):
                lines.append(item)
            else:
                board = with_snapshot(with_events(board, lines), item)
                lines = []
        self.board = with_events(board, lines)
        self.refresh_due.set()
        if not self._settled:
            # Once the first screen is drawn, its ~100,000 objects live as long as the console:
            # leave them out of full garbage collections, which stalled the console 50-110 ms
            # every ~0.7 s at 100 taps a second (p99 commit-to-console lag 113 ms; 55 ms frozen).
            self._settled = True
            self.call_after_refresh(gc.freeze)

    def on_refreshed(self, message: Refreshed) -> None:
        self.board = with_refresh(self.board, message.sessions, message.alerts, message.now)
        self._ring_for_new_alerts()

    def _ring_for_new_alerts(self) -> None:
        """The terminal bell for each refresh that brings an urgent alert not heard before (not for
        the ones already open when the console starts: those are on the screen)."""
        urgent = urgent_alerts(self.board)
        heard, self._rung_for = self._rung_for, urgent
        if heard is not None and urgent - heard and not self.board.muted:
            self.bell()

    def action_toggle_mute(self) -> None:
        self.board = replace(self.board, muted=not self.board.muted)

    def action_help(self) -> None:
        """F12: every key of the screen on view and of the app (F12 again, or Esc, closes it)."""
        screen = self.screen
        if isinstance(screen, HelpDialog):
            screen.dismiss(None)
            return
        if not isinstance(screen, BoardScreen):  # a dialog is open: it says its own keys
            return
        mine = [b for b in self.BINDINGS if isinstance(b, Binding)]
        screens = described(b for b in mine if is_navigation(b))
        anywhere = described(b for b in mine if not is_navigation(b))
        self.push_screen(HelpDialog(t(screen.TITLE_KEY, self.lang), described(type(screen).BINDINGS), screens, anywhere))

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit a Textual app: say how to, in the guard's language (Textual says it in English)."""
        self.notify(t("tui.quit_hint", self.lang), title=t("tui.quit_title", self.lang))

    def on_health_read(self, message: HealthRead) -> None:
        self.board = with_health(self.board, message.health)

    def on_report_read(self, message: ReportRead) -> None:
        if isinstance(self.screen, ReportScreen):
            self.screen.report = message.report
        elif isinstance(self.screen, WaitingScreen):
            self.screen.take(message.report)

    def on_found(self, message: Found) -> None:
        for picker in self.screen.query(StudentPicker):
            if picker.purpose == message.purpose and picker.text == message.text:
                picker.results = tuple(message.students)

    def on_done(self, message: Done) -> None:
        result, lang = message.result, self.lang
        if message.what == "export":
            self.notify(result.message, timeout=8)
            return
        # Said by the console from the outcome's code, in the guard's language: the device's own
        # sentence names places and actors by id ("[guard:demo-guard]").
        text = f"{t('outcome.' + result.outcome, lang)} {message.who}".strip() if result.outcome else result.message
        if result.accepted and message.what in UNDOABLE and result.event:
            self.undoable.append(Undoable(self.monotonic(), message.what, result.event, message.who))
            text += "\n" + t("tui.undo.hint", lang, minutes=UNDO_MINUTES)
        self.notify(text, severity="information" if result.accepted else "error", timeout=8)
        self.refresh_due.set()

    def action_undo(self) -> None:
        """Take back this console's last found, release, excuse, card given or dismissed (within `UNDO_MINUTES`), with why."""
        now = self.monotonic()
        self.undoable = [u for u in self.undoable if now - u.at <= UNDO_MINUTES * 60]
        if not self.undoable:
            self.notify(t("tui.undo.nothing", self.lang, minutes=UNDO_MINUTES), severity="warning")
            return
        last = self.undoable[-1]
        what = t(f"tui.undo.{last.kind}", self.lang)

        def send(reason: str | None) -> None:
            if reason is None:
                return
            if not reason:
                self.notify(t("tui.undo.reason_needed", self.lang), severity="error")
                return
            if last in self.undoable:
                self.undoable.remove(last)
            self.post_message(Act("correct", "", note=reason, who=last.who, event=last.event))

        title = t("tui.undo.title", self.lang, what=what, name=last.who)
        self.push_screen(NoteDialog(title, t("tui.undo.prompt", self.lang)), send)

    def on_failed(self, message: Failed) -> None:
        self.notify(message.message, title=t(f"tui.failed.{message.what}", self.lang), severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in a worker: say so, and start the stream or the refresh again (never a dead console)."""
        if event.state is not WorkerState.ERROR:
            return
        log.error("worker %s failed", event.worker.name, exc_info=event.worker.error)
        self.notify(f"{event.worker.name}: {event.worker.error!r}", title=t("tui.error.bug", self.lang),
                    severity="error", timeout=10)  # fmt: skip
        restart = {"live-stream": self.follow_stream, "refresh": self.keep_fresh}.get(event.worker.name)
        if restart is not None:
            self.set_timer(RESTART_AFTER, restart)

    # -- intents from the screens: each handed to a worker ---------------------------------------

    def _start(
        self, work: Callable[[], Coroutine[None, None, None]], group: str, exclusive: bool = False
    ) -> Worker[None]:
        # A callable, not a coroutine: work cancelled (a search, by the next keystroke) before it
        # started is then never created, rather than left un-awaited.
        return self.run_worker(work, group=group, exclusive=exclusive, exit_on_error=False)

    @on(Act)
    def _act(self, message: Act) -> None:
        self._start(partial(tasks.act, self.client, message, self.post_message), "actions")

    @on(Sign)
    def _sign(self, message: Sign) -> None:
        self._start(partial(tasks.sign, self.client, message, self.post_message), "actions")

    @on(Search)
    def _search(self, message: Search) -> None:
        self._start(partial(tasks.search, self.client, message, self.post_message), f"search-{message.purpose}", True)

    @on(WantWaiting)
    def _want_waiting(self, message: WantWaiting) -> None:
        for session_id in message.session_ids:  # one worker a room: the latest read of each wins
            self._start(partial(tasks.report, self.client, session_id, self.post_message), f"waiting-{session_id}", True)

    @on(WantReport)
    def _want_report(self, message: WantReport) -> None:
        self._start(partial(tasks.report, self.client, message.session_id, self.post_message), "report", True)

    @on(Export)
    def _export(self, message: Export) -> None:
        sessions = [s.id for s in self.board.sessions]
        day = self.board.sessions[0].id[:10] if self.board.sessions else "today"
        self._start(partial(tasks.export, self.client, message, sessions, self.export_dir, day, self.post_message), "export")
