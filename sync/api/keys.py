"""Provides the typed keys of the server's application state (the device's keys serve the shared parts)."""

from __future__ import annotations

from aiohttp import web

from sync.server import SchoolServer

SCHOOL = web.AppKey("school", SchoolServer)
