"""``plan()`` fills the split_proposals layer and run.json's counts; ``[split]`` is validated."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest

import siting
from siting.errors import InputError
from siting.pipeline.config import config_from_mapping
from siting.pipeline.synth import write_synthetic_county

# S002 of this county: 2,051 households, service radius about 1.9 km. The overrides make it break
# size.split (> 2,000 households and > 1.5 km) and leave a band its two halves can meet.
OVERRIDES = """
[policy_overrides.rules."size.split"]
max_households = 2000
max_radius_m = 1500

[policy_overrides.rules."size.urban"]
min_households = 500
max_households = 2000
"""


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("split_county")
    config = write_synthetic_county(folder, households=6000, seed=5, districts=1)
    text = config.read_text(encoding="utf-8")
    config.write_text(text + OVERRIDES + "\n[split]\ntime_limit_s = 30\n", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def planned(county: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("split_out") / "plan"
    return siting.plan(county, out=out, verbose=False), out


def test_plan_fills_the_layer_and_counts(planned) -> None:
    res, out = planned
    comm = res.communities
    over = comm.index[comm["oversized"].astype(bool)]
    assert len(over) >= 1
    props = res.split_proposals
    assert set(props["community_id"]) == set(over)
    for cid in over:
        mine = props[props["community_id"] == cid]
        assert int(mine["households"].sum()) == int(comm.at[cid, "households"])
    layer = gpd.read_file(out / "results.gpkg", layer="split_proposals")
    assert len(layer) == len(props)
    assert {"community_id", "part_id", "households", "service_radius_m", "meets_size",
            "meets_radius", "contiguous"} <= set(layer.columns)
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert counts["split_communities"] == len(over)
    assert counts["split_parts"] == len(props)
    assert counts["split_households"] == int(comm.loc[over, "households"].sum())
    assert "split" in manifest["timings_s"]
    met = props.groupby("community_id")[["meets_size", "meets_radius", "contiguous"]].all().all(axis=1)
    assert counts["split_communities_meeting_rules"] == int(met.sum())
    # a community not meeting the rules always comes with a warning naming it
    for cid, ok in met.items():
        if not ok:
            assert any(str(cid) in w for w in res.warnings)


def test_split_can_be_turned_off(county: Path, tmp_path: Path) -> None:
    text = county.read_text(encoding="utf-8").replace("time_limit_s = 30\n",
                                                      "enabled = false\n")
    config = county.with_name("config_nosplit.toml")
    config.write_text(text, encoding="utf-8")
    res = siting.plan(config, write=False, verbose=False)
    assert res.split_proposals is None
    assert res.manifest["counts"]["split_parts"] == 0


def test_split_table_is_validated() -> None:
    base = {"plan": {"name": "x"}, "inputs": {"network": "n.osm", "network_online": True,
                                               "communities": None}}
    with pytest.raises(InputError) as err:
        config_from_mapping({**base, "split": {"enabeld": True, "time_limit_s": -1,
                                               "max_extra_parts": 1.5}})
    text = str(err.value)
    assert "enabeld" in text and "time_limit_s" in text and "max_extra_parts" in text
