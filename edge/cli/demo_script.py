"""Provides the demo's day: who taps which card where and when, scripted in outline, random in detail.

Pure: from the school, the date and a seed comes a list of steps on the simulated clock, and the
list of alerts the day is meant to raise (a test holds the device to exactly these). Every service
the school runs that date is played, from late morning to the last pickup:

- midday care (午间看护): children tap in at the room door, one is missing and found in the canteen,
  one is on leave; at the end they go back to lessons and nobody waits;
- clubs (社团, Wednesday and Friday): one child missing (her guardian is called), the club children
  who stay for evening study handed over, the others picked up, one of them on leave from evening
  study and taken home at five;
- evening study (晚自习): late arrivals, two on leave, one missing, one who tapped at the gate but
  never reached the room, a wrong-room tap, an unknown card, a lost card, a forgotten card checked
  in by hand, guardians picking up, a child who may walk home and one who may not, a contact
  without pickup rights, one child not picked up and escalated at 20:00;
- each room's zero report signed by its duty teacher's card once the head count is due.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from edge.core.model import Card, CardKind, CardStatus, Leave, School, Session, StaffRole
from edge.core.plan import DayPlan, plan_day

SERVICE = "evening"


@dataclass(frozen=True, slots=True)
class Tap:
    at: datetime
    reader_id: str
    uid: str


@dataclass(frozen=True, slots=True)
class Action:
    """A manual action taken at the console: `kind` is check_in, found, release, excuse or call."""

    at: datetime
    kind: str
    student: str
    guardian: str = ""
    actor: str = "guard"
    note: str = ""


Step = Tap | Action
Planned = tuple[str, str, str]  # (alert kind, session id, student id)


@dataclass(frozen=True, slots=True)
class DayScript:
    school: School  # the sample school with the day's leave and cards added
    steps: tuple[Step, ...]
    start: datetime  # the first session's start
    end: datetime  # the last session's end
    cast: dict[str, str] = field(default_factory=dict)  # role in the story -> student id
    alerts: frozenset[Planned] = frozenset()  # every alert the day is meant to raise



def gate_reader(direction: str) -> str:
    return f"gate-{direction}"


def room_reader(room_id: str) -> str:
    return f"room-{room_id}"


def script_day(school: School, day: date, tz: ZoneInfo, seed: int) -> DayScript:
    """The whole day of `day` in `school`, with the office's leave notes and cards for the day added."""
    rng = random.Random(seed)
    first = plan_day(school, day, tz)
    evening = [s for s in first.sessions.values() if s.service_id == SERVICE]
    if not evening:
        raise ValueError(f"no evening study on {day.isoformat()}")
    story = _Story(school, day, tz, rng, first)
    story.cast_evening(evening)
    story.add_office_records()
    story.midday()
    story.clubs()
    story.evening(evening)
    return story.script()


class _Story:
    """The day being written: the cast first (so the office's leave is known), then each service in turn."""

    def __init__(self, school: School, day: date, tz: ZoneInfo, rng: random.Random, plan: DayPlan) -> None:
        self.school, self.day, self.tz, self.rng, self.plan = school, day, tz, rng, plan
        self.steps: list[Step] = []
        self.alerts: set[Planned] = set()
        self.cast: dict[str, str] = {}
        self.card_of: dict[str, str] = {}

    def at(self, hh: int, mm: int, jitter_s: int = 0) -> datetime:
        return datetime.combine(self.day, time(hh, mm), self.tz) + timedelta(seconds=self.rng.randint(0, jitter_s))

    def sessions(self, service: str) -> list[Session]:
        return sorted((s for s in self.plan.sessions.values() if s.service_id == service), key=lambda s: s.room_id)

    def enrolled(self, sessions: Sequence[Session]) -> list[str]:
        return sorted({sid for s in sessions for sid in self.plan.expected.get(s.id, ())})

    # -- the cast and the office's records ------------------------------------------------------

    def cast_evening(self, sessions: Sequence[Session]) -> None:
        enrolled = self.enrolled(sessions)
        walkers = [s for s in enrolled if self.school.students[s].may_walk_home]
        clubs = set(self.enrolled(self.sessions("clubs")))
        # Club children who stay for evening study keep their own story; the evening's cast is from the rest.
        others = [s for s in enrolled if s not in walkers and s not in clubs]
        self.rng.shuffle(others)
        roles = ("on_leave_1", "on_leave_2", "missing", "gate_only", "wrong_room", "lost_card", "not_picked_up",
                 "tries_to_walk", "forgot_card")  # fmt: skip
        self.cast.update(zip(roles, others, strict=False))
        self.late = others[len(roles) : len(roles) + 4]
        self.cast.update({f"late_{i}": s for i, s in enumerate(self.late, 1)})
        if walkers:
            self.cast["walks_home"] = self.rng.choice(walkers)
        staying = sorted(clubs & set(enrolled))
        if staying:
            self.cast["clubs_then_leave"] = self.rng.choice(staying)  # on leave from evening study today

    def add_office_records(self) -> None:
        """Leave notes, a card reported lost, a contact's card: the datasets the office sent for the day."""
        school, rng, day = self.school, self.rng, self.day
        self.lost_uid = _fresh_uid(rng, school)
        self.contact = next((g for g in school.guardians.values() if not g.may_pick_up), None)
        cards = dict(school.cards)
        cards[self.lost_uid] = Card(self.lost_uid, CardKind.STUDENT, self.cast["lost_card"], CardStatus.LOST)
        self.contact_uid = _fresh_uid(rng, school, taken=set(cards))
        if self.contact is not None:
            cards[self.contact_uid] = Card(self.contact_uid, CardKind.GUARDIAN, self.contact.id)
        leave = [
            Leave(self.cast["on_leave_1"], day, day, SERVICE, "病假"),
            Leave(self.cast["on_leave_2"], day, day, "", "事假"),  # the whole day: every service
        ]
        if "clubs_then_leave" in self.cast:
            leave.append(Leave(self.cast["clubs_then_leave"], day, day, SERVICE, "家中有事"))
        self.school = replace(school, cards=cards, leave=school.leave + tuple(leave))
        self.plan = plan_day(self.school, day, self.tz)
        self.card_of = _cards_by_holder(self.school)
        self.unknown_uid = _fresh_uid(rng, self.school, taken=set(cards))

    def away_all_day(self, student: str) -> bool:
        return any(lv.student_id == student and not lv.service_id for lv in self.school.leave
                   if lv.valid_from <= self.day <= lv.valid_to)  # fmt: skip

    def sign(self, sessions: Sequence[Session], hh: int, mm: int) -> None:
        """Each room's duty teacher taps her card once the head count is due (hh:mm + up to 5 minutes)."""
        teachers = [s for s in self.school.staff.values() if s.role is StaffRole.DUTY_TEACHER]
        for session, teacher in zip(sessions, teachers, strict=False):
            self.steps.append(Tap(self.at(hh, mm, 300), room_reader(session.room_id), self.card_of[teacher.id]))

    # -- midday care ------------------------------------------------------------------------------

    def midday(self) -> None:
        sessions = self.sessions("midday")
        if not sessions:
            return
        start = min(s.start for s in sessions)
        room_of = {sid: s.room_id for s in sessions for sid in self.plan.expected.get(s.id, ())}
        coming = [s for s in self.enrolled(sessions) if not self.away_all_day(s)]
        missing = self.rng.choice(coming)
        self.cast["midday_missing"] = missing
        # Already at school: from the last lesson straight to the room door, before the start.
        for student in coming:
            if student != missing:
                self.steps.append(Tap(start - timedelta(minutes=6) + timedelta(seconds=self.rng.randint(0, 300)),
                                      room_reader(room_of[student]), self.card_of[student]))  # fmt: skip
        session = next(s for s in sessions if missing in self.plan.expected.get(s.id, ()))
        self.alerts.add(("missing", session.id, missing))
        grace = timedelta(minutes=self.school.services["midday"].missing_after_min)
        self.steps.append(Action(start + grace + timedelta(minutes=8), "found", missing, note="在食堂"))
        self.sign(sessions, start.hour, start.minute + 12)

    # -- clubs ------------------------------------------------------------------------------------

    def clubs(self) -> None:
        sessions = self.sessions("clubs")
        if not sessions:
            return
        start, end = min(s.start for s in sessions), max(s.end for s in sessions)
        service = self.school.services["clubs"]
        room_of = {sid: s.room_id for s in sessions for sid in self.plan.expected.get(s.id, ())}
        evening = set(self.enrolled(self.sessions(SERVICE)))
        coming = [s for s in self.enrolled(sessions) if not self.away_all_day(s)]
        missing = self.rng.choice([s for s in coming if s not in evening] or coming)
        self.cast["clubs_missing"] = missing
        for student in coming:
            if student != missing:
                arrive = start - timedelta(minutes=5) + timedelta(seconds=self.rng.randint(0, 240))
                self.steps.append(Tap(arrive, room_reader(room_of[student]), self.card_of[student]))
        session = next(s for s in sessions if missing in self.plan.expected.get(s.id, ()))
        self.alerts.add(("missing", session.id, missing))
        headcount = start + timedelta(minutes=service.missing_after_min)
        self.steps.append(Action(headcount + timedelta(minutes=3), "call", missing, note="家长说孩子今天回家了"))
        self.sign(sessions, headcount.hour, headcount.minute + 2)
        # At the end: those staying for evening study are handed over; the others go home.
        leaving = [s for s in coming if s != missing and (s not in evening or s == self.cast.get("clubs_then_leave"))]
        self.go_home(leaving, end + timedelta(minutes=1), minutes=20, staying=evening)

    def go_home(self, children: Sequence[str], first: datetime, minutes: int, staying: set[str]) -> None:
        """Guardians tap their cards over `minutes` from `first`; a guardian with a child who stays on
        releases just this one at the desk, and a child allowed to walk home may."""
        picked: set[str] = set()
        for student in children:
            if student in picked:
                continue
            when = first + timedelta(seconds=self.rng.randint(0, minutes * 60))
            guardian = next((g for g in self.school.guardians_of(student) if g.may_pick_up and g.id in self.card_of),
                            None)  # fmt: skip
            if guardian is None:
                continue
            if any(c in staying and c != student and c not in children for c in guardian.children):
                self.steps.append(Action(when, "release", student, guardian=guardian.id))
                picked.add(student)
            else:
                self.steps.append(Tap(when, gate_reader("in"), self.card_of[guardian.id]))
                picked.update(guardian.children)

    # -- evening study ----------------------------------------------------------------------------

    def evening(self, sessions: Sequence[Session]) -> None:
        cast, plan, at, rng, card_of = self.cast, self.plan, self.at, self.rng, self.card_of
        enrolled = self.enrolled(sessions)
        clubs = set(self.enrolled(self.sessions("clubs")))
        room_of = {sid: s.room_id for s in sessions for sid in plan.expected.get(s.id, ())}
        session_of = {sid: s.id for s in sessions for sid in plan.expected.get(s.id, ())}
        absent = {cast["on_leave_1"], cast["on_leave_2"], cast["missing"], cast["forgot_card"],
                  cast.get("clubs_then_leave", "")}  # fmt: skip
        for student in enrolled:
            if student in absent:
                continue
            uid = card_of[student]
            # Late ones reach the gate just before the head count and the room within the walk's grace.
            arrive = at(18, 19, 180) if student in self.late else at(17, 55, 19 * 60)
            if student in clubs:  # stayed on after clubs: already on campus
                self.steps.append(Tap(arrive + timedelta(seconds=rng.randint(60, 150)),
                                      room_reader(room_of[student]), uid))  # fmt: skip
                continue
            if student == cast["lost_card"]:
                self.steps.append(Tap(arrive, gate_reader("in"), self.lost_uid))  # the old card: refused
                arrive += timedelta(seconds=40)
            self.steps.append(Tap(arrive, gate_reader("in"), uid))
            if student == cast["gate_only"]:
                continue
            if student == cast["wrong_room"]:
                wrong = next(s.room_id for s in sessions if s.room_id != room_of[student])
                self.steps.append(Tap(arrive + timedelta(minutes=1), room_reader(wrong), uid))
                arrive += timedelta(minutes=1)
            self.steps.append(Tap(arrive + timedelta(seconds=rng.randint(60, 150)), room_reader(room_of[student]), uid))
        self.alerts |= {("missing", session_of[cast["missing"]], cast["missing"]),
                        ("not_in_room", session_of[cast["gate_only"]], cast["gate_only"]),
                        ("not_picked_up", session_of[cast["not_picked_up"]], cast["not_picked_up"])}  # fmt: skip

        # A card nobody registered, a forgotten card checked in by hand, the missing child's family
        # called, the child from the gate found.
        self.steps.append(Tap(at(18, 3), gate_reader("in"), self.unknown_uid))
        self.steps.append(Action(at(18, 12), "check_in", cast["forgot_card"], note="忘带卡"))
        self.steps.append(Action(at(18, 31), "call", cast["missing"], note="电话未接通"))
        self.steps.append(Action(at(18, 40), "found", cast["gate_only"], note="在操场找到"))
        teachers = [s for s in self.school.staff.values() if s.role is StaffRole.DUTY_TEACHER]
        for session, teacher in zip(sessions, teachers, strict=False):
            self.steps.append(Tap(at(18, 5, 120), room_reader(session.room_id), card_of[teacher.id]))  # on duty
        self.sign(sessions, 18, 28)

        # Going home: a child who may walk, one who may not, guardians at the gate, a contact refused.
        stayed_home = {cast["on_leave_1"], cast["on_leave_2"], cast["missing"], cast.get("clubs_then_leave", "")}
        going = [s for s in enrolled if s not in stayed_home and s != cast["not_picked_up"]]
        if "walks_home" in cast:
            self.steps.append(Tap(at(19, 32, 60), gate_reader("out"), card_of[cast["walks_home"]]))
            going.remove(cast["walks_home"])
        self.steps.append(Tap(at(19, 31), gate_reader("out"), card_of[cast["tries_to_walk"]]))
        if self.contact is not None:
            self.steps.append(Tap(at(19, 34), gate_reader("in"), self.contact_uid))
        self.go_home(going, at(19, 30), minutes=25, staying={cast["not_picked_up"]})
        # 20:00 the child still waiting is escalated; a grandparent without a card arrives at 20:08.
        late_guardian = next(g for g in self.school.guardians_of(cast["not_picked_up"]) if g.may_pick_up)
        self.steps.append(Action(at(20, 8), "release", cast["not_picked_up"], guardian=late_guardian.id))

    def script(self) -> DayScript:
        self.steps.sort(key=lambda step: step.at)
        sessions = list(self.plan.sessions.values())
        return DayScript(self.school, tuple(self.steps), min(s.start for s in sessions),
                         max(s.end for s in sessions), self.cast, frozenset(self.alerts))  # fmt: skip


def _cards_by_holder(school: School) -> dict[str, str]:
    return {c.holder_id: c.uid for c in school.cards.values() if c.status is CardStatus.ACTIVE}


def _fresh_uid(rng: random.Random, school: School, taken: set[str] | None = None) -> str:
    taken = taken or set(school.cards)
    while True:
        uid = f"{rng.getrandbits(32):08X}"
        if uid not in taken and not uid.startswith("08"):
            return uid
