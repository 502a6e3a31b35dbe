"""Coverage models: maximal covering (MCLP) and location set covering (LSCP).

HiGHS (``highspy``) solves both as mixed-integer programs on sparse coverage rows; the greedy heuristics
of :mod:`siting.optimize.heuristics` give the first plan and warm-start HiGHS. Written by hand: the
model building and reductions (rows with the same set of covering columns are merged, rows already
covered by fixed sites are dropped) — HiGHS's presolve does not see these at this scale.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError
from siting.optimize import _matrix as mx
from siting.optimize._highs import INF, solve_mip
from siting.optimize.cover_lagrangian import cover_lagrangian
from siting.optimize.heuristics import (
    cover_heuristic,
    coverage_heuristic,
    coverage_improve,
    coverage_lagrangian,
    coverage_restarts,
)
from siting.optimize.median import assign_closest
from siting.optimize.solution import Solution, make_solution

log = logging.getLogger(__name__)

#: Rough HiGHS throughput: with a time limit, the exact MIP is attempted only when the model has at
#: most this many non-zeros per remaining second (beyond it HiGHS cannot finish its root LP in time,
#: and overruns the limit in presolve); the Lagrangian bound is reported instead.
_NNZ_PER_SECOND = 5_000

#: Share of the time left a kernel stage (other than the whole model) may take: a restricted model's
#: plans come early and proving them takes the rest; stages given all the time left did worse.
_STAGE_SHARE = 0.5

#: Share of the time left after the greedy cover that set_cover's Lagrangian dual may take (with a
#: time limit); HiGHS gets the rest, from the best plan.
_COVER_DUAL_SHARE = 0.3

#: Perturbations without improvement after which the iterated local search stops.
_ILS_STALE = 200


def _covered_rows(pattern: sp.csr_matrix, sites: np.ndarray) -> np.ndarray:
    """Boolean per row: some column of ``sites`` covers it."""
    return np.diff(pattern[:, sites].tocsr().indptr) > 0


def _assignment_within(reach: sp.csr_matrix, radius: float, sites: np.ndarray) -> np.ndarray:
    """Closest open site within the radius per row, or -1."""
    keep = reach.data <= radius
    rows = np.repeat(np.arange(reach.shape[0]), np.diff(reach.indptr))
    r = sp.csr_matrix((reach.data[keep], (rows[keep], reach.indices[keep])), shape=reach.shape)
    a, _ = assign_closest(r, sites)
    return a


def _restricted(a: sp.csr_matrix, gw: np.ndarray, cols: np.ndarray
                ) -> tuple[sp.csr_matrix, np.ndarray]:
    """The coverage rows over the columns ``cols`` only, rows with the same columns among ``cols``
    merged (weights summed) and rows none of them covers left out."""
    sub = a[:, cols].tocsr()
    sub.sort_indices()
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    reps, group = mx.row_groups(sub, rows)
    return (sp.csr_matrix(sub[reps], dtype=np.float64),
            np.bincount(group, weights=gw[rows], minlength=reps.size))


def _solve_columns(sub: sp.csr_matrix, g_w: np.ndarray, cols: np.ndarray, p: int, *, must: np.ndarray,
                   start: np.ndarray, time_limit: float | None, plans_first: bool = False
                   ) -> tuple[np.ndarray | None, Any]:
    """HiGHS on the MCLP over the columns ``cols`` (``sub``, ``g_w`` from :func:`_restricted`), the
    ``must`` columns open, warm-started from ``start``. Returns the chosen columns (or None) and the
    :class:`~siting.optimize._highs.MipResult`. ``plans_first``: HiGHS spends more of its time on
    primal heuristics (``mip_heuristic_effort`` 0.3, default 0.05), for restricted models whose bound
    is of no use. Variables ``y`` (columns) and ``x`` (merged rows)::

        max Σ_g w_g x_g   s.t.  x_g − Σ_{j∈N_g} y_j ≤ 0,  Σ_j y_j = p,  y ∈ {0,1},  0 ≤ x ≤ 1
    """
    k, mc = sub.shape
    top = sp.hstack([-sub, sp.identity(k, format="csr")], format="csr")
    last = sp.csr_matrix(np.r_[np.ones(mc), np.zeros(k)][None, :])
    model = sp.vstack([top, last], format="csc")
    col_lo = np.zeros(mc + k)
    col_lo[np.flatnonzero(np.isin(cols, must))] = 1.0
    y0 = np.isin(cols, start).astype(np.float64)
    x0 = _covered_rows(sub, np.flatnonzero(y0)).astype(np.float64)
    res = solve_mip(np.r_[np.zeros(mc), g_w], model, np.r_[np.full(k, -INF), p], np.r_[np.zeros(k), p],
                    col_lo, np.ones(mc + k), np.r_[np.ones(mc, dtype=bool), np.zeros(k, dtype=bool)],
                    maximize=True, time_limit=time_limit, start=np.r_[y0, x0], mip_rel_gap=1e-6,
                    options={"mip_heuristic_effort": 0.3} if plans_first else None)
    chosen = None
    if res.x is not None:
        chosen = cols[np.flatnonzero(res.x[:mc] > 0.5)]
        if chosen.size != p:
            chosen = None
    return chosen, res


def _kernel_search(a: sp.csr_matrix, gw: np.ndarray, p: int, cols: np.ndarray, must: np.ndarray,
                   sites: np.ndarray, y: np.ndarray, *, deadline: float | None
                   ) -> tuple[np.ndarray, dict[str, Any]]:
    """Kernel search (after Angelelli, Mansini & Speranza 2010): HiGHS on the model restricted to
    the columns the LP values most, the kernel growing while each restricted model is solved.

    The kernel is the ``2q`` columns of ``cols`` with the largest LP estimate ``y`` (``q`` = sites to
    choose) plus the plan and the ``must`` columns; it doubles after each stage HiGHS solves to
    optimality, up to all of ``cols``. A restricted model is small — its rows merge by their columns
    within the kernel (a 400-column kernel of the county benchmark leaves 4,000 of 41,570 rows) — and
    holds the plans the LP points at, which swaps miss: on a clustered 5,000 × 500 instance a 80-column
    kernel found the optimum in 2 s where greedy + swap + iterated local search stopped 0.8 % below it.
    A stage gets ``_STAGE_SHARE`` of the time left; after one HiGHS does not finish, the next is the
    whole model when it fits (for its bound). The search ends at a stage too large for the time left
    (``_NNZ_PER_SECOND``). Returns the best plan and ``{"columns": last kernel size, "seconds",
    "complete": the MipResult of the stage over all of cols, or None}``.
    """
    t0 = time.perf_counter()
    info: dict[str, Any] = {"columns": 0, "seconds": 0.0, "complete": None}
    order = cols[np.argsort(-np.asarray(y)[cols], kind="stable")]
    size = max(2 * (p - must.size), 20)
    best = float(gw @ _covered_rows(a, sites))
    whole_nnz = int(a[:, cols].nnz)  # rows of `a` are merged already: the whole model's size
    while True:
        kernel = np.union1d(np.union1d(order[:size], sites), must)
        complete = kernel.size >= cols.size
        remaining = None if deadline is None else deadline - time.perf_counter()
        if remaining is not None and remaining < 0.2:
            break
        sub, g_w = _restricted(a, gw, kernel)
        remaining = None if deadline is None else deadline - time.perf_counter()
        if remaining is not None and sub.nnz > _NNZ_PER_SECOND * remaining:
            break
        limit = remaining if remaining is None or complete else remaining * _STAGE_SHARE
        chosen, res = _solve_columns(sub, g_w, kernel, p, must=must, start=sites,
                                     time_limit=limit, plans_first=not complete)
        info["columns"] = int(kernel.size)
        if chosen is not None:
            value = float(gw @ _covered_rows(a, chosen))
            if value > best:
                best, sites = value, chosen
        log.debug("max_coverage kernel: %d columns, %d non-zeros: %s, plan %.1f", kernel.size,
                  sub.nnz, res.status, best)
        if complete:
            info["complete"] = res
            break
        # after a stage HiGHS could not finish, on to the whole model if it fits in the time left
        fits = deadline is None or whole_nnz <= _NNZ_PER_SECOND * (deadline - time.perf_counter())
        size = cols.size if res.status != "optimal" and fits else 2 * size
    info["seconds"] = time.perf_counter() - t0
    return sites, info


def max_coverage(
    cost: Any,
    radius: float,
    p: int,
    *,
    weights: Any = None,
    fixed: Any = None,
    time_limit: float | None = None,
) -> Solution:
    """Open ``p`` sites that cover the most weight within ``radius`` (MCLP, Church & ReVelle 1974).

    Parameters
    ----------
    cost : numpy.ndarray or scipy.sparse matrix
        Rows = demand points, columns = candidate sites; NaN/inf or a missing sparse entry = unreachable.
    radius : float
        A row is covered by a column when their cost is ``<= radius``.
    p : int
        Number of open sites **counting the fixed ones** (``p = len(fixed) + new sites``).
    weights : array-like, optional
        Per-row demand (households); default 1.
    fixed : array-like of int or bool mask, optional
        Columns that must be open.
    time_limit : float, optional
        Seconds for the whole call.

    Returns
    -------
    Solution
        ``objective`` = covered weight (recomputed from the sites), ``bound`` = proven upper bound;
        ``uncovered`` = rows outside every open site's radius (those no column can cover are also in
        ``unreachable`` when they reach nothing at all, and in ``details["uncoverable"]``).

    Notes
    -----
    Formulation, with ``N_i`` the columns within ``radius`` of row ``i``::

        max Σ_i w_i x_i   s.t.  x_i ≤ Σ_{j∈N_i} y_j,  Σ_j y_j = p,  y_j = 1 (fixed),
                                y_j ∈ {0,1},  0 ≤ x_i ≤ 1

    Rows with the same ``N_i`` are merged (weights summed); rows with empty ``N_i``, zero weight,
    or covered by a fixed site leave the model. Solving, within ``time_limit``: greedy + swap and an
    iterated local search (close a few sites, refill greedily, swap) for a first plan; a Lagrangian
    bound (the coverage rows relaxed; its smoothed dual minimised by L-BFGS-B, within ~0.02 % of the
    LP bound where subgradient steps stalled 1 % above it), which also estimates the LP's column
    values and fixes columns; then a kernel search (:func:`_kernel_search`): HiGHS on the model
    restricted to the columns the LP values most, the kernel doubling while HiGHS solves it, ending
    with the whole model when that fits in the time left (it then also proves the bound). When it does
    not, the time left goes to LP-guided restarts (randomised rounding of the LP estimate + swaps).
    ``bound`` is the smaller of the Lagrangian bound and the whole model's HiGHS bound.
    """
    t0 = time.perf_counter()
    args = mx.check_model_inputs("max_coverage", cost, t0=t0, weights=weights, fixed=fixed,
                                 time_limit=time_limit, p=p, p_minimum=0, radius=radius)
    reach, n, m, w, fx, tl, deadline = (args.reach, args.n, args.m, args.w, args.fx, args.tl,
                                        args.deadline)
    p, r = int(args.p), float(args.r)  # type: ignore[arg-type]

    pat = mx.within(reach, r)
    counts = np.diff(pat.indptr)
    uncoverable = np.flatnonzero(counts == 0)
    by_fixed = _covered_rows(pat, fx) if fx.size else np.zeros(n, dtype=bool)
    active = np.flatnonzero((counts > 0) & (w > 0) & ~by_fixed)
    reps, group = mx.row_groups(pat, active)
    gw = np.bincount(group, weights=w[active], minlength=reps.size)
    a = pat[reps].tocsr()
    hdl = None if tl is None else t0 + 0.15 * tl
    sites = coverage_heuristic(a, gw, p, fx, deadline=hdl) if p > fx.size else fx
    if p > fx.size and reps.size:  # iterated local search, the strongest plans at county scale
        ils_dl = None if tl is None else t0 + 0.25 * tl
        # Stop after _ILS_STALE perturbations without improvement (or at the deadline): an
        # unbounded search spent 40 % of the time limit even on instances solved in milliseconds.
        sites = coverage_improve(a, gw, sites, fx, deadline=ils_dl,
                                 restarts=_ILS_STALE if tl is not None else 20)
    t_heur = time.perf_counter() - t0
    t_lag = kernel_s = 0.0
    n_closed = n_kernel = 0
    bound: float | None = None
    status = "heuristic"
    if p > fx.size and reps.size:
        # a Lagrangian bound first: cheap on big instances where HiGHS may not finish its root LP
        lag_dl = None if tl is None else t0 + 0.55 * tl
        current = float(gw @ _covered_rows(a, sites))
        lag_ub, lag_sites, lag_val, closed, opened, y_lp = coverage_lagrangian(
            a, gw, p, fx, current, deadline=lag_dl)
        if lag_val > current:
            sites = lag_sites
        lower = max(current, lag_val)
        if np.isfinite(lag_ub):
            bound = lag_ub + float(w[by_fixed].sum())
        t_lag = time.perf_counter() - t0
        # Lagrangian fixing: a plan better than `lower` opens no `closed` column and every `opened`
        # one; HiGHS then sees only the other columns (and `lower` bounds the plans it cannot see)
        if not np.isin(sites, np.flatnonzero(closed)).any() and opened[
                np.setdiff1d(np.arange(m), sites)].sum() == 0:
            cols = np.flatnonzero(~closed)
            must = np.union1d(fx, np.flatnonzero(opened))
        else:  # (cannot happen for a plan at `lower`; keep every column to stay safe)
            cols, must = np.arange(m), fx
        n_closed = m - cols.size
        sites, kernel = _kernel_search(a, gw, p, cols, must, sites, y_lp, deadline=deadline)
        n_kernel, kernel_s = kernel["columns"], kernel["seconds"]
        if kernel["complete"] is not None:  # the last stage was the whole model: its bound holds
            res = kernel["complete"]
            if res.bound is not None:
                mip_bound = max(res.bound, lower) + float(w[by_fixed].sum())
                bound = mip_bound if bound is None else min(bound, mip_bound)
            status = "optimal" if res.status == "optimal" else "time_limit"
        elif bound is not None:
            status = "time_limit"
            # the whole model is too large for HiGHS in the time left: spend it on LP-guided
            # restarts (randomised rounding of the dual's LP estimate + swaps); the plan so far is
            # kept unless one is better
            log.info("max_coverage: the whole model (%d non-zeros) does not fit the time left; "
                     "Lagrangian bound kept, LP-guided restarts after a %d-column kernel",
                     a.nnz, n_kernel)
            sites = coverage_restarts(a, gw, sites, fx, y_lp, deadline=deadline)
    covered = _covered_rows(pat, sites) if sites.size else np.zeros(n, dtype=bool)
    objective = float(w[covered].sum())
    if p == fx.size or not reps.size:
        bound, status = objective, "optimal"
    assignment = _assignment_within(reach, r, sites)
    return make_solution(
        model="max_coverage", sites=sites, objective=objective, bound=bound, status=status,
        assignment=assignment, sense="max", fixed=fx,
        unreachable=np.flatnonzero(np.diff(reach.indptr) == 0),
        uncovered=np.flatnonzero(~covered), covered_weight=objective, total_weight=float(w.sum()),
        runtime_s=time.perf_counter() - t0,
        details={"radius": r, "uncoverable": uncoverable, "model_rows": int(reps.size),
                 "model_nonzeros": int(a.nnz), "heuristic_s": t_heur, "lagrangian_done_s": t_lag,
                 "columns_closed_by_lagrangian": n_closed, "kernel_columns": n_kernel,
                 "kernel_s": kernel_s},
    )


def set_cover(
    cost: Any,
    radius: float,
    *,
    weights: Any = None,
    fixed: Any = None,
    time_limit: float | None = None,
    allow_uncovered: bool = False,
    site_cost: Any = None,
) -> Solution:
    """Fewest sites (fixed ones included) so that every row with weight is within ``radius`` of one.

    Parameters
    ----------
    cost : numpy.ndarray or scipy.sparse matrix
        Rows = demand points, columns = candidate sites; NaN/inf or a missing sparse entry = unreachable.
    radius : float
        Coverage radius (cost ``<= radius``).
    weights : array-like, optional
        Per-row demand. Rows with weight 0 need no cover (nobody lives there); default 1.
    fixed : array-like of int or bool mask, optional
        Columns that are open anyway (existing facilities); they count in the objective.
    time_limit : float, optional
        Seconds for the whole call.
    allow_uncovered : bool, default False
        Rows that no column can cover make the request impossible: by default
        :class:`~siting.errors.InfeasibleError` is raised naming them. With True they are left out,
        reported in ``uncovered`` and ``details["uncoverable"]``, and every other row is covered — "as
        many as any plan can reach, with the rest reported".
    site_cost : array-like, optional
        Per-column opening cost (default 1: the number of sites). The objective is the sum over
        open sites, fixed included.

    Returns
    -------
    Solution
        ``objective`` = number (or total ``site_cost``) of open sites, ``bound`` = proven lower bound.

    Notes
    -----
    Formulation (Toregas et al. 1971)::

        min Σ_j c_j y_j   s.t.  Σ_{j∈N_i} y_j ≥ 1  for each row to cover,  y_j = 1 (fixed),
                                y_j ∈ {0,1}

    Rows covered by a fixed site and duplicate rows (same ``N_i``) leave the model. With a
    ``time_limit``, the Lagrangian dual of the covering rows
    (:func:`~siting.optimize.cover_lagrangian.cover_lagrangian`) first gets ``_COVER_DUAL_SHARE`` of
    the time for a bound HiGHS may not reach (at county scale it cannot finish the root LP);
    ``details["lagrangian"]`` records it.
    """
    t0 = time.perf_counter()
    args = mx.check_model_inputs("set_cover", cost, t0=t0, weights=weights, fixed=fixed,
                                 time_limit=time_limit, radius=radius, finish=False)
    reach, n, m, w, fx, deadline = (args.reach, args.n, args.m, args.w, args.fx, args.deadline)
    r = float(args.r)  # type: ignore[arg-type]
    sc = mx.check_weights(site_cost, m, args.problems, name="site_cost")
    args.problems.raise_if_any()

    pat = mx.within(reach, r)
    counts = np.diff(pat.indptr)
    uncoverable = np.flatnonzero((counts == 0) & (w > 0))
    if uncoverable.size and not allow_uncovered:
        raise InfeasibleError(
            f"set_cover: {uncoverable.size} of {int((w > 0).sum())} demand rows (weight "
            f"{w[uncoverable].sum():g} of {w.sum():g}) have no candidate within radius {r:g} "
            f"({mx.describe_rows(uncoverable)}); add candidates near them, raise the radius, or pass "
            f"allow_uncovered=True to cover the rest and report these")
    by_fixed = _covered_rows(pat, fx) if fx.size else np.zeros(n, dtype=bool)
    need = np.flatnonzero((counts > 0) & (w > 0) & ~by_fixed)
    reps, _ = mx.row_groups(pat, need)
    a = pat[reps].tocsr()
    required = np.ones(reps.size, dtype=bool)
    sites = cover_heuristic(a, required, fx, sc) if reps.size else fx
    assert sites is not None  # every kept row has a column
    bound: float | None
    status = "heuristic"
    lagrangian: dict[str, float] = {}
    if reps.size:
        integral = bool(np.allclose(sc, np.round(sc)))
        lower = -np.inf
        if deadline is not None:
            # a bound HiGHS may not reach in time (it cannot solve the root LP of a county); the
            # rest of the time goes to HiGHS, for plans
            is_fixed = np.zeros(m, dtype=bool)
            is_fixed[fx] = True
            left = max(deadline - time.perf_counter(), 0.0)
            lower, lagrangian = cover_lagrangian(
                a, sc, closed=is_fixed,
                target=float(sc[sites].sum() - sc[fx].sum()) - (1 - 1e-6 if integral else 0.0),
                deadline=time.perf_counter() + _COVER_DUAL_SHARE * left)
            lower += float(sc[fx].sum())
        proven = lower + 1e-9 >= sc[sites].sum() or (
            integral and np.ceil(lower - 1e-6) >= sc[sites].sum() - 1e-9)
        res = None
        if not proven:
            remaining = None if deadline is None else max(deadline - time.perf_counter(), 0.05)
            A = sp.csc_matrix(a, dtype=np.float64)
            col_lo = np.zeros(m)
            col_lo[fx] = 1.0
            y0 = np.zeros(m)
            y0[sites] = 1.0
            res = solve_mip(sc, A, np.ones(reps.size), np.full(reps.size, INF), col_lo, np.ones(m),
                            np.ones(m, dtype=bool), time_limit=remaining, start=y0,
                            mip_rel_gap=1e-6)
            if res.x is not None:
                cand = np.flatnonzero(res.x > 0.5)
                if _covered_rows(a, cand).all() and sc[cand].sum() < sc[sites].sum() - 1e-9:
                    sites = cand
        bound = lower if res is None or res.bound is None else max(res.bound, lower)
        if not np.isfinite(bound):
            bound = None
        elif integral:
            bound = float(np.ceil(bound - 1e-6))  # integer costs: the optimum is an integer
        status = "optimal" if proven or (res is not None and res.status == "optimal") else \
            "time_limit"
    else:
        bound, status = float(sc[fx].sum()), "optimal"
    objective = float(sc[sites].sum())
    covered = _covered_rows(pat, sites) if sites.size else np.zeros(n, dtype=bool)
    assignment = _assignment_within(reach, r, sites)
    return make_solution(
        model="set_cover", sites=sites, objective=objective, bound=bound, status=status,
        assignment=assignment, sense="min", fixed=fx,
        unreachable=np.flatnonzero(np.diff(reach.indptr) == 0),
        uncovered=np.flatnonzero(~covered & (w > 0)), covered_weight=float(w[covered].sum()),
        total_weight=float(w.sum()), runtime_s=time.perf_counter() - t0,
        details={"radius": r, "uncoverable": uncoverable, "model_rows": int(reps.size),
                 "lagrangian": lagrangian},
    )
