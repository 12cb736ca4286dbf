"""Provides the school server: pulls device logs, pushes datasets, the school-wide view."""
