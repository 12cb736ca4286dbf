"""Provides the leave rules the office needs (pure): checking a leave, and whether it comes after the head count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from edge.core.model import Leave, Service, Session

MAX_DAYS = 366  # a leave longer than a school year is a typing mistake


class LeaveError(ValueError):
    """A leave that cannot be recorded; `key` is its catalogue text."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def check(leave: Leave, services: Mapping[str, Service]) -> Leave:
    if leave.valid_to < leave.valid_from:
        raise LeaveError("office.leave.refused.order")
    if (leave.valid_to - leave.valid_from).days >= MAX_DAYS:
        raise LeaveError("office.leave.refused.long")
    if leave.service_id and leave.service_id not in services:
        raise LeaveError("office.leave.refused.service")
    if not leave.reason.strip():
        raise LeaveError("office.leave.refused.reason")
    return leave


def after_headcount(
    leave: Leave, sessions_today: Iterable[Session], services: Mapping[str, Service], now: datetime
) -> bool:
    """补请假: the leave covers one of today's sessions of hers whose head count (start + the service's
    `missing_after_min`) has already been due, so she may have been counted missing."""
    if not leave.valid_from <= now.date() <= leave.valid_to:
        return False
    for session in sessions_today:
        if leave.service_id and session.service_id != leave.service_id:
            continue
        service = services.get(session.service_id)
        due = session.start + timedelta(minutes=service.missing_after_min if service else 0)
        if now >= due:
            return True
    return False
