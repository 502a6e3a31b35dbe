"""Two-step floating catchment accessibility (2SFCA), with distance decay (Gaussian, or E2SFCA zones).

numpy and SciPy's sparse matrices do the arithmetic: the two steps are two weighted ``bincount``s over
the stored entries of a demand × supply distance matrix (``siting.network.distance_matrix``), so the
cost is linear in the number of pairs within the catchment. Written by hand because the method is a
few lines once the matrix exists; the maintained Python implementation (pysal ``access``) wants a long
pandas table of every pair and would add a dependency for no gain.

Method (Luo & Wang 2003; enhanced with distance decay by Luo & Qi 2009, Gaussian by Dai 2010):

1. for each supply ``j``: ``R_j = S_j / sum_i D_i W(d_ij)`` over demand points within the catchment;
2. for each demand point ``i``: ``A_i = sum_j R_j W(d_ij)`` over supplies within the catchment.

``W`` is 1 within the catchment (``decay="none"``), the Gaussian
``(exp(-(d/d0)^2 / 2) - exp(-1/2)) / (1 - exp(-1/2))`` (``"gaussian"``, 1 at 0 and 0 at the catchment
``d0``), or a step per distance zone (``"zones"``, E2SFCA). ``A_i`` is supply per unit of demand (e.g.
beds per household). A missing matrix entry means unreachable and contributes nothing; a stored 0 is a
real distance of 0 (co-located points).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.access.coverage import weighted_mean_by
from siting.errors import Problems

logger = logging.getLogger(__name__)

#: E2SFCA default: three equal distance zones of the catchment with the "slow decay" weights of
#: Luo & Qi (2009) (verify against the paper before citing; pass ``zones=`` to use others).
DEFAULT_ZONE_WEIGHTS: tuple[float, float, float] = (1.00, 0.68, 0.22)


def gaussian_weight(dist_m: np.ndarray, catchment_m: float) -> np.ndarray:
    """Gaussian distance decay: 1 at 0 m, 0 at (and beyond) ``catchment_m`` (Dai 2010)."""
    d = np.asarray(dist_m, dtype=np.float64) / float(catchment_m)
    edge = np.exp(-0.5)
    w = (np.exp(-0.5 * d * d) - edge) / (1.0 - edge)
    return np.where(d <= 1.0, np.clip(w, 0.0, 1.0), 0.0)


def zone_weight(dist_m: np.ndarray, zones: Sequence[tuple[float, float]]) -> np.ndarray:
    """Step weights: ``zones`` = ``[(upper_m, weight), ...]`` with increasing ``upper_m``; 0 beyond."""
    d = np.asarray(dist_m, dtype=np.float64)
    uppers = np.array([z[0] for z in zones], dtype=np.float64)
    weights = np.append(np.array([z[1] for z in zones], dtype=np.float64), 0.0)
    return weights[np.searchsorted(uppers, d, side="left")]


def two_step_fca(
    dist: Any,
    demand: Any,
    supply: Any,
    *,
    catchment_m: float,
    decay: Literal["none", "gaussian", "zones"] = "none",
    zones: Sequence[tuple[float, float]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Accessibility of each demand point and supply-to-demand ratio of each supply (2SFCA / E2SFCA).

    Parameters
    ----------
    dist : scipy.sparse matrix or numpy.ndarray
        Demand × supply network distances in metres. Sparse: a missing entry = unreachable (explicit
        zeros are distances of 0). Dense: NaN or inf = unreachable.
    demand : array-like
        ``(n_demand,)`` demand at each point (households, residents or elderly), ≥ 0.
    supply : array-like
        ``(n_supply,)`` capacity of each supply point (beds, places, m²), ≥ 0.
    catchment_m : float
        Catchment size ``d0``: pairs farther apart do not interact.
    decay : {"none", "gaussian", "zones"}
        Distance decay within the catchment (module docstring).
    zones : sequence of (upper_m, weight), optional
        For ``decay="zones"``. Default: thirds of the catchment weighted
        :data:`DEFAULT_ZONE_WEIGHTS`. Upper bounds beyond ``catchment_m`` are cut at it.

    Returns
    -------
    access : numpy.ndarray
        ``(n_demand,)`` ``A_i``; 0 where no supply lies within the catchment (there is no access, the
        distance is not missing).
    ratio : numpy.ndarray
        ``(n_supply,)`` ``R_j``; NaN where no weighted demand lies within its catchment.
    """
    problems = Problems(source="two_step_fca")
    demand = np.asarray(demand, dtype=np.float64).ravel()
    supply = np.asarray(supply, dtype=np.float64).ravel()
    matrix = _as_csr(dist)
    n_d, n_s = matrix.shape
    if demand.size != n_d:
        problems.add(f"`demand` has {demand.size} values for {n_d} matrix rows",
                     fix="pass one demand value per row of `dist`")
    if supply.size != n_s:
        problems.add(f"`supply` has {supply.size} values for {n_s} matrix columns",
                     fix="pass one capacity per column of `dist`")
    for name, arr in (("demand", demand), ("supply", supply)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            problems.add(f"`{name}` has {int(bad.sum())} missing or negative values "
                         f"(first at position {int(np.flatnonzero(bad)[0])})",
                         fix="give every point a count or capacity ≥ 0")
    if not np.isfinite(catchment_m) or catchment_m <= 0:
        problems.add(f"`catchment_m`={catchment_m} must be a positive number of metres")
    if decay not in ("none", "gaussian", "zones"):
        problems.add(f"unknown decay {decay!r}", fix="use 'none', 'gaussian' or 'zones'")
    if decay == "zones" and zones is not None:
        uppers = [float(z[0]) for z in zones]
        if not uppers or any(b <= a for a, b in pairwise(uppers)) or uppers[0] <= 0:
            problems.add(f"zone upper bounds {uppers} must be positive and increasing")
        if any(not (0 <= float(z[1]) <= 1) for z in zones):
            problems.add("zone weights must lie between 0 and 1")
    problems.raise_if_any()

    rows = np.repeat(np.arange(n_d), np.diff(matrix.indptr))
    cols = matrix.indices
    d = matrix.data
    ok = np.isfinite(d) & (d <= catchment_m)
    rows, cols, d = rows[ok], cols[ok], d[ok]
    w = _weights(d, catchment_m, decay, zones)

    denom = np.bincount(cols, weights=demand[rows] * w, minlength=n_s)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(denom > 0, supply / denom, np.nan)
    contrib = np.where(np.isnan(ratio[cols]), 0.0, ratio[cols]) * w
    access = np.bincount(rows, weights=contrib, minlength=n_d)
    empty = int((denom <= 0).sum())
    if empty:
        logger.info("%d of %d supply points have no demand within %.0f m", empty, n_s, catchment_m)
    return access, ratio


def network_fca(
    net: Any,
    demand_points: Any,
    demand: Any,
    supply_points: Any,
    supply: Any,
    *,
    catchment_m: float,
    decay: Literal["none", "gaussian", "zones"] = "none",
    zones: Sequence[tuple[float, float]] | None = None,
    verbose: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`two_step_fca` on network distances (``siting.network.distance_matrix`` within the catchment).

    Parameters
    ----------
    net : siting.network.WalkNetwork
    demand_points, supply_points : siting.network.Snapped or points
        Households (or other demand) and facilities, snapped or to be snapped.
    demand, supply, catchment_m, decay, zones
        As in :func:`two_step_fca`.
    verbose : bool, optional
        Progress bar of the distance matrix.
    """
    from siting.network import distance_matrix

    matrix = distance_matrix(net, demand_points, supply_points, cutoff_m=catchment_m,
                             verbose=verbose)
    return two_step_fca(matrix, demand, supply, catchment_m=catchment_m, decay=decay, zones=zones)


def community_access(
    access: Any,
    households: pd.DataFrame,
    *,
    by: str = "community_id",
    weight: str = "households",
    communities: pd.Index | None = None,
) -> pd.Series:
    """Households-weighted mean accessibility per community (NaN for a community without households).

    ``access`` is aligned with ``households`` (a Series on its index, or an array in its row order).
    """
    return weighted_mean_by(access, households, by=by, weight=weight,
                            communities=communities).rename("access")


def _weights(d: np.ndarray, catchment_m: float, decay: str,
             zones: Sequence[tuple[float, float]] | None) -> np.ndarray:
    if decay == "none":
        return np.ones_like(d)
    if decay == "gaussian":
        return gaussian_weight(d, catchment_m)
    if zones is None:
        step = catchment_m / len(DEFAULT_ZONE_WEIGHTS)
        zones = [(step * (i + 1), wt) for i, wt in enumerate(DEFAULT_ZONE_WEIGHTS)]
        zones[-1] = (catchment_m, zones[-1][1])
    zones = [(min(float(u), catchment_m), float(wt)) for u, wt in zones]
    return zone_weight(d, zones)


def _as_csr(dist: Any) -> sp.csr_matrix:
    """CSR copy of ``dist``; a dense array keeps its zeros as distances and drops NaN/inf."""
    if sp.issparse(dist):
        return sp.csr_matrix(dist)
    arr = np.asarray(dist, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"`dist` must be 2-D (demand × supply), got shape {arr.shape}")
    r, c = np.nonzero(np.isfinite(arr))
    return sp.csr_matrix((arr[r, c], (r, c)), shape=arr.shape)
