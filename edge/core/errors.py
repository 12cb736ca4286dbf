"""Provides the store errors the device and the school server share, so the API answers both alike."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be used as it is; the message says what and where."""


class DatasetRefused(StoreError):
    """A dataset push that was not installed; `code` names the reason for the API's error answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class StorageError(StoreError):
    """A write the disk refused (an I/O error): nothing of it was recorded; `what` names the write."""

    code = "storage_error"

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what}: {detail}")
        self.what = what
        self.detail = detail


class StorageFull(StorageError):
    """A write refused because the data folder's filesystem is full (SQLITE_FULL, ENOSPC)."""

    code = "storage_full"
