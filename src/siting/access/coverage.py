"""Coverage: each household's network distance to the nearest facility of each type, who is inside a
walking circle, and the share of a community's households inside it.

``siting.network.nearest_distance`` (SciPy's compiled Dijkstra) does the distances: one multi-source
search per facility type (all facilities of the type at once), so the cost does not grow with the
number of facilities. pandas does the grouping. Written by hand: only the bookkeeping per type and the
rule that an unreachable household is missing (NaN), never 0, and counts as *not* covered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from siting.errors import Problems
from siting.network import nearest_distance

logger = logging.getLogger(__name__)


def nearest_by_type(
    net: Any,
    households_snapped: Any,
    facilities_gdf: pd.DataFrame,
    facilities_snapped: Any,
    *,
    types: Iterable[str] | None = None,
    index: pd.Index | None = None,
    cutoff_m: float | None = None,
    with_facility: bool = False,
) -> pd.DataFrame:
    """Network distance from every household to the nearest facility of each type.

    Parameters
    ----------
    net : siting.network.WalkNetwork
    households_snapped : siting.network.Snapped
        The households snapped to ``net`` (one row per household point).
    facilities_gdf : pandas.DataFrame
        Facilities with a ``type`` column, row-aligned with ``facilities_snapped``.
    facilities_snapped : siting.network.Snapped
    types : iterable of str, optional
        Types to report. A type without any facility gets an all-NaN column. Default: the types
        present in ``facilities_gdf``, sorted.
    index : pandas.Index, optional
        Index of the result (e.g. the households' ``household_id`` index). Default 0..k-1.
    cutoff_m : float, optional
        Leave distances beyond this missing (faster on large networks). Default: no cut-off.
    with_facility : bool, default False
        Also return ``nearest_<type>`` columns with the nearest facility's index label.

    Returns
    -------
    pandas.DataFrame
        ``dist_<type>_m`` per household: metres, NaN when no facility of the type is reachable
        (another network piece, beyond ``cutoff_m``, or no such facility at all).
    """
    problems = Problems(source="facilities")
    if "type" not in facilities_gdf.columns:
        problems.add("no `type` column", column="type",
                     fix="give every facility a type such as eldercare or fitness")
    if len(facilities_gdf) != len(facilities_snapped):
        problems.add(f"{len(facilities_gdf)} facilities but {len(facilities_snapped)} snapped points",
                     fix="snap exactly the facilities passed (net.snap(facilities))")
    problems.raise_if_any()
    k = len(households_snapped)
    if index is None:
        index = pd.RangeIndex(k)
    elif len(index) != k:
        raise ValueError(f"`index` has {len(index)} labels for {k} households")
    kinds = facilities_gdf["type"].astype("string").to_numpy(dtype=object, na_value=None)
    if types is None:
        types = sorted({t for t in kinds if t is not None})
    columns: dict[str, Any] = {}
    for kind in types:
        rows = np.flatnonzero(kinds == kind)
        dist, who = nearest_distance(net, households_snapped, facilities_snapped[rows],
                                     cutoff_m=cutoff_m)
        columns[f"dist_{kind}_m"] = dist
        if with_facility:
            labels = np.asarray(facilities_gdf.index[rows], dtype=object)
            columns[f"nearest_{kind}"] = np.where(who >= 0, labels[np.maximum(who, 0)] if rows.size
                                                  else None, None)
        if rows.size == 0:
            logger.info("no facility of type %s: its distances are missing", kind)
        else:
            missing = int(np.isnan(dist).sum())
            if missing:
                logger.info("%d of %d household points cannot reach any %s facility", missing, k, kind)
    return pd.DataFrame(columns, index=index)


def within_circle(dist_m: Any, limit_m: float) -> Any:
    """Whether each distance is within ``limit_m`` (inclusive); a missing distance is ``False``.

    Missing means unreachable: the household counts in the denominator of
    :func:`coverage_share` as *not* covered, never silently dropped.

    Parameters
    ----------
    dist_m : pandas.Series or array-like
    limit_m : float

    Returns
    -------
    pandas.Series of bool (same index) when given a Series, else a numpy bool array.
    """
    values = np.asarray(dist_m, dtype=np.float64)
    inside = np.isfinite(values) & (values <= float(limit_m))
    if isinstance(dist_m, pd.Series):
        return pd.Series(inside, index=dist_m.index, name=dist_m.name)
    return inside


def coverage_share(
    households_gdf: pd.DataFrame,
    within: pd.Series,
    *,
    by: str = "community_id",
    weight: str = "households",
    communities: pd.Index | None = None,
) -> pd.Series:
    """Share (0–1) of each community's households that are within the circle.

    Parameters
    ----------
    households_gdf : pandas.DataFrame
        Households with the ``by`` column (community id; None = outside every community, left out)
        and the ``weight`` column (households at the point; taken as 1 when the column is absent).
    within : pandas.Series of bool
        Aligned on ``households_gdf.index`` (as :func:`within_circle` returns). Missing → not within.
    by, weight : str
    communities : pandas.Index, optional
        Report exactly these communities (those without households get NaN).

    Returns
    -------
    pandas.Series
        Indexed by community id, named ``coverage``; NaN where a community has 0 households.
    """
    inside = _aligned_bool(within, households_gdf.index)
    share = weighted_mean_by(inside.astype(np.float64), households_gdf, by=by, weight=weight,
                             communities=communities)
    return share.rename("coverage")


def count_unreachable(
    households_gdf: pd.DataFrame,
    dist_m: pd.Series,
    *,
    by: str = "community_id",
    weight: str = "households",
    communities: pd.Index | None = None,
) -> pd.Series:
    """Households per community whose distance is missing (no reachable facility), for reports.

    These are the households :func:`coverage_share` counts as not covered because they cannot be
    reached, as opposed to those reached but too far. 0 where none; communities listed in
    ``communities`` without households get 0.
    """
    if by not in households_gdf.columns:
        _raise_missing(by)
    if isinstance(dist_m, pd.Series):
        missing = dist_m.reindex(households_gdf.index).isna()
    else:
        missing = pd.Series(np.isnan(np.asarray(dist_m, dtype=np.float64)), index=households_gdf.index)
    if weight in households_gdf.columns:
        w = pd.to_numeric(households_gdf[weight], errors="coerce").fillna(0.0).astype(float)
    else:
        w = pd.Series(1.0, index=households_gdf.index)
    keys = households_gdf[by]
    counts = (w * missing).groupby(keys[keys.notna()]).sum()
    if communities is not None:
        counts = counts.reindex(communities, fill_value=0.0)
    counts.index.name = by
    return counts.rename("unreachable_households")


def weighted_mean_by(
    values: pd.Series,
    households_gdf: pd.DataFrame,
    *,
    by: str = "community_id",
    weight: str = "households",
    communities: pd.Index | None = None,
) -> pd.Series:
    """Households-weighted mean of ``values`` per community (NaN values and zero weights left out).

    NaN where a community has no household with a value.
    """
    if by not in households_gdf.columns:
        _raise_missing(by)
    if isinstance(values, pd.Series):
        vals = values.reindex(households_gdf.index).astype(float)
    else:
        vals = pd.Series(np.asarray(values, dtype=np.float64), index=households_gdf.index)
    if weight in households_gdf.columns:
        w = pd.to_numeric(households_gdf[weight], errors="coerce").fillna(0.0).astype(float)
    else:
        w = pd.Series(1.0, index=households_gdf.index)
    ok = vals.notna() & (w > 0)
    frame = pd.DataFrame({"key": households_gdf[by], "wv": (vals * w).where(ok, 0.0),
                          "w": w.where(ok, 0.0)})
    frame = frame[frame["key"].notna()]
    sums = frame.groupby("key", sort=True)[["wv", "w"]].sum()
    mean = (sums["wv"] / sums["w"]).where(sums["w"] > 0)
    if communities is not None:
        mean = mean.reindex(communities)
    mean.index.name = by
    return mean


def _raise_missing(column: str) -> None:
    """Raise the InputError for a households table without ``column``."""
    problems = Problems(source="households")
    problems.add(f"no `{column}` column", column=column,
                 fix="assign households to communities first (siting.io.assign_communities)")
    problems.raise_if_any()


def _aligned_bool(within: Any, index: pd.Index) -> pd.Series:
    if isinstance(within, pd.Series):
        s = within.reindex(index)
    else:
        s = pd.Series(np.asarray(within), index=index)
    return s.fillna(False).astype(bool)
