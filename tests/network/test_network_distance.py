"""Network distances against networkx shortest paths + brute-force access legs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.errors import InputError
from siting.network import (
    distance_matrix,
    distances_from,
    nearest_distance,
    node_distances,
    point_distances,
)


def dense(m: sp.csr_matrix) -> np.ndarray:
    """Sparse → dense with NaN for absent entries (explicit zeros stay 0)."""
    out = np.full(m.shape, np.nan)
    coo = m.tocoo()
    out[coo.row, coo.col] = coo.data
    return out


def test_matrix_equals_networkx_brute_force(net, reference, make_points):
    a = make_points(net, 14, seed=21)
    b = make_points(net, 9, seed=22)
    expected = reference.matrix(a, b)
    got = dense(distance_matrix(net, a, b, cutoff_m=None))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6)
    # from the other side (the engine runs from the smaller side and transposes)
    got_t = dense(distance_matrix(net, b, a, cutoff_m=None))
    np.testing.assert_allclose(got_t, expected.T, rtol=1e-9, atol=1e-6)


def test_nearest_distance_equals_brute_force_minimum(net, reference, make_points):
    origins = make_points(net, 40, seed=31)
    targets = make_points(net, 6, seed=32)
    expected = reference.matrix(origins, targets)
    dist, nearest = nearest_distance(net, origins, targets)
    reachable = ~np.isnan(expected).all(axis=1)
    np.testing.assert_allclose(dist[reachable], np.nanmin(expected[reachable], axis=1), rtol=1e-9, atol=1e-6)
    assert np.isnan(dist[~reachable]).all() and (nearest[~reachable] == -1).all()
    picked = expected[np.flatnonzero(reachable), nearest[reachable]]
    np.testing.assert_allclose(picked, dist[reachable], rtol=1e-9, atol=1e-6)


def test_distances_from_one_source(net, reference, make_points):
    src = make_points(net, 1, seed=41)
    targets = make_points(net, 25, seed=42)
    expected = reference.matrix(src, targets)[0]
    np.testing.assert_allclose(distances_from(net, src, targets), expected, rtol=1e-9, atol=1e-6)
    import shapely

    np.testing.assert_allclose(distances_from(net, shapely.Point(src[0]), targets), expected, rtol=1e-9)
    with pytest.raises(InputError, match="one source"):
        distances_from(net, targets[:2], targets)


def test_same_edge_pairs_go_directly_along_the_edge(net):
    e = int(np.argmax(net.edge_length_m))
    line = net.edge_geometry[e]
    length = net.edge_length_m[e]
    a = np.array(line.interpolate(0.4 * length).coords)
    b = np.array(line.interpolate(0.6 * length).coords)
    m = dense(distance_matrix(net, a, b, cutoff_m=None))
    assert m[0, 0] == pytest.approx(0.2 * length, rel=1e-9)
    d, n = nearest_distance(net, a, np.vstack([b, net.node_xy[net.edge_u[e]]]))
    assert d[0] == pytest.approx(0.2 * length, rel=1e-9) and n[0] == 0
    # a point off the edge adds its access leg on both ends
    s = net.snap(a + np.array([[0.0, 3.0]]))
    if s.edge[0] == e:
        assert distances_from(net, a, s)[0] == pytest.approx(abs(s.to_u_m[0] - 0.4 * length) + s.access_m[0])


def test_points_on_nodes_give_node_to_node_path_lengths(net, reference):
    rng = np.random.default_rng(51)
    main = np.flatnonzero(net.component == 0)
    a, b = rng.choice(main, 8, replace=False), rng.choice(main, 5, replace=False)
    m = dense(distance_matrix(net, net.node_xy[a], net.node_xy[b], cutoff_m=None))
    for i, na in enumerate(a):
        lengths = reference._sssp(int(na))
        for j, nb in enumerate(b):
            assert m[i, j] == pytest.approx(lengths[int(nb)], abs=1e-6)


def test_colocated_points_keep_explicit_zero(beijing):
    xy = beijing.node_xy[[10, 20, 10]]
    m = distance_matrix(beijing, xy, xy[:2], cutoff_m=500)
    row = m.getrow(2)
    assert 0 in row.indices and row.data[list(row.indices).index(0)] == 0.0
    assert m[0, 0] == 0 and m.nnz >= 3


def test_detached_pieces_are_nan_not_zero(beijing):
    comp = beijing.edge_component
    detached = int(np.flatnonzero(comp == comp.max())[0])
    main = int(np.flatnonzero(comp == 0)[0])
    on_detached = np.array(beijing.edge_geometry[detached].interpolate(0.5, normalized=True).coords)
    on_main = np.array(beijing.edge_geometry[main].interpolate(0.5, normalized=True).coords)
    s = beijing.snap(np.vstack([on_detached, on_main]))
    assert s.component[0] == comp.max() and s.component[1] == 0
    m = distance_matrix(beijing, s[[0]], s[[1]], cutoff_m=None)
    assert m.nnz == 0  # missing, never a stored 0
    d, n = nearest_distance(beijing, s[[0]], s[[1]])
    assert np.isnan(d[0]) and n[0] == -1
    assert np.isnan(distances_from(beijing, s[[1]], s[[0]])[0])
    # but two points on the same detached piece reach each other
    assert distances_from(beijing, s[[0]], s[[0]])[0] == pytest.approx(0, abs=1e-6)


def test_cutoff(net, reference, make_points):
    a = make_points(net, 12, seed=61)
    b = make_points(net, 10, seed=62)
    expected = reference.matrix(a, b)
    cutoff = float(np.nanmedian(expected))
    got = dense(distance_matrix(net, a, b, cutoff_m=cutoff))
    within = expected <= cutoff
    np.testing.assert_allclose(got[within], expected[within], rtol=1e-9, atol=1e-6)
    assert np.isnan(got[~within]).all()
    d, _ = nearest_distance(net, a, b, cutoff_m=cutoff)
    best = np.nanmin(np.where(within, expected, np.nan), axis=1, initial=np.inf)
    best[np.isinf(best)] = np.nan
    np.testing.assert_allclose(d, best, rtol=1e-9, atol=1e-6)
    with pytest.raises(InputError, match="cut-off"):
        nearest_distance(net, a, b, cutoff_m=-5)


def test_small_chunks_give_the_same_matrix(shenzhen, make_points):
    a = make_points(shenzhen, 300, seed=71)
    b = make_points(shenzhen, 40, seed=72)
    whole = distance_matrix(shenzhen, a, b, cutoff_m=1500)
    chunked = distance_matrix(shenzhen, a, b, cutoff_m=1500, memory_mb=0.05)
    assert whole.nnz > 100
    assert abs(whole - chunked).max() < 1e-9
    assert np.array_equal(np.sort(whole.indices), np.sort(chunked.indices))


def test_node_distances_match_networkx_multi_source(shenzhen, make_points):
    import networkx as nx
    from network_helpers import Reference

    ref = Reference(shenzhen)
    src = shenzhen.snap(make_points(shenzhen, 3, seed=81))
    d = node_distances(shenzhen, src)
    g = ref.g.copy()
    for i in range(len(src)):  # a virtual node per source, like the engine, but in networkx
        g.add_edge(("s", i), int(src.u[i]), length=src.access_m[i] + src.to_u_m[i])
        g.add_edge(("s", i), int(src.v[i]), length=src.access_m[i] + src.to_v_m[i])
    expected = np.full(shenzhen.n_nodes, np.nan)
    for node, length in nx.multi_source_dijkstra_path_length(
        g, [("s", i) for i in range(len(src))], weight="length"
    ).items():
        if not isinstance(node, tuple):
            expected[node] = length
    np.testing.assert_allclose(d, expected, rtol=1e-9, atol=1e-6)
    rows = node_distances(shenzhen, src, min_only=False, cutoff_m=800)
    assert rows.shape == (3, shenzhen.n_nodes)
    np.testing.assert_allclose(np.fmin.reduce(rows, axis=0), np.where(expected <= 800, expected, np.nan))
    pts = shenzhen.snap(make_points(shenzhen, 30, seed=82))
    via_nodes = point_distances(shenzhen, d, pts)
    exact, _ = nearest_distance(shenzhen, pts, src)
    # same-edge shortcuts can only make the exact distance shorter
    np.testing.assert_array_less(exact - 1e-6, via_nodes + 1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_triangle_inequality_and_symmetry(shenzhen, data):
    lo = shenzhen.node_xy.min(axis=0)
    hi = shenzhen.node_xy.max(axis=0)
    coord = st.tuples(st.floats(lo[0], hi[0]), st.floats(lo[1], hi[1]))
    pts = np.array(data.draw(st.lists(coord, min_size=3, max_size=3)))
    # a point may sit exactly on another, or on a node
    if data.draw(st.booleans()):
        pts[1] = pts[0]
    if data.draw(st.booleans()):
        pts[2] = shenzhen.node_xy[data.draw(st.integers(0, shenzhen.n_nodes - 1))]
    m = dense(distance_matrix(shenzhen, pts, pts, cutoff_m=None))
    np.testing.assert_allclose(m, m.T, rtol=1e-9, atol=1e-6)
    for i in range(3):
        for j in range(3):
            for k in range(3):
                if not np.isnan(m[i, k]) and not np.isnan(m[k, j]):
                    assert m[i, j] <= m[i, k] + m[k, j] + 1e-6
    assert (np.diag(m)[~np.isnan(np.diag(m))] >= 0).all()


def test_same_edge_pair_within_cutoff_when_both_ends_are_beyond(net):
    e = int(np.argmax(net.edge_length_m))
    line, length = net.edge_geometry[e], net.edge_length_m[e]
    a = np.array(line.interpolate(0.4 * length).coords)
    b = np.array(line.interpolate(0.6 * length).coords)
    cutoff = 0.3 * length  # both edge ends are >= 0.4 * length away
    d, n = nearest_distance(net, a, b, cutoff_m=cutoff)
    assert d[0] == pytest.approx(0.2 * length) and n[0] == 0
    m = distance_matrix(net, a, b, cutoff_m=cutoff)
    assert m.nnz == 1 and m[0, 0] == pytest.approx(0.2 * length)


@pytest.mark.parametrize("cutoff", [300.0, 1000.0])
def test_cutoff_matrix_is_the_thresholded_full_matrix(shenzhen, make_points, cutoff):
    a = make_points(shenzhen, 400, seed=91)
    b = make_points(shenzhen, 60, seed=92)
    full = dense(distance_matrix(shenzhen, a, b, cutoff_m=None))
    cut = dense(distance_matrix(shenzhen, a, b, cutoff_m=cutoff))
    expected = np.where(full <= cutoff, full, np.nan)
    assert np.isfinite(expected).sum() > 20
    np.testing.assert_allclose(cut, expected, rtol=1e-9, atol=1e-6)
    d, n = nearest_distance(shenzhen, a, b, cutoff_m=cutoff)
    np.testing.assert_allclose(d, np.fmin.reduce(expected, axis=1), rtol=1e-9, atol=1e-6)
    ok = n >= 0
    np.testing.assert_allclose(full[np.flatnonzero(ok), n[ok]], d[ok], rtol=1e-9, atol=1e-6)


def test_same_edge_pair_may_be_shorter_through_the_ends():
    """Two points near the ends of a long curved edge: around by a short parallel edge wins."""
    import networkx as nx
    import shapely

    from siting.network import build_network

    g = nx.MultiGraph(crs="EPSG:32650")
    g.add_node("a", x=0.0, y=0.0)
    g.add_node("b", x=100.0, y=0.0)
    g.add_edge("a", "b")  # straight, 100 m
    curve = shapely.LineString([(0, 0), (50, 200), (100, 0)])
    g.add_edge("a", "b", geometry=curve)  # ~412 m
    net = build_network(g)
    p = np.array([curve.interpolate(10).coords[0], curve.interpolate(curve.length - 10).coords[0]])
    s = net.snap(p)
    assert s.edge[0] == s.edge[1] and np.allclose(s.access_m, 0)
    expected = 10 + 100 + 10  # not curve.length - 20
    assert distances_from(net, s[[0]], s[[1]])[0] == pytest.approx(expected)
    assert distance_matrix(net, s[[0]], s[[1]], cutoff_m=None)[0, 0] == pytest.approx(expected)
    assert distance_matrix(net, s[[0]], s, cutoff_m=150).toarray()[0, 1] == pytest.approx(expected)
    d, _ = nearest_distance(net, s[[0]], s[[1]])
    assert d[0] == pytest.approx(expected)
