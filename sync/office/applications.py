"""Provides the applications' four steps as a pure state machine (家长申请 → 班级审核 → 学校复核 → 统筹安排).

A family's paper application is recorded by the homeroom teacher (`record`), reviewed by her
(`class_approve`), by the office (`school_approve`, within the service's capacity), and placed
in a group when the office confirms the class formation (`arrange`). Each review can send it
back with a reason (`send_back`, to the teacher, who corrects and `resubmit`s); a withdrawal is
its own step, with the family's reason, from any state but withdrawn. No I/O, no clock: `today`
is a parameter, and every refusal is an `ApplicationError` with a catalogue key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from sync.office.roles import ADMIN, HOMEROOM, OFFICE

SUBMITTED = "submitted"  # 家长申请: recorded from the paper form, waiting for the class review
CLASS_REVIEWED = "class_reviewed"  # 班级审核 passed, waiting for the school review
SCHOOL_REVIEWED = "school_reviewed"  # 学校复核 passed: holds a place, waiting for the arrangement
ARRANGED = "arranged"  # 统筹安排: in a group and a room; the devices enrol her
RETURNED = "returned"  # sent back to the homeroom teacher with a reason
WITHDRAWN = "withdrawn"  # the family withdrew: final

STATES = (SUBMITTED, CLASS_REVIEWED, SCHOOL_REVIEWED, ARRANGED, RETURNED, WITHDRAWN)
HOLDS_PLACE = frozenset({SCHOOL_REVIEWED, ARRANGED})  # counted against the service's capacity
ACTIVE = frozenset(STATES) - {WITHDRAWN}

CLASS_APPROVE, SCHOOL_APPROVE, ARRANGE = "class_approve", "school_approve", "arrange"
SEND_BACK, RESUBMIT, WITHDRAW = "send_back", "resubmit", "withdraw"
ACTIONS = (CLASS_APPROVE, SCHOOL_APPROVE, ARRANGE, SEND_BACK, RESUBMIT, WITHDRAW)
NEEDS_REASON = frozenset({SEND_BACK, WITHDRAW})

_SCHOOL = frozenset({OFFICE, ADMIN})
# (state, action) -> (the state after, who may take it)
TRANSITIONS: Mapping[tuple[str, str], tuple[str, frozenset[str]]] = {
    (SUBMITTED, CLASS_APPROVE): (CLASS_REVIEWED, frozenset({HOMEROOM})),
    (SUBMITTED, SEND_BACK): (RETURNED, frozenset({HOMEROOM})),
    (CLASS_REVIEWED, SCHOOL_APPROVE): (SCHOOL_REVIEWED, _SCHOOL),
    (CLASS_REVIEWED, SEND_BACK): (RETURNED, _SCHOOL),
    (SCHOOL_REVIEWED, ARRANGE): (ARRANGED, _SCHOOL),
    (SCHOOL_REVIEWED, SEND_BACK): (RETURNED, _SCHOOL),
    (RETURNED, RESUBMIT): (SUBMITTED, frozenset({HOMEROOM})),
    **{(state, WITHDRAW): (WITHDRAWN, frozenset({HOMEROOM}) | _SCHOOL) for state in ACTIVE},
}


class ApplicationError(Exception):
    """A step refused; `key` is its catalogue text (`office.refused.*`), `params` fill it in."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Consent:
    """The signed 知情同意书: who signed it (a guardian of a child under 14 under PIPL art. 31), and when."""

    signed_by: str
    relation: str
    signed_on: date


@dataclass(frozen=True, slots=True)
class Terms:
    """A service's terms for applications: the last day to apply (None: open) and places (0: no limit)."""

    deadline: date | None = None
    capacity: int = 0


@dataclass(frozen=True, slots=True)
class Application:
    student_id: str
    class_name: str
    service_id: str
    consent: Consent
    periods: tuple[int, ...] = ()  # summer day care: which periods (一期或多期), 1-based
    state: str = SUBMITTED
    returned_from: str = ""  # the state it was sent back from
    reason: str = ""  # why it was last sent back or withdrawn
    id: int = 0


def record(
    student_id: str,
    class_name: str,
    service_id: str,
    consent: Consent,
    terms: Terms,
    today: date,
    periods: tuple[int, ...] = (),
    period_count: int = 0,
    already_active: bool = False,
) -> Application:
    """A paper application as the homeroom teacher types it in; refused past the deadline, without a
    signed consent, for a period the service does not have, or beside an active one for the same service."""
    if terms.deadline is not None and today > terms.deadline:
        raise ApplicationError("office.refused.deadline", deadline=terms.deadline.isoformat())
    if not consent.signed_by.strip() or not consent.relation.strip():
        raise ApplicationError("office.refused.consent")
    if consent.signed_on > today:
        raise ApplicationError("office.refused.consent_future")
    if period_count and not periods:
        raise ApplicationError("office.refused.no_period")
    if any(p < 1 or p > period_count for p in periods):
        raise ApplicationError("office.refused.period", count=period_count)
    if already_active:
        raise ApplicationError("office.refused.duplicate")
    return Application(student_id, class_name, service_id, consent, tuple(sorted(set(periods))))


def step(
    application: Application, action: str, role: str, terms: Terms, taken: int, reason: str = ""
) -> Application:
    """The application after `action` by `role`; `taken` is how many places of its service are held now."""
    found = TRANSITIONS.get((application.state, action))
    if found is None:
        raise ApplicationError("office.refused.step", state=application.state, action=action)
    after, allowed = found
    if role not in allowed:
        raise ApplicationError("office.refused.role", action=action)
    reason = reason.strip()
    if action in NEEDS_REASON and not reason:
        raise ApplicationError("office.refused.reason")
    if action == SCHOOL_APPROVE and terms.capacity and taken >= terms.capacity:
        raise ApplicationError("office.refused.full", capacity=terms.capacity)
    returned_from = application.state if action == SEND_BACK else ""
    return replace(
        application,
        state=after,
        returned_from=returned_from,
        reason=reason if action in NEEDS_REASON else "",
    )


def next_actions(application: Application, role: str) -> tuple[str, ...]:
    """The steps `role` may take on it now, for the page's buttons."""
    return tuple(
        action
        for action in ACTIONS
        if action != ARRANGE  # arrangement happens only by confirming a class formation
        and (found := TRANSITIONS.get((application.state, action))) is not None
        and role in found[1]
    )
