"""The result every location model returns.

Plain data: a frozen dataclass filled by the model functions in :mod:`siting.optimize`. Nothing here
solves anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

#: Status values a :class:`Solution` may carry.
STATUSES = ("optimal", "time_limit", "heuristic")


@dataclass(frozen=True, eq=False)
class Solution:
    """A plan from one location model, with how far it may be from the best plan.

    Attributes
    ----------
    model : str
        ``"p_median"``, ``"max_coverage"``, ``"set_cover"``, ``"p_center"`` or
        ``"capacitated_coverage"``.
    sites : numpy.ndarray
        Sorted column indices of every open site, the ``fixed`` ones included.
    objective : float
        The model's objective for ``sites``, recomputed from the cost matrix (not the solver's figure).
    bound : float or None
        A proven bound on the optimum: a lower bound for minimisation models (``p_median``,
        ``set_cover``, ``p_center``, ``capacitated_coverage`` without ``p``), an upper bound for
        maximisation ones (``max_coverage``, ``capacitated_coverage`` with ``p``). None if none is known.
    gap : float or None
        ``|objective - bound| / |objective|`` (0 when both are 0); None without a bound.
    status : str
        ``"optimal"`` (the gap is closed to the solver's tolerance), ``"time_limit"`` (stopped by
        ``time_limit`` with a proven bound) or ``"heuristic"`` (no exact solve finished).
    assignment : numpy.ndarray
        Per row (demand point): the open column serving it, or -1 (unreachable, uncovered, or not
        needed). For split capacitated assignment, the column taking the largest share.
    sense : str
        ``"min"`` or ``"max"``.
    fixed : numpy.ndarray
        Sorted columns that were required to be open.
    new_sites : numpy.ndarray
        ``sites`` minus ``fixed``.
    unreachable : numpy.ndarray
        Rows no candidate column can reach at all (no finite cost), reported rather than dropped.
    uncovered : numpy.ndarray
        Rows the plan leaves unserved: outside every open site's radius (coverage models), without a
        reachable open site, or (capacitated) with unmet demand.
    covered_weight : float or None
        Weight (demand) the plan covers or serves, where the model has that notion.
    total_weight : float or None
        Total weight (demand) of all rows.
    runtime_s : float
        Wall-clock time of the whole call.
    details : dict
        Model-specific extras (e.g. ``allocation``, solver iterations, the radius used).
    """

    model: str
    sites: np.ndarray
    objective: float
    bound: float | None
    gap: float | None
    status: str
    assignment: np.ndarray
    sense: str = "min"
    fixed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    new_sites: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    unreachable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    uncovered: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    covered_weight: float | None = None
    total_weight: float | None = None
    runtime_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def allocation(self) -> sp.csr_matrix | None:
        """Capacitated models: demand sent from each row to each column (rows × columns), else None."""
        return self.details.get("allocation")


def relative_gap(objective: float, bound: float | None, sense: str) -> float | None:
    """``|objective - bound| / |objective|``, 0 when both are 0, never negative; None without a bound."""
    if bound is None or not np.isfinite(bound):
        return None
    diff = (objective - bound) if sense == "min" else (bound - objective)
    diff = max(float(diff), 0.0)
    if diff == 0.0:
        return 0.0
    return diff / max(abs(float(objective)), 1e-12)


def make_solution(
    *,
    model: str,
    sites: np.ndarray,
    objective: float,
    bound: float | None,
    status: str,
    assignment: np.ndarray,
    sense: str,
    fixed: np.ndarray,
    unreachable: np.ndarray,
    uncovered: np.ndarray,
    covered_weight: float | None,
    total_weight: float | None,
    runtime_s: float,
    details: dict[str, Any] | None = None,
    tol: float = 1e-4,
) -> Solution:
    """Build a :class:`Solution`, tightening the bound to the objective when within ``tol``."""
    sites = np.unique(np.asarray(sites, dtype=np.int64))
    fixed = np.unique(np.asarray(fixed, dtype=np.int64))
    if bound is not None:
        bound = float(bound)
        # a bound that passes the objective by solver rounding only is the objective itself
        slack = tol * max(1.0, abs(float(objective)))
        if sense == "min" and objective < bound <= objective + slack:
            bound = float(objective)
        if sense == "max" and objective - slack <= bound < objective:
            bound = float(objective)
    gap = relative_gap(objective, bound, sense)
    if status == "optimal" and gap is not None and gap > tol:
        status = "time_limit"
    return Solution(
        model=model,
        sites=sites,
        objective=float(objective),
        bound=bound,
        gap=gap,
        status=status,
        assignment=np.asarray(assignment, dtype=np.int64),
        sense=sense,
        fixed=fixed,
        new_sites=np.setdiff1d(sites, fixed),
        unreachable=np.asarray(unreachable, dtype=np.int64),
        uncovered=np.asarray(uncovered, dtype=np.int64),
        covered_weight=None if covered_weight is None else float(covered_weight),
        total_weight=None if total_weight is None else float(total_weight),
        runtime_s=float(runtime_s),
        details=dict(details or {}),
    )
