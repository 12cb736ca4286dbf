"""Provides the device's runtime: its configuration, the store, the one writer and the service loop.

Readers -> repeat filter -> recorder (decide, append, project) -> feedback and live subscribers.
May import: `edge.core`, `edge.web` (settings, audit table), `hardware`. Never the API or the CLI.
"""
