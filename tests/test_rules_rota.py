"""Tests a staff card at a room door against the duty rota (edge.core.duty): one row per verdict, the rota's
dataset validation, the unsigned report's escalation, and that the device agrees with the office's rota core."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from edge.core.codec import DatasetError, school_from_datasets, school_to_datasets, to_plain
from edge.core.duty import Duty, DutyRole, DutyRota, check_at_door, duty_from_row, escalation
from edge.core.feed import describe
from edge.core.model import Card, CardKind, Event, EventKind, Outcome, School, Staff, StaffRole
from edge.core.rules import Decision
from edge.device.boot import SimBoot
from edge.device.recorder import Recorder
from sync.office import rota as office_rota
from sync.office.rota_store import device_rows
from tests.school import DAY, LI_CARD, R1_SESSION, R2_SESSION, READERS, SCHOOL, TZ, WANG_CARD, Story, at

ZHAO_CARD, QIAN_CARD, SHEN_CARD = "C3000010", "C3000011", "C3000012"
TUESDAY = date(2026, 12, 1)  # no duties in the rotas below: the rota does not speak for it
NAMES = {"t-li": "李老师", "t-zhao": "赵老师", "t-qian": "钱老师", "l-shen": "沈校长", "g-wang": "王师傅"}


def duty(role: DutyRole, who: str, room: str = "", covers: str = "") -> Duty:
    return Duty(DAY, role, who, NAMES[who], "evening" if room else "", room, covers, NAMES.get(covers, ""))


MONDAY = (
    duty(DutyRole.LEADER, "l-shen"),
    duty(DutyRole.GUARD, "g-wang"),
    duty(DutyRole.TEACHER, "t-li", "r1"),
    duty(DutyRole.TEACHER, "t-zhao", "r2"),
)
# 代班: 赵老师 takes 李老师's room; 钱老师 takes 赵老师's.
COVERED = (
    *MONDAY[:2],
    duty(DutyRole.TEACHER, "t-zhao", "r1", covers="t-li"),
    duty(DutyRole.TEACHER, "t-qian", "r2", covers="t-zhao"),
)


def school_with(duties: tuple[Duty, ...] | None) -> School:
    staff = (
        Staff("t-zhao", "赵老师", StaffRole.DUTY_TEACHER),
        Staff("t-qian", "钱老师", StaffRole.DUTY_TEACHER),
        Staff("l-shen", "沈校长", StaffRole.DUTY_LEADER),
    )
    cards = (Card(ZHAO_CARD, CardKind.STAFF, "t-zhao"), Card(QIAN_CARD, CardKind.STAFF, "t-qian"),
             Card(SHEN_CARD, CardKind.STAFF, "l-shen"))  # fmt: skip
    return replace(
        SCHOOL,
        staff={**SCHOOL.staff, **{s.id: s for s in staff}},
        cards={**SCHOOL.cards, **{c.uid: c for c in cards}},
        rota=DutyRota(duties) if duties is not None else None,
    )


WITH_ROTA, WITH_COVER, WITHOUT_ROTA = school_with(MONDAY), school_with(COVERED), school_with(None)


@dataclass(frozen=True)
class DoorCase:
    school: School
    reader: str
    uid: str
    now: datetime
    outcome: Outcome
    reason: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)


NOT_ON_DUTY = Outcome.STAFF_NOT_ON_DUTY
DOOR_CASES = {
    "on_duty_teacher_signs_her_room": DoorCase(
        WITH_ROTA, "room-r1", LI_CARD, at(18, 25), Outcome.REPORT_SIGNED, "staff_card", "t-li", {"session": R1_SESSION},
    ),
    "on_duty_before_headcount_as_before": DoorCase(
        WITH_ROTA, "room-r1", LI_CARD, at(18, 0), Outcome.STAFF_ON_DUTY, "headcount_not_due", "t-li",
    ),
    "duty_leader_allowed_in_every_room": DoorCase(
        WITH_ROTA, "room-r2", SHEN_CARD, at(18, 30), Outcome.REPORT_SIGNED, "staff_card", "l-shen",
        {"session": R2_SESSION},
    ),
    "teacher_of_another_room_names_where_she_should_be": DoorCase(
        WITH_ROTA, "room-r2", LI_CARD, at(18, 25), NOT_ON_DUTY, "rota_elsewhere", "t-li",
        {"session": R2_SESSION, "name": "李老师", "on_duty": "赵老师", "room": "r1", "service": "evening"},
    ),
    "not_on_duty_today_names_who_is": DoorCase(
        WITH_ROTA, "room-r1", QIAN_CARD, at(18, 25), NOT_ON_DUTY, "rota_off_duty", "t-qian",
        {"session": R1_SESSION, "name": "钱老师", "on_duty": "李老师"},
    ),
    "guard_belongs_at_the_gate": DoorCase(
        WITH_ROTA, "room-r1", WANG_CARD, at(18, 25), NOT_ON_DUTY, "rota_guard", "g-wang",
        {"session": R1_SESSION, "name": "王师傅", "on_duty": "李老师"},
    ),
    "before_the_session_checks_the_coming_one": DoorCase(
        WITH_ROTA, "room-r2", LI_CARD, at(17, 30), NOT_ON_DUTY, "rota_elsewhere", "t-li",
        {"session": R2_SESSION, "name": "李老师", "on_duty": "赵老师", "room": "r1", "service": "evening"},
    ),
    "covered_teacher_is_told_who_covers": DoorCase(
        WITH_COVER, "room-r1", LI_CARD, at(18, 25), NOT_ON_DUTY, "rota_covered", "t-li",
        {"session": R1_SESSION, "name": "李老师", "on_duty": "赵老师", "by": "赵老师"},
    ),
    "covering_teacher_signs": DoorCase(
        WITH_COVER, "room-r1", ZHAO_CARD, at(18, 25), Outcome.REPORT_SIGNED, "staff_card", "t-zhao",
        {"session": R1_SESSION},
    ),
    "second_cover_signs_too": DoorCase(
        WITH_COVER, "room-r2", QIAN_CARD, at(18, 25), Outcome.REPORT_SIGNED, "staff_card", "t-qian",
        {"session": R2_SESSION},
    ),
    "gate_is_never_checked_against_rooms": DoorCase(
        WITH_ROTA, "gate-in", QIAN_CARD, at(18, 25), Outcome.STAFF_ON_DUTY, "", "t-qian",
    ),
    "a_day_without_duties_decides_as_before": DoorCase(
        WITH_ROTA, "room-r2", LI_CARD, at(18, 25, TUESDAY), Outcome.REPORT_SIGNED, "staff_card", "t-li",
        {"session": f"{TUESDAY.isoformat()}.evening.r2"},
    ),
    "no_rota_installed_anyone_signs_as_today": DoorCase(
        WITHOUT_ROTA, "room-r2", LI_CARD, at(18, 25), Outcome.REPORT_SIGNED, "staff_card", "t-li",
        {"session": R2_SESSION},
    ),
    "no_rota_installed_guard_on_duty_as_today": DoorCase(
        WITHOUT_ROTA, "room-r1", WANG_CARD, at(18, 25), Outcome.STAFF_ON_DUTY, "", "g-wang",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", DOOR_CASES.values(), ids=DOOR_CASES.keys())
def test_staff_card_at_a_door(case: DoorCase) -> None:
    decision = Story(school=case.school).tap(case.reader, case.uid, case.now)

    assert decision == Decision(case.outcome, case.reason, case.subject, case.data)


def test_refusal_is_denied_and_says_why_in_both_languages() -> None:
    story = Story(school=WITH_ROTA)
    story.tap("room-r2", LI_CARD, at(18, 25))
    event = story.events[-1]

    assert event.kind is EventKind.TAP
    assert "✗ 不在本场值班" in describe(event, WITH_ROTA, "zh")
    assert "李老师 本场应在 301教室,此处值班:赵老师" in describe(event, WITH_ROTA, "zh")
    assert "李老师 is on duty in 301教室 this session; here: 赵老师" in describe(event, WITH_ROTA, "en")
    assert R2_SESSION not in story.state.signoffs  # refused: her card signed nothing


def test_covered_refusal_text() -> None:
    story = Story(school=WITH_COVER)
    story.tap("room-r1", LI_CARD, at(18, 25))

    assert describe(story.events[-1], WITH_COVER, "zh").endswith("李老师 今日已由 赵老师 代班")


# -- the dataset -------------------------------------------------------------------------------


def row(**changes: Any) -> dict[str, Any]:
    base = {"day": "2026-11-30", "role": "teacher", "staff_id": "t-li", "name": "李老师", "service_id": "evening",
            "room_id": "r1", "covers": "", "covers_name": "", "external": False}  # fmt: skip
    return {k: v for k, v in (base | changes).items() if v is not None}


def test_rota_dataset_round_trip() -> None:
    school = school_from_datasets({"rota": [row(), row(role="leader", staff_id="l-shen", name="沈校长",
                                                     service_id="", room_id="")]})  # fmt: skip

    assert school.rota is not None
    assert [d.staff_id for d in school.rota.on(DAY)] == ["t-li", "l-shen"]
    assert school_from_datasets({}).rota is None
    assert school_from_datasets({"rota": []}).rota is None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(staff_id=None), "rota row 1: missing field 'staff_id'"),
        (row(role="janitor"), "rota row 1: 'janitor' is not a valid DutyRole"),
        (row(day="30.11.2026"), "rota row 1: Invalid isoformat string: '30.11.2026'"),
        (row(name=7), "rota row 1: field 'name': expected text, got 7"),
        (row(shift="night"), "rota row 1: unknown field 'shift'"),
    ],
)
def test_a_bad_rota_row_is_refused_naming_row_and_field(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(DatasetError) as refused:
        school_from_datasets({"rota": [row(), bad][1:]})

    assert str(refused.value) == message


def test_escalation_names_the_days_leaders() -> None:
    assert escalation(WITH_ROTA.rota, DAY) == {"leaders": [{"staff_id": "l-shen", "name": "沈校长"}]}
    assert escalation(WITH_ROTA.rota, TUESDAY) == {}
    assert escalation(None, DAY) == {}


def test_unsigned_report_alert_escalates_to_leaders_on_a_device(tmp_path: Path) -> None:
    """The recorder adds the leaders to the report_unsigned alert's data (the rest of it unchanged)."""

    async def run() -> list[Event]:
        recorder = Recorder(tmp_path / "edge.db", "edge-1", TZ, READERS, SimBoot())
        await recorder.open()
        try:
            sets = school_to_datasets(WITH_ROTA) | {"rota": [to_plain(d) for d in MONDAY]}
            await recorder.install_datasets(sets, 1)
            return await recorder.raise_alerts(at(18, 50))
        finally:
            await recorder.close()

    unsigned = [e for e in asyncio.run(run()) if e.reason == "report_unsigned"]

    assert {e.data["session"] for e in unsigned} == {R1_SESSION, R2_SESSION}
    assert all(e.data["leaders"] == [{"staff_id": "l-shen", "name": "沈校长"}] for e in unsigned)
    assert all(e.data["key"] == f"report_unsigned:{e.data['session']}:" for e in unsigned)


# -- the device agrees with the office's rota core ----------------------------------------------

OFFICE_CODE = {
    "rota.allowed.leader": "rota_leader", "rota.allowed.teacher": "rota_teacher",
    "rota.refused.off_duty": "rota_off_duty", "rota.refused.covered": "rota_covered",
    "rota.refused.guard": "rota_guard", "rota.refused.elsewhere": "rota_elsewhere",
}  # fmt: skip


def test_device_check_agrees_with_check_staff_card() -> None:
    week = {
        0: office_rota.DayPattern(
            ("l-shen",), ("g-wang",), {("evening", "r1"): "t-li", ("evening", "r2"): "t-zhao"}
        )
    }
    people = {p: office_rota.Person(p, n) for p, n in NAMES.items()}
    built = office_rota.build(week, SCHOOL.services, SCHOOL.calendar, people, DAY, DAY)
    built = office_rota.cover(built, DAY, "t-zhao", "t-qian")
    device = school_from_datasets({"rota": device_rows(built)}).rota
    assert device is not None

    for staff_id in NAMES:
        for room in ("r1", "r2"):
            office = office_rota.check_staff_card(built, staff_id, DAY, "evening", room)
            mine = check_at_door(device, staff_id, NAMES[staff_id], DAY, "evening", room)
            assert (mine.allowed, mine.reason) == (office.allowed, OFFICE_CODE[office.code]), (staff_id, room)
            for key in ("by", "room"):
                assert mine.data.get(key) == office.params.get(key), (staff_id, room, key)


def test_duty_row_is_the_dataset_row() -> None:
    assert duty_from_row(row()) == Duty(DAY, DutyRole.TEACHER, "t-li", "李老师", "evening", "r1")
