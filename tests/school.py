"""Provides a tiny hand-built school and a story helper for tests: every person has one clear role.

Not a test module. The test date is Monday 2026-11-30 (Asia/Shanghai); evening study runs 18:15-19:30
in rooms r1 and r2, so a child is late after 18:20, missing from 18:25, the report is due at 18:45 and
a child still waiting at 20:00 is escalated.

Who is who:
- s-anna (r1) and s-chen (r2): siblings; their mother p-mama may pick up both with one card.
- s-bo (r1): may walk home alone (written consent).
- s-dan (r1): on leave today (evening study), so never missing.
- s-eve: has a card but is enrolled in nothing.
- s-fei (r2): her old card is LOST; she has a new one.
- s-gao (r2): an ordinary pupil, used for missing / not-in-room stories.
- s-hui (r1): has no card at all (manual check-in, card assignment).
- p-auntie: a neighbour listed for s-anna as a contact, may NOT pick up, but holds a card.
- p-bo-dad: s-bo's father, authorised for s-bo only.
- t-li: duty teacher; g-wang: guard.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from edge.core.model import (
    Card,
    CardKind,
    CardStatus,
    Enrolment,
    Event,
    EventKind,
    Gender,
    Guardian,
    Leave,
    Outcome,
    Reader,
    ReaderRole,
    Room,
    School,
    Service,
    Staff,
    StaffRole,
    Student,
    TimeRule,
)
from edge.core.plan import DayPlan, plan_day
from edge.core.projection import Projection, State
from edge.core.report import alerts
from edge.core.rules import Context, Decision, decide_tap

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 30)  # a Monday
SATURDAY = date(2026, 12, 5)
DEVICE = "edge-1"

EVENING = Service(
    "evening",
    "晚自习",
    (TimeRule(frozenset(range(5)), time(18, 15), time(19, 30), date(2026, 1, 1), date(2027, 12, 31)),),
    late_after_min=5,
    missing_after_min=10,
    report_due_min=30,
    pickup_grace_min=30,
)
R1_SESSION = f"{DAY.isoformat()}.evening.r1"
R2_SESSION = f"{DAY.isoformat()}.evening.r2"

# Card UIDs (upper-case hex, none starting 08: those are random per tap).
ANNA_CARD = "A1000001"
BO_CARD = "A1000002"
CHEN_CARD = "A1000003"
DAN_CARD = "A1000004"
EVE_CARD = "A1000005"
FEI_LOST_CARD = "A1000006"
FEI_CARD = "A1000016"
GAO_CARD = "A1000007"
MAMA_CARD = "B2000001"
AUNTIE_CARD = "B2000002"
BO_DAD_CARD = "B2000003"
LI_CARD = "C3000001"
WANG_CARD = "C3000002"
UNKNOWN_CARD = "DEADBEEF"  # registered nowhere
RANDOM_UID = "08A1B2C3"  # a phone or CPU card: a fresh UID on every tap
SPARE_CARD = "E5000001"  # blank, not yet given to anyone


def _student(sid: str, name: str, gender: Gender, class_name: str, walk: bool = False) -> Student:
    return Student(sid, name, gender, 3, class_name, may_walk_home=walk)


STUDENTS = (
    _student("s-anna", "安娜", Gender.FEMALE, "三(1)班"),
    _student("s-bo", "博文", Gender.MALE, "三(1)班", walk=True),
    _student("s-chen", "陈晨", Gender.MALE, "三(2)班"),
    _student("s-dan", "丹丹", Gender.FEMALE, "三(1)班"),
    _student("s-eve", "伊娃", Gender.FEMALE, "三(2)班"),
    _student("s-fei", "菲菲", Gender.FEMALE, "三(2)班"),
    _student("s-gao", "高翔", Gender.MALE, "三(2)班"),
    _student("s-hui", "慧敏", Gender.FEMALE, "三(1)班"),
)
GUARDIANS = (
    Guardian("p-mama", "李芳", "13800000001", "母亲", ("s-anna", "s-chen")),
    Guardian("p-auntie", "王阿姨", "13800000002", "邻居", ("s-anna",), may_pick_up=False),
    Guardian("p-bo-dad", "张伟", "13800000003", "父亲", ("s-bo",)),
    Guardian("p-gao-nai", "高奶奶", "13800000004", "奶奶", ("s-gao",)),
)
STAFF = (
    Staff("t-li", "李老师", StaffRole.DUTY_TEACHER, "13900000001"),
    Staff("g-wang", "王师傅", StaffRole.GUARD, "13900000002"),
)
CARDS = (
    Card(ANNA_CARD, CardKind.STUDENT, "s-anna"),
    Card(BO_CARD, CardKind.STUDENT, "s-bo"),
    Card(CHEN_CARD, CardKind.STUDENT, "s-chen"),
    Card(DAN_CARD, CardKind.STUDENT, "s-dan"),
    Card(EVE_CARD, CardKind.STUDENT, "s-eve"),
    Card(FEI_LOST_CARD, CardKind.STUDENT, "s-fei", CardStatus.LOST),
    Card(FEI_CARD, CardKind.STUDENT, "s-fei"),
    Card(GAO_CARD, CardKind.STUDENT, "s-gao"),
    Card(MAMA_CARD, CardKind.GUARDIAN, "p-mama"),
    Card(AUNTIE_CARD, CardKind.GUARDIAN, "p-auntie"),
    Card(BO_DAD_CARD, CardKind.GUARDIAN, "p-bo-dad"),
    Card(LI_CARD, CardKind.STAFF, "t-li"),
    Card(WANG_CARD, CardKind.STAFF, "g-wang"),
)
TERM = (date(2026, 9, 1), date(2027, 7, 15))
ROOM_OF = {
    "s-anna": "r1",
    "s-bo": "r1",
    "s-dan": "r1",
    "s-hui": "r1",
    "s-chen": "r2",
    "s-fei": "r2",
    "s-gao": "r2",
}

SCHOOL = School(
    students={s.id: s for s in STUDENTS},
    guardians={g.id: g for g in GUARDIANS},
    staff={s.id: s for s in STAFF},
    cards={c.uid: c for c in CARDS},
    rooms={"r1": Room("r1", "301教室"), "r2": Room("r2", "302教室")},
    services={EVENING.id: EVENING},
    enrolments=tuple(Enrolment(sid, "evening", room, *TERM) for sid, room in ROOM_OF.items()),
    leave=(Leave("s-dan", DAY, DAY, "evening", "看病"),),
)

READERS = {
    "gate-in": Reader("gate-in", ReaderRole.GATE_IN),
    "gate-out": Reader("gate-out", ReaderRole.GATE_OUT),
    "gate": Reader("gate", ReaderRole.GATE),
    "room-r1": Reader("room-r1", ReaderRole.ROOM, "r1"),
    "room-r2": Reader("room-r2", ReaderRole.ROOM, "r2"),
}

# What the recorder files a console decision under (a tap is always EventKind.TAP).
_KIND_OF_ACTION = {
    Outcome.REPORT_SIGNED: EventKind.SIGN,
    Outcome.PICKED_UP: EventKind.RELEASE,
    Outcome.UNAUTHORISED_PICKUP: EventKind.RELEASE,
    Outcome.FOUND: EventKind.FOUND,
    Outcome.EXCUSED: EventKind.EXCUSE,
    Outcome.CARD_ASSIGNED: EventKind.ASSIGN_CARD,
    Outcome.CARD_DISMISSED: EventKind.DISMISS_CARD,
    Outcome.ALERT: EventKind.ALERT,
}


def at(hh: int, mm: int, day: date = DAY, ss: int = 0) -> datetime:
    """An aware datetime at hh:mm on the test date (or `day`)."""
    return datetime.combine(day, time(hh, mm, ss), tzinfo=TZ)


@cache
def plan(day: date = DAY) -> DayPlan:
    return plan_day(SCHOOL, day, TZ)


_PLANS: dict[tuple[int, date], DayPlan] = {}


def _plan_of(school: School, day: date) -> DayPlan:
    key = (id(school), day)  # schools are module constants in the tests: their id is stable
    if key not in _PLANS:
        _PLANS[key] = plan_day(school, day, TZ)
    return _PLANS[key]


def ctx(state: State, now: datetime) -> Context:
    return Context(SCHOOL, plan(now.date()), state, now)


def event_kind(decision: Decision, reader: str) -> EventKind:
    if reader:
        return EventKind.TAP
    return _KIND_OF_ACTION.get(decision.outcome, EventKind.CHECK_IN)


def make_event(
    decision: Decision,
    now: datetime,
    reader: str,
    seq: int,
    uid: str = "",
    actor: str = "",
    device: str = DEVICE,
) -> Event:
    return Event(
        uuid=uuid.uuid4().hex,
        kind=event_kind(decision, reader),
        outcome=decision.outcome,
        at=now,
        device_id=device,
        reason=decision.reason,
        reader_id=reader,
        card_uid=uid or str(decision.data.get("uid", "")),
        subject=decision.subject,
        actor=actor,
        data=decision.data,
        seq=seq,
    )


@dataclass
class Story:
    """One device's evening: decisions become events (seq 1, 2, ...) folded into a projection."""

    device: str = DEVICE
    projection: Projection = field(default_factory=Projection)
    events: list[Event] = field(default_factory=list)
    school: School = SCHOOL
    readers: dict[str, Reader] = field(default_factory=lambda: READERS)

    @property
    def state(self) -> State:
        return self.projection.state

    def ctx(self, now: datetime) -> Context:
        return Context(self.school, self.plan(now.date()), self.state, now)

    def plan(self, day: date) -> DayPlan:
        return plan(day) if self.school is SCHOOL else _plan_of(self.school, day)

    def apply(
        self, decision: Decision, now: datetime, reader: str = "", uid: str = "", actor: str = ""
    ) -> Event:
        event = make_event(decision, now, reader, len(self.events) + 1, uid, actor, self.device)
        self.events.append(event)
        self.projection.apply(event)
        return event

    def tap(self, reader: str, uid: str, now: datetime) -> Decision:
        decision = decide_tap(uid, self.readers.get(reader), self.ctx(now))
        self.apply(decision, now, reader, uid)
        return decision

    def act(self, decide: Callable[[Context], Decision], now: datetime, actor: str = "g-wang") -> Decision:
        decision = decide(self.ctx(now))
        self.apply(decision, now, actor=actor)
        return decision

    def raise_alerts(self, now: datetime) -> list[Event]:
        """As the recorder does: one ALERT event for each alert that holds now and was not raised yet."""
        raised = []
        for alert in alerts(self.school, self.plan(now.date()), self.state, now):
            if alert.key not in self.state.alerts:
                data = {"key": alert.key, "alert": alert.kind.value, "session": alert.session_id}
                decision = Decision(Outcome.ALERT, alert.kind.value, alert.student_id, data)
                raised.append(self.apply(decision, now, actor="rollcall"))
        return raised

    def arrive(self, uid: str, room: str, gate_at: datetime, room_at: datetime) -> Decision:
        """Gate-in then the room's reader; returns the room's decision."""
        self.tap("gate-in", uid, gate_at)
        return self.tap(f"room-{room}", uid, room_at)
