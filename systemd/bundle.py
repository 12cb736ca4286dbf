"""Builds the offline bundle: Rollcall's wheel and every runtime dependency's, for the Pi's platforms.

    python3 systemd/bundle.py [--out dist/bundle] [--arch aarch64,armv7l,x86_64] [--python 3.11] [--with REQ]

Run it where PyPI (or the mirror in pip.conf) is reachable; copy the clone with its bundle to the
device and run `sudo systemd/install.sh --offline dist/bundle` there, with no network at all.

Per platform, pip resolves the whole set with `--only-binary=:all:` for CPython 3.11 on glibc up to
2.36 (Debian 12 and Raspberry Pi OS bookworm). A dependency without a wheel is fetched as a source
release and built here when it is pure Python (a `none-any` wheel runs anywhere); one that needs a
compiler cannot be built for another machine here, so that platform is reported INCOMPLETE (and the
exit status is 1) while the complete platforms stay usable.

The folder holds the wheels, `requirements-ARCH.txt` (each file pinned with its sha256, so the device
installs exactly the set resolved here: `pip install --require-hashes`; on the 64-bit platforms with the
school server's extra), `manifest.json` (what was built, for which platforms, what is missing and why)
and `SHA256SUMS` over all of it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

REPO = Path(__file__).resolve().parents[1]
ARCHES = ("aarch64", "armv7l", "x86_64")
# Where the school server may run, the bundle holds its extra too (`rollcall[server]`): a 32-bit Pi is a
# device only (the server's argon2 needs cffi, which has no armv7l wheel on PyPI).
SERVER_ARCHES = ("aarch64", "x86_64")
# manylinux wheels declare the oldest glibc they need; Debian 12's is 2.36, CentOS 7's 2.17 the oldest built for.
GLIBC_NEWEST, GLIBC_OLDEST = 36, 17
NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
SKIP_IN_SOURCE = {
    ".git",
    ".venv",
    "build",
    "dist",
    "__pycache__",
    ".hypothesis",
    ".schemathesis",
    ".grimp_cache",
}


def say(line: str, stream: TextIO = sys.stdout) -> None:
    stream.write(line + "\n")
    stream.flush()


# What building a requirement from source gave: "" (a pure wheel, in `built`) or why not, {arch} to fill in.
VERDICTS: dict[str, str] = {}


class BundleError(Exception):
    """A one-line reason the bundle cannot be built."""


@dataclass
class Platform:
    arch: str
    wheels: list[Path] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def platform_tags(arch: str) -> list[str]:
    """Every manylinux tag a bookworm system accepts (pip does not expand `manylinux_2_X` by itself)."""
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(GLIBC_NEWEST, GLIBC_OLDEST - 1, -1)]
    return [*tags, f"manylinux2014_{arch}"]  # pip expands manylinux2014 to 2010 and 1


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_name_version(path: Path) -> tuple[str, str]:
    """(name, version) from a wheel's file name (PEP 427: name-version[-build]-py-abi-platform.whl)."""
    name, version = path.name.split("-")[:2]
    return re.sub(r"[-_.]+", "-", name).lower(), version


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["(no output)"])[-1].strip()


def build_rollcall(work: Path) -> Path:
    """Rollcall's own wheel, built from a copy of this clone (pip leaves build/ and *.egg-info behind)."""
    source = work / "source"
    shutil.copytree(
        REPO, source,
        ignore=lambda _, names: [n for n in names if n in SKIP_IN_SOURCE or n.endswith((".egg-info", "_cache"))],
    )  # fmt: skip
    result = pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "own"), str(source))
    if result.returncode != 0:
        raise BundleError(f"cannot build Rollcall's wheel: {last_line(result)}")
    (wheel,) = (work / "own").glob("rollcall-*.whl")
    return wheel


def build_from_source(requirement: str, arch: str, work: Path, built: Path) -> str | None:
    """Builds `requirement` from its source release into `built` if it is pure Python; else the reason not."""
    if requirement not in VERDICTS:  # once, not once per platform
        VERDICTS[requirement] = _build_from_source(requirement, work, built)
    return VERDICTS[requirement].replace("{arch}", arch) or None


def _build_from_source(requirement: str, work: Path, built: Path) -> str:
    sdists = work / "sdist" / re.sub(r"\W+", "_", requirement)
    fetched = pip("download", "--quiet", "--no-deps", "--no-binary=:all:", "--dest", str(sdists), requirement)
    if fetched.returncode != 0:
        return f"no wheel for {{arch}} and no source release either ({last_line(fetched)})"
    (sdist,) = sdists.iterdir()
    wheels = work / "wheel" / sdists.name
    made = pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(sdist))
    if made.returncode != 0:
        return f"no wheel for {{arch}} on the index; its source release {sdist.name} did not build here ({last_line(made)})"
    (wheel,) = wheels.glob("*.whl")
    if not wheel.name.endswith("-none-any.whl"):
        return (
            f"no wheel for {{arch}} on the index; its source release {sdist.name} has compiled code"
            f" (built here as {wheel.name}), so it must be built on an {{arch}} machine"
        )
    shutil.copy2(wheel, built / wheel.name)
    say(f"  built {wheel.name} from {sdist.name} (pure Python: runs on every platform)")
    return ""


def resolve(arch: str, python: str, wanted: list[str], work: Path, built: Path) -> Platform:
    """Downloads the whole dependency set of `wanted` for one platform, building pure sdists on the way."""
    found = Platform(arch)
    dest = work / "download" / arch
    tags = [option for tag in platform_tags(arch) for option in ("--platform", tag)]
    abi = "cp" + python.replace(".", "")
    tried: set[str] = set()
    while True:
        result = pip(
            "download", "--quiet", "--only-binary=:all:", *tags, "--python-version", python,
            "--implementation", "cp", "--abi", abi, "--find-links", str(built), "--dest", str(dest), *wanted,
        )  # fmt: skip
        if result.returncode == 0:
            found.wheels = sorted(dest.glob("*.whl"))
            return found
        missing = NOT_FOUND.search(result.stderr)
        if missing is None:
            raise BundleError(f"pip download for {arch} failed: {last_line(result)}")
        requirement = missing.group(1)
        if requirement in tried:  # built, yet still not found: its wheel does not fit this platform
            raise BundleError(f"{requirement} for {arch}: built from source, still not installable")
        tried.add(requirement)
        reason = build_from_source(requirement, arch, work, built)
        if reason is not None:
            found.missing.append({"requirement": requirement, "reason": reason})
            return found


def write_bundle(out: Path, rollcall: Path, platforms: list[Platform], python: str, built: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sums: dict[str, str] = {}
    for wheel in [rollcall, *(w for p in platforms for w in p.wheels)]:
        digest = sha256(wheel)
        if sums.setdefault(wheel.name, digest) != digest:
            raise BundleError(f"two different files named {wheel.name}")
        if not (out / wheel.name).exists():
            shutil.copy2(wheel, out / wheel.name)
    for platform in platforms:
        if platform.complete:
            pins = {wheel_name_version(w): sums[w.name] for w in platform.wheels}
            lines = [
                f"{name}=={version} --hash=sha256:{digest}"
                for (name, version), digest in sorted(pins.items())
            ]
            (out / f"requirements-{platform.arch}.txt").write_text("\n".join(lines) + "\n")
    _, version = wheel_name_version(rollcall)
    manifest = {
        "rollcall": version,
        "wheel": rollcall.name,
        "commit": git_commit(),
        "python": python,
        "glibc": f"2.{GLIBC_NEWEST}",
        "platforms": {
            p.arch: {
                "complete": p.complete,
                "requirements": f"requirements-{p.arch}.txt" if p.complete else None,
                "wheels": [w.name for w in p.wheels],
                "missing": p.missing,
            }
            for p in platforms
        },
        "built_from_source": sorted(w.name for w in built.glob("*.whl")),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    files = sorted(p.name for p in out.iterdir() if p.name != "SHA256SUMS")
    (out / "SHA256SUMS").write_text("".join(f"{sha256(out / f)}  {f}\n" for f in files))


def git_commit() -> str | None:
    result = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bundle.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist" / "bundle", help="the folder (replaced)")
    parser.add_argument("--arch", default=",".join(ARCHES), help="comma-separated, of " + ", ".join(ARCHES))
    parser.add_argument("--python", default="3.11", help="the device's Python (bookworm: 3.11)")
    parser.add_argument("--with", dest="extra", action="append", default=[], metavar="REQ",
                        help="also bundle this requirement (and its dependencies)")  # fmt: skip
    args = parser.parse_args(argv)
    arches = [a.strip() for a in args.arch.split(",") if a.strip()]
    unknown = sorted(set(arches) - set(ARCHES))
    if unknown or not arches:
        say(
            f"bundle.py: --arch: unknown platform {', '.join(unknown) or '(none)'}; one of {', '.join(ARCHES)}",
            sys.stderr,
        )
        return 2
    if not re.fullmatch(r"3\.\d+", args.python):
        say(f"bundle.py: --python: {args.python!r} is not a version like 3.11", sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="rollcall-bundle.") as temporary:
            work = Path(temporary)
            built = work / "built"
            built.mkdir()
            say(f"building Rollcall's wheel from {REPO}")
            rollcall = build_rollcall(work)
            platforms = []
            for arch in arches:
                say(f"resolving for {arch}, CPython {args.python}")
                program = f"{rollcall}[server]" if arch in SERVER_ARCHES else str(rollcall)
                platforms.append(resolve(arch, args.python, [program, *args.extra], work, built))
            write_bundle(args.out, rollcall, platforms, args.python, built)
    except BundleError as error:
        say(f"bundle.py: {error}", sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
    say(f"bundle: {args.out} ({len(list(args.out.glob('*.whl')))} wheels, {size:.1f} MB)")
    for platform in platforms:
        if platform.complete:
            say(f"  {platform.arch}: complete, {len(platform.wheels)} wheels")
        else:
            say(f"  {platform.arch}: INCOMPLETE, cannot be installed offline from this bundle:")
            for gap in platform.missing:
                say(f"    {gap['requirement']}: {gap['reason']}")
    return 0 if all(p.complete for p in platforms) else 1


if __name__ == "__main__":
    sys.exit(main())
