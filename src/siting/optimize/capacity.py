"""Capacitated coverage: sites with room for a limited demand, demand sent only within the radius.

HiGHS (``highspy``) solves the mixed-integer program (and the LP that measures how much demand can be
placed at all). Written by hand: the model building, the infeasibility diagnosis, so the error
carries the numbers (capacities against demand, demand out of range), and the kernel search that
leads HiGHS to good plans early (:func:`_kernel_solve`; HiGHS has no such mode).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError, Problems
from siting.optimize import _matrix as mx
from siting.optimize._highs import INF, MipResult, solve_mip
from siting.optimize.heuristics import capacity_greedy
from siting.optimize.solution import Solution, make_solution

log = logging.getLogger(__name__)

#: Share of the time limit the warm start's redundancy pass may use.
_START_SHARE = 0.25

#: Share of the time left the LP relaxation, and then each restricted (kernel) stage, may take; the
#: rest goes to larger kernels and to the whole model, whose bound is the one reported.
_STAGE_SHARE = 0.5

#: The whole model is tried only when the time left is at least this many times what the LP
#: relaxation took: its branch and bound must solve the root LP again (by dual simplex, several
#: times slower than the LP's interior point) before it can improve on a plan.
_LP_ROUNDS = 4


def _transport(pi: np.ndarray, pj: np.ndarray, dk: np.ndarray, cap: np.ndarray, is_open: np.ndarray
               ) -> tuple[float, np.ndarray]:
    """Most demand the open sites can take (an LP over the pairs at open sites); returns the amount
    and the flow on every pair (0 at closed sites)."""
    use = np.flatnonzero(is_open[pj])
    x = np.zeros(pi.size)
    if use.size == 0:
        return 0.0, x
    k, m = dk.size, cap.size
    a = sp.vstack([sp.csr_matrix((np.ones(use.size), (pi[use], np.arange(use.size))), shape=(k, use.size)),
                   sp.csr_matrix((np.ones(use.size), (pj[use], np.arange(use.size))), shape=(m, use.size))],
                  format="csc")
    res = solve_mip(np.ones(use.size), a, np.full(k + m, -INF), np.r_[dk, np.where(is_open, cap, 0.0)],
                    np.zeros(use.size), dk[pi[use]], None, maximize=True)
    if res.x is None:
        return 0.0, x
    x[use] = np.maximum(res.x, 0.0)
    return float(x.sum()), x


def _warm_start(pi: np.ndarray, pj: np.ndarray, dk: np.ndarray, cap: np.ndarray, fx: np.ndarray, *,
                target: float, p: int | None, deadline: float | None) -> np.ndarray | None:
    """A first plan for HiGHS: the greedy sites (:func:`~siting.optimize.heuristics.capacity_greedy`),
    then — when the fewest sites are wanted — each site closed again, least loaded first, while the
    others still place ``target`` (a transport LP decides). Returns ``[y, x]`` or None."""
    m = cap.size
    is_open = np.zeros(m, dtype=bool)
    is_open[capacity_greedy(pi, pj, dk, cap, fx, target=target, p=p)] = True
    placed, x = _transport(pi, pj, dk, cap, is_open)
    tol = 1e-7 * max(target, 1.0)
    if p is None:
        if placed < target - tol:
            return None
        load = np.bincount(pj, weights=x, minlength=m)
        for j in np.argsort(load, kind="stable"):
            if not is_open[j] or j in fx:
                continue
            if deadline is not None and time.perf_counter() > deadline:
                break
            is_open[j] = False
            trial, x_trial = _transport(pi, pj, dk, cap, is_open)
            if trial >= target - tol:
                x = x_trial
            else:
                is_open[j] = True
    return np.r_[is_open.astype(np.float64), x]


def _model(pi: np.ndarray, pj: np.ndarray, dk: np.ndarray, cap: np.ndarray, fx: np.ndarray, *,
           p: int | None, served_target: float | None
           ) -> tuple[np.ndarray, sp.csc_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The mixed-integer program of :func:`capacitated_coverage` over the pairs ``(pi, pj)``:
    ``(c, A, row_lo, row_hi, col_lo, col_hi)``, the ``m`` site columns ``y`` first, then one flow
    column per pair. Without ``p``: fewest sites placing every row's demand, or (``served_target``)
    at least that much in all. With ``p``: most demand placed by at most ``p`` sites."""
    k, m, npair = dk.size, cap.size, pi.size
    # rows: serve (k), capacity (m), link (npair), count (1), [placed in all (1)]
    eye = np.arange(npair)
    serve = sp.csr_matrix((np.ones(npair), (pi, m + eye)), shape=(k, m + npair))
    capr = sp.csr_matrix((np.r_[-cap, np.ones(npair)], (np.r_[np.arange(m), pj], np.r_[np.arange(m),
                         m + eye])), shape=(m, m + npair))
    link = sp.csr_matrix((np.r_[-dk[pi], np.ones(npair)], (np.r_[eye, eye], np.r_[pj, m + eye])),
                         shape=(npair, m + npair))
    count = sp.csr_matrix((np.ones(m), (np.zeros(m, dtype=int), np.arange(m))), shape=(1, m + npair))
    blocks = [serve, capr, link, count]
    col_lo = np.zeros(m + npair)
    col_lo[fx] = 1.0
    col_hi = np.r_[np.ones(m), np.full(npair, INF)]
    free = np.full(m + npair, -INF)
    if p is not None:
        row_lo = np.r_[np.zeros(k), free, -INF]
        row_hi = np.r_[dk, np.zeros(m + npair), float(p)]
        c = np.r_[np.zeros(m), np.ones(npair)]
    else:
        row_lo = np.r_[dk if served_target is None else np.zeros(k), free, -INF]
        row_hi = np.r_[dk, np.zeros(m + npair), INF]
        if served_target is not None:
            blocks.append(sp.csr_matrix(np.r_[np.zeros(m), np.ones(npair)][None, :]))
            row_lo, row_hi = np.r_[row_lo, served_target], np.r_[row_hi, INF]
        c = np.r_[np.ones(m), np.zeros(npair)]
    return c, sp.vstack(blocks, format="csc"), row_lo, row_hi, col_lo, col_hi


def _kernel_solve(pi: np.ndarray, pj: np.ndarray, dk: np.ndarray, cap: np.ndarray, fx: np.ndarray, *,
                  p: int | None, served_target: float | None, start: np.ndarray | None,
                  deadline: float | None) -> tuple[MipResult, dict[str, Any]]:
    """HiGHS on the model of :func:`_model`, led by a kernel search (after Angelelli, Mansini &
    Speranza 2010).

    The LP relaxation ranks the sites (LP value, then reduced cost); HiGHS then solves the model
    over the sites the LP uses (plus the start's and the fixed ones, so the start stays a plan) and
    only their pairs, the kernel doubling after each stage it solves, until the whole model. A stage
    gets ``_STAGE_SHARE`` of the time left, or all of it while the whole model would not fit
    (``_LP_ROUNDS``); after one HiGHS does not finish, the next is the whole model. Each stage
    starts from the best plan so far.

    Why: HiGHS alone spends its time on the bound. On the Shenzhen demo's shelters (583 rows × 356
    sites, 15 s) it stayed at the greedy start's 68 sites; the 96-site kernel gives 63 (the optimum,
    which HiGHS alone finds and proves in 168 s) in 7 s. HiGHS runs with its light presolve
    (``presolve_mode`` 2): its full MIP presolve took 207 s, past any time limit, on a 3,000 × 600
    district with 61,000 pairs.

    Returns a :class:`~siting.optimize._highs.MipResult` over the whole model's columns: the best
    plan, the bound proven by the LP (rounded up when minimising site counts) or by the whole-model
    stage, whichever is tighter, and ``optimal`` when plan and bound meet; and ``{"kernel_columns",
    "kernel_s", "lp_bound"}``.
    """
    t0 = time.perf_counter()
    m = cap.size
    maximize = p is not None
    abs_gap = None if maximize else 0.99  # a count of sites: a bound within 1 proves the plan
    options: dict[str, bool | int | float | str] = {"presolve_mode": 2}

    def left() -> float | None:
        return None if deadline is None else deadline - time.perf_counter()

    def stage(kernel: np.ndarray, x0: np.ndarray | None, limit: float | None) -> MipResult:
        """HiGHS on the sites ``kernel`` (a mask) and their pairs; columns mapped back to the whole
        model's."""
        keep = kernel[pj]
        sites = np.flatnonzero(kernel)
        local = np.full(m, -1)
        local[sites] = np.arange(sites.size)
        c, a, lo, hi, clo, chi = _model(pi[keep], local[pj[keep]], dk, cap[sites], local[fx], p=p,
                                        served_target=served_target)
        integer = np.r_[np.ones(sites.size, dtype=bool), np.zeros(int(keep.sum()), dtype=bool)]
        res = solve_mip(c, a, lo, hi, clo, chi, integer, maximize=maximize,
                        time_limit=None if limit is None else max(limit, 0.05), mip_rel_gap=1e-6,
                        mip_abs_gap=abs_gap, options=options,
                        start=None if x0 is None else np.r_[x0[:m][sites], x0[m:][keep]])
        if res.x is None:
            return res
        full = np.zeros(m + pi.size)
        full[sites] = res.x[: sites.size]
        full[m + np.flatnonzero(keep)] = res.x[sites.size:]
        return MipResult(res.status, full, res.objective, res.bound, res.runtime_s, res.nodes)

    model = _model(pi, pj, dk, cap, fx, p=p, served_target=served_target)
    rest = left()
    # interior point (then crossover, for the reduced costs): on a 3,000 × 600 district with 61,000
    # pairs HiGHS's default dual simplex needs 79 s for this LP, its interior point method 10 s
    lp = solve_mip(*model, None, maximize=maximize,
                   time_limit=None if rest is None else max(rest * _STAGE_SHARE, 0.05),
                   options={"solver": "ipm"})
    info: dict[str, Any] = {"kernel_columns": 0, "kernel_s": 0.0, "lp_bound": lp.bound}
    if lp.status == "infeasible":
        return lp, info
    if lp.status != "optimal" or lp.x is None or lp.reduced_cost is None or lp.bound is None:
        # the LP did not finish in time: HiGHS alone on the whole model, from the start
        return stage(np.ones(m, dtype=bool), start, left()), info
    lp_bound = float(lp.bound)
    target = lp_bound if maximize else float(np.ceil(lp_bound - 1e-6))

    def proven(value: float) -> bool:
        if maximize:
            return value >= target - 1e-6 * max(abs(target), 1.0)
        return value <= target + 1e-6

    y_lp = lp.x[:m]
    rc = lp.reduced_cost[:m] * (-1.0 if maximize else 1.0)
    order = np.lexsort((rc, -np.round(y_lp, 6)))
    size = max(int((y_lp > 1e-6).sum()), 1)
    best_x, best = start, None
    if start is not None:
        best = float(model[0] @ start)
    final: MipResult | None = None
    while True:
        kernel = np.zeros(m, dtype=bool)
        kernel[order[:size]] = True
        kernel[fx] = True
        if best_x is not None:
            kernel[best_x[:m] > 0.5] = True
        complete = bool(kernel.all())
        if best is not None and proven(best):
            break
        rest = left()
        if rest is not None and rest < 0.1:
            break
        # the whole model's turn comes only when its root LP can be solved in the time left (the
        # LP relaxation's own time as the gauge); until then a stage may take all of it
        fits = rest is None or lp.runtime_s * _LP_ROUNDS < rest
        res = stage(kernel, best_x, rest if rest is None or complete or not fits
                    else rest * _STAGE_SHARE)
        if complete:
            final = res
        info["kernel_columns"] = int(kernel.sum())
        if res.x is not None and res.objective is not None and (
                best is None or (res.objective > best if maximize else res.objective < best)):
            best, best_x = float(res.objective), res.x
        log.debug("capacitated_coverage kernel: %d of %d sites: %s, plan %s", kernel.sum(), m,
                  res.status, best)
        if complete:
            break
        # after a stage HiGHS could not finish, on to the whole model
        size = m if res.status != "optimal" else 2 * size
    info["kernel_s"] = time.perf_counter() - t0
    bound = lp_bound
    if final is not None and final.bound is not None:
        bound = min(bound, final.bound) if maximize else max(bound, final.bound)
    if not maximize:
        bound = max(bound, target)
    status = "optimal" if best is not None and (
        proven(best) or (final is not None and final.status == "optimal")) else "time_limit"
    if best_x is None:
        status = "infeasible" if final is not None and final.status == "infeasible" else "unknown"
    return MipResult(status, best_x, best, bound, time.perf_counter() - t0,
                     0 if final is None else final.nodes), info


def capacitated_coverage(
    cost: Any,
    radius: float,
    capacity: Any,
    demand: Any,
    *,
    p: int | None = None,
    fixed: Any = None,
    time_limit: float | None = None,
    allow_unserved: bool = False,
) -> Solution:
    """Place every unit of demand at a site within ``radius`` without exceeding any site's capacity.

    Parameters
    ----------
    cost : numpy.ndarray or scipy.sparse matrix
        Rows = demand points, columns = candidate sites; NaN/inf or a missing sparse entry = unreachable.
    radius : float
        Demand may go to a column only when their cost is ``<= radius``.
    capacity : array-like
        Per column: how much demand the site takes (e.g. usable area ÷ area per person).
    demand : array-like
        Per row: demand to place (e.g. residents). A row's demand may be **split** among several
        sites (a compound's residents may go to different shelters).
    p : int, optional
        Without ``p``: open the fewest sites (fixed included) that place all demand. With ``p``: open
        at most ``p`` sites (fixed included) and place as much demand as possible.
    fixed : array-like of int or bool mask, optional
        Columns that are open anyway (existing facilities, with their capacity).
    time_limit : float, optional
        Seconds for the whole call.
    allow_unserved : bool, default False
        False: every unit of demand must be placed, otherwise :class:`~siting.errors.InfeasibleError`
        says why with the numbers (demand out of range of every candidate; the ``p`` largest
        capacities, or all of them, sum to less than the demand; or the best plan places only X of Y).
        True: place as much as any plan can (without ``p``: the most that all candidates together can
        take, then the fewest sites doing so) and report the rest in ``uncovered``.

    Returns
    -------
    Solution
        Without ``p``: ``objective`` = number of open sites, ``bound`` = lower bound (min).
        With ``p``: ``objective`` = demand placed, ``bound`` = upper bound (max).
        ``details["allocation"]`` (also ``.allocation``) is the rows × columns CSR matrix of demand
        sent; ``details["served"]`` the demand placed per row; ``assignment`` the column taking the
        largest share of each row (-1 if none); ``uncovered`` the rows with unplaced demand.

    Notes
    -----
    Formulation, ``x_ij ≥ 0`` the demand of row ``i`` sent to column ``j`` (only pairs within the
    radius), ``y_j ∈ {0,1}``::

        Σ_j x_ij  = d_i   (≤ d_i with p or allow_unserved)       each row
        Σ_i x_ij ≤ c_j y_j                                          each column (capacity)
        x_ij ≤ d_i y_j                                               each pair (strengthens the LP)
        without p: min Σ_j y_j          with p: max Σ_ij x_ij  s.t. Σ_j y_j ≤ p

    A greedy plan (:func:`_warm_start`) starts a kernel search (:func:`_kernel_solve`): HiGHS on the
    sites the LP relaxation uses, then on more, then on all. ``details`` records ``lp_bound``,
    ``kernel_columns`` (sites in the last stage) and ``kernel_s``.
    """
    t0 = time.perf_counter()
    problems = Problems(source="siting.optimize.capacitated_coverage")
    reach = mx.as_reachable_csr(cost, problems)
    if reach is None:
        problems.raise_if_any()
    assert reach is not None
    n, m = reach.shape
    r = mx.check_radius(radius, problems)
    cap = mx.check_weights(capacity, m, problems, name="capacity")
    dem = mx.check_weights(demand, n, problems, name="demand")
    fx = mx.check_fixed(fixed, m, problems)
    if p is not None:
        p = mx.check_count(p, problems, "p", minimum=0)
    tl = mx.check_time_limit(time_limit, problems)
    problems.raise_if_any()
    if p is not None:
        mx.check_p(p, fx.size, m, "capacitated_coverage")
    deadline = None if tl is None else t0 + tl
    total = float(dem.sum())

    pat = mx.within(reach, r)
    counts = np.diff(pat.indptr)
    out_of_range = np.flatnonzero((counts == 0) & (dem > 0))
    if not allow_unserved:
        if out_of_range.size:
            raise InfeasibleError(
                f"capacitated_coverage: demand {dem[out_of_range].sum():g} of {total:g} "
                f"({mx.describe_rows(out_of_range)}) has no candidate within radius {r:g}; add "
                f"candidates, raise the radius, or pass allow_unserved=True")
        if p is not None:
            others = np.sort(np.delete(cap, fx))[::-1][: p - fx.size]
            top = float(cap[fx].sum() + others.sum())
            if top < total - 1e-9:
                raise InfeasibleError(
                    f"capacitated_coverage: the p = {p} largest capacities (the {fx.size} fixed sites "
                    f"included) sum to {top:g} < demand {total:g}")
        elif cap.sum() < total - 1e-9:
            raise InfeasibleError(
                f"capacitated_coverage: all {m} candidate capacities sum to {cap.sum():g} < demand "
                f"{total:g}")

    rows_kept = np.flatnonzero((counts > 0) & (dem > 0))
    a = pat[rows_kept].tocoo()
    pi, pj = a.row, a.col  # pairs (model row position, column)
    dk = dem[rows_kept]
    served_target: float | None = None
    if p is None:
        if allow_unserved:
            # the most that all candidates together can place
            served_target = _transport(pi, pj, dk, cap, np.ones(m, dtype=bool))[0] * (1 - 1e-9)
        start = _warm_start(pi, pj, dk, cap, fx, p=None,
                            target=float(dk.sum()) if served_target is None else served_target,
                            deadline=None if tl is None else t0 + _START_SHARE * tl)
        res, kinfo = _kernel_solve(pi, pj, dk, cap, fx, p=None, served_target=served_target,
                                   start=start, deadline=deadline)
        if res.status == "infeasible":
            most = _transport(pi, pj, dk, cap, np.ones(m, dtype=bool))[0]
            raise InfeasibleError(
                f"capacitated_coverage: even with all {m} candidates open, at most "
                f"{most:g} of demand {total:g} can be placed within radius {r:g} "
                f"(capacities near the demand are too small); add candidates or capacity, raise the "
                f"radius, or pass allow_unserved=True")
        sense = "min"
    else:
        start = _warm_start(pi, pj, dk, cap, fx, p=p, target=float(dk.sum()), deadline=None)
        res, kinfo = _kernel_solve(pi, pj, dk, cap, fx, p=p, served_target=None, start=start,
                                   deadline=deadline)
        sense = "max"
    if res.x is None:
        raise InfeasibleError(
            f"capacitated_coverage: HiGHS found no plan within the time limit ({res.status}); "
            f"raise time_limit")
    y = res.x[:m] > 0.5
    x = np.maximum(res.x[m:], 0.0)
    # HiGHS may leave flows of ~1e-8 on pairs whose site is closed (within its feasibility
    # tolerance); they are numerical dust, not demand placed, and must not name a closed site.
    tol_x = 1e-6 * max(1.0, float(dem.max()) if dem.size else 1.0)
    x[(~y[pj]) | (x < tol_x)] = 0.0
    alloc = sp.csr_matrix((x, (rows_kept[pi], pj)), shape=(n, m))
    alloc.eliminate_zeros()
    served = np.asarray(alloc.sum(axis=1)).ravel()
    unmet = dem - served
    tol = 1e-6 * max(1.0, float(dem.max()) if dem.size else 1.0)
    uncovered = np.flatnonzero(unmet > tol)
    placed = float(served.sum())
    if p is not None and not allow_unserved and placed < total - 1e-6 * max(total, 1.0):
        raise InfeasibleError(
            f"capacitated_coverage: the best p = {p} sites place {placed:g} of demand {total:g} within "
            f"radius {r:g}; raise p or pass allow_unserved=True")
    sites = np.flatnonzero(y)
    assignment = np.full(n, -1, dtype=np.int64)
    if alloc.nnz:
        am = alloc.argmax(axis=1)
        am = np.asarray(am).ravel()
        has = served > 0
        assignment[has] = am[has]
    if sense == "min":
        objective = float(sites.size)
        bound = None if res.bound is None else float(np.ceil(res.bound - 1e-6))
    else:
        objective = placed
        bound = res.bound
    status = "optimal" if res.status == "optimal" else "time_limit"
    return make_solution(
        model="capacitated_coverage", sites=sites, objective=objective, bound=bound, status=status,
        assignment=assignment, sense=sense, fixed=fx,
        unreachable=np.flatnonzero(np.diff(reach.indptr) == 0), uncovered=uncovered,
        covered_weight=placed, total_weight=total, runtime_s=time.perf_counter() - t0,
        details={"allocation": alloc, "served": served, "radius": r, "out_of_range": out_of_range,
                 "kernel_columns": kinfo["kernel_columns"], "kernel_s": kinfo["kernel_s"],
                 "lp_bound": kinfo["lp_bound"],
                 "load": np.asarray(alloc.sum(axis=0)).ravel()},
    )
