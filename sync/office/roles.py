"""Provides the office's roles and what each may do (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping

OFFICE = "office"  # 教务: the whole school's applications, formation, uploads, personal data
HOMEROOM = "homeroom"  # 班主任: her own class's applications and leave
DUTY_LEADER = "duty_leader"  # 值日领导: every room's zero report
DUTY_TEACHER = "duty_teacher"  # 看管教师: signs her room's report
GUARD = "guard"  # 门卫: reads the day's reports
ADMIN = "admin"  # everything the office may, and accounts

ROLES = (OFFICE, HOMEROOM, DUTY_LEADER, DUTY_TEACHER, GUARD, ADMIN)

# What each page or action needs; a role not listed is refused (403).
RIGHTS: Mapping[str, frozenset[str]] = {
    "applications": frozenset({OFFICE, HOMEROOM, ADMIN}),
    "record": frozenset({HOMEROOM}),
    "class_review": frozenset({HOMEROOM}),
    "school_review": frozenset({OFFICE, ADMIN}),
    "settings": frozenset({OFFICE, ADMIN}),
    "leave": frozenset({HOMEROOM, OFFICE, ADMIN}),
    "formation": frozenset({OFFICE, ADMIN}),
    "day": frozenset({DUTY_LEADER, DUTY_TEACHER, GUARD, OFFICE, ADMIN}),
    "sign": frozenset({DUTY_TEACHER, DUTY_LEADER}),
    "uploads": frozenset({OFFICE, ADMIN}),
    "privacy": frozenset({OFFICE, ADMIN}),
    "child": frozenset({HOMEROOM, OFFICE, ADMIN}),
    # activity records (plan 6): a teacher files her own groups' weeks, the office sees every group
    "activities": frozenset({HOMEROOM, DUTY_TEACHER, OFFICE, ADMIN}),
    "archive": frozenset({OFFICE, ADMIN}),
    "care_note": frozenset({DUTY_TEACHER}),
    "rota": frozenset(ROLES),  # the duty rota names staff and posts, no child: everyone signed in may look
    "rota_edit": frozenset({OFFICE, ADMIN}),
    # staff attendance (plan 5): duty leaders look, the office corrects; pay (plans 1, 2, 5): the office only
    "attendance": frozenset({DUTY_LEADER, OFFICE, ADMIN}),
    "attendance_edit": frozenset({OFFICE, ADMIN}),
    "pay": frozenset({OFFICE, ADMIN}),
    "pay_edit": frozenset({OFFICE, ADMIN}),
    # fees (plans 1, 2): a homeroom teacher reads her own class's statements; the office sets rules and records
    "fees": frozenset({HOMEROOM, OFFICE, ADMIN}),
    "fees_edit": frozenset({OFFICE, ADMIN}),
}


def may(role: str, right: str) -> bool:
    return role in RIGHTS.get(right, frozenset())


def school_wide(role: str) -> bool:
    """Whether the role sees every class (else only the homeroom teacher's own)."""
    return role in (OFFICE, ADMIN)
