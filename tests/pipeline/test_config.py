"""The plan configuration refuses typos and gathers every problem into one message."""

from __future__ import annotations

from pathlib import Path

import pytest

from siting.errors import InputError
from siting.pipeline.config import load_config


def _write(tmp_path: Path, text: str) -> Path:
    for name in ("net.osm", "c.geojson", "h.csv"):
        (tmp_path / name).write_text("x")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[plan]
name = "示例县 2026"
policy = "national"
out = "outputs/example"

[inputs]
network = "net.osm"
communities = "c.geojson"
households = "h.csv"
coords = "gcj02"

[siting.eldercare]
new_sites = 5
[siting.shelter]
new_sites = "min"
"""


def test_contract_example_loads_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, GOOD))
    assert cfg.name == "示例县 2026"
    assert cfg.network == tmp_path / "net.osm"
    assert cfg.out == tmp_path / "outputs" / "example"
    assert cfg.coords == "gcj02"
    assert [(r.type, r.new_sites) for r in cfg.siting] == [("eldercare", 5), ("shelter", "min")]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace('coords = "gcj02"', 'coords = "wgs85"\nnetwrok = "x"').replace(
        "new_sites = 5", "new_site = 5")
    with pytest.raises(InputError) as err:
        load_config(_write(tmp_path, text))
    message = str(err.value)
    assert "wgs85" in message and "inputs.coords" in message
    assert "`netwrok`" in message
    assert "`new_site`" in message
    assert str(tmp_path / "config.toml") in message
    assert len(err.value.problems) >= 3


def test_missing_file_and_bad_counts(tmp_path: Path) -> None:
    text = GOOD.replace('households = "h.csv"', 'households = "nope.csv"').replace(
        "new_sites = 5", "new_sites = -2")
    with pytest.raises(InputError) as err:
        load_config(_write(tmp_path, text))
    message = str(err.value)
    assert "nope.csv" in message and "inputs.households" in message
    assert "siting.eldercare.new_sites" in message


def test_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[plan\nname = ", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(path)


def test_missing_configuration_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "absent.toml")
