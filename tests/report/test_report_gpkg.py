"""results.gpkg re-read with pyogrio: layers, columns, rows, CRS, conservation, atomic writes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_fakes import RULES, make_result

from siting.report import gpkg as gpkg_mod
from siting.report import write_gpkg


def _layers(path):
    return {name: geom for name, geom in pyogrio.list_layers(path)}


def test_layers_columns_rows_and_crs(tmp_path, result):
    path = write_gpkg(result, tmp_path / "results.gpkg")
    layers = _layers(path)
    assert set(layers) == {"communities", "households", "split_proposals", "sites", "service_areas",
                           "facilities", "centres", "network"}
    com = gpd.read_file(path, layer="communities")
    assert com.crs.to_epsg() == 32650
    assert len(com) == len(result.communities)
    for col in ["community_id", "households", "residents", "service_radius_m", "oversized",
                "coverage_eldercare", "coverage_shelter", *[r[0] for r in RULES]]:
        assert col in com.columns, col
    # rule columns keep their dotted ids and values
    assert list(com["size.split"]) == list(result.communities["size.split"])
    assert set(com["size.urban"]) <= {"met", "not_met", "not_assessable"}
    # oversized: True / False / missing survive (missing reads back as NaN, never False)
    assert com["oversized"].iloc[0] == 1 and com["oversized"].iloc[1] == 0
    assert np.isnan(com["oversized"].iloc[2])
    hh = gpd.read_file(path, layer="households")
    assert {"household_id", "community_id", "households", "dist_eldercare_m"} <= set(hh.columns)
    # unreachable stays missing, never 0
    assert hh["dist_eldercare_m"].isna().sum() == result.households["dist_eldercare_m"].isna().sum()
    assert (hh["dist_eldercare_m"].dropna() > 0).all()
    sites = gpd.read_file(path, layer="sites")
    assert list(sites.columns) == ["site_id", "type", "status", "households_served", "geometry"]
    assert set(sites["status"]) == {"existing", "new"}
    sa = gpd.read_file(path, layer="service_areas")
    assert {"facility_id", "type", "minutes"} <= set(sa.columns) and len(sa) == 3
    sp = gpd.read_file(path, layer="split_proposals")
    assert sp["households"].sum() == result.communities.loc["C1", "households"]
    assert layers["network"] == "LineString"


def test_households_conserved(tmp_path, result):
    path = write_gpkg(result, tmp_path / "results.gpkg")
    hh = gpd.read_file(path, layer="households")
    assert len(hh) == len(result.households)
    assert hh["household_id"].is_unique
    assert set(hh["household_id"]) == set(result.households.index)
    assert hh["households"].sum() == result.households["households"].sum()
    # households outside every community are kept, with an empty community
    assert hh["community_id"].isna().sum() == result.households["community_id"].isna().sum() > 0


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60))
def test_households_conserved_property(tmp_path, seed, n):
    r = make_result(seed, n_households=n, optional=False)
    path = write_gpkg(r, tmp_path / f"r{seed}_{n}.gpkg")
    hh = gpd.read_file(path, layer="households")
    assert len(hh) == n
    assert int(hh["households"].sum()) == int(r.households["households"].sum())


def test_optional_parts_missing_give_empty_layers(tmp_path, bare_result):
    path = write_gpkg(bare_result, tmp_path / "results.gpkg")
    layers = _layers(path)
    assert set(layers) == {"communities", "households", "split_proposals", "sites", "service_areas"}
    for name, cols in {"split_proposals": ["community_id", "part_id", "households", "service_radius_m"],
                       "sites": ["site_id", "type", "status", "households_served"],
                       "service_areas": ["facility_id", "type", "minutes"]}.items():
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == 0
        assert list(info["fields"]) == cols
        assert info["crs"] == "EPSG:32650"
    assert layers["sites"] == "Point" and layers["split_proposals"] == "Polygon"


def test_rewrite_replaces_and_leaves_no_temp(tmp_path, result, bare_result):
    path = tmp_path / "results.gpkg"
    write_gpkg(result, path)
    write_gpkg(bare_result, path)  # replaced, not appended to
    assert "network" not in _layers(path)
    assert [p.name for p in tmp_path.iterdir()] == ["results.gpkg"]


def test_failure_leaves_nothing_that_looks_complete(tmp_path, result, monkeypatch):
    real = gpkg_mod.tidy_for_gpkg
    calls = {"n": 0}

    def failing(frame):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(frame)

    monkeypatch.setattr(gpkg_mod, "tidy_for_gpkg", failing)
    with pytest.raises(RuntimeError):
        write_gpkg(result, tmp_path / "results.gpkg")
    assert list(tmp_path.iterdir()) == []


def test_tuple_columns_become_text(tmp_path, result):
    fac = result.facilities.copy()
    fac["tags"] = [("a", "b")] * len(fac)
    from dataclasses import replace

    path = write_gpkg(replace(result, facilities=fac), tmp_path / "results.gpkg")
    back = gpd.read_file(path, layer="facilities")
    assert back["tags"].iloc[0] == "a, b"
