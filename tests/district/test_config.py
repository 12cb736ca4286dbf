"""district.toml: the shipped example loads as copied, every mistake is one line naming the file and key, and the CLI's own errors."""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path

import pytest

from edge.cli.main import main
from edge.web.settings import ConfigError
from sync.bureau.sessions import Sessions
from sync.district.config import load_district_config, parse_district_config

EXAMPLE = Path(__file__).parents[2] / "systemd" / "district.toml.example"
HASH = "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
GOOD = f"""
[district]
name = "海淀区教育局"
deadline = "20:30"
first_day = 2026-09-01
holidays = [2026-10-01, "2026-10-02"]
workdays = [2026-10-11]

[store]
url = "postgresql://rollcall_district@localhost/district"

[pull]
every = 60

[[schools]]
id = "S-A01"
name = "第一实验小学"
services = ["evening"]
conninfo = "host=10.1.0.5 dbname=rollcall"

[[schools]]
id = "school"
name = "城关小学"
url = "http://10.2.0.5:8480/"
token = "0123456789abcdef0123"

[[users]]
username = "bureau"
name = "王科长"
password_hash = "{HASH}"
"""


def test_the_shipped_example_loads_as_copied(tmp_path: Path) -> None:
    copied = tmp_path / "district.toml"
    copied.write_bytes(EXAMPLE.read_bytes())
    config = load_district_config(copied)
    assert (config.name, config.listen, config.deadline, config.pull_every) == (
        "区教育局",
        "127.0.0.1:8490",
        time(21),
        300.0,
    )
    assert config.store_url.startswith("postgresql://") and config.schools == () and config.users == ()


def test_the_examples_school_and_user_tables_load_once_uncommented_and_filled(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    uncommented = [
        line[2:] if line.startswith("# ") and (line[2:].startswith(("[[", "id", "name", "services", "conninfo", "url",
                                                                     "token", "username", "password_hash"))) else line
        for line in lines
    ]  # fmt: skip
    text = "\n".join(uncommented).replace("…the school server's server token…", "x" * 32)
    text = text.replace("$argon2id$v=19$m=65536,t=3,p=4$…", HASH)
    copied = tmp_path / "district.toml"
    copied.write_text(text, encoding="utf-8")
    config = load_district_config(copied)
    assert [(s.id, s.pulled) for s in config.schools] == [("S-A01", False), ("school", True)]
    assert [u.username for u in config.users] == ["bureau"]


def test_a_good_file_reads_into_its_values() -> None:
    config = parse_district_config(tomllib.loads(GOOD), "district.toml")
    assert config.deadline == time(20, 30) and config.first_day == date(2026, 9, 1)
    assert config.days.holidays == {date(2026, 10, 1), date(2026, 10, 2)}
    assert (
        date(2026, 10, 11) in config.days and date(2026, 10, 1) not in config.days
    )  # a Sunday 调休, a Thursday off
    assert config.schools[1].url == "http://10.2.0.5:8480" and config.schools[0].services == ("evening",)


def _with(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


BAD = [
    (("[pull]", "[pul]"), "district.toml: pul: unknown key"),
    (('deadline = "20:30"', 'deadline = "8pm"'), "district.toml: district.deadline: not a time of day (HH:MM): '8pm'"),
    (('name = "海淀区教育局"', 'name = "海淀区教育局"\ntimezone = "Mars/Base"'), "district.toml: district.timezone: unknown time zone 'Mars/Base'"),
    (("first_day = 2026-09-01", 'first_day = "1.9.2026"'), "district.toml: district.first_day: expected a date as YYYY-MM-DD, got '1.9.2026'"),
    (('"2026-10-02"', '"10月2日"'), "district.toml: district.holidays[1]: expected a date as YYYY-MM-DD"),
    (('url = "postgresql://rollcall_district@localhost/district"', 'url = "mysql://x/y"'), "district.toml: store.url: expected postgresql://"),
    (("[store]\nurl", "[store]\nuri"), "district.toml: store.uri: unknown key"),
    (("every = 60", "every = 0"), "district.toml: pull.every: must be more than 0, not 0"),
    (('id = "S-A01"', 'id = "S A01"'), "district.toml: schools[0].id: school code 'S A01': 1-40 letters"),
    (('id = "school"', 'id = "S-A01"'), "district.toml: schools: school id 'S-A01' appears twice"),
    (('conninfo = "host=10.1.0.5 dbname=rollcall"', ""), "district.toml: schools[0]: needs url and token (a school on SQLite, pulled over HTTP) or conninfo"),
    (('token = "0123456789abcdef0123"', 'token = "short"'), "district.toml: schools[1].token: a server-role token of the school is needed"),
    (('url = "http://10.2.0.5:8480/"', 'url = "10.2.0.5:8480"'), "district.toml: schools[1].url: expected http://HOST:PORT"),
    (('services = ["evening"]', 'services = [""]'), "district.toml: schools[0].services[0]: expected a service id"),
    (('services = ["evening"]', 'services = "evening"'), "district.toml: schools[0].services: expected list, got 'evening'"),
    (('name = "城关小学"', ""), "district.toml: schools[1].name: missing"),
    ((f'password_hash = "{HASH}"', 'password_hash = "secret"'), "district.toml: users[0].password_hash: not an argon2id hash"),
    (('username = "bureau"', 'username = "王 科长"'), "district.toml: users[0].username: letters, digits"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), BAD, ids=[m.split(": ")[1] for _, m in BAD])
def test_a_mistake_is_one_error_naming_the_file_and_key(change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_district_config(tomllib.loads(_with(GOOD, *change)), "district.toml")
    assert str(raised.value).startswith(message), str(raised.value)


def test_the_cli_names_the_file_and_the_database_it_cannot_reach(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "district.toml"
    assert main(["district", "--config", str(path), "pull"]) == 2
    assert capsys.readouterr().err.strip().endswith(f"{path}: no such file")
    # A district database that is not there (port 9 on loopback refuses at once): store.url by host, no traceback.
    path.write_text(
        _with(
            GOOD, "postgresql://rollcall_district@localhost/district", "postgresql://u@127.0.0.1:9/district"
        )
    )
    assert main(["district", "pull", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "store.url (postgresql://127.0.0.1:9/district): " in err and "Traceback" not in err
    # No user: nobody could sign in, so it does not serve.
    path.write_text(GOOD.split("[[users]]")[0])
    assert main(["district", "serve", "--config", str(path)]) == 2
    assert "users 为空,没有人能登录" in capsys.readouterr().err


def test_passwd_prints_a_hash_the_config_takes_and_the_sign_in_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLCALL_PASSWORD", "short")
    assert main(["district", "passwd"]) == 2
    assert "password: at least 10 characters" in capsys.readouterr().err
    monkeypatch.setenv("ROLLCALL_PASSWORD", "a long bureau password")
    assert main(["district", "passwd"]) == 0
    hashed = capsys.readouterr().out.strip()
    config = parse_district_config(tomllib.loads(_with(GOOD, HASH, hashed)), "district.toml")
    sessions = Sessions(config.users)
    assert sessions.check("bureau", "a long bureau password")
    assert not sessions.check("bureau", "a long bureau passwort") and not sessions.check(
        "nobody", "a long bureau password"
    )
