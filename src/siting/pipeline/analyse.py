"""One area's analysis: network distances, circles, service radius, the rules, service areas.

This module only strings the layers together in the order the data flows; every number is computed
in :mod:`siting.network`, :mod:`siting.access` and :mod:`siting.diagnose`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting import access, diagnose
from siting.errors import Notice
from siting.network import WalkNetwork

log = logging.getLogger(__name__)


@dataclass
class Timings:
    """Wall-clock seconds per step, for ``run.json``."""

    steps: dict[str, float] = field(default_factory=dict)
    _t: float = field(default_factory=time.perf_counter)

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.steps[name] = round(now - self._t, 3)
        self._t = now


@dataclass(frozen=True)
class Analysis:
    """What the analysis adds to the inputs (all in the plan's metric CRS)."""

    communities: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    rules: pd.DataFrame
    detail: pd.DataFrame
    centres: gpd.GeoDataFrame | None
    service_areas: gpd.GeoDataFrame | None
    hh_snapped: Any
    fac_snapped: Any
    counts: dict[str, Any]
    warnings: list[str]


def circle_limits(profile: Any) -> list[dict[str, Any]]:
    """Each circle rule of the profile with its walking distance in metres.

    Returns
    -------
    list of dict
        ``rule_id``, ``type``, ``minutes`` (None for a radius rule such as shelters), ``elderly``,
        ``limit_m`` (the profile's conversion, elderly speed included), ``target_share``.
    """
    out = []
    for rule in profile.circle_rules():
        p = rule.params
        minutes = p.get("minutes")
        out.append({"rule_id": rule.id, "type": p["facility_type"],
                    "minutes": None if minutes is None else float(minutes),
                    "elderly": bool(p.get("elderly", False)),
                    "limit_m": profile.circle_radius_m(rule),
                    "target_share": p.get("target_share", 1.0)})
    return out


def analyse(
    communities: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    net: WalkNetwork,
    profile: Any,
    *,
    analysis: dict[str, Any] | None = None,
    timings: Timings | None = None,
    verbose: bool | None = None,
) -> Analysis:
    """Measure and diagnose one area.

    Parameters
    ----------
    communities, households, facilities : geopandas.GeoDataFrame
        As read by :mod:`siting.io`, households already assigned to communities.
    net : WalkNetwork
        The walking network (same CRS).
    profile : siting.policy.Profile
        The rules.
    analysis : dict, optional
        The ``[analysis]`` table of the configuration (service-area minutes, buffer...).
    timings : Timings, optional
        Collects step times.
    verbose : bool, optional
        Progress bars.

    Returns
    -------
    Analysis
    """
    opts = dict(analysis or {})
    timings = timings or Timings()
    warnings: list[str] = []
    counts: dict[str, Any] = {}

    hh_snap = net.snap(households.geometry, max_access_m=opts.get("max_access_m", 500.0))
    fac_snap = net.snap(facilities.geometry, max_access_m=opts.get("max_access_m", 500.0))
    detached_hh = np.asarray(hh_snap.component) != 0
    counts["households_on_detached_network"] = int(households["households"].to_numpy()[detached_hh].sum())
    counts["household_points_on_detached_network"] = int(detached_hh.sum())
    if detached_hh.any():
        n_hh, n_pts = counts["households_on_detached_network"], int(detached_hh.sum())
        warnings.append(Notice(
            f"{n_hh} households ({n_pts} points) snap to a detached piece of the walking network: "
            "their distances are missing, not zero",
            f"{n_hh} 户（{n_pts} 个点）落在与主路网不连通的步行路段上：其距离记为缺失，而不是 0"))
    far_hh = np.asarray(getattr(hh_snap, "far", np.zeros(len(households), bool)))
    counts["household_points_far_from_network"] = int(far_hh.sum())
    if far_hh.any():
        far_m = float(opts.get("max_access_m", 500.0))
        warnings.append(Notice(
            f"{int(far_hh.sum())} household points are more than {far_m:.0f} m from any walkable street",
            f"{int(far_hh.sum())} 个住户点距最近的步行道路超过 {far_m:.0f} 米"))
    far_fac = np.asarray(getattr(fac_snap, "far", np.zeros(len(facilities), bool)))
    if far_fac.any():
        ids = ", ".join(map(str, facilities.index[far_fac][:10]))
        far_m = float(opts.get("max_access_m", 500.0))
        warnings.append(Notice(
            f"{int(far_fac.sum())} facilities are off the network (> {far_m:.0f} m from a walkable "
            f"street): {ids}",
            f"{int(far_fac.sum())} 处设施不在路网上（距步行道路超过 {far_m:.0f} 米）：{ids}"))
    timings.lap("snap")

    # Distances from every household to the nearest facility of each type.
    types = list(profile.settings.get("facility_types", {})) or sorted(facilities["type"].unique())
    dist = access.nearest_by_type(net, hh_snap, facilities, fac_snap, types=types,
                                  index=households.index)
    households = households.join(dist)
    for t in types:
        col = f"dist_{t}_m"
        if col in households and (facilities["type"] == t).any():
            counts[f"unreachable_{t}"] = int(households.loc[households[col].isna(), "households"].sum())
    timings.lap("distances")

    # Circles: per household inside or not; per community the share of households inside.
    communities = communities.copy()
    assigned = households["community_id"].notna()
    circles = circle_limits(profile)
    by_type_done: set[str] = set()
    for c in circles:
        col = f"dist_{c['type']}_m"
        d = households[col] if col in households else pd.Series(np.nan, index=households.index)
        inside = access.within_circle(d, c["limit_m"])
        households[f"in_{c['rule_id']}"] = inside
        share = access.coverage_share(households[assigned], inside[assigned], by="community_id",
                                      weight="households")
        communities[f"coverage_{c['rule_id']}"] = share.reindex(communities.index)
        if c["type"] not in by_type_done:  # the contract's coverage_<type>: the type's first circle
            communities[f"coverage_{c['type']}"] = communities[f"coverage_{c['rule_id']}"]
            by_type_done.add(c["type"])
    timings.lap("circles")

    # Service radius from each community's centre.
    radius, centres = access.service_radius(net, communities, households[assigned],
                                            hh_snap[np.flatnonzero(assigned.to_numpy())],
                                            facilities, fac_snap, verbose=verbose)
    communities = communities.join(radius)
    timings.lap("service_radius")

    fca_types = opts.get("fca_types", ["eldercare", "shelter"])
    for ftype in fca_types:
        note = _accessibility(ftype, net, households, hh_snap, facilities, fac_snap, communities,
                              profile, circles, verbose=verbose)
        if note:
            warnings.append(note)
    timings.lap("accessibility")

    metrics = community_metrics(communities, households, facilities, profile)
    evaluation = diagnose.evaluate_rules(metrics, profile)
    status = evaluation.status
    for col in status.columns:
        communities[col] = status[col].reindex(communities.index).fillna("not_assessable")
    for col in ("households", "residents", "residents_estimated", "elderly", "service_area_m2",
                "facility_area_per_100hh_m2"):
        if col in metrics and col not in communities:
            communities[col] = metrics[col]
    communities["households"] = metrics["households"].astype(int)
    communities["oversized"] = diagnose.oversized(metrics, profile).reindex(communities.index)
    communities["size_band"] = diagnose.size_band(metrics, profile).reindex(communities.index)
    timings.lap("rules")

    areas = None
    sa_settings = profile.settings.get("service_areas", {})
    minutes = opts.get("service_area_minutes", sa_settings.get("minutes", []))
    buffer_m = float(opts.get("service_area_buffer_m", sa_settings.get("buffer_m", 40.0)))
    if minutes and len(facilities):
        wanted = opts.get("service_area_types") or sorted({c["type"] for c in circles})
        sel = facilities["type"].isin(wanted).to_numpy()
        if sel.any():
            areas = access.service_areas(
                net, facilities[sel], fac_snap[np.flatnonzero(sel)],
                minutes_to_m={float(m): profile.walk_distance_m(float(m)) for m in minutes},
                buffer_m=buffer_m,
                mode=opts.get("service_area_mode", "disks"),
                merge=opts.get("service_area_merge", "overlap"), verbose=verbose)
    timings.lap("service_areas")

    return Analysis(communities=communities, households=households, facilities=facilities,
                    rules=evaluation.summary, detail=evaluation.detail, centres=centres,
                    service_areas=areas, hh_snapped=hh_snap, fac_snapped=fac_snap, counts=counts,
                    warnings=warnings)


def facility_capacity(facilities: pd.DataFrame, ftype: str, profile: Any) -> np.ndarray:
    """Capacity of each facility for accessibility: ``capacity``, or for shelters places from area.

    Shelter places = usable area × the profile's usable share ÷ area per person (``shelter.<class>``).
    NaN where neither is known.
    """
    cap = pd.to_numeric(facilities.get("capacity"), errors="coerce").to_numpy(float) \
        if "capacity" in facilities else np.full(len(facilities), np.nan)
    if ftype == "shelter":
        cls = profile.settings.get("shelter", {}).get("class", "emergency")
        rule = profile.rules.get(f"shelter.{cls}")
        per_person = rule.params.get("area_per_person_m2") if rule is not None else None
        if isinstance(per_person, (int, float)) and "area_m2" in facilities:
            usable = float(profile.settings.get("shelter", {}).get("usable_area_share", 1.0))
            area = pd.to_numeric(facilities["area_m2"], errors="coerce").to_numpy(float)
            cap = np.where(np.isfinite(cap), cap, area * usable / float(per_person))
    return cap


def _accessibility(
    ftype: str, net: Any, households: gpd.GeoDataFrame, hh_snap: Any, facilities: gpd.GeoDataFrame,
    fac_snap: Any, communities: gpd.GeoDataFrame, profile: Any, circles: list[dict[str, Any]],
    *, verbose: bool | None,
) -> str | None:
    """E2SFCA accessibility (Luo & Qi 2009) of one capacity-bound type, in place on the frames.

    Adds ``fca_<type>`` to households (capacity per unit of demand reachable, distance-weighted) and
    to communities (demand-weighted mean). Demand is elderly residents for elder care where given,
    else residents; the catchment is the type's first circle; zone weights from the profile's
    ``[accessibility]``. Returns a note when it cannot be assessed (no capacity known).
    """
    sel = (facilities["type"] == ftype).to_numpy()
    circle = next((c for c in circles if c["type"] == ftype), None)
    if not sel.any() or circle is None:
        return None
    supply = facility_capacity(facilities[sel], ftype, profile)
    if not np.isfinite(supply).any():
        return Notice(f"{ftype}: accessibility (2SFCA) not assessable: no facility of this type has a "
                      "capacity (or, for shelters, an area)",
                      f"{profile.type_name(ftype)}：无法评估可达性（2SFCA）：该类设施均无服务能力"
                      "（避难场所为面积）数据")
    known = np.isfinite(supply)
    col = "elderly" if ftype == "eldercare" and households["elderly"].notna().all() else "residents"
    ratio = float(profile.settings.get("households", {}).get("residents_per_household", 2.62))
    demand = households[col].to_numpy(float) if households[col].notna().all() else \
        households["households"].to_numpy(float) * ratio
    acc_cfg = profile.settings.get("accessibility", {})
    elderly = bool(circle.get("elderly"))
    zones = None
    if acc_cfg.get("zones_min") and circle.get("minutes"):
        zones = [(min(profile.walk_distance_m(float(m), elderly=elderly), circle["limit_m"]), float(w))
                 for m, w in zip(acc_cfg["zones_min"], acc_cfg["weights"])]
        zones = [z for i, z in enumerate(zones) if i == 0 or z[0] > zones[i - 1][0]]
    rows = np.flatnonzero(known)
    access_values, _ = access.network_fca(
        net, hh_snap, demand, fac_snap[np.flatnonzero(sel)[rows]], supply[rows],
        catchment_m=circle["limit_m"], decay="zones" if zones else "gaussian", zones=zones,
        verbose=verbose)
    households[f"fca_{ftype}"] = access_values
    assigned = households[households["community_id"].notna()].assign(_w=demand[
        households["community_id"].notna().to_numpy()])
    communities[f"fca_{ftype}"] = access.community_access(
        assigned[f"fca_{ftype}"].to_numpy(), assigned, weight="_w",
        communities=communities.index)
    if not known.all():
        return Notice(f"{ftype}: {int((~known).sum())} facilities without capacity left out of the "
                      "accessibility (2SFCA) figures",
                      f"{profile.type_name(ftype)}：{int((~known).sum())} 处设施缺少服务能力数据，"
                      "未计入可达性（2SFCA）指标")
    return None


def community_metrics(
    communities: gpd.GeoDataFrame, households: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
    profile: Any,
) -> pd.DataFrame:
    """The per-community figures the rule engine reads (see :func:`siting.diagnose.evaluate_rules`).

    Residents are the sum of the households' ``residents`` where every household point of the
    community has them; otherwise households × the profile's household size, marked estimated.
    Facility floor area is the communities file's ``facility_area_m2`` when given, else the summed
    ``area_m2`` of the ``service_center`` facilities inside the community (marked derived), else
    missing — and the rule is then not assessable.
    """
    idx = communities.index
    hh = households[households["community_id"].notna()]
    grouped = hh.groupby("community_id")
    m = pd.DataFrame(index=idx)
    # An unknown kind stays unknown: rules that depend on it are then not assessable, not guessed.
    m["kind"] = communities["kind"] if "kind" in communities else pd.Series(None, index=idx)
    m["households"] = grouped["households"].sum().reindex(idx).fillna(0)
    ratio = float(profile.settings.get("households", {}).get("residents_per_household", 2.62))
    given = grouped["residents"].apply(lambda s: s.notna().all()).reindex(idx).fillna(False)
    res_sum = grouped["residents"].sum(min_count=1).reindex(idx)
    m["residents"] = np.where(given.astype(bool), res_sum, m["households"] * ratio)
    m["residents_estimated"] = ~given.astype(bool)
    eld_given = grouped["elderly"].apply(lambda s: s.notna().all()).reindex(idx).fillna(False)
    m["elderly"] = grouped["elderly"].sum(min_count=1).reindex(idx).where(eld_given.astype(bool))
    m["service_radius_m"] = communities.get("service_radius_m")
    for col in ("workers", "social_workers", "social_organisations", "occupancy"):
        if col in communities:
            m[col] = pd.to_numeric(communities[col], errors="coerce")

    inside = _facilities_in(communities, facilities)
    area = pd.to_numeric(communities.get("facility_area_m2", pd.Series(np.nan, index=idx)),
                         errors="coerce")
    sc = inside[inside["type"] == "service_center"]
    sc_area = sc.groupby("community_id")["area_m2"].sum(min_count=1).reindex(idx)
    m["facility_area_m2"] = area.fillna(sc_area)
    m["has_service_center"] = sc.groupby("community_id").size().reindex(idx).fillna(0) > 0
    shelters = inside[inside["type"] == "shelter"].groupby("community_id").size()
    m["shelter_count"] = shelters.reindex(idx).fillna(0)
    for col in communities.columns:
        if col.startswith("coverage_"):
            m[col] = communities[col]
    m["health_adjacent_eldercare"] = _health_adjacent(facilities, inside, idx, profile)
    return m


def _facilities_in(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    if facilities.empty:
        return pd.DataFrame(columns=["type", "area_m2", "community_id"])
    joined = gpd.sjoin(facilities[["type", "area_m2", "geometry"]],
                       communities[["geometry"]].rename_axis("community_id").reset_index(),
                       how="inner", predicate="within")
    return pd.DataFrame(joined[["type", "area_m2", "community_id"]])


def _health_adjacent(
    facilities: gpd.GeoDataFrame, inside: pd.DataFrame, idx: pd.Index, profile: Any
) -> pd.Series:
    """Per community with elder care: is a health facility within the adjacency distance of one?

    NaN where the community has no elder-care facility (the rule cannot be judged there).
    """
    rule = profile.rules.get("eldercare.health") if hasattr(profile, "rules") else None
    limit = float(rule.params.get("max_distance_m", 200.0)) if rule is not None else 200.0
    out = pd.Series(np.nan, index=idx, dtype=object)
    elder = facilities[facilities["type"] == "eldercare"]
    health = facilities[facilities["type"] == "health"]
    if elder.empty:
        return out
    elder_in = inside[inside["type"] == "eldercare"]
    for cid, group in elder_in.groupby("community_id"):
        geoms = elder.loc[elder.index.intersection(group.index)].geometry
        if health.empty:
            out[cid] = False
        else:
            out[cid] = bool((geoms.apply(lambda g: health.distance(g).min()) <= limit).any())
    return out
