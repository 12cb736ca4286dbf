"""The `rollcall` command: the demo end to end, reports from its database, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli.main import main

DAY = "2026-11-30"  # a Monday with evening study


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, "-m", "edge.cli", "demo", "--headless", "--speed", "0", "--date", DAY, "--data", str(data)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    return data, result.stdout


def test_the_demo_plays_every_case_of_an_evening_in_chinese(demo_run: tuple[Path, str]) -> None:
    _, out = demo_run
    for words in ("到校", "已签到", "迟到", "走错教室", "未登记的卡", "挂失卡", "家长接走", "自行离校",
                  "须家长接送", "无接送权限", "警报: 已进校门未到教室", "警报: 缺勤未请假", "警报: 超时未接",
                  "零报告已签", "已找到", "全校汇总"):
        assert words in out, words
    assert out.count("━━ 零报告 · 晚自习") == 4  # one zero report per room


def test_the_demo_totals_match_its_script(demo_run: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = demo_run
    assert main(["report", "zero", "--config", str(data / "edge.toml"), "--date", DAY, "--format", "json"]) == 0
    reports = [r for r in json.loads(capsys.readouterr().out) if r["session"]["service_id"] == "evening"]
    totals = {key: sum(r["counts"][key] for r in reports) for key in reports[0]["counts"]}
    assert totals["enrolled"] == 150
    assert totals["on_leave"] == 2  # two leave notes
    assert totals["missing"] == 1  # one child never came
    assert totals["still_waiting"] == 0  # the escalated child was released at 20:08
    assert totals["walked_home"] == 1
    assert totals["late"] >= 3
    assert all(r["signed"] for r in reports)
    assert sum(not r["clean"] for r in reports) == 1


def test_db_check_passes_on_the_demo_database(demo_run: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = demo_run
    assert main(["db", "check", "--config", str(data / "edge.toml")]) == 0
    assert capsys.readouterr().out.strip() == "ok"
    assert main(["db", "rebuild", "--config", str(data / "edge.toml")]) == 0
    assert main(["db", "check", "--config", str(data / "edge.toml")]) == 0


def test_report_in_english_csv_and_xlsx(demo_run: tuple[Path, str], capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    data, _ = demo_run
    config = str(data / "edge.toml")
    assert main(["--lang", "en", "report", "zero", "--config", config, "--date", DAY]) == 0
    assert "Zero report" in capsys.readouterr().out
    assert main(["report", "zero", "--config", config, "--date", DAY, "--format", "csv"]) == 0
    assert "缺勤" in capsys.readouterr().out
    xlsx = tmp_path / "zero.xlsx"
    assert main(["report", "zero", "--config", config, "--date", DAY, "--format", "xlsx", "--output", str(xlsx)]) == 0
    from openpyxl import load_workbook

    rows = list(load_workbook(xlsx).active.values)
    assert rows[0][:4] == ("场次", "服务", "教室", "状态") and any("缺勤" in str(row[3]) for row in rows[1:])


def test_the_demo_refuses_a_folder_that_already_holds_a_database(demo_run: tuple[Path, str],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = demo_run
    assert main(["demo", "--headless", "--speed", "0", "--date", DAY, "--data", str(data)]) == 2
    assert "needs an empty folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["report", "zero", "--config", "/nonexistent/edge.toml"], "/nonexistent/edge.toml: no such file"),
        (["db", "check", "--config", "{bad}"], "{bad}: device.colour: unknown key"),
        (["roster", "import", "{csv}", "--config", "{good}"], "{csv}:3: 性别"),
    ],
)
def test_user_errors_exit_2_with_one_clear_line(tmp_path: Path, argv: list[str], needle: str) -> None:
    bad = tmp_path / "edge.toml"
    bad.write_text('[device]\nid = "x"\ncolour = "red"\n', encoding="utf-8")
    good_dir = tmp_path / "good"
    good_dir.mkdir()
    good = good_dir / "edge.toml"
    good.write_text('[device]\nid = "x"\ndata_dir = "."\n', encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("学号,姓名,性别,年级,班级\nS1,张三,男,3,三年级1班\nS2,李四,未知,3,三年级1班\n", encoding="utf-8")
    args = [a.format(bad=bad, good=good, csv=roster) for a in argv]
    result = subprocess.run([sys.executable, "-m", "edge.cli", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert needle.format(bad=bad, csv=roster) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
