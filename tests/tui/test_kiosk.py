"""The students' screen (`rollcall kiosk`) against a real device on loopback: what a child sees after each tap."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import unused_port
from rich.console import Console
from textual.pilot import Pilot

from edge.core.model import CardStatus
from tests.api.conftest import TOKENS, Device, auth
from tests.tui.conftest import CONSOLE_NOW, room_of, start_device_on, tap, until, url_of
from tui.kiosk.app import KioskApp
from tui.kiosk.panel import RefusalStrip, VerdictPanel
from tui.kiosk.speech import Speaker


def kiosk(
    device: Device | str, lang: str = "zh", readers: Iterable[str] = (), hold: float = 60.0,
    speaker: Speaker | None = None,
) -> KioskApp:  # fmt: skip
    url = device if isinstance(device, str) else url_of(device)
    return KioskApp(url, TOKENS["guard"], lang, readers, hold, speaker, clock=lambda: CONSOLE_NOW)


@asynccontextmanager
async def running(app: KioskApp, size: tuple[int, int] = (60, 24)) -> AsyncIterator[Pilot[None]]:
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.online, "the kiosk to connect")
        yield pilot


def shown(app: KioskApp) -> str:
    """What the panel and the strip show, as text."""
    out = Console(width=60, record=True, file=io.StringIO())
    out.print(app.query_one(VerdictPanel).render())
    strip = app.query_one(RefusalStrip)
    if strip.display:
        out.print(strip.render())
    return out.export_text()


def name_of(device: Device, student: str) -> str:
    return device.school.students[student].name


async def test_a_child_at_the_gate_sees_her_name_and_a_tick_then_the_screen_is_ready_again(device: Device) -> None:
    student = device.evening_students()[0]
    app = kiosk(device, hold=0.6)
    async with running(app) as pilot:
        assert "请刷卡" in shown(app)
        await tap(device, "gate-in", device.card_of(student))
        panel = app.query_one(VerdictPanel)
        await until(pilot, lambda: panel.shown is not None, "the tap")
        text = shown(app)
        assert name_of(device, student) in text and "✓ 欢迎到校" in text and "██" in text
        assert panel.has_class("-ok") and not panel.has_class("-refused")
        await until(pilot, lambda: panel.shown is None, "the hold to end")
        assert "请刷卡" in shown(app) and not panel.has_class("-ok")


async def test_at_her_room_she_sees_checked_in(device: Device) -> None:
    student = device.evening_students()[0]
    app = kiosk(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", device.card_of(student))
        await tap(device, f"room-{room_of(device, student)}", device.card_of(student))
        await until(pilot, lambda: len(app.verdicts) == 2, "two taps")
        assert "✓ 已签到" in shown(app)


async def test_a_wrong_room_is_a_red_cross_saying_where_to_go(device: Device) -> None:
    student = device.evening_students()[0]
    wrong = next(r for r in device.school.rooms if r != room_of(device, student) and r.startswith("r3"))
    app = kiosk(device)
    async with running(app) as pilot:
        await tap(device, f"room-{wrong}", device.card_of(student))
        panel = app.query_one(VerdictPanel)
        await until(pilot, lambda: panel.shown is not None, "the refused tap")
        text = shown(app)
        assert "✗ 走错教室了" in text and name_of(device, student) in text
        assert f"应去 {device.school.rooms[room_of(device, student)].name}" in text
        assert panel.has_class("-refused")


async def test_an_unknown_card_sends_the_child_to_the_guard_and_shows_no_card_number(device: Device) -> None:
    app = kiosk(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", "0A0B0C0D")
        await until(pilot, lambda: bool(app.verdicts), "the unknown card")
        text = shown(app)
        assert "✗ 请到门卫室" in text and "未登记的卡" in text
        assert "0A0B0C0D" not in text


async def test_a_lost_card_says_so(device: Device) -> None:
    lost = next(c for c in device.school.cards.values() if c.status is CardStatus.LOST)
    app = kiosk(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", lost.uid)
        await until(pilot, lambda: bool(app.verdicts), "the lost card")
        text = shown(app)
        assert "✗ 此卡已挂失" in text and app.query_one(VerdictPanel).has_class("-refused")


async def test_a_burst_shows_the_latest_at_once_and_keeps_the_refused_child_below(device: Device) -> None:
    first, second, third = device.evening_students()[:3]
    wrong = next(r for r in device.school.rooms if r != room_of(device, first) and r.startswith("r3"))
    app = kiosk(device)
    async with running(app) as pilot:
        taps = [{"reader_id": f"room-{wrong}", "uid": device.card_of(first)},
                {"reader_id": "gate-in", "uid": device.card_of(second)},
                {"reader_id": "gate-in", "uid": device.card_of(third)}]  # fmt: skip
        response = await device.client.post("/api/v1/sim/taps", json=taps, headers=auth("sim"))
        assert response.status == 201
        await until(pilot, lambda: len(app.verdicts) == 3, "three taps")
        state = app.screen_state
        assert state.current is not None and state.current.verdict.name == name_of(device, third)
        assert [r.verdict.name for r in state.refusals] == [name_of(device, first)]
        await pilot.pause()
        text = shown(app)
        assert name_of(device, third) in text and "也请到门卫室" in text and name_of(device, first) in text
        assert app.query_one(RefusalStrip).display


async def test_after_a_burst_everything_goes_in_its_time_even_when_a_child_taps_again(device: Device) -> None:
    first, second = device.evening_students()[:2]
    wrong = next(r for r in device.school.rooms if r != room_of(device, first) and r.startswith("r3"))
    app = kiosk(device, hold=1.0)
    async with running(app) as pilot:
        taps = [{"reader_id": f"room-{wrong}", "uid": device.card_of(first)},
                {"reader_id": "gate-in", "uid": device.card_of(second)}]  # fmt: skip
        assert (await device.client.post("/api/v1/sim/taps", json=taps, headers=auth("sim"))).status == 201
        await until(pilot, lambda: len(app.screen_state.refusals) == 1, "the refusal in the strip")
        await tap(device, "gate-in", device.card_of(first))  # she tries again: her new tap replaces her line
        await until(pilot, lambda: len(app.verdicts) == 3, "her second tap")
        assert app.screen_state.refusals == ()
        panel = app.query_one(VerdictPanel)
        await until(pilot, lambda: panel.shown is None and not app.query_one(RefusalStrip).display, "the screen to clear")
        assert "请刷卡" in shown(app)


async def test_only_the_readers_it_serves(device: Device) -> None:
    student = device.evening_students()[0]
    app = kiosk(device, readers=["gate-in"])
    async with running(app) as pilot:
        await tap(device, f"room-{room_of(device, student)}", device.card_of(student))
        await tap(device, "gate-in", device.card_of(device.evening_students()[1]))
        await until(pilot, lambda: bool(app.verdicts), "the gate's tap")
        await pilot.pause(0.2)
        assert [v.name for v in app.verdicts] == [name_of(device, device.evening_students()[1])]
        assert "设备上没有读卡器" not in str(app.query_one("#kiosk-status").render())


async def test_the_readers_go_by_the_names_the_device_gives_them_and_a_wrong_id_is_said(device: Device) -> None:
    response = await device.client.get("/api/v1/health", headers=auth("guard"))
    names = {r["id"]: r.get("name") or r["id"] for r in (await response.json())["readers"]}
    app = kiosk(device, readers=["gate-in", "gate-inn"])
    async with running(app) as pilot:
        status = app.query_one("#kiosk-status")
        await until(pilot, lambda: app.known_readers is not None, "the readers' names")
        await pilot.pause()
        text = str(status.render())
        assert names["gate-in"] in text and "设备上没有读卡器 gate-inn" in text
        await tap(device, "gate-in", device.card_of(device.evening_students()[0]))
        await until(pilot, lambda: bool(app.verdicts), "the tap")
        assert app.verdicts[-1].place == names["gate-in"]


async def test_taps_before_it_connected_are_not_shown(device: Device) -> None:
    await tap(device, "gate-in", device.card_of(device.evening_students()[0]))
    app = kiosk(device)
    async with running(app) as pilot:
        await pilot.pause(0.2)
        assert list(app.verdicts) == [] and "请刷卡" in shown(app)


async def test_offline_says_connection_lost_and_it_comes_back_by_itself(tmp_path: Path) -> None:
    port = unused_port()
    app = kiosk(f"http://127.0.0.1:{port}")
    async with app.run_test(size=(60, 24)) as pilot:
        panel = app.query_one(VerdictPanel)
        await until(pilot, lambda: app.offline_since is not None, "the first failed connection")
        assert "连接中断" in shown(app) and panel.has_class("-offline")
        assert "18:20:00" in str(app.query_one("#kiosk-status").render())
        device = await start_device_on(tmp_path, port)
        try:
            await until(pilot, lambda: app.online, "the reconnection", seconds=15)
            assert "请刷卡" in shown(app) and not panel.has_class("-offline")
            await tap(device, "gate-in", device.card_of(device.evening_students()[0]))
            await until(pilot, lambda: bool(app.verdicts), "a tap after reconnecting")
        finally:
            await device.client.close()


async def test_in_english(device: Device) -> None:
    student = device.evening_students()[0]
    app = kiosk(device, lang="en")
    async with running(app) as pilot:
        assert "Please tap your card" in shown(app)
        await tap(device, "gate-in", device.card_of(student))
        await tap(device, "gate-in", "0A0B0C0D")
        await until(pilot, lambda: len(app.verdicts) == 2, "two taps")
        text = shown(app)
        assert "✗ Please see the guard" in text and "Card not registered" in text
        assert "Also see the guard" not in text  # a refusal that came last is on the panel, not the strip
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)


ESPEAK = shutil.which("espeak-ng")


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
async def test_spoken_feedback_is_real_audio_and_the_screen_does_not_wait_for_it(
    device: Device, tmp_path: Path
) -> None:
    student = device.evening_students()[0]
    speaker = Speaker("zh", wav_dir=tmp_path)
    app = kiosk(device, speaker=speaker)
    async with running(app) as pilot:
        await tap(device, "gate-in", device.card_of(student))
        await until(pilot, lambda: bool(app.verdicts), "the tap")
        assert speaker.spoken == [f"{name_of(device, student)},欢迎到校"]
        await speaker.idle()
    wav = (tmp_path / "0001.wav").read_bytes()
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    channels, rate = struct.unpack("<HI", wav[22:28])
    data = wav.index(b"data")
    samples = wav[data + 8 :]
    assert channels == 1 and rate > 8000
    assert len(samples) / 2 / rate > 0.5  # over half a second of speech
    assert max(abs(v) for (v,) in struct.iter_unpack("<h", samples[: len(samples) // 2 * 2])) > 1000  # not silence


def test_the_command_line_refuses_a_bad_hold_in_one_line() -> None:
    result = subprocess.run([sys.executable, "-m", "edge.cli", "kiosk", "--hold", "0"], capture_output=True,
                            text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 2
    assert "--hold: must be from 0.5 to 60 seconds, not 0" in result.stderr and "Traceback" not in result.stderr


def screen_text(app: KioskApp) -> str:
    """The whole screen as drawn, cropped to its size (what export_screenshot draws, as text)."""
    width, height = app.size
    out = Console(width=width, height=height, file=io.StringIO(), record=True, force_terminal=True)
    out.print(app.screen._compositor.render_update(full=True))
    return out.export_text()


@pytest.mark.parametrize("size", [(34, 13), (50, 20), (100, 40)])
async def test_the_words_are_whole_at_every_size_a_kiosk_font_gives(device: Device, size: tuple[int, int]) -> None:
    """34×13: size 36 on a 1280×720 screen (foot-student.ini); the shape shrinks, the words never go."""
    student, other = device.evening_students()[:2]
    wrong = next(r for r in device.school.rooms if r != room_of(device, student) and r.startswith("r3"))
    app = kiosk(device)
    async with running(app, size=size) as pilot:
        await tap(device, f"room-{wrong}", device.card_of(student))
        await tap(device, "gate-in", device.card_of(other))
        await until(pilot, lambda: len(app.verdicts) == 2, "two taps")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert name_of(device, other) in text and "✓ 欢迎到校" in text
        assert f"也请到门卫室: {name_of(device, student)}" in text
        assert ("██" in text) == (size[1] >= 20)  # the big shape where there is room for it


def test_the_styles_are_installed_with_the_program() -> None:
    """A wheel carries only the data files pyproject names: without its .tcss neither screen starts on a Pi."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["tui"]
    styles = [str(p.relative_to(root / "tui")) for p in (root / "tui").rglob("*.tcss")]
    assert "kiosk/kiosk.tcss" in styles and "guard.tcss" in styles
    assert [s for s in styles if not any(fnmatch.fnmatch(s, p) for p in patterns)] == []
