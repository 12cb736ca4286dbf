"""Clock trust: timesyncd's flag file, or the kernel's own word that an NTP daemon keeps the clock synchronised."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from edge.device import boot


@pytest.fixture
def flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "synchronized"
    monkeypatch.setattr(boot, "TIMESYNC_FLAG", path)
    return path


@pytest.mark.parametrize(
    ("flag_exists", "kernel", "trusted"),
    [
        (True, None, True),  # timesyncd synchronised it this boot
        (True, False, True),  # the kernel's flag alone never withdraws trust (9 h offline, ~1 s drift)
        (False, True, True),  # chrony or ntpd: no flag file, but the kernel says synchronised
        (False, False, False),
        (False, None, False),  # cannot ask the kernel (filtered, not Linux): the flag alone decides
    ],
)
def test_clock_trusted(
    flag: Path, monkeypatch: pytest.MonkeyPatch, flag_exists: bool, kernel: bool | None, trusted: bool
) -> None:
    if flag_exists:
        flag.touch()
    monkeypatch.setattr(boot, "kernel_clock_synced", lambda: kernel)
    assert boot.BootInfo().clock_trusted() is trusted


def test_the_kernel_is_asked_read_only_and_answers_a_bool_here() -> None:
    assert boot.kernel_clock_synced() in (True, False)  # Linux, no sandbox: adjtimex answers


def test_a_kernel_that_cannot_be_asked_gives_none(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing:
        @staticmethod
        def adjtimex(_: object) -> int:
            return -1  # as under a seccomp filter with SystemCallErrorNumber=EPERM

    monkeypatch.setattr(boot, "_libc", lambda: Refusing())
    assert boot.kernel_clock_synced() is None

    class Missing:
        pass

    monkeypatch.setattr(boot, "_libc", lambda: Missing())
    assert boot.kernel_clock_synced() is None


def test_struct_timex_matches_the_kernels_layout() -> None:
    """maxerror and status sit where linux/timex.h puts them; the rest is room for the kernel to write."""
    long = ctypes.sizeof(ctypes.c_long)
    assert boot._Timex.maxerror.offset == (3 * long if long == 8 else 12)
    assert boot._Timex.status.offset == (5 * long if long == 8 else 20)
    assert ctypes.sizeof(boot._Timex) >= (208 if long == 8 else 128)  # glibc: 208 on 64-bit, 128 on 32-bit
