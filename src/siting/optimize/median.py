"""The p-median model: open p sites so the weighted sum of each row's cost to its closest site is least.

HiGHS (``highspy``) solves the mixed-integer program; the vertex-substitution heuristic
(:mod:`siting.optimize.heuristics`) gives the first plan and warm-starts it. Written by hand: the
model building (HiGHS has no modelling layer for this formulation) and the level-truncation loop.

Formulation (Elloumi 2010, "A tighter formulation of a p-median problem", in the equivalent
incremental form). For row ``i`` let ``D_i^1 < D_i^2 < … < D_i^K`` be its distinct reachable costs.
``y_j ∈ {0,1}`` opens column ``j``; ``z_i^k ∈ [0,1]`` is 1 when no open site is within ``D_i^k``::

    min  Σ_i w_i (D_i^1 + Σ_k (D_i^{k+1} − D_i^k) z_i^k)
    s.t. z_i^1 + Σ_{j: d_ij = D_i^1} y_j ≥ 1
         z_i^k − z_i^{k−1} + Σ_{j: d_ij = D_i^k} y_j ≥ 0      k = 2 … K
         (with z_i^K ≡ 0: every reachable row is served)
         Σ_j y_j = p,  y_j = 1 for fixed j

Its LP bound equals Elloumi's (and is at least the classical one) with O(nnz) non-zeros. To keep large
instances small, each row keeps only its levels up to the cost it gets in the heuristic plan; the
rest collapse into the last kept step, which makes the model a *relaxation* (its bound is valid). When
the MIP's plan sends a row beyond its kept levels, those rows get more levels and HiGHS solves again;
the loop stops when the plan's true cost meets the proven bound, or at ``time_limit``.

Before HiGHS, a Lagrangian bound (Beasley 1993: assignment rows relaxed, subgradient steps) gives a
quick proven lower bound, so a time-limited run still reports an honest gap; and Lagrangian fixing
removes every column that no plan cheaper than the heuristic's can open (for small p typically
80–95 % of them) and fixes open those every such plan needs — this is what lets HiGHS prove
optimality in seconds on the OR-Library instances.

Work is spent only while the gap is open (one rule for every size, no per-instance setting): first
local optimum → Lagrangian bound → (gap open) vertex substitution from the Lagrangian plan →
(gap open, model after fixing larger than ``_ILS_MIN_SIZE``) iterated local search → HiGHS. With
integer weights and costs every plan costs an integer, so bounds are rounded up, Lagrangian fixing
works against ``cost − 1`` and HiGHS stops at an absolute gap below 1; this alone proves most small
instances optimal without HiGHS.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError
from siting.optimize import _matrix as mx
from siting.optimize._highs import INF, solve_mip
from siting.optimize.heuristics import pmedian_heuristic, pmedian_lagrangian
from siting.optimize.solution import Solution, make_solution

log = logging.getLogger(__name__)

_MAX_ROUNDS = 12
_KEEP_QUANTILE = 0.9
#: HiGHS's own primal heuristics are switched off: the warm start (local search + Lagrangian plans)
#: is already at or near the optimum on every OR-Library instance, and their sub-MIPs took half of
#: HiGHS's time there (pmed6: 3.3 s → 1.5 s); the time goes to the bound instead. Restarts are off
#: too (pmed16/17/22: 5–15 % faster, pmed3 37 → 20 ms).
_HIGHS_OPTIONS: dict[str, bool | int | float | str] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_allow_restart": False,  # after Lagrangian fixing few columns are left to remove
}
#: The iterated local search runs only when the exact model left after Lagrangian fixing is larger
#: than this (rows × columns left); below it HiGHS finds and proves the optimum faster.
_ILS_MIN_SIZE = 20_000
#: Subgradient steps before the first Lagrangian plan is tried (the run then continues warm-started).
_FIRST_LAGRANGIAN = 200


def assign_closest(reach: sp.csr_matrix, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the closest open site among ``sites`` (-1 if none reachable) and its cost (NaN)."""
    n = reach.shape[0]
    sub = reach[:, sites].tocsr()
    best = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    has = np.diff(sub.indptr) > 0
    if sub.nnz:
        rows = np.repeat(np.arange(n), np.diff(sub.indptr))
        order = np.lexsort((sites[sub.indices], sub.data, rows))  # by row, cost, column
        first = np.ones(order.size, dtype=bool)
        first[1:] = rows[order][1:] != rows[order][:-1]
        pick = order[first]
        best[rows[pick]] = sites[sub.indices[pick]]
        dist[rows[pick]] = sub.data[pick]
    best[~has] = -1
    return best, dist


def p_median(
    cost: Any,
    p: int,
    *,
    weights: Any = None,
    fixed: Any = None,
    time_limit: float | None = None,
) -> Solution:
    """Open ``p`` sites that minimise the weighted total cost from each row to its closest open site.

    Parameters
    ----------
    cost : numpy.ndarray or scipy.sparse matrix
        Rows = demand points, columns = candidate sites. Dense NaN/inf or a missing sparse entry =
        unreachable; a stored sparse zero is a real zero cost.
    p : int
        Number of open sites **counting the fixed ones** (as in spopt): ``p = len(fixed) + new sites``.
    weights : array-like, optional
        Per-row weight (households, residents); multiplies the cost. Default 1.
    fixed : array-like of int or bool mask, optional
        Columns that must be open (existing facilities).
    time_limit : float, optional
        Seconds for the whole call; without it the model is solved to optimality.

    Returns
    -------
    Solution
        ``objective`` = Σ w_i · cost to the assigned site over the rows that can reach some column;
        ``bound`` = proven lower bound. Rows no column reaches are listed in ``unreachable``, left out
        of the objective, assigned -1, and named in a warning.

    Raises
    ------
    InputError
        Bad arguments (every problem listed).
    InfeasibleError
        ``p`` below the number of fixed sites or above the number of columns, or no ``p`` sites can
        reach every row that some column reaches.

    Notes
    -----
    Formulation: see the module docstring (Elloumi 2010, incremental form, level-truncated).
    """
    t0 = time.perf_counter()
    args = mx.check_model_inputs("p_median", cost, t0=t0, weights=weights, fixed=fixed,
                                 time_limit=time_limit, p=p, p_minimum=1)
    reach, m, w, fx, tl, deadline = args.reach, args.m, args.w, args.fx, args.tl, args.deadline
    p = int(args.p)  # type: ignore[arg-type]

    counts = np.diff(reach.indptr)
    unreachable = np.flatnonzero(counts == 0)
    if unreachable.size:
        msg = (f"p_median: {unreachable.size} row(s) reach no candidate column "
               f"({mx.describe_rows(unreachable)}); they are left out of the objective and reported "
               f"in `unreachable`")
        warnings.warn(msg, stacklevel=2)
        log.warning(msg)
    active = np.flatnonzero((counts > 0) & (w > 0))
    sub = reach[active].tocsr()
    wa = w[active]

    # --- heuristic on a dense copy (unreachable = a cost larger than any plan that serves all)
    big = (float(sub.data.max()) if sub.nnz else 0.0) * 2 + 1.0
    big *= max(1.0, float(wa.sum()) / max(float(wa[wa > 0].min()), 1e-12)) if wa.size else 1.0
    # integer weights and costs: every plan's objective is an integer, so bounds round up
    integral = bool(np.all(wa == np.round(wa)) and np.all(sub.data == np.round(sub.data)))
    if integral:
        big = float(np.ceil(big))  # keeps every dense plan's cost an integer
    dense = np.full(sub.shape, big)
    if sub.nnz:
        r = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
        dense[r, sub.indices] = sub.data

    def rounded(b: float | None) -> float | None:
        if b is None or not integral or not np.isfinite(b):
            return b
        return float(np.ceil(b - 1e-9 * max(1.0, abs(b))))

    # first local optimum, then the Lagrangian bound; more search only while the bound does not
    # prove the plan optimal
    heur_deadline = None if tl is None else t0 + 0.3 * tl
    lag_dl = None if tl is None else t0 + 0.45 * tl
    sites = pmedian_heuristic(dense, wa, p, fx, deadline=heur_deadline, restarts=0) if (
        active.size) else np.union1d(fx, np.arange(m)[~np.isin(np.arange(m), fx)][: p - fx.size])
    lag_bound: float | None = None
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    ub = np.inf
    if active.size and p < m:
        sites, ub, lag_bound, closed, opened = _plan_and_bound(
            dense, wa, p, fx, sites, integral, rounded, heur_deadline, lag_dl,
            2000 if tl is not None else 500)
    t_heur = time.perf_counter() - t0
    del dense
    # Lagrangian fixing: a plan cheaper than the heuristic's never opens a `closed` column and
    # always opens an `opened` one, so HiGHS searches only the remaining columns.
    cols = np.flatnonzero(~closed)
    pos = np.full(m, -1)
    pos[cols] = np.arange(cols.size)
    sub_r = sub[:, cols].tocsr()
    fixed_r = pos[np.union1d(fx, np.flatnonzero(opened))]

    def within_ub(b: float | None) -> float | None:
        # plans using a closed column cost >= ub, so the global bound is min(model bound, ub)
        return None if b is None else min(b, ub)

    def true_cost(s: np.ndarray) -> tuple[float, np.ndarray]:
        _, d = assign_closest(sub, s)
        return (float(wa @ np.where(np.isnan(d), np.inf, d)), d)

    best_sites = sites
    best_obj, best_d = true_cost(sites)
    bound: float | None = lag_bound if lag_bound is not None and np.isfinite(lag_bound) else None
    status = "heuristic" if bound is None else "time_limit"
    if bound is not None and _closed_gap(best_obj, bound):
        status = "optimal"
    rounds = 0
    if active.size and status != "optimal":
        # per-row kept level: levels with cost <= (cost in the incumbent), plus one extra level
        # (at least the heuristic plan's 90th-percentile cost, so rows at an open site keep levels)
        keep_to = np.where(np.isfinite(best_d), best_d, np.inf)
        finite = keep_to[np.isfinite(keep_to)]
        floor = float(np.quantile(finite, _KEEP_QUANTILE)) if finite.size else 0.0
        keep_to = np.maximum(keep_to, floor)
        while rounds < _MAX_ROUNDS:
            remaining = None if deadline is None else deadline - time.perf_counter()
            if remaining is not None and remaining <= 0.05:
                break
            rounds += 1
            start = pos[best_sites] if (pos[best_sites] >= 0).all() else None
            if (np.diff(sub_r.indptr) == 0).any():
                res, model_bound, y_r = "infeasible", None, None  # needs a closed column
            else:
                res, model_bound, y_r = _solve_truncated(sub_r, wa, p, fixed_r, keep_to, start,
                                                         remaining, integral=integral)
            y_of = None if y_r is None else cols[y_r]
            model_bound = within_ub(model_bound)
            if res == "infeasible":
                # no plan cheaper than the heuristic's exists among the columns left
                if np.isfinite(best_obj) and best_obj <= ub + 1e-9 * max(1.0, ub):
                    bound, status = best_obj, "optimal"
                    break
                if not np.isfinite(best_obj):
                    raise InfeasibleError(
                        f"p_median: no choice of p = {p} sites reaches all {active.size} rows that "
                        f"some candidate reaches; the best plan found leaves "
                        f"{int(np.isnan(best_d).sum())} of them without a reachable site. Raise p "
                        f"or remove those rows")
                break
            model_bound = rounded(model_bound)
            if model_bound is not None:
                bound = model_bound if bound is None else max(bound, model_bound)
            if y_of is None:
                break
            obj, d = true_cost(y_of)
            if obj < best_obj:
                best_obj, best_sites, best_d = obj, y_of, d
            if bound is not None and _closed_gap(best_obj, bound):
                status = "optimal"
                break
            if res != "optimal":
                status = "time_limit"
                break
            # rows served beyond their kept levels: keep every level up to their cost now, and more
            grow = ~(d <= keep_to)
            if not grow.any():  # the relaxation is exact for this plan, yet bound < objective
                status = "time_limit"
                break
            keep_to = np.where(grow, np.where(np.isnan(d), np.inf, d * 1.5 + 1e-9), keep_to)
        if status == "heuristic" and bound is not None:
            status = "time_limit"
        if not np.isfinite(best_obj):
            raise InfeasibleError(
                f"p_median: no plan with p = {p} sites reaching all {active.size} servable rows was "
                f"found within the time limit; raise p or time_limit")
    assignment, _ = assign_closest(reach, best_sites)
    covered = float(w[assignment >= 0].sum())
    return make_solution(
        model="p_median", sites=best_sites, objective=best_obj, bound=bound, status=status,
        assignment=assignment, sense="min", fixed=fx, unreachable=unreachable,
        uncovered=np.flatnonzero(assignment < 0), covered_weight=covered,
        total_weight=float(w.sum()), runtime_s=time.perf_counter() - t0,
        details={"rounds": rounds, "heuristic_s": t_heur, "lagrangian_bound": lag_bound,
                 "columns_closed_by_lagrangian": int(closed.sum()),
                 "columns_opened_by_lagrangian": int(opened.sum())},
    )


def _plan_and_bound(
    dense: np.ndarray,
    w: np.ndarray,
    p: int,
    fx: np.ndarray,
    sites: np.ndarray,
    integral: bool,
    rounded: Any,
    heur_deadline: float | None,
    lag_deadline: float | None,
    iterations: int,
) -> tuple[np.ndarray, float, float | None, np.ndarray, np.ndarray]:
    """Lagrangian bound and fixing around a plan, improving the plan only while the gap is open.

    Steps, each taken only when the previous ones leave a gap: (1) a short Lagrangian run
    (``_FIRST_LAGRANGIAN`` steps) for the given local optimum; (2) vertex substitution from the
    Lagrangian plan of the best multipliers, then the Lagrangian continued to convergence
    (the columns with the most negative reduced costs — on the OR-Library instances this finds the
    optimum where the greedy start does not); (3) the iterated local search, unless the model left
    after fixing is small (``_ILS_MIN_SIZE``: HiGHS is faster there). After a better plan, the
    Lagrangian runs again warm-started (fixing against the lower cost). Returns ``(sites, cost,
    bound, closed, opened)``; ``closed``/``opened`` are valid against ``cost``.
    """
    m = dense.shape[1]
    ub = float(w @ dense[:, sites].min(axis=1))
    state: dict[str, Any] = {"bound": None, "closed": np.zeros(m, dtype=bool),
                             "opened": np.zeros(m, dtype=bool), "lam": None}

    def lagrangian(upper: float, its: int) -> tuple[np.ndarray | None, float]:
        b, cl, op, plan, upper, lam = pmedian_lagrangian(
            dense, w, p, fx, upper, deadline=lag_deadline, iterations=its, integral=integral,
            lam0=state["lam"])
        b = rounded(b)
        if b is not None and np.isfinite(b):
            old = state["bound"]
            state["bound"] = b if old is None else max(old, b)
        state["closed"] |= cl
        state["opened"] |= op
        state["lam"] = lam
        return plan, upper

    def gap_open() -> bool:
        return state["bound"] is None or not _closed_gap(ub, state["bound"])

    # a short first Lagrangian run: enough multipliers for a good Lagrangian plan
    plan, ub = lagrangian(ub, min(_FIRST_LAGRANGIAN, iterations))
    if plan is not None:
        sites = plan
    for step in ("lagrangian_plan", "iterated_local_search"):
        if not gap_open():
            break
        if step == "lagrangian_plan":
            rho = np.minimum(w[:, None] * dense - state["lam"][:, None], 0.0).sum(axis=0)
            free = np.setdiff1d(np.arange(m), fx)
            q = p - fx.size
            start = np.union1d(fx, free[np.argsort(rho[free], kind="stable")[:q]])
            cand = pmedian_heuristic(dense, w, p, fx, deadline=heur_deadline, start=start,
                                     restarts=0)
        elif dense.shape[0] * int((~state["closed"]).sum()) > _ILS_MIN_SIZE:
            cand = pmedian_heuristic(dense, w, p, fx, deadline=heur_deadline, start=sites)
        else:
            break
        cost = float(w @ dense[:, cand].min(axis=1))
        improved = cost < ub
        if improved:
            sites, ub = np.sort(cand), cost
        if (step == "lagrangian_plan" or improved) and gap_open():
            # continue the Lagrangian (warm start), fixing against the plan's cost
            plan, ub = lagrangian(ub, iterations)
            if plan is not None:
                sites = plan
    bound, closed, opened = state["bound"], state["closed"], state["opened"]
    return sites, ub, bound, closed, opened


def _closed_gap(objective: float, bound: float) -> bool:
    """The plan is proven optimal to HiGHS's tolerance."""
    return bool(np.isfinite(objective) and objective <= bound + 2e-6 * max(1.0, objective))


def _solve_truncated(
    sub: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    fixed: np.ndarray,
    keep_to: np.ndarray,
    start_sites: np.ndarray | None,
    time_limit: float | None,
    *,
    integral: bool = False,
) -> tuple[str, float | None, np.ndarray | None]:
    """Build and solve the truncated incremental-Elloumi model; return status, bound, open sites.

    Built without a loop over rows (every row's levels at once, in CSR order). With ``integral``
    (integer weights and costs, so every plan's objective is an integer) HiGHS stops once incumbent
    and bound are less than 1 apart.
    """
    n, m = sub.shape
    rowlen = np.diff(sub.indptr)
    row = np.repeat(np.arange(n), rowlen)
    order = np.lexsort((sub.indices, sub.data, row))  # by row, cost, column
    r_e, c_e, d_e = row[order], sub.indices[order], sub.data[order]
    first_e = np.ones(r_e.size, dtype=bool)  # entry starts a new level (or a new row)
    first_e[1:] = (r_e[1:] != r_e[:-1]) | (d_e[1:] != d_e[:-1])
    lev_glob = np.cumsum(first_e) - 1           # global level number of each entry
    lvl_val = d_e[first_e]                      # level values, rows one after the other
    lvl_row = r_e[first_e]
    K = np.bincount(lvl_row, minlength=n)
    lstart = np.r_[0, np.cumsum(K)[:-1]]
    lev_of = lev_glob - lstart[r_e]             # level of each entry within its row
    lev_local = np.arange(lvl_val.size) - lstart[lvl_row]
    below = np.bincount(lvl_row, weights=(lvl_val <= keep_to[lvl_row]), minlength=n).astype(np.int64)
    L = np.minimum(np.maximum(below + 1, 1), K)
    full = L >= K
    nz = np.where(full, K - 1, L)
    ncons = np.where(full, K, L)
    zstart = np.r_[0, np.cumsum(nz)[:-1]]
    cstart = np.r_[0, np.cumsum(ncons)[:-1]]
    n_z, n_con = int(nz.sum()), int(ncons.sum())
    offset = float(w @ lvl_val[lstart]) if n else 0.0
    # z_k of row i (k < nz_i) costs w_i (D^{k+1} - D^k): the step from level k to k+1
    zsel = lev_local < nz[lvl_row]
    zcost = w[lvl_row[zsel]] * (lvl_val[np.flatnonzero(zsel) + 1] - lvl_val[zsel])
    z_row, z_k = lvl_row[zsel], lev_local[zsel]
    # y_j in constraint k (its level) when k < ncons; +z_k in constraint k; -z_{k-1} in constraint k
    ysel = lev_of < ncons[r_e]
    prev_sel = np.flatnonzero((lev_local >= 1) & (lev_local < ncons[lvl_row]))
    pr, pk = lvl_row[prev_sel], lev_local[prev_sel]
    r_all = np.concatenate([cstart[r_e[ysel]] + lev_of[ysel], cstart[z_row] + z_k,
                            cstart[pr] + pk, np.full(m, n_con)])
    c_all = np.concatenate([c_e[ysel], m + zstart[z_row] + z_k, m + zstart[pr] + pk - 1,
                            np.arange(m)])
    v_all = np.concatenate([np.ones(int(ysel.sum())), np.ones(z_k.size), -np.ones(pk.size),
                            np.ones(m)])
    n_var = m + n_z
    a = sp.csc_matrix((v_all, (r_all, c_all)), shape=(n_con + 1, n_var))
    row_lo = np.zeros(n_con + 1)
    row_lo[cstart] = 1.0
    row_lo[n_con] = p
    row_hi = np.full(n_con + 1, INF)
    row_hi[n_con] = p
    c = np.concatenate([np.zeros(m), zcost])
    col_lo = np.zeros(n_var)
    col_lo[fixed] = 1.0
    col_hi = np.ones(n_var)
    integer = np.zeros(n_var, dtype=bool)
    integer[:m] = True
    start = None
    if start_sites is not None:
        start_open = np.zeros(m, dtype=bool)
        start_open[start_sites] = True
        # warm start z: 1 while no open site within the level
        first_open = K.copy()
        hit = start_open[c_e]
        np.minimum.at(first_open, r_e[hit], lev_of[hit])
        start = np.concatenate([start_open.astype(np.float64),
                                (z_k < first_open[z_row]).astype(np.float64)])
    log.debug("p_median model: %d rows, %d level variables, %d non-zeros", n_con, n_z, a.nnz)
    res = solve_mip(c, a, row_lo, row_hi, col_lo, col_hi, integer, time_limit=time_limit,
                    start=start, offset=offset, mip_abs_gap=0.999 if integral else None,
                    options=_HIGHS_OPTIONS)
    if res.status == "infeasible":
        return "infeasible", None, None
    sites = None if res.x is None else np.flatnonzero(res.x[:m] > 0.5)
    if sites is not None and sites.size != p:
        sites = None
    return res.status, res.bound, sites
