"""Shelters with room for everyone: ``capacitated_coverage`` against HiGHS alone, in one run.

Usage::

    .venv/bin/python benchmarks/bench_shelters.py [--demand 1000] [--candidates 200] [--radius 500]
        [--p N] [--time-limit 15] [--seed 0] [--prove S]

The question of the shelter plans: how few emergency shelters (紧急避难场所, GB 51143: within 500 m,
about 1 m² per person) give every resident a place? Without a tool a careful analyst writes the same
mixed-integer program and hands it to a solver with a time limit; that is the comparison here —
the same model (``siting.optimize.capacity._model``), HiGHS alone, the same seconds. spopt has no
capacitated covering model to compare with.

The district is synthetic and seeded: 6 km × 6 km, residential buildings in a dense core, a few
neighbourhood clusters and a scattered rest (25–300 residents each); candidates are parks, squares
and school yards near the buildings with 200–4,000 m² of usable area (capacity = area ÷ 1 m² per
person); a few of them are existing shelters (fixed). Distances are Euclidean metres within the
radius (``cKDTree``): the model sees only the matrix. ``--p N``: at most N sites (fixed included),
most residents placed. ``--prove S`` gives HiGHS S more seconds on the whole model to tell how far
the plans are from the optimum. Prints Markdown table rows.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from siting.optimize import capacitated_coverage
from siting.optimize._highs import solve_mip
from siting.optimize.capacity import _model

SIDE_M = 6_000.0
AREA_PER_PERSON_M2 = 1.0


def district(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Buildings, candidate sites, residents per building, capacity per site."""
    rng = np.random.default_rng(seed)
    centres = np.r_[[[SIDE_M / 2, SIDE_M / 2]], rng.uniform(800, SIDE_M - 800, (6, 2))]
    spread = np.r_[1_200.0, rng.uniform(300, 700, 6)]
    share = np.r_[0.45, rng.dirichlet(np.ones(6)) * 0.4, 0.15]
    which = rng.choice(8, size=n, p=share)
    pts = np.where((which < 7)[:, None],
                   centres[np.minimum(which, 6)] + rng.normal(size=(n, 2)) * spread[np.minimum(which, 6), None],
                   rng.uniform(0, SIDE_M, (n, 2)))
    pts = np.clip(pts, 0, SIDE_M)
    residents = rng.integers(25, 301, n).astype(float)
    near = pts[rng.choice(n, m, replace=True)] + rng.normal(size=(m, 2)) * 120
    cand = np.clip(near, 0, SIDE_M)
    capacity = np.round(rng.uniform(200, 4_000, m) / AREA_PER_PERSON_M2)
    return pts, cand, residents, capacity


def highs_alone(cost: sp.csr_matrix, radius: float, cap: np.ndarray, dem: np.ndarray,
                fixed: np.ndarray, p: int | None, seconds: float, options: dict | None = None):
    """The same model, straight into HiGHS (no warm start, no kernel): ``(plan, bound, status, s)``.
    ``options``: HiGHS options (default: HiGHS's own defaults)."""
    pat = cost.copy()
    pat.data = (pat.data <= radius).astype(np.float64)
    pat.eliminate_zeros()
    rows = np.flatnonzero((np.diff(pat.indptr) > 0) & (dem > 0))
    a = pat[rows].tocoo()
    m = cap.size
    target = None
    if p is None:  # as capacitated_coverage with allow_unserved: the most all sites can place
        from siting.optimize.capacity import _transport

        target = _transport(a.row, a.col, dem[rows], cap, np.ones(m, dtype=bool))[0] * (1 - 1e-9)
    c, A, lo, hi, clo, chi = _model(a.row, a.col, dem[rows], cap, fixed, p=p, served_target=target)
    integer = np.r_[np.ones(m, dtype=bool), np.zeros(c.size - m, dtype=bool)]
    t = time.perf_counter()
    res = solve_mip(c, A, lo, hi, clo, chi, integer, maximize=p is not None, time_limit=seconds,
                    mip_abs_gap=None if p is not None else 0.99, options=options)
    return res.objective, res.bound, res.status, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demand", type=int, default=1_000)
    ap.add_argument("--candidates", type=int, default=200)
    ap.add_argument("--radius", type=float, default=500.0)
    ap.add_argument("--p", type=int, default=None)
    ap.add_argument("--fixed", type=int, default=10, help="existing shelters among the candidates")
    ap.add_argument("--time-limit", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--prove", type=float, default=0.0,
                    help="seconds for HiGHS alone on the whole model afterwards (0 = skip)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    pts, cand, dem, cap = district(args.demand, args.candidates, args.seed)
    cost = sp.csr_matrix(cKDTree(pts).sparse_distance_matrix(cKDTree(cand), args.radius,
                                                             output_type="coo_matrix"))
    fixed = np.arange(args.fixed)
    t = time.perf_counter()
    sol = capacitated_coverage(cost, args.radius, cap, dem, p=args.p, fixed=fixed,
                               time_limit=args.time_limit, allow_unserved=True)
    t_ours = time.perf_counter() - t
    alone = highs_alone(cost, args.radius, cap, dem, fixed, args.p, args.time_limit)
    what = "fewest sites" if args.p is None else f"most residents placed, p = {args.p}"

    def fmt(v):
        return "—" if v is None else (f"{v:,.0f}" if args.p is not None else f"{v:.0f}")

    print(f"{what}; {args.demand:,} buildings ({dem.sum():,.0f} residents) × {args.candidates:,} "
          f"candidates ({args.fixed} existing), {args.radius:.0f} m, {cost.nnz:,} pairs, seed "
          f"{args.seed}")
    print("| solver | plan | proven bound | gap | status | s |")
    print("|---|---|---|---|---|---|")
    print(f"| siting `capacitated_coverage` | {fmt(sol.objective)} | {fmt(sol.bound)} | "
          f"{100 * (sol.gap or 0):.2f} % | {sol.status} | {t_ours:.1f} |")
    gap = None if alone[0] is None or alone[1] is None else abs(alone[1] - alone[0]) / max(abs(alone[0]), 1)
    print(f"| HiGHS alone, same model | {fmt(alone[0])} | {fmt(alone[1])} | "
          f"{'—' if gap is None else f'{100 * gap:.2f} %'} | {alone[2]} | {alone[3]:.1f} |")
    if args.prove > 0:
        long = highs_alone(cost, args.radius, cap, dem, fixed, args.p, args.prove)
        gap = None if long[0] is None or long[1] is None else abs(long[1] - long[0]) / max(abs(long[0]), 1)
        print(f"| HiGHS alone, {args.prove:.0f} s | {fmt(long[0])} | {fmt(long[1])} | "
              f"{'—' if gap is None else f'{100 * gap:.2f} %'} | {long[2]} | {long[3]:.1f} |")


if __name__ == "__main__":
    main()
