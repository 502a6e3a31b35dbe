"""Capacitated coverage: sites with room for a limited demand, demand sent only within the radius.

HiGHS (``highspy``) solves the mixed-integer program (and the LP that measures how much demand can be
placed at all). Written by hand: the model building and the infeasibility diagnosis, so the error
carries the numbers (capacities against demand, demand out of range).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError, Problems
from siting.optimize import _matrix as mx
from siting.optimize._highs import INF, solve_mip
from siting.optimize.heuristics import capacity_greedy
from siting.optimize.solution import Solution, make_solution

log = logging.getLogger(__name__)

#: Share of the time limit the warm start's redundancy pass may use.
_START_SHARE = 0.25


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
    k, npair = rows_kept.size, pi.size
    dk = dem[rows_kept]
    # variables: y (m), x (npair)
    # rows: serve (k), capacity (m), link (npair), count (1)
    eye = np.arange(npair)
    serve = sp.csr_matrix((np.ones(npair), (pi, m + eye)), shape=(k, m + npair))
    capr = sp.csr_matrix((np.r_[-cap, np.ones(npair)], (np.r_[np.arange(m), pj], np.r_[np.arange(m),
                         m + eye])), shape=(m, m + npair))
    link = sp.csr_matrix((np.r_[-dk[pi], np.ones(npair)], (np.r_[eye, eye], np.r_[pj, m + eye])),
                         shape=(npair, m + npair))
    count = sp.csr_matrix((np.ones(m), (np.zeros(m, dtype=int), np.arange(m))), shape=(1, m + npair))
    A = sp.vstack([serve, capr, link, count], format="csc")
    col_lo = np.zeros(m + npair)
    col_lo[fx] = 1.0
    col_hi = np.r_[np.ones(m), np.full(npair, INF)]
    integer = np.r_[np.ones(m, dtype=bool), np.zeros(npair, dtype=bool)]
    cap_lo = np.full(m, -INF)
    link_lo = np.full(npair, -INF)

    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.perf_counter(), 0.05)

    served_target: float | None = None
    if p is None:
        need_lo = dk.copy()
        if allow_unserved:
            # the most that all candidates together can place
            served_target = _transport(pi, pj, dk, cap, np.ones(m, dtype=bool))[0] * (1 - 1e-9)
            need_lo = np.zeros(k)
            extra = sp.csr_matrix(np.r_[np.zeros(m), np.ones(npair)][None, :])
            A = sp.vstack([A, extra], format="csc")
        row_lo = np.r_[need_lo, cap_lo, link_lo, -INF]
        row_hi = np.r_[dk, np.zeros(m), np.zeros(npair), INF]
        if served_target is not None:
            row_lo, row_hi = np.r_[row_lo, served_target], np.r_[row_hi, INF]
        c = np.r_[np.ones(m), np.zeros(npair)]
        start = _warm_start(pi, pj, dk, cap, fx, p=None,
                            target=float(dk.sum()) if served_target is None else served_target,
                            deadline=None if tl is None else t0 + _START_SHARE * tl)
        res = solve_mip(c, A, row_lo, row_hi, col_lo, col_hi, integer, time_limit=remaining(),
                        mip_rel_gap=1e-6, start=start)
        if res.status == "infeasible":
            most = _transport(pi, pj, dk, cap, np.ones(m, dtype=bool))[0]
            raise InfeasibleError(
                f"capacitated_coverage: even with all {m} candidates open, at most "
                f"{most:g} of demand {total:g} can be placed within radius {r:g} "
                f"(capacities near the demand are too small); add candidates or capacity, raise the "
                f"radius, or pass allow_unserved=True")
        sense = "min"
    else:
        row_lo = np.r_[np.zeros(k), cap_lo, link_lo, -INF]
        row_hi = np.r_[dk, np.zeros(m), np.zeros(npair), float(p)]
        c = np.r_[np.zeros(m), np.ones(npair)]
        start = _warm_start(pi, pj, dk, cap, fx, p=p, target=float(dk.sum()), deadline=None)
        res = solve_mip(c, A, row_lo, row_hi, col_lo, col_hi, integer, maximize=True,
                        time_limit=remaining(), mip_rel_gap=1e-6, start=start)
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
                 "load": np.asarray(alloc.sum(axis=0)).ravel()},
    )
