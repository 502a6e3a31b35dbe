"""Benchmark: siting's distance engine against osmnx + networkx as a planner uses them today.

Run from the repository root::

    .venv/bin/python benchmarks/bench_distance.py            # full: ~200,000-node network, 1,000,000 households
    .venv/bin/python benchmarks/bench_distance.py --small    # quick check (a few seconds)
    .venv/bin/python benchmarks/bench_distance.py --write    # also write benchmarks/RESULTS_distance.md

Cases, each timed side by side in the same process on the same points:

(a) nearest-facility distance for every household, from already-snapped points to a column of
    distances: ``siting.network.nearest_distance`` vs ``nx.multi_source_dijkstra_path_length`` on the
    households' ``ox.distance.nearest_nodes`` + a dict lookup per household;
(b) household x candidate distances within 1,500 m as a sparse matrix: ``distance_matrix`` vs
    ``nx.single_source_dijkstra_path_length(cutoff=1500)`` per candidate + gathering the households of
    each reached node (timed on a sample of candidates and extrapolated when it would take too long);
    peak memory from the kernel's high-water mark of resident memory (``VmHWM``, reset before the call)
    and from ``tracemalloc``;
(c) snapping + nearest facility for all households, and the distances alone.

The networkx baseline is the easier computation: it snaps to the nearest *node* and has no access
legs, so its answers are coarser than siting's (which snap to the nearest point of the nearest edge).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata as md
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import scipy.sparse as sp

from siting.network import build_network, distance_matrix, nearest_distance

ROOT = Path(__file__).resolve().parents[1]
SHENZHEN = ROOT / "data" / "boundaries" / "shenzhen" / "shenzhen_futian_walk.graphml"
CUTOFF_M = 1500.0


# ----------------------------------------------------------------------------- inputs
def grid_graph(side: int, *, spacing: float = 80.0, drop: float = 0.1, seed: int = 0) -> nx.Graph:
    """A perturbed ``side`` x ``side`` street grid (UTM 50N) with a share ``drop`` of edges removed."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = (jj + rng.uniform(-0.2, 0.2, ii.shape)).ravel() * spacing + 440_000.0
    y = (ii + rng.uniform(-0.2, 0.2, ii.shape)).ravel() * spacing + 4_420_000.0
    ids = np.arange(side * side).reshape(side, side)
    pairs = np.vstack([
        np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()]),
        np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()]),
    ])
    pairs = pairs[rng.random(len(pairs)) >= drop]
    length = np.hypot(x[pairs[:, 0]] - x[pairs[:, 1]], y[pairs[:, 0]] - y[pairs[:, 1]])
    g = nx.Graph(crs="EPSG:32650")
    g.add_nodes_from((int(i), {"x": float(x[i]), "y": float(y[i])}) for i in range(side * side))
    g.add_edges_from((int(a), int(b), {"length": float(w)}) for (a, b), w in zip(pairs, length))
    return g


def random_xy(g_xy: np.ndarray, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(g_xy.min(axis=0), g_xy.max(axis=0), size=(k, 2))


# ----------------------------------------------------------------------------- measuring
def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as fh:  # "5" resets VmHWM (Linux >= 4.0)
        fh.write("5")


def rss_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_memory(fn: Callable[[], Any]) -> tuple[float, float, float]:
    """(RSS before MB, peak RSS during MB, tracemalloc peak MB) of one call."""
    gc.collect()
    before = rss_mb("VmRSS")
    reset_peak_rss()
    fn()
    peak = rss_mb("VmHWM")
    gc.collect()
    tracemalloc.start()
    fn()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return before, peak, traced / 2**20


# ----------------------------------------------------------------------------- baselines
def nx_nearest(g: nx.Graph, hh_nodes: np.ndarray, fac_nodes: np.ndarray) -> np.ndarray:
    lengths = nx.multi_source_dijkstra_path_length(g, set(fac_nodes.tolist()), weight="length")
    return np.array([lengths.get(n, np.nan) for n in hh_nodes.tolist()])


def nx_matrix(g: nx.Graph, hh_nodes: np.ndarray, cand_nodes: np.ndarray, n_cand: int) -> sp.csr_matrix:
    by_node: dict[int, np.ndarray] = {}
    order = np.argsort(hh_nodes, kind="stable")
    nodes, starts = np.unique(hh_nodes[order], return_index=True)
    for node, part in zip(nodes.tolist(), np.split(order, starts[1:])):
        by_node[node] = part
    rows, cols, vals = [], [], []
    for j, c in enumerate(cand_nodes.tolist()):
        lengths = nx.single_source_dijkstra_path_length(g, c, cutoff=CUTOFF_M, weight="length")
        for node, d in lengths.items():
            hh = by_node.get(node)
            if hh is not None:
                rows.append(hh)
                cols.append(np.full(hh.size, j))
                vals.append(np.full(hh.size, d))
    if not rows:
        return sp.csr_matrix((hh_nodes.size, n_cand))
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(hh_nodes.size, n_cand)
    )


# ----------------------------------------------------------------------------- one case
def run_case(name: str, g: nx.Graph, *, n_hh: int, n_fac: int, n_cand: int, nx_cand_sample: int,
             seed: int, probe_case: str) -> dict[str, Any]:
    out: dict[str, Any] = {"case": name}
    t, net = timed(lambda: build_network(g, verbose=False))
    out.update(nodes=net.n_nodes, edges=net.n_edges, build_s=t, households=n_hh, facilities=n_fac,
               candidates=n_cand)
    hh = random_xy(net.node_xy, n_hh, seed)
    fac = random_xy(net.node_xy, n_fac, seed + 1)
    cand = random_xy(net.node_xy, n_cand, seed + 2)

    # (c) snapping
    out["snap_s"], hh_s = timed(lambda: net.snap(hh))
    fac_s, cand_s = net.snap(fac), net.snap(cand)
    # baseline snapping: nearest node (osmnx); the graph is projected, so osmnx uses a KD-tree
    gx = g  # both benchmark graphs are projected, so osmnx uses a KD-tree
    out["nx_snap_s"], hh_n = timed(lambda: ox.distance.nearest_nodes(gx, hh[:, 0], hh[:, 1]))
    fac_n = ox.distance.nearest_nodes(gx, fac[:, 0], fac[:, 1])
    cand_n = ox.distance.nearest_nodes(gx, cand[:, 0], cand[:, 1])

    # (a) nearest facility from snapped points
    out["nearest_s"], (d, _) = timed(lambda: nearest_distance(net, hh_s, fac_s), repeat=5)
    out["nx_nearest_s"], d_nx = timed(lambda: nx_nearest(gx, hh_n, fac_n), repeat=2)
    out["nearest_reached"] = float(np.isfinite(d).mean())
    out["nearest_median_m"] = float(np.nanmedian(d))
    out["nx_nearest_median_m"] = float(np.nanmedian(d_nx))
    out["end_to_end_s"] = out["snap_s"] + out["nearest_s"]

    # (b) sparse household x candidate matrix within CUTOFF_M
    out["matrix_s"], m = timed(lambda: distance_matrix(net, hh_s, cand_s, cutoff_m=CUTOFF_M, verbose=False))
    out["matrix_nnz"] = int(m.nnz)
    del m
    _, _, traced = peak_memory(
        lambda: distance_matrix(net, hh_s, cand_s, cutoff_m=CUTOFF_M, verbose=False)
    )
    probe = subprocess.run(
        [sys.executable, __file__, "--memory-probe", probe_case, str(n_hh), str(n_cand), str(seed)],
        capture_output=True, text=True, check=True,
    )
    before, peak = (float(v) for v in probe.stdout.split()[-2:])
    out.update(matrix_rss_before_mb=before, matrix_rss_peak_mb=peak, matrix_traced_peak_mb=traced)
    sample = min(nx_cand_sample, n_cand)
    t, m_nx = timed(lambda: nx_matrix(gx, hh_n, cand_n[:sample], sample))
    out.update(nx_matrix_sample=sample, nx_matrix_sample_s=t, nx_matrix_s=t * n_cand / sample,
               nx_matrix_nnz_sample=int(m_nx.nnz))
    out["matrix_ratio"] = out["nx_matrix_s"] / out["matrix_s"]
    out["nearest_ratio"] = out["nx_nearest_s"] / out["nearest_s"]
    return out


def memory_probe(case: str, n_hh: int, n_cand: int, seed: int) -> None:
    """In a fresh process: the network, the snapped points and one distance_matrix call, nothing else
    (the parent also holds the networkx graph). Prints RSS before the call and the peak, in MB."""
    g = grid_graph(int(case.split(":")[1]), seed=0) if case.startswith("grid") else shenzhen_graph()
    net = build_network(g, verbose=False)
    del g
    hh_s = net.snap(random_xy(net.node_xy, n_hh, seed))
    cand_s = net.snap(random_xy(net.node_xy, n_cand, seed + 2))
    gc.collect()
    before = rss_mb("VmRSS")
    reset_peak_rss()
    distance_matrix(net, hh_s, cand_s, cutoff_m=CUTOFF_M, verbose=False)
    print(f"{before:.1f} {rss_mb('VmHWM'):.1f}")


def shenzhen_graph() -> nx.Graph:
    projected = ox.project_graph(ox.load_graphml(SHENZHEN))
    g = nx.Graph(projected)  # networkx runs on the simple projected graph (its fastest form)
    g.graph["crs"] = projected.graph["crs"]
    return g


# ----------------------------------------------------------------------------- report
def machine() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0.0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) / 2**20
    libs = ", ".join(f"{p} {md.version(p)}" for p in
                     ("numpy", "scipy", "shapely", "networkx", "osmnx", "geopandas", "pyproj"))
    return [
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu}, {os.cpu_count()} cores; RAM {ram:.1f} GiB; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {libs}",
    ]


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown(results: list[dict[str, Any]], small: bool) -> str:
    cmd = "benchmarks/bench_distance.py" + (" --small" if small else "")
    lines = ["## Distances", "", f"Run: `.venv/bin/python {cmd}`", "", *machine(), ""]
    for r in results:
        extrapolated = r["nx_matrix_sample"] < r["candidates"]
        nx_matrix = f"{r['nx_matrix_s']:.1f} s"
        if extrapolated:
            nx_matrix += (f" (timed on {r['nx_matrix_sample']} candidates: {r['nx_matrix_sample_s']:.1f} s,"
                          f" x {r['candidates'] / r['nx_matrix_sample']:.0f})")
        lines += [
            (f"### {r['case']}: {r['nodes']:,} nodes, {r['edges']:,} edges; {r['households']:,} households, "
             f"{r['facilities']} facilities, {r['candidates']:,} candidates"),
            "",
            _row("measure", "siting", "osmnx + networkx", "ratio", "target"),
            _row("---", "---", "---", "---", "---"),
            _row("build the network (from a networkx graph)", f"{r['build_s']:.2f} s", "-", "-", "-"),
            _row("snap all households", f"{r['snap_s']:.2f} s (nearest point of nearest edge)",
                 f"{r['nx_snap_s']:.2f} s (`nearest_nodes`)", "-", "-"),
            _row("(a) nearest facility for every household, from snapped points",
                 f"{r['nearest_s']:.3f} s", f"{r['nx_nearest_s']:.2f} s", f"**{r['nearest_ratio']:.1f}x**",
                 f">= 30x: {_verdict(r['nearest_ratio'] >= 30)}"),
            _row(f"(b) household x candidate sparse matrix within {CUTOFF_M:.0f} m",
                 f"{r['matrix_s']:.2f} s, {r['matrix_nnz']:,} pairs", nx_matrix,
                 f"**{r['matrix_ratio']:.1f}x**", f">= 10x: {_verdict(r['matrix_ratio'] >= 10)}"),
            _row("(b) peak memory: RSS high-water mark of a clean process holding the network, the "
                 "snapped points and the call / tracemalloc peak of the call alone",
                 f"{r['matrix_rss_peak_mb']:.0f} MB / {r['matrix_traced_peak_mb']:.0f} MB "
                 f"(RSS before the call: {r['matrix_rss_before_mb']:.0f} MB)", "-", "-",
                 f"< 2 GB: {_verdict(r['matrix_rss_peak_mb'] < 2048)}"),
            _row("(c) snapping + nearest facility, all households", f"{r['end_to_end_s']:.2f} s",
                 f"{r['nx_snap_s'] + r['nx_nearest_s']:.2f} s", "-",
                 f"< 30 s: {_verdict(r['end_to_end_s'] < 30)}"),
            _row("(c) distances alone (already snapped)", f"{r['nearest_s']:.3f} s", "-", "-",
                 f"< 2 s: {_verdict(r['nearest_s'] < 2)}"),
            "",
            (f"Households reaching a facility: {r['nearest_reached']:.1%}; median nearest-facility distance "
             f"{r['nearest_median_m']:.0f} m (siting: access legs + path) vs {r['nx_nearest_median_m']:.0f} m "
             "(networkx: nearest node to nearest node, no access legs)."),
            "",
        ]
    return "\n".join(lines + NOTES)


NOTES = [
    "### How to read this, and what was tried",
    "",
    "- The machine is shared: other jobs ran on its 2 cores during the run, so absolute times move by",
    "  up to ~2x between runs; both sides run in the same process, one after the other. siting's (a) is",
    "  the best of 5 runs, networkx's the best of 2.",
    "- The networkx baseline is deliberately strong and *coarser* than siting: it snaps to the nearest",
    "  node (a KD-tree in osmnx) with no access legs, and its matrix gathers the households of each",
    "  reached node with NumPy arrays rather than looping over households.",
    "- (a) is one SciPy multi-source Dijkstra (virtual source nodes carry the facilities' offsets) plus",
    "  a few NumPy passes over the households. Over the last three full runs of the day it came out at",
    "  21x, 25x and 29.9x: the 30x target is **not reliably met**. The SciPy search alone (~0.05 s) is",
    "  most of siting's time, and the networkx side moved between 1.6 s and 4.5 s with the load.",
    "- (b) is dominated by its output (~17 million pairs), not by the searches. Tried, in order, on the",
    "  full case: (1) Dijkstra with `limit=` on the whole graph in chunks, reduced per (source,",
    "  household) pair: 27 s - SciPy's dense row per source made scanning rows for reached nodes the",
    "  main cost; (2) grouping households by edge (contiguous), one (source, edge) pair per reached edge,",
    "  edges with no household in reach skipped whole: 11.6 s; (3) plus a restricted subgraph per chunk",
    "  (sources in Z-order of cut-off-sized cells, Dijkstra on the nodes within the chunk's bounding box",
    "  grown by the cut-off): 5.4-10 s depending on load. What remains is ~15 NumPy passes over the output and SciPy's",
    "  COO -> CSR conversion (~1.5 s): the 10x target is **missed** (6-7x in the last runs). Getting there would need",
    "  a compiled kernel that writes the CSR directly (numba or Cython), a dependency not taken in this",
    "  round.",
    "- Snapping: shapely's `STRtree.query_nearest` took ~35 us a point here (35 s for a million); siting",
    "  now takes candidates from a SciPy KD-tree of points every 25 m along the edges, proves each answer",
    "  with a distance bound, and asks the STRtree only for the unproven points (far from every street).",
    "- On Shenzhen (1,692 nodes) everything is overhead or output size: ratios there say little.",
    "",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="a quick run on a small network")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS_distance.md")
    parser.add_argument("--nx-sample", type=int, default=None,
                        help="candidates timed for the networkx matrix baseline (default: 500, all when --small)")
    parser.add_argument("--memory-probe", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        case, n_hh, n_cand, seed = args.memory_probe
        memory_probe(case, int(n_hh), int(n_cand), int(seed))
        return 0
    if args.small:
        synth = {"side": 100, "n_hh": 50_000, "n_fac": 20, "n_cand": 200, "sample": args.nx_sample or 200}
    else:
        synth = {"side": 448, "n_hh": 1_000_000, "n_fac": 200, "n_cand": 5_000,
                 "sample": args.nx_sample or 500}
    results = []
    g = grid_graph(synth["side"], seed=0)
    results.append(run_case("Generated grid", g, n_hh=synth["n_hh"], n_fac=synth["n_fac"],
                            n_cand=synth["n_cand"], nx_cand_sample=synth["sample"], seed=10,
                            probe_case=f"grid:{synth['side']}"))
    del g
    gc.collect()
    results.append(run_case("Shenzhen Futian (real OSM walking network)", shenzhen_graph(),
                            n_hh=50_000 if args.small else 200_000, n_fac=50, n_cand=500,
                            nx_cand_sample=500, seed=20, probe_case="shenzhen"))
    text = markdown(results, args.small)
    print(text)
    if args.write:
        (ROOT / "benchmarks" / "RESULTS_distance.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
