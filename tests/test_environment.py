"""environment.yml (conda-forge) must list the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# PyPI names whose conda-forge package is named differently, or split in two.
CONDA_NAMES = {"dask[distributed]": {"dask", "distributed"}}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    names: set[str] = set()
    for req in reqs:
        name = _name(req)
        names |= CONDA_NAMES.get(name, {name})
    return names


def _environment() -> set[str]:
    names = set()
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        # conda packages at "  - name", pip-only packages at "      - name" under "  - pip:"
        match = re.match(r"^(?:  |      )- ([A-Za-z0-9_.\-\[\]]+)", line)
        if in_deps and match and not match.group(1).startswith("-"):
            names.add(_name(match.group(1)))
    return names - {"python", "pip"}


def test_environment_yml_matches_pyproject() -> None:
    pyproject, environment = _pyproject(), _environment()
    assert pyproject - environment == set(), "in pyproject.toml but not environment.yml"
    assert environment - pyproject == set(), "in environment.yml but not pyproject.toml"


def test_python_floor_is_the_same() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    floor = data["project"]["requires-python"].lstrip(">=")
    assert f"python>={floor}" in (ROOT / "environment.yml").read_text()
