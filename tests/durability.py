"""Provides the SIGKILL durability trial shared by the test suite (50 kills) and the benchmark (1,000)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from edge.device.store import Store


@dataclass
class Trial:
    kills: int = 0
    promised: int = 0  # seqs the child printed after COMMIT returned
    stored: int = 0


def kill_and_verify(path: Path, kills: int, seed: int) -> Trial:
    """Kill a writing child `kills` times at random moments; after each, every promised seq must be there."""
    rng = random.Random(seed)
    promised: dict[int, str] = {}
    trial = Trial()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    for _ in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_child", str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert child.stdout is not None
        for _ in range(rng.randint(1, 40)):
            line = child.stdout.readline()
            if not line:
                break
            seq, uid = line.split()
            promised[int(seq)] = uid
        child.send_signal(signal.SIGKILL)
        # Lines already written before the kill are promises too: read them all.
        for line in child.stdout:
            seq, uid = line.split()
            promised[int(seq)] = uid
        child.wait()
        trial.kills += 1
        verify(path, promised)
    trial.promised = len(promised)
    store = Store.open(path)
    try:
        trial.stored = store.head_seq()
    finally:
        store.close()
    return trial


def verify(path: Path, promised: dict[int, str]) -> None:
    store = Store.open(path)
    try:
        stored = {e.seq: e.uuid for e in store.events()}
        lost = [seq for seq, uid in promised.items() if stored.get(seq) != uid]
        if lost:
            raise AssertionError(f"acknowledged events lost after SIGKILL: seqs {lost[:10]}")
        uuids = list(stored.values())
        if len(uuids) != len(set(uuids)):
            raise AssertionError("an event was stored twice")
        problems = store.check()
        if problems:
            raise AssertionError(f"db check failed after SIGKILL: {problems[:3]}")
    finally:
        store.close()
