"""From the office's pages in real Chromium to a running device: issue 13's whole path, with nothing in-process.

Two child processes, as a school runs them: `rollcall edge` with a `[sim]` clock (2026-11-30 18:20, five
minutes into evening study) and sim readers, started with no datasets; and `rollcall server`, its store
seeded with the sample school and an account for each role (`seed_store`), pulling that device and pushing
it every dataset. Chromium (Playwright, `executable_path`, the launch flags and `browser` fixture of
test_browser.py) signs in at the server's address: the homeroom teacher records a paper application with
consent and class-approves it, the office school-approves it, forms the groups and confirms them with a
room and a duty teacher; the device's own API then expects the child in that room's session. The teacher
records a leave; the device's clock is set past the head count and its zero report excuses her. Last, the
pull: that room's duty teacher signs its report on the day page, and the page shows her signature once the
server has pulled the device's event back up.

Sign-in is this module's own few lines (`signed_in`): test_browser.py's `page_as` takes an in-process
`Office` (its TestServer's address), and this server is a process with an address of its own.

The server has no simulated clock, so its pages run on the wall clock: every date that matters is typed
into the forms (the enrolment's first day, the leave's dates), and nothing asserts a time of day.
Skipped, saying why, where Playwright or /usr/bin/chromium is absent (test_browser.py's own skips).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import START, TOKENS, config_for, school
from tests.office import test_browser as chromium
from tests.office.conftest import CLASS_A, PASSWORD, seed_store
from tests.sync.conftest import FAST_PULL, SERVER_TOKENS

pytestmark = chromium.pytestmark
browser = chromium.browser  # the same Chromium, launched the same way

EVENING_CHILDREN = {e.student_id for e in school().enrolments if e.service_id == "evening"}
CHILD = next(s for s in sorted(school().students.values(), key=lambda s: s.id)
             if s.class_name == CLASS_A and s.id not in EVENING_CHILDREN)  # fmt: skip
SESSION = "2026-11-30.evening.r301"
AFTER_HEADCOUNT = "2026-11-30T18:26:00+08:00"  # evening study 18:15, missing after 10 minutes
LISTENING = re.compile(r"api listening on http://(127\.0\.0\.1:\d+)")


@dataclass
class Campus:
    edge: str  # http://127.0.0.1:PORT of the device's API
    office: str  # http://127.0.0.1:PORT of the school server (its API and /office)
    logs: list[Path]

    def tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(encoding="utf-8", errors="replace")[-3000:] for p in self.logs
        )


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string or number is a TOML one too


def _write_edge_toml(folder: Path) -> Path:
    tokens = config_for(folder / "data").tokens
    readers = [("gate-in", "gate-in", ""), ("gate-out", "gate-out", "")]
    readers += [(f"room-{room}", "room", room) for room in school().rooms]
    lines = ["[device]", 'id = "gate-1"', 'data_dir = "data"', "production = false", "",
             "[api]", 'listen = "127.0.0.1:0"']  # fmt: skip
    for token in tokens:
        lines += ["[[api.tokens]]", f"role = {_toml(token.role)}", f"name = {_toml(token.name)}",
                  f"sha256 = {_toml(token.sha256)}"]  # fmt: skip
    lines += ["", "[sim]", f"start = {_toml(START)}", ""]
    for reader, role, room in readers:
        lines += ["[[readers]]", f"id = {_toml(reader)}", 'protocol = "sim"', f"role = {_toml(role)}"]
        lines += [f"room = {_toml(room)}"] if room else []
    path = folder / "edge.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def _write_server_toml(folder: Path, edge: str) -> Path:
    lines = ["[server]", 'id = "school"', 'data_dir = "data"', 'listen = "127.0.0.1:0"', "", "[api]"]
    for role, token in SERVER_TOKENS.items():
        digest = hashlib.sha256(token.encode()).hexdigest()
        lines += [
            "[[api.tokens]]",
            f"role = {_toml(role)}",
            f'name = "{role}-1"',
            f"sha256 = {_toml(digest)}",
        ]
    lines += ["", "[pull]"]
    lines += [f"{key} = {_toml(value)}" for key, value in FAST_PULL.items()]
    lines += ["", "[push]", "every = 0.5", "",
              "[[devices]]", 'id = "gate-1"', f"url = {_toml(edge)}", f"token = {_toml(TOKENS['server'])}",
              f"action_token = {_toml(TOKENS['admin'])}"]  # fmt: skip
    path = folder / "server.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)  # it holds the device's tokens in clear: the server warns otherwise
    return path


def _start(argv: list[str], log: Path, started: list[subprocess.Popen[bytes]]) -> str:
    """Start `rollcall …` with its log in a file (a pipe left unread would fill and stall it); its API's address."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", *argv], stdout=out, stderr=subprocess.STDOUT
        )
    started.append(process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if found := LISTENING.search(log.read_text(encoding="utf-8", errors="replace")):
            return found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(
        f"`rollcall {argv[0]}` did not say where it listens:\n" + log.read_text(encoding="utf-8")
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def campus(tmp_path: Path) -> Iterator[Campus]:
    started: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / "edge.log", tmp_path / "server.log"]
    try:
        (tmp_path / "edge").mkdir()
        (tmp_path / "server").mkdir()
        edge = _start(["edge", "--config", str(_write_edge_toml(tmp_path / "edge"))], logs[0], started)
        server_toml = _write_server_toml(tmp_path / "server", f"http://{edge}")
        seed_store(tmp_path / "server" / "data" / "server.sqlite3")  # before it starts: accounts and datasets
        office = _start(["server", "--config", str(server_toml)], logs[1], started)
        yield Campus(f"http://{edge}", f"http://{office}", logs)
    finally:
        for process in reversed(started):  # the server first, then the device it pulls
            _stop(process)


def _call(url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(
        url, data=data, headers=headers, method="GET" if data is None else "POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback, our own device)
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, None


async def report(campus: Campus) -> dict[str, Any]:
    """The device's own zero report of SESSION ({} until it knows the session), read with the guard's token."""
    status, body = await asyncio.to_thread(
        _call, f"{campus.edge}/api/v1/sessions/{SESSION}/report", TOKENS["guard"]
    )
    return dict(body) if status == 200 and isinstance(body, dict) else {}


def ids(found: dict[str, Any], *keys: str) -> set[str]:
    return {line["id"] for key in keys for line in found.get(key, [])}


async def until(campus: Campus, check: Any, what: str, within: float = 30.0) -> dict[str, Any]:
    """Poll the device's report until `check(report)`; fail saying what was awaited, with both logs."""
    deadline = time.monotonic() + within
    while True:
        found = await report(campus)
        if check(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}\nlast report: {found}\n{campus.tail()}")
        await asyncio.sleep(0.2)


async def signed_in(browser: Any, campus: Campus, username: str, fetched: list[str]) -> Any:
    """A page of a new Chromium context (zh-CN) signed in as `username` through the sign-in form."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = await context.new_page()
    page.on("request", lambda request: fetched.append(request.url))
    await page.goto(f"{campus.office}/office/")
    assert "/office/login" in page.url  # signed out: sent to sign in
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r".*/office/$"))
    assert "退出" in await page.inner_text("header")
    return page


async def test_applied_in_chromium_enrolled_on_the_running_device_and_excused_by_leave(
    browser: Any, campus: Campus
) -> None:
    fetched: list[str] = []
    teacher = await signed_in(browser, campus, "teacher1a", fetched)
    await teacher.click("text=登记纸质申请")
    assert CLASS_A in await teacher.inner_text("h1")
    await teacher.select_option("select[name=student]", CHILD.id)
    await teacher.check("input[name=service][value=evening]")
    await teacher.fill("input[name=consent_by]", "张敏")
    await teacher.fill("input[name=consent_relation]", "母亲")
    await teacher.fill("input[name=consent_on]", "2026-11-28")
    await teacher.click("button:has-text('登记')")
    await teacher.wait_for_selector("text=家长申请")
    assert CHILD.name in await teacher.inner_text("main")
    await teacher.click("button.action-class_approve")
    await teacher.wait_for_selector("h1 >> text=班级审核通过")
    application = teacher.url

    clerk = await signed_in(browser, campus, "office1", fetched)
    await clerk.goto(application)
    assert "班级审核通过" in await clerk.inner_text("h1")
    await clerk.click("button.action-school_approve")
    await clerk.wait_for_selector("h1 >> text=学校复核通过")
    await clerk.click("nav >> text=编班")
    await clerk.select_option("select[name=service]", "evening")
    await clerk.click("button:has-text('生成编班方案')")
    await clerk.wait_for_selector("text=拟分 1 组")
    assert "学校复核通过及已安排:1 人" in await clerk.inner_text("main")
    await clerk.select_option("select[name='room.1']", "r301")
    await clerk.select_option("select[name='teacher.1']", "t01")
    await clerk.fill("input[name=from]", "2026-11-30")  # not the wall clock's today: the device's evening
    await clerk.fill("input[name=to]", "2027-07-05")
    await clerk.click("button:has-text('确认编班')")
    await clerk.wait_for_selector("text=已确认 1 组")
    assert "将推送到各设备" in await clerk.inner_text("main")
    await teacher.goto(application)
    assert "已统筹安排" in await teacher.inner_text("h1")
    assert "301教室" in await teacher.inner_text("main")

    # Pushed by the server to the running device: she is expected in room 301 this evening.
    before = await until(campus, lambda r: CHILD.id in ids(r, "missing", "not_yet_arrived", "present"),
                         "her enrolment in the device's session " + SESSION)  # fmt: skip
    assert CHILD.id not in ids(before, "on_leave")

    # The homeroom teacher records a leave; the device, past the head count, excuses her.
    await teacher.click("nav >> text=请假")
    await teacher.wait_for_selector("h1 >> text=请假")
    await teacher.select_option("select[name=student]", CHILD.id)
    await teacher.fill("input[name=from]", "2026-11-30")
    await teacher.fill("input[name=to]", "2026-11-30")
    await teacher.select_option("select[name=service]", "evening")
    await teacher.fill("input[name=reason]", "发烧")
    await teacher.click("button:has-text('登记请假')")
    await teacher.wait_for_selector("td >> text=发烧")
    row = await teacher.inner_text(f"tr:has(td:text-is('{CHILD.name}'))")
    assert "2026-11-30" in row and "晚自习" in row and "teacher1a" in row
    status, clock = await asyncio.to_thread(
        _call, f"{campus.edge}/api/v1/sim/clock", TOKENS["sim"], {"at": AFTER_HEADCOUNT}
    )
    assert status == 200 and clock["now"].startswith("2026-11-30T18:26"), clock
    after = await until(
        campus, lambda r: CHILD.id in ids(r, "on_leave"), "her leave in the device's zero report"
    )
    assert CHILD.id not in ids(after, "missing", "not_yet_arrived", "present")

    # Pulled back up: the room's duty teacher signs its report on the day page; the server forwards the
    # signature to the device and shows it once its puller brings the device's event up.
    duty = await signed_in(browser, campus, "duty301", fetched)
    await duty.goto(f"{campus.office}/office/day?date=2026-11-30")
    assert "2026-11-30 零报告" in await duty.inner_text("h1")
    room = duty.locator("section.report", has=duty.locator("h2", has_text="晚自习 · 301教室"))
    assert f"请假: {CHILD.name}" in await room.inner_text()
    await room.locator("button:has-text('签零报告')").click()
    await duty.wait_for_selector(f"text=已签 {SESSION},设备记录后即显示")
    deadline = time.monotonic() + 30
    while "胡娜静" not in await room.inner_text():
        assert time.monotonic() < deadline, "the signature pulled up from the device\n" + campus.tail()
        await asyncio.sleep(0.5)
        await duty.reload()
    assert "已签" in await room.inner_text()
    assert (await report(campus)).get("signed_by") == "t01"

    assert fetched and all(url.startswith(campus.office + "/") for url in fetched), [
        url for url in fetched if not url.startswith(campus.office + "/")
    ]
    for page in (teacher, clerk, duty):
        await page.context.close()
