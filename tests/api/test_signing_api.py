"""Signing a report over the API: a console must show who signs (PIN or staff card), wrong PINs lock, the PIN is kept nowhere."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from edge.cli.sample import SAMPLE_PIN
from edge.core.pins import WRONG_LIMIT
from tests.api.conftest import Device, auth
from tests.tui.conftest import set_clock, tap

EVENING = "2026-11-30.evening.r301"
SIGN = f"/api/v1/sessions/{EVENING}/report/sign"
AFTER_HEADCOUNT = "2026-11-30T18:40:00+08:00"


def teacher(device: Device) -> str:
    return next(s.id for s in device.school.staff.values() if s.role.value == "duty_teacher")


async def sign(device: Device, body: dict[str, Any], role: str = "guard") -> tuple[int, dict[str, Any]]:
    response = await device.client.post(SIGN, json=body, headers=auth(role))
    return response.status, await response.json()


def refusal(body: dict[str, Any]) -> str:
    return str(body.get("refusal", {}).get("code", ""))


async def test_a_guard_signing_by_id_alone_is_refused_and_with_the_pin_signs(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    staff = teacher(device)
    status, body = await sign(device, {"staff_id": staff})
    assert (status, refusal(body)) == (422, "pin_required")
    status, body = await sign(device, {"staff_id": staff, "pin": SAMPLE_PIN})
    assert status == 201 and body["event"]["subject"] == staff and body["event"]["reason"] == "console_pin"


async def test_five_wrong_pins_lock_that_teachers_pin_until_ten_minutes_on(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    staff = teacher(device)
    answers = [await sign(device, {"staff_id": staff, "pin": "0000"}) for _ in range(WRONG_LIMIT)]
    assert [refusal(b) for _, b in answers] == ["pin_wrong"] * (WRONG_LIMIT - 1) + ["pin_locked"]
    assert answers[0][1]["refusal"]["left"] == str(WRONG_LIMIT - 1)
    assert answers[-1][1]["refusal"]["until"] == "18:50"
    status, body = await sign(device, {"staff_id": staff, "pin": SAMPLE_PIN})  # even the right one, while locked
    assert (status, refusal(body)) == (422, "pin_locked")
    await set_clock(device, "2026-11-30T18:51:00+08:00")
    status, _ = await sign(device, {"staff_id": staff, "pin": SAMPLE_PIN})
    assert status == 201


async def test_a_staff_cards_tap_is_the_proof_without_a_pin(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    card = next(c for c in device.school.cards.values() if c.kind.value == "staff")
    event = await tap(device, "gate-in", card.uid)
    assert event["outcome"] == "staff_on_duty"
    status, body = await sign(device, {"staff_id": card.holder_id, "card_event": event["uuid"]})
    assert status == 201 and body["event"]["reason"] == "console_staff_card"
    other = next(s.id for s in device.school.staff.values() if s.id != card.holder_id and s.role.value != "guard")
    status, body = await sign(device, {"staff_id": other, "card_event": event["uuid"]})  # someone else's tap
    assert (status, refusal(body)) == (422, "pin_required")


async def test_an_admin_token_the_office_pages_way_signs_as_before(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    status, body = await sign(device, {"staff_id": teacher(device)}, role="admin")
    assert status == 201 and body["event"]["reason"] == "console"


async def test_the_pin_is_in_no_event_no_audit_row_and_the_report_offers_signers_without_hashes(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    wrong = "97531864"  # 8 digits: no phone, card or time in the sample holds them
    await sign(device, {"staff_id": teacher(device), "pin": wrong})
    await sign(device, {"staff_id": teacher(device), "pin": SAMPLE_PIN})
    with sqlite3.connect(device.config.database) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608 - names from sqlite_master
                assert wrong not in repr(row), table
        signing = [json.loads(what) for (what,) in conn.execute("SELECT what FROM audit WHERE route LIKE '%sign'")]
        events = [json.loads(data) for (data,) in conn.execute("SELECT data FROM events WHERE kind = 'sign'")]
    assert signing and all(set(what) == {"session", "staff", "proof", "seq"} for what in signing)
    assert events == [{"session": EVENING}]
    report = await (await device.client.get(f"/api/v1/sessions/{EVENING}/report", headers=auth("guard"))).json()
    signers = report["signers"]
    assert signers and all(set(s) == {"id", "name", "role", "pin"} for s in signers)
    assert {s["role"] for s in signers} <= {"duty_teacher", "duty_leader"} and all(s["pin"] for s in signers)
