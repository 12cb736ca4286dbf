"""Provides the `rollcall` command (`main.py`), `rollcall edge` (`run.py`), the demo and the sample school.

The top of the house: it may import every room of `edge`, and names the school server's and the
console's commands only by module name (`sync.cli`, `tui.cli`), loaded when asked for.
"""
