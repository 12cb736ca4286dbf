"""Provides `Speaker`: spoken feedback through the sound card ("张三,已签到"), with Debian's offline espeak-ng.

Off unless asked for (`rollcall kiosk --speak`). Each sentence runs as its own espeak-ng process,
never awaited by the screen; when taps come faster than speech, the sentence still being spoken
is cut short for the newest one (the child who just tapped is the one listening).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("rollcall.kiosk")

ENGINE = "espeak-ng"
VOICES = {"zh": "cmn", "en": "en"}  # espeak-ng's Mandarin voice ("-v zh" may choose Cantonese, yue)


class Speaker:
    def __init__(self, lang: str = "zh", voice: str = "", engine: str = ENGINE, wav_dir: Path | None = None) -> None:
        found = shutil.which(engine)
        if found is None:
            raise ValueError(f"--speak: {engine} is not installed (sudo apt-get install -y espeak-ng)")
        self.command: Sequence[str] = (found, "-v", voice or VOICES.get(lang, "cmn"))
        self.wav_dir = wav_dir  # tests: each sentence written to a numbered WAV file instead of the sound card
        self.spoken: list[str] = []
        self._process: asyncio.subprocess.Process | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def say(self, sentence: str) -> None:
        """Start saying `sentence` now (from the event loop); returns at once."""
        self.spoken.append(sentence)
        task = asyncio.get_running_loop().create_task(self._say(sentence, len(self.spoken)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _say(self, sentence: str, number: int) -> None:
        self._stop()
        out = ("-w", str(self.wav_dir / f"{number:04d}.wav")) if self.wav_dir else ()
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command, *out, "--", sentence,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
        except OSError as error:
            log.warning("speech: %s", error)
            return
        self._process = process
        _, errors = await process.communicate()
        if process.returncode not in (0, -15) and errors:  # -15: cut short by the next sentence
            log.warning("speech: %s", errors.decode(errors="replace").strip())

    def _stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.terminate()

    async def close(self) -> None:
        self._stop()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def idle(self) -> None:
        """Wait until every sentence started so far is finished (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
