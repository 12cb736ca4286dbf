"""Provides `publish`: store new versions of datasets from an office page, so the pushers take them to every device."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from sync import datasets
from sync.api.keys import SCHOOL
from sync.store import ServerStore


def rows_of(store: ServerStore, name: str) -> Any:
    held = datasets.latest(store.db).get(name)
    return (
        json.loads(datasets.body(store.db, name, held.version))
        if held
        else ({} if name == "calendar" else [])
    )


async def publish(
    request: web.Request, build: Callable[[ServerStore], Mapping[str, Any]], source: str
) -> dict[str, int]:
    """`build` (on the store's thread) makes the new datasets from what is held; each changed one is
    stored as its next version, in the same transaction as `build`'s own writes; the pushers wake and the view reloads the roster."""
    school = request.app[SCHOOL]
    now = school.clock.now()

    def store_them(store: ServerStore) -> dict[str, int]:
        with store.db.atomic():  # the office's own rows and the datasets they make: both or neither
            return datasets.add_versions(store.db, dict(build(store)), source, now)

    made = await school.writer.run(store_them)
    if made:
        school.datasets_changed()
        await school.refresh()
    return made
