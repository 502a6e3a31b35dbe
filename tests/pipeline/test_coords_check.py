"""The plan's GCJ-02 / BD-09 check names each input file that sits off the OSM streets."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from siting.errors import Notice
from siting.io import from_wgs84, read_osm_features
from siting.pipeline.run import _coords_check

ROOT = Path(__file__).resolve().parents[2]
BEIJING_OSM = ROOT / "data" / "boundaries" / "beijing" / "beijing_haidian_xueqing.osm"


@pytest.fixture(scope="module")
def beijing():
    f = read_osm_features(BEIJING_OSM)
    streets = f[f["highway"].notna().to_numpy() & (f.geom_type == "LineString").to_numpy()]
    compounds = f[f.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
                  & (f["landuse"] == "residential").to_numpy()][["geometry"]]
    pois = f[(f.geom_type == "Point").to_numpy()][["geometry"]]
    net = SimpleNamespace(edges_gdf=lambda: streets[["geometry"]].to_crs(32650))
    return net, compounds, pois


@pytest.mark.parametrize("shift", ["gcj02", "bd09"])
def test_each_shifted_input_is_named(beijing, shift):
    net, compounds, pois = beijing
    cfg = SimpleNamespace(coords="wgs84")
    shifted = compounds.set_geometry(from_wgs84(compounds.geometry, shift)).to_crs(32650)
    layers = {"communities": ("in/communities.geojson", shifted),
              "facilities": ("in/facilities.geojson", pois.to_crs(32650)),
              "households": (None, pois.to_crs(32650))}  # not from a file: not checked
    out = _coords_check(cfg, layers, net)
    assert len(out) == 1 and isinstance(out[0], Notice)
    assert "in/communities.geojson" in out[0] and f'coords = "{shift}"' in out[0]
    assert "in/communities.geojson" in out[0].zh and "社区边界" in out[0].zh


def test_nothing_said_when_inputs_match_the_streets_or_coords_is_set(beijing):
    net, compounds, pois = beijing
    layers = {"communities": ("c.geojson", compounds.to_crs(32650)),
              "facilities": ("f.geojson", pois.to_crs(32650))}
    assert _coords_check(SimpleNamespace(coords="wgs84"), layers, net) == []
    assert _coords_check(SimpleNamespace(coords="gcj02"), layers, net) == []
