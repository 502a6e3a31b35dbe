"""Atoms: the indivisible pieces a community is split into, and the candidate part centres.

An atom is a group of household points that always goes to the same part:

* every compound (小区) — the points sharing a ``compound_id`` — is one atom, never cut;
* every other point is an atom of its own, as long as the community has at most ``max_atoms``;
* beyond that, loose points are merged per network node (the nearer end of the street they snap to),
  then, if still too many, atoms are merged per grid cell of growing size (compounds stay whole:
  a compound is merged, never divided).

Merging only removes freedom from the assignment; the radius test of the model stays exact, because
an atom's distance from a centre is the largest distance of any of its points (see
:mod:`siting.split.assign`). Candidate centres are the atoms' representative points (the point
nearest the atom's household-weighted centroid), thinned by farthest-point sampling from a seeded
start when there are more than ``max_candidates``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Atoms:
    """Household points grouped into atoms (arrays over the points, then over the atoms).

    Attributes
    ----------
    of_point : numpy.ndarray
        ``(n_points,)`` atom index of each point.
    weight : numpy.ndarray
        ``(n_atoms,)`` households of each atom.
    rep : numpy.ndarray
        ``(n_atoms,)`` index of the atom's representative point (nearest its weighted centroid).
    level : str
        How the atoms were formed: ``points``, ``nodes`` or ``grid <size> m``.
    """

    of_point: np.ndarray
    weight: np.ndarray
    rep: np.ndarray
    level: str

    @property
    def n(self) -> int:
        """Number of atoms."""
        return int(self.weight.size)


def _labels(keys: list[object]) -> np.ndarray:
    """Dense labels ``0..m-1`` in order of first appearance."""
    codes, _ = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    return codes.astype(np.int64)


def make_atoms(
    xy: np.ndarray,
    weight: np.ndarray,
    *,
    compound: np.ndarray | None = None,
    node: np.ndarray | None = None,
    max_atoms: int = 300,
) -> Atoms:
    """Group household points into atoms (module docstring).

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` point coordinates (metric CRS).
    weight : numpy.ndarray
        ``(n,)`` households per point.
    compound : numpy.ndarray, optional
        ``(n,)`` compound id per point (None/NaN/blank = not in a compound).
    node : numpy.ndarray, optional
        ``(n,)`` the network node each point is nearest (used to merge loose points).
    max_atoms : int
        Merge further while there are more atoms than this.

    Returns
    -------
    Atoms
    """
    n = len(weight)
    comp = [None] * n if compound is None else list(compound)
    comp_key = [None if (c is None or (isinstance(c, float) and np.isnan(c)) or str(c).strip() == "")
                else f"c:{c}" for c in comp]
    keys: list[object] = [k if k is not None else f"p:{i}" for i, k in enumerate(comp_key)]
    level = "points"
    of_point = _labels(keys)
    if of_point.max(initial=-1) + 1 > max_atoms and node is not None:
        keys = [k if k is not None else f"n:{int(node[i])}" for i, k in enumerate(comp_key)]
        of_point = _labels(keys)
        level = "nodes"
    size = 25.0
    while of_point.max(initial=-1) + 1 > max_atoms:
        centre = _weighted_centroids(xy, weight, of_point)
        cell = np.floor(centre / size).astype(np.int64)
        merged = _labels([(int(a), int(b)) for a, b in cell])
        of_point = merged[of_point]
        level = f"grid {size:.0f} m"
        size *= 1.25
    w = np.bincount(of_point, weights=weight, minlength=int(of_point.max(initial=-1) + 1))
    rep = _representatives(xy, weight, of_point)
    log.debug("%d points -> %d atoms (%s)", n, w.size, level)
    return Atoms(of_point=of_point, weight=w, rep=rep, level=level)


def _weighted_centroids(xy: np.ndarray, weight: np.ndarray, of_point: np.ndarray) -> np.ndarray:
    m = int(of_point.max(initial=-1) + 1)
    w = np.bincount(of_point, weights=weight, minlength=m)
    count = np.bincount(of_point, minlength=m).astype(float)
    use_w = w > 0
    # atoms with no households (should not happen: callers drop them) fall back to the plain mean
    ww = np.where(use_w[of_point], weight, 1.0)
    denom = np.where(use_w, w, count)
    cx = np.bincount(of_point, weights=ww * xy[:, 0], minlength=m) / denom
    cy = np.bincount(of_point, weights=ww * xy[:, 1], minlength=m) / denom
    return np.column_stack([cx, cy])


def _representatives(xy: np.ndarray, weight: np.ndarray, of_point: np.ndarray) -> np.ndarray:
    """Per atom, the point nearest its household-weighted centroid (lowest index on ties)."""
    centre = _weighted_centroids(xy, weight, of_point)
    d = np.hypot(*(xy - centre[of_point]).T)
    order = np.lexsort((np.arange(len(of_point)), d, of_point))
    first = np.ones(order.size, dtype=bool)
    first[1:] = of_point[order][1:] != of_point[order][:-1]
    rep = np.empty(int(of_point.max(initial=-1) + 1), dtype=np.int64)
    rep[of_point[order][first]] = order[first]
    return rep


def choose_candidates(xy: np.ndarray, *, max_candidates: int, seed: int = 0) -> np.ndarray:
    """Indices of the candidate centres among ``xy`` (the atoms' representative points).

    All of them when there are at most ``max_candidates``; otherwise a spread-out subset by
    farthest-point sampling, started from a point drawn with ``numpy.random.default_rng(seed)``.
    Returned sorted.
    """
    m = len(xy)
    if m <= max_candidates:
        return np.arange(m)
    rng = np.random.default_rng(seed)
    chosen = [int(rng.integers(m))]
    dmin = np.hypot(*(xy - xy[chosen[0]]).T)
    while len(chosen) < max_candidates:
        nxt = int(np.argmax(dmin))
        chosen.append(nxt)
        np.minimum(dmin, np.hypot(*(xy - xy[nxt]).T), out=dmin)
    return np.sort(np.asarray(chosen, dtype=np.int64))
