"""`rollcall tui` (a token from a flag, a file or the environment; one-line errors) and the console `rollcall demo` opens."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from edge.cli.demo import DemoOptions, run_demo
from edge.cli.main import main
from tests.tui.conftest import until
from tui import cli
from tui.app import GuardApp


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """`tui.cli.run` replaced by a recorder: these tests check what the console is started with."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(cli, "run", lambda *args: calls.append(args) or 0)
    monkeypatch.delenv("ROLLCALL_TOKEN", raising=False)
    monkeypatch.delenv("ROLLCALL_URL", raising=False)
    return calls


def test_the_token_comes_from_a_file_and_the_language_from_the_flag(started: list[tuple[Any, ...]], tmp_path: Path) -> None:
    token = tmp_path / "kiosk.token"
    token.write_text("  s3cret-token\n", encoding="utf-8")
    assert main(["tui", "--url", "http://10.0.0.5:8470", "--token-file", str(token), "--lang", "en"]) == 0
    assert started == [("http://10.0.0.5:8470", "s3cret-token", "en", None)]


def test_the_defaults_are_the_devices_own_address_and_the_environments_token(
    started: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLCALL_TOKEN", "from-env")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["tui", "--export-dir", "/tmp/x"]) == 0
    assert started == [("http://127.0.0.1:8470", "from-env", "zh", Path("/tmp/x"))]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "no token: give --token-file FILE"),
        (["--token-file", "{empty}"], "the token file is empty"),
        (["--token-file", "{missing}"], "No such file or directory"),
    ],
)
def test_a_missing_token_is_one_line_and_status_2(
    started: list[tuple[Any, ...]], tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    paths = {"{empty}": str(tmp_path / "empty"), "{missing}": str(tmp_path / "missing")}
    assert main(["tui", *[paths.get(a, a) for a in args]]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and not started


def test_a_url_that_is_not_http_is_refused(started: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["tui", "--url", "127.0.0.1:8470", "--token", "t"])
    assert exited.value.code == 2 and "not an http:// or https:// address" in capsys.readouterr().err


def test_building_the_command_line_loads_no_textual() -> None:
    """`rollcall edge` builds the same parser, which lists `rollcall tui`: that must not load the console."""
    script = "import sys; from edge.cli.main import build_parser; build_parser(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'tui')))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60).stdout
    loaded = eval(out)  # noqa: S307 (our own subprocess's printed list)
    assert "tui.cli" in loaded and not [m for m in loaded if m.split(".")[0] in ("textual", "rich")], loaded


def test_the_demo_is_told_which_console_to_open() -> None:
    from edge.cli.main import build_parser

    args = build_parser().parse_args(["demo"])
    assert args.console is cli.run_async  # tui.cli registered itself; the edge never imported it


async def test_the_demo_on_a_terminal_runs_its_evening_under_the_console_until_the_guard_quits(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def console(url: str, token: str, lang: str) -> None:
        app = GuardApp(url, token, lang)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.board.online and len(app.board.feed) > 20, "the evening", seconds=30)
            seen.update(url=url, lang=lang, feed=len(app.board.feed), sessions=len(app.board.sessions))
        # leaving the context is the guard quitting

    out = io.StringIO()
    options = DemoOptions(speed=0, day=date(2026, 11, 30), lang="zh", data_dir=tmp_path / "demo", console=console)
    await run_demo(options, out)
    assert seen["url"].startswith("http://127.0.0.1:") and seen["lang"] == "zh"
    assert seen["feed"] > 20 and seen["sessions"] >= 4
    assert out.getvalue().startswith("演示结束。数据库:")  # the feed itself never went to the terminal
    assert (tmp_path / "demo" / "demo.log").exists()  # where the device's log lines went meanwhile
