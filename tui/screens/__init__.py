"""Provides the console's screens (one per function key) and its dialogs."""
