"""A child's page, her data exported whole and deleted on a guardian's request, the deletion recorded."""

from __future__ import annotations

import json

import pytest

from sync import datasets
from tests import pgstore
from tests.api.conftest import school
from tests.office.conftest import CLASS_A, Office

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

CHILD = next(s for s in sorted(school().students.values(), key=lambda s: s.id) if s.class_name == CLASS_A)
OTHER = next(s for s in school().students.values() if s.class_name == "一年级2班")


async def test_a_teacher_finds_and_opens_only_her_class(office: Office) -> None:
    teacher = await office.browser("teacher1a")
    status, body = await teacher.get(f"/office/children?q={CHILD.name}")
    assert status == 200 and f"/office/children/{CHILD.id}" in body
    status, body = await teacher.get("/office/children?q=一年级")
    assert CLASS_A in body and "一年级2班" not in body
    assert (await teacher.get(f"/office/children/{CHILD.id}"))[0] == 200
    status, body = await teacher.get(f"/office/children/{OTHER.id}")
    assert status == 403 and OTHER.name not in body
    assert (await teacher.get(f"/office/children/{CHILD.id}/export"))[0] == 403  # the office's, not hers


async def test_export_then_delete_on_request(office: Office) -> None:
    teacher, clerk = await office.browser("teacher1a"), await office.browser("office1")
    await teacher.get("/office/applications/new")
    await teacher.post("/office/applications", {"student": CHILD.id, "service": "clubs", "consent_by": "张敏",
                                                "consent_relation": "母亲", "consent_on": "2026-11-28"})  # fmt: skip
    response = await clerk.client.get(f"/office/children/{CHILD.id}/export")
    exported = json.loads(await response.text())
    assert exported["student"]["name"] == CHILD.name and exported["applications"][0]["consent_by"] == "张敏"
    assert exported["guardians"] and exported["cards"]
    await clerk.get(f"/office/children/{CHILD.id}")
    status, body = await clerk.post(
        f"/office/children/{CHILD.id}/delete", {"confirm": "wrong", "requested_by": "张敏"}
    )
    assert status == 422
    status, body = await clerk.post(f"/office/children/{CHILD.id}/delete",
                                    {"confirm": CHILD.id, "requested_by": "张敏", "reason": "转学"})  # fmt: skip
    assert status == 200 and f"{CHILD.id} 的信息已删除" in body

    def held(store: object) -> dict[str, object]:
        db = store.db  # type: ignore[attr-defined]
        return {
            name: json.loads(datasets.body(db, name, v.version)) for name, v in datasets.latest(db).items()
        }

    now = await office.school.writer.run(held)
    assert CHILD.id not in {s["id"] for s in now["students"]}  # type: ignore[attr-defined]
    assert all(CHILD.id not in g["children"] for g in now["guardians"])  # type: ignore[attr-defined]
    assert all(c["holder_id"] != CHILD.id for c in now["cards"])  # type: ignore[attr-defined]
    assert pgstore.rows(
        office.school.config.store, "SELECT COUNT(*) FROM office_applications WHERE student_id = ?", [CHILD.id]
    ) == [(0,)]
    audit = "SELECT what FROM audit WHERE what LIKE '%deleted_child%'"
    rows = [json.loads(w) for (w,) in pgstore.rows(office.school.config.store, audit)]
    assert rows == [{"deleted_child": CHILD.id, "requested_by": "张敏", "reason": "转学",
                     "removed": {"applications": 1, "leave_recorded": 0, "events": 0},
                     "versions": rows[0]["versions"]}]  # fmt: skip
    assert CHILD.name not in json.dumps(rows, ensure_ascii=False)
    assert (await clerk.get(f"/office/children/{CHILD.id}"))[0] == 404
