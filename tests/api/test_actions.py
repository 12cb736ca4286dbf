"""Manual actions as events with their actor, student search, and the sessions' reports and sign-off."""

from __future__ import annotations

import csv
import io
from typing import Any

from edge.cli.sample import SAMPLE_PIN
from edge.core.model import CardKind
from edge.core.pinyin import syllables
from hardware.reads import CardRead
from tests.api.conftest import Device, auth
from tests.api.requests import EVENING


async def act(device: Device, role: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = await device.client.post("/api/v1/actions", json=body, headers=auth(role) | {"Accept-Language": "en"})
    return response.status, await response.json()


async def stored(device: Device, seq: int) -> Any:
    return await device.service.recorder.query(lambda view: next(view.store.events(after=seq - 1, limit=1)))


def guardian_of(device: Device, student: str, may_pick_up: bool = True) -> str:
    return next(g.id for g in device.school.guardians.values() if student in g.children and g.may_pick_up == may_pick_up)


async def test_each_action_is_an_event_with_its_actor(device: Device) -> None:
    a, b, c, d = device.evening_students()[:4]
    cases = [
        ("teacher", {"type": "check_in", "student_id": a, "note": "forgot card"}, "check_in", "checked_in"),
        ("guard", {"type": "found", "student_id": b, "note": "in the library"}, "found", "found"),
        ("guard", {"type": "excuse", "student_id": c, "note": "called in sick"}, "excuse", "excused"),
        ("admin", {"type": "release", "student_id": a, "guardian_id": guardian_of(device, a)}, "release", "picked_up"),
        ("guard", {"type": "assign_card", "student_id": d, "uid": "de:ad:be:ef"}, "assign_card", "card_assigned"),
    ]
    for role, body, kind, outcome in cases:
        status, answer = await act(device, role, body)
        assert status == 201 and answer["accepted"] and answer["outcome"] == outcome, answer
        event = await stored(device, answer["event"]["seq"])
        assert (event.kind.value, event.outcome.value, event.actor) == (kind, outcome, f"{role}:{role}-1")
    assert event.card_uid == "DEADBEEF"  # the UID as the card sends it, whatever the separators typed
    clock = device.service.clock
    tapped = await device.service.handle(CardRead("gate-in", "DEADBEEF", clock.now(), clock.monotonic()))
    assert tapped is not None and tapped.subject == d and tapped.outcome.value == "on_campus"
    status, again = await act(device, "guard", {"type": "assign_card", "student_id": a, "uid": "DEADBEEF"})
    assert status == 422 and again["error"]["message"] == f"card DEADBEEF already belongs to {d}"


async def test_an_unauthorised_release_is_recorded_and_answered_plainly(device: Device) -> None:
    student = device.evening_students()[0]
    stranger = next(g for g in device.school.guardians.values() if student not in g.children and g.may_pick_up)
    clock = device.service.clock
    await device.service.handle(CardRead("gate-in", device.card_of(student), clock.now(), clock.monotonic()))
    status, answer = await act(device, "guard", {"type": "release", "student_id": student, "guardian_id": stranger.id})
    assert status == 201 and answer["accepted"] is False and answer["outcome"] == "unauthorised_pickup"
    assert "not authorised to pick up" in answer["message"] and stranger.name in answer["message"]
    event = await stored(device, answer["event"]["seq"])
    assert event.kind.value == "release" and event.actor == "guard:guard-1" and event.subject == stranger.id
    status, refused = await act(device, "guard", {"type": "release", "student_id": student, "guardian_id": "g-none"})
    assert status == 422 and refused["error"] == {"code": "action_refused", "message": "unknown guardian 'g-none'"}


async def search(device: Device, q: str) -> list[dict[str, Any]]:
    response = await device.client.get("/api/v1/students", params={"q": q}, headers=auth("guard"))
    assert response.status == 200
    return list((await response.json())["students"])


async def test_search_by_initials_pinyin_class_id_and_card(device: Device) -> None:
    target = device.school.students[device.evening_students()[0]]
    full = "".join(syllables(target.name))
    initials = "".join(s[0] for s in syllables(target.name))
    for q in (initials, full, full.upper(), target.name, target.id):
        assert target.id in [s["id"] for s in await search(device, q)], q
    zs = await search(device, "zs")
    assert zs and all("".join(s[0] for s in syllables(hit["name"])).startswith("zs") for hit in zs)
    in_class = await search(device, target.class_name)
    assert in_class and {s["class"] for s in in_class} == {target.class_name}
    card = device.card_of(target.id)
    by_card = await search(device, ":".join(card[i:i + 2] for i in range(0, len(card), 2)).lower())
    assert by_card[0]["id"] == target.id
    guardians = by_card[0]["guardians"]
    assert guardians and set(guardians[0]) == {"id", "name", "relation", "phone", "may_pick_up"}
    guardian_card = next(c.uid for c in device.school.cards.values() if c.kind is CardKind.GUARDIAN)
    assert [s["id"] for s in await search(device, guardian_card)] == []  # a parent's card finds no student


async def test_sessions_reports_in_three_formats_and_sign_off(device: Device) -> None:
    client = device.client
    listing = await (await client.get("/api/v1/sessions?date=2026-11-30", headers=auth("teacher"))).json()
    evening = next(s for s in listing["sessions"] if s["id"] == EVENING)
    assert evening["counts"]["enrolled"] > 0 and not evening["signed"] and "missing" in evening["counts"]
    as_json = await client.get(f"/api/v1/sessions/{EVENING}/report", headers=auth("guard"))
    report = await as_json.json()
    assert report["session"]["id"] == EVENING and report["counts"]["enrolled"] == evening["counts"]["enrolled"]
    as_csv = await client.get(f"/api/v1/sessions/{EVENING}/report?format=csv&lang=en", headers=auth("guard"))
    assert as_csv.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(await as_csv.text())))
    assert rows[0][0] == "session" and rows[1][0] == EVENING
    as_xlsx = await client.get(f"/api/v1/sessions/{EVENING}/report?format=xlsx", headers=auth("guard"))
    assert as_xlsx.headers["Content-Disposition"].endswith('.xlsx"') and (await as_xlsx.read())[:2] == b"PK"
    teacher = next(s for s in device.school.staff.values() if s.role.value == "duty_teacher")
    signed = await client.post(f"/api/v1/sessions/{EVENING}/report/sign", json={"staff_id": teacher.id, "pin": SAMPLE_PIN},
                               headers=auth("teacher"))  # fmt: skip
    answer = await signed.json()
    assert signed.status == 201 and answer["event"]["kind"] == "sign" and answer["event"]["actor"] == "teacher:teacher-1"
    after = await (await client.get(f"/api/v1/sessions/{EVENING}/report", headers=auth("teacher"))).json()
    assert after["signed"] and after["signed_by"] == teacher.id


async def test_a_past_day_is_reported_as_of_its_end(device: Device) -> None:
    listing = await (await device.client.get("/api/v1/sessions?date=2026-11-27", headers=auth("guard"))).json()
    evening = [s for s in listing["sessions"] if s["service_id"] == "evening"]
    assert evening and all(s["counts"]["not_yet_arrived"] == 0 for s in evening)
    assert all(s["counts"]["missing"] == s["counts"]["enrolled"] - s["counts"]["on_leave"] for s in evening)
