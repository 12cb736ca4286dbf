"""Provides `GET /metrics` in Prometheus' text format, and the counters behind it.

Roles `server` and `admin` (the school server's scraper uses its pull token). Counters count
since the process started, as Prometheus expects; the log's head and the readers' states are
read when scraped. No personal data: outcomes, counts and reader ids only.
"""

from __future__ import annotations

import time
from collections import Counter

from aiohttp import web

from edge.api.feed_reads import FEED_READS
from edge.api.keys import CONFIG, SERVICE
from edge.core.model import Event, EventKind
from edge.web.auth import AUTH
from edge.web.live import LIVE
from edge.web.parse import query
from edge.web.routing import SERVER, Route, roles


class Metrics:
    """Fed by the service after each COMMIT (a feedback sink): cheap counting, no I/O."""

    def __init__(self) -> None:
        self.events_by_outcome: Counter[str] = Counter()
        self.taps_total = 0
        self.last_tap_monotonic: float | None = None

    def observe(self, event: Event) -> None:
        self.events_by_outcome[event.outcome.value] += 1
        if event.kind is EventKind.TAP:
            self.taps_total += 1
            self.last_tap_monotonic = time.monotonic()


METRICS = web.AppKey("metrics", Metrics)


async def metrics(request: web.Request) -> web.Response:
    query(request, ())
    app = request.app
    counters, live = app[METRICS], app[LIVE]
    lines = [
        "# HELP rollcall_events_total Events recorded since the process started, by outcome.",
        "# TYPE rollcall_events_total counter",
    ]
    lines += [f'rollcall_events_total{{outcome="{o}"}} {n}' for o, n in sorted(counters.events_by_outcome.items())]
    lines += [
        "# HELP rollcall_taps_total Card taps recorded since the process started.",
        "# TYPE rollcall_taps_total counter",
        f"rollcall_taps_total {counters.taps_total}",
        "# HELP rollcall_head_seq The last sequence number in the event log.",
        "# TYPE rollcall_head_seq gauge",
        f"rollcall_head_seq {await app[FEED_READS].head_seq()}",
        "# HELP rollcall_live_clients Live (WebSocket) clients connected.",
        "# TYPE rollcall_live_clients gauge",
        f"rollcall_live_clients {len(live.clients)}",
        "# HELP rollcall_live_resnapshots_total Live clients that fell behind and were sent a fresh snapshot.",
        "# TYPE rollcall_live_resnapshots_total counter",
        f"rollcall_live_resnapshots_total {live.resnapshots}",
        "# HELP rollcall_auth_failures_total Requests refused for a missing or unknown token.",
        "# TYPE rollcall_auth_failures_total counter",
        f"rollcall_auth_failures_total {app[AUTH].failures_total}",
    ]
    if counters.last_tap_monotonic is not None:
        lines += [
            "# HELP rollcall_last_tap_age_seconds Seconds since the last card tap.",
            "# TYPE rollcall_last_tap_age_seconds gauge",
            f"rollcall_last_tap_age_seconds {time.monotonic() - counters.last_tap_monotonic:.3f}",
        ]
    storage = app[SERVICE].recorder.storage
    status = storage.status()
    lines += [
        "# HELP rollcall_storage_free_bytes Free bytes in the data folder's filesystem.",
        "# TYPE rollcall_storage_free_bytes gauge",
        f"rollcall_storage_free_bytes {status['free_bytes']}",
        "# HELP rollcall_storage_low_threshold_bytes Below this free, the low-storage alert is raised.",
        "# TYPE rollcall_storage_low_threshold_bytes gauge",
        f"rollcall_storage_low_threshold_bytes {status['threshold_bytes']}",
        "# HELP rollcall_storage_refusing 1 while writes are refused (disk full or failing), else 0.",
        "# TYPE rollcall_storage_refusing gauge",
        f"rollcall_storage_refusing {int(storage.refusing)}",
        "# HELP rollcall_storage_refused_total Writes (taps, actions, alerts) refused by the disk since the process started.",
        "# TYPE rollcall_storage_refused_total counter",
        f"rollcall_storage_refused_total {storage.refused_total}",
    ]
    states = app[SERVICE].reader_states
    lines += [
        "# HELP rollcall_reader_up 1 when the reader is open, 0 when down, -1 when not known.",
        "# TYPE rollcall_reader_up gauge",
    ]
    for reader in app[CONFIG].readers:
        state = states.get(reader.spec.id)
        value = 1 if state == "up" else 0 if state == "down" else -1
        lines.append(f'rollcall_reader_up{{reader="{_label(reader.spec.id)}"}} {value}')
    body = ("\n".join(lines) + "\n").encode("utf-8")
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


ROUTES = (
    Route(
        "GET",
        "/metrics",
        metrics,
        roles(SERVER),
        "Prometheus metrics: events by outcome, taps, log head, live clients, readers, last tap age, storage",
        responses={200: ("Prometheus text format 0.0.4", {"text/plain": {"type": "string"}})},
    ),
)
