"""The formation page: the proposal, the office's moves and rooms, over-capacity refused unless allowed, and the
confirmed enrolments (placed children replaced, withdrawn ones dropped, everyone else kept)."""

from __future__ import annotations

import json
import re

import pytest

from sync import datasets
from tests import pgstore
from tests.api.conftest import school
from tests.office.conftest import CLASS_A, Browser, Office

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

PUPILS = sorted((s for s in school().students.values() if s.class_name == CLASS_A), key=lambda s: s.id)
CONSENT = {"consent_by": "张敏", "consent_relation": "母亲", "consent_on": "2026-11-28"}


async def approved(
    office: Office, teacher: Browser, clerk: Browser, pupils: list[str], service: str
) -> list[int]:
    made = []
    for pupil in pupils:
        await teacher.get("/office/applications/new")
        _, body = await teacher.post(
            "/office/applications", {"student": pupil, "service": service, **CONSENT}
        )
        app_id = int(re.search(r"申请 (\d+)", body).group(1))  # type: ignore[union-attr]
        await teacher.post(f"/office/applications/{app_id}/step", {"action": "class_approve"})
        await clerk.get(f"/office/applications/{app_id}")
        await clerk.post(f"/office/applications/{app_id}/step", {"action": "school_approve"})
        made.append(app_id)
    return made


async def enrolments(office: Office) -> list[dict[str, str]]:
    def read(store: object) -> list[dict[str, str]]:
        db = store.db  # type: ignore[attr-defined]
        return list(json.loads(datasets.body(db, "enrolments", datasets.latest(db)["enrolments"].version)))

    return await office.school.writer.run(read)


async def test_moves_rooms_capacity_and_withdrawal(office: Office) -> None:
    teacher, clerk = await office.browser("teacher1a"), await office.browser("office1")
    await clerk.get("/office/services")
    await clerk.post("/office/services", {"room.r303": "2"})
    ids = await approved(office, teacher, clerk, [p.id for p in PUPILS[:3]], "clubs")
    before = [e for e in await enrolments(office) if e["service_id"] != "clubs"]
    status, body = await clerk.get("/office/formation?service=clubs")
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    form = {
        "service": "clubs",
        "fingerprint": fingerprint,
        "room.1": "r303",
        "from": "2026-12-01",
        "to": "2027-01-20",
    }
    status, body = await clerk.post("/office/formation/confirm", form)
    assert status == 422 and "超出教室容量" in body  # three in a room for two
    status, body = await clerk.post("/office/formation/confirm", form | {"moves": "s9999 1"})
    assert status == 422 and "调整第 1 行" in body
    status, body = await clerk.post("/office/formation/confirm", form | {"over_capacity": "yes"})
    assert status == 200 and "已确认 1 组" in body
    clubs = [e for e in await enrolments(office) if e["service_id"] == "clubs"]
    ours = {e["student_id"]: e for e in clubs if e["student_id"] in {p.id for p in PUPILS[:3]}}
    assert set(ours) == {p.id for p in PUPILS[:3]}
    assert {(e["room_id"], e["valid_from"], e["valid_to"]) for e in ours.values()} == {
        ("r303", "2026-12-01", "2027-01-20")
    }
    assert [e for e in await enrolments(office) if e["service_id"] != "clubs"] == before  # the rest stay
    assert {s for (s,) in pgstore.rows(office.school.config.store, "SELECT state FROM office_applications")} == {
        "arranged"
    }
    # A family withdraws; the next confirmation drops her enrolment and keeps the others.
    await teacher.get(f"/office/applications/{ids[0]}")
    await teacher.post(f"/office/applications/{ids[0]}/step", {"action": "withdraw", "reason": "搬家"})
    status, body = await clerk.get("/office/formation?service=clubs")
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    stale = form | {"fingerprint": "0" * 16, "over_capacity": "yes"}
    assert (await clerk.post("/office/formation/confirm", stale))[0] == 409  # the applications changed since
    status, body = await clerk.post("/office/formation/confirm", form | {"fingerprint": fingerprint})
    assert status == 200
    clubs = {e["student_id"] for e in await enrolments(office) if e["service_id"] == "clubs"}
    assert PUPILS[0].id not in clubs and {PUPILS[1].id, PUPILS[2].id} <= clubs
