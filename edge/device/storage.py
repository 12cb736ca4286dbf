"""Provides `Storage`: how full the data folder is, when writes are refused, and the reserve that lets a full disk start.

A full disk must never stop the gate. A write the disk refuses puts the device in the refusing
state (`full`, or `error` for an I/O failure): taps are refused visibly and nothing else changes.
While full, a write is not even tried until the space is back: the reserve file can be made
again and `floor_bytes` more are free. An I/O error is retried on every write.

The reserve is a file of `reserve_bytes` kept in the data folder. When the database cannot be
opened because the disk is full (SQLite needs 32 KiB for the WAL index of a database it opens),
the reserve is given up so the device starts, refusing, and serves its health and log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from edge.core.errors import StorageError, StorageFull
from edge.device.store import NEARLY_FULL

log = logging.getLogger("rollcall.storage")

MiB = 1024 * 1024
RESERVE_NAME = "rollcall.reserve"


class StorageState(StrEnum):
    OK = "ok"
    LOW = "low"  # below the warning threshold: still recording, an alert says so
    FULL = "full"  # refusing: the disk is full
    ERROR = "error"  # refusing: the disk failed a write for another reason


@dataclass(frozen=True, slots=True)
class StoragePolicy:
    low_free_bytes: int = 64 * MiB  # a day at a busy gate writes ~5 MiB of events and WAL: days of warning
    floor_bytes: int = NEARLY_FULL  # a refusal ends only with this much free beside the reserve
    reserve_bytes: int = 1 * MiB  # the WAL index (32 KiB) and a checkpoint's first pages, with room to spare


class Storage:
    """The data folder's state, kept by the recorder on its writer thread; read by health and metrics."""

    def __init__(self, folder: Path, policy: StoragePolicy | None = None) -> None:
        self.folder = folder
        self.policy = policy or StoragePolicy()
        self.state = StorageState.OK
        self.since: datetime | None = None  # when the refusal (or the low spell) began; None when unknown
        self.detail = ""  # the disk's last refusal, in SQLite's or the kernel's words
        self.what = ""  # the write it refused
        self.refused = 0  # writes refused in this refusal
        self.refused_total = 0  # since the process started, for /metrics

    @property
    def reserve(self) -> Path:
        return self.folder / RESERVE_NAME

    @property
    def refusing(self) -> bool:
        return self.state in (StorageState.FULL, StorageState.ERROR)

    def usage(self) -> tuple[int, int]:
        """(free, total) bytes of the data folder's filesystem; (0, 0) when it cannot be asked."""
        try:
            usage = shutil.disk_usage(self.folder)
        except OSError:
            return 0, 0
        return usage.free, usage.total

    def status(self) -> dict[str, Any]:
        """For health: free and total bytes, the warning threshold, the state and the refusal's details."""
        free, total = self.usage()
        body: dict[str, Any] = {
            "free_bytes": free,
            "total_bytes": total,
            "threshold_bytes": self.policy.low_free_bytes,
            "state": self.state.value,
            "reserve": self.reserve.exists(),
        }
        if self.since:  # when the low spell or the refusal began
            body["since"] = self.since.isoformat()
        if self.refusing:
            body |= {"since": body.get("since", ""), "refused": self.refused, "what": self.what,
                     "detail": self.detail}  # fmt: skip
        return body

    # -- transitions (the writer thread) ------------------------------------------------------

    def failed(self, error: StorageError, now: datetime | None) -> bool:
        """The disk refused `error.what`: refuse from now on. True when this begins a refusal."""
        began = not self.refusing
        self.state = StorageState.FULL if isinstance(error, StorageFull) else StorageState.ERROR
        if began:
            self.since, self.refused = now, 0
            log.error(
                "storage_refusing state=%s what=%s detail=%s", self.state.value, error.what, error.detail
            )
        self.what, self.detail = error.what, error.detail
        self.refused += 1
        self.refused_total += 1
        return began

    def refuse(self, what: str) -> StorageError:
        """The error for a write not tried because the disk is still full; counted, and logged by the caller."""
        self.count_refused()
        return self.refusal(what)

    def count_refused(self) -> None:
        self.refused += 1
        self.refused_total += 1

    def refusal(self, what: str) -> StorageError:
        """The error that says why `what` is not tried (not counted: alerts are counted once each, when told)."""
        kind = StorageFull if self.state is StorageState.FULL else StorageError
        return kind(what, f"not tried, the disk is still {self.state.value} ({self.detail})")

    def may_try(self) -> bool:
        """Whether a write is worth trying: always unless full; when full, once the space is back."""
        if self.state is not StorageState.FULL:
            return True
        return self.make_reserve() and self.usage()[0] >= self.policy.floor_bytes

    def recovered(self) -> dict[str, Any]:
        """A write went through after a refusal: back to recording. The refusal's summary, for its alert."""
        summary = {"since": self.since.isoformat() if self.since else "", "refused": self.refused,
                   "detail": self.detail, "state": self.state.value}  # fmt: skip
        log.warning("storage_recovered after=%s refused=%d", self.state.value, self.refused)
        self.state, self.since, self.detail, self.what, self.refused = StorageState.OK, None, "", "", 0
        return summary

    def check_low(self, now: datetime) -> bool:
        """Move between ok and low by the free space; True when a low spell begins (raise its alert)."""
        if self.refusing:
            return False
        free = self.usage()[0]
        if self.state is StorageState.OK and free < self.policy.low_free_bytes:
            self.state, self.since = StorageState.LOW, now
            log.warning("storage_low free_bytes=%d threshold_bytes=%d folder=%s", free,
                        self.policy.low_free_bytes, self.folder)  # fmt: skip
            return True
        # A tenth more before "ok" again, so a folder hovering at the threshold raises one alert, not many.
        if self.state is StorageState.LOW and free >= self.policy.low_free_bytes * 1.1:
            self.state, self.since = StorageState.OK, None
            log.info("storage_ok free_bytes=%d", free)
        return False

    # -- the reserve ------------------------------------------------------------------------------

    def make_reserve(self) -> bool:
        """The reserve is in place, or was made now (only with the floor to spare beside it)."""
        size = self.policy.reserve_bytes
        try:
            if self.reserve.stat().st_size >= size:
                return True
        except FileNotFoundError:
            pass
        except OSError:
            return False
        if self.usage()[0] < size + self.policy.floor_bytes:
            return False
        try:
            fd = os.open(self.reserve, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, size)  # real blocks: a sparse file would give nothing back
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            log.warning("reserve_not_made path=%s error=%s", self.reserve, error)
            with contextlib.suppress(OSError):
                self.reserve.unlink()
            return False
        log.info("reserve_made path=%s bytes=%d", self.reserve, size)
        return True

    def release_reserve(self) -> bool:
        """Give the reserve's space back to the disk; False when there was none."""
        try:
            self.reserve.unlink()
        except FileNotFoundError:
            return False
        log.warning(
            "reserve_released path=%s bytes=%d: the disk is full", self.reserve, self.policy.reserve_bytes
        )
        return True
