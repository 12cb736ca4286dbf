"""Provides the office's demo data: an account for each role, and the sample school's applications in every state."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from edge.core.model import School
from sync.db import Database
from sync.office import accounts, records
from sync.office import applications as rules
from sync.office.accounts import User
from sync.office.roles import ADMIN, DUTY_LEADER, DUTY_TEACHER, GUARD, HOMEROOM, OFFICE

# Each class's first pupils, in order, end in these states (the rest apply for nothing).
PATHS: tuple[tuple[str, ...], ...] = (
    (),  # recorded, waiting for the class review
    (rules.CLASS_APPROVE,),
    (rules.CLASS_APPROVE, rules.SCHOOL_APPROVE),
    (rules.CLASS_APPROVE, rules.SCHOOL_APPROVE, rules.ARRANGE),
    (rules.CLASS_APPROVE, rules.SEND_BACK),
    (rules.WITHDRAW,),
)
ROLE_OF = {rules.CLASS_APPROVE: HOMEROOM, rules.SCHOOL_APPROVE: OFFICE, rules.ARRANGE: OFFICE,
           rules.SEND_BACK: OFFICE, rules.WITHDRAW: HOMEROOM}  # fmt: skip
REASONS = {rules.SEND_BACK: "知情同意书缺少签字日期", rules.WITHDRAW: "家长改为自行接送"}


def seed(db: Database, school: School, now: datetime) -> list[tuple[str, str, str]]:
    """Accounts (role, username, password) and applications in every state; the passwords are new each time."""
    made: list[tuple[str, str, str]] = []
    classes = sorted({(s.class_name, s.homeroom_teacher) for s in school.students.values()})
    duty = sorted((s for s in school.staff.values() if s.role.value == "duty_teacher"), key=lambda s: s.id)
    leader = next((s for s in school.staff.values() if s.role.value == "duty_leader"), None)
    guard = next((s for s in school.staff.values() if s.role.value == "guard"), None)
    users = [User("office", "教务处", OFFICE), User("admin", "管理员", ADMIN)]
    users += [User(f"class{n + 1}", teacher or class_name, HOMEROOM, class_name=class_name)
              for n, (class_name, teacher) in enumerate(classes)]  # fmt: skip
    if leader:
        users.append(User("leader", leader.name, DUTY_LEADER, staff_id=leader.id))
    if duty:
        users.append(User("duty", duty[0].name, DUTY_TEACHER, room_id="r301", staff_id=duty[0].id))
    if guard:
        users.append(User("guard", guard.name, GUARD, staff_id=guard.id))
    for user in users:
        password = secrets.token_urlsafe(9)
        accounts.add_user(db, user, password, now)
        made.append((user.role, user.username, password))
    service = "summer" if "summer" in school.services else next(iter(school.services))
    consent_on = (now - timedelta(days=3)).date()
    with db.atomic():
        for class_name, _ in classes:
            pupils = sorted(
                (s for s in school.students.values() if s.class_name == class_name), key=lambda s: s.id
            )
            for pupil, path in zip(pupils, PATHS, strict=False):
                guardian = next(iter(school.guardians_of(pupil.id)), None)
                consent = rules.Consent(guardian.name if guardian else "家长", guardian.relation if guardian else "母亲",
                                        consent_on)  # fmt: skip
                app = rules.record(pupil.id, class_name, service, consent, rules.Terms(), now.date(), (1,), 2)
                app = replace(app, id=records.insert(db, app, "demo", now))
                for action in path:
                    after = rules.step(
                        app, action, ROLE_OF[action], rules.Terms(), 0, REASONS.get(action, "")
                    )
                    records.save_step(db, app, after, action, f"{ROLE_OF[action]}:demo", now,
                                      "1" if action == rules.ARRANGE else "", "r301" if action == rules.ARRANGE else "")  # fmt: skip
                    app = after
    return made
