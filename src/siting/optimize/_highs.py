"""One thin call into HiGHS (through ``highspy``) for every model.

HiGHS does all the solving (presolve, LP, branch-and-cut). This module only passes a model in
compressed-column form, an optional warm start, the time limit, and reads back the solution, the
proven dual bound and the status.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

INF = highspy.kHighsInf


def _quiet_first_highs() -> None:
    """Create the process's first ``Highs`` with standard output closed.

    highspy >= 1.16 prints its banner from C++ when the first instance is made, before
    ``output_flag`` can be set; in a CLI run that banner would land in the planner's output.
    """
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (some notebook kernels): nothing to protect
        highspy.Highs()
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_quiet_first_highs()


@dataclass(frozen=True)
class MipResult:
    """What HiGHS returned: ``status`` is ``optimal``, ``time_limit``, ``infeasible`` or ``unknown``."""

    status: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    runtime_s: float
    nodes: int
    #: For a pure LP solved to optimality: each column's reduced cost (HiGHS ``col_dual``), else None.
    reduced_cost: np.ndarray | None = None


def solve_mip(
    c: np.ndarray,
    a: sp.spmatrix,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    integer: np.ndarray | None,
    *,
    maximize: bool = False,
    time_limit: float | None = None,
    start: np.ndarray | None = None,
    mip_rel_gap: float = 1e-6,
    mip_abs_gap: float | None = None,
    offset: float = 0.0,
    options: dict[str, bool | int | float | str] | None = None,
) -> MipResult:
    """Solve ``min/max c·x + offset`` s.t. ``row_lo <= A x <= row_hi``, bounds, integrality.

    ``integer`` is a boolean mask of the integer columns (none → a pure LP). ``start`` is a full
    feasible column vector used as the incumbent (HiGHS ``setSolution``). ``mip_abs_gap``: stop
    when incumbent and bound are this close (below 1 when every feasible objective is an integer,
    so the rounded bound then proves the incumbent optimal). ``options``: further HiGHS options.
    """
    a = sp.csc_matrix(a, dtype=np.float64)
    a.sort_indices()
    n_row, n_col = a.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.asarray(c, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lo, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_hi, dtype=np.float64)
    lp.row_lower_ = np.asarray(row_lo, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_hi, dtype=np.float64)
    lp.offset_ = float(offset)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    is_mip = integer is not None and bool(np.any(integer))
    if integer is not None and is_mip:
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(f)] for f in np.asarray(integer, dtype=bool)]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if mip_abs_gap is not None:
        h.setOptionValue("mip_abs_gap", float(mip_abs_gap))
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 0.05))
    h.passModel(lp)
    if start is not None and is_mip:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    runtime = float(h.getRunTime())
    M = highspy.HighsModelStatus
    if ms == M.kOptimal:
        status = "optimal"
    elif ms in (M.kInfeasible,):
        status = "infeasible"
    elif ms == M.kTimeLimit:
        status = "time_limit"
    elif ms == M.kUnboundedOrInfeasible:
        status = "infeasible"
    else:
        status = "unknown"
    x = None
    objective = None
    reduced_cost = None
    # compare as int: highspy 1.16 returns an enum that no longer equals the plain 2
    if int(info.primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible):
        solution = h.getSolution()
        x = np.asarray(solution.col_value, dtype=np.float64)
        if not is_mip and status == "optimal":
            reduced_cost = np.asarray(solution.col_dual, dtype=np.float64)
        objective = float(info.objective_function_value)
        if start is not None and is_mip and not np.isclose(
                float(lp.col_cost_ @ x) + float(offset), objective, rtol=1e-7, atol=1e-6):
            # highspy 1.16 can hand back the warm start instead of the better plan it reports:
            # the columns then disagree with the objective. Solve again without the start.
            log.debug("HiGHS returned columns worth %g for objective %g; re-solving without the "
                      "warm start", float(lp.col_cost_ @ x) + float(offset), objective)
            return solve_mip(c, a, row_lo, row_hi, col_lo, col_hi, integer, maximize=maximize,
                             time_limit=time_limit, start=None, mip_rel_gap=mip_rel_gap,
                             mip_abs_gap=mip_abs_gap, offset=offset, options=options)
    bound: float | None
    if is_mip:
        bound = float(info.mip_dual_bound)
        if not np.isfinite(bound):
            bound = None
        if status == "optimal" and objective is not None and bound is None:
            bound = objective
        nodes = int(info.mip_node_count)
    else:
        bound = objective if status == "optimal" else None
        nodes = 0
    log.debug("HiGHS %s rows=%d cols=%d nnz=%d status=%s obj=%s bound=%s %.2fs", "MIP" if is_mip
              else "LP", n_row, n_col, a.nnz, status, objective, bound, runtime)
    return MipResult(status, x, objective, bound, runtime, nodes, reduced_cost)
