"""Build the walking network from OSM XML, OSM PBF, GraphML, a networkx graph or an online query.

osmnx does the reading (``graph_from_xml``, ``load_graphml``, ``graph_from_place``/``graph_from_bbox``)
and the topology simplification (``simplify_graph``); pyosmium (``osmium``) cuts the highway ways of a
PBF file, with the nodes they reference, into a temporary OSM XML file that osmnx then reads; pyproj
and shapely 2 project every node and edge vertex in one vectorised call; geopandas picks the local UTM
zone (``estimate_utm_crs``). Written by hand: the walk filter (:mod:`siting.network.walkfilter`),
merging the two directions of each way into one undirected edge, and the error messages.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from siting.errors import InputError, Problem
from siting.network.graph import WalkNetwork, assemble_network
from siting.network.walkfilter import WalkFilter, make_walk_filter
from siting.progress import progress

logger = logging.getLogger(__name__)

#: File endings read as a network, with the reader used.
NETWORK_SUFFIXES = {
    ".osm": "OSM XML",
    ".xml": "OSM XML",
    ".osm.bz2": "OSM XML (bzip2)",
    ".osm.pbf": "OSM PBF",
    ".pbf": "OSM PBF",
    ".graphml": "GraphML",
}

_STEPS = ("read", "filter", "simplify", "project", "index")


def build_network(
    source: str | os.PathLike[str] | nx.Graph | tuple[float, float, float, float],
    *,
    crs: Any = None,
    walk_filter: Mapping[str, Any] | None = None,
    online: bool = False,
    verbose: bool | None = None,
) -> WalkNetwork:
    """Build the undirected walking network, projected to a metric CRS.

    Parameters
    ----------
    source : path, networkx graph, place name or bbox
        A file: OSM XML (``.osm``, ``.osm.bz2``), OSM PBF (``.osm.pbf``) or GraphML (``.graphml``, as
        written by osmnx); or an osmnx-style networkx graph (nodes with ``x``/``y``, graph attribute
        ``crs``, WGS84 assumed when absent); or, only with ``online=True``, a place name (``str``) or a
        ``(left, bottom, right, top)`` WGS84 bounding box queried from OpenStreetMap through osmnx.
    crs : CRS-like, optional
        The metric CRS to work in. Default: the local UTM zone of the network (a graph that is already
        projected stays in its CRS).
    walk_filter : mapping, optional
        Which ways are walkable (schema in :mod:`siting.network.walkfilter`); normally the policy
        profile's ``settings["network"]``. Default: :data:`~siting.network.walkfilter.DEFAULT_WALK_FILTER`.
        Applied to every edge carrying a ``highway`` tag; a graph with no ``highway`` tags at all is
        taken as already filtered.
    online : bool
        Allow ``source`` to be a place name or bbox queried over the internet.
    verbose : bool, optional
        Show a progress bar over the build steps (default: when attached to a terminal).

    Returns
    -------
    WalkNetwork
        Every connected piece is kept and labelled (``component``, 0 = largest); the detached ones
        are summarised in ``detached_summary`` and logged.

    Raises
    ------
    siting.errors.InputError
        Missing or unreadable file, unknown file type, a place name without ``online=True``, a bad
        walk filter, no walkable ways, a geographic ``crs``.
    """
    wf = make_walk_filter(walk_filter)
    label = _label(source)
    bar = iter(progress(_STEPS, desc="walking network", verbose=verbose))
    next(bar, None)
    graph, raw = _read(source, wf, online=online, label=label)
    next(bar, None)
    graph = _filter(graph, wf, label=label)
    next(bar, None)
    if raw:
        import osmnx as ox

        graph = ox.simplify_graph(graph, remove_rings=False)
    next(bar, None)
    arrays = _to_arrays(graph, crs=crs, label=label)
    next(bar, None)
    net = assemble_network(**arrays)
    for _ in bar:
        pass
    logger.info(
        "walking network from %s: %d nodes, %d edges, %.1f km, CRS %s",
        label, net.n_nodes, net.n_edges, net.detached_summary.total_length_m / 1000,
        net.crs.to_string(),
    )
    return net


def _label(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if isinstance(source, nx.Graph):
        return f"networkx {type(source).__name__}"
    return repr(source)


def _suffix(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(NETWORK_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return None


@contextlib.contextmanager
def _osmnx_keeps_tags(keys: list[str]) -> Iterator[None]:
    """Let osmnx keep the way tags the walk filter reads (restored afterwards)."""
    import osmnx as ox

    before = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(before) | set(keys))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = before


def _read(source: Any, wf: WalkFilter, *, online: bool, label: str) -> tuple[nx.Graph, bool]:
    """Read ``source`` into a networkx graph; the flag says it is raw (unsimplified) OSM."""
    import osmnx as ox

    if isinstance(source, nx.Graph):
        return source, False
    is_bbox = isinstance(source, tuple) and len(source) == 4
    if is_bbox or (isinstance(source, str) and _suffix(Path(source)) is None
                   and not Path(source).exists()):
        if not online:
            raise InputError(Problem(
                f"{label} is not a network file" + (" (it looks like a bounding box)" if is_bbox else ""),
                source="network",
                fix="pass the path of an .osm, .osm.bz2, .osm.pbf or .graphml file, or pass online=True "
                "to query OpenStreetMap for a place name or (left, bottom, right, top) bbox",
            ))
        with _osmnx_keeps_tags(wf.tag_keys):
            if is_bbox:
                left, bottom, right, top = (float(v) for v in source)
                graph = ox.graph_from_bbox((left, bottom, right, top), network_type="all",
                                           simplify=False, retain_all=True)
            else:
                graph = ox.graph_from_place(source, network_type="all", simplify=False, retain_all=True)
        return graph, True
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(Problem(
            f"cannot build a network from a {type(source).__name__}", source="network",
            fix="pass a file path, a networkx graph, or a place name / bbox with online=True",
        ))
    path = Path(source)
    suffix = _suffix(path)
    if suffix is None:
        raise InputError(Problem(
            f"unknown network file type `{path.suffix}`", source=str(path),
            fix="give an OpenStreetMap extract (.osm, .osm.bz2, .osm.pbf) or an osmnx GraphML (.graphml)",
        ))
    if not path.is_file():
        raise InputError(Problem(
            "network file not found", source=str(path),
            fix="check the path (relative paths are read from the current folder)",
        ))
    try:
        if suffix == ".graphml":
            return ox.load_graphml(path), False
        with _osmnx_keeps_tags(wf.tag_keys):
            if suffix in (".osm.pbf", ".pbf"):
                return _read_pbf(path), True
            return ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True), True
    except InputError:
        raise
    except Exception as exc:  # the readers raise many types; name the file and the cause
        raise InputError(Problem(
            f"cannot read this {NETWORK_SUFFIXES[suffix]} file ({type(exc).__name__}: {exc})",
            source=str(path),
            fix="check that the file is complete and of the type its name says",
        )) from exc


def _read_pbf(path: Path) -> nx.MultiDiGraph:
    """Cut the highway ways (and their nodes) of a PBF file into OSM XML and read it with osmnx."""
    import osmium
    import osmnx as ox

    with tempfile.TemporaryDirectory(prefix="siting-pbf-") as tmp:
        xml = Path(tmp) / "highways.osm"
        ways = 0
        with osmium.BackReferenceWriter(str(xml), ref_src=str(path), overwrite=True) as writer:
            processor = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
                osmium.filter.KeyFilter("highway")
            )
            for way in processor:
                writer.add_way(way)
                ways += 1
        if ways == 0:
            raise InputError(Problem(
                "the PBF file has no ways with a `highway` tag", source=str(path),
                fix="use an extract that contains the street network",
            ))
        return ox.graph_from_xml(xml, bidirectional=True, simplify=False, retain_all=True)


def _filter(graph: nx.Graph, wf: WalkFilter, *, label: str) -> nx.Graph:
    """Drop the edges the walk filter refuses, then the nodes left without edges."""
    tagged = any("highway" in data for _, _, data in graph.edges(data=True))
    if not tagged:
        if graph.number_of_edges():
            logger.info("%s: no `highway` tags on edges; taking every edge as walkable", label)
        drop: list[Any] = []
    else:
        drop = [e for e in _edges_with_keys(graph) if not wf.is_walkable(e[-1])]
    if drop:
        seen = Counter(str(data.get("highway")) for *_, data in drop)
        graph = graph.copy()
        graph.remove_edges_from([e[:-1] for e in drop])
        logger.info("%s: %d non-walkable edges dropped (highway: %s)", label, len(drop),
                    dict(seen.most_common(8)))
    isolated = [n for n, deg in graph.degree() if deg == 0]
    if isolated:
        if not drop:
            graph = graph.copy()
        graph.remove_nodes_from(isolated)
    if graph.number_of_edges() == 0:
        kept = sorted(wf.highway)[:6]
        raise InputError(Problem(
            "no walkable ways in the network" + (
                f" ({len(drop)} ways/edges present, none walkable: highway values "
                f"{dict(Counter(str(d.get('highway')) for *_, d in drop).most_common(6))})"
                if drop else ""),
            source=label,
            fix=f"use an extract covering streets or footpaths (walkable highway values: {kept}...), "
            "or widen the profile's walk filter",
        ))
    return graph


def _edges_with_keys(graph: nx.Graph) -> list[tuple[Any, ...]]:
    if graph.is_multigraph():
        return list(graph.edges(keys=True, data=True))
    return list(graph.edges(data=True))


def _to_arrays(graph: nx.Graph, *, crs: Any, label: str) -> dict[str, Any]:
    """Node and edge arrays in a metric CRS, one undirected edge per way segment."""
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    try:
        x = np.fromiter((graph.nodes[n]["x"] for n in nodes), dtype=np.float64, count=len(nodes))
        y = np.fromiter((graph.nodes[n]["y"] for n in nodes), dtype=np.float64, count=len(nodes))
    except KeyError as exc:
        raise InputError(Problem(
            "network nodes lack `x`/`y` coordinates", source=label, column=str(exc),
            fix="give every node `x` and `y` attributes (osmnx graphs have them)",
        )) from exc

    src_crs = CRS.from_user_input(graph.graph.get("crs", "EPSG:4326"))
    if "crs" not in graph.graph and (np.abs(x).max() > 180 or np.abs(y).max() > 90):
        raise InputError(Problem(
            "the graph has no `crs` attribute and its coordinates are not longitude/latitude",
            source=label, fix="set graph.graph['crs'] to the CRS of the node coordinates",
        ))
    if crs is None:
        if src_crs.is_geographic:
            pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=src_crs)
            target = pts.estimate_utm_crs()
        else:
            target = src_crs
    else:
        target = CRS.from_user_input(crs)
        if target.is_geographic:
            raise InputError(Problem(
                f"`crs` {target.to_string()} is geographic (degrees)", source="crs",
                fix="pass a projected metric CRS such as a UTM zone, or leave crs=None",
            ))

    edges = _edges_with_keys(graph)
    m = len(edges)
    u = np.fromiter((index[e[0]] for e in edges), dtype=np.int64, count=m)
    v = np.fromiter((index[e[1]] for e in edges), dtype=np.int64, count=m)
    coords = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    geoms = shapely.linestrings(coords) if m else np.empty(0, dtype=object)
    for i, e in enumerate(edges):
        g = e[-1].get("geometry")
        if g is not None:
            geoms[i] = g

    xy = np.column_stack([x, y])
    if not src_crs.equals(target):
        tr = Transformer.from_crs(src_crs, target, always_xy=True)

        def project(a: np.ndarray) -> np.ndarray:
            px, py = tr.transform(a[:, 0], a[:, 1])
            return np.column_stack([px, py])

        xy = project(xy)
        geoms = shapely.transform(geoms, project)

    # orient every geometry from u to v (undirected graphs do not promise it)
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    flip = np.hypot(*(start - xy[v]).T) < np.hypot(*(start - xy[u]).T)
    geoms[flip] = shapely.reverse(geoms[flip])
    # one undirected edge per way segment: put the smaller node first, then drop the reverse copies
    swap = u > v
    u, v = np.where(swap, v, u), np.where(swap, u, v)
    geoms[swap] = shapely.reverse(geoms[swap])
    length = shapely.length(geoms)
    mid = shapely.get_coordinates(shapely.line_interpolate_point(geoms, 0.5, normalized=True))
    key = pd.DataFrame({"u": u, "v": v, "len": np.round(length, 2),
                        "mx": np.round(mid[:, 0], 1), "my": np.round(mid[:, 1], 1)})
    keep = ~key.duplicated().to_numpy()

    tags = pd.DataFrame({
        name: [_text(e[-1].get(name)) for e in edges] for name in ("osmid", "highway", "name")
    })
    return {
        "crs": target,
        "node_xy": xy,
        "node_osmid": np.asarray(nodes, dtype=object if not _all_int(nodes) else np.int64),
        "edge_u": u[keep],
        "edge_v": v[keep],
        "edge_geometry": geoms[keep],
        "edge_tags": tags[keep].reset_index(drop=True),
    }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set)):
        return ";".join(str(v) for v in value)
    return str(value)


def _all_int(values: list[Any]) -> bool:
    return all(isinstance(v, (int, np.integer)) for v in values)
