"""The server's configuration names every bad key; `rollcall server` manages rosters and datasets, and shows what leaves for the district, from the command line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from edge.cli.main import main
from edge.files.roster import write_roster
from edge.web.settings import ConfigError
from sync.config import load_server_config, parse_server_config
from tests.api.conftest import school

GOOD: dict[str, Any] = {
    "server": {"id": "school", "data_dir": "data"},
    "devices": [{"id": "gate-1", "url": "http://10.0.0.11:8470", "token": "a-long-enough-device-token"}],
}


def test_a_good_file_reads_with_its_defaults(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text(
        '[server]\nid = "school"\ndata_dir = "data"\n[pull]\nbatch = 2000\n'
        '[[devices]]\nid = "gate-1"\nurl = "http://10.0.0.11:8470/"\ntoken = "a-long-enough-device-token"\n'
        '[[notify]]\nkind = "wecom"\nurl = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"\n',
        encoding="utf-8",
    )
    config = load_server_config(path)
    assert config.database == tmp_path / "data" / "server.sqlite3" and config.listen == "127.0.0.1:8480"
    assert config.devices[0].url == "http://10.0.0.11:8470" and config.pull.batch == 2000 and config.pull.gzip
    assert config.notify[0].names is False and config.notify[0].label.startswith("wecom:qyapi")
    assert config.retention_days == 365


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"servers": {}}, "servers: unknown key"),
        ({"server": {"data_dir": "x"}}, "server.id: missing"),
        ({"pull": {"batch": 9000}}, "pull.batch: must be from 1 to 5000"),
        ({"pull": {"wait": 60}}, "pull.wait: at most 30"),
        ({"pull": {"timeout": 0}}, "pull.timeout: must be more than 0"),
        (
            {"devices": [{"id": "g", "url": "ftp://x", "token": "a-long-enough-device-token"}]},
            "devices[0].url",
        ),
        ({"devices": [{"id": "g", "url": "http://x:1", "token": "short"}]}, "devices[0].token: too short"),
        ({"devices": [GOOD["devices"][0], GOOD["devices"][0]]}, "device id 'gate-1' appears twice"),
        ({"notify": [{"kind": "slack", "url": "https://x"}]}, "notify[0].kind: 'slack' is not one of"),
        (
            {"notify": [{"kind": "webhook", "url": "https://x", "alerts": ["fire"]}]},
            "notify[0].alerts: 'fire'",
        ),
        ({"api": {"tokens": [{"role": "boss", "sha256": "0" * 64}]}}, "api.tokens[0].role: 'boss'"),
        ({"retention": {"days": 0}}, "retention.days: must be from 1"),
    ],
)
def test_a_bad_value_names_its_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_server_config(GOOD | change, "server.toml")


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "server.toml"
    path.write_text('[server]\nid = "school"\ndata_dir = "data"\n[[devices]]\nid = "gate-1"\n'
                    'url = "http://127.0.0.1:9"\ntoken = "a-long-enough-device-token"\n', encoding="utf-8")  # fmt: skip
    return path


def test_roster_import_stores_the_next_versions_and_keeps_console_cards(tmp_path: Path, capsys: Any) -> None:
    config = _config(tmp_path)
    assert main(["server", "dataset", "sample", "--config", str(config)]) == 0
    roster = tmp_path / "roster.csv"
    write_roster(school(), roster)
    database = tmp_path / "data" / "server.sqlite3"
    with sqlite3.connect(database) as conn:  # a card given out at a console meanwhile
        conn.execute(
            "INSERT INTO card_assignments VALUES ('0A0B0C0D', 's0001', '2026-11-30T18:00:00+08:00', 'gate-1', 'u1')"
        )
    assert main(["server", "--config", str(config), "roster", "import", str(roster)]) == 0
    err = capsys.readouterr().err
    assert "students:480 行" in err and "cards:1178 行,版本 2" in err  # 1,177 and the console's
    with sqlite3.connect(database) as conn:
        cards = json.loads(
            conn.execute("SELECT body FROM dataset_versions WHERE name = 'cards' AND version = 2").fetchone()[
                0
            ]
        )
    assert {"uid": "0A0B0C0D", "kind": "student", "holder_id": "s0001", "status": "active"} in cards
    assert {c["holder_id"] for c in cards if c["kind"] == "staff"} == set(
        school().staff
    )  # not in a roster file
    assert main(["server", "dataset", "list", "--config", str(config)]) == 0
    listed = capsys.readouterr().out
    assert "cards\tv2\t" in listed and "rooms\tv1\t" in listed


def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: Any) -> None:
    assert main(["server", "--config", str(tmp_path / "missing.toml"), "dataset", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("missing.toml: no such file") and "\n" not in err
    config = _config(tmp_path)
    rows = tmp_path / "rooms.json"
    rows.write_text('[{"id": "r1"}]', encoding="utf-8")
    assert main(["server", "dataset", "put", "rooms", str(rows), "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().endswith("rooms row 1: missing field 'name'")
    assert main(["server", "resume", "gate-1", "--config", str(config)]) == 2
    assert "is not stopped" in capsys.readouterr().err


def test_targets_may_choose_every_alert_kind_the_server_raises() -> None:
    from sync.config import ALERT_KINDS
    from sync.view import URGENCY

    assert set(ALERT_KINDS) == set(URGENCY)


EXAMPLE = Path(__file__).parents[2] / "systemd" / "server.toml.example"


def test_the_shipped_example_loads_as_copied(tmp_path: Path) -> None:
    copied = tmp_path / "server.toml"
    copied.write_bytes(EXAMPLE.read_bytes())
    config = load_server_config(copied)
    assert (config.server_id, config.listen, config.data_dir) == (
        "school",
        "0.0.0.0:8480",
        Path("/var/lib/rollcall-server"),
    )
    assert config.devices == () and config.tokens == () and config.notify == ()
    assert (config.pull.batch, config.push_every, config.retention_days) == (1000, 30.0, 365)


def test_the_examples_device_and_token_tables_load_once_uncommented_and_filled(tmp_path: Path) -> None:
    # What the comments tell an admin to do: uncomment a table and put real values for the "…" ones.
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    for header in ("# [[devices]]", "# [[api.tokens]]"):
        start = lines.index(header)
        end = next(n for n in range(start, len(lines)) if not lines[n].startswith("# "))
        lines[start:end] = [line.removeprefix("# ") for line in lines[start:end]]
    filled = (
        "\n".join(lines)
        .replace("…64 hex digits…", "ab" * 32)
        .replace("…the device's server token…", "t" * 32)
    )
    path = tmp_path / "server.toml"
    path.write_text(filled.replace("…the device's admin token…", "a" * 32), encoding="utf-8")
    config = load_server_config(path)
    assert [(d.id, d.url, d.token) for d in config.devices] == [("gate-1", "http://10.0.0.11:8470", "t" * 32)]
    assert [(t.role, t.name) for t in config.tokens] == [("admin", "office")]


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o604, True), (0o640, False), (0o600, False)])
def test_a_configuration_others_may_read_is_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: int, warned: bool
) -> None:
    path = _config(tmp_path)
    path.chmod(mode)
    caplog.set_level("INFO", logger="rollcall.sync")
    load_server_config(path)
    found = [
        r
        for r in caplog.records
        if r.levelname == "WARNING" and "config_readable_by_others" in r.getMessage()
    ]
    assert bool(found) is warned
    if warned:
        message = found[0].getMessage()
        assert f"file={path} mode={mode:04o} devices=1" in message and "chmod 640" in message


def test_upward_prints_what_leaves_for_the_district_and_nothing_personal(tmp_path: Path, capsys: Any) -> None:
    from datetime import date

    from edge.core.plan import plan_day

    config = _config(tmp_path)
    assert main(["server", "dataset", "sample", "--config", str(config)]) == 0
    capsys.readouterr()
    monday = date(2026, 11, 30)
    assert main(["server", "upward", "--date", monday.isoformat(), "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    planned = plan_day(school(), monday, load_server_config(config).timezone).sessions.values()
    assert sorted((r["service"], r["room"]) for r in rows) == sorted(
        (s.service_id, s.room_id) for s in planned
    )
    assert {(r["school"], r["date"], r["signer"], str(r["children"])) for r in rows} == {
        ("school", "2026-11-30", "", "[]")
    }
    assert (
        sum(r["enrolled"] for r in rows) == sum(r["missing"] for r in rows) > 0
    )  # nobody came: a day with no taps
    people = {s.name for s in school().students.values()} | {g.phone for g in school().guardians.values()}
    assert [p for p in people if p and p in out] == []
    assert (
        err.strip()
        == f"school 2026-11-30:{len(rows)} 行,不含学生姓名,签字教师只报工号;由区里经 GET /api/v1/upward 拉取"
    )
    assert (
        main(["--lang", "en", "server", "upward", "--date", monday.isoformat(), "--config", str(config)]) == 0
    )
    how = "no child's name, the signer by staff id; pulled by the district over GET /api/v1/upward"
    assert capsys.readouterr().err.strip() == f"school 2026-11-30: {len(rows)} rows, {how}"
    assert main(["server", "upward", "--date", "30 Nov", "--config", str(config)]) == 2
    assert "--date:日期应为 YYYY-MM-DD,而不是 '30 Nov'" in capsys.readouterr().err
