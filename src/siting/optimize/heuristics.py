"""Fast heuristics: good plans quickly, as warm starts for HiGHS and as answers beyond exact reach.

Written by hand in vectorised numpy/scipy.sparse because no installed library offers them on a cost
matrix: greedy construction followed by vertex substitution (Teitz & Bart 1968) evaluated in the
"fast interchange" way of Whitaker (1983) / Resende & Werneck (2004) — the profit of every
(site in, site out) swap from one pass over the matrix — for p-median and p-center; greedy + swap
for maximal coverage (plus an iterated local search, and restarts from randomised rounding of the LP
estimate); greedy + redundancy removal for set cover; greedy by capacity for capacitated coverage;
Lagrangian bounds with Lagrangian column fixing for p-median (subgradient optimisation) and maximal
coverage (a smoothed dual minimised by SciPy's L-BFGS-B). Every loop checks a deadline; random steps
are seeded.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

_BLOCK = 4_000_000  # matrix entries handled at once, to bound memory


def _two_closest(d: np.ndarray, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: distance to the closest open site, its position in ``sites``, the second distance."""
    sub = d[:, sites]
    n = d.shape[0]
    if sites.size == 1:
        return sub[:, 0].copy(), np.zeros(n, dtype=np.int64), np.full(n, np.inf)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    rows = np.arange(n)
    a, b = sub[rows, part[:, 0]], sub[rows, part[:, 1]]
    first = np.where(a <= b, part[:, 0], part[:, 1])
    return np.minimum(a, b), first.astype(np.int64), np.maximum(a, b)


def _blocks(n: int, m: int) -> list[slice]:
    step = max(1, _BLOCK // max(n, 1))
    return [slice(s, min(s + step, m)) for s in range(0, m, step)]


def pmedian_heuristic(
    d: np.ndarray,
    w: np.ndarray,
    p: int,
    fixed: np.ndarray,
    *,
    deadline: float | None = None,
    restarts: int = 30,
    seed: int = 0,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy + best-improvement vertex substitution for ``min sum_i w_i min_{j in S} d_ij``.

    ``d`` is dense with every entry finite (unreachable entries replaced by a large cost). After the
    first local optimum, an iterated local search perturbs 1–3 sites and descends again, stopping
    after ``restarts`` perturbations without improvement (seeded: the same input gives the same plan).
    ``start`` (a plan, fixed columns included) replaces the greedy construction.
    """
    n, m = d.shape
    blocks = _blocks(n, m)
    if start is not None:
        sites = np.sort(np.asarray(start))
        if p >= m or np.isin(sites, fixed).all():
            return sites
        sites = _pmedian_swaps(d, w, sites, fixed, blocks, deadline)
    else:
        is_open = np.zeros(m, dtype=bool)
        is_open[fixed] = True
        cur = d[:, fixed].min(axis=1) if fixed.size else np.full(n, d.max() * 2 + 1)
        while is_open.sum() < p:  # greedy: add the site that saves most
            gain = np.empty(m)
            for b in blocks:
                gain[b] = (w[:, None] * np.maximum(cur[:, None] - d[:, b], 0.0)).sum(axis=0)
            gain[is_open] = -np.inf
            j = int(np.argmax(gain))
            is_open[j] = True
            cur = np.minimum(cur, d[:, j])
        sites = np.flatnonzero(is_open)
        if p >= m or np.isin(sites, fixed).all():
            return sites
        sites = _pmedian_swaps(d, w, sites, fixed, blocks, deadline)
    best_cost = float(w @ d[:, sites].min(axis=1))
    # iterated local search: perturb a few sites, descend again, keep the best plan
    rng = np.random.default_rng(seed)
    movable_all = np.setdiff1d(np.arange(m), fixed)
    stale = 0
    while stale < restarts and (deadline is None or time.perf_counter() < deadline):
        cand = sites.copy()
        mov = np.flatnonzero(~np.isin(cand, fixed))
        q = max(1, min(mov.size // 4, 1 + int(rng.integers(3))))
        out = rng.choice(mov, size=q, replace=False)
        closed = np.setdiff1d(movable_all, cand)
        if closed.size < q:
            break
        cand[out] = rng.choice(closed, size=q, replace=False)
        cand = _pmedian_swaps(d, w, np.sort(cand), fixed, blocks, deadline)
        c = float(w @ d[:, cand].min(axis=1))
        if c < best_cost - 1e-9 * max(best_cost, 1.0):
            best_cost, sites, stale = c, cand, 0
        else:
            stale += 1
    return sites


def _pmedian_swaps(
    d: np.ndarray, w: np.ndarray, sites: np.ndarray, fixed: np.ndarray, blocks: list[slice],
    deadline: float | None,
) -> np.ndarray:
    """Best-improvement vertex substitution from ``sites`` until no swap improves."""
    n, m = d.shape
    is_open = np.zeros(m, dtype=bool)
    is_open[sites] = True
    movable = ~np.isin(sites, fixed)
    while deadline is None or time.perf_counter() < deadline:
        d1, c1, d2 = _two_closest(d, sites)
        total = float(w @ d1)
        ind = sp.csr_matrix((np.ones(n), (np.arange(n), c1)), shape=(n, sites.size))
        best, best_j, best_r = 0.0, -1, -1
        for b in blocks:
            db = d[:, b]
            gain_in = (w[:, None] * np.maximum(d1[:, None] - db, 0.0)).sum(axis=0)
            term = w[:, None] * (np.minimum(db, d2[:, None]) - np.minimum(db, d1[:, None]))
            loss = np.asarray((ind.T @ term).T)  # (block, k): extra cost of closing site r
            profit = gain_in[:, None] - loss
            profit[is_open[b], :] = -np.inf
            profit[:, ~movable] = -np.inf
            jr = np.unravel_index(int(np.argmax(profit)), profit.shape)
            if profit[jr] > best:
                best, best_j, best_r = float(profit[jr]), int(jr[0]) + b.start, int(jr[1])
        if best_j < 0 or best <= 1e-9 * max(total, 1.0):
            break
        is_open[sites[best_r]] = False
        is_open[best_j] = True
        sites = np.flatnonzero(is_open)
        movable = ~np.isin(sites, fixed)
    return sites


def pcenter_heuristic(
    dw: np.ndarray, p: int, fixed: np.ndarray, *, deadline: float | None = None
) -> np.ndarray:
    """Greedy + vertex substitution for ``min max_i min_{j in S} dw_ij`` (``dw`` already weighted).
    Past the ``deadline`` the greedy pass stops too: the plan may then have fewer than ``p`` sites."""
    n, m = dw.shape
    is_open = np.zeros(m, dtype=bool)
    is_open[fixed] = True
    cur = dw[:, fixed].min(axis=1) if fixed.size else np.full(n, dw.max() * 2 + 1)
    blocks = _blocks(n, m)
    while is_open.sum() < p:
        if deadline is not None and time.perf_counter() > deadline and is_open.any():
            return np.flatnonzero(is_open)
        score = np.empty(m)
        for b in blocks:  # new max, then new sum as a tie-break
            nb = np.minimum(cur[:, None], dw[:, b])
            score[b] = nb.max(axis=0) * (1 + 1e-9) + nb.sum(axis=0) * 1e-12
        score[is_open] = np.inf
        j = int(np.argmin(score))
        is_open[j] = True
        cur = np.minimum(cur, dw[:, j])
    sites = np.flatnonzero(is_open)
    movable = ~np.isin(sites, fixed)
    if not movable.any() or p >= m:
        return sites
    while deadline is None or time.perf_counter() < deadline:
        d1, c1, d2 = _two_closest(dw, sites)
        k = sites.size
        now = float(d1.max())
        order = np.argsort(c1, kind="stable")
        starts = np.searchsorted(c1[order], np.arange(k))
        present = np.bincount(c1, minlength=k) > 0
        best, best_j, best_r = now, -1, -1
        for b in blocks:
            db = dw[order, b]
            a = np.minimum(db, d1[order, None])
            bb = np.minimum(db, d2[order, None])
            amax = np.full((k, a.shape[1]), -np.inf)
            bmax = np.full((k, a.shape[1]), -np.inf)
            idx = starts[present]
            amax[present] = np.maximum.reduceat(a, idx, axis=0)
            bmax[present] = np.maximum.reduceat(bb, idx, axis=0)
            top = np.argmax(amax, axis=0)
            top1 = amax[top, np.arange(a.shape[1])]
            tmp = amax.copy()
            tmp[top, np.arange(a.shape[1])] = -np.inf
            top2 = tmp.max(axis=0)
            others = np.where(np.arange(k)[:, None] == top[None, :], top2[None, :], top1[None, :])
            new = np.maximum(bmax, others)  # (k, block): max after swapping r out, j in
            new[:, is_open[b]] = np.inf
            new[~movable, :] = np.inf
            rj = np.unravel_index(int(np.argmin(new)), new.shape)
            if new[rj] < best - 1e-12 * max(abs(best), 1.0):
                best, best_r, best_j = float(new[rj]), int(rj[0]), int(rj[1]) + b.start
        if best_j < 0:
            break
        is_open[sites[best_r]] = False
        is_open[best_j] = True
        sites = np.flatnonzero(is_open)
        movable = ~np.isin(sites, fixed)
    return sites


def coverage_heuristic(
    a: sp.csr_matrix, w: np.ndarray, p: int, fixed: np.ndarray, *, deadline: float | None = None
) -> np.ndarray:
    """Greedy + best-improvement swap for maximal covering (``a``: rows × columns, True = covers)."""
    n, m = a.shape
    a = sp.csr_matrix(a, dtype=np.float64)
    at = sp.csr_matrix(a.T)
    is_open = np.zeros(m, dtype=bool)
    is_open[fixed] = True
    cnt = np.zeros(n, dtype=np.int64)
    for j in fixed:
        cnt[at.indices[at.indptr[j]:at.indptr[j + 1]]] += 1
    gain = at @ (w * (cnt == 0))
    while is_open.sum() < p:
        g = np.where(is_open, -np.inf, gain)
        j = int(np.argmax(g))
        is_open[j] = True
        rows = at.indices[at.indptr[j]:at.indptr[j + 1]]
        new = rows[cnt[rows] == 0]
        cnt[rows] += 1
        if new.size:
            gain -= a[new].T @ w[new]
    sites = np.flatnonzero(is_open)
    if p >= m or np.isin(sites, fixed).all():
        return sites
    return _coverage_swaps(a, at, w, sites, fixed, deadline)


def _coverage_value(a: sp.csr_matrix, w: np.ndarray, sites: np.ndarray) -> float:
    return float(w[np.diff(a[:, sites].tocsr().indptr) > 0].sum())


def coverage_improve(
    a: sp.csr_matrix,
    w: np.ndarray,
    sites: np.ndarray,
    fixed: np.ndarray,
    *,
    deadline: float | None = None,
    restarts: int = 10,
    seed: int = 0,
) -> np.ndarray:
    """Iterated local search for maximal covering: close a few random sites, refill greedily, swap.

    Keeps the best plan; stops after ``restarts`` perturbations without improvement or at ``deadline``.
    """
    # (a: rows × columns coverage pattern)
    a = sp.csr_matrix(a, dtype=np.float64)
    at = sp.csr_matrix(a.T)
    rng = np.random.default_rng(seed)
    sites = _coverage_swaps(a, at, w, np.asarray(sites), fixed, deadline)
    best = _coverage_value(a, w, sites)
    stale = 0
    while stale < restarts and (deadline is None or time.perf_counter() < deadline):
        mov = sites[~np.isin(sites, fixed)]
        if mov.size == 0:
            break
        q = max(1, min(mov.size // 5, 1 + int(rng.integers(4))))
        keep = np.setdiff1d(sites, rng.choice(mov, size=q, replace=False))
        cand = coverage_heuristic(a, w, sites.size, keep, deadline=deadline)
        cand = _coverage_swaps(a, at, w, cand, fixed, deadline)
        v = _coverage_value(a, w, cand)
        if v > best + 1e-9 * max(best, 1.0):
            best, sites, stale = v, cand, 0
        else:
            stale += 1
    return sites


def coverage_restarts(
    a: sp.csr_matrix,
    w: np.ndarray,
    sites: np.ndarray,
    fixed: np.ndarray,
    y: np.ndarray,
    *,
    deadline: float | None = None,
    restarts: int = 10,
    seed: int = 0,
) -> np.ndarray:
    """LP-guided restarts for maximal covering: draw the free sites with probabilities ``y`` (the LP's
    column values, e.g. from :func:`coverage_lagrangian`), improve by swaps, keep the best plan.

    Randomised rounding gives starts spread over the plans the LP favours; from them best-improvement
    swaps reach local optima the iterated local search does not (on the county benchmark 3 of 8 such
    starts beat 55 s of iterated local search). Stops at ``deadline`` or, without one, after
    ``restarts`` starts. Seeded.
    """
    a = sp.csr_matrix(a, dtype=np.float64)
    at = sp.csr_matrix(a.T)
    m = a.shape[1]
    rng = np.random.default_rng(seed)
    best_sites = np.asarray(sites)
    free = np.setdiff1d(np.arange(m), fixed)
    q = best_sites.size - fixed.size
    if q <= 0 or free.size <= q:
        return best_sites
    prob = np.maximum(np.asarray(y, dtype=np.float64)[free], 1e-9)
    prob /= prob.sum()
    best = _coverage_value(a, w, best_sites)
    done = 0
    while (deadline is None and done < restarts) or (deadline is not None
                                                     and time.perf_counter() < deadline):
        start = np.union1d(fixed, rng.choice(free, size=q, replace=False, p=prob))
        cand = _coverage_swaps(a, at, w, start, fixed, deadline)
        v = _coverage_value(a, w, cand)
        if v > best + 1e-9 * max(best, 1.0):
            best, best_sites = v, cand
        done += 1
    return best_sites


def _coverage_swaps(
    a: sp.csr_matrix, at: sp.csr_matrix, w: np.ndarray, sites: np.ndarray, fixed: np.ndarray,
    deadline: float | None,
) -> np.ndarray:
    """Best-improvement (in, out) swaps for maximal covering until none improves."""
    n, m = a.shape
    is_open = np.zeros(m, dtype=bool)
    is_open[sites] = True
    movable = ~np.isin(sites, fixed)
    while deadline is None or time.perf_counter() < deadline:
        pos = np.full(m, -1)
        pos[sites] = np.arange(sites.size)
        sub = a[:, sites]
        cnt = np.diff(sub.indptr)
        gain_in = at @ (w * (cnt == 0))
        once = np.flatnonzero(cnt == 1)
        owner = sub.indices[sub.indptr[once]]  # position in `sites` of the only coverer
        loss = np.bincount(owner, weights=w[once], minlength=sites.size)
        c = sp.csr_matrix((w[once], (once, owner)), shape=(n, sites.size))
        corr = (at @ c).toarray()
        profit = gain_in[:, None] - loss[None, :] + corr
        profit[is_open, :] = -np.inf
        profit[:, ~movable] = -np.inf
        j, r = np.unravel_index(int(np.argmax(profit)), profit.shape)
        if profit[j, r] <= 1e-9 * max(float(w.sum()), 1.0):
            break
        is_open[sites[r]] = False
        is_open[j] = True
        sites = np.flatnonzero(is_open)
        movable = ~np.isin(sites, fixed)
    return sites


def cover_heuristic(
    a: sp.csr_matrix, required: np.ndarray, fixed: np.ndarray, site_cost: np.ndarray
) -> np.ndarray | None:
    """Greedy set cover of the ``required`` rows, then drop redundant new sites; None if impossible."""
    m = a.shape[1]
    a = sp.csr_matrix(a, dtype=np.float64)
    at = sp.csr_matrix(a.T)
    need = required.astype(bool).copy()
    for j in fixed:
        need[at.indices[at.indptr[j]:at.indptr[j + 1]]] = False
    chosen: list[int] = []
    is_open = np.zeros(m, dtype=bool)
    is_open[fixed] = True
    count = at @ need.astype(np.float64)
    while need.any():
        ratio = np.where(is_open | (count <= 0), -np.inf, count / np.maximum(site_cost, 1e-12))
        j = int(np.argmax(ratio))
        if not np.isfinite(ratio[j]):
            return None
        chosen.append(j)
        is_open[j] = True
        rows = at.indices[at.indptr[j]:at.indptr[j + 1]]
        new = rows[need[rows]]
        need[new] = False
        if new.size:
            count -= at[:, new] @ np.ones(new.size)
    # redundancy removal: most expensive / least useful first
    cover = np.asarray(a[:, np.flatnonzero(is_open)].sum(axis=1)).ravel()
    for j in sorted(chosen, key=lambda j: (-site_cost[j], j)):
        rows = at.indices[at.indptr[j]:at.indptr[j + 1]]
        rows = rows[required[rows]]
        if np.all(cover[rows] >= 2):
            is_open[j] = False
            cover[rows] -= 1
    return np.flatnonzero(is_open)


def capacity_greedy(
    pi: np.ndarray,
    pj: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    fixed: np.ndarray,
    *,
    target: float,
    p: int | None = None,
) -> np.ndarray:
    """Greedy plan for capacitated coverage: open the site that can take the most unplaced demand.

    ``(pi, pj)`` are the (row, column) pairs within the radius, ``demand`` per row, ``capacity`` per
    column. Fixed sites are filled first; then, until ``target`` demand is placed (or ``p`` sites are
    open), the closed site whose ``min(capacity, unplaced demand within reach)`` is largest opens and
    takes demand, rows with the fewest sites in reach first. Returns the open columns (sorted); the
    placement itself is left to a transport LP, which can only place more.
    """
    m = capacity.size
    k = demand.size
    pattern = sp.csr_matrix((np.ones(pi.size), (pj, pi)), shape=(m, k))  # columns × rows
    reach_count = np.bincount(pi, minlength=k)
    left = demand.astype(np.float64).copy()
    room = capacity.astype(np.float64).copy()
    is_open = np.zeros(m, dtype=bool)
    placed = 0.0

    def fill(j: int) -> float:
        rows = pattern.indices[pattern.indptr[j]:pattern.indptr[j + 1]]
        done = 0.0
        for i in rows[np.argsort(reach_count[rows], kind="stable")]:
            if room[j] <= 0:
                break
            take = min(left[i], room[j])
            left[i] -= take
            room[j] -= take
            done += take
        return done

    for j in fixed:
        is_open[j] = True
        placed += fill(int(j))
    while placed < target and (p is None or is_open.sum() < p):
        gain = np.minimum(room, pattern @ left)
        gain[is_open] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 1e-9:
            break
        is_open[j] = True
        placed += fill(j)
    return np.flatnonzero(is_open)


def coverage_lagrangian(
    a: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    fixed: np.ndarray,
    lower: float,
    *,
    deadline: float | None = None,
    iterations: int = 200,
) -> tuple[float, np.ndarray, float, np.ndarray, np.ndarray, np.ndarray]:
    """Lagrangian upper bound for maximal covering, from a smoothed dual minimised by L-BFGS-B.

    Relaxing ``x_i <= Σ_{j∈N_i} y_j`` with multipliers ``0 <= λ_i <= w_i`` leaves

        L(λ) = Σ_i (w_i − λ_i) + Σ_{j fixed} c_j + (sum of the q = p − |fixed| largest free c_j),
        c_j = Σ_{i∈N_j} λ_i,

    a valid upper bound for every such ``λ`` (the LP bound at best). ``L`` is convex but not smooth,
    and subgradient steps approach its minimum slowly (3,000 steps stopped 1.2 % above the LP bound
    on the county benchmark). Written as ``min Σ(w − λ) + Σ_F c_j + qθ + Σ_free (c_j − θ)⁺`` and with
    ``(·)⁺`` replaced by ``T·log(1 + e^{·/T})``, it is smooth: SciPy's L-BFGS-B minimises it over
    ``(λ, θ)`` for a falling temperature ``T``, each stage warm-started from the last (within 0.02 %
    of the LP bound there in 26 s). Only the exact ``L(λ)`` at a stage's end is reported as a bound.

    Each stage's top columns are also a plan. Returns ``(best bound, best plan's sites, best plan's
    covered weight, closed, opened, y)``: Lagrangian fixing, valid for every ``λ`` — a plan covering
    more than ``lower`` (or the best plan seen) never opens a ``closed`` column and always opens an
    ``opened`` one; ``y`` is the last stage's ``∂/∂c_j`` (σ((c_j − θ)/T) for free columns, 1 for
    fixed ones), an estimate of the LP's column values that sums to ``p`` (for LP-guided plans).
    ``iterations`` caps the L-BFGS-B iterations of each stage.
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    k, m = a.shape
    af = sp.csr_matrix(a, dtype=np.float64)
    at = sp.csr_matrix(af.T)
    free = np.setdiff1d(np.arange(m), fixed)
    is_free = np.zeros(m, dtype=bool)
    is_free[free] = True
    q = p - fixed.size
    best_ub = np.inf
    best_sites = fixed
    best_lb = -np.inf
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    if q <= 0 or free.size <= q:  # nothing to choose: the plan is forced, its value is the bound
        sites = np.union1d(fixed, free) if q > 0 else fixed
        val = _coverage_value(af, w, sites)
        y = np.zeros(m)
        y[sites] = 1.0
        return val, sites, val, closed, opened, y
    scale = 10.0 * float(w.mean()) if k else 1.0

    def exact(lam: np.ndarray) -> np.ndarray:
        """The bound, plan and fixing of one ``λ``; returns its column sums ``c``."""
        nonlocal best_ub, best_sites, best_lb
        c = at @ lam
        pick = free[np.argpartition(-c[free], q - 1)[:q]] if q < free.size else free
        sites = np.union1d(fixed, pick)
        ub = float((w - lam).sum() + c[sites].sum())
        if q < free.size:
            ref = max(lower, best_lb) + 1e-9 * max(abs(ub), 1.0)
            worst_in = float(c[pick].min())
            rest = np.setdiff1d(free, pick)
            best_out = float(c[rest].max())
            closed[rest[ub - worst_in + c[rest] < ref]] = True
            opened[pick[ub - c[pick] + best_out < ref]] = True
        val = _coverage_value(af, w, sites)
        if val > best_lb:
            best_lb, best_sites = val, sites
        best_ub = min(best_ub, ub)
        return c

    def stop_at_deadline(_: object) -> None:
        if deadline is not None and time.perf_counter() > deadline:
            raise StopIteration

    lam = 0.5 * w
    c0 = exact(lam)
    z = np.r_[lam, np.sort(c0[free])[-q]]
    bounds = np.c_[np.r_[np.zeros(k), -np.inf], np.r_[w, np.inf]]
    for tau in (0.1, 0.03, 0.01, 0.003, 0.001):
        temp = tau * scale

        def smoothed(zz: np.ndarray, temp: float = temp) -> tuple[float, np.ndarray]:
            lam, theta = zz[:k], zz[k]
            c = at @ lam
            s = (c[is_free] - theta) / temp
            val = (float((w - lam).sum()) + float(c[~is_free].sum()) + q * theta
                   + temp * float(np.logaddexp(0.0, s).sum()))
            share = np.ones(m)  # d val / d c_j: σ for free columns, 1 for fixed ones
            share[is_free] = expit(s)
            grad = np.r_[af @ share - 1.0, q - float(share[is_free].sum())]
            return val, grad

        res = minimize(smoothed, z, jac=True, method="L-BFGS-B", bounds=bounds,
                       callback=stop_at_deadline, options={"maxiter": iterations, "maxcor": 10})
        z = res.x
        c = exact(np.clip(z[:k], 0.0, w))  # (L-BFGS-B keeps λ in bounds: the clip only guards)
        y_lp = np.ones(m)
        y_lp[is_free] = expit((c[is_free] - z[k]) / temp)
        if deadline is not None and time.perf_counter() > deadline:
            break
        if best_ub - max(lower, best_lb) <= 1e-9 * max(best_ub, 1.0):
            break
    return best_ub, best_sites, best_lb, closed, opened, y_lp


def pmedian_lagrangian(
    d: np.ndarray,
    w: np.ndarray,
    p: int,
    fixed: np.ndarray,
    upper: float,
    *,
    deadline: float | None = None,
    iterations: int = 1000,
    integral: bool = False,
    lam0: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray | None, float, np.ndarray]:
    """Lagrangian lower bound for the p-median (assignment rows relaxed; Beasley 1993).

    ``L(λ) = Σ_i λ_i + Σ_{j∈S} ρ_j`` with ``ρ_j = Σ_i min(0, w_i d_ij − λ_i)`` and ``S`` the fixed
    columns plus the ``p − |fixed|`` most negative ``ρ_j``: a valid lower bound for every ``λ``,
    maximised by subgradient steps (Polyak, towards ``upper``). ``d`` is dense and finite.

    Also returns Lagrangian fixing (valid for every ``λ``, so accumulated over the iterations):
    ``closed[j]`` when any plan opening ``j`` costs at least ``upper`` (swap ``j`` into ``S``), and
    ``opened[j]`` when any plan without ``j`` costs at least ``upper``. A plan better than ``upper``
    therefore never opens a ``closed`` column and always opens an ``opened`` one.

    With ``integral`` (integer weights and costs: every plan costs an integer) a plan better than
    ``upper`` costs at most ``upper − 1``, which sharpens the fixing, and the search stops as soon as
    the bound rounded up reaches ``upper`` (the plan at ``upper`` is then optimal).

    Every subproblem's ``S`` is also a plan (Beasley 1993): the cheapest one, when cheaper than
    ``upper``, replaces it (a lower ``upper`` keeps earlier fixing valid and sharpens the rest).
    ``lam0`` warm-starts the multipliers (e.g. from an earlier call, with smaller steps).

    Returns ``(bound, closed, opened, plan, upper, lam)``: ``plan`` is the cheapest subproblem plan
    if it beat the given ``upper`` (else None), ``upper`` the final one (what the fixing is valid
    against), ``lam`` the multipliers of the best bound.
    """
    m = d.shape[1]
    wd = w[:, None] * d
    if lam0 is None:
        lam = np.partition(wd, min(1, m - 1), axis=1)[:, min(1, m - 1)].copy()
        mu = 2.0
    else:
        lam, mu = lam0.astype(np.float64, copy=True), 0.25
    best_lam = lam
    is_free = np.ones(m, dtype=bool)
    is_free[fixed] = False
    free = np.flatnonzero(is_free)
    q = p - fixed.size
    best = -np.inf
    stall = 0
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    slack = 1e-9 * max(abs(upper), 1.0)
    plan: np.ndarray | None = None

    def target_of(u: float) -> float:  # plans better than `u` cost at most this
        return u - 1.0 + 1e-6 * max(abs(u), 1.0) if integral else u

    target = target_of(upper)
    red = np.empty_like(wd)
    checkpoint = -np.inf
    for it in range(iterations):
        if deadline is not None and time.perf_counter() > deadline:
            break
        if it == 1 and lam0 is not None:
            checkpoint = best  # warm start: progress is measured from the bound at lam0
        if it and it % 100 == 0:
            # stalled: the last 100 steps closed less than 1 % of the gap left
            if best - checkpoint < 0.01 * (upper - best):
                break
            checkpoint = best
        np.subtract(wd, lam[:, None], out=red)
        np.minimum(red, 0.0, out=red)
        rho = red.sum(axis=0)
        if 0 < q < free.size:
            part = np.argpartition(rho[free], q - 1)
            pick, rest = free[part[:q]], free[part[q:]]
        else:
            pick, rest = (free, free[:0]) if q > 0 else (free[:0], free)
        sites = np.concatenate([fixed, pick])
        val = float(lam.sum() + rho[sites].sum())
        cost = float(wd[:, sites].min(axis=1).sum())
        if cost < upper - slack:
            upper, plan, target = cost, np.sort(sites), target_of(cost)
        if q > 0 and rest.size:
            worst_in = float(rho[pick].max())
            best_out = float(rho[rest].min())
            closed[rest[val + rho[rest] - worst_in > target + slack]] = True
            opened[pick[val - rho[pick] + best_out > target + slack]] = True
        if val > best + 1e-9 * max(abs(best), 1.0) if np.isfinite(best) else True:
            best, stall, best_lam = val, 0, lam
        else:
            stall += 1
            if stall >= 20:
                mu, stall = mu / 2, 0
        g = 1.0 - (red[:, sites] < 0).sum(axis=1)
        norm = float(g @ g)
        if norm == 0 or target - best <= slack or mu < 1e-4:
            break
        lam = lam + mu * (upper - val) / norm * g
    return best, closed, opened, plan, upper, best_lam
