"""Provides alert notifications to webhooks: generic JSON, a WeCom (企业微信) group robot, a DingTalk robot.

Each alert is written to the outbox once per target (primary key (target, alert key)) before the
first attempt, so an alert that holds for an hour, a view folded again or a restarted server
never queues it twice; it is marked sent after the receiver accepted it (2xx, and for the robots
`errcode` 0), and retried with exponential backoff and jitter until then, for at most
`GIVE_UP_AFTER`. Exactly once is impossible over HTTP: a receiver that accepts a message but whose
answer is lost gets it again — the generic JSON carries the alert's `id` for it to drop the second.

Privacy: a robot posts into a chat hosted by Tencent or Alibaba, off the campus, so by default a
message names no child: it gives the class and the surname's first character (`张*`), never a
phone. `names = true` on a target (an on-campus webhook) sends full names.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import orjson

from edge.core.i18n import t
from edge.core.model import School
from sync.backoff import Backoff
from sync.config import NotifyTarget
from sync.owner import Owner
from sync.store import ServerStore
from sync.view import SchoolAlert

log = logging.getLogger("rollcall.notify")

GIVE_UP_AFTER = timedelta(hours=1)  # an alert about this evening is of no use tomorrow
RETRY_FIRST, RETRY_MOST = 2.0, 300.0  # s
IDLE_CHECK = 1.0  # s between looks at an empty outbox (enqueueing also wakes the sender)

# The server's own kinds; the devices' kinds have their words in edge.core.i18n (`alert.<kind>`).
TITLES = {
    "left_without_pickup": ("出校门未被接走", "left by the gate without pickup"),
    "device_offline": ("设备离线", "device offline"),
    "device_storage": ("设备存储空间不足", "device storage low or full"),
    "ingest_stopped": ("日志同步已停止", "log sync stopped"),
}


def target_id(target: NotifyTarget) -> str:
    """A stable name for the target in the outbox that does not hold the URL (a robot's key is its secret)."""
    return f"{target.kind}:{hashlib.sha256(target.url.encode()).hexdigest()[:12]}"


def title(kind: str, lang: str = "zh") -> str:
    if kind in TITLES:
        return TITLES[kind][0 if lang == "zh" else 1]
    return t(f"alert.{kind}", lang)


def describe(alert: SchoolAlert, school: School, server_id: str, names: bool) -> dict[str, Any]:
    """The alert's facts and one line of text for people, with or without the child's name."""
    facts: dict[str, Any] = {
        "id": alert.key,
        "kind": alert.kind,
        "title": title(alert.kind),
        "school": server_id,
    }
    bits = [f"【{title(alert.kind)}】"]
    session = alert.session_id
    if session:
        day, _, rest = session.partition(".")
        service_id, _, room_id = rest.partition(".")
        service = school.services.get(service_id)
        room = school.rooms.get(room_id)
        bits.append(f"{service.name if service else service_id} {room.name if room else room_id}")
        facts["session"] = session
    if alert.student_id:
        student = school.students.get(alert.student_id)
        who = student.name if student else alert.student_id
        shown = who if names else (who[:1] + "*" if student else "")
        klass = student.class_name if student else ""
        bits.append(f"{shown}({klass})" if klass else shown)
        facts["student"] = {"class": klass} | ({"id": alert.student_id, "name": who} if names else {})
    if alert.device:
        bits.append(f"{alert.device}{'/' + alert.reader if alert.reader else ''}")
        facts |= {"device": alert.device, "reader": alert.reader}
    if alert.since:
        bits.append(f"{alert.since:%H:%M}起")
        facts["since"] = alert.since.isoformat()
    if alert.detail:
        bits.append(alert.detail)
    facts["text"] = " ".join(b for b in bits if b)
    return facts


def payload(target: NotifyTarget, facts: dict[str, Any]) -> dict[str, Any]:
    """The body the target's kind expects."""
    text = f"{target.keyword} {facts['text']}".strip() if target.keyword else str(facts["text"])
    if target.kind == "webhook":
        return facts | {"text": text}
    # WeCom: {"msgtype":"text","text":{"content":...}}; DingTalk's robot takes the same shape.
    return {"msgtype": "text", "text": {"content": text}}


def signed_url(target: NotifyTarget, now_ms: int) -> str:
    """DingTalk 加签: `timestamp` and `sign` = base64(HMAC-SHA256(secret, "timestamp\\nsecret")) on the URL."""
    if target.kind != "dingtalk" or not target.secret:
        return target.url
    digest = hmac.new(target.secret.encode(), f"{now_ms}\n{target.secret}".encode(), hashlib.sha256).digest()
    joiner = "&" if "?" in target.url else "?"
    return f"{target.url}{joiner}timestamp={now_ms}&sign={quote_plus(base64.b64encode(digest).decode())}"


def accepted(kind: str, status: int, raw: bytes) -> str:
    """ "" when the receiver took the message, else why not."""
    if not 200 <= status < 300:
        return f"HTTP {status}"
    if kind == "webhook":
        return ""
    try:
        answer = orjson.loads(raw)  # a robot off the campus answers: its depth limit refuses a deep answer
    except ValueError:
        return "the robot's answer is not JSON"
    code = answer.get("errcode") if isinstance(answer, dict) else None
    return (
        "" if code == 0 else f"errcode {code}: {answer.get('errmsg', '') if isinstance(answer, dict) else ''}"
    )


class Notifier:
    def __init__(
        self,
        targets: Iterable[NotifyTarget],
        server_id: str,
        writer: Owner[ServerStore],
        session: aiohttp.ClientSession,
        rng: random.Random | None = None,
        timeout: float = 10.0,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.targets = tuple(targets)
        self.server_id = server_id
        self.writer = writer
        self.session = session
        # Retries are scheduled in real time (UTC), whatever clock the school's day runs on (a drill's).
        self.wall = wall
        self.rng = rng or random.Random()
        self.timeout = timeout
        self.retry_first, self.retry_most = RETRY_FIRST, RETRY_MOST
        self.wake = {target_id(target): asyncio.Event() for target in self.targets}
        self.sent = 0
        self.failed_attempts = 0

    async def enqueue(self, alerts: Iterable[SchoolAlert], school: School) -> int:
        """Queue each alert for each target that wants its kind, unless it was queued before; how many were new."""
        now = self.wall().isoformat()
        rows = [
            (target_id(target), alert.key, alert.kind,
             json.dumps(payload(target, describe(alert, school, self.server_id, target.names)), ensure_ascii=False),
             now, "pending", now)
            for alert in alerts
            for target in self.targets
            if alert.kind in target.alerts
        ]  # fmt: skip
        if not rows:
            return 0

        def insert(store: ServerStore) -> int:
            with store.db.atomic():
                return store.db.executemany(
                    "INSERT INTO outbox (target, alert_key, kind, payload, created_at, status, next_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    rows,
                )

        queued = await self.writer.run(insert)
        if queued:
            for event in self.wake.values():
                event.set()
        return queued

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for target in self.targets:
                group.create_task(self._sender(target), name=f"notify:{target_id(target)}")

    async def _sender(self, target: NotifyTarget) -> None:
        name, wake = target_id(target), self.wake[target_id(target)]
        while True:
            wake.clear()
            now = self.wall()
            row = await self.writer.run(partial(_next_due, target=name, now=now))
            if isinstance(row, float):  # nothing due: until the next retry, a new alert, or a while
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(row, IDLE_CHECK)):
                        await wake.wait()
                continue
            key, body, attempts, created = row
            error = await self._send(target, body)
            await self.writer.run(partial(_mark, target=name, key=key, error=error, attempts=attempts, created=created,
                                          now=self.wall(), retry_in=self._retry_in(attempts)))  # fmt: skip
            if error:
                self.failed_attempts += 1
                log.warning("notify_failed target=%s alert=%s attempt=%d: %s", name, key, attempts + 1, error)
            else:
                self.sent += 1
            await asyncio.sleep(target.min_interval)

    def _retry_in(self, attempts: int) -> float:
        return Backoff(self.retry_first, self.retry_most, self.rng, failures=attempts).next()

    async def _send(self, target: NotifyTarget, body: str) -> str:
        url = signed_url(target, time.time_ns() // 1_000_000)
        try:
            async with self.session.post(
                url, data=body.encode("utf-8"), headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:  # fmt: skip
                return accepted(target.kind, response.status, await response.read())
        except (aiohttp.ClientError, TimeoutError) as error:
            return f"{type(error).__name__}: {error}"


def _next_due(store: ServerStore, target: str, now: datetime) -> tuple[str, str, int, str] | float:
    """The next message due for `target`, or the seconds until one is."""
    row = store.db.execute(
        "SELECT alert_key, payload, attempts, created_at, next_at FROM outbox "
        "WHERE target = ? AND status = 'pending' ORDER BY next_at LIMIT 1",
        [target],
    ).fetchone()
    if row is None:
        return IDLE_CHECK
    wait = (datetime.fromisoformat(row[4]) - now).total_seconds()
    return (str(row[0]), str(row[1]), int(row[2]), str(row[3])) if wait <= 0 else wait


def _mark(
    store: ServerStore,
    target: str,
    key: str,
    error: str,
    attempts: int,
    created: str,
    now: datetime,
    retry_in: float,
) -> None:
    with store.db.atomic():
        if not error:
            store.db.execute(
                "UPDATE outbox SET status = 'sent', attempts = ?, sent_at = ?, last_error = '' "
                "WHERE target = ? AND alert_key = ?",
                [attempts + 1, now.isoformat(), target, key],
            )
            return
        expired = now - datetime.fromisoformat(created) > GIVE_UP_AFTER
        store.db.execute(
            "UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_error = ? WHERE target = ? AND alert_key = ?",
            ["failed" if expired else "pending", attempts + 1, (now + timedelta(seconds=retry_in)).isoformat(),
             error[:300], target, key],
        )  # fmt: skip


def outbox_counts(store: ServerStore) -> dict[tuple[str, str], int]:
    rows = store.db.execute("SELECT target, status, COUNT(*) FROM outbox GROUP BY target, status")
    return {(target, status): int(count) for target, status, count in rows}
