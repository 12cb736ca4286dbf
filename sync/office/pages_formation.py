"""Provides the formation pages."""

from __future__ import annotations

ROUTES: tuple[object, ...] = ()
