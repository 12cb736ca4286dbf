"""Provides the store errors the device and the school server share, so the API answers both alike."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be used as it is; the message says what and where."""


class DatasetRefused(StoreError):
    """A dataset push that was not installed; `code` names the reason for the API's error answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
