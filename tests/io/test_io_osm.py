"""Facilities, communities and buildings from the shipped Beijing OSM extract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely

from siting.errors import InputError
from siting.io import buildings_from_osm, communities_from_osm, facilities_from_osm
from siting.io.osm import osm_ids

BEIJING_OSM = (Path(__file__).resolve().parents[2] / "data" / "boundaries" / "beijing"
               / "beijing_haidian_xueqing.osm")


CRS = pyproj.CRS.from_epsg(32650)
TAGS = [
    {"type": "eldercare", "tags": {"amenity": ["nursing_home", "social_facility"],
                                   "social_facility": ["*"]}},
    {"type": "health", "tags": {"amenity": ["hospital", "clinic", "doctors"], "healthcare": ["*"]}},
    {"type": "fitness", "tags": {"leisure": ["fitness_centre", "sports_centre", "pitch"]}},
    {"type": "shelter", "tags": {"leisure": ["park"]}},
    {"type": "school", "tags": {"amenity": "school"}},
    {"type": "kindergarten", "tags": {"amenity": ["kindergarten"]}},
    {"type": "market", "tags": {"amenity": ["marketplace"], "shop": ["supermarket", "greengrocer"]}},
]


def test_communities_from_residential_landuse(beijing_features):
    f = beijing_features
    res = f[(f["landuse"] == "residential").to_numpy()]
    assert len(res) == 11  # 10 polygons + 1 mapped as a node
    c = communities_from_osm(f, crs=CRS)
    polys = res[res.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    assert len(c) == 10 and c.index.name == "community_id"
    assert set(c.index) == set(osm_ids(polys)) and all(i.startswith("way/") for i in c.index)
    assert (c["kind"] == "urban").all() and c["workers"].isna().all()
    assert c.crs == CRS and c.geometry.is_valid.all()
    # name: name:zh when present, else name
    ids = osm_ids(polys)
    for oid, (_, row) in zip(ids, polys.iterrows()):
        want = row.get("name:zh") if isinstance(row.get("name:zh"), str) else row.get("name")
        got = c.loc[oid, "name"]
        assert got == want or (got is None and not isinstance(want, str))
    # areas agree with an independent projection of the original polygons
    np.testing.assert_allclose(c.loc[ids].area.to_numpy(), polys.to_crs(CRS).area.to_numpy(),
                               rtol=1e-9)


def test_buildings_with_type_and_levels(beijing_features):
    b = buildings_from_osm(beijing_features, crs=CRS)
    assert len(b) == 257  # 258 buildings, one mapped as a node
    assert b.index.name == "building_id"
    assert (b["building"] == "yes").sum() == 167 and (b["building"] == "residential").sum() == 43
    assert np.isfinite(b["levels"]).sum() == 6 and b["levels"].max() == 14
    assert b.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_facilities_first_matching_row_wins(beijing_features):
    f = beijing_features
    fac = facilities_from_osm(f, tag_table=TAGS, crs=CRS)
    assert fac.index.name == "facility_id" and (fac.geom_type == "Point").all()
    # independent count per type, first row wins, lines excluded
    kinds = f.geom_type.isin(["Point", "Polygon", "MultiPolygon"]).to_numpy()
    taken = np.zeros(len(f), dtype=bool)
    expected = {}
    for row in TAGS:
        hit = np.zeros(len(f), dtype=bool)
        for key, vals in row["tags"].items():
            if key not in f:
                continue
            vals = [vals] if isinstance(vals, str) else vals
            hit |= (f[key].notna() if "*" in vals else f[key].isin(vals)).to_numpy()
        new = hit & ~taken & kinds
        taken |= hit
        if new.sum():
            expected[row["type"]] = int(new.sum())
    assert fac["type"].value_counts().to_dict() == expected
    assert expected["health"] >= 3 and expected["shelter"] >= 5
    # polygons: area kept and the point lies inside the footprint
    parks = fac[fac["type"] == "shelter"]
    assert parks["area_m2"].notna().all() and (parks["area_m2"] > 0).all()
    keys = [(i.split("/")[0], int(i.split("/")[1])) for i in parks.index]
    original = f.loc[keys].to_crs(CRS)
    assert all(shapely.contains(original.geometry.to_numpy(), parks.geometry.to_numpy()))
    np.testing.assert_allclose(parks["area_m2"].to_numpy(), original.area.to_numpy())


def test_facilities_from_path_and_any_value():
    table = [{"type": "market", "tags": {"shop": "*"}}]
    fac = facilities_from_osm(BEIJING_OSM, tag_table=table)
    assert fac.crs == CRS and (fac["type"] == "market").all() and len(fac) > 50


def test_bad_tag_table_and_file(tmp_path):
    with pytest.raises(InputError) as err:
        facilities_from_osm(BEIJING_OSM, tag_table=[{"type": "x"}, {"tags": {"amenity": "y"}}])
    assert len(err.value.problems) == 2 and "row 1" in str(err.value) and "Fix:" in str(err.value)
    with pytest.raises(InputError, match="file not found"):
        communities_from_osm(tmp_path / "none.osm")
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node", encoding="utf-8")
    with pytest.raises(InputError, match="cannot be read as OSM XML"):
        buildings_from_osm(bad)


def test_require_and_exclude(beijing_features):
    f = beijing_features
    base = [{"type": "health", "tags": {"healthcare": ["*"]}}]
    excl = [{"type": "health", "tags": {"healthcare": ["*"]}, "exclude": {"healthcare": ["pharmacy"]}}]
    req = [{"type": "health", "tags": {"healthcare": ["*"]}, "require": {"amenity": ["hospital"]}}]
    n_all = len(facilities_from_osm(f, tag_table=base, crs=CRS))
    hc = f["healthcare"]
    assert n_all == hc.notna().sum() == 5
    assert len(facilities_from_osm(f, tag_table=excl, crs=CRS)) == n_all - (hc == "pharmacy").sum()
    both = (hc.notna() & (f["amenity"] == "hospital")).sum()
    assert len(facilities_from_osm(f, tag_table=req, crs=CRS)) == both == 2
    with pytest.raises(InputError, match="`require` must be a table"):
        facilities_from_osm(f, tag_table=[{"type": "x", "tags": {"a": "b"}, "require": "senior"}])
