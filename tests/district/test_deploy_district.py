"""The district's deployment: `install.sh --district` into a throwaway root, its unit hardened as the server's, every text in the catalogue."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from edge.core.i18n import CATALOGUE
from tests.deploy.support import SYSTEMD
from tests.deploy.test_install import WANTS, install, mode

UNIT = SYSTEMD / "rollcall-district.service"
BUREAU = Path(__file__).parents[2] / "sync" / "bureau"


def directives(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_is_hardened_as_the_school_servers_and_runs_the_district() -> None:
    ours, server = directives(UNIT), directives(SYSTEMD / "rollcall-server.service")
    own = {"ExecStart", "SyslogIdentifier", "User", "Group", "Description", "After", "WorkingDirectory",
           "StateDirectory", "StateDirectoryMode", "RuntimeDirectory", "RuntimeDirectoryMode"}  # fmt: skip
    assert {k: v for k, v in ours.items() if k not in own} == {
        k: v for k, v in server.items() if k not in own
    }
    assert ours["ExecStart"] == [
        "/opt/rollcall/venv/bin/rollcall district serve --config /etc/rollcall/district.toml"
    ]
    assert ours["User"] == ["rollcall-district"] and "StateDirectory" not in ours  # its data is PostgreSQL's


def test_the_district_role_places_its_unit_and_a_config_only_root_and_its_service_read(
    tmp_path: Path,
) -> None:
    result = install(tmp_path, "--district")
    assert result.returncode == 0, result.stderr
    system = tmp_path / "etc/systemd/system"
    assert sorted(p.name for p in system.glob("*.service")) == ["rollcall-district.service"]
    assert (system / "rollcall-district.service").read_bytes() == UNIT.read_bytes()
    config = tmp_path / "etc/rollcall/district.toml"
    assert config.read_bytes() == (SYSTEMD / "district.toml.example").read_bytes()
    assert mode(config) == 0o640
    assert f"~ chown root:rollcall-district {config}   # skipped: --root" in result.stdout
    assert (
        "rollcall district subscribe" in result.stdout
        and "sudoedit /etc/rollcall/district.toml" in result.stdout
    )
    assert "udev" not in result.stdout and "rollcall-edge" not in result.stdout  # no readers, no device
    if shutil.which("systemctl"):  # enabled offline, as the other roles' units are
        assert (tmp_path / WANTS / "rollcall-district.service").is_symlink()
    config.write_text('[store]\nurl = "postgresql://edited"\n')
    again = install(tmp_path, "--district")
    assert again.returncode == 0 and config.read_text() == '[store]\nurl = "postgresql://edited"\n'
    assert "district.toml was kept" in again.stdout
    removed = install(tmp_path, "--uninstall")
    assert removed.returncode == 0 and not (system / "rollcall-district.service").exists() and config.exists()


def test_a_kiosk_is_refused_with_the_district_role(tmp_path: Path) -> None:
    result = install(tmp_path, "--district", "--kiosk", "guard")
    assert (result.returncode, result.stderr.strip()) == (
        2, "install.sh: --kiosk is for an edge device's display: not with --district"
    )  # fmt: skip


def test_every_text_of_the_pages_is_in_the_catalogue_in_both_languages() -> None:
    used = set()
    for path in [*BUREAU.glob("templates/*.html"), *BUREAU.glob("*.py")]:
        used |= set(re.findall(r"""(?:t|text)\((?:request, )?['"]((?:district|office|export)\.[a-z_.]+[a-z_])['"]""",
                               path.read_text(encoding="utf-8")))  # fmt: skip
    used |= {f"district.bucket.{b}" for b in ("missing", "still_waiting")}
    used |= {f"district.via.{v}" for v in ("pull", "replication")}
    assert len(used) > 40  # the scan finds them
    assert sorted(k for k in used if k not in CATALOGUE) == []
    assert [k for k in used if not all(CATALOGUE[k])] == []
