"""Small synthetic worlds for the split tests, and an independent networkx oracle.

The oracle snaps by brute force (shapely distance to every edge, ``LineString.project``) and walks the
network with networkx's Dijkstra, so it shares no code with ``siting.network`` or ``siting.access``.
Imported by name (unique module name).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from siting import access
from siting.network import WalkNetwork
from siting.network.graph import assemble_network
from siting.policy import load_profile

CRS_M = CRS.from_epsg(32650)
X0, Y0 = 500_000.0, 2_500_000.0


def grid_network(rows: int, cols: int, spacing: float = 100.0,
                 spur: list[tuple[float, float]] | None = None) -> WalkNetwork:
    """A street lattice (nodes ``r * cols + c`` at ``(X0 + c*spacing, Y0 + r*spacing)``), plus an
    optional dead-end path from node 0 through the given points (a service road)."""
    xy = [(X0 + c * spacing, Y0 + r * spacing) for r in range(rows) for c in range(cols)]
    edges = []
    for r in range(rows):
        for c in range(cols):
            n = r * cols + c
            if c + 1 < cols:
                edges.append((n, n + 1))
            if r + 1 < rows:
                edges.append((n, n + cols))
    prev = 0
    for p in spur or []:
        xy.append(p)
        edges.append((prev, len(xy) - 1))
        prev = len(xy) - 1
    node_xy = np.asarray(xy, dtype=float)
    u = np.array([e[0] for e in edges])
    v = np.array([e[1] for e in edges])
    geoms = np.array([shapely.LineString([node_xy[a], node_xy[b]]) for a, b in edges], dtype=object)
    return assemble_network(crs=CRS_M, node_xy=node_xy, node_osmid=np.arange(len(xy)),
                            edge_u=u, edge_v=v, edge_geometry=geoms)


def households_near_nodes(net: WalkNetwork, nodes: np.ndarray, counts: np.ndarray,
                          *, cid: str = "C1", offset: tuple[float, float] = (6.0, 4.0),
                          prefix: str = "H") -> gpd.GeoDataFrame:
    xy = net.node_xy[nodes] + np.asarray(offset)
    return gpd.GeoDataFrame(
        {"households": np.asarray(counts, dtype=np.int64), "community_id": cid},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS_M,
        index=pd.Index([f"{prefix}{i:03d}" for i in range(len(nodes))], name="household_id"))


def community_table(net: WalkNetwork, households: gpd.GeoDataFrame, polygon: Any,
                    cid: str = "C1", kind: str = "urban") -> gpd.GeoDataFrame:
    """One community with its households and service radius measured as the pipeline does."""
    comm = gpd.GeoDataFrame({"kind": [kind]}, geometry=[polygon], crs=CRS_M,
                            index=pd.Index([cid], name="community_id"))
    empty = gpd.GeoDataFrame({"type": pd.Series([], dtype=object)},
                             geometry=gpd.GeoSeries([], crs=CRS_M), crs=CRS_M)
    radius, _ = access.service_radius(net, comm, households, net.snap(households.geometry), empty)
    comm["households"] = int(households["households"].sum())
    comm["service_radius_m"] = radius["service_radius_m"]
    return comm


def profile(*, max_households: int = 3000, max_radius_m: float = 2000, band: tuple[int, int] =
            (1000, 3000)) -> Any:
    return load_profile("national", overrides={"rules": {
        "size.split": {"max_households": max_households, "max_radius_m": max_radius_m},
        "size.urban": {"min_households": band[0], "max_households": band[1]}}})


class Oracle:
    """networkx distances between arbitrary points near the network (brute-force snapping)."""

    def __init__(self, net: WalkNetwork) -> None:
        self.net = net
        g = nx.Graph()
        for a, b, length in zip(net.edge_u.tolist(), net.edge_v.tolist(),
                                net.edge_length_m.tolist()):
            if a != b and (not g.has_edge(a, b) or g[a][b]["w"] > length):
                g.add_edge(a, b, w=length)
        self.g = g

    def _snap(self, p: tuple[float, float]) -> tuple[int, float, float]:
        pt = shapely.Point(p)
        d = np.array([geom.distance(pt) for geom in self.net.edge_geometry])
        e = int(np.argmin(d))
        return e, float(self.net.edge_geometry[e].project(pt)), float(d[e])

    def from_point(self, centre: tuple[float, float], targets: np.ndarray) -> np.ndarray:
        """Network distances from ``centre`` to each target point (access legs included)."""
        ec, pc, ac = self._snap(centre)
        g = self.g.copy()
        net = self.net
        length = float(net.edge_length_m[ec])
        for end, along in ((int(net.edge_u[ec]), pc), (int(net.edge_v[ec]), length - pc)):
            g.add_edge("c", end, w=ac + along)
        d = nx.single_source_dijkstra_path_length(g, "c", weight="w")
        out = []
        for t in targets:
            e, p, a = self._snap((float(t[0]), float(t[1])))
            best = min(d.get(int(net.edge_u[e]), np.inf) + p,
                       d.get(int(net.edge_v[e]), np.inf) + float(net.edge_length_m[e]) - p)
            if e == ec:
                best = min(best, ac + abs(p - pc))
            out.append(best + a)
        return np.asarray(out)
