"""`rollcall server user add/passwd/list`: accounts for the office's pages, written beside a running server."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from edge.cli.main import main
from sync.office import accounts


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "server.toml"
    path.write_text('[server]\nid = "school"\ndata_dir = "data"\n', encoding="utf-8")
    return path


def test_add_passwd_and_list(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    config = str(_config(tmp_path))
    monkeypatch.setenv("ROLLCALL_PASSWORD", "first password here")
    assert main(["server", "user", "add", "teacher1a", "--role", "homeroom", "--class", "一年级1班",
                 "--name", "徐文然", "--config", config]) == 0  # fmt: skip
    assert capsys.readouterr().err.strip().endswith("teacher1a:账号已添加(homeroom)")  # Chinese by default
    database = tmp_path / "data" / "server.sqlite3"
    with sqlite3.connect(database) as conn:
        stored = conn.execute(
            "SELECT password_hash FROM office_users WHERE username = 'teacher1a'"
        ).fetchone()[0]
    assert stored.startswith("$argon2id$") and "first password" not in stored
    assert accounts.matches(stored, "first password here") and not accounts.matches(stored, "other")
    with sqlite3.connect(database) as conn:  # a session of hers, to be ended by the new password
        conn.execute("INSERT INTO office_sessions VALUES ('x', 'teacher1a', 'c', '', '', '')")
    monkeypatch.setenv("ROLLCALL_PASSWORD", "second password here")
    assert main(["--lang", "en", "server", "user", "passwd", "teacher1a", "--config", config]) == 0
    assert capsys.readouterr().err.strip().endswith("teacher1a: password changed; its sessions ended")
    with sqlite3.connect(database) as conn:
        stored = conn.execute(
            "SELECT password_hash FROM office_users WHERE username = 'teacher1a'"
        ).fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM office_sessions").fetchone()[0] == 0
    assert accounts.matches(stored, "second password here")
    capsys.readouterr()
    assert main(["server", "user", "list", "--config", config]) == 0
    assert capsys.readouterr().out == "teacher1a\thomeroom\t徐文然\t一年级1班\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "t1", "--role", "homeroom"], "class: a homeroom teacher needs her class"),
        (["add", "t1", "--role", "janitor"], "role: one of office, homeroom"),
        (["add", "t 1", "--role", "office"], "username: letters, digits"),
        (["passwd", "nobody"], "username: no account 'nobody'"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.setenv("ROLLCALL_PASSWORD", "long enough password")
    assert main(["server", "user", *argv, "--config", str(_config(tmp_path))]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_a_short_password_is_refused(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLCALL_PASSWORD", "short")
    assert main(["server", "user", "add", "o1", "--role", "office", "--config", str(_config(tmp_path))]) == 2
    assert "password: at least 10 characters" in capsys.readouterr().err


def test_a_server_without_its_extra_says_what_to_install_in_one_line(tmp_path: Path) -> None:
    # As on a machine with `pip install rollcall` only (a device): argon2 cannot be imported.
    script = (
        "import sys; sys.modules['argon2'] = None\n"
        "from edge.cli.main import main\n"
        f"sys.exit(main(['server', '--config', {str(_config(tmp_path))!r}]))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 2, ran.stderr
    assert "Traceback" not in ran.stderr and len(ran.stderr.strip().splitlines()) == 1
    assert "pip install 'rollcall[server]'" in ran.stderr
