"""The locks in requirements/ agree with pyproject.toml and with what is installed.

`make lock` writes them; this fails when someone edits a dependency in pyproject.toml and
forgets to, or when .venv holds other versions than the lock it was built from.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _pins(lock: str) -> dict[str, tuple[Version, Marker | None]]:
    """name -> (version, marker) of every pin in a lock, each checked to carry hashes."""
    pins: dict[str, tuple[Version, Marker | None]] = {}
    lines = (REQUIREMENTS / lock).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = PIN.match(line)
        if not match:
            continue
        name, version, marker = match.groups()
        following = lines[number + 1] if number + 1 < len(lines) else ""
        assert "--hash=sha256:" in following, f"{lock}: {name} is pinned without hashes"
        pins[canonicalize_name(name)] = (Version(version), Marker(marker) if marker else None)
    assert pins, f"{lock} pins nothing"
    return pins


def _declared(*extras: str) -> list[Requirement]:
    """What pyproject.toml asks for (the build backend included) and the installer lock."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    declared += [Requirement(r) for r in pyproject["build-system"]["requires"]]
    for extra in extras:
        declared += [Requirement(r) for r in project["optional-dependencies"][extra]]
    declared += [
        Requirement(line)
        for line in (REQUIREMENTS / "installer.in").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    return declared


@pytest.mark.parametrize(("lock", "extras"), [("run.txt", ()), ("test.txt", ("test",))])
def test_every_declared_dependency_is_locked_within_its_range(lock, extras):
    pins = _pins(lock)
    for requirement in _declared(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is in pyproject.toml but not in {lock}: make lock"
        version, _ = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, outside pyproject.toml's {requirement}: make lock"
        )


@pytest.mark.parametrize(("lock", "extras"), [("run.txt", ()), ("test.txt", ("test",))])
def test_a_lock_names_no_direct_dependency_that_pyproject_dropped(lock, extras):
    text = (REQUIREMENTS / lock).read_text(encoding="utf-8")
    direct = {
        canonicalize_name(m.group(1))
        for m in re.finditer(
            r"^([A-Za-z0-9._-]+)==[^\n]*\n(?:\s+--hash[^\n]*\n)*"
            r"(?:\s+# via[^\n]*\n(?:\s+#[^\n]*\n)*)",
            text,
            re.M,
        )
        if "daiban (pyproject.toml)" in m.group(0)
    }
    declared = {canonicalize_name(r.name) for r in _declared(*extras)}
    assert direct - declared == set(), f"{lock} still locks what pyproject.toml dropped: make lock"


def test_the_run_lock_and_the_test_lock_agree_on_every_version():
    run, test = _pins("run.txt"), _pins("test.txt")
    differing = {
        n: (v, test.get(n, (None,))[0]) for n, (v, _) in run.items() if test.get(n, (None,))[0] != v
    }
    assert not differing, f"run.txt and test.txt disagree (run, test): {differing}"


def test_a_declared_requirement_with_extras_or_markers_is_locked_as_declared():
    """The check above reads names and versions; extras and markers would pass it unseen."""
    for requirement in _declared("test"):
        assert not requirement.extras and requirement.marker is None, (
            f"{requirement}: extras and markers are not checked against the lock; "
            "extend tests/test_lock.py before using them"
        )


def test_the_environment_holds_exactly_the_test_lock():
    pins = _pins("test.txt")
    for name, (version, marker) in pins.items():
        if marker is not None and not marker.evaluate():
            continue
        installed = Version(metadata.version(name))
        assert installed == version, f"{name} {installed} is installed, the lock says {version}"
    stray = (
        {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()}
        - set(pins)
        - {"daiban"}
    )
    assert not stray, f"installed but not in the lock: {sorted(stray)} (make clean test)"
