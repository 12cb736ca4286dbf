"""Provides what goes in and out as files: rosters, enrolments and leave in (CSV, XLSX); reports out.

Every bad row is a `file:line: reason`. May import: `edge.core`, `hardware`'s plain types.
"""
