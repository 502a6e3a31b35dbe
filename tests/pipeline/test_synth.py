"""Synthetic inputs are seeded, conserve the household total and are labelled synthetic."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from siting.pipeline.config import load_config
from siting.pipeline.synth import _split_total, grid_network, synthesize


def test_split_total_is_exact() -> None:
    assert sum(_split_total(1001, [0.3, 0.3, 0.4])) == 1001
    assert _split_total(5, [1.0]) == [5]


def test_same_seed_same_county() -> None:
    G = grid_network(rows=12, cols=12, seed=3)
    a = synthesize(G, households=5000, communities=3, seed=3)
    b = synthesize(G, households=5000, communities=3, seed=3)
    pd.testing.assert_frame_equal(pd.DataFrame(a["households"]), pd.DataFrame(b["households"]))
    assert int(a["households"]["households"].sum()) == 5000
    for frame in a.values():
        assert frame["synthetic"].all()
        assert frame.crs.to_epsg() == 4326


def test_synth_writes_a_runnable_configuration(tmp_path: Path) -> None:
    from siting.pipeline.synth import write_synthetic_county

    config = write_synthetic_county(tmp_path, households=3000, seed=1)
    cfg = load_config(config)
    assert cfg.synthetic and cfg.network == tmp_path / "network.graphml"
    hh = pd.read_csv(tmp_path / "households.csv")
    assert hh["households"].sum() == 3000
    assert {"lon", "lat", "household_id"} <= set(hh.columns)
    assert gpd.read_file(tmp_path / "communities.geojson")["community_id"].is_unique
