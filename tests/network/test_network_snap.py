"""Snapping: nearest point of the nearest edge, checked against brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from siting.errors import InputError


def test_snap_matches_brute_force(net, reference, make_points):
    xy = make_points(net, 200, seed=11)
    s = net.snap(xy)
    assert len(s) == 200
    for i in range(0, 200, 5):
        e, pos, access = reference.snap(xy[i])
        assert s.access_m[i] == pytest.approx(access, abs=1e-6)
        if e == s.edge[i]:
            assert s.to_u_m[i] == pytest.approx(pos, abs=1e-6)
    assert np.allclose(s.to_u_m + s.to_v_m, net.edge_length_m[s.edge])
    assert (s.to_u_m >= 0).all() and (s.to_v_m >= 0).all()
    # the snap point lies on its edge, at the access distance from the point
    on = shapely.distance(net.edge_geometry[s.edge], shapely.points(s.xy))
    assert np.allclose(on, 0, atol=1e-6)
    assert np.allclose(np.hypot(*(xy - s.xy).T), s.access_m, atol=1e-6)
    assert np.array_equal(s.u, net.edge_u[s.edge]) and np.array_equal(s.component, net.component[s.u])


def test_points_on_nodes_snap_to_the_node(net):
    nodes = np.random.default_rng(3).choice(net.n_nodes, 50, replace=False)
    s = net.snap(net.node_xy[nodes])
    assert np.allclose(s.access_m, 0, atol=1e-6)
    at_u = np.isclose(s.to_u_m, 0, atol=1e-6) & (s.u == nodes)
    at_v = np.isclose(s.to_v_m, 0, atol=1e-6) & (s.v == nodes)
    assert (at_u | at_v).all()


def test_geoseries_in_wgs84_is_reprojected(beijing, make_points):
    xy = make_points(beijing, 20, seed=5)
    gs = gpd.GeoSeries(gpd.points_from_xy(*xy.T), crs=beijing.crs)
    a = beijing.snap(xy)
    b = beijing.snap(gs.to_crs("EPSG:4326"))
    c = beijing.snap(gpd.GeoDataFrame(geometry=gs))
    assert np.allclose(a.access_m, b.access_m, atol=1e-3)
    assert np.allclose(a.access_m, c.access_m)


def test_far_points_are_flagged_not_dropped(beijing, caplog):
    xy = np.vstack([beijing.node_xy[:3], beijing.node_xy.max(axis=0) + 5000])
    s = beijing.snap(xy, max_access_m=500)
    assert len(s) == 4
    assert s.far.tolist() == [False, False, False, True]
    assert "1 of 4 points are farther than 500 m" in caplog.text


def test_subset_and_empty(beijing):
    s = beijing.snap(beijing.node_xy[:10])
    sub = s[np.array([1, 3])]
    assert len(sub) == 2 and sub.edge[1] == s.edge[3]
    assert len(beijing.snap(np.empty((0, 2)))) == 0


def test_bad_points_are_refused_together(beijing):
    pts = gpd.GeoSeries(
        [shapely.Point(0, 0), None, shapely.box(0, 0, 1, 1), shapely.Point()],
        index=["h1", "h2", "h3", "h4"], crs=beijing.crs,
    )
    with pytest.raises(InputError) as err:
        beijing.snap(pts)
    text = str(err.value)
    assert "3 problems" in text and "h2" in text and "h3" in text and "h4" in text
    with pytest.raises(InputError, match="row 1"):
        beijing.snap(np.array([[0.0, 0.0], [np.nan, 1.0]]))
    with pytest.raises(InputError, match="two columns"):
        beijing.snap(np.zeros((3, 3)))


def test_kdtree_step_agrees_with_strtree_and_fallback_is_used(net, make_points):
    from siting.network.snap import _nearest_on_segments

    xy = make_points(net, 3000, seed=17, margin=400.0)
    edge, along, dist, foot = _nearest_on_segments(net.segments, xy, k=8)
    proven = edge >= 0
    assert proven.sum() > 1000 and (~proven).sum() > 0  # both paths are exercised
    pts = shapely.points(xy[proven])
    idx, exact = net._tree.query_nearest(pts, return_distance=True, all_matches=False)
    np.testing.assert_allclose(dist[proven][idx[0]], exact, atol=1e-6)
    lines = net.edge_geometry[edge[proven]]
    np.testing.assert_allclose(along[proven], shapely.line_locate_point(lines, pts), atol=1e-6)
    np.testing.assert_allclose(
        foot[proven], shapely.get_coordinates(shapely.line_interpolate_point(lines, along[proven])),
        atol=1e-6,
    )
    # the full snap (with fallback) matches the STRtree everywhere
    s = net.snap(xy)
    idx, exact = net._tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    np.testing.assert_allclose(s.access_m[idx[0]], exact, atol=1e-6)
