"""The walking network: build it, snap points to it, measure distances along it.

``build_network`` reads OSM XML / PBF / GraphML (osmnx, pyosmium), keeps the walkable ways, projects to
a metric CRS and returns a frozen :class:`WalkNetwork`; ``WalkNetwork.snap`` snaps points to the nearest
edge (shapely 2 STRtree); the distance functions run SciPy's compiled Dijkstra on the network's CSR
matrix. Distance = access leg + shortest path + access leg (CONTRACT.md "Distances"); unreachable is NaN
(dense) or an absent entry (sparse), never 0.
"""

from siting.network.build import NETWORK_SUFFIXES, build_network
from siting.network.distance import (
    distance_matrix,
    distances_from,
    nearest_distance,
    node_distances,
    point_distances,
)
from siting.network.graph import DetachedSummary, WalkNetwork
from siting.network.snap import Snapped, snap_points
from siting.network.walkfilter import DEFAULT_WALK_FILTER, WalkFilter, make_walk_filter

__all__ = [
    "DEFAULT_WALK_FILTER",
    "NETWORK_SUFFIXES",
    "DetachedSummary",
    "Snapped",
    "WalkFilter",
    "WalkNetwork",
    "build_network",
    "distance_matrix",
    "distances_from",
    "make_walk_filter",
    "nearest_distance",
    "node_distances",
    "point_distances",
    "snap_points",
]
