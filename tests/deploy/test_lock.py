"""The lock files hold what the .in files ask for: a pin added or changed in
requirements*.in without `make lock` fails here, before an install from the
lock leaves it out. Every locked package carries hashes (pip --require-hashes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line.startswith("-r "):
            pins |= _pins(path.parent / line.split()[1])
        elif match := PIN.match(line.split("#")[0].strip()):
            pins[_normal(match[1])] = match[2]
    return pins


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a uv/pip-tools lock file."""
    locked, current = {}, None
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            current = _normal(match[1])
            locked[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = locked[current]
            locked[current] = (version, hashes + 1)
    return locked


@pytest.mark.parametrize(
    ("wanted", "lock"), [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
)
def test_the_lock_holds_every_pin_with_hashes(wanted, lock):
    pins, locked = _pins(ROOT / wanted), _locked(ROOT / lock)
    assert {name: version for name, version in pins.items() if locked.get(name, ("",))[0] != version} == {}
    assert [name for name, (_version, hashes) in locked.items() if hashes == 0] == []


def test_the_site_lock_is_inside_the_tools_lock():
    site, tools = _locked(ROOT / "requirements.txt"), _locked(ROOT / "requirements-dev.txt")
    assert {name: version for name, (version, _h) in site.items() if tools.get(name, ("",))[0] != version} == {}
