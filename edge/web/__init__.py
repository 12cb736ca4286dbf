"""Provides the kit every Rollcall web app is built from: the device's API and the school server's.

Routes with their OpenAPI description, the one error shape, request parsing, bearer tokens with
roles, the audit log, the live stream engine, the strict TOML settings both configurations share,
and serving under systemd. May import: `edge.core`.
"""
