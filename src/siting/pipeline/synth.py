"""Synthetic but plausible planning inputs, seeded and labelled as synthetic everywhere.

Household counts and community boundaries are not published openly for mainland China, so the
Shenzhen demo and ``siting synth`` generate them: communities as Voronoi cells of seeded centres
(shapely), household points placed beside streets of the walking network, facilities of every
contract type with deliberate gaps so that a plan has something to fix. Nothing here is real; every
table carries ``synthetic = True`` and every output says so.

The street grid of :func:`grid_network` is written by hand (a perturbed lattice with a few streets
removed) because no library generates a street network with OSM attributes; it is saved with osmnx so
that it reads back like any downloaded network.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from siting.errors import InputError

log = logging.getLogger(__name__)

FACILITY_TYPES = ("service_center", "eldercare", "fitness", "shelter", "health", "school",
                  "kindergarten", "market")
# Share of communities that get one facility of each type in the synthetic data. Below 1 on purpose:
# the gaps are what a diagnosis finds and a siting plan fills.
_TYPE_SHARE = {"service_center": 0.75, "eldercare": 0.3, "fitness": 0.5, "shelter": 0.35,
               "health": 0.5, "school": 0.4, "kindergarten": 0.5, "market": 0.7}


def grid_network(
    *, rows: int, cols: int, spacing_m: float = 120.0, seed: int = 0,
    centre_lonlat: tuple[float, float] = (113.95, 22.55), drop_share: float = 0.08,
) -> nx.MultiDiGraph:
    """A perturbed street lattice in WGS84 with osmnx attributes (``x``, ``y``, ``osmid``, ``length``).

    Parameters
    ----------
    rows, cols : int
        Lattice size (``rows × cols`` intersections).
    spacing_m : float
        Block length in metres.
    seed : int
        Seed for the jitter and the removed streets.
    centre_lonlat : tuple of float
        Where the lattice is centred.
    drop_share : float
        Share of streets removed (keeps the lattice from being too regular; the largest connected
        piece is kept).

    Returns
    -------
    networkx.MultiDiGraph
        Both directions of every street, ``graph["crs"] = "epsg:4326"``.
    """
    rng = np.random.default_rng(seed)
    utm = CRS.from_user_input(_utm_epsg(*centre_lonlat))
    to_wgs = Transformer.from_crs(utm, "EPSG:4326", always_xy=True)
    to_utm = Transformer.from_crs("EPSG:4326", utm, always_xy=True)
    cx, cy = to_utm.transform(*centre_lonlat)
    ii, jj = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    x = cx + (jj.ravel() - cols / 2) * spacing_m + rng.normal(0, spacing_m * 0.12, ii.size)
    y = cy + (ii.ravel() - rows / 2) * spacing_m + rng.normal(0, spacing_m * 0.12, ii.size)
    lon, lat = to_wgs.transform(x, y)
    node = np.arange(ii.size).reshape(rows, cols)
    pairs = np.concatenate([
        np.column_stack([node[:, :-1].ravel(), node[:, 1:].ravel()]),
        np.column_stack([node[:-1, :].ravel(), node[1:, :].ravel()]),
    ])
    pairs = pairs[rng.random(len(pairs)) >= drop_share]
    length = np.hypot(x[pairs[:, 0]] - x[pairs[:, 1]], y[pairs[:, 0]] - y[pairs[:, 1]])
    highway = rng.choice(["residential", "footway", "service", "tertiary"], size=len(pairs),
                         p=[0.5, 0.2, 0.2, 0.1])
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_nodes_from((int(n), {"x": float(lon[n]), "y": float(lat[n]), "osmid": int(n)})
                     for n in range(ii.size))
    for (u, v), d, h in zip(pairs.tolist(), length.tolist(), highway.tolist()):
        attrs = {"length": d, "highway": h, "osmid": len(G.edges)}
        G.add_edge(u, v, **attrs)
        G.add_edge(v, u, **attrs)
    largest = max(nx.weakly_connected_components(G), key=len)
    return G.subgraph(largest).copy()


def _utm_epsg(lon: float, lat: float) -> int:
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def synthesize(
    G: nx.MultiDiGraph, *, households: int, communities: int, seed: int = 0, districts: int = 1,
    large_share: float = 0.25,
) -> dict[str, gpd.GeoDataFrame]:
    """Generate communities, households, facilities and candidates on a WGS84 walking network.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A network with node ``x``/``y`` in WGS84 (as osmnx loads it).
    households : int
        Total households to place (exactly this many, over all household points).
    communities : int
        Number of communities (Voronoi cells of seeded centres).
    seed : int
        Seed for every random step.
    districts : int
        Number of districts (communities get a ``district`` column, split west to east).
    large_share : float
        Share of communities drawn larger than the 3,000-household ceiling, so that the size rules
        have something to find.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``communities``, ``households``, ``facilities``, ``candidates`` in WGS84, each with
        ``synthetic = True``.
    """
    if households < 1 or communities < 1:
        raise InputError("`households` and `communities` must be at least 1")
    rng = np.random.default_rng(seed)
    nodes = pd.DataFrame([(d["x"], d["y"]) for _, d in G.nodes(data=True)], columns=["x", "y"])
    lon0, lat0 = float(nodes.x.mean()), float(nodes.y.mean())
    utm = CRS.from_epsg(_utm_epsg(lon0, lat0))
    pts = gpd.GeoSeries(gpd.points_from_xy(nodes.x, nodes.y), crs="EPSG:4326").to_crs(utm)
    xy = np.column_stack([pts.x, pts.y])
    hull = shapely.MultiPoint(xy).convex_hull.buffer(60)

    # Communities: Voronoi cells of centres drawn among the nodes, clipped to the network's hull.
    centres = xy[rng.choice(len(xy), size=communities, replace=False)]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(centres), extend_to=hull))
    cells = [c.intersection(hull) for c in cells]
    cells = [c for c in cells if not c.is_empty and c.area > 0]
    order = np.argsort([c.centroid.x for c in cells])
    cells = [cells[i] for i in order]
    n = len(cells)
    ids = [f"S{i + 1:03d}" for i in range(n)]
    district_of = [f"D{1 + (i * districts) // n}" for i in range(n)]

    # Household totals per community: most within 1,000–3,000, some larger.
    weights = rng.uniform(0.6, 1.4, n)
    weights[rng.random(n) < large_share] *= 2.5
    per_comm = _split_total(households, weights / weights.sum())

    edges = _edge_lines(G, utm)
    hh_rows: list[dict[str, Any]] = []
    for cid, cell, total in zip(ids, cells, per_comm):
        inside = edges[edges.intersects(cell)]
        if total == 0 or inside.empty:
            continue
        sizes = _split_total(total, rng.dirichlet(np.ones(max(1, total // 60))))
        lines = inside.geometry.to_numpy()
        for size in sizes:
            if size == 0:
                continue
            for _ in range(20):  # a point beside a street, inside the community
                line = lines[rng.integers(len(lines))]
                p = line.interpolate(rng.random(), normalized=True)
                p = shapely.Point(p.x + rng.normal(0, 15), p.y + rng.normal(0, 15))
                if cell.contains(p):
                    break
            else:
                p = cell.representative_point()
            hh_rows.append({"community_id": cid, "households": int(size), "geometry": p})
    hh = gpd.GeoDataFrame(hh_rows, crs=utm)
    hh.insert(0, "household_id", [f"H{i + 1:06d}" for i in range(len(hh))])
    hh["residents"] = np.round(hh["households"] * rng.uniform(2.3, 3.0, len(hh))).astype(int)
    hh["elderly"] = np.round(hh["residents"] * rng.uniform(0.12, 0.25, len(hh))).astype(int)
    hh = hh.drop(columns="community_id")

    comm = gpd.GeoDataFrame({"community_id": ids, "name": [f"合成社区{i + 1}" for i in range(n)],
                             "kind": "urban", "district": district_of}, geometry=cells, crs=utm)
    comm_hh = np.array(per_comm, dtype=float)
    comm["facility_area_m2"] = np.round(comm_hh * rng.uniform(0.2, 0.45, n) / 100 * 100, -1)
    comm["workers"] = np.maximum(1, np.round(comm_hh * 2.7 * rng.uniform(8, 22, n) / 10000))
    comm["social_workers"] = rng.integers(0, 6, n)

    fac_rows = []
    for ftype in FACILITY_TYPES:
        chosen = [i for i in range(n) if rng.random() < _TYPE_SHARE[ftype]]
        for i in chosen:
            p = _point_near_street(edges, cells[i], rng)
            area = {"shelter": rng.uniform(2000, 12000), "service_center": comm.facility_area_m2[i]}
            fac_rows.append({"type": ftype, "name": f"合成{ftype}{i + 1}",
                             "area_m2": float(area.get(ftype, rng.uniform(150, 900))),
                             "capacity": float(rng.integers(30, 200)), "geometry": p})
    fac = gpd.GeoDataFrame(fac_rows, crs=utm)
    fac.insert(0, "facility_id", [f"F{i + 1:04d}" for i in range(len(fac))])

    cand_xy = xy[rng.choice(len(xy), size=min(len(xy), max(40, 25 * n)), replace=False)]
    cand = gpd.GeoDataFrame({"candidate_id": [f"K{i + 1:04d}" for i in range(len(cand_xy))],
                             "types": "", "area_m2": np.round(rng.uniform(300, 8000, len(cand_xy))),
                             "capacity": rng.integers(50, 3000, len(cand_xy))},
                            geometry=gpd.points_from_xy(cand_xy[:, 0] + 8, cand_xy[:, 1] + 8), crs=utm)
    out = {"communities": comm, "households": hh, "facilities": fac, "candidates": cand}
    for key, frame in out.items():
        frame["synthetic"] = True
        out[key] = frame.to_crs("EPSG:4326")
    log.info("synthesised %d communities, %d household points (%d households), %d facilities",
             n, len(hh), int(hh.households.sum()), len(fac))
    return out


def _split_total(total: int, shares: np.ndarray) -> list[int]:
    """Split a whole number by shares with largest-remainder rounding (sums exactly to total)."""
    raw = np.asarray(shares, dtype=float) * total
    base = np.floor(raw).astype(int)
    rest = total - int(base.sum())
    if rest > 0:
        base[np.argsort(-(raw - base), kind="stable")[:rest]] += 1
    return base.tolist()


def _edge_lines(G: nx.MultiDiGraph, crs: CRS) -> gpd.GeoDataFrame:
    seen = set()
    lines = []
    for u, v, d in G.edges(data=True):
        key = (min(u, v), max(u, v))
        if key in seen:
            continue
        seen.add(key)
        geom = d.get("geometry")
        if geom is None:
            geom = shapely.LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                                       (G.nodes[v]["x"], G.nodes[v]["y"])])
        lines.append(geom)
    return gpd.GeoDataFrame(geometry=lines, crs="EPSG:4326").to_crs(crs)


def _point_near_street(edges: gpd.GeoDataFrame, cell: Any, rng: np.random.Generator) -> Any:
    inside = edges[edges.intersects(cell)]
    if inside.empty:
        return cell.representative_point()
    for _ in range(20):
        line = inside.geometry.iloc[rng.integers(len(inside))]
        p = line.interpolate(rng.random(), normalized=True)
        p = shapely.Point(p.x + rng.normal(0, 10), p.y + rng.normal(0, 10))
        if cell.contains(p):
            return p
    return cell.representative_point()


def write_inputs(frames: dict[str, gpd.GeoDataFrame], out_dir: Path) -> dict[str, Path]:
    """Write synthetic frames as the files a planner would have: GeoJSON polygons, CSV points."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, frame in frames.items():
        if key == "households":
            path = out_dir / "households.csv"
            table = pd.DataFrame(frame.drop(columns="geometry"))
            table.insert(1, "lon", frame.geometry.x.round(7))
            table.insert(2, "lat", frame.geometry.y.round(7))
            table.to_csv(path, index=False)
        else:
            path = out_dir / f"{key}.geojson"
            frame.to_file(path, driver="GeoJSON")
        paths[key] = path
    return paths


def write_synthetic_county(
    out_dir: str | Path, *, households: int, seed: int = 0, districts: int | None = None,
) -> Path:
    """Write a synthetic county's inputs and a ``config.toml`` that ``siting plan`` runs as is.

    The county is a generated street lattice sized for the number of households (about 20
    households per intersection), with communities of about 2,200 households on average and one
    district per about 30 communities.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into (created).
    households : int
        Total households.
    seed : int
        Seed of every random step.
    districts : int, optional
        Number of districts (default: one per about 30 communities).

    Returns
    -------
    pathlib.Path
        The ``config.toml`` written.
    """
    import osmnx as ox

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    side = max(8, int(np.ceil(np.sqrt(households / 20))))
    G = grid_network(rows=side, cols=side, seed=seed)
    n_comm = max(1, round(households / 2200))
    n_dist = districts or max(1, round(n_comm / 30))
    frames = synthesize(G, households=households, communities=n_comm, seed=seed, districts=n_dist)
    ox.save_graphml(G, out / "network.graphml")
    write_inputs(frames, out)
    config = out / "config.toml"
    config.write_text(
        "# Synthetic county written by `siting synth`: every input here is generated (seed "
        f"{seed}), not real.\n"
        "[plan]\n"
        f'name = "合成县 (synthetic, seed {seed})"\n'
        'policy = "national"\n'
        'out = "outputs"\n'
        "synthetic = true\n"
        f"seed = {seed}\n\n"
        "[inputs]\n"
        'network = "network.graphml"\n'
        'communities = "communities.geojson"\n'
        'households = "households.csv"\n'
        'facilities = "facilities.geojson"\n'
        'candidates = "candidates.geojson"\n'
        'coords = "wgs84"\n\n'
        "[siting.eldercare]\n"
        "new_sites = 5\n\n"
        "[siting.shelter]\n"
        'new_sites = "min"\n',
        encoding="utf-8",
    )
    return config
