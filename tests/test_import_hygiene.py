"""The edge device never loads the console: starting it imports no Textual (checked in a fresh process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, tempfile
    from pathlib import Path
    from edge.device.config import parse_config
    from edge.cli.run import build_service

    data = Path(tempfile.mkdtemp())
    config = parse_config(
        {"device": {"id": "gate-1", "data_dir": str(data), "production": False},
         "sim": {"start": "2026-11-30T18:00:00+08:00"},
         "readers": [{"id": "gate-in", "protocol": "sim", "role": "gate-in"}]},
        "inline",
    )

    async def start():
        service = build_service(config)
        await service.recorder.open()
        await service.tick()
        await service.recorder.close()

    asyncio.run(start())
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "tui", "rich"))
    print(",".join(loaded) or "clean")
    """
)


def test_starting_the_edge_service_loads_no_textual(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_the_command_line_of_the_device_loads_no_textual() -> None:
    """`rollcall edge` builds the whole parser, which names the console's and server's commands lazily."""
    script = (
        "import sys, edge.cli.main\n"
        "edge.cli.main.build_parser()\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))) or 'clean')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
