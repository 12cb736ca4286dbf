"""Deeply nested JSON is a 400 in the one error shape on every server route that takes a body, and a clear exit 2 in the CLI.

The routes come from the table the server registered (`APP_ROUTES`), as on the device
(`tests/api/test_hostile_json.py`); the device's answers the server parses with orjson are
refused by its depth limit as a `PageError`, never a crash of the puller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from edge.cli.main import main
from sync.app import ServerOptions
from sync.page import PageError, parse_page
from tests.api.test_hostile_json import DEEP, assert_refused_everywhere
from tests.sync.conftest import Running, auth, server_config, start_server

VALUES = {"id": "2026-11-30.evening.r301", "/api/v1/devices/{id}/resume:id": "gate-1", "name": "rooms"}


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    # Nothing pulled or pushed: the routes refuse the body before any device is asked.
    config = server_config(tmp_path / "server", [("gate-1", "http://127.0.0.1:9")])
    started = await start_server(config, options=ServerOptions(run_workers=False))
    yield started
    await started.client.close()


async def test_every_route_with_a_body_refuses_deep_nesting_with_a_400(running: Running) -> None:
    checked = await assert_refused_everywhere(running.client, auth("admin"), VALUES)
    assert {"POST /api/v1/actions", "PUT /api/v1/datasets/{name}", "POST /api/v1/sessions/{id}/report/sign",
            "POST /api/v1/devices/{id}/resume"} <= set(checked)  # fmt: skip
    status, health = await running.get("/api/v1/health")
    assert status == 200 and health["devices"]


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_a_device_page_nested_too_deeply_is_a_page_error(kind: str) -> None:
    with pytest.raises(PageError, match="not JSON"):
        parse_page(DEEP[kind])


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_dataset_put_of_a_deep_file_exits_2_with_one_line_naming_it(tmp_path: Path, capsys: Any, kind: str) -> None:
    config = tmp_path / "server.toml"
    config.write_text('[server]\nid = "school"\ndata_dir = "data"\n', encoding="utf-8")
    rows = tmp_path / "rooms.json"
    rows.write_bytes(DEEP[kind])
    assert main(["server", "dataset", "put", "rooms", str(rows), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"{rows}: not JSON: nested too deeply" in err


# -- what a device or a robot answers ----------------------------------------------------------


async def test_a_device_answering_deeply_nested_json_is_a_failed_pull_not_the_end_of_the_server(
    tmp_path: Path,
) -> None:
    from aiohttp import web

    from edge.web.keys import FAILURES, HALT
    from tests.sync.conftest import eventually

    asked: list[str] = []

    async def deep(request: web.Request) -> web.Response:
        asked.append(request.path)
        status = {"/api/v1/events": 409 if len(asked) % 2 else 500}.get(request.path, 200)
        return web.Response(body=DEEP["arrays"], status=status, content_type="application/json")

    hostile = web.Application()
    hostile.router.add_route("*", "/{tail:.*}", deep)
    runner = web.AppRunner(hostile, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    running = await start_server(server_config(tmp_path / "server", [("gate-1", f"http://127.0.0.1:{port}")]))
    try:
        status = running.school.statuses["gate-1"]
        await eventually(lambda: status.errors["JSONDecodeError"] >= 1 and status.errors["DeviceRefused"] >= 1
                         and "not JSON" in status.push_error and "/api/v1/health" in asked,
                         what="pulls, a push and a health read of the deep answers")  # fmt: skip
        assert not running.client.app[HALT].is_set() and running.client.app[FAILURES] == []
        code, health = await running.get("/api/v1/health")
        assert code == 200 and health["devices"][0]["last_error"]
    finally:
        await running.client.close()
        await runner.cleanup()


def test_deep_answers_from_devices_and_robots_are_refused_as_not_json() -> None:
    from sync.notify import accepted
    from sync.puller import DeviceRefused, error_message
    from sync.pusher import _json_object

    for raw in DEEP.values():
        assert accepted("wecom", 200, raw) == "the robot's answer is not JSON"
        assert error_message(raw) == raw[:200].decode()
        with pytest.raises(DeviceRefused, match="not JSON"):
            _json_object(raw)
