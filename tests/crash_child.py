"""Provides the child process of the durability test: appends taps and prints each seq after COMMIT.

Run as `python -m tests.crash_child DATABASE [COUNT]`; the parent kills it with SIGKILL at random
moments. A line on stdout is a promise: that seq is on disk.
"""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from edge.core.model import Event, EventKind, Outcome
from edge.device.store import Store


def main(path: Path, count: int) -> None:
    store = Store.open(path)
    projection = store.load_projection()
    start = datetime(2026, 11, 30, 17, 55, tzinfo=ZoneInfo("Asia/Shanghai"))
    for n in range(count):
        event = Event(
            uuid=uuid.uuid4().hex,
            kind=EventKind.TAP,
            outcome=Outcome.ON_CAMPUS,
            at=start + timedelta(seconds=n),
            device_id="crash",
            reader_id="gate-in",
            card_uid=f"{n:08X}",
            subject=f"s{n % 500:04d}",
        )
        stored = store.append(event, projection)
        sys.stdout.write(f"{stored.seq} {stored.uuid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
