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

siting runs its compiled kernels (numba) when numba is installed, else SciPy's Dijkstra; both are
timed in the same run (the SciPy path by switching the kernels off), and numba's one-off compile time
(empty cache) and its load time from the on-disk cache are measured apart, in fresh processes, and
kept out of the other timings (each case warms the kernels up first).

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
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import scipy.sparse as sp

from siting.network import _compiled, build_network, distance_matrix, nearest_distance

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

    warm_up(net, hh_s, fac_s, cand_s)  # compile or load the kernels before any timing

    # (a) nearest facility from snapped points; the two siting engines interleaved, best of 6 each
    out["nearest_s"] = out["scipy_nearest_s"] = np.inf
    for _ in range(3):
        t, (d, _) = timed(lambda: nearest_distance(net, hh_s, fac_s), repeat=2)
        out["nearest_s"] = min(out["nearest_s"], t)
        with scipy_only():
            t, _ = timed(lambda: nearest_distance(net, hh_s, fac_s), repeat=2)
        out["scipy_nearest_s"] = min(out["scipy_nearest_s"], t)
    out["nx_nearest_s"], d_nx = timed(lambda: nx_nearest(gx, hh_n, fac_n), repeat=2)
    out["nearest_reached"] = float(np.isfinite(d).mean())
    out["nearest_median_m"] = float(np.nanmedian(d))
    out["nx_nearest_median_m"] = float(np.nanmedian(d_nx))
    out["end_to_end_s"] = out["snap_s"] + out["nearest_s"]

    # (b) sparse household x candidate matrix within CUTOFF_M
    out["matrix_s"] = out["scipy_matrix_s"] = np.inf
    for _ in range(2):  # interleaved, best of 2 each
        t, m = timed(lambda: distance_matrix(net, hh_s, cand_s, cutoff_m=CUTOFF_M, verbose=False))
        out["matrix_s"], out["matrix_nnz"] = min(out["matrix_s"], t), int(m.nnz)
        del m
        with scipy_only():
            t, m = timed(lambda: distance_matrix(net, hh_s, cand_s, cutoff_m=CUTOFF_M, verbose=False))
        out["scipy_matrix_s"], out["scipy_matrix_nnz"] = min(out["scipy_matrix_s"], t), int(m.nnz)
        del m
    _, _, traced = peak_memory(
        lambda: distance_matrix(net, hh_s, cand_s, cutoff_m=CUTOFF_M, verbose=False)
    )
    for prefix, env in (("", {}), ("scipy_", {"SITING_NO_NUMBA": "1"})):
        probe = subprocess.run(
            [sys.executable, __file__, "--memory-probe", probe_case, str(n_hh), str(n_cand), str(seed)],
            capture_output=True, text=True, check=True, env={**os.environ, **env},
        )
        before, peak = (float(v) for v in probe.stdout.split()[-2:])
        out[prefix + "matrix_rss_before_mb"] = before
        out[prefix + "matrix_rss_peak_mb"] = peak
    out["matrix_traced_peak_mb"] = traced
    sample = min(nx_cand_sample, n_cand)
    t, m_nx = timed(lambda: nx_matrix(gx, hh_n, cand_n[:sample], sample))
    out.update(nx_matrix_sample=sample, nx_matrix_sample_s=t, nx_matrix_s=t * n_cand / sample,
               nx_matrix_nnz_sample=int(m_nx.nnz))
    out["matrix_ratio"] = out["nx_matrix_s"] / out["matrix_s"]
    out["nearest_ratio"] = out["nx_nearest_s"] / out["nearest_s"]
    out["scipy_matrix_ratio"] = out["nx_matrix_s"] / out["scipy_matrix_s"]
    out["scipy_nearest_ratio"] = out["nx_nearest_s"] / out["scipy_nearest_s"]
    return out


class scipy_only:
    """Context: siting's pure-SciPy path (the compiled kernels switched off)."""

    def __enter__(self) -> None:
        self._was = _compiled.AVAILABLE
        _compiled.AVAILABLE = False

    def __exit__(self, *exc: object) -> None:
        _compiled.AVAILABLE = self._was


def warm_up(net: Any, hh_s: Any, fac_s: Any, cand_s: Any) -> None:
    """One small call of each kernel, with the dtypes of the real calls (compiles or loads them)."""
    nearest_distance(net, hh_s[np.arange(50)], fac_s[np.arange(3)])
    distance_matrix(net, hh_s[np.arange(200)], cand_s[np.arange(5)], cutoff_m=CUTOFF_M, verbose=False)
    distance_matrix(net, cand_s[np.arange(5)], hh_s[np.arange(200)], cutoff_m=CUTOFF_M, verbose=False)


def jit_probe() -> None:
    """In a fresh process: time the first small calls (numba compiles, or loads from its cache) and
    the same calls again (compiled code only). Prints both, in seconds."""
    net = build_network(grid_graph(12, seed=1), verbose=False)
    pts = net.snap(random_xy(net.node_xy, 300, 1))
    t0 = time.perf_counter()
    warm_up(net, pts, pts[np.arange(10)], pts[np.arange(20)])
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm_up(net, pts, pts[np.arange(10)], pts[np.arange(20)])
    print(f"{first:.3f} {time.perf_counter() - t0:.3f}")


def jit_times() -> dict[str, float]:
    """numba's compile time with an empty cache, and its load time from the cache, in fresh processes
    (each minus the time of the same calls once compiled)."""
    if not _compiled.enabled():
        return {}
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for key in ("jit_compile_s", "jit_cache_load_s"):
            probe = subprocess.run([sys.executable, __file__, "--jit-probe"], capture_output=True, text=True,
                                   check=True, env=env)
            first, again = (float(v) for v in probe.stdout.split()[-2:])
            out[key] = first - again
    return out


def memory_probe(case: str, n_hh: int, n_cand: int, seed: int) -> None:
    """In a fresh process: the network, the snapped points and one distance_matrix call, nothing else
    (the parent also holds the networkx graph). Prints RSS before the call and the peak, in MB."""
    g = grid_graph(int(case.split(":")[1]), seed=0) if case.startswith("grid") else shenzhen_graph()
    net = build_network(g, verbose=False)
    del g
    hh_s = net.snap(random_xy(net.node_xy, n_hh, seed))
    cand_s = net.snap(random_xy(net.node_xy, n_cand, seed + 2))
    warm_up(net, hh_s, cand_s, cand_s)
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
    pkgs = ["numpy", "scipy", "numba", "llvmlite", "shapely", "networkx", "osmnx", "geopandas", "pyproj"]
    libs = ", ".join(f"{p} {md.version(p)}" for p in pkgs if _installed(p))
    threads = f"numba threads {_compiled.threads()}" if _compiled.enabled() else "numba not used"
    return [
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu}, {os.cpu_count()} cores; RAM {ram:.1f} GiB; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {libs}; {threads}",
        f"- Load average when the run started (1/5/15 min): {START_LOAD}",
    ]


def _installed(name: str) -> bool:
    try:
        md.version(name)
    except md.PackageNotFoundError:
        return False
    return True


START_LOAD = " / ".join(f"{v:.2f}" for v in os.getloadavg())


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown(results: list[dict[str, Any]], small: bool, jit: dict[str, float]) -> str:
    cmd = "benchmarks/bench_distance.py" + (" --small" if small else "")
    lines = ["## Distances", "", f"Run: `.venv/bin/python {cmd}`", "", *machine(), ""]
    if jit:
        lines += [
            (f"numba, once per machine: compiling the kernels with an empty cache took "
             f"**{jit['jit_compile_s']:.1f} s**; a fresh process loading them from the cache (`cache=True`, "
             f"in `__pycache__`) took **{jit['jit_cache_load_s']:.2f} s**. Both measured in fresh processes "
             "and left out of every timing below (each case warms the kernels up first)."),
            "",
        ]
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
            _row("measure", "siting (numba kernels)", "siting (SciPy only)", "osmnx + networkx",
                 "ratio: numba / SciPy only", "target (numba)"),
            _row("---", "---", "---", "---", "---", "---"),
            _row("build the network (from a networkx graph)", f"{r['build_s']:.2f} s", "same", "-", "-", "-"),
            _row("snap all households", f"{r['snap_s']:.2f} s (nearest point of nearest edge)", "same",
                 f"{r['nx_snap_s']:.2f} s (`nearest_nodes`)", "-", "-"),
            _row("(a) nearest facility for every household, from snapped points",
                 f"{r['nearest_s']:.3f} s", f"{r['scipy_nearest_s']:.3f} s", f"{r['nx_nearest_s']:.2f} s",
                 f"**{r['nearest_ratio']:.1f}x** / {r['scipy_nearest_ratio']:.1f}x",
                 f">= 30x: {_verdict(r['nearest_ratio'] >= 30)}"),
            _row(f"(b) household x candidate sparse matrix within {CUTOFF_M:.0f} m",
                 f"{r['matrix_s']:.2f} s, {r['matrix_nnz']:,} pairs",
                 f"{r['scipy_matrix_s']:.2f} s, {r['scipy_matrix_nnz']:,} pairs", nx_matrix,
                 f"**{r['matrix_ratio']:.1f}x** / {r['scipy_matrix_ratio']:.1f}x",
                 f">= 10x: {_verdict(r['matrix_ratio'] >= 10)}"),
            _row("(b) peak memory: RSS high-water mark of a clean process holding the network, the "
                 "snapped points and the call (RSS before the call)",
                 f"{r['matrix_rss_peak_mb']:.0f} MB ({r['matrix_rss_before_mb']:.0f} MB); tracemalloc "
                 f"peak of the call alone {r['matrix_traced_peak_mb']:.0f} MB",
                 f"{r['scipy_matrix_rss_peak_mb']:.0f} MB ({r['scipy_matrix_rss_before_mb']:.0f} MB)", "-", "-",
                 f"< 2 GB: {_verdict(r['matrix_rss_peak_mb'] < 2048)}"),
            _row("(c) snapping + nearest facility, all households", f"{r['end_to_end_s']:.2f} s",
                 f"{r['snap_s'] + r['scipy_nearest_s']:.2f} s",
                 f"{r['nx_snap_s'] + r['nx_nearest_s']:.2f} s", "-",
                 f"< 30 s: {_verdict(r['end_to_end_s'] < 30)}"),
            _row("(c) distances alone (already snapped)", f"{r['nearest_s']:.3f} s",
                 f"{r['scipy_nearest_s']:.3f} s", "-", "-", f"< 2 s: {_verdict(r['nearest_s'] < 2)}"),
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
    "- The machine is shared: other jobs ran on its 2 cores during the run (load average above), so",
    "  absolute times move by up to ~2x between runs; all three columns run in the same process. The two",
    "  siting engines are interleaved: (a) best of 6 runs each, (b) best of 2 each; networkx: (a) best",
    "  of 2, (b) one run on a sample of candidates.",
    "- The networkx baseline is deliberately strong and *coarser* than siting: it snaps to the nearest",
    "  node (a KD-tree in osmnx) with no access legs, and its matrix gathers the households of each",
    "  reached node with NumPy arrays rather than looping over households.",
    "- siting (numba kernels) is what runs when numba is installed (`siting.network._compiled`);",
    "  siting (SciPy only) is the fallback without numba (`SITING_NO_NUMBA=1` forces it). Both give the",
    "  same distances to rounding (tests/network/test_network_distance_paths.py).",
    "- (a): one multi-source Dijkstra (a 4-ary heap of packed keys: a distance's high bits and the",
    "  node in one integer; facilities enter at both ends of their edge with their offsets) and one",
    "  pass over the households, in parallel over blocks, that also takes the direct along-edge route",
    "  to a facility on the same edge. The search (~32-35 ms, sequential) is most of the time; the",
    "  pass is ~7-10 ms on 2 threads (~11-20 ms on one). Until 2026-11-23 14:00 UTC the heap held",
    "  distances and nodes in two arrays and the pass was serial: (a) was 21.9x-29.3x over that day's",
    "  runs (target missed); packed keys made the search ~15 % faster (A/B, 40 runs each, same",
    "  process) and the parallel pass took ~5 ms off. Tried and dropped: an indexed heap with",
    "  decrease-key (slower), a binary heap (10% slower), a two-level bucket queue (no faster), a",
    "  two-thread search on two halves of the network exchanging labels across the cut (exact, but 2x",
    "  slower on this machine), and interleaving each node's distance with its origin and each edge's",
    "  length with its head (slower).",
    "- (b): per source a Dijkstra that only touches nodes within the cut-off (SciPy's `limit=` fills a",
    "  dense row of all nodes per source), then the households of the reached edges straight into",
    "  buffers, in parallel over blocks of sources; a last pass writes the CSR arrays of household rows",
    "  directly (no COO, no SciPy conversion). About 40% of the time is that scatter of ~17 million",
    "  pairs into household rows. Measured interleaved in one process (12:34 UTC): numba 1.79 s (2",
    "  threads) / 2.9 s (1 thread) vs SciPy only 4.0-5.3 s. But one full run at 12:32 UTC, under",
    "  heavier load, gave numba 6.30 s vs SciPy only 4.62 s (7.9x): when another job takes a core,",
    "  the 2-thread kernel can lose its lead. The >= 10x target is met in the run above, but not",
    "  reliably under heavy load (8-22x over the day's full runs).",
    "- numba's one-off compile (~15-22 s) happens on the first call after installing or changing",
    "  `siting/network/_compiled.py`; later processes load the cache (~1 s, once per process).",
    "- Snapping: shapely's `STRtree.query_nearest` took ~35 us a point here (35 s for a million); siting",
    "  takes candidates from a SciPy KD-tree of points every 25 m along the edges, proves each answer",
    "  with a distance bound, and asks the STRtree only for the unproven points (far from every street).",
    "- On Shenzhen (1,712 nodes) everything is overhead or output size: ratios there say little.",
    "",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="a quick run on a small network")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS_distance.md")
    parser.add_argument("--nx-sample", type=int, default=None,
                        help="candidates timed for the networkx matrix baseline (default: 500, all when --small)")
    parser.add_argument("--memory-probe", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--jit-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.jit_probe:
        jit_probe()
        return 0
    if args.memory_probe:
        case, n_hh, n_cand, seed = args.memory_probe
        memory_probe(case, int(n_hh), int(n_cand), int(seed))
        return 0
    if args.small:
        synth = {"side": 100, "n_hh": 50_000, "n_fac": 20, "n_cand": 200, "sample": args.nx_sample or 200}
    else:
        synth = {"side": 448, "n_hh": 1_000_000, "n_fac": 200, "n_cand": 5_000,
                 "sample": args.nx_sample or 500}
    jit = jit_times()
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
    text = markdown(results, args.small, jit)
    print(text)
    if args.write:
        (ROOT / "benchmarks" / "RESULTS_distance.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
