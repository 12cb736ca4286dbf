"""Signing at the console (F5, S): the teacher is chosen by name and gives their PIN (or taps their card); a report
with children missing asks "sign with N missing?" first; the device's refusals are said in Chinese."""

from __future__ import annotations

from textual.widgets import Input, Label, OptionList

from edge.cli.sample import SAMPLE_PIN
from tests.api.conftest import Device, auth
from tests.tui.conftest import arrive, console, running, set_clock, tap, until
from tests.tui.test_report_and_devices import AFTER_HEADCOUNT, evening_row, on_report_screen
from tui.app import GuardApp
from tui.screens.confirm_dialog import ConfirmDialog
from tui.screens.sign_dialog import SignDialog

R302 = "2026-11-30.evening.r302"


async def signed_by(device: Device) -> dict[str, str]:
    sessions = (await (await device.client.get("/api/v1/sessions", headers=auth("guard"))).json())["sessions"]
    return {s["id"]: s["signed_by"] for s in sessions if s["signed"]}


def notes(app: GuardApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def open_sign_dialog(device: Device, app: GuardApp, pilot: object, session_id: str) -> SignDialog:
    screen = await on_report_screen(device, app, pilot)
    await evening_row(pilot, screen, session_id)
    await pilot.press("s")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, SignDialog), "the sign dialog")  # type: ignore[arg-type]
    dialog = app.screen
    assert isinstance(dialog, SignDialog)
    signers = dialog.query_one("#signer", OptionList)
    await until(pilot, lambda: signers.option_count > 0 and signers.has_focus, "the signers listed")  # type: ignore[arg-type]
    return dialog


async def test_the_signer_is_chosen_by_name_and_asked_for_a_pin(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device)
    async with running(app) as pilot:
        dialog = await open_sign_dialog(device, app, pilot, R302)
        names = [str(dialog.query_one("#signer", OptionList).get_option_at_index(i).prompt)
                 for i in range(dialog.query_one("#signer", OptionList).option_count)]  # fmt: skip
        teachers = sorted(s.name for s in device.school.staff.values() if s.role.value != "guard")
        assert names == teachers  # by name, not by id
        pin = dialog.query_one("#pin", Input)
        assert pin.password
        await pilot.press("enter")  # the first teacher
        assert pin.has_focus
        await pilot.press(*SAMPLE_PIN)
        assert SAMPLE_PIN not in str(dialog.query_one("#pin", Input).render())  # shown as dots
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        missing = next(s for s in app.board.sessions if s.id == R302).count("missing")
        assert missing > 0
        question = app.screen.query_one("#question", Label)
        assert str(question.render()) == f"有 {missing} 名学生缺勤未找到,仍要签字吗?"
        await pilot.press("enter")
        await until(pilot, lambda: any(s.signed for s in app.board.sessions), "the signature")
    first = min((s for s in device.school.staff.values() if s.role.value != "guard"), key=lambda s: (s.name, s.id))
    assert await signed_by(device) == {R302: first.id}


async def test_escape_at_the_question_signs_nothing(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device)
    async with running(app) as pilot:
        await open_sign_dialog(device, app, pilot, R302)
        await pilot.press("enter", *SAMPLE_PIN, "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await pilot.press("escape")
        await pilot.pause(0.3)
    assert await signed_by(device) == {}


async def test_a_wrong_pin_is_refused_in_chinese_and_nothing_is_signed(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device)
    async with running(app) as pilot:
        await open_sign_dialog(device, app, pilot, R302)
        await pilot.press("enter", *"0000", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await pilot.press("enter")
        await until(pilot, lambda: "签字密码不对" in notes(app), "the refusal")
        assert "还可再试 4 次" in notes(app) and "wrong PIN" not in notes(app)
    assert await signed_by(device) == {}


async def test_a_clean_report_is_signed_without_the_question(device: Device) -> None:
    r301 = [s for s in device.evening_students() if device.school.enrolments and any(
        e.student_id == s and e.room_id == "r301" and e.service_id == "evening" for e in device.school.enrolments)]
    await arrive(device, r301)
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device)
    async with running(app) as pilot:
        await until(pilot, lambda: any(s.id.endswith("r301") and s.clean for s in app.board.sessions), "a clean room")
        await open_sign_dialog(device, app, pilot, "2026-11-30.evening.r301")
        await pilot.press("enter", *SAMPLE_PIN, "enter")
        await until(pilot, lambda: any(s.signed for s in app.board.sessions), "the signature")
        assert not isinstance(app.screen, ConfirmDialog)
    assert set(await signed_by(device)) == {"2026-11-30.evening.r301"}


async def test_a_staff_card_tapped_signs_after_the_question_without_a_pin(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    card = next(c for c in device.school.cards.values() if c.kind.value == "staff")
    app = console(device)
    async with running(app) as pilot:
        await open_sign_dialog(device, app, pilot, R302)
        await tap(device, "gate-in", card.uid)
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await pilot.press("enter")
        await until(pilot, lambda: any(s.signed for s in app.board.sessions), "the signature")
    assert await signed_by(device) == {R302: card.holder_id}
