"""The Chinese console through the demo's whole day shows no English word: only names, times, ids, keys and units.

The demo's script (edge/cli/demo_script.py) plays the sample school's day into the device: midday
care, evening study, the missing child, the calls, leave, pickups, an unknown card. At moments of
the day every screen is rendered as the guard would see it, and its text is searched for ASCII words.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from textual.pilot import Pilot

from edge.cli.demo import TIMEZONE, _decider
from edge.cli.demo_script import Tap, script_day
from edge.cli.sample import sample_school
from edge.core.codec import school_to_datasets
from hardware.reads import CardRead
from tests.api.conftest import Device
from tests.tui.conftest import console, running
from tests.tui.snapshots import render
from tui.app import GuardApp

DAY = date(2026, 11, 30)  # a Monday with midday care and evening study
MOMENTS = ((12, 40), (18, 32), (19, 42))  # midday care under way; after the evening head count; the pickup rush
SCREENS = ("f1", "f2", "f3", "f4", "f5", "f6", "f7")
# What may be ASCII in a Chinese screen: key names, units of size, card numbers in hex, ids (a
# student's s0103, the device's gate-1 from its configuration) and what the guard types: the search
# box's hint shows initials as they are typed (如 zs).
ALLOWED = re.compile(r"^(F[1-9]|F1[0-2]|Esc|Enter|Ctrl|Tab|[A-Z]|GB|MB|KB)$|^[0-9A-F]{8,}$|^[a-z]+-?[0-9]+$|^zs$")
WORD = re.compile(r"(?<![\w-])[\w-]*[A-Za-z][\w-]*")  # a run of ASCII letters, digits and dashes


async def screens_text(app: GuardApp, pilot: Pilot[None]) -> dict[str, str]:
    seen = {}
    for key in SCREENS:
        await pilot.press(key)
        await pilot.pause(0.3)
        seen[key] = render(app)[1]  # type: ignore[arg-type]
    return seen


def english_words(text: str) -> set[str]:
    ascii_only = re.sub(r"[^\x00-\x7f]", " ", text)  # Chinese characters end a word
    return {word for word in WORD.findall(ascii_only) if not ALLOWED.match(word)}


async def test_the_chinese_console_through_a_whole_demo_day_shows_no_english_word(device: Device) -> None:
    day = script_day(sample_school(1), DAY, TIMEZONE, seed=1)
    service, recorder = device.service, device.service.recorder
    await recorder.install_datasets(school_to_datasets(day.school), version=2)  # the day's leave and cards
    clock = service.clock
    clock.set(day.start - timedelta(minutes=25))  # type: ignore[attr-defined]
    steps = sorted(day.steps, key=lambda s: s.at)
    app = console(device)
    found: dict[str, set[str]] = {}
    async with running(app, size=(100, 30)) as pilot:
        for hour, minute in MOMENTS:
            until = datetime.combine(DAY, datetime.min.time(), TIMEZONE).replace(hour=hour, minute=minute)
            while steps and steps[0].at <= until:
                step = steps.pop(0)
                clock.set(max(step.at, clock.now()))  # type: ignore[attr-defined]
                if isinstance(step, Tap):
                    await service.handle(CardRead(step.reader_id, step.uid, clock.now(), clock.monotonic()))
                else:
                    service.record(await recorder.act(_decider(step), clock.now(), step.actor))
            clock.set(until)  # type: ignore[attr-defined]
            await service.tick(clock.now())
            await pilot.pause(1.2)  # the console reads sessions and alerts again after news
            for key, text in (await screens_text(app, pilot)).items():
                if words := english_words(text):
                    found[f"{hour:02d}:{minute:02d} {key}"] = words
    assert found == {}
