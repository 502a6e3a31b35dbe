"""Which community each household point lies in.

geopandas does the spatial join (:func:`geopandas.sjoin`, an STRtree query, ``intersects`` so points
on a boundary count as inside). Written here: the deterministic choice when a point falls in more than
one community, and the counts a planner must see (households outside every community are kept with
``community_id = None``, never dropped).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

logger = logging.getLogger(__name__)

ATTRS_KEY = "assignment"


def assign_communities(households: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Set each household point's ``community_id`` by point-in-polygon.

    A point on a shared boundary or inside overlapping communities goes to one community
    deterministically: a community whose interior holds it beats one whose edge merely touches it;
    among equals, the smallest ``community_id`` (string order) wins. Points in the interior of two or
    more communities are counted as overlaps and logged as a warning, as are points outside every
    community.

    Parameters
    ----------
    households : geopandas.GeoDataFrame
        Points indexed by ``household_id`` with a ``households`` column (see the Tables convention).
    communities : geopandas.GeoDataFrame
        Polygons indexed by ``community_id``; reprojected to the households' CRS if they differ.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``households`` with ``community_id`` (str or None), same rows and order, so the
        household counts are unchanged. ``result.attrs["assignment"]`` holds the figures:
        ``outside_points``, ``outside_households``, ``overlap_points``, ``overlap_households``,
        ``changed_points`` (points whose given ``community_id`` differed from the spatial one).
    """
    out = households.copy()
    comms = communities
    if comms.crs is not None and out.crs is not None and not comms.crs.equals(out.crs):
        comms = comms.to_crs(out.crs)
    polys = gpd.GeoDataFrame(
        {"_cid": np.asarray(comms.index, dtype=object).astype(str)},
        geometry=np.asarray(comms.geometry.array), crs=out.crs,
    )
    pts = gpd.GeoDataFrame({"_pos": np.arange(len(out))}, geometry=np.asarray(out.geometry.array),
                           crs=out.crs)
    joined = gpd.sjoin(pts, polys, how="inner", predicate="intersects")
    chosen = np.full(len(out), None, dtype=object)
    n_overlap = 0
    overlap_mask = np.zeros(len(out), dtype=bool)
    if len(joined):
        pos = joined["_pos"].to_numpy()
        right = joined["index_right"].to_numpy()
        interior = shapely.contains(np.asarray(polys.geometry.array)[right],
                                    np.asarray(pts.geometry.array)[pos])
        table = pd.DataFrame({"pos": pos, "cid": joined["_cid"].to_numpy(), "interior": interior})
        # interior first, then the smallest id
        table = table.sort_values(["pos", "interior", "cid"], ascending=[True, False, True],
                                  kind="mergesort")
        first = table.drop_duplicates("pos", keep="first")
        chosen[first["pos"].to_numpy()] = first["cid"].to_numpy()
        n_interior = table[table["interior"]].groupby("pos").size()
        over = n_interior[n_interior > 1].index.to_numpy()
        overlap_mask[over] = True
        n_overlap = len(over)
    counts = out["households"].to_numpy() if "households" in out else np.ones(len(out))
    outside = np.array([c is None for c in chosen], dtype=bool)
    changed = 0
    if "community_id" in out:
        given = out["community_id"].to_numpy(dtype=object)
        has = np.array([g is not None and not (isinstance(g, float) and np.isnan(g)) for g in given])
        changed = int(np.sum(has & (given.astype(str) != chosen.astype(str))))
        if changed:
            logger.warning("%d household point(s) had a `community_id` that differs from the "
                           "community they lie in; the spatial one is used", changed)
    out["community_id"] = pd.Series(chosen, index=out.index, dtype=object)
    figures = {
        "outside_points": int(outside.sum()),
        "outside_households": int(counts[outside].sum()),
        "overlap_points": n_overlap,
        "overlap_households": int(counts[overlap_mask].sum()),
        "changed_points": changed,
    }
    out.attrs[ATTRS_KEY] = figures
    if figures["outside_points"]:
        logger.warning(
            "%d household point(s) (%d households) lie outside every community; kept with no "
            "community_id", figures["outside_points"], figures["outside_households"],
        )
    if n_overlap:
        logger.warning(
            "%d household point(s) (%d households) lie inside two or more overlapping communities; "
            "each was given to one (the smallest community_id)", n_overlap,
            figures["overlap_households"],
        )
    return out
