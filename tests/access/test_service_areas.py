"""Service areas against networkx distances sampled every few metres along every street."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.access import service_areas
from siting.errors import InputError

LEVELS = {5.0: 300.0, 10.0: 500.0}
BUFFER = 30.0
STEP = 5.0


@pytest.fixture(scope="module")
def samples(beijing):
    """Points every STEP metres along every edge (and both ends): edge, position, coordinates."""
    edges, pos = [], []
    for e, length in enumerate(beijing.edge_length_m):
        t = np.append(np.arange(0.0, length, STEP), length)
        edges.append(np.full(t.size, e))
        pos.append(t)
    edge = np.concatenate(edges)
    t = np.concatenate(pos)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(beijing.edge_geometry[edge], t))
    return edge, t, xy


def _oracle_sample_dist(beijing, oracle, fsnap, i, samples):
    """networkx distance from facility ``i`` to every sample point (direct path on its own edge)."""
    edge, t, _ = samples
    node_d = oracle.node_dist_from_point(fsnap, i)
    length = beijing.edge_length_m[edge]
    d = np.minimum(node_d[beijing.edge_u[edge]] + t, node_d[beijing.edge_v[edge]] + length - t)
    own = edge == fsnap.edge[i]
    d[own] = np.minimum(d[own], fsnap.access_m[i] + np.abs(t[own] - fsnap.to_u_m[i]))
    return d, node_d


def _inside(poly, xy):
    return shapely.distance(poly, shapely.points(xy)) < 1e-6


def _far_from(xy, reached_xy, margin):
    """Points farther than ``margin`` from every reached sample point."""
    if reached_xy.shape[0] == 0:
        return np.ones(xy.shape[0], dtype=bool)
    tree = shapely.STRtree(shapely.points(reached_xy))
    _, dist = tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    return dist > margin


def test_disks_follow_the_reached_streets(beijing, oracle, town, samples) -> None:
    fac, fsnap = town["facilities"], town["fac_snap"]
    got = service_areas(beijing, fac, fsnap, minutes_to_m=LEVELS, buffer_m=BUFFER,
                        include_access=False, verbose=False)
    assert len(got) == len(fac) * len(LEVELS)
    assert set(got.columns) >= {"facility_id", "type", "minutes", "from_minutes", "dist_m",
                                "geometry"}
    _, _, sxy = samples
    partial_checked = 0
    for i in range(0, len(fac), 3):
        d, node_d = _oracle_sample_dist(beijing, oracle, fsnap, i, samples)
        for minutes, budget in LEVELS.items():
            row = got[(got["facility_id"] == fac.index[i]) & (got["minutes"] == minutes)]
            poly = row.geometry.iloc[0]
            reached = d <= budget - 1e-6
            assert _inside(poly, sxy[reached]).all()  # incl. the reached part of partly reached edges
            nodes = node_d <= budget
            assert _inside(poly, beijing.node_xy[nodes]).all()
            far = _far_from(sxy, sxy[reached], BUFFER + STEP + 1e-6) & ~reached
            assert not _inside(poly, sxy[far]).any()
            far_nodes = _far_from(beijing.node_xy, sxy[reached], BUFFER + STEP + 1e-6) & ~nodes
            assert far_nodes.any()
            assert not _inside(poly, beijing.node_xy[far_nodes]).any()
            # partly reached edges exist and their reached stretch is covered
            edge, _, _ = samples
            partial = np.unique(edge[reached])[np.isin(np.unique(edge[reached]),
                                                       np.unique(edge[~reached]))]
            partial_checked += partial.size
    assert partial_checked > 0


def test_access_leg_included(beijing, town) -> None:
    fac, fsnap = town["facilities"], town["fac_snap"]
    got = service_areas(beijing, fac, fsnap, minutes_to_m=LEVELS, buffer_m=5.0, verbose=False)
    far = fsnap.access_m > 10.0
    assert far.any()
    for i in np.flatnonzero(far):
        poly = got[(got["facility_id"] == fac.index[i]) & (got["minutes"] == 5.0)].geometry.iloc[0]
        assert poly.covers(fac.geometry.iloc[i])


def test_rings_are_disjoint_and_add_up_to_the_disk(beijing, town) -> None:
    fac, fsnap = town["facilities"], town["fac_snap"]
    levels = {5.0: 300.0, 10.0: 500.0, 15.0: 1000.0}
    disks = service_areas(beijing, fac, fsnap, minutes_to_m=levels, buffer_m=BUFFER, verbose=False)
    rings = service_areas(beijing, fac, fsnap, minutes_to_m=levels, buffer_m=BUFFER, mode="rings",
                          verbose=False)
    assert rings["from_minutes"].tolist()[:3] == [0.0, 5.0, 10.0]
    for fid in fac.index:
        r = rings[rings["facility_id"] == fid].sort_values("minutes").geometry.to_numpy()
        for a in range(3):
            for b in range(a + 1, 3):
                assert shapely.intersection(r[a], r[b]).area < 1e-6
        big = disks[(disks["facility_id"] == fid) & (disks["minutes"] == 15.0)].geometry.iloc[0]
        assert shapely.symmetric_difference(shapely.union_all(r), big).area < 1e-6 * big.area + 1e-6


def test_dissolve_is_the_union_per_type(beijing, town) -> None:
    fac, fsnap = town["facilities"], town["fac_snap"]
    over = service_areas(beijing, fac, fsnap, minutes_to_m=LEVELS, buffer_m=BUFFER, verbose=False)
    diss = service_areas(beijing, fac, fsnap, minutes_to_m=LEVELS, buffer_m=BUFFER,
                         merge="dissolve", verbose=False)
    assert len(diss) == 3 * len(LEVELS)
    assert diss["facility_id"].isna().all()
    for _, row in diss.iterrows():
        parts = over[(over["type"] == row["type"]) & (over["minutes"] == row["minutes"])]
        union = shapely.union_all(parts.geometry.to_numpy())
        assert shapely.symmetric_difference(union, row.geometry).area < 1e-4 * union.area


def test_split_tiles_the_dissolved_area_by_nearest_facility(beijing, oracle, town) -> None:
    fac, fsnap = town["facilities"], town["fac_snap"]
    diss = service_areas(beijing, fac, fsnap, minutes_to_m=LEVELS, buffer_m=BUFFER,
                         merge="dissolve", verbose=False)
    split = service_areas(beijing, fac, fsnap, minutes_to_m=LEVELS, buffer_m=BUFFER,
                          merge="split", verbose=False)
    assert len(split) == len(fac) * len(LEVELS)
    node_d = np.array([oracle.node_dist_from_point(fsnap, i) for i in range(len(fac))])
    for kind in ["eldercare", "fitness"]:
        rows = np.flatnonzero(fac["type"].to_numpy() == kind)
        for minutes, budget in LEVELS.items():
            part = split[(split["type"] == kind) & (split["minutes"] == minutes)]
            geoms = part.geometry.to_numpy()
            for a in range(len(geoms)):
                for b in range(a + 1, len(geoms)):
                    assert shapely.intersection(geoms[a], geoms[b]).area < 1e-3
            whole = diss[(diss["type"] == kind) & (diss["minutes"] == minutes)].geometry.iloc[0]
            union = shapely.union_all(geoms)
            assert shapely.symmetric_difference(union, whole).area < 1e-4 * whole.area
            # a reached node belongs to its nearest facility (when clearly nearest)
            d = node_d[rows]
            order = np.sort(d, axis=0)
            with np.errstate(invalid="ignore"):
                clear = (order[0] <= budget) & (order[1] - order[0] > 1.0)
            owner = np.argmin(d, axis=0)
            for node in np.flatnonzero(clear):
                poly = part[part["facility_id"] == fac.index[rows[owner[node]]]].geometry.iloc[0]
                assert _inside(poly, beijing.node_xy[[node]]).all()
    # split rings tile the dissolved disk: disjoint across facilities and levels
    rings = service_areas(beijing, fac, fsnap, minutes_to_m=LEVELS, buffer_m=BUFFER,
                          merge="split", mode="rings", verbose=False)
    for kind in ["eldercare", "fitness"]:
        geoms = rings[rings["type"] == kind].geometry.to_numpy()
        for a in range(len(geoms)):
            for b in range(a + 1, len(geoms)):
                assert shapely.intersection(geoms[a], geoms[b]).area < 1e-3
        whole = diss[(diss["type"] == kind) & (diss["minutes"] == 10.0)].geometry.iloc[0]
        assert shapely.symmetric_difference(shapely.union_all(geoms), whole).area < 1e-4 * whole.area
    assert set(shapely.get_type_id(split.geometry.to_numpy())) <= {3, 6}  # polygons only


def test_bad_options_are_refused(beijing, town) -> None:
    fac, fsnap = town["facilities"], town["fac_snap"]
    with pytest.raises(InputError) as err:
        service_areas(beijing, fac, fsnap, minutes_to_m={5: 500, 10: 300}, buffer_m=-1,
                      mode="donuts", merge="blend")
    text = str(err.value)
    assert "grow with minutes" in text and "donuts" in text and "blend" in text
    assert "buffer_m" in text


@settings(max_examples=15, deadline=None)
@given(i=st.integers(0, 11), b1=st.floats(0.0, 1200.0), b2=st.floats(0.0, 1200.0),
       merge=st.sampled_from(["overlap", "dissolve"]))
def test_larger_disk_contains_smaller(beijing, town, i, b1, b2, merge) -> None:
    small, large = sorted((b1, b2))
    if large - small < 1.0:
        large = small + 1.0
    fac = town["facilities"].iloc[[i]]
    got = service_areas(beijing, fac, town["fac_snap"][[i]], minutes_to_m={1: small, 2: large},
                        buffer_m=BUFFER, merge=merge, verbose=False)
    inner, outer = got.sort_values("minutes").geometry.to_numpy()
    assert shapely.difference(inner, outer).area < 1e-6 * max(inner.area, 1.0)
