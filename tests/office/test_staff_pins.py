"""The office sets a teacher's signing PIN on the uploads page: it reaches the devices in the staff dataset as a salted hash only."""

from __future__ import annotations

import json

import pytest

from edge.core.codec import school_from_datasets
from edge.core.pins import pin_matches
from edge.files import settings
from sync import datasets
from tests import pgstore
from tests.office.conftest import Office
from tests.office.test_pages import audit_rows
from tests.office.test_uploads_more import held, upload_form

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

PIN = "73915284"  # 8 digits nothing else in the sample holds


def staff_row(office: Office, staff_id: str) -> dict[str, object]:
    return next(row for row in held(office)["staff"][1] if row["id"] == staff_id)


async def push_body(office: Office) -> bytes:
    """What the server PUTs to each device for the staff dataset's latest version."""
    version = held(office)["staff"][0]
    return await office.school.writer.run(lambda store: datasets.push_body(store.db, "staff", version))


async def test_a_pin_set_by_the_office_reaches_the_device_as_a_hash_only(office: Office) -> None:
    clerk = await office.browser("office1")
    status, page = await clerk.get("/office/uploads")
    assert status == 200 and 'action="/office/staff/t01/pin"' in page and "签字密码" in page
    before = held(office)["staff"][0]
    status, page = await clerk.post("/office/staff/t01/pin", {"pin": PIN})
    assert status == 200 and "已为 t01 设置签字密码" in page
    version, rows = held(office)["staff"]
    assert version == before + 1
    stored = str(staff_row(office, "t01")["pin_hash"])
    assert stored.startswith("pbkdf2_sha256$") and pin_matches(PIN, stored)
    body = await push_body(office)
    assert PIN.encode() not in body and stored.encode() in body
    for table in pgstore.tables(office.school.config.store):
        for row in pgstore.rows(office.school.config.store, f"SELECT * FROM {table}"):  # noqa: S608 - table names
            assert PIN not in repr(row), table
    assert any(json.loads(r["what"]).get("pin_set") == "t01" for r in audit_rows(office))
    # On the device: the pushed rows are the staff dataset, and the PIN signs with them.
    school = school_from_datasets({"staff": json.loads(body)["rows"]})
    assert pin_matches(PIN, school.staff["t01"].pin_hash)
    assert school.staff["t05"].pin_hash != stored


async def test_a_pin_that_is_not_4_to_8_digits_is_refused_and_nothing_is_stored(office: Office) -> None:
    clerk = await office.browser("office1")
    await clerk.get("/office/uploads")
    before = held(office)["staff"]
    for bad in ("123", "123456789", "12a4"):
        status, page = await clerk.post("/office/staff/t01/pin", {"pin": bad})
        assert status == 422 and "4–8 位数字" in page
    assert held(office)["staff"] == before


async def test_only_the_office_sets_pins(office: Office) -> None:
    teacher = await office.browser("duty301")
    await teacher.get("/office/day")
    status, _ = await teacher.post("/office/staff/t01/pin", {"pin": "1234"})
    assert status == 403


async def test_uploading_the_staff_file_again_keeps_the_pins(office: Office) -> None:
    clerk = await office.browser("office1")
    await clerk.get("/office/uploads")
    await clerk.post("/office/staff/t01/pin", {"pin": PIN})
    stored = staff_row(office, "t01")["pin_hash"]
    status, page = await clerk.post("/office/uploads", upload_form(clerk.csrf, "staff", "staff.csv", settings.sample_csv("staff")))
    assert status == 200, page
    assert staff_row(office, "t01")["pin_hash"] == stored
    assert "pin_hash" not in staff_row(office, "t07")  # a guard in the file, no PIN: the field is left out
