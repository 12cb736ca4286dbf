"""The server's live stream, too, serialises each event once per language and sends every client the same bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edge.web.live import LIVE
from tests.api.test_live_fanout import events
from tests.sync.conftest import Edge, auth, server_config, start_server


async def test_every_client_gets_the_same_text_made_once_per_event_and_language(tmp_path: Path, edge: Edge) -> None:
    running = await start_server(server_config(tmp_path / "server", [("gate-1", edge.url)]))
    try:
        clients: list[tuple[str, Any]] = []
        for lang in ("zh", "zh", "zh", "en", "en"):
            ws = await running.client.ws_connect(f"/api/v1/live?lang={lang}", headers=auth("guard"))
            assert (await ws.receive_json())["type"] == "snapshot"
            clients.append((lang, ws))
        hub = running.client.app[LIVE]
        before = hub.messages.made
        tapped = await edge.tap(4)  # pulled, stored and published by the server's own workers
        received = [(lang, await events(ws, 4)) for lang, ws in clients]
        assert hub.messages.made - before == 4 * 2  # not 4 x 5
        for lang in ("zh", "en"):
            texts = {tuple(found) for found_lang, found in received if found_lang == lang}
            assert len(texts) == 1
            (same,) = texts
            assert [json.loads(text)["event"]["uuid"] for text in same] == [e.uuid for e in tapped]
        for _, ws in clients:
            await ws.close()
    finally:
        await running.client.close()
