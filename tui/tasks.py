"""Provides the console's network work, each an async function the app runs in a named worker.

None of these touch a widget: they call the device through `EdgeClient` and post what came back
(`tui/messages.py`). A device that cannot be reached or refuses becomes a `Failed` message with a
sentence the guard can read, never an exception that ends the console.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual.message import Message

from edge.core.i18n import CATALOGUE, t
from tui.client import ApiError, EdgeClient, Unreachable
from tui.messages import Act, Done, Export, Failed, Found, HealthRead, Refreshed, ReportRead, Search, Sign
from tui.rows import ActionResult

Post = Callable[[Message], object]

MIN_GAP = 1.0  # s between two reads of sessions and alerts while events keep coming
IDLE_READ = 15.0  # s: alerts also fall due with time alone (a headcount at start + 10 min)
HEALTH_EVERY = 10.0  # s


def _failure(what: str, error: Exception, lang: str, who: str = "") -> Failed:
    """A failure in the guard's words: the rules' refusal by its code, never the device's English sentence."""
    if isinstance(error, Unreachable):
        return Failed(what, t("tui.error.unreachable", lang))
    if isinstance(error, ApiError):
        params = dict(error.refusal) | {"who": who or t("tui.refusal.child", lang)}
        for key in (f"refusal.{params.get('code', '')}", f"refusal.{error.code}"):
            if key in CATALOGUE:
                return Failed(what, t(key, lang, **params))
        return Failed(what, t("refusal.other", lang, status=error.status))
    return Failed(what, str(error))


async def refresh_forever(client: EdgeClient, due: asyncio.Event, post: Post) -> None:
    """Read sessions and alerts whenever `due` is set (at most once per `MIN_GAP`) or every `IDLE_READ`;
    the device's health every `HEALTH_EVERY`. Failures are skipped: the stream says when it is offline."""
    loop = asyncio.get_running_loop()
    health_at = 0.0
    while True:
        try:
            async with asyncio.timeout(IDLE_READ):
                await due.wait()
        except TimeoutError:
            pass
        due.clear()
        try:
            sessions = await client.sessions()
            now, alerts = await client.alerts()
            post(Refreshed(sessions, alerts, datetime.fromisoformat(now) if now else None))
            if loop.time() - health_at >= HEALTH_EVERY:
                post(HealthRead(await client.health()))
                health_at = loop.time()
        except (Unreachable, ApiError, ValueError):
            pass
        await asyncio.sleep(MIN_GAP)


async def act(client: EdgeClient, intent: Act, post: Post) -> None:
    fields = {"student_id": intent.student_id}
    if intent.kind == "release":
        fields["guardian_id"] = intent.guardian_id
    elif intent.kind == "assign_card":
        fields["uid"] = intent.uid
    elif intent.kind == "correct":
        fields = {"event": intent.event, "reason": intent.note}
    elif intent.kind == "dismiss_card":
        fields = {"uid": intent.uid, "reason": intent.note}
    else:
        fields["note"] = intent.note
    try:
        post(Done(intent.kind, await client.act(intent.kind, **fields), intent.who))
    except (Unreachable, ApiError) as error:
        post(_failure(intent.kind, error, client.lang, intent.who))


async def sign(client: EdgeClient, intent: Sign, post: Post) -> None:
    try:
        post(Done("sign", await client.sign(intent.session_id, intent.staff_id, intent.pin, intent.card_event), intent.who))
    except (Unreachable, ApiError) as error:
        post(_failure("sign", error, client.lang, intent.who or intent.staff_id))


SEARCH_PAUSE = 0.25  # s: typing "zhang" is one search, not five


async def search(client: EdgeClient, intent: Search, post: Post) -> None:
    """Wait for the guard to stop typing (a newer search cancels this one), then ask the device."""
    text = intent.text.strip()
    if not text:
        post(Found(intent.purpose, intent.text, []))
        return
    await asyncio.sleep(SEARCH_PAUSE)
    try:
        post(Found(intent.purpose, intent.text, await client.search(text)))
    except (Unreachable, ApiError) as error:
        post(_failure("search", error, client.lang))


async def report(client: EdgeClient, session_id: str, post: Post) -> None:
    try:
        post(ReportRead(await client.report(session_id)))
    except (Unreachable, ApiError) as error:
        post(_failure("report", error, client.lang))


async def export(client: EdgeClient, intent: Export, session_ids: list[str], folder: Path, day: str, post: Post) -> None:
    """Write one CSV (UTF-8 with a BOM, so Excel and WPS show the Chinese) of one session or the whole day."""
    wanted = [intent.session_id] if intent.session_id else session_ids
    try:
        texts = [await client.report_csv(session_id) for session_id in wanted]
    except (Unreachable, ApiError) as error:
        post(_failure("export", error, client.lang))
        return
    rows: list[list[str]] = []
    for text in texts:
        found = list(csv.reader(io.StringIO(text)))
        rows += found if not rows else found[1:]  # one header for the whole file
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in (intent.session_id or day))
    path = folder / f"zero-report-{safe}.csv"

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerows(rows)

    try:
        await asyncio.to_thread(write)  # a USB stick can take a while: off the loop
    except OSError as error:
        post(Failed("export", f"{path}: {error.strerror or error}"))
        return
    post(Done("export", _exported(path, client.lang)))


def _exported(path: Path, lang: str) -> ActionResult:
    return ActionResult(True, t("tui.report.exported", lang, path=str(path)))
