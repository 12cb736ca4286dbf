"""Provides `Owner`: a resource that lives on one thread of its own, reached from asyncio by `run`.

A sqlite3 connection belongs to the thread that opened it (STYLE 7), so the server's writer and
its view each own one: every use of it is a function sent to that thread, one at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Owner(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._value: T | None = None

    async def open(self, factory: Callable[[], T]) -> T:
        def make() -> T:
            self._value = factory()
            return self._value

        return await asyncio.get_running_loop().run_in_executor(self._thread, make)

    async def run(self, fn: Callable[[T], R]) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._thread, lambda: fn(self.value))

    @property
    def value(self) -> T:
        if self._value is None:
            raise RuntimeError(f"{self.name} is not open")
        return self._value

    async def close(self, closer: Callable[[T], None]) -> None:
        if self._value is not None:
            value, self._value = self._value, None
            await asyncio.get_running_loop().run_in_executor(self._thread, lambda: closer(value))
        self._thread.shutdown(wait=True)
