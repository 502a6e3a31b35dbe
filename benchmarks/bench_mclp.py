"""County-scale maximal covering (MCLP): 50,000 demand points × 5,000 candidates, 1,000 m, p = 100.

Usage::

    .venv/bin/python benchmarks/bench_mclp.py [--demand 50000] [--candidates 5000] [--radius 1000]
        [--p 100] [--time-limit 55] [--seed 0] [--layout clustered|uniform] [--scale F] [--prove S]

The county is synthetic and seeded: 30 km × 30 km; ``clustered`` puts 70 % of the demand points in a
county seat and 20 towns (Gaussian), 30 % scattered (villages), households 1–60 per point; candidates
are 70 % near demand points and 30 % anywhere. ``uniform`` scatters everything uniformly (the harder,
less realistic case). The cost matrix is Euclidean metres within the radius (``cKDTree``), as a sparse
matrix: the model only sees the matrix. Prints one Markdown table row.

``--scale F`` builds the same kind of county on F times the area, with F times the demand points,
candidates, towns and ``p`` (densities kept), small enough for HiGHS to prove its optimum: ``--prove S``
then gives the whole MIP S seconds and prints how far the LP relaxation and the plan are from it —
the check of what part of a gap is the bound's and what part the plan's.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from siting.optimize import max_coverage, set_cover

SIDE_M = 30_000.0


def county(n: int, m: int, seed: int, layout: str, *, scale: float = 1.0
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand points, candidates, weights; ``scale`` = share of the 30 km × 30 km county's area
    (``n`` and ``m`` are then the caller's, scaled alike)."""
    rng = np.random.default_rng(seed)
    side = SIDE_M * np.sqrt(scale)
    if layout == "uniform":
        pts = rng.uniform(0, side, (n, 2))
        cand = rng.uniform(0, side, (m, 2))
    else:
        towns = max(round(20 * scale), 1)
        margin = min(3_000.0, side / 4)
        centres = rng.uniform(margin, side - margin, (towns + 1, 2))
        spread = np.r_[2_000.0, rng.uniform(400, 1_200, towns)]
        share = np.r_[0.3, rng.dirichlet(np.ones(towns)) * 0.7]
        n_town = int(0.7 * n)
        which = rng.choice(towns + 1, size=n_town, p=share)
        town = centres[which] + rng.normal(size=(n_town, 2)) * spread[which, None]
        rural = rng.uniform(0, side, (n - n_town, 2))
        pts = np.clip(np.vstack([town, rural]), 0, side)
        m_near = int(0.7 * m)
        near = pts[rng.choice(n, m_near, replace=False)] + rng.normal(size=(m_near, 2)) * 150
        cand = np.clip(np.vstack([near, rng.uniform(0, side, (m - m_near, 2))]), 0, side)
    w = rng.integers(1, 61, n).astype(float)
    return pts, cand, w


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demand", type=int, default=50_000)
    ap.add_argument("--candidates", type=int, default=5_000)
    ap.add_argument("--radius", type=float, default=1_000.0)
    ap.add_argument("--p", type=int, default=100)
    ap.add_argument("--time-limit", type=float, default=55.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layout", choices=["clustered", "uniform"], default="clustered")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="share of the county's area, demand, candidates, towns and p (e.g. 0.1)")
    ap.add_argument("--set-cover", action="store_true",
                    help="instead: fewest sites covering every coverable point (set_cover)")
    ap.add_argument("--prove", type=float, default=0.0,
                    help="seconds for HiGHS on the whole MIP afterwards (0 = skip)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    if args.scale != 1.0:
        args.demand, args.candidates = int(args.demand * args.scale), int(args.candidates * args.scale)
        args.p = max(round(args.p * args.scale), 1)
    pts, cand, w = county(args.demand, args.candidates, args.seed, args.layout, scale=args.scale)
    t = time.perf_counter()
    coo = cKDTree(pts).sparse_distance_matrix(cKDTree(cand), args.radius, output_type="coo_matrix")
    cost = sp.csr_matrix(coo)
    t_matrix = time.perf_counter() - t
    if args.set_cover:
        cover(cost, args, t_matrix)
        return
    t = time.perf_counter()
    sol = max_coverage(cost, args.radius, args.p, weights=w, time_limit=args.time_limit)
    t_solve = time.perf_counter() - t
    print("| layout | demand × candidates | pairs within radius | p | covered weight | share | "
          "proven bound | gap | status | matrix s | solve s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    name = args.layout if args.scale == 1.0 else f"{args.layout} × {args.scale:g}"
    print(f"| {name} (seed {args.seed}) | {args.demand:,} × {args.candidates:,} | {cost.nnz:,} | "
          f"{args.p} | {sol.objective:,.0f} | {sol.objective / w.sum():.1%} | {sol.bound:,.1f} | "
          f"{100 * (sol.gap or 0):.3f} % | {sol.status} | {t_matrix:.1f} | {t_solve:.1f} |")
    print(f"model rows after merging identical rows: {sol.details['model_rows']:,}")
    if args.prove > 0:
        prove(cost, w, args.p, args.radius, sol, args.prove)


def cover(cost: sp.csr_matrix, args: argparse.Namespace, t_matrix: float) -> None:
    """``set_cover`` on the same county: fewest sites so every point some candidate reaches is
    within the radius. Prints one Markdown table row."""
    t = time.perf_counter()
    sol = set_cover(cost, args.radius, time_limit=args.time_limit, allow_uncovered=True)
    t_solve = time.perf_counter() - t
    lag = sol.details["lagrangian"]
    print("| layout | demand × candidates | sites | proven bound | gap | status | dual s | solve s |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.layout} (seed {args.seed}) | {args.demand:,} × {args.candidates:,} | "
          f"{sol.objective:.0f} | {sol.bound:.0f} | {100 * (sol.gap or 0):.1f} % | {sol.status} | "
          f"{lag.get('seconds', 0):.1f} | {t_solve:.1f} |")


def prove(cost: sp.csr_matrix, w: np.ndarray, p: int, radius: float, sol, seconds: float) -> None:
    """HiGHS on the whole MIP (and its LP relaxation), no heuristics of ours: how far are the LP
    bound and the plan from the optimum?"""
    from siting.optimize._highs import INF, solve_mip

    a = sp.csr_matrix(((cost.data <= radius).astype(np.float64), cost.indices, cost.indptr),
                      shape=cost.shape)
    a.eliminate_zeros()
    k, m = a.shape
    model = sp.vstack([sp.hstack([-a, sp.identity(k, format="csr")]),
                       sp.csr_matrix(np.r_[np.ones(m), np.zeros(k)][None, :])], format="csc")
    args = (np.r_[np.zeros(m), w], model, np.r_[np.full(k, -INF), p], np.r_[np.zeros(k), p],
            np.zeros(m + k), np.ones(m + k))
    lp = solve_mip(*args, None, maximize=True)
    t = time.perf_counter()
    mip = solve_mip(*args, np.r_[np.ones(m, dtype=bool), np.zeros(k, dtype=bool)], maximize=True,
                    time_limit=seconds)
    t_mip = time.perf_counter() - t
    best = max(mip.objective or 0.0, sol.objective)
    print(f"HiGHS on the whole MIP, {t_mip:.0f} s: {mip.status}, plan {mip.objective:,.0f}, bound "
          f"{mip.bound:,.1f}; LP relaxation {lp.objective:,.1f}")
    word = "optimum" if mip.status == "optimal" else "best plan known"
    print(f"LP relaxation above the {word}: {100 * (lp.objective / best - 1):.3f} %; "
          f"max_coverage's plan below it: {100 * (1 - sol.objective / best):.3f} %")


if __name__ == "__main__":
    main()
