"""Location models on a cost matrix, solved with HiGHS with proven bounds.

Rows of ``cost`` are demand points, columns candidate sites. A dense ``numpy`` array marks unreachable
pairs with NaN/inf; a ``scipy.sparse`` matrix by a missing entry (a stored zero is a real zero cost).
Every model returns a frozen :class:`Solution` with ``sites`` (sorted columns, fixed included),
``objective``, ``bound``, ``gap``, ``status`` and ``assignment``.

Conventions shared by the models:

- ``p`` counts **every** open site, the ``fixed`` ones included (as spopt does); ``p < len(fixed)``
  raises :class:`~siting.errors.InfeasibleError`. For "N new sites" pass ``p = len(fixed) + N``.
- Rows no column can reach are never silently dropped: they are listed in ``Solution.unreachable``
  (and ``uncovered``), and impossible requests raise ``InfeasibleError`` with the numbers.
- ``time_limit`` (seconds) bounds the whole call; the result then says ``status="time_limit"`` and
  still carries the best plan and the proven bound.

Heavy lifting: HiGHS through ``highspy`` (MIP/LP), ``scipy.sparse`` (model matrices), numpy
(heuristics written by hand in :mod:`siting.optimize.heuristics`).
"""

from __future__ import annotations

from siting.optimize.capacity import capacitated_coverage
from siting.optimize.center import p_center
from siting.optimize.coverage import max_coverage, set_cover
from siting.optimize.median import p_median
from siting.optimize.solution import Solution

__all__ = ["Solution", "capacitated_coverage", "max_coverage", "p_center", "p_median", "set_cover"]
