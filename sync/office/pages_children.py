"""Provides the children pages."""

from __future__ import annotations

ROUTES: tuple[object, ...] = ()
