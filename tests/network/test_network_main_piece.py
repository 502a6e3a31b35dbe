"""WalkNetwork.main_piece keeps exactly the largest connected piece, distances unchanged on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from siting.network import build_network, distance_matrix

ROOT = Path(__file__).resolve().parents[2]
BEIJING = ROOT / "data" / "boundaries" / "beijing" / "beijing_haidian_xueqing.osm"


def test_main_piece_is_connected_and_keeps_main_distances() -> None:
    net = build_network(BEIJING)
    assert net.detached_summary.detached_pieces > 0  # the extract has detached pieces
    main = net.main_piece()
    assert main.detached_summary.detached_pieces == 0
    assert main.n_edges == int((net.edge_component == 0).sum())
    assert np.isclose(main.edge_length_m.sum(),
                      net.detached_summary.total_length_m - net.detached_summary.detached_length_m)
    # points placed on main-piece nodes: the same distances in both networks
    rng = np.random.default_rng(7)
    nodes = rng.choice(np.flatnonzero(net.component == 0), size=12, replace=False)
    pts = net.node_xy[nodes] + 0.5
    full = distance_matrix(net, pts, pts, cutoff_m=None).toarray()
    sub = distance_matrix(main, pts, pts, cutoff_m=None).toarray()
    np.testing.assert_allclose(full, sub, rtol=1e-9)
    assert main.main_piece() is main
    assert net.main_piece() is main  # built once, kept


def test_points_near_a_detached_piece_reach_the_main_piece() -> None:
    net = build_network(BEIJING)
    detached_edges = np.flatnonzero(net.edge_component != 0)
    mid = np.array([g.interpolate(0.5, normalized=True).coords[0]
                    for g in net.edge_geometry[detached_edges[:5]]])
    assert (net.snap(mid).component != 0).all()
    main = net.main_piece()
    snapped = main.snap(mid)
    assert (snapped.component == 0).all()
    assert (snapped.access_m > 0).all()
