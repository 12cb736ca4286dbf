"""Provides `KioskApp`: the students' screen — each tap at the readers it serves, large, then ready for the next child.

The same live stream as the guard console (`tui.stream.follow_live`, which reconnects by
itself); a snapshot only says the device is there (the taps before it are not news to the child
now in front of the screen). Each new tap at a served reader becomes a `Verdict` and is folded
into the `Screen` (`tui/kiosk/queue.py`, pure); one timer clears what has been shown long enough.
No key does anything but Ctrl+Q: nobody at the gate should be able to change what it shows.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import aiohttp
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Static

from edge.core.i18n import t
from tui.client import EdgeClient
from tui.kiosk.panel import RefusalStrip, VerdictPanel
from tui.kiosk.queue import HOLD, Screen, expire, show
from tui.kiosk.speech import Speaker
from tui.kiosk.verdict import Verdict, verdict
from tui.messages import Connected, Disconnected, EventsWaiting
from tui.rows import FeedLine
from tui.stream import Inbox, follow_live

Monotonic = Callable[[], float]
KEPT = 200  # verdicts remembered: an evening's taps, not a term's


class KioskApp(App[None]):
    CSS_PATH = Path(__file__).with_name("kiosk.tcss")
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", show=False, priority=True)]

    screen_state: reactive[Screen] = reactive(Screen)
    """What the screen shows and until when; the widgets follow it."""

    def __init__(
        self,
        url: str,
        token: str,
        lang: str = "zh",
        readers: Iterable[str] = (),
        hold: float = HOLD,
        speaker: Speaker | None = None,
        clock: Callable[[], datetime] = datetime.now,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        super().__init__()
        self.lang = lang
        self.client = EdgeClient(url, token, lang)
        self.inbox = Inbox()
        self.readers = frozenset(readers)  # empty: every reader
        self.hold = hold
        self.speaker = speaker
        self.clock = clock
        self.now = monotonic  # the kiosk's own seconds, for how long a tap stays
        self.head_seq = -1  # -1: no snapshot yet; taps before the first snapshot are old news
        self.online = False
        self.offline_since: datetime | None = None
        self.places: dict[str, str] = {}  # reader id -> what the device calls it (a configured name, when it has one)
        self.verdicts: deque[Verdict] = deque(maxlen=KEPT)  # the latest shown, in order (tests, the bench)
        self._timer: Timer | None = None
        self._timer_due = 0.0
        self._status_text = ""
        self._settled = False
        self.known_readers: frozenset[str] | None = None  # the device's readers, once its health was read
        self.title = t("kiosk.title", lang)

    def compose(self) -> ComposeResult:
        yield VerdictPanel()
        yield RefusalStrip()
        yield Static(id="kiosk-status")

    async def on_mount(self) -> None:
        self._paint_offline(t("kiosk.connecting", self.lang))
        await self.client.open()
        self.follow_stream()

    @work(name="live-stream", group="event-stream", exclusive=True)
    async def follow_stream(self) -> None:
        """Read the device's live stream into the inbox for as long as the screen runs."""
        await follow_live(self.client, self.inbox, self.post_message, self.clock)

    async def on_unmount(self) -> None:
        self.workers.cancel_all()
        await self.client.close()
        if self.speaker is not None:
            await self.speaker.close()

    # -- the device ------------------------------------------------------------------------------

    def on_connected(self, message: Connected) -> None:
        # Online once the snapshot comes (it proves the stream is the device's); meanwhile, the
        # readers' names as the device's configuration gives them (东门入口), for the status line.
        self.read_names()

    @work(name="reader-names", group="reader-names", exclusive=True, exit_on_error=False)
    async def read_names(self) -> None:
        try:
            async with self.client.session.get(f"{self.client.url}/api/v1/health") as response:
                body = await response.json() if response.status == 200 else {}
            readers = {str(r["id"]): str(r.get("name") or "") for r in body.get("readers") or ()}
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError, KeyError, TypeError, AttributeError):
            return  # the names are a nicety: the ids stand in for them
        self.known_readers = frozenset(readers)
        self.places.update({reader: name for reader, name in readers.items() if name})
        self._status()

    def on_disconnected(self, message: Disconnected) -> None:
        self.online, self.head_seq = False, -1
        self.offline_since = self.offline_since or message.since
        self._paint_offline(f"{t('kiosk.offline', self.lang)}\n{t('kiosk.reconnecting', self.lang)}")

    def on_events_waiting(self, message: EventsWaiting) -> None:
        state, now = self.screen_state, self.now()
        for item in self.inbox.take():
            if not isinstance(item, FeedLine):
                if self.head_seq < 0 and not self._settled:
                    # As the console does (tui/app.py): the screen's objects live as long as the kiosk;
                    # leaving them out of full collections keeps their pauses off the p99 (at 100 taps a
                    # second on the dev VM: 58-108 ms without, 24 ms with).
                    self._settled = True
                    self.call_after_refresh(gc.freeze)
                self.head_seq, self.online, self.offline_since = item.head_seq, True, None
                continue
            if self.head_seq < 0 or 0 < item.seq <= self.head_seq:
                continue  # before the snapshot, or already seen
            self.head_seq = max(self.head_seq, item.seq)
            if item.kind != "tap" or (self.readers and item.reader_id not in self.readers):
                continue
            shown = verdict(item, self.lang, self.places.get(item.reader_id, ""))
            self.verdicts.append(shown)
            state = show(state, shown, now, self.hold)
            if self.speaker is not None:
                self.speaker.say(shown.sentence(self.lang))
        self.screen_state = state
        if self.online:
            self.query_one(VerdictPanel).offline = ""
            self._status()

    def watch_screen_state(self, state: Screen) -> None:
        self.query_one(VerdictPanel).shown = state.current
        self.query_one(RefusalStrip).refusals = state.refusals
        self._arm(state)

    def _arm(self, state: Screen) -> None:
        # One timer, aimed at the first thing to go; a new tap rarely moves that earlier, so in a rush
        # the timer is not made again for every tap (its expiry sets the next one).
        due = state.next_change()
        if due is None or (self._timer is not None and self._timer_due <= due):
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer_due = due
        self._timer = self.set_timer(max(due - self.now(), 0.0) + 0.01, self._expire)

    def _expire(self) -> None:
        self._timer = None
        state = expire(self.screen_state, self.now())
        if state is self.screen_state:  # what it was aimed at went otherwise (the same child tapped again)
            self._arm(state)
        self.screen_state = state

    # -- painting --------------------------------------------------------------------------------

    def _paint_offline(self, words: str) -> None:
        self.query_one(VerdictPanel).offline = words
        self._status()

    def _status(self) -> None:
        served = sorted(self.readers)
        names = "、".join(self.places.get(r, r) for r in served) if served else t("kiosk.all_readers", self.lang)
        text = t("kiosk.readers", self.lang, readers=names)
        unknown = sorted(self.readers - self.known_readers) if self.known_readers is not None else []
        if unknown:  # a typo in --reader: this screen would stay empty without saying why
            text += "  ·  " + t("kiosk.unknown_reader", self.lang, readers="、".join(unknown))
        if not self.online and self.offline_since is not None:
            text += "  ·  " + t("kiosk.offline_since", self.lang, since=f"{self.offline_since:%H:%M:%S}")
        if text != self._status_text:  # an update lays the screen out again: not for every tap
            self._status_text = text
            self.query_one("#kiosk-status", Static).update(text)
