"""Provides the guard console (Textual), which talks to a device or the server over HTTP only."""
