"""Siting plans: for each facility type a configuration asks for, where to put the new sites.

This module turns a ``[siting.<type>]`` request into a cost matrix and hands it to the location
models of :mod:`siting.optimize` (HiGHS does the solving); it writes nothing by hand but the choice of
model per request:

- ``new_sites = N`` → :func:`max_coverage`: the N new sites (existing ones kept open) that bring the
  most demand inside the type's circle;
- ``new_sites = "min"`` → :func:`set_cover`: the fewest new sites that put every household that any
  site could reach inside the circle; the households no site can reach are reported;
- shelters → :func:`capacitated_coverage`: every resident needs a place, not just a shelter in range;
  capacity = usable area ÷ the profile's area per person.

Demand rows are household points in a community; columns are existing facilities of the type (fixed)
followed by the candidates (from the candidates file, or generated on the network by
:func:`generate_candidates`). Distances come from :func:`siting.network.distance_matrix`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.errors import InputError, Notice
from siting.network import distance_matrix, nearest_distance
from siting.optimize import capacitated_coverage, max_coverage, set_cover

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SitePlans:
    """All siting plans of a run.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        site_id, type, status (``existing`` / ``new``), households_served, candidate_id, geometry.
    summary : pandas.DataFrame
        One row per type: the circle, the model, its status, bound and gap, new sites, and before /
        after figures (households covered, share, mean and 95th-percentile walking distance).
    warnings : list of str
    """

    sites: gpd.GeoDataFrame
    summary: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def generate_candidates(
    net: Any, communities: gpd.GeoDataFrame, *, spacing_m: float = 150.0
) -> gpd.GeoDataFrame:
    """Candidate sites: network nodes of the main piece, thinned to one per grid cell, inside communities.

    Parameters
    ----------
    net : siting.network.WalkNetwork
    communities : geopandas.GeoDataFrame
        Candidates are kept only inside these polygons (a site must serve a community).
    spacing_m : float
        Grid cell size: at most one candidate per cell (the node nearest the cell's centre).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``candidate_id`` (``G00001``…), columns ``types`` (empty: any type), ``capacity``,
        ``area_m2``, ``cost`` (all missing: unknown for a generated site).
    """
    if spacing_m <= 0:
        raise InputError("candidate_spacing_m must be positive")
    xy = np.asarray(net.node_xy)
    main = np.asarray(net.component) == 0
    idx = np.flatnonzero(main)
    cell = np.floor(xy[idx] / spacing_m).astype(np.int64)
    centre = (cell + 0.5) * spacing_m
    off = np.hypot(*(xy[idx] - centre).T)
    order = np.lexsort((off, cell[:, 1], cell[:, 0]))
    keys = cell[order]
    first = np.ones(len(order), bool)
    first[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    chosen = idx[order[first]]
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[chosen, 0], xy[chosen, 1]), crs=net.crs)
    inside = pts.within(communities.geometry.union_all()).to_numpy()
    pts = pts[inside].reset_index(drop=True)
    ids = pd.Index([f"G{i + 1:05d}" for i in range(len(pts))], name="candidate_id")
    return gpd.GeoDataFrame({"types": [()] * len(pts), "capacity": np.nan, "area_m2": np.nan,
                             "cost": np.nan}, geometry=pts.to_numpy(), index=ids, crs=net.crs)


def _circle_for(req: Any, profile: Any) -> tuple[float, str, float | None]:
    """The radius (m) for a request, where it came from, and its minutes (None for shelters)."""
    if req.radius_m is not None:
        return float(req.radius_m), "configuration radius_m", None
    if req.type == "shelter" and req.minutes is None:
        params, label = _shelter_class(profile, req.shelter_class)
        return float(_per_class(params["radius_m"], req.shelter_class)), label, None
    rules = [r for r in profile.circle_rules() if r.params.get("facility_type") == req.type]
    minutes = req.minutes if req.minutes is not None else (
        float(rules[0].params["minutes"]) if rules else None)
    if minutes is None:
        raise InputError(f"no circle rule for `{req.type}` in profile {profile.name}; set minutes or "
                         f"radius_m under [siting.{req.type}]")
    elderly = req.elderly if req.elderly is not None else (
        bool(rules[0].params.get("elderly", False)) if rules else False)
    source = rules[0].id if rules and req.minutes is None else "configuration minutes"
    return profile.walk_distance_m(float(minutes), elderly=elderly), source, float(minutes)


def _weights(req: Any, households: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Demand per household point: elderly for elder care where given, else as asked, else households."""
    choice = req.weight or ("elderly" if req.type == "eldercare" else "households")
    for col in (choice, "residents", "households"):
        if col in households and households[col].notna().all():
            return households[col].to_numpy(float), col
    return households["households"].to_numpy(float), "households"


def _shelter_class(profile: Any, shelter_class: str | None) -> tuple[Any, str]:
    """The ``shelter.<class>`` rule's numbers: ``emergency``, or ``fixed:short|medium|long``."""
    name = shelter_class or profile.settings.get("shelter", {}).get("class", "emergency")
    base = name.split(":", 1)[0]
    rule = profile.rules.get(f"shelter.{base}")
    if rule is None:
        known = sorted(r.split(".", 1)[1] for r in profile.rules if r.startswith("shelter.")
                       and profile.rules[r].kind == "shelter_class")
        raise InputError(f"shelter_class `{name}` is not in profile {profile.name}; use one of "
                         f"{known} (fixed classes as fixed:short, fixed:medium, fixed:long)")
    return rule.params, f"shelter.{base} ({rule.source} {rule.clause})".strip()


def _per_class(value: Any, shelter_class: str | None) -> float:
    """A number that may be given per sub-class ({short = .., medium = ..})."""
    if isinstance(value, (int, float)):
        return float(value)
    sub = (shelter_class or "").split(":", 1)[-1]
    if sub in value:
        return float(value[sub])
    raise InputError(f"shelter class `{shelter_class}` needs a sub-class: one of {sorted(value)} "
                     f"(e.g. shelter_class = \"fixed:{min(value)}\")")


def _capacities(frame: pd.DataFrame, profile: Any, shelter_class: str | None) -> np.ndarray:
    """Shelter places: the ``capacity`` column, else usable area ÷ area per person, else NaN."""
    params, _ = _shelter_class(profile, shelter_class)
    per_person = _per_class(params["area_per_person_m2"], shelter_class)
    usable = float(profile.settings.get("shelter", {}).get("usable_area_share", 1.0))
    n = len(frame)
    area = pd.to_numeric(frame["area_m2"], errors="coerce").to_numpy(float) if "area_m2" in frame \
        else np.full(n, np.nan)
    given = pd.to_numeric(frame["capacity"], errors="coerce").to_numpy(float) if "capacity" in frame \
        else np.full(n, np.nan)
    return np.where(np.isfinite(given), given, area * usable / per_person)


def _weighted_p95(values: np.ndarray, weights: np.ndarray) -> float:
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return float("nan")
    v, w = values[ok], weights[ok]
    order = np.argsort(v)
    cum = np.cumsum(w[order])
    return float(v[order][np.searchsorted(cum, 0.95 * cum[-1])])


def _figures(dist: np.ndarray, hh: np.ndarray, radius: float) -> dict[str, float]:
    covered = np.isfinite(dist) & (dist <= radius)
    ok = np.isfinite(dist)
    mean = float(np.average(dist[ok], weights=hh[ok])) if ok.any() and hh[ok].sum() > 0 else np.nan
    return {"households_covered": float(hh[covered].sum()),
            "share_covered": float(hh[covered].sum() / hh.sum()) if hh.sum() else np.nan,
            "mean_dist_m": mean, "p95_dist_m": _weighted_p95(dist, hh)}


def plan_sites(
    requests: Sequence[Any], *, net: Any, profile: Any, communities: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame | None, hh_snapped: Any, fac_snapped: Any, seed: int = 0,
    verbose: bool | None = None,
) -> SitePlans:
    """Solve every siting request of a plan.

    Parameters
    ----------
    requests : sequence of siting.pipeline.config.SitingRequest
    net : siting.network.WalkNetwork
    profile : siting.policy.Profile
    communities, households, facilities : geopandas.GeoDataFrame
        As the analysis left them (households with ``community_id`` and ``dist_<type>_m``).
    candidates : geopandas.GeoDataFrame, optional
        Candidate sites; generated on the network when None.
    hh_snapped, fac_snapped : siting.network.Snapped
        Row-aligned with ``households`` and ``facilities``.
    seed : int
        Reserved for randomised heuristics (the models used here are deterministic).
    verbose : bool, optional

    Returns
    -------
    SitePlans
    """
    del seed  # the exact models and their greedy warm starts are deterministic
    warnings: list[str] = []
    site_frames, rows = [], []
    in_comm = households["community_id"].notna().to_numpy()
    generated = None
    for req in requests:
        radius, radius_source, minutes = _circle_for(req, profile)
        demand_idx = np.flatnonzero(in_comm)
        hh = households.iloc[demand_idx]
        weight, weight_col = _weights(req, hh)
        hh_count = hh["households"].to_numpy(float)

        existing = facilities[facilities["type"] == req.type]
        ex_pos = np.flatnonzero((facilities["type"] == req.type).to_numpy())
        if candidates is not None:
            types = candidates["types"]
            ok = types.apply(lambda t, want=req.type: (not t) or want in t).to_numpy()
            cand = candidates[ok]
        else:
            if generated is None:
                generated = generate_candidates(net, communities, spacing_m=req.candidate_spacing_m)
            cand = generated
        cand_snap = net.snap(cand.geometry)
        cols_snap = fac_snapped[ex_pos].concat(cand_snap)
        fixed = np.arange(len(existing))
        cost = distance_matrix(net, hh_snapped[demand_idx], cols_snap, cutoff_m=radius,
                               verbose=verbose)
        coverable = np.diff(cost.indptr) > 0
        n_uncoverable = float(hh_count[~coverable].sum())
        if n_uncoverable:
            warnings.append(Notice(
                f"{req.type}: {n_uncoverable:.0f} households are beyond {radius:.0f} m of every "
                "existing and candidate site: no plan can reach them",
                f"{profile.type_name(req.type)}：{n_uncoverable:.0f} 户距所有现有设施和备选点均超过 "
                f"{radius:.0f} 米："
                "任何方案都覆盖不到"))
        model, sol, cap_note = _solve(req, cost, coverable, weight, fixed, hh, cand, existing,
                                      profile, warnings, radius)
        chosen = np.asarray(sol.sites, dtype=np.int64)
        new_cols = chosen[chosen >= len(existing)]
        n_new = len(new_cols)

        # Before / after: distance to the nearest site of the type, before and after the plan.
        before = hh[f"dist_{req.type}_m"].to_numpy(float) if f"dist_{req.type}_m" in hh else \
            np.full(len(hh), np.nan)
        all_sites = fac_snapped[ex_pos].concat(cand_snap[new_cols - len(existing)])
        if len(all_sites):
            after, _ = nearest_distance(net, hh_snapped[demand_idx], all_sites)
        else:
            after = np.full(len(hh), np.nan)
        fb, fa = _figures(before, hh_count, radius), _figures(after, hh_count, radius)
        row = {"type": req.type, "request": str(req.new_sites), "radius_m": radius,
               "minutes": minutes, "radius_source": radius_source, "model": model,
               "weight": weight_col, "status": sol.status, "objective": sol.objective,
               "bound": sol.bound, "gap": sol.gap, "existing_sites": len(existing),
               "candidates": len(cand), "new_sites": n_new,
               "households_unreachable": n_uncoverable, "capacity_note": cap_note}
        row.update({f"before_{k}": v for k, v in fb.items()})
        row.update({f"after_{k}": v for k, v in fa.items()})
        rows.append(row)

        served = _served(sol, hh_count, len(existing) + len(cand))
        ex_rows = gpd.GeoDataFrame({
            "site_id": existing.index.astype(str), "type": req.type, "status": "existing",
            "households_served": served[: len(existing)], "candidate_id": None,
            "name": existing.get("name")}, geometry=existing.geometry.to_numpy(), crs=net.crs)
        new_rows = gpd.GeoDataFrame({
            "site_id": [f"new-{req.type}-{k + 1}" for k in range(n_new)], "type": req.type,
            "status": "new", "households_served": served[new_cols],
            "candidate_id": cand.index[new_cols - len(existing)].astype(str), "name": None},
            geometry=cand.geometry.to_numpy()[new_cols - len(existing)], crs=net.crs)
        site_frames += [ex_rows, new_rows]
        log.info("%s: %s → %d new sites (%s, gap %s); covered %.0f → %.0f households", req.type,
                 req.new_sites, n_new, sol.status,
                 "unknown" if sol.gap is None else f"{100 * sol.gap:.2f} %",
                 fb["households_covered"], fa["households_covered"])
    sites = (pd.concat(site_frames, ignore_index=True) if site_frames else
             gpd.GeoDataFrame(columns=["site_id", "type", "status", "households_served",
                                       "candidate_id", "name", "geometry"], crs=net.crs))
    return SitePlans(sites=gpd.GeoDataFrame(sites, crs=net.crs), summary=pd.DataFrame(rows),
                     warnings=warnings)


def _solve(req: Any, cost: Any, coverable: np.ndarray, weight: np.ndarray, fixed: np.ndarray,
           hh: pd.DataFrame, cand: pd.DataFrame, existing: pd.DataFrame, profile: Any,
           warnings: list[str], radius: float) -> tuple[str, Any, str]:
    """Pick and run the model for one request. Rows no site can reach are left out of the model."""
    rows = np.flatnonzero(coverable)
    sub = cost[rows]
    tl = req.time_limit_s
    n_fixed = len(fixed)
    if req.type == "shelter":
        cap = np.concatenate([_capacities(existing, profile, req.shelter_class),
                              _capacities(cand, profile, req.shelter_class)])
        residents = hh["residents"].to_numpy(float) if hh["residents"].notna().all() else \
            hh["households"].to_numpy(float) * float(
                profile.settings.get("households", {}).get("residents_per_household", 2.62))
        if np.isfinite(cap).all() and len(rows):
            p = None if req.new_sites == "min" else n_fixed + int(req.new_sites)
            # Place as many residents as any plan can, then report the shortfall with numbers.
            sol = capacitated_coverage(sub, radius, cap, residents[rows], p=p, fixed=fixed,
                                       time_limit=tl, allow_unserved=True)
            total = float(residents[rows].sum())
            placed = float(sol.covered_weight or 0.0)
            if placed < total - 0.5:
                warnings.append(Notice(
                    f"shelter: {total - placed:.0f} of {total:.0f} residents within reach of a "
                    f"site get no place ({placed:.0f} placed): the open sites' capacity within "
                    f"{radius:.0f} m is short; add candidate sites or capacity",
                    f"避难场所：可达范围内 {total:.0f} 名居民中有 {total - placed:.0f} 人没有避难位置"
                    f"（已安置 {placed:.0f} 人）：{radius:.0f} 米内已选场所容量不足，请增加备选点或容量"))
            return "capacitated_coverage", _expand(sol, rows, len(coverable)), "places checked"
        warnings.append(Notice(
            "shelter: some sites have neither capacity nor area, so places per resident could not "
            "be checked; sited for coverage in range only",
            "避难场所：部分场所既无容量也无面积数据，无法核算人均避难位置；仅按服务半径覆盖选址"))
        note = "places not checked (capacity unknown)"
    else:
        note = ""
    if req.new_sites == "min":
        if not len(rows):
            return "set_cover", _empty(len(coverable), fixed), note
        sol = set_cover(sub, radius, fixed=fixed, time_limit=tl)
        return "set_cover", _expand(sol, rows, len(coverable)), note
    p = n_fixed + int(req.new_sites)
    p = min(p, cost.shape[1])
    sol = max_coverage(cost, radius, p, weights=weight, fixed=fixed,
                       time_limit=tl)
    return "max_coverage", sol, note


def _expand(sol: Any, rows: np.ndarray, n: int) -> Any:
    """Map a solution on a row subset back to all rows (assignment -1 for the rows left out)."""
    from dataclasses import replace

    assignment = np.full(n, -1, dtype=np.int64)
    assignment[rows] = sol.assignment
    return replace(sol, assignment=assignment)


def _empty(n: int, fixed: np.ndarray) -> Any:
    from siting.optimize.solution import make_solution

    return make_solution(model="set_cover", sites=fixed, objective=0.0, bound=0.0, status="optimal",
                         assignment=np.full(n, -1), sense="min", fixed=fixed,
                         unreachable=np.arange(n), uncovered=np.arange(n), covered_weight=0.0,
                         total_weight=None, runtime_s=0.0)


def _served(sol: Any, hh_count: np.ndarray, n_cols: int) -> np.ndarray:
    a = np.asarray(sol.assignment)
    ok = a >= 0
    return np.bincount(a[ok], weights=hh_count[ok], minlength=n_cols)

