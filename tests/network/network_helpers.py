"""Independent reference computations for the network tests (imported by name: unique module name).

The reference distance (:meth:`Reference.distance`) snaps by brute force (shapely distance to every
edge, ``LineString.project``) and walks the network with networkx's Dijkstra, so it shares no code
with ``siting.network``'s KD-tree/STRtree snapping or SciPy searches.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np
import shapely

from siting.network import WalkNetwork

ROOT = Path(__file__).resolve().parents[2]
BEIJING_OSM = ROOT / "data" / "boundaries" / "beijing" / "beijing_haidian_xueqing.osm"
SHENZHEN_GRAPHML = ROOT / "data" / "boundaries" / "shenzhen" / "shenzhen_futian_walk.graphml"
DATA = ROOT / "tests" / "data" / "network"


class Reference:
    """Brute-force snapping + networkx shortest paths on one network."""

    def __init__(self, net: WalkNetwork) -> None:
        self.net = net
        self.g = nx.Graph()
        self.g.add_nodes_from(range(net.n_nodes))
        for u, v, length in zip(net.edge_u, net.edge_v, net.edge_length_m):
            if u == v:
                continue
            if not self.g.has_edge(u, v) or self.g[u][v]["length"] > length:
                self.g.add_edge(int(u), int(v), length=float(length))
        self._sssp = lru_cache(maxsize=None)(
            lambda a: nx.single_source_dijkstra_path_length(self.g, a, weight="length")
        )

    def snap(self, xy: np.ndarray) -> tuple[int, float, float]:
        """(edge, position along it from u, access leg) by brute force."""
        p = shapely.Point(xy)
        d = shapely.distance(self.net.edge_geometry, p)
        e = int(np.argmin(d))
        return e, float(self.net.edge_geometry[e].project(p)), float(d[e])

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        ea, pa, aa = self.snap(a)
        eb, pb, ab = self.snap(b)
        net = self.net
        ends_a = [(net.edge_u[ea], pa), (net.edge_v[ea], net.edge_length_m[ea] - pa)]
        ends_b = [(net.edge_u[eb], pb), (net.edge_v[eb], net.edge_length_m[eb] - pb)]
        best = np.inf
        for na, la in ends_a:
            lengths = self._sssp(int(na))
            for nb, lb in ends_b:
                if int(nb) in lengths:
                    best = min(best, la + lengths[int(nb)] + lb)
        if ea == eb:
            best = min(best, abs(pa - pb))
        return aa + best + ab if np.isfinite(best) else np.nan

    def matrix(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.array([[self.distance(p, q) for q in b] for p in a])


def random_points(net: WalkNetwork, k: int, seed: int, margin: float = 100.0) -> np.ndarray:
    """``k`` seeded points in the network's bounding box (grown by ``margin`` metres)."""
    rng = np.random.default_rng(seed)
    lo = net.node_xy.min(axis=0) - margin
    hi = net.node_xy.max(axis=0) + margin
    return rng.uniform(lo, hi, size=(k, 2))
