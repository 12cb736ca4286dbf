"""Runs the `rollcall` command as `python -m edge.cli` (the tests and the units' checks use it)."""

from edge.cli.main import main

raise SystemExit(main())
