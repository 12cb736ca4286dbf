"""Fixtures of the deployment tests, and the security scores printed at the end of the run for the CI log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import SCORES, Notifications


@pytest.fixture
def notifications(tmp_path: Path) -> Iterator[Notifications]:
    receiver = Notifications(tmp_path)
    yield receiver
    receiver.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SCORES:
        terminalreporter.section(
            "systemd-analyze security --offline=true (exposure, lower is better; at most 3.0)"
        )
        for unit, line in sorted(SCORES.items()):
            terminalreporter.write_line(f"{unit}: {line}")
