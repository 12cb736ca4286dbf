"""The offline bundle (`make bundle`, systemd/bundle.py) and `install.sh --offline` from it with no network.

Building a bundle needs PyPI, so none of this runs by default:
- `ROLLCALL_BUNDLE=dist/bundle` (after `make bundle`): its contents are checked, and it is
  installed into a throwaway root inside a network namespace with no interface (`unshare -n`,
  as root): no network at test time at all.
- `ROLLCALL_BUNDLE_BUILD=1`: the builder's own paths, downloading from PyPI: a dependency with
  only a pure-Python source release becomes a wheel, one that needs a compiler is reported.
.ci/run sets both (and ROLLCALL_BOOTED=1 for the install on a booted Debian, test_booted.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.support import REPO, SYSTEMD

GIVEN = os.environ.get("ROLLCALL_BUNDLE")
BUILD = os.environ.get("ROLLCALL_BUNDLE_BUILD") == "1"
needs_bundle = pytest.mark.skipif(
    not GIVEN, reason="checks a built bundle: make bundle, then ROLLCALL_BUNDLE=dist/bundle (.ci/run does)"
)
needs_pypi = pytest.mark.skipif(
    not BUILD, reason="builds bundles from PyPI: set ROLLCALL_BUNDLE_BUILD=1 (.ci/run does)"
)
ARCHES = ("aarch64", "armv7l", "x86_64")
WHEEL = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$"
)


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_dependencies() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {normalised(re.split(r"[<>=!~; \[]", d, maxsplit=1)[0]) for d in project["dependencies"]}


def pins(requirements: Path) -> dict[str, tuple[str, str]]:
    """name -> (version, sha256) from a requirements-ARCH.txt."""
    found = {}
    for line in requirements.read_text().splitlines():
        pinned = re.fullmatch(r"(\S+)==(\S+) --hash=sha256:([0-9a-f]{64})", line)
        assert pinned, f"{requirements.name}: {line!r}"
        found[pinned.group(1)] = (pinned.group(2), pinned.group(3))
    return found


def build(out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SYSTEMD / "bundle.py"), "--out", str(out), *options],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


@needs_bundle
def test_the_bundle_pins_every_dependency_for_each_platform() -> None:
    assert GIVEN
    bundle = Path(GIVEN)
    checked = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=bundle, capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for line in (bundle / "SHA256SUMS").read_text().splitlines()}
    assert listed == {p.name for p in bundle.iterdir()} - {"SHA256SUMS"}  # every file summed, no stray one
    sums = {}
    for line in (bundle / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["python"] == "3.11"
    assert sorted(manifest["platforms"]) == sorted(ARCHES)
    for arch, platform in manifest["platforms"].items():
        assert platform["complete"] and platform["missing"] == [], (arch, platform["missing"])
        pinned = pins(bundle / platform["requirements"])
        assert runtime_dependencies() | {"rollcall"} <= set(pinned), arch
        files = {}
        for name in platform["wheels"]:
            parts = WHEEL.match(name)
            assert parts, name
            files[normalised(parts["name"])] = name
            # A compiled wheel is for this platform (and CPython 3.11); the others run anywhere.
            assert parts["plat"] == "any" or arch in parts["plat"], (arch, name)
            assert parts["abi"] in ("none", "abi3", "cp311"), (arch, name)
        assert set(files) == set(pinned), arch  # the pins are exactly the set downloaded
        for dist, (version, digest) in pinned.items():
            assert f"-{version}-" in files[dist] and sums[files[dist]] == digest, (arch, dist)


@needs_bundle
def test_the_offline_install_works_with_no_network_at_all(tmp_path: Path) -> None:
    assert GIVEN
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare, for a network namespace without interfaces")
    root = tmp_path / "root"
    result = subprocess.run(
        ["unshare", "--net", "bash", str(SYSTEMD / "install.sh"), "--root", str(root), "--offline", GIVEN],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--no-index" in result.stdout and "--require-hashes" in result.stdout
    venv = root / "opt/rollcall/venv"
    used = re.search(r"--requirement (\S+/requirements-(\w+)\.txt)", result.stdout)
    assert used and used.group(2) == os.uname().machine, result.stdout
    pinned = {dist: version for dist, (version, _) in pins(Path(used.group(1))).items()}
    # What the program's environment loads, each pinned distribution at its pinned version (from the
    # venv, or the system's site packages where apt installed that very version: pip keeps those).
    seen = subprocess.run(
        [str(venv / "bin/python"), "-c",
         "import importlib.metadata as m, json, sys; print(json.dumps({d: m.version(d) for d in sys.argv[1:]}))",
         *pinned],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert json.loads(seen.stdout) == pinned
    # The program runs from there, loading its whole stack (the server's and the console's too).
    loaded = subprocess.run(
        [str(venv / "bin/python"), "-c", "import edge.cli.main, sync.server, tui.app, aiohttp, orjson; print('ok')"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert loaded.stdout.strip() == "ok", loaded.stderr
    helped = subprocess.run(
        [str(venv / "bin/rollcall"), "--help"], capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0 and "usage: rollcall" in helped.stdout


@needs_pypi
def test_a_pure_source_release_is_built_into_a_wheel_for_every_platform(tmp_path: Path) -> None:
    # docopt has published only a source release (0.6.2, pure Python) since 2014.
    result = build(tmp_path / "bundle", "--arch", "aarch64,armv7l", "--with", "docopt")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "built docopt-0.6.2-py2.py3-none-any.whl from docopt-0.6.2.tar.gz" in result.stdout
    manifest = json.loads((tmp_path / "bundle/manifest.json").read_text())
    assert manifest["built_from_source"] == ["docopt-0.6.2-py2.py3-none-any.whl"]
    for arch in ("aarch64", "armv7l"):
        assert "docopt" in pins(tmp_path / f"bundle/requirements-{arch}.txt"), arch
    assert (tmp_path / "bundle/docopt-0.6.2-py2.py3-none-any.whl").is_file()


@needs_pypi
def test_a_dependency_that_needs_a_compiler_makes_its_platform_incomplete(tmp_path: Path) -> None:
    # evdev publishes only a source release with C code: no wheel can be made here for a Pi.
    result = build(tmp_path / "bundle", "--arch", "aarch64", "--with", "evdev")
    assert result.returncode == 1
    assert "aarch64: INCOMPLETE, cannot be installed offline from this bundle:" in result.stdout
    assert re.search(
        r"^    evdev: no wheel for aarch64 on the index; its source release evdev-\S+\.tar\.gz ",
        result.stdout,
        re.M,
    )
    manifest = json.loads((tmp_path / "bundle/manifest.json").read_text())
    platform = manifest["platforms"]["aarch64"]
    assert not platform["complete"] and [m["requirement"] for m in platform["missing"]] == ["evdev"]
    assert not (tmp_path / "bundle/requirements-aarch64.txt").exists()  # nothing to install from
    assert "Traceback" not in result.stdout + result.stderr
