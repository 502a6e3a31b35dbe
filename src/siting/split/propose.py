"""Split proposals for the communities that break ``size.split`` (POLICY.md, "Split").

For each such community: group its household points into atoms (:mod:`siting.split.atoms`;
compounds whole), measure network distances from the candidate centres to every point
(:func:`siting.network.distance_matrix`), and for ``k = ceil(H / max)`` parts upward (bounded) solve
the assignment model (:mod:`siting.split.assign`) with the rules as constraints: each part within
the ``size.urban`` household band, every household within the ``size.split`` radius of its part's
centre. The smallest ``k`` that works is kept, with the least household-weighted distance. When no
``k`` works, the rules become penalties and the proposal that places the fewest households against
them is kept, marked as not meeting them, with a warning in the planner's terms.

The parts become polygons (:mod:`siting.split.polygons`: Voronoi of the points, clipped to the
community, dissolved, detached pieces repaired), and each part's service radius is measured again
exactly as the ``communities`` layer measures it (:func:`siting.access.service_radius`: the network
distance from the part's best centre, the network 1-centre, to its farthest household).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting import access
from siting.errors import Notice
from siting.network import WalkNetwork, distance_matrix
from siting.policy.text import number
from siting.progress import progress
from siting.split.assign import RADIUS_TOL_M, Assignment, assign_atoms, atom_matrices
from siting.split.atoms import choose_candidates, make_atoms
from siting.split.polygons import tile

log = logging.getLogger(__name__)

#: In the fallback model (no split meets the rules), an atom may join a centre beyond the radius
#: only among its SOFT_PAIRS cheapest candidates: the model stays small and fast (on the test cases
#: it found the same fewest households against the rules as the full model, 5-10 times faster); the
#: full model is solved only when the reduced one has no assignment at all.
SOFT_PAIRS = 10
#: HiGHS stops at this relative gap on the household-weighted distance ("optimal" = within 0.01 %).
MIP_REL_GAP = 1e-4

COLUMNS = ["community_id", "part_id", "households", "service_radius_m", "meets_size",
           "meets_radius", "contiguous", "household_points", "atoms", "centre_x", "centre_y",
           "parts_in_community", "solver_status", "issues", "issues_zh"]


@dataclass(frozen=True)
class SplitResult:
    """What :func:`propose_splits` returns.

    Attributes
    ----------
    proposals : geopandas.GeoDataFrame
        One row per proposed part (the ``split_proposals`` layer), columns :data:`COLUMNS`:
        ``community_id``, ``part_id`` (``"S001-1"``…), ``households``, ``service_radius_m`` (network
        distance from the part's centre to its farthest household; NaN when some household cannot
        reach it), ``meets_size`` (within the ``size.urban`` band), ``meets_radius`` (radius within
        ``size.split``'s), ``contiguous``, ``household_points``, ``atoms`` (indivisible groups in
        the part), ``centre_x`` / ``centre_y`` (the centre the radius is measured from, metric
        CRS), ``parts_in_community``, ``solver_status`` (``optimal``: least household-weighted
        distance proven, within 0.01 % — for a proposal failing the rules, after the fewest
        households against them; ``time_limit``: best found in the time; ``not_split``: one
        compound, nothing to split), ``issues`` / ``issues_zh`` (what fails, in words, in English /
        Chinese; empty when nothing), and
        the part's polygon.
    parts : pandas.Series
        Indexed by ``household_id`` (the households of the split communities): the part each
        household point goes to.
    summary : pandas.DataFrame
        One row per community considered: ``community_id``, ``households``, ``parts``,
        ``meets_rules``, ``status``, ``violation`` (households placed against the rules),
        ``atoms``, ``atom_level``, ``candidates``, ``tried_k``.
    warnings : list of str
        For the planner: communities that cannot be split within the rules, and why.
    """

    proposals: gpd.GeoDataFrame
    parts: pd.Series
    summary: pd.DataFrame
    warnings: list[str]


def empty_proposals(crs: Any) -> gpd.GeoDataFrame:
    """The proposals table with no rows (every column, the right CRS)."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def propose_splits(
    communities: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    net: WalkNetwork,
    profile: Any,
    *,
    hh_snapped: Any = None,
    seed: int = 0,
    time_limit: float = 60.0,
    which: Any = None,
    split_rule: str = "size.split",
    band_rule: str = "size.urban",
    max_atoms: int = 300,
    max_candidates: int = 80,
    max_extra_parts: int = 3,
    verbose: bool | None = None,
) -> SplitResult:
    """Propose new jurisdictions for the communities that break ``size.split``.

    Parameters
    ----------
    communities : geopandas.GeoDataFrame
        Indexed by ``community_id``, with polygons, ``households`` and ``service_radius_m`` (as
        :func:`siting.pipeline.analyse.analyse` gives them) and ``oversized`` (computed from the
        profile when absent); ``kind`` is read for the band (kinds the band's ``smaller_allowed``
        lists have no lower bound).
    households : geopandas.GeoDataFrame
        Indexed by ``household_id``, with ``community_id``, ``households`` and, optionally,
        ``compound_id`` (points sharing one move together).
    net : WalkNetwork
        The walking network (same CRS).
    profile : siting.policy.Profile
        Where the numbers come from: ``size.split`` (``max_households``, ``max_radius_m``) and
        ``size.urban`` (``min_households``, ``max_households``).
    hh_snapped : siting.network.Snapped, optional
        ``households`` snapped to ``net`` (row-aligned); snapped here when not given.
    seed : int
        Seeds the choice of candidate centres (when thinned) and HiGHS.
    time_limit : float
        Seconds of solver time per community: each solver call gets what is left (at least 1 s,
        so a hard community may take a few seconds more).
    which : array-like of bool or ids, optional
        The communities to split (default: the ``oversized`` ones).
    split_rule, band_rule : str
        Rule ids in the profile.
    max_atoms, max_candidates : int
        Model size: atoms are merged beyond ``max_atoms``; at most ``max_candidates`` centres.
    max_extra_parts : int
        ``k`` is tried from ``ceil(H / max)`` to at most this many more.
    verbose : bool, optional
        Progress bar over the communities.

    Returns
    -------
    SplitResult
    """
    rule = profile.rule(split_rule)
    band = profile.rule(band_rule).params
    radius = float(rule.params["max_radius_m"])
    if hh_snapped is None:
        hh_snapped = net.snap(households.geometry)
    if which is None:
        if "oversized" in communities:
            chosen = communities.index[communities["oversized"].fillna(False).astype(bool).to_numpy()]
        else:
            from siting.diagnose import oversized

            chosen = communities.index[oversized(communities, profile).to_numpy()]
    else:
        arr = np.asarray(which)
        chosen = communities.index[arr] if arr.dtype == bool else pd.Index(arr)
    rows: list[dict[str, Any]] = []
    labels: list[pd.Series] = []
    summary: list[dict[str, Any]] = []
    warnings: list[str] = []
    key = households["community_id"].to_numpy(dtype=object)
    for cid in progress(list(chosen), desc="split proposals", verbose=verbose):
        pos = np.flatnonzero(key == cid)
        if not (pd.to_numeric(households["households"].iloc[pos], errors="coerce") > 0).any():
            log.info("split %s: no households, nothing to split", cid)
            continue
        kind = communities.at[cid, "kind"] if "kind" in communities else None
        lo = 0.0 if kind in tuple(band.get("smaller_allowed", ())) else float(band["min_households"])
        hi = float(band["max_households"])
        one = _split_one(cid, communities.geometry.loc[cid], households.iloc[pos],
                         hh_snapped[pos], net, lo=lo, hi=hi, radius=radius,
                         community_radius=_float(communities, cid, "service_radius_m"), seed=seed,
                         time_limit=time_limit, max_atoms=max_atoms, max_candidates=max_candidates,
                         max_extra_parts=max_extra_parts)
        rows.extend(one.rows)
        labels.append(one.labels)
        summary.append(one.summary)
        warnings.extend(_warnings(one, rule, profile, lo=lo, hi=hi, radius=radius))
    if rows:
        frame = pd.DataFrame(rows)
        proposals = gpd.GeoDataFrame(frame[COLUMNS], geometry=list(frame["geometry"]), crs=net.crs)
    else:
        proposals = empty_proposals(net.crs)
    parts = (pd.concat(labels) if labels else pd.Series([], dtype=object)).rename("part_id")
    parts.index.name = households.index.name
    return SplitResult(proposals=proposals, parts=parts, summary=pd.DataFrame(summary),
                       warnings=warnings)


def _float(frame: pd.DataFrame, row: Any, col: str) -> float:
    if col not in frame:
        return float("nan")
    value = pd.to_numeric(pd.Series([frame.at[row, col]]), errors="coerce").iloc[0]
    return float(value)


@dataclass(frozen=True)
class _One:
    community_id: Any
    rows: list[dict[str, Any]]
    labels: pd.Series
    summary: dict[str, Any]
    k_range: tuple[int, int]
    proven: bool


def _split_one(cid: Any, boundary: Any, hh: gpd.GeoDataFrame, snapped: Any, net: WalkNetwork, *,
               lo: float, hi: float, radius: float, community_radius: float, seed: int,
               time_limit: float, max_atoms: int, max_candidates: int,
               max_extra_parts: int) -> _One:
    """One community: atoms, distances, the model for each k, polygons, radii."""
    deadline = time.perf_counter() + float(time_limit)
    w_all = pd.to_numeric(hh["households"], errors="coerce").fillna(0).to_numpy(float)
    pos = np.flatnonzero(w_all > 0)
    w = w_all[pos]
    pts = snapped[pos]
    xy = shapely.get_coordinates(hh.geometry.to_numpy()[pos])
    total = round(float(w.sum()))
    compound = hh["compound_id"].to_numpy(dtype=object)[pos] if "compound_id" in hh else None
    node = np.where(pts.to_u_m <= pts.to_v_m, pts.u, pts.v)
    atoms = make_atoms(xy, w, compound=compound, node=node, max_atoms=max_atoms)
    cand = choose_candidates(xy[atoms.rep], max_candidates=max_candidates, seed=seed)
    centres = replace(pts[atoms.rep[cand]], access_m=np.zeros(cand.size))  # centres on the street
    cutoff = 2.0 * community_radius + 1.0 if np.isfinite(community_radius) else None
    dist = _dense(distance_matrix(net, centres, pts, cutoff_m=cutoff), len(cand), len(pts))
    straight = np.hypot(centres.xy[:, None, 0] - xy[None, :, 0], centres.xy[:, None, 1] - xy[None, :, 1])
    reach, cost, over = atom_matrices(dist, w, atoms.of_point, atoms.n, radius=radius,
                                      fallback=straight * 10.0)

    k_min = max(2, math.ceil(total / hi)) if hi > 0 else 2
    k_band = math.floor(total / lo) if lo > 0 else atoms.n
    k_max = max(k_min, min(k_min + max_extra_parts, k_band, atoms.n, cand.size))
    tried: list[int] = []
    hard_status: list[str] = []
    best: Assignment | None = None
    if atoms.n >= 2:
        for k in range(k_min, k_max + 1):
            tried.append(k)
            res = assign_atoms(reach, cost, atoms.weight, cand, k=k, lo=lo, hi=hi,
                               radius=radius, time_limit=_left(deadline), seed=seed,
                               mip_rel_gap=MIP_REL_GAP)
            hard_status.append(res.status)
            if res.found:
                best = res
                break
        if best is None:  # no k meets the rules: the fewest households against them, ...
            soft: dict[str, Any] = {"over": over, "soft": True, "seed": seed,
                                    "soft_pairs": SOFT_PAIRS, "mip_rel_gap": MIP_REL_GAP}
            best_k = 0
            for k in range(k_min, k_max + 1):
                res = assign_atoms(reach, cost, atoms.weight, cand, k=k, lo=lo, hi=hi,
                                   radius=radius, polish=False, time_limit=_left(deadline),
                                   violation_below=None if best is None else best.violation,
                                   **soft)
                if res.found and (best is None or res.violation < best.violation - 1e-9):
                    best, best_k = res, k
                if best is not None and best.violation <= 0:
                    break
            if best is None:  # the reduced model had no room: every pair, fewest parts
                soft["soft_pairs"] = None
                best, best_k = assign_atoms(reach, cost, atoms.weight, cand, k=k_min, lo=lo,
                                            hi=hi, radius=radius, polish=False,
                                            time_limit=_left(deadline), **soft), k_min
                best = best if best.found else None
            if best is not None:  # ... then, for the best k, the least distance
                polished = assign_atoms(reach, cost, atoms.weight, cand, k=best_k, lo=lo,
                                        hi=hi, radius=radius, violation_cap=best.violation,
                                        time_limit=_left(deadline), **soft)
                if polished.found:
                    best = polished
    if best is None:  # one atom (a single compound), or nothing solved
        part_of_atom = np.zeros(atoms.n, dtype=np.int64)
        status = "not_split"
        centre_of_part = {0: int(np.argmin(cost.sum(axis=0))) if cost.size else 0}
    else:
        part_of_atom = best.centre.copy()
        status = best.status
        centre_of_part = {int(j): int(j) for j in best.open}

    def violation(parts: np.ndarray) -> float:
        v = 0.0
        for p, c in centre_of_part.items():
            members = np.flatnonzero(parts == p)
            h = float(atoms.weight[members].sum())
            v += float(over[members, c].sum()) + max(0.0, lo - h) + max(0.0, h - hi)
        return v

    def can_move(moving: np.ndarray, src: int, dst: int, now: np.ndarray) -> bool:
        if dst not in centre_of_part:
            return False
        after = now.copy()
        after[moving] = dst
        return violation(after) <= violation(now) + 1e-9

    tiling = tile(xy, atoms.of_point, part_of_atom, boundary, can_move=can_move)
    part_of_atom = tiling.part_of_atom

    # label the parts north to south, then west to east; measure each part again
    order = sorted(tiling.geometry, key=lambda p: (-_centroid(tiling.geometry[p])[1],
                                                   _centroid(tiling.geometry[p])[0]))
    name = {p: f"{cid}-{i + 1}" for i, p in enumerate(order)}
    point_part = np.array([name[p] for p in part_of_atom[atoms.of_point]], dtype=object)
    labels = pd.Series(_label_all(hh, pos, point_part, xy), index=hh.index, dtype=object)
    frame = pd.DataFrame({"part_id": point_part, "households": w}, index=hh.index[pos])
    parts_gdf = gpd.GeoDataFrame(index=pd.Index([name[p] for p in order], name="part_id"),
                                 geometry=[tiling.geometry[p] for p in order], crs=net.crs)
    no_fac = gpd.GeoDataFrame({"type": pd.Series([], dtype=object)},
                              geometry=gpd.GeoSeries([], crs=net.crs), crs=net.crs)
    radii, ctrs = access.service_radius(net, parts_gdf, frame, pts, no_fac, by="part_id",
                                        verbose=False)
    rows = []
    for p in order:
        pid = name[p]
        members = point_part == pid
        h = round(float(w[members].sum()))
        r = float(radii.at[pid, "service_radius_m"])
        meets_size = bool(lo <= h <= hi)
        meets_radius = bool(np.isfinite(r) and r <= radius + RADIUS_TOL_M)
        issues: list[str] = []
        zh: list[str] = []
        if not meets_size:
            issues.append(f"{number(h)} households, outside {number(lo)}–{number(hi)}")
            zh.append(f"{number(h)} 户，不在 {number(lo)}–{number(hi)} 户之内")
        lost = float(radii.at[pid, "unreachable_households"])
        if lost:
            issues.append(f"{number(lost)} households cannot reach the part's centre by the "
                          "walking network")
            zh.append(f"{number(lost)} 户无法经步行路网到达分区中心")
        elif not meets_radius:
            # counted from the candidate centre that leaves the fewest beyond (the model's)
            c = centre_of_part[p]
            far_pts = dist[c, np.flatnonzero(members)] > radius + RADIUS_TOL_M
            n_far = float(w[members][far_pts].sum())
            issues.append(f"service radius {r:,.0f} m > {radius:,.0f} m; {number(n_far)} "
                          f"households ({int(far_pts.sum())} points) farther than "
                          f"{radius:,.0f} m even from the best candidate centre")
            zh.append(f"服务半径 {r:,.0f} 米 > {radius:,.0f} 米；即使中心选在最佳候选点，仍有 "
                      f"{number(n_far)} 户（{int(far_pts.sum())} 个点）超过 {radius:,.0f} 米")
        if not tiling.contiguous[p]:
            issues.append("not contiguous")
            zh.append("分区不连续")
        cx, cy = (ctrs.geometry.loc[pid].x, ctrs.geometry.loc[pid].y) if pid in ctrs.index \
            else (np.nan, np.nan)
        rows.append({"community_id": cid, "part_id": pid, "households": h,
                     "service_radius_m": r, "meets_size": meets_size,
                     "meets_radius": meets_radius, "contiguous": bool(tiling.contiguous[p]),
                     "household_points": int(members.sum()),
                     "atoms": int(np.sum(part_of_atom == p)), "centre_x": float(cx),
                     "centre_y": float(cy), "parts_in_community": len(order),
                     "solver_status": status, "issues": "; ".join(issues),
                     "issues_zh": "；".join(zh), "geometry": tiling.geometry[p]})
    meets = all(r["meets_size"] and r["meets_radius"] and r["contiguous"] for r in rows) \
        and len(rows) > 1
    note = ""
    if tiling.moved_atoms:
        note = (f"{tiling.moved_atoms} atom{'s' if tiling.moved_atoms > 1 else ''} moved to make "
                "parts contiguous")
    if tiling.shared_points:
        note += (("; " if note else "") + f"{tiling.shared_points} locations hold households of two "
                 "parts (their Voronoi cell went to one)")
    summary = {"community_id": cid, "households": total, "parts": len(rows), "meets_rules": meets,
               "status": status, "violation": 0.0 if best is None else best.violation,
               "atoms": atoms.n, "atom_level": atoms.level, "candidates": int(cand.size),
               "tried_k": ", ".join(map(str, tried)), "note": note}
    log.info("split %s: %d households -> %d parts (%s, %s)", cid, total, len(rows), status,
             "meets the rules" if meets else "rules not met")
    return _One(cid, rows, labels, summary, (k_min, k_max),
                proven=all(st == "infeasible" for st in hard_status))


def _left(deadline: float) -> float:
    return max(deadline - time.perf_counter(), 1.0)


def _centroid(geom: Any) -> tuple[float, float]:
    c = geom.centroid if not geom.is_empty else shapely.Point(0, 0)
    return float(c.x), float(c.y)


def _dense(matrix: Any, n_rows: int, n_cols: int) -> np.ndarray:
    """CSR distances -> dense with ``inf`` for absent entries (explicit zeros kept)."""
    out = np.full((n_rows, n_cols), np.inf)
    csr = matrix.tocsr()
    for i in range(n_rows):
        lo, hi = csr.indptr[i], csr.indptr[i + 1]
        out[i, csr.indices[lo:hi]] = csr.data[lo:hi]
    return out


def _label_all(hh: gpd.GeoDataFrame, pos: np.ndarray, point_part: np.ndarray,
               xy: np.ndarray) -> np.ndarray:
    """Part of every household point: points without households take the nearest point's part."""
    out = np.empty(len(hh), dtype=object)
    out[pos] = point_part
    rest = np.setdiff1d(np.arange(len(hh)), pos)
    if rest.size and pos.size:
        other = shapely.get_coordinates(hh.geometry.to_numpy()[rest])
        tree = shapely.STRtree(shapely.points(xy))
        nearest = tree.nearest(shapely.points(other))
        out[rest] = point_part[nearest]
    return out


def _warnings(one: _One, rule: Any, profile: Any, *, lo: float, hi: float,
              radius: float) -> list[str]:
    """The planner's warnings for one community, in English and Chinese (:class:`Notice`); none
    when the proposal meets every rule."""
    cid, n = one.community_id, len(one.rows)
    if one.summary["meets_rules"]:
        if one.summary["status"] != "time_limit":
            return []
        return [Notice(
            f"{cid}: split into {n} parts meeting {rule.id}, but the solver's time ran out before "
            "proving it the most compact (raise time_limit_s under [split])",
            f"{cid}：已拆分为 {n} 个分区并满足 {rule.id}，但求解时间用尽，未能证明为最紧凑方案"
            "（可在 [split] 中调高 time_limit_s）")]
    src = profile.sources.get(rule.source) if hasattr(profile, "sources") else None
    title = str(getattr(src, "title", "") or "")
    cite = rule.citation + (f" ({title})" if title else "")
    failing = [r for r in one.rows if r["issues"]]
    what = "; ".join(f"{r['part_id']}: {r['issues']}" for r in failing)
    what_zh = "；".join(f"{r['part_id']}：{r['issues_zh']}" for r in failing)
    rules_met = all(r["meets_size"] and r["meets_radius"] for r in one.rows) and n > 1
    if rules_met:  # only contiguity fails
        parts = ", ".join(r["part_id"] for r in failing)
        return [Notice(
            f"{cid}: split into {n} parts within {rule.id} and the household band, but {parts} not "
            "contiguous (households of another part lie between its pieces and could not be "
            "moved without breaking a rule); redraw that boundary on the map",
            f"{cid}：已拆分为 {n} 个分区，满足 {rule.id} 和户数范围，但 {parts} 不连续（其他分区"
            "的住户位于其各片之间，移动会违反规则）；请在地图上调整该边界")]
    hh = number(one.summary["households"])
    if one.summary["status"] == "not_split":
        head = f"{cid} ({hh} households) cannot be split without cutting a compound (小区) apart"
        head_zh = f"{cid}（{hh} 户）为单一小区，无法在不拆分小区的情况下拆分"
    else:
        k0, k1 = one.k_range
        ks = f"{k0}" if k0 == k1 else f"{k0}–{k1}"
        rules = (f"{rule.id} (each part {number(lo)}–{number(hi)} households and within "
                 f"{number(radius)} m of its centre by the walking network, compounds kept whole)")
        rules_zh = (f"{rule.id}（每个分区 {number(lo)}–{number(hi)} 户、按步行路网距中心不超过 "
                    f"{number(radius)} 米、小区不拆分）")
        if one.proven:
            head = f"{cid} ({hh} households): no split into {ks} parts meets {rules}"
            head_zh = f"{cid}（{hh} 户）：拆分为 {ks} 个分区均无法满足 {rules_zh}"
        else:
            head = (f"{cid} ({hh} households): no split into {ks} parts meeting {rules} was found "
                    "within the time limit (time_limit_s under [split])")
            head_zh = (f"{cid}（{hh} 户）：在时限内未找到拆分为 {ks} 个分区且满足 {rules_zh} 的方案"
                       "（可在 [split] 中调高 time_limit_s）")
        head += "; the best proposal found is shown and marked"
        head_zh += "；已给出找到的最优方案并标注"
    tail = f". Where a community cannot be split, {cite} says to add staff / grid workers instead"
    tail_zh = f"。依据 {cite}，确实无法拆分的社区应增配社区工作者／网格员"
    return [Notice(f"{head}: {what}{tail}", f"{head_zh}：{what_zh}{tail_zh}")]
