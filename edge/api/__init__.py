"""Provides the edge device's HTTP API (DESIGN.md §5): `create_app(config, service)`."""

from edge.api.app import create_app

__all__ = ["create_app"]
