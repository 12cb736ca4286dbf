"""Provides a service's periods (期) in a year: summer day care runs in periods a family picks one or more of."""

from __future__ import annotations

from datetime import date

from edge.core.model import Service


def periods(service: Service, year: int) -> list[tuple[date, date]]:
    """The date ranges of the service's rules in `year`, in order, for a service that runs in periods
    (one not bound to school days: summer day care); empty for every other service."""
    if service.school_days_only:
        return []
    found = {
        (rule.valid_from, rule.valid_to)
        for rule in service.rules
        if rule.valid_from.year <= year <= rule.valid_to.year
    }
    return sorted(found)
