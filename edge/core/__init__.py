"""Provides the school's rules, pure: the model, timetables, day plans, rules, projection and reports.

No I/O and no clock: `now` is always a parameter. The device and the school server decide with
these very functions. May import: `hardware`'s plain types (card reads, UID renderings), nothing else
of ours.
"""
