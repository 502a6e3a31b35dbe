"""Fixtures and an independent oracle for the access tests.

The oracle walks the network with networkx (``single_source_dijkstra_path_length`` from a virtual node
attached to a snapped point's edge ends), so it shares no shortest-path code with ``siting.network``
or ``siting.access``. Synthetic households and communities on the real Beijing extract are seeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.network import WalkNetwork, build_network

ROOT = Path(__file__).resolve().parents[2]
BEIJING_OSM = ROOT / "data" / "boundaries" / "beijing" / "beijing_haidian_xueqing.osm"


@pytest.fixture(scope="session")
def beijing() -> WalkNetwork:
    return build_network(BEIJING_OSM)


class Oracle:
    """networkx shortest paths between snapped points of one network."""

    def __init__(self, net: WalkNetwork) -> None:
        self.net = net
        g = nx.Graph()
        g.add_nodes_from(range(net.n_nodes))
        for u, v, length in zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length_m.tolist()):
            if u != v and (not g.has_edge(u, v) or g[u][v]["w"] > length):
                g.add_edge(u, v, w=length)
        self.g = g

    def node_dist_from_point(self, snapped: Any, i: int) -> np.ndarray:
        """(n,) distances from snapped point ``i`` to every node (inf = unreachable)."""
        g = self.g.copy()
        s = "source"
        acc = float(snapped.access_m[i])
        for end, along in ((int(snapped.u[i]), float(snapped.to_u_m[i])),
                           (int(snapped.v[i]), float(snapped.to_v_m[i]))):
            w = acc + along
            if not g.has_edge(s, end) or g[s][end]["w"] > w:
                g.add_edge(s, end, w=w)
        lengths = nx.single_source_dijkstra_path_length(g, s, weight="w")
        out = np.full(self.net.n_nodes, np.inf)
        for node, d in lengths.items():
            if node != s:
                out[node] = d
        return out

    def node_dist_from_node(self, x: int) -> np.ndarray:
        lengths = nx.single_source_dijkstra_path_length(self.g, int(x), weight="w")
        out = np.full(self.net.n_nodes, np.inf)
        for node, d in lengths.items():
            out[node] = d
        return out

    def all_pairs(self) -> np.ndarray:
        n = self.net.n_nodes
        out = np.full((n, n), np.inf)
        for a, lengths in nx.all_pairs_dijkstra_path_length(self.g, weight="w"):
            for b, d in lengths.items():
                out[a, b] = d
        return out

    @staticmethod
    def at_points(node_d: np.ndarray, pts: Any) -> np.ndarray:
        """Distance at snapped points from node distances (loop, written separately on purpose)."""
        out = np.empty(len(pts))
        for j in range(len(pts)):
            a = node_d[pts.u[j]] + pts.to_u_m[j]
            b = node_d[pts.v[j]] + pts.to_v_m[j]
            out[j] = min(a, b) + pts.access_m[j]
        return out

    def point_to_points(self, src: Any, i: int, pts: Any) -> np.ndarray:
        """Distances from snapped point ``i`` of ``src`` to every point of ``pts`` (inf = none)."""
        d = self.at_points(self.node_dist_from_point(src, i), pts)
        for j in range(len(pts)):
            if pts.edge[j] == src.edge[i]:
                direct = (src.access_m[i] + abs(src.to_u_m[i] - pts.to_u_m[j]) + pts.access_m[j])
                d[j] = min(d[j], direct)
        return d


@pytest.fixture(scope="session")
def oracle(beijing: WalkNetwork) -> Oracle:
    return Oracle(beijing)


@pytest.fixture(scope="session")
def town(beijing: WalkNetwork) -> dict[str, Any]:
    """Six box communities over the extract, 240 household points, 12 facilities of 3 types."""
    rng = np.random.default_rng(20261123)
    xmin, ymin = beijing.node_xy.min(axis=0)
    xmax, ymax = beijing.node_xy.max(axis=0)
    xs = np.linspace(xmin, xmax, 4)
    ys = np.linspace(ymin, ymax, 3)
    boxes, ids = [], []
    for i in range(3):
        for j in range(2):
            boxes.append(shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
            ids.append(f"C{i}{j}")
    boxes.append(shapely.box(xmax + 500, ymax + 500, xmax + 600, ymax + 600))  # no households
    ids.append("C_empty")
    communities = gpd.GeoDataFrame({"name": ids}, geometry=boxes, crs=beijing.crs,
                                   index=pd.Index(ids, name="community_id"))
    # households near nodes of the network (jittered), incl. a few on detached pieces
    main_nodes = np.flatnonzero(beijing.component == 0)
    detached_nodes = np.flatnonzero(beijing.component == 1)  # one detached piece
    picks = np.concatenate([rng.choice(main_nodes, 236), rng.choice(detached_nodes, 4)])
    xy = beijing.node_xy[picks] + rng.normal(0.0, 25.0, (picks.size, 2))
    hh = gpd.GeoDataFrame(
        {"households": rng.integers(1, 60, picks.size)},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=beijing.crs,
        index=pd.Index([f"H{k:03d}" for k in range(picks.size)], name="household_id"))
    hit = gpd.sjoin(hh[["geometry"]], communities[["geometry"]], predicate="within", how="left")
    hit = hit[~hit.index.duplicated(keep="first")]
    hh["community_id"] = hit["community_id"].reindex(hh.index).astype(object)
    hh.loc[hh.index[:3], "households"] = 0  # points without households
    fac_nodes = rng.choice(main_nodes, 12, replace=False)
    fxy = beijing.node_xy[fac_nodes] + rng.normal(0.0, 20.0, (12, 2))
    facilities = gpd.GeoDataFrame(
        {"type": ["eldercare"] * 5 + ["fitness"] * 4 + ["market"] * 3},
        geometry=gpd.points_from_xy(fxy[:, 0], fxy[:, 1]), crs=beijing.crs,
        index=pd.Index([f"F{k:02d}" for k in range(12)], name="facility_id"))
    return {"communities": communities, "households": hh, "facilities": facilities,
            "hh_snap": beijing.snap(hh), "fac_snap": beijing.snap(facilities)}
