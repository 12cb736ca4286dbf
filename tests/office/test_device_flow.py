"""From the office's pages to a running device: an application through the four steps and the groups confirmed
enrol her on a real edge device (pushed by the real server); a leave recorded there excuses her at its head count."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests.api.conftest import TOKENS, school
from tests.office.conftest import CLASS_A, Browser, seed_store
from tests.sync.conftest import Edge, eventually, server_config, start_server

EVENING_CHILDREN = {e.student_id for e in school().enrolments if e.service_id == "evening"}
NEW_CHILD = next(s for s in sorted(school().students.values(), key=lambda s: s.id)
                 if s.class_name == CLASS_A and s.id not in EVENING_CHILDREN)  # fmt: skip


async def device_report(edge: Edge, session: str) -> dict[str, Any]:
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{edge.url}/api/v1/sessions/{session}/report",
            headers={"Authorization": f"Bearer {TOKENS['guard']}"},
        ) as answer,
    ):
        return dict(await answer.json())


async def test_applied_approved_arranged_enrolled_on_the_device_and_excused_by_leave(tmp_path: Path) -> None:
    edge = await Edge(tmp_path / "edge").start()
    config = server_config(tmp_path / "server", [("gate-1", edge.url)])
    seed_store(config.database)
    running = await start_server(config)
    clients: list[TestClient[Any, Any]] = []

    async def browser(username: str) -> Browser:
        client: TestClient[Any, Any] = TestClient(running.client.server)
        await client.start_server()
        clients.append(client)
        found = Browser(client)
        assert (await found.sign_in(username))[0] == 200
        return found

    try:
        teacher, clerk = await browser("teacher1a"), await browser("office1")
        await teacher.get("/office/applications/new")
        status, body = await teacher.post("/office/applications", {
            "student": NEW_CHILD.id, "service": "evening", "consent_by": "张敏", "consent_relation": "母亲",
            "consent_on": "2026-11-28"})  # fmt: skip
        assert status == 200, body
        app_id = re.search(r"申请 (\d+)", body).group(1)  # type: ignore[union-attr]
        await teacher.post(f"/office/applications/{app_id}/step", {"action": "class_approve"})
        await clerk.get(f"/office/applications/{app_id}")
        status, body = await clerk.post(f"/office/applications/{app_id}/step", {"action": "school_approve"})
        assert "学校复核通过" in body
        status, body = await clerk.get("/office/formation?service=evening")
        assert status == 200 and "拟分 1 组" in body
        fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
        status, body = await clerk.post("/office/formation/confirm", {
            "service": "evening", "fingerprint": fingerprint, "room.1": "r301", "teacher.1": "t01",
            "from": "2026-11-30", "to": "2027-07-05"})  # fmt: skip
        assert status == 200 and "已确认 1 组" in body, body[-800:]
        status, body = await teacher.get(f"/office/applications/{app_id}")
        assert "已统筹安排" in body and "301教室" in body

        async def enrolled() -> bool:
            found = await edge.service.recorder.query(lambda view: view.school.enrolments)
            return any(e.student_id == NEW_CHILD.id and e.service_id == "evening" and e.room_id == "r301"
                       for e in found)  # fmt: skip

        await eventually(enrolled, within=30, what="her enrolment on the device")
        session = "2026-11-30.evening.r301"
        report = await device_report(edge, session)
        expected = {
            line["id"] for key in ("missing", "not_yet_arrived", "present") for line in report.get(key, [])
        }
        assert NEW_CHILD.id in expected
        # The homeroom teacher records a leave: the device excuses her.
        await teacher.get("/office/leave")
        status, body = await teacher.post("/office/leave", {"student": NEW_CHILD.id, "from": "2026-11-30",
                                                            "service": "evening", "reason": "发烧"})  # fmt: skip
        assert status == 200

        async def excused() -> bool:
            report = await device_report(edge, session)
            return NEW_CHILD.id in {line["id"] for line in report.get("on_leave", [])}

        await eventually(excused, within=30, what="her leave in the device's zero report")
    finally:
        for client in clients:
            await client.session.close()
        await running.client.close()
        await edge.stop()


async def test_a_duty_teacher_signs_her_rooms_report_from_the_day_page(tmp_path: Path) -> None:
    edge = await Edge(tmp_path / "edge").start()
    config = server_config(tmp_path / "server", [("gate-1", edge.url)])
    seed_store(config.database)
    running = await start_server(config)
    clients: list[TestClient[Any, Any]] = []
    try:
        await eventually(lambda: running.school.device_for("r301") is not None, within=30,
                         what="the server learning the device's room readers")  # fmt: skip
        client: TestClient[Any, Any] = TestClient(running.client.server)
        await client.start_server()
        clients.append(client)
        teacher = Browser(client)
        assert (await teacher.sign_in("duty301"))[0] == 200
        status, body = await teacher.get("/office/day")
        offered = re.findall(r'name="session" value="([^"]+)"', body)
        assert status == 200 and offered and all(s.endswith(".r301") for s in offered)  # her room's only
        status, body = await teacher.post("/office/day/sign", {"session": "2026-11-30.evening.r302"})
        assert status == 403
        status, body = await teacher.post("/office/day/sign", {"session": "2026-11-30.evening.r301"})
        assert status == 200 and "已签 2026-11-30.evening.r301" in body, body[-1500:]

        async def signed() -> bool:
            report = await device_report(edge, "2026-11-30.evening.r301")
            return report.get("signed_by") == "t01"

        await eventually(signed, within=30, what="the signature on the device")

        async def shown() -> bool:
            return "胡娜静" in (await teacher.get("/office/day/table"))[1]

        await eventually(shown, within=30, what="the signature on the day page, pulled up from the device")
        rows = [r for r in audit_rows(config.database) if "2026-11-30.evening.r301" in r[1]]
        assert any(actor == "duty_teacher:duty301" for actor, _ in rows)
    finally:
        for found in clients:
            await found.session.close()
        await running.client.close()
        await edge.stop()


def audit_rows(database: Path) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(database) as conn:
        return list(conn.execute("SELECT actor, what FROM audit"))
