"""Provides the demo's evening: who taps which card where and when, scripted in outline, random in detail.

Pure: from the school, the day's plan and a seed comes a list of steps on the simulated clock.
Every case a guard meets in a real evening is in it: late arrivals, two on leave, one missing,
one who tapped at the gate but never reached the room, a wrong-room tap, an unknown card, a lost
card, guardians picking up, a child who may walk home, one not allowed to, a contact without
pickup rights, one child not picked up and escalated, and each room's zero report signed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from edge.core.model import Card, CardKind, CardStatus, Leave, School, StaffRole
from edge.core.plan import plan_day

SERVICE = "evening"


@dataclass(frozen=True, slots=True)
class Tap:
    at: datetime
    reader_id: str
    uid: str


@dataclass(frozen=True, slots=True)
class Action:
    """A manual action taken at the console: `kind` is check_in, found, release or excuse."""

    at: datetime
    kind: str
    student: str
    guardian: str = ""
    actor: str = "guard"
    note: str = ""


Step = Tap | Action


@dataclass(frozen=True, slots=True)
class Evening:
    school: School  # the sample school with the evening's leave and cards added
    steps: tuple[Step, ...]
    start: datetime
    end: datetime
    cast: dict[str, str] = field(default_factory=dict)  # role in the story -> student id


def gate_reader(direction: str) -> str:
    return f"gate-{direction}"


def room_reader(room_id: str) -> str:
    return f"room-{room_id}"


def script_evening(school: School, day: date, tz: ZoneInfo, seed: int) -> Evening:
    """The evening of `day` in `school`, with the office's leave notes and cards for the day added."""
    rng = random.Random(seed)
    first = plan_day(school, day, tz)
    sessions = [s for s in first.sessions.values() if s.service_id == SERVICE]
    if not sessions:
        raise ValueError(f"no evening study on {day.isoformat()}")
    start, end = min(s.start for s in sessions), max(s.end for s in sessions)
    enrolled = sorted({sid for s in sessions for sid in first.expected.get(s.id, ())})
    walkers = [s for s in enrolled if school.students[s].may_walk_home]
    others = [s for s in enrolled if s not in walkers]
    rng.shuffle(others)
    cast = {
        "on_leave_1": others[0],
        "on_leave_2": others[1],
        "missing": others[2],
        "gate_only": others[3],
        "wrong_room": others[4],
        "lost_card": others[5],
        "not_picked_up": others[6],
        "tries_to_walk": others[7],
        "forgot_card": others[8],
    }
    late = others[9:13]
    if walkers:
        cast["walks_home"] = rng.choice(walkers)
    cast.update({f"late_{i}": s for i, s in enumerate(late, 1)})

    # The office's records for the day: two leave notes, one card reported lost, a contact's card.
    lost_uid = _fresh_uid(rng, school)
    contact = next((g for g in school.guardians.values() if not g.may_pick_up), None)
    cards = dict(school.cards)
    cards[lost_uid] = Card(lost_uid, CardKind.STUDENT, cast["lost_card"], CardStatus.LOST)
    contact_uid = _fresh_uid(rng, school, taken=set(cards))
    if contact is not None:
        cards[contact_uid] = Card(contact_uid, CardKind.GUARDIAN, contact.id)
    leave = (
        Leave(cast["on_leave_1"], day, day, SERVICE, "病假"),
        Leave(cast["on_leave_2"], day, day, "", "事假"),
    )
    school = replace(school, cards=cards, leave=school.leave + leave)
    plan = plan_day(school, day, tz)

    def at(hh: int, mm: int, jitter_s: int = 0) -> datetime:
        return datetime.combine(day, time(hh, mm), tz) + timedelta(seconds=rng.randint(0, jitter_s))

    card_of = _cards_by_holder(school)
    steps: list[Step] = []
    room_of = {sid: s.room_id for s in sessions for sid in plan.expected.get(s.id, ())}
    absent = {cast["on_leave_1"], cast["on_leave_2"], cast["missing"], cast["forgot_card"]}
    for student in enrolled:
        if student in absent:
            continue
        arrive = at(18, 19, 12 * 60) if student in late else at(17, 55, 19 * 60)
        uid = card_of[student]
        if student == cast["lost_card"]:
            steps.append(Tap(arrive, gate_reader("in"), lost_uid))  # the old card: refused
            arrive += timedelta(seconds=40)
        steps.append(Tap(arrive, gate_reader("in"), uid))
        if student == cast["gate_only"]:
            continue
        if student == cast["wrong_room"]:
            wrong = next(s.room_id for s in sessions if s.room_id != room_of[student])
            steps.append(Tap(arrive + timedelta(minutes=2), room_reader(wrong), uid))
            arrive += timedelta(minutes=2)
        steps.append(
            Tap(arrive + timedelta(seconds=rng.randint(60, 240)), room_reader(room_of[student]), uid)
        )

    # A card nobody registered, a forgotten card checked in by hand, the child from the gate found.
    steps.append(Tap(at(18, 3), gate_reader("in"), _fresh_uid(rng, school, taken=set(cards))))
    steps.append(Action(at(18, 12), "check_in", cast["forgot_card"], note="忘带卡"))
    steps.append(Action(at(18, 40), "found", cast["gate_only"], note="在操场找到"))

    # Duty teachers: on duty at the door, then the zero report signed after the headcount.
    teachers = [s for s in school.staff.values() if s.role is StaffRole.DUTY_TEACHER]
    for session, teacher in zip(sorted(sessions, key=lambda s: s.room_id), teachers, strict=False):
        steps.append(Tap(at(18, 5, 120), room_reader(session.room_id), card_of[teacher.id]))
        steps.append(Tap(at(18, 28, 300), room_reader(session.room_id), card_of[teacher.id]))

    # Going home: a child who may walk, one who may not, guardians at the gate, a contact refused.
    stayed_home = {cast["on_leave_1"], cast["on_leave_2"], cast["missing"]}
    going = [s for s in enrolled if s not in stayed_home and s != cast["not_picked_up"]]
    if "walks_home" in cast:
        steps.append(Tap(at(19, 32, 60), gate_reader("out"), card_of[cast["walks_home"]]))
        going.remove(cast["walks_home"])
    steps.append(Tap(at(19, 31), gate_reader("out"), card_of[cast["tries_to_walk"]]))
    if contact is not None:
        steps.append(Tap(at(19, 34), gate_reader("in"), contact_uid))
    picked: set[str] = set()
    for student in going:
        if student in picked:
            continue
        guardian = next((g for g in school.guardians_of(student) if g.may_pick_up and g.id in card_of), None)
        if guardian is None:
            continue
        picked.update(guardian.children)
        steps.append(Tap(at(19, 30, 25 * 60), gate_reader("in"), card_of[guardian.id]))

    # 20:00 the child still waiting is escalated; a grandparent without a card arrives at 20:08.
    late_guardian = next(g for g in school.guardians_of(cast["not_picked_up"]) if g.may_pick_up)
    steps.append(Action(at(20, 8), "release", cast["not_picked_up"], guardian=late_guardian.id))
    steps.sort(key=lambda step: step.at)
    return Evening(school, tuple(steps), start, end, cast)


def _cards_by_holder(school: School) -> dict[str, str]:
    return {c.holder_id: c.uid for c in school.cards.values() if c.status is CardStatus.ACTIVE}


def _fresh_uid(rng: random.Random, school: School, taken: set[str] | None = None) -> str:
    taken = taken or set(school.cards)
    while True:
        uid = f"{rng.getrandbits(32):08X}"
        if uid not in taken and not uid.startswith("08"):
            return uid
