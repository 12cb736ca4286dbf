"""Provides the district education bureau's pages (`rollcall district`): its schools' upward reports, read in a browser.

A package of its own, beside `sync.district` (the upward report's schema, replication, pulls and
figures), because it reuses the office's web kit, throttle, password hashing and workbook sheets
(`sync.office`), and the office's package imports the server's API, which imports the upward
schema: the pages inside `sync.district` would close that circle (import-linter's acyclic contract).
"""
