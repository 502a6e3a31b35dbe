"""Split proposals for oversized communities (POLICY.md "Split"; the ``split_proposals`` layer).

:func:`propose_splits` proposes, for every community breaking ``size.split``, parts within the
``size.urban`` household band and the ``size.split`` network radius, contiguous, compounds whole —
or, where no split meets the rules, the best proposal found, marked, with a warning. The pieces:
:mod:`~siting.split.atoms` (indivisible groups, candidate centres), :mod:`~siting.split.assign`
(the HiGHS model), :mod:`~siting.split.polygons` (Voronoi tiling, contiguity),
:mod:`~siting.split.propose` (the whole per community).
"""

from __future__ import annotations

from siting.split.assign import Assignment, assign_atoms, atom_matrices
from siting.split.atoms import Atoms, choose_candidates, make_atoms
from siting.split.propose import COLUMNS, SplitResult, empty_proposals, propose_splits

__all__ = [
    "COLUMNS",
    "Assignment",
    "Atoms",
    "SplitResult",
    "assign_atoms",
    "atom_matrices",
    "choose_candidates",
    "empty_proposals",
    "make_atoms",
    "propose_splits",
]
