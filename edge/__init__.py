"""Provides the edge device and what the school server shares with it, in rooms by layer.

    core/    the school's rules, pure: model, timetables, day plans, rules, projection, reports
    files/   what goes in and out as files: rosters, enrolments and leave in; reports out
    web/     the kit every Rollcall web app uses: routes, errors, parsing, tokens, audit, live, serving
    device/  the device's runtime: configuration, store, the one writer, the service loop
    api/     the device's HTTP routes
    cli/     the `rollcall` command, the demo and the sample school

Each room imports only the rooms listed below it, and `hardware`'s plain types; the contracts in
pyproject.toml check it.
"""
