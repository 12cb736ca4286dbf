"""SIGKILL at random moments never loses an acknowledged event, never duplicates one, and db check passes."""

from __future__ import annotations

from pathlib import Path

from tests.durability import kill_and_verify


def test_fifty_kills_lose_nothing_acknowledged(tmp_path: Path) -> None:
    trial = kill_and_verify(tmp_path / "crash.sqlite3", kills=50, seed=2026)
    assert trial.kills == 50
    assert trial.promised > 50  # the children did write before dying
    assert trial.stored >= trial.promised
