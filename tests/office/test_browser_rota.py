"""The duty rota in real Chromium to a running device: the office builds a week's rota in the page, the server
pushes it, and a staff card of someone not on duty that day, tapped at a room's reader, is refused saying why.

In-process, as test_device_flow.py: the sample school's device (tests/sync/conftest.py `Edge`, its sim clock
at 2026-11-30 18:20, a Monday in evening study) and the real school server (`start_server`) pushing it.
Chromium is test_browser.py's (`browser` fixture, its launch flags). Every date is typed into the form;
nothing asserts a time of day. Skipped, saying why, where Playwright or /usr/bin/chromium is absent.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp

from edge.core.feed import describe
from edge.core.model import Outcome
from tests.api.conftest import TOKENS, school
from tests.office import test_browser as chromium
from tests.office.conftest import PASSWORD, seed_store
from tests.sync.conftest import Edge, eventually, server_config, start_server

pytestmark = chromium.pytestmark
browser = chromium.browser  # the same Chromium, launched the same way

ROOMS = {"r301": "t01", "r302": "t02", "r303": "t03", "r304": "t04"}
NOT_ON_MONDAY = (
    "t04"  # 金媛: her room r304 is left empty on Mondays, so she is on duty Tuesday to Friday only
)
MONDAY = date(2026, 11, 30)
CARD_OF = {c.holder_id: c.uid for c in school().cards.values() if c.kind.value == "staff"}


async def tap(edge: Edge, reader: str, uid: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{edge.url}/api/v1/sim/taps", json={"reader_id": reader, "uid": uid},
                  headers={"Authorization": f"Bearer {TOKENS['sim']}"}) as answer,
    ):  # fmt: skip
        assert answer.status == 201, await answer.text()
        return dict((await answer.json())["events"][0])


async def test_a_week_built_in_the_page_refuses_a_staff_card_not_on_duty_at_a_room(
    browser: Any, tmp_path: Path
) -> None:
    edge = await Edge(tmp_path / "edge").start()
    config = server_config(tmp_path / "server", [("gate-1", edge.url)])
    seed_store(config.database)
    running = await start_server(config)
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        page = await context.new_page()
        await page.goto(str(running.client.server.make_url("/office/rota")))
        await page.fill("input[name=username]", "office1")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(re.compile(r".*/office/rota$"))
        assert "还没有值班表" in await page.content()

        form = page.locator("#build-form")
        await form.locator("input[name=first]").fill("2026-11-30")
        await form.locator("input[name=last]").fill("2026-12-04")
        for day in range(5):
            for name, who in (("leader1", "t05"), ("leader2", "t06"), ("guard1", "t07"), ("guard2", "t08")):
                await form.locator(f"select[name='w{day}.{name}']").select_option(who)
            for room, who in ROOMS.items():
                if not (day == 0 and who == NOT_ON_MONDAY):
                    await form.locator(f"select[name='w{day}|evening|{room}']").select_option(who)
        await form.locator("button[type=submit]").click()
        await page.wait_for_url(re.compile(r".*/office/rota\?done=build$"))

        assert "值班表已生成" in await page.locator("main").inner_text()
        problems = await page.locator("#rota-problems").inner_text()
        assert "2026-11-30:晚自习 304教室 没有责任教师" in problems  # rota.check, in Chinese, by name
        monday = await page.locator("#rota-table tr[data-day='2026-11-30']").inner_text()
        assert "胡娜静" in monday and "金媛" not in monday
        await chromium.shot(page, "rota")

        async def rota_installed() -> bool:
            rota = await edge.service.recorder.query(lambda view: view.school.rota)
            return rota is not None and len(rota.on(MONDAY)) == 7  # 2 leaders, 2 guards, 3 rooms

        await eventually(rota_installed, within=30, what="the rota on the device")

        refused = await tap(edge, "room-r301", CARD_OF[NOT_ON_MONDAY])
        assert (refused["outcome"], refused["reason"], refused["subject"]) == (
            Outcome.STAFF_NOT_ON_DUTY.value,
            "rota_off_duty",
            NOT_ON_MONDAY,
        )
        assert refused["data"] == {"session": "2026-11-30.evening.r301", "name": "金媛", "on_duty": "胡娜静"}

        async def said() -> str:
            return await edge.service.recorder.query(
                lambda view: "\n".join(describe(e, view.school) for e in view.store.events(0, 500))
            )

        assert "✗ 不在本场值班" in await said() and "金媛 今日不在此值班,本场值班:胡娜静" in await said()

        allowed = await tap(edge, "room-r301", CARD_OF["t01"])  # 胡娜静 is on duty there: as before
        assert allowed["outcome"] in (Outcome.STAFF_ON_DUTY.value, Outcome.REPORT_SIGNED.value)
    finally:
        await context.close()
        await running.client.close()
        await edge.stop()
