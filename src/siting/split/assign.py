"""The assignment model: which atoms form which part, solved by HiGHS.

Given ``k`` parts to make, candidate centres (each one an atom's representative point) and the
network distances from every candidate to every household point, choose ``k`` centres and send every
atom whole to one of them. Variables ``x_ij ∈ {0,1}`` (atom ``i`` to centre ``j``), ``y_j ∈ {0,1}``
(centre ``j`` open)::

    Σ_j x_ij = 1                         each atom goes to one part, whole
    x_ij ≤ y_j                           only to an open centre
    x_{a(j) j} ≥ y_j                     an open centre's own atom is in its part
    Σ_j y_j = k
    lo·y_j ≤ Σ_i h_i x_ij ≤ hi·y_j       households of each part within the band (size.urban)
    x_ij = 0 where reach_ij > R          every household of the atom within the radius (size.split)

    min Σ_ij c_ij x_ij                   c_ij = Σ_{p ∈ i} h_p d(j, p): household-weighted distance

``reach_ij`` is the largest network distance from centre ``j`` to any point of atom ``i``, so the
radius test is exact however coarse the atoms.

When no assignment meets every rule (``soft=True``), the same model is solved with the rules as
penalties, lexicographically: first the fewest households placed against the rules (households
beyond the radius from their part's centre, plus households above or below the band, as slack
``s_lo_j, s_hi_j ≥ 0`` on the band rows), then, with that number fixed, the least
household-weighted distance. So the "best proposal" is the one that breaks the rules for the fewest
households, never one that is said to meet them.

Written by hand: the model (capacitated p-median with whole assignment; HiGHS solves it through
:func:`siting.optimize._highs.solve_mip`, which the location models share).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from siting.optimize._highs import INF, MipResult, solve_mip

log = logging.getLogger(__name__)

#: Distances within this many metres of the radius count as within it (rounding of sums).
RADIUS_TOL_M = 1e-6


@dataclass(frozen=True)
class Assignment:
    """A solution of the assignment model.

    Attributes
    ----------
    centre : numpy.ndarray
        ``(n_atoms,)`` the candidate (column) each atom is sent to; -1 when no solution was found.
    open : numpy.ndarray
        The candidates opened as part centres, sorted.
    cost : float
        Household-weighted network distance (metres × households); inf without a solution.
    violation : float
        Households placed against the rules (0 for a solution of the strict model).
    status : str
        ``optimal``, ``time_limit`` (a solution, not proven best), ``infeasible`` (proven: no
        assignment meets the rules with this ``k``) or ``unknown`` (no solution within the time).
    bound : float or None
        HiGHS's proven lower bound on the cost.
    """

    centre: np.ndarray
    open: np.ndarray
    cost: float
    violation: float
    status: str
    bound: float | None = None

    @property
    def found(self) -> bool:
        """Whether an assignment was found."""
        return bool(self.open.size)


def atom_matrices(
    dist: np.ndarray, households: np.ndarray, of_point: np.ndarray, n_atoms: int, *,
    radius: float, fallback: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per atom and candidate: reach (largest distance), cost and households beyond the radius.

    Parameters
    ----------
    dist : numpy.ndarray
        ``(n_candidates, n_points)`` network distances, ``inf`` where unreachable.
    households : numpy.ndarray
        ``(n_points,)`` households per point.
    of_point : numpy.ndarray
        ``(n_points,)`` atom of each point.
    n_atoms : int
    radius : float
        The radius of the rule (metres).
    fallback : numpy.ndarray, optional
        ``(n_candidates, n_points)`` distances used in the *cost* only where ``dist`` is ``inf``
        (e.g. straight-line), so an unreachable point still has a place to go; without it the
        cost is ``inf`` there.

    Returns
    -------
    reach, cost, over : numpy.ndarray
        Each ``(n_atoms, n_candidates)``.
    """
    order = np.argsort(of_point, kind="stable")
    starts = np.searchsorted(of_point[order], np.arange(n_atoms))
    d = dist[:, order]
    h = households[order]
    reach = np.maximum.reduceat(d, starts, axis=1).T
    use = d if fallback is None else np.where(np.isfinite(d), d, fallback[:, order])
    with np.errstate(invalid="ignore"):
        weighted = np.where(h > 0, use * h, 0.0)
    cost = np.add.reduceat(weighted, starts, axis=1).T
    over = np.add.reduceat(np.where(d > radius + RADIUS_TOL_M, h, 0.0), starts, axis=1).T
    return reach, cost, over


def assign_atoms(
    reach: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    cand_atom: np.ndarray,
    *,
    k: int,
    lo: float,
    hi: float,
    radius: float,
    over: np.ndarray | None = None,
    soft: bool = False,
    polish: bool = True,
    violation_cap: float | None = None,
    soft_pairs: int | None = None,
    violation_below: float | None = None,
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
    seed: int = 0,
) -> Assignment:
    """Solve the assignment model (module docstring) for ``k`` parts.

    Parameters
    ----------
    reach, cost : numpy.ndarray
        ``(n_atoms, n_candidates)``, from :func:`atom_matrices`.
    weight : numpy.ndarray
        ``(n_atoms,)`` households per atom.
    cand_atom : numpy.ndarray
        ``(n_candidates,)`` the atom each candidate centre belongs to.
    k : int
        Number of parts.
    lo, hi : float
        Household band of a part.
    radius : float
        Largest network distance from a part's centre to its households.
    over : numpy.ndarray, optional
        ``(n_atoms, n_candidates)`` households beyond the radius (needed with ``soft``).
    soft : bool
        False: the rules are constraints (``status`` may be ``infeasible``). True: they are
        penalties, minimised first (``violation``), then the cost.
    polish : bool
        With ``soft``: False stops after the first step (fewest households against the rules; the
        cost is then not minimised).
    violation_cap : float, optional
        With ``soft``: skip the first step and minimise the cost among assignments placing at most
        this many households against the rules (a value found by a first step).
    violation_below : float, optional
        With ``soft`` and no ``violation_cap``: only an assignment placing fewer households than
        this against the rules is wanted (given to HiGHS as an objective bound; ``status`` is
        ``infeasible`` when none is found).
    soft_pairs : int, optional
        With ``soft``: an atom may go beyond the radius only to its ``soft_pairs`` cheapest
        candidates (keeps the model small; None = to any candidate).
    time_limit : float, optional
        Seconds for each HiGHS call.
    mip_rel_gap : float
        Relative gap at which HiGHS stops and reports ``optimal``.
    seed : int
        HiGHS's random seed.

    Returns
    -------
    Assignment
    """
    n_atoms, n_cand = cost.shape
    none = Assignment(np.full(n_atoms, -1), np.empty(0, dtype=np.int64), np.inf, np.inf, "unknown")
    if soft:
        if over is None:
            raise ValueError("soft=True needs `over`")
        allowed = np.isfinite(cost)
        if soft_pairs is not None and soft_pairs < n_cand:
            near = np.zeros_like(allowed)
            rank = np.argsort(cost, axis=1, kind="stable")[:, :soft_pairs]
            np.put_along_axis(near, rank, True, axis=1)
            allowed &= near | (reach <= radius + RADIUS_TOL_M)
            allowed[cand_atom, np.arange(n_cand)] = True  # a centre may always take its own atom
    else:
        allowed = (reach <= radius + RADIUS_TOL_M) & np.isfinite(cost)
    ai, cj = np.nonzero(allowed)
    n_pairs = ai.size
    if k < 1 or k > n_cand or n_pairs == 0 or np.any(np.bincount(ai, minlength=n_atoms) == 0):
        return replace(none, status="infeasible")
    # column layout: x pairs | y | s_lo | s_hi (slacks only when soft)
    n_s = n_cand if soft else 0
    ny0, nlo0, nhi0 = n_pairs, n_pairs + n_cand, n_pairs + n_cand + n_s
    n_col = n_pairs + n_cand + 2 * n_s
    pair = np.arange(n_pairs)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lo_b: list[np.ndarray] = []
    hi_b: list[np.ndarray] = []
    r = 0

    def block(row: np.ndarray, col: np.ndarray, val: np.ndarray | float, n_rows: int,
              low: np.ndarray | float, high: np.ndarray | float) -> None:
        nonlocal r
        rows.append(r + np.asarray(row))
        cols.append(np.asarray(col))
        vals.append(np.broadcast_to(np.asarray(val, dtype=float), np.asarray(row).shape).copy())
        lo_b.append(np.broadcast_to(np.asarray(low, dtype=float), (n_rows,)).copy())
        hi_b.append(np.broadcast_to(np.asarray(high, dtype=float), (n_rows,)).copy())
        r += n_rows

    block(ai, pair, 1.0, n_atoms, 1.0, 1.0)                                     # one part per atom
    block(np.concatenate([pair, pair]), np.concatenate([pair, ny0 + cj]),        # x_ij <= y_j
          np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]), n_pairs, -INF, 0.0)
    block(np.zeros(n_cand, dtype=np.int64), ny0 + np.arange(n_cand), 1.0, 1, k, k)  # k parts
    w = weight[ai].astype(float)
    band_lo_cols = [pair, ny0 + np.arange(n_cand)]
    band_lo_rows = [cj, np.arange(n_cand)]
    band_lo_vals = [w, -np.full(n_cand, float(lo))]
    band_hi_cols = [pair, ny0 + np.arange(n_cand)]
    band_hi_rows = [cj, np.arange(n_cand)]
    band_hi_vals = [w, -np.full(n_cand, float(hi))]
    if soft:
        band_lo_cols.append(nlo0 + np.arange(n_cand))
        band_lo_rows.append(np.arange(n_cand))
        band_lo_vals.append(np.ones(n_cand))
        band_hi_cols.append(nhi0 + np.arange(n_cand))
        band_hi_rows.append(np.arange(n_cand))
        band_hi_vals.append(-np.ones(n_cand))
    block(np.concatenate(band_lo_rows), np.concatenate(band_lo_cols), np.concatenate(band_lo_vals),
          n_cand, 0.0, INF)
    block(np.concatenate(band_hi_rows), np.concatenate(band_hi_cols), np.concatenate(band_hi_vals),
          n_cand, -INF, 0.0)
    # an open centre's own atom belongs to its part; a centre whose own atom it cannot take stays shut
    own = np.full(n_cand, -1)
    is_own = ai == cand_atom[cj]
    own[cj[is_own]] = pair[is_own]
    col_hi = np.ones(n_col)
    col_hi[n_pairs + n_cand:] = INF
    has_own = own >= 0
    col_hi[ny0 + np.flatnonzero(~has_own)] = 0.0
    idx = np.flatnonzero(has_own)
    block(np.concatenate([np.arange(idx.size), np.arange(idx.size)]),
          np.concatenate([own[idx], ny0 + idx]),
          np.concatenate([np.ones(idx.size), -np.ones(idx.size)]), idx.size, 0.0, INF)
    if int(has_own.sum()) < k:
        return replace(none, status="infeasible")

    col_lo = np.zeros(n_col)
    integer = np.zeros(n_col, dtype=bool)
    integer[:n_pairs + n_cand] = True
    c_cost = np.zeros(n_col)
    c_cost[:n_pairs] = cost[ai, cj]
    opts: dict[str, bool | int | float | str] = {"random_seed": int(seed)}

    def matrix(extra_rows: list[tuple[np.ndarray, np.ndarray]] | None = None) -> sp.csr_matrix:
        rr, cc, vv = list(rows), list(cols), list(vals)
        n_row = r
        for cols_e, vals_e in extra_rows or []:
            rr.append(np.full(cols_e.size, n_row))
            cc.append(cols_e)
            vv.append(vals_e)
            n_row += 1
        return sp.csr_matrix((np.concatenate(vv), (np.concatenate(rr), np.concatenate(cc))),
                             shape=(n_row, n_col))

    row_lo, row_hi = np.concatenate(lo_b), np.concatenate(hi_b)
    if not soft:
        res = solve_mip(c_cost, matrix(), row_lo, row_hi, col_lo, col_hi, integer,
                        time_limit=time_limit, options=opts, mip_rel_gap=mip_rel_gap)
        out = _read(res, ai, cj, n_atoms, n_pairs, ny0, n_cand, violation=0.0)
        if out.found:  # the cost of the rounded assignment (HiGHS's integrality tolerance aside)
            out = replace(out, cost=float(cost[np.arange(n_atoms), out.centre].sum()))
        return out

    pen = np.zeros(n_col)
    pen[:n_pairs] = over[ai, cj]  # type: ignore[index]
    pen[nlo0:] = 1.0

    def measured(res: MipResult) -> Assignment:
        out = _read(res, ai, cj, n_atoms, n_pairs, ny0, n_cand, violation=np.inf)
        if not out.found:
            return out
        return replace(out, cost=float(cost[np.arange(n_atoms), out.centre].sum()),
                       violation=violation_of(out.centre, weight, over, lo=lo, hi=hi))  # type: ignore[arg-type]

    first_x = None
    if violation_cap is None:  # 1) the fewest households against the rules
        first_opts = dict(opts)
        if violation_below is not None:
            first_opts["objective_bound"] = float(violation_below) - 0.5
        first = solve_mip(pen, matrix(), row_lo, row_hi, col_lo, col_hi, integer,
                          time_limit=time_limit, options=first_opts, mip_abs_gap=0.5)
        out = measured(first)
        if out.found and violation_below is not None and out.violation >= violation_below - 1e-9:
            return replace(none, status="infeasible")
        if first.x is None or not polish:
            return replace(out, bound=None)
        violation_cap = float(pen @ first.x)
        first_x = first.x
    # 2) with no more than that many, the least household-weighted distance
    a2 = matrix([(np.flatnonzero(pen), pen[pen != 0])])
    res = solve_mip(c_cost, a2, np.concatenate([row_lo, [-INF]]),
                    np.concatenate([row_hi, [violation_cap + 1e-6 * max(1.0, violation_cap)]]),
                    col_lo, col_hi, integer, time_limit=time_limit, start=first_x, options=opts,
                    mip_rel_gap=mip_rel_gap)
    return measured(res)


def violation_of(centre: np.ndarray, weight: np.ndarray, over: np.ndarray, *, lo: float,
                 hi: float) -> float:
    """Households placed against the rules by an assignment (atom -> centre column): those beyond
    the radius from their centre, plus each part's households below ``lo`` or above ``hi``."""
    rows = np.arange(centre.size)
    beyond = float(over[rows, centre].sum())
    load = np.bincount(centre, weights=weight)
    load = load[np.unique(centre)]
    return beyond + float(np.maximum(lo - load, 0).sum() + np.maximum(load - hi, 0).sum())


def _read(res: MipResult, ai: np.ndarray, cj: np.ndarray, n_atoms: int, n_pairs: int, ny0: int,
          n_cand: int, *, violation: float) -> Assignment:
    status = res.status
    x = res.x
    if x is None:
        return Assignment(np.full(n_atoms, -1), np.empty(0, dtype=np.int64), np.inf, np.inf,
                          "infeasible" if status == "infeasible" else "unknown")
    chosen = x[:n_pairs] > 0.5
    centre = np.full(n_atoms, -1, dtype=np.int64)
    centre[ai[chosen]] = cj[chosen]
    opened = np.flatnonzero(x[ny0:ny0 + n_cand] > 0.5)
    return Assignment(centre, opened, float(res.objective or 0.0), float(violation),
                      "optimal" if status == "optimal" else "time_limit", res.bound)
