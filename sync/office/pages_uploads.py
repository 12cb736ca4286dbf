"""Provides the uploads pages."""

from __future__ import annotations

ROUTES: tuple[object, ...] = ()
