"""Provides the device's HTTP API (DESIGN.md §5): `create_app(config, service)`, one module per route family.

May import: `edge.device`, `edge.web`, `edge.files`, `edge.core`, `hardware`. Never the CLI.
"""

from edge.api.app import create_app

__all__ = ["create_app"]
