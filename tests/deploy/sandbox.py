"""Runs a command under the seccomp filters a systemd unit asks for: `python3 sandbox.py UNIT -- COMMAND...`.

Run by the system's python3 (it needs python3-seccomp, libseccomp's bindings from apt), which
loads the filters and then execs COMMAND, which keeps them. Emulated from the unit file, as
systemd 252 (bookworm, Raspberry Pi OS) builds them:

- `SystemCallFilter=`: an allow list (groups expanded with `systemd-analyze syscall-filter`),
  `~` lines removing from it; anything else fails with `SystemCallErrorNumber=`.
- `MemoryDenyWriteExecute=yes`: mmap with PROT_WRITE|PROT_EXEC, mprotect/pkey_mprotect adding
  PROT_EXEC and shmat with SHM_EXEC fail with EPERM (systemd's seccomp rules, not the newer prctl).
- `RestrictAddressFamilies=`: socket() of any other family fails with EAFNOSUPPORT.
- `NoNewPrivileges=yes`.

Not emulated: mount namespaces (ProtectSystem=, PrivateTmp=, ...), the device cgroup, users.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import socket
import subprocess
import sys

import seccomp  # type: ignore[import-not-found]

PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
PR_SET_NO_NEW_PRIVS = 38


@functools.cache
def expand(name: str) -> frozenset[str]:
    if not name.startswith("@"):
        return frozenset({name})
    listing = subprocess.run(
        ["systemd-analyze", "syscall-filter", "--no-pager", name], capture_output=True, text=True, check=True
    ).stdout
    found: set[str] = set()
    for line in listing.splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith("#"):
            found |= expand(line)
    return frozenset(found)


def settings(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with open(unit, encoding="utf-8") as file:
        for line in file:
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                found.setdefault(key, []).append(value)
    return found


def allowed_syscalls(lines: list[str]) -> set[str]:
    assert lines and not lines[0].startswith("~"), "expected an allow list first"
    allowed: set[str] = set()
    for line in lines:
        deny = line.startswith("~")
        names = set().union(*(expand(n) for n in line.removeprefix("~").split()))
        allowed = allowed - names if deny else allowed | names
    return allowed


def main() -> None:
    unit, separator, *command = sys.argv[1:]
    assert separator == "--" and command, __doc__
    found = settings(unit)
    error = getattr(errno, found.get("SystemCallErrorNumber", ["EPERM"])[-1])
    filters = []

    allow = seccomp.SyscallFilter(defaction=seccomp.ERRNO(error))
    for name in sorted(allowed_syscalls(found["SystemCallFilter"])):
        try:
            allow.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError):  # a name this architecture does not have
            pass
    filters.append(allow)

    deny = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    if found.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes":
        wx = PROT_WRITE | PROT_EXEC
        deny.add_rule(seccomp.ERRNO(errno.EPERM), "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        deny.add_rule(
            seccomp.ERRNO(errno.EPERM), "mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC)
        )
        deny.add_rule(
            seccomp.ERRNO(errno.EPERM),
            "pkey_mprotect",
            seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC),
        )
        deny.add_rule(
            seccomp.ERRNO(errno.EPERM), "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC)
        )
    families = found.get("RestrictAddressFamilies")
    if families:
        keep = {int(getattr(socket, name)) for name in " ".join(families).split()}
        for family in range(64):
            if family not in keep:
                deny.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, family))
    filters.append(deny)

    libc = ctypes.CDLL(None, use_errno=True)
    if found.get("NoNewPrivileges", ["no"])[-1] == "yes" or os.geteuid() != 0:
        assert libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    for built in reversed(filters):  # the allow list last: it does not allow seccomp() itself
        built.load()
    print(
        f"sandbox: {unit}: {len(allowed_syscalls(found['SystemCallFilter']))} system calls allowed",
        file=sys.stderr,
    )
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
