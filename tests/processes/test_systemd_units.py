"""SC-4 in production: one systemd unit per Procfile process, restarted always, as a non-root user.

The Procfile stays the one list of processes: every line has its unit, running the same
command from the installation folder (/srv/cloudmentor), and the target starts them all.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
UNITS = BASE_DIR / "deploy" / "systemd"
INSTALL_DIR = "/srv/cloudmentor"


def _procfile() -> dict[str, str]:
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read(UNITS / name)
    return unit


def test_sc4_every_procfile_process_has_a_systemd_unit_running_the_same_command() -> None:
    target = _unit("cloudmentor.target")
    wanted = target["Unit"]["Wants"].split()

    for name, command in _procfile().items():
        service = _unit(f"cloudmentor-{name}.service")["Service"]
        assert service["ExecStart"] == f"{INSTALL_DIR}/{command}", name
        assert service["Restart"] == "always"
        assert service["User"] not in {"", "root"}
        assert service["EnvironmentFile"] == "/etc/cloudmentor/cloudmentor.env"
        assert service["WorkingDirectory"] == INSTALL_DIR
        assert f"cloudmentor-{name}.service" in wanted


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_sc4_the_systemd_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify`, with the units pointed at this checkout (their programs must exist)."""
    env_file = tmp_path / "cloudmentor.env"
    env_file.write_text("CLOUDMENTOR_ENV=production\n")
    names = sorted(path.name for path in UNITS.iterdir())
    for name in names:
        text = (UNITS / name).read_text()
        text = text.replace("/etc/cloudmentor/cloudmentor.env", str(env_file)).replace(INSTALL_DIR, str(BASE_DIR))
        (tmp_path / name).write_text(text)

    result = subprocess.run(
        ["systemd-analyze", "verify", *(f"./{name}" for name in names)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "cloudmentor" not in result.stderr, result.stderr
