"""The bureau's pages on a real district PostgreSQL: every figure equals the one counted off the rows the test wrote.

Rows are written into the district's `upward` table as replication or a pull would leave them; the
pages are read over HTTP as the bureau's browser would, signed in. The reporting rate by school
(hypothesis: any mix of on-time, late and unsigned reports over a week), a school that sent nothing,
the unresolved children (names only when sent), a school's history, the three workbooks (and their
PDF through LibreOffice), a failed pull named on the page, and `rollcall district subscribe` against
a real school's publication.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.district.upward import UpwardRow
from tests.district import pg
from tests.district.rows import MONDAY, SCHOOLS, WEEK, counted, row, rows_strategy

psycopg = pytest.importorskip("psycopg")
openpyxl = pytest.importorskip("openpyxl")
from sync.district import pulling, replication  # noqa: E402 (psycopg first: skipped without it)
from sync.office import exports  # noqa: E402
from tests.district.site import Client, Site, config_text  # noqa: E402

CELLS = ("expected", "reported", "on_time", "late", "not_reported")
PINYIN = ["S-AN", "S-BA", "S-CH", "S-ZH"]  # 安定门, 白塔寺, 朝阳, 张家湾


def write(site: Site, rows: list[UpwardRow]) -> None:
    with psycopg.connect(site.dsn) as conn:
        conn.execute("DELETE FROM upward")
        conn.commit()
        replication.upsert(conn, rows)


@pytest.fixture(scope="module")
def bureau(site: Site) -> Client:
    client = Client(site.url)
    assert client.sign_in().status == 303
    return client


def table(html: str, attribute: str = "data-school") -> dict[str, dict[str, str]]:
    """Each row's cells by class, keyed by the row's data attribute ("" for the total)."""
    found = {}
    for key, body in re.findall(rf'<tr {attribute}="([^"]*)"[^>]*>(.*?)</tr>', html, re.S):
        found[key] = dict(re.findall(r'<t[dh] class="n (\w+)">([^<]*)<', body))
    return found


def test_every_page_needs_a_sign_in_and_a_form_its_token(site: Site) -> None:
    visitor = Client(site.url)
    paths = ["/", f"/?date={MONDAY}", "/missing", "/rate.xlsx", "/missing.xlsx", "/schools/S-AN",
             "/schools/S-AN/history.xlsx?from=2026-11-01", "/schools/nope"]  # fmt: skip
    for path in paths:
        answer = visitor.get(path)
        where = urlsplit(answer.headers["Location"])
        assert (answer.status, where.path, parse_qs(where.query)["next"]) == (303, "/login", [path]), path
    assert visitor.post("/logout", {}).status == 403  # signed out: no post is taken
    assert visitor.get("/static/office/office.css").status == 200  # the stylesheet is public
    wrong = visitor.sign_in(password="not the password")
    assert wrong.status == 401 and "用户名或密码不正确" in wrong.text
    assert visitor.get("/").status == 303
    # A form from elsewhere (no token) is refused, signed in or not.
    assert (
        visitor.post("/login", {"username": "bureau", "password": "correct horse battery"}, csrf=False).status
        == 403
    )
    signed = visitor.sign_in(next_path="/missing")
    assert (signed.status, signed.headers["Location"]) == (303, "/missing")
    assert visitor.get("/").status == 200
    assert visitor.post("/logout", {}, csrf=False).status == 403
    assert visitor.post("/logout", {}).status == 303
    assert visitor.get("/").status == 303  # the session ended
    assert Client(site.url).sign_in(next_path="//elsewhere.example/").headers["Location"] == "/"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy(), day=st.sampled_from(WEEK))
def test_the_rate_page_shows_the_figures_counted_off_the_rows(site: Site, bureau: Client, rows: list[UpwardRow],
                                                               day: date) -> None:  # fmt: skip
    write(site, rows)
    page = bureau.get(f"/?date={day}")
    assert page.status == 200
    shown = table(page.text)
    assert list(shown) == [*PINYIN, ""]  # by the pinyin of the schools' names, then the district's total
    for school in SCHOOLS:
        cells = {k: int(v) for k, v in shown[school].items()}
        assert cells == counted(rows, school, day), school
        assert cells["reported"] + cells["not_reported"] == cells["expected"]
        assert cells["on_time"] + cells["late"] == cells["reported"]
    total = {k: int(v) for k, v in shown[""].items()}
    assert total == {k: sum(counted(rows, s, day)[k] for s in SCHOOLS) for k in CELLS}
    whole = total["expected"]
    rates = re.findall(r'<th class="n">([^<]*)</th>', page.text.split("<tfoot>")[1])
    assert rates == ([f"{100 * total['reported'] / whole:.1f}%", f"{100 * total['on_time'] / whole:.1f}%"]
                     if whole else ["—", "—"])  # fmt: skip


def test_a_school_that_sent_nothing_shows_as_not_reported(site: Site, bureau: Client) -> None:
    write(site, [row(s, MONDAY, "evening", "r301", "on_time") for s in ("S-AN", "S-BA", "S-ZH")])
    page = bureau.get(f"/?date={MONDAY}")
    chaoyang = re.search(r'<tr data-school="S-CH" class="short">(.*?)</tr>', page.text, re.S)
    assert chaoyang is not None  # highlighted
    assert table(page.text)["S-CH"] == {
        "expected": "1",
        "reported": "0",
        "on_time": "0",
        "late": "0",
        "not_reported": "1",
    }
    assert "0.0%" in chaoyang.group(1) and "尚未收到" in chaoyang.group(1)
    assert table(page.text)[""]["expected"] == "4" and "75.0%" in page.text.split("<tfoot>")[1]
    assert "当天上报 21:00 截止,尚未截止" in page.text  # 20:00 on the day
    closed = bureau.get(f"/?date={MONDAY - timedelta(days=3)}")  # the Friday before: closed, nobody reported
    assert "已于 21:00 截止" in closed.text and table(closed.text)[""]["not_reported"] == "4"
    sunday = bureau.get(f"/?date={MONDAY + timedelta(days=6)}")
    assert "非上学日" in sunday.text and table(sunday.text)[""]["expected"] == "0"
    english = bureau.get(f"/?date={MONDAY}&lang=en").text  # remembered in a cookie ...
    assert "Not reported" in english and "District total" in bureau.get("/").text
    assert "全区合计" in bureau.get(f"/?date={MONDAY}&lang=zh").text  # ... until asked again


def test_the_missing_page_names_rooms_counts_and_only_the_names_a_school_sends(
    site: Site, bureau: Client
) -> None:
    named = UpwardRow(**{**row("S-BA", MONDAY, "evening", "r302", "late", missing=1, found=2).as_dict(),
                         "children": (("missing", "李娜", "一年级1班"), ("found", "王芳", "一年级1班"))})  # fmt: skip
    write(site, [
        row("S-AN", MONDAY, "evening", "r301", "on_time", missing=2, still_waiting=1),
        row("S-AN", MONDAY, "midday", "r303", "on_time", found=1),  # all found: not listed
        named,
        row("S-ZH", MONDAY, "evening", "r301", None, unexplained=1),
    ])  # fmt: skip
    page = bureau.get(f"/missing?date={MONDAY}")
    assert page.status == 200
    groups = re.findall(r'<tbody data-school="([^"]+)">(.*?)</tbody>', page.text, re.S)
    assert [g for g, _ in groups] == ["S-AN", "S-BA", "S-ZH"]
    assert [dict(re.findall(r'class="n (\w+)">(\d+)<', body)) for _, body in groups] == [
        {"missing": "2", "found": "0", "still_waiting": "1", "unexplained": "0"},
        {"missing": "1", "found": "2", "still_waiting": "0", "unexplained": "0"},
        {"missing": "0", "found": "0", "still_waiting": "0", "unexplained": "1"},
    ]
    assert "李娜" in groups[1][1] and "王芳" not in page.text  # the found child is not unresolved
    assert "301教室" in groups[0][1] and "303教室" not in groups[0][1]
    foot = dict(re.findall(r'class="n (\w+)">(\d+)<', page.text.split("<tfoot>")[1]))
    assert foot == {"missing": "3", "found": "2", "still_waiting": "1", "unexplained": "1"}
    assert "没有未解决的学生" in bureau.get(f"/missing?date={MONDAY + timedelta(days=1)}").text


def test_a_schools_history_is_one_row_a_day_with_its_rate(site: Site, bureau: Client) -> None:
    rows = [row("S-AN", MONDAY, "evening", "r301", "on_time"), row("S-AN", MONDAY, "evening", "r302", "late", missing=1),
            row("S-AN", MONDAY + timedelta(days=1), "evening", "r301", None),
            row("S-BA", MONDAY + timedelta(days=2), "evening", "r301", "on_time")]  # fmt: skip
    write(site, rows)
    first, last = MONDAY - timedelta(days=2), MONDAY + timedelta(days=6)
    page = bureau.get(f"/schools/S-AN?from={first}&to={last}")
    assert page.status == 200 and "安定门小学 上报记录" in page.text
    days = table(page.text, "data-day")
    assert list(days) == [str(first + timedelta(days=n)) for n in range(9)] + [""]
    for n in range(9):
        day = first + timedelta(days=n)
        want = counted(rows, "S-AN", day)
        assert {k: int(days[str(day)][k]) for k in CELLS} == want, day
    assert days[str(MONDAY)]["missing"] == "1"
    assert days[""]["expected"] == str(2 + 1 + 3)  # Mon 2, Tue 1, Wed-Fri nothing sent: 1 each; weekends 0
    assert "无应报" in page.text  # the weekend days
    assert bureau.get(f"/schools/S-AN?from={last}&to={first}").status == 400
    assert "一次最多查看 366 天" in bureau.get("/schools/S-AN?from=2020-01-01&to=2026-01-01").text
    bad = bureau.get("/schools/S-AN?from=30.11.2026")
    assert bad.status == 400 and "from:“30.11.2026”不是日期" in bad.text
    assert bureau.get("/schools/S-XX").status == 404
    assert bureau.get("/?date=yesterday").status == 400


def sheet_rows(answer: Any) -> list[tuple[Any, ...]]:
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(answer.body))
    return [tuple(r) for r in book.active.iter_rows(min_row=3, values_only=True)]


def test_each_page_exports_its_figures_as_xlsx_and_libreoffice_prints_them(
    site: Site, bureau: Client, tmp_path: Path
) -> None:
    rows = [row("S-AN", MONDAY, "evening", "r301", "on_time"), row("S-AN", MONDAY, "evening", "r302", "late", missing=1),
            row("S-ZH", MONDAY, "midday", "r301", None, still_waiting=2)]  # fmt: skip
    write(site, rows)
    rate = sheet_rows(bureau.get(f"/rate.xlsx?date={MONDAY}"))
    assert [r[1] for r in rate] == [*PINYIN, None]  # the school codes, then the total
    for line in rate[:-1]:
        assert line[2:7] == tuple(counted(rows, line[1], MONDAY).values())
    assert rate[-1][0] == "合计" and rate[-1][2:7] == (5, 2, 1, 1, 3) and rate[-1][7] == pytest.approx(0.4)
    missing = sheet_rows(bureau.get(f"/missing.xlsx?date={MONDAY}"))
    assert missing == [("安定门小学", "晚自习", "302教室", 1, 0, 0, 0, None), ("张家湾小学", "午间看护", "301教室", 0, 0, 2, 0, None),
                       ("合计", None, None, 1, 0, 2, 0, None)]  # fmt: skip
    history = bureau.get(f"/schools/S-AN/history.xlsx?from={MONDAY}&to={MONDAY + timedelta(days=1)}&lang=en")
    lines = sheet_rows(history)
    assert [line[1:6] for line in lines] == [(2, 2, 1, 1, 0), (1, 0, 0, 0, 1), (3, 2, 1, 1, 1)]
    assert openpyxl.load_workbook(io.BytesIO(history.body)).active["A2"].value == "Date"  # ?lang=en
    if exports.soffice() is None:
        pytest.skip(
            "LibreOffice is not installed (apt-get install libreoffice-calc-nogui): the PDF is not checked"
        )
    paths = []
    for name, path in (
        ("rate", f"/rate.xlsx?date={MONDAY}&lang=zh"),
        ("missing", f"/missing.xlsx?date={MONDAY}"),
    ):
        paths.append(tmp_path / f"{name}.xlsx")
        paths[-1].write_bytes(bureau.get(path).body)
    pdfs = exports.to_pdf(paths, tmp_path)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "示范区教育局" in text and "上报率" in text and "安定门小学" in text and "40.0%" in text
    else:
        assert all(p.stat().st_size > 1000 for p in pdfs)


def test_a_school_that_cannot_be_pulled_is_named_on_the_page(site: Site, bureau: Client) -> None:
    write(site, [])

    async def pull() -> dict[str, pulling.Pulled]:
        async with pulling.session(site.config) as http:
            return await pulling.pull_all(http, site.config, site.app[pulling_key()], site.clock)

    results = asyncio.run(pull())
    assert list(results) == ["S-ZH"] and "unreachable" in results["S-ZH"].error
    page = bureau.get(f"/?date={MONDAY}&lang=zh")
    zh = re.search(r'<tr data-school="S-ZH"[^>]*>(.*?)</tr>', page.text, re.S)
    assert zh is not None and "拉取失败" in zh.group(1) and "HTTP 拉取" in zh.group(1)
    assert "数据库复制" in page.text


def pulling_key() -> Any:
    from sync.bureau.web import PULLS

    return PULLS


def test_subscribe_makes_a_subscription_to_each_school_and_its_rows_arrive(
    site: Site,
    bureau: Client,
    district_clusters: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from edge.cli.main import main

    write(site, [])
    school_dsn = district_clusters["dsns"]["school"]
    rows = [row("S-AN", MONDAY, "evening", "r301", "on_time"), row("S-AN", MONDAY, "midday", "r303", "late")]
    with psycopg.connect(school_dsn, autocommit=True) as conn:
        replication.prepare_school(conn)
        replication.publish(conn, replication.Publishing("S-AN", since=MONDAY))
        replication.upsert(conn, rows)
    conninfo = f"host=127.0.0.1 port={district_clusters['school_port']} user=postgres dbname=rollcall"
    text = config_text(district_clusters["port"], conninfo)
    text = re.sub(r'\[\[schools\]\]\nid = "S-(BA|CH|ZH)"\n[^\[]*', "", text)  # S-AN alone
    path = tmp_path / "district.toml"
    path.write_text(text, encoding="utf-8")
    try:
        assert main(["district", "subscribe", "--config", str(path)]) == 0
        assert capsys.readouterr().out == "S-AN:已订阅(rollcall_from_s_an,发布 rollcall_upward_s_an)\n"
        pg.wait_for(lambda: table(bureau.get(f"/?date={MONDAY}").text)["S-AN"]["expected"] == "2")
        assert table(bureau.get(f"/?date={MONDAY}").text)["S-AN"] == {
            k: str(v) for k, v in counted(rows, "S-AN", MONDAY).items()
        }
        assert main(["--lang", "en", "district", "subscribe", "--config", str(path)]) == 0
        assert capsys.readouterr().out == "S-AN: subscribed already (rollcall_from_s_an)\n"
    finally:
        with psycopg.connect(site.dsn, autocommit=True) as conn:
            replication.unsubscribe(conn, "S-AN")
