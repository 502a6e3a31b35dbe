"""The built walking network: arrays, a CSR matrix and a spatial index, frozen once built.

SciPy holds the graph (``scipy.sparse.csr_matrix`` of edge lengths, ``csgraph.connected_components``
labels the pieces); shapely 2 holds the edge geometry and its ``STRtree``, SciPy's ``cKDTree`` samples along the edges
(both built once, used by :meth:`WalkNetwork.snap`). Written by hand: only the bookkeeping that turns node/edge arrays into those
objects (ordering the pieces by size, summarising the detached ones).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse import csgraph

from siting.network.snap import SegmentIndex, build_segment_index

if TYPE_CHECKING:
    from siting.network.snap import Snapped

logger = logging.getLogger(__name__)

#: Lengths below this are stored as this in the CSR graph: SciPy's csgraph reads an explicit 0 as
#: "no edge", and two OSM nodes can sit on the same spot. 1 µm never shows in a metre result.
MIN_EDGE_M = 1e-6


@dataclass(frozen=True)
class DetachedSummary:
    """The pieces of the network not connected to the largest one.

    Attributes
    ----------
    pieces : int
        Number of connected pieces in total (1 = fully connected).
    detached_pieces : int
        Pieces other than the largest (``component != 0``).
    detached_nodes, detached_edges : int
        Nodes and edges on those pieces.
    detached_length_m : float
        Their total edge length.
    total_length_m : float
        Total edge length of the whole network.
    """

    pieces: int
    detached_pieces: int
    detached_nodes: int
    detached_edges: int
    detached_length_m: float
    total_length_m: float

    def __str__(self) -> str:
        if self.detached_pieces == 0:
            return f"walking network is connected ({self.total_length_m / 1000:.1f} km)"
        share = self.detached_length_m / self.total_length_m if self.total_length_m else 0.0
        return (
            f"walking network has {self.detached_pieces} detached piece(s) besides the main one: "
            f"{self.detached_edges} edges, {self.detached_length_m / 1000:.2f} km "
            f"({share:.1%} of {self.total_length_m / 1000:.1f} km); points snapped to them cannot "
            "reach the main piece (their distances are missing)"
        )


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """An undirected walking network in a projected metric CRS.

    Build it with :func:`siting.network.build_network`; do not mutate its arrays.

    Attributes
    ----------
    crs : pyproj.CRS
        The metric CRS of every coordinate.
    graph : scipy.sparse.csr_matrix
        Symmetric ``(n, n)`` matrix of edge lengths in metres (the shortest of parallel edges; lengths
        below :data:`MIN_EDGE_M` stored as that, self-loops left out).
    node_xy : numpy.ndarray
        ``(n, 2)`` node coordinates.
    node_osmid : numpy.ndarray
        ``(n,)`` the source graph's node ids (OSM ids when read from OSM).
    edge_u, edge_v : numpy.ndarray
        ``(m,)`` node indices of each edge's ends; the geometry runs from ``u`` to ``v``.
    edge_length_m : numpy.ndarray
        ``(m,)`` length of each edge's projected geometry.
    edge_geometry : numpy.ndarray
        ``(m,)`` shapely LineStrings.
    component : numpy.ndarray
        ``(n,)`` connected piece of each node; 0 = the largest, then by decreasing size.
    detached_summary : DetachedSummary
        How much of the network is not connected to the largest piece.
    edge_tags : pandas.DataFrame
        ``(m,)`` rows: ``osmid``, ``highway``, ``name`` (as text), for maps and reports.
    segments : SegmentIndex
        The edges' straight segments and a KD-tree along them (used by :meth:`snap`).
    """

    crs: CRS
    graph: sp.csr_matrix
    node_xy: np.ndarray
    node_osmid: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_geometry: np.ndarray
    component: np.ndarray
    detached_summary: DetachedSummary
    edge_tags: pd.DataFrame = field(repr=False)
    segments: SegmentIndex = field(repr=False)
    _tree: shapely.STRtree = field(repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.edge_u.shape[0])

    @property
    def edge_component(self) -> np.ndarray:
        """Connected piece of each edge (that of its ``u`` node)."""
        return self.component[self.edge_u]

    def main_piece(self) -> WalkNetwork:
        """The largest connected piece alone, as a network of its own (self when fully connected).

        Points snapped to it reach the nearest street of the main piece, with a longer access leg,
        instead of being stranded on a detached piece (often an OSM mapping gap: a compound's paths
        not joined to the street). The detached pieces are dropped, so report them first. Built once
        per network and kept (the districts of a county run share one network).
        """
        if self.detached_summary.detached_pieces == 0:
            return self
        cached = self.__dict__.get("_main_piece")
        if cached is not None:
            return cached
        keep_node = self.component == 0
        keep_edge = keep_node[self.edge_u] & keep_node[self.edge_v]
        new_index = np.cumsum(keep_node) - 1
        piece = assemble_network(
            crs=self.crs, node_xy=self.node_xy[keep_node], node_osmid=self.node_osmid[keep_node],
            edge_u=new_index[self.edge_u[keep_edge]], edge_v=new_index[self.edge_v[keep_edge]],
            edge_geometry=self.edge_geometry[keep_edge],
            edge_tags=self.edge_tags[keep_edge].reset_index(drop=True))
        self.__dict__["_main_piece"] = piece  # a cache of derived data: the network stays as built
        return piece

    def snap(self, points: Any, *, max_access_m: float | None = None) -> Snapped:
        """Snap points to the nearest point of the nearest edge.

        See :func:`siting.network.snap.snap_points` (same parameters).
        """
        from siting.network.snap import snap_points

        return snap_points(self, points, max_access_m=max_access_m)

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame (``u``, ``v``, ``length_m``, ``component``, tags, geometry)."""
        frame = pd.DataFrame(
            {
                "u": self.edge_u,
                "v": self.edge_v,
                "length_m": self.edge_length_m,
                "component": self.edge_component,
            }
        )
        frame = pd.concat([frame, self.edge_tags.reset_index(drop=True)], axis=1)
        return gpd.GeoDataFrame(frame, geometry=list(self.edge_geometry), crs=self.crs)

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """The nodes as a GeoDataFrame (``osmid``, ``component``, geometry), indexed 0..n-1."""
        return gpd.GeoDataFrame(
            {"osmid": self.node_osmid, "component": self.component},
            geometry=gpd.points_from_xy(self.node_xy[:, 0], self.node_xy[:, 1]),
            crs=self.crs,
        )


def assemble_network(
    *,
    crs: CRS,
    node_xy: np.ndarray,
    node_osmid: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    edge_geometry: np.ndarray,
    edge_tags: pd.DataFrame | None = None,
) -> WalkNetwork:
    """Make a :class:`WalkNetwork` from node and edge arrays (metric CRS, geometry oriented u→v).

    Nodes without any edge must already be removed. Edge lengths are the geometry lengths.
    """
    n = int(node_xy.shape[0])
    edge_u = np.asarray(edge_u, dtype=np.int64)
    edge_v = np.asarray(edge_v, dtype=np.int64)
    edge_geometry = np.asarray(edge_geometry, dtype=object)
    length = shapely.length(edge_geometry).astype(np.float64)

    keep = edge_u != edge_v  # self-loops never shorten a path
    w = np.maximum(length[keep], MIN_EDGE_M)
    rows = np.concatenate([edge_u[keep], edge_v[keep]])
    cols = np.concatenate([edge_v[keep], edge_u[keep]])
    vals = np.concatenate([w, w])
    # parallel edges: keep the shortest (SciPy would sum duplicate entries)
    if rows.size:
        key = rows * n + cols
        order = np.lexsort((vals, key))
        key_sorted = key[order]
        first = np.ones(order.size, dtype=bool)
        first[1:] = key_sorted[1:] != key_sorted[:-1]
        sel = order[first]
        rows, cols, vals = rows[sel], cols[sel], vals[sel]
    graph = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    graph.sort_indices()

    n_pieces, labels = csgraph.connected_components(graph, directed=False)
    # order the pieces: most nodes first, then longest
    piece_len = np.bincount(labels[edge_u], weights=length, minlength=n_pieces)
    piece_nodes = np.bincount(labels, minlength=n_pieces)
    rank = np.lexsort((-piece_len, -piece_nodes))
    relabel = np.empty(n_pieces, dtype=np.int64)
    relabel[rank] = np.arange(n_pieces)
    component = relabel[labels]

    edge_comp = component[edge_u]
    detached = edge_comp != 0
    summary = DetachedSummary(
        pieces=int(n_pieces),
        detached_pieces=int(max(n_pieces - 1, 0)),
        detached_nodes=int((component != 0).sum()),
        detached_edges=int(detached.sum()),
        detached_length_m=float(length[detached].sum()),
        total_length_m=float(length.sum()),
    )
    if summary.detached_pieces:
        logger.warning("%s", summary)
    else:
        logger.info("%s", summary)

    if edge_tags is None:
        edge_tags = pd.DataFrame(index=pd.RangeIndex(edge_u.size))
    return WalkNetwork(
        crs=crs,
        graph=graph,
        node_xy=np.ascontiguousarray(node_xy, dtype=np.float64),
        node_osmid=np.asarray(node_osmid),
        edge_u=edge_u,
        edge_v=edge_v,
        edge_length_m=length,
        edge_geometry=edge_geometry,
        component=component,
        detached_summary=summary,
        edge_tags=edge_tags.reset_index(drop=True),
        segments=build_segment_index(edge_geometry),
        _tree=shapely.STRtree(edge_geometry),
    )
