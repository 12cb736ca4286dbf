"""Provides what a page needs from the school-wide view: the roster, and a child only when the user may see her."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from edge.core.model import School, Student
from sync.api.keys import SCHOOL
from sync.office.accounts import User
from sync.office.problems import Problem
from sync.office.roles import school_wide
from sync.office.web import Refused, text


async def roster(request: web.Request) -> School:
    return await request.app[SCHOOL].query(lambda view: view.school)


def sees_class(user: User, class_name: str) -> bool:
    return school_wide(user.role) or (bool(user.class_name) and user.class_name == class_name)


def child(school: School, user: User, student_id: str) -> Student:
    """The child, when she is in the user's class (or the user sees the school); else 403 — the same
    answer whether or not she exists, so an id tried names nobody."""
    student = school.students.get(student_id)
    if student is None or not sees_class(user, student.class_name):
        if student is None and school_wide(user.role):
            raise Refused(404, "office.no_child")
        raise Refused(403, "office.forbidden")
    return student


def problem_texts(request: web.Request, people: School, problems: Iterable[Problem]) -> list[str]:
    """Each problem in the reader's language, naming services, rooms and staff by name, not by id.

    The pure rules name what they hold (`service`, `room`, `person` ids); an id the school does not
    know is shown as it is, since that is what was typed."""
    found = []
    for problem in problems:
        params = dict(problem.params)
        for key, names in (("service", people.services), ("room", people.rooms), ("person", people.staff)):
            value = params.get(key)
            if isinstance(value, str) and value in names:
                params[key] = names[value].name
        found.append(text(request, problem.code, **params))
    return found
