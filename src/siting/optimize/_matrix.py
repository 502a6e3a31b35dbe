"""Input checks and the one internal form of a cost matrix.

Every model turns its ``cost`` argument into a CSR matrix whose *stored* entries are exactly the
reachable (row, column) pairs — explicit zeros included, since a zero cost is a real zero distance —
using ``scipy.sparse``. Dense NaN/inf entries and missing sparse entries both mean unreachable.
Written by hand: only the validation (every problem collected, then one :class:`InputError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError, Problems


def as_reachable_csr(cost: Any, problems: Problems) -> sp.csr_matrix | None:
    """The reachable entries of ``cost`` as a CSR matrix of float64 (explicit zeros kept)."""
    if sp.issparse(cost):
        if cost.ndim != 2:
            problems.add("must be a 2-D matrix (rows = demand points, columns = candidate sites)",
                         column="cost")
            return None
        m = sp.csr_matrix(cost, dtype=np.float64, copy=True)
        m.sum_duplicates()
        data = m.data
        keep = np.isfinite(data)
        if not keep.all():  # NaN/inf stored sparsely also mean unreachable
            rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
            m = sp.csr_matrix((data[keep], (rows[keep], m.indices[keep])), shape=m.shape)
            # csr_matrix from COO drops nothing: explicit zeros survive
        bad = m.data < 0
    else:
        arr = np.asarray(cost, dtype=np.float64)
        if arr.ndim != 2:
            problems.add(
                f"must be a 2-D matrix (rows = demand points, columns = candidate sites); got "
                f"{arr.ndim} dimension(s)", column="cost",
                fix="pass a numpy array of shape (n_demand, n_candidates)")
            return None
        finite = np.isfinite(arr)
        rows, cols = np.nonzero(finite)
        m = sp.csr_matrix((arr[rows, cols], (rows, cols)), shape=arr.shape)
        bad = m.data < 0
    if bad.any():
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))[bad]
        problems.add(f"{int(bad.sum())} negative cost(s), first at row {int(rows[0])}",
                     column="cost", fix="costs are distances or times: use values >= 0")
    if m.shape[0] == 0 or m.shape[1] == 0:
        problems.add(f"is empty (shape {m.shape})", column="cost")
    m.sort_indices()
    return m


def check_weights(weights: Any, n: int, problems: Problems, name: str = "weights") -> np.ndarray:
    """Per-row weights (default 1), each finite and >= 0."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape[0] != n:
        problems.add(f"has {w.shape[0]} values for {n} rows", column=name,
                     fix="give one value per row of `cost`")
        return np.ones(n)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        problems.add(f"{int(bad.sum())} value(s) negative or not finite, first at row "
                     f"{int(np.flatnonzero(bad)[0])}", column=name, fix="use finite values >= 0")
        return np.ones(n)
    return w


def check_fixed(fixed: Any, m: int, problems: Problems) -> np.ndarray:
    """Sorted unique column indices that must be open."""
    if fixed is None:
        return np.zeros(0, dtype=np.int64)
    f = np.asarray(list(fixed) if not isinstance(fixed, np.ndarray) else fixed).ravel()
    if f.size == 0:
        return np.zeros(0, dtype=np.int64)
    if f.dtype == bool:
        if f.shape[0] != m:
            problems.add(f"boolean mask has {f.shape[0]} values for {m} columns", column="fixed")
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(f).astype(np.int64)
    if not np.issubdtype(f.dtype, np.integer):
        problems.add("must hold column indices (integers)", column="fixed")
        return np.zeros(0, dtype=np.int64)
    out = (f < 0) | (f >= m)
    if out.any():
        problems.add(f"column index {int(f[out][0])} is outside 0..{m - 1}", column="fixed")
        return np.zeros(0, dtype=np.int64)
    return np.unique(f.astype(np.int64))


def check_count(value: Any, problems: Problems, name: str, *, minimum: int = 0) -> int:
    """An integer argument such as ``p``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        problems.add(f"must be an integer, got {value!r}", column=name)
        return minimum
    if value < minimum:
        problems.add(f"must be >= {minimum}, got {value}", column=name)
        return minimum
    return int(value)


def check_radius(radius: Any, problems: Problems) -> float:
    try:
        r = float(radius)
    except (TypeError, ValueError):
        problems.add(f"must be a number, got {radius!r}", column="radius")
        return 0.0
    if not np.isfinite(r) or r < 0:
        problems.add(f"must be finite and >= 0, got {radius!r}", column="radius")
        return 0.0
    return r


def check_time_limit(time_limit: Any, problems: Problems) -> float | None:
    if time_limit is None:
        return None
    try:
        t = float(time_limit)
    except (TypeError, ValueError):
        problems.add(f"must be seconds (a number) or None, got {time_limit!r}", column="time_limit")
        return None
    if not t > 0:
        problems.add(f"must be > 0 seconds, got {time_limit!r}", column="time_limit")
        return None
    return t


def check_p(p: int, n_fixed: int, m: int, model: str) -> None:
    """Raise :class:`InfeasibleError` when ``p`` (open sites, fixed included) cannot be met."""
    if p < n_fixed:
        raise InfeasibleError(
            f"{model}: p = {p} open sites is fewer than the {n_fixed} fixed (existing) sites; "
            f"p counts every open site, fixed ones included: use p >= {n_fixed}")
    if p > m:
        raise InfeasibleError(f"{model}: p = {p} open sites but only {m} candidate columns exist")


def within(reach: sp.csr_matrix, radius: float) -> sp.csr_matrix:
    """Boolean CSR pattern of the reachable entries with cost <= ``radius`` (zeros kept)."""
    keep = reach.data <= radius
    rows = np.repeat(np.arange(reach.shape[0]), np.diff(reach.indptr))
    return sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=bool), (rows[keep], reach.indices[keep])), shape=reach.shape
    )


def row_groups(pattern: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group ``rows`` of ``pattern`` with identical column sets.

    Returns ``(representatives, group_of_each_row)``: the first row of each group and, for each entry
    of ``rows``, the position of its group in ``representatives``.
    """
    seen: dict[bytes, int] = {}
    reps: list[int] = []
    group = np.empty(rows.shape[0], dtype=np.int64)
    ip, ix = pattern.indptr, pattern.indices
    for k, r in enumerate(rows):
        key = ix[ip[r]:ip[r + 1]].tobytes()
        g = seen.get(key)
        if g is None:
            g = len(reps)
            seen[key] = g
            reps.append(int(r))
        group[k] = g
    return np.asarray(reps, dtype=np.int64), group


def describe_rows(rows: np.ndarray, limit: int = 5) -> str:
    """``"rows 3, 8, 11 and 4 more"``."""
    rows = np.asarray(rows)
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"row{'s' if rows.size != 1 else ''} {shown}{more}"


@dataclass(frozen=True)
class ModelInputs:
    """The checked arguments every model starts from (see :func:`check_model_inputs`)."""

    reach: sp.csr_matrix
    n: int
    m: int
    w: np.ndarray
    fx: np.ndarray
    p: int | None
    r: float | None
    tl: float | None
    deadline: float | None
    problems: Problems


def check_model_inputs(
    model: str, cost: Any, *, t0: float, weights: Any = None, fixed: Any = None,
    time_limit: Any = None, p: Any = None, p_minimum: int = 0, radius: Any = None,
    finish: bool = True,
) -> ModelInputs:
    """Check the arguments the models share, collecting every problem before raising.

    ``p`` and ``radius`` are checked only when given. With ``finish=False`` the caller checks its
    own extra arguments into ``problems`` and calls ``problems.raise_if_any()`` itself (and
    :func:`check_p` where it has a ``p``).
    """
    problems = Problems(source=f"siting.optimize.{model}")
    reach = as_reachable_csr(cost, problems)
    if reach is None:
        problems.raise_if_any()
    assert reach is not None
    n, m = reach.shape
    r = check_radius(radius, problems) if radius is not None else None
    w = check_weights(weights, n, problems)
    fx = check_fixed(fixed, m, problems)
    p_checked = check_count(p, problems, "p", minimum=p_minimum) if p is not None else None
    tl = check_time_limit(time_limit, problems)
    if finish:
        problems.raise_if_any()
        if p_checked is not None:
            check_p(p_checked, fx.size, m, model)
    return ModelInputs(reach=reach, n=n, m=m, w=w, fx=fx, p=p_checked, r=r, tl=tl,
                       deadline=None if tl is None else t0 + tl, problems=problems)
