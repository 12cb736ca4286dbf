"""Provides the edge device: model, rules, timetables, store, service loop and the command line."""
