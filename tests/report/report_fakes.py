"""Fake but realistic PlanResults for the report tests: a few communities near Beijing in UTM 50N.

A uniquely named module (not conftest) so that ``from report_fakes import ...`` cannot pick up another
folder's conftest when the whole suite runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point, box

from siting.result import PlanResult

CRS = "EPSG:32650"
X0, Y0 = 448_000.0, 4_425_000.0  # Haidian, Beijing, in UTM 50N metres
TYPES = ("service_center", "eldercare", "fitness", "shelter")


@dataclass(frozen=True)
class FakeSource:
    key: str
    title: str
    year: int


@dataclass(frozen=True)
class FakeRule:
    id: str
    title_zh: str
    title_en: str
    source: str
    clause: str
    verify: bool
    params: dict = field(default_factory=dict)
    unit: str = ""


RULES = [
    # id, zh, en, threshold, unit, source, clause, verify
    ("size.urban", "城市社区规模", "urban community size", "1000–3000", "户", "QH-2017", "§3", False),
    ("size.split", "超规模社区调整", "oversized community split", "> 3000 户且 > 2000 m", "",
     "QH-2017", "§3", False),
    ("facility.area", "综合服务设施面积", "service facility floor area", "≥ 30", "m²/100户",
     "XC-2023", "专栏1", False),
    ("circle.eldercare15", "一刻钟居家养老服务圈", "15-minute elder-care circle", "15", "min",
     "XC-2023", "(二)1", False),
    ("shelter.emergency", "紧急避难场所服务半径", "emergency shelter radius", "≤ 500", "m",
     "GB51143", "", True),
]
SOURCES = {
    "QH-2017": FakeSource("QH-2017", "中共青海省委 青海省人民政府《关于加强和完善城乡社区治理的实施意见》", 2017),
    "XC-2023": FakeSource("XC-2023", "《许昌市\"十四五\"城乡社区服务体系建设规划》(许政办〔2023〕8号)", 2023),
    "GB51143": FakeSource("GB51143", "GB 51143-2015《防灾避难场所设计规范》", 2015),
}


def fake_profile() -> SimpleNamespace:
    rules = {r[0]: FakeRule(r[0], r[1], r[2], r[5], r[6], r[7], unit=r[4]) for r in RULES}
    return SimpleNamespace(
        name="national", title="全国默认 / national default", sources=SOURCES, rules=rules,
        threshold_text=lambda rid, language="zh": {r[0]: f"{r[3]} {r[4]}".strip() for r in RULES}[rid],
        walk_distance_m=lambda minutes, elderly=False: minutes * 1000.0 / 15.0,
    )


def make_result(seed: int = 0, *, optional: bool = True, synthetic: bool = False,
                profile: bool = True, n_households: int = 120) -> PlanResult:
    rng = np.random.default_rng(seed)
    # four 700 m square communities in a 2 × 2 block, 100 m apart
    cells = [(0, 0), (800, 0), (0, 800), (800, 800)]
    cids = [f"C{i + 1}" for i in range(4)]
    polys = [box(X0 + dx, Y0 + dy, X0 + dx + 700, Y0 + dy + 700) for dx, dy in cells]
    # households: points spread over 1,600 m, some in the gaps (outside every community)
    xy = np.column_stack([X0 + rng.uniform(-50, 1550, n_households),
                          Y0 + rng.uniform(-50, 1550, n_households)])
    counts = rng.integers(5, 80, n_households)
    pts = [Point(x, y) for x, y in xy]
    cid: list[str | None] = []
    for p in pts:
        hit = [c for c, poly in zip(cids, polys) if poly.contains(p)]
        cid.append(hit[0] if hit else None)
    households = gpd.GeoDataFrame(
        {"community_id": cid, "households": counts, "residents": counts * 2.6,
         "elderly": np.where(rng.random(n_households) < 0.2, np.nan, counts * 0.5),
         "estimated": rng.random(n_households) < 0.5},
        geometry=pts, crs=CRS, index=pd.Index([f"H{i:04d}" for i in range(n_households)],
                                              name="household_id"))
    for t in TYPES:
        d = rng.uniform(20, 2500, n_households)
        d[rng.random(n_households) < 0.05] = np.nan  # unreachable: missing, never 0
        households[f"dist_{t}_m"] = d
    households["in_circle.eldercare15"] = households["dist_eldercare_m"] <= 1000

    hh_in = households.groupby("community_id")["households"].sum().reindex(cids).fillna(0)
    # scale so that C1 is oversized: 3,500 households
    hh_in = hh_in.astype(int)
    hh_in.loc["C1"] = 3500
    communities = gpd.GeoDataFrame(
        {"name": ["学清苑社区", "清华东路社区", "双清路社区", "石板房社区"],
         "kind": ["urban", "urban", "town", "urban"],
         "facility_area_m2": [400.0, np.nan, 120.0, 900.0],
         "households": hh_in.to_numpy(), "residents": hh_in.to_numpy() * 2.6,
         "service_radius_m": [2300.0, 650.0, np.nan, 800.0],
         "oversized": [True, False, None, False]},
        geometry=polys, crs=CRS, index=pd.Index(cids, name="community_id"))
    for t in TYPES:
        cov = rng.uniform(0, 1, 4)
        cov[2] = np.nan if t == "shelter" else cov[2]
        communities[f"coverage_{t}"] = cov
    statuses = ["met", "not_met", "not_assessable"]
    for r in RULES:
        communities[r[0]] = [statuses[int(i)] for i in rng.integers(0, 3, 4)]
    communities.loc["C1", "size.split"] = "not_met"

    ftypes = list(TYPES) + ["eldercare", "health"]
    fxy = [(X0 + 350, Y0 + 350), (X0 + 1150, Y0 + 300), (X0 + 200, Y0 + 1200),
           (X0 + 1200, Y0 + 1200), (X0 + 700, Y0 + 750), (X0 + 300, Y0 + 600)]
    facilities = gpd.GeoDataFrame(
        {"type": ftypes, "name": [f"设施{i}" for i in range(len(ftypes))],
         "area_m2": [400.0, 350.0, np.nan, 5000.0, 300.0, 800.0], "capacity": np.nan},
        geometry=[Point(p) for p in fxy], crs=CRS,
        index=pd.Index([f"F{i}" for i in range(len(ftypes))], name="facility_id"))

    rules = pd.DataFrame(
        [{"rule_id": r[0], "title_zh": r[1], "title_en": r[2], "threshold": r[3], "unit": r[4],
          "source": r[5], "source_title": SOURCES[r[5]].title, "clause": r[6], "verify": r[7],
          "met": int((communities[r[0]] == "met").sum()),
          "not_met": int((communities[r[0]] == "not_met").sum()),
          "not_assessable": int((communities[r[0]] == "not_assessable").sum()),
          "missing_inputs": "facility_area_m2 (C2)" if r[0] == "facility.area" else ""}
         for r in RULES])

    kwargs: dict = {}
    if optional:
        kwargs["centres"] = gpd.GeoDataFrame(
            {"community_id": cids, "kind": ["service_center", "network_optimum",
                                            "network_optimum", "service_center"]},
            geometry=[poly.centroid for poly in polys], crs=CRS)
        kwargs["service_areas"] = gpd.GeoDataFrame(
            {"facility_id": ["F1", "F1", "F4"], "type": ["eldercare", "eldercare", "eldercare"],
             "minutes": [5.0, 15.0, 15.0]},
            geometry=[facilities.geometry["F1"].buffer(300), facilities.geometry["F1"].buffer(1000),
                      facilities.geometry["F4"].buffer(1000)], crs=CRS)
        kwargs["split_proposals"] = gpd.GeoDataFrame(
            {"community_id": ["C1", "C1"], "part_id": ["C1-1", "C1-2"], "households": [1700, 1800],
             "service_radius_m": [900.0, 1100.0]},
            geometry=[box(X0, Y0, X0 + 350, Y0 + 700), box(X0 + 350, Y0, X0 + 700, Y0 + 700)],
            crs=CRS)
        kwargs["sites"] = gpd.GeoDataFrame(
            {"site_id": ["S1", "S2", "S3"], "type": ["eldercare", "eldercare", "shelter"],
             "status": ["existing", "new", "new"], "households_served": [900.0, 1200.0, 2500.0]},
            geometry=[facilities.geometry["F1"], Point(X0 + 1400, Y0 + 100),
                      Point(X0 + 100, Y0 + 1450)], crs=CRS)
        kwargs["siting_summary"] = pd.DataFrame(
            {"type": ["eldercare", "shelter"], "new_sites": [1, 1],
             "households_covered_before": [2100, 1500], "households_covered_after": [3100, 3900],
             "mean_dist_m_before": [900.0, 1300.0], "mean_dist_m_after": [600.0, 700.0],
             "p95_dist_m_before": [2100.0, 2400.0], "p95_dist_m_after": [1200.0, 1400.0]})
        lines = [LineString([(X0 - 50 + 100 * i, Y0 - 50), (X0 - 50 + 100 * i, Y0 + 1550)])
                 for i in range(17)]
        lines += [LineString([(X0 - 50, Y0 - 50 + 100 * i), (X0 + 1550, Y0 - 50 + 100 * i)])
                  for i in range(17)]
        kwargs["network_edges"] = gpd.GeoDataFrame(
            {"u": np.arange(len(lines)), "v": np.arange(len(lines)) + 1,
             "length_m": [ln.length for ln in lines]}, geometry=lines, crs=CRS)
    out_pts = int(households["community_id"].isna().sum())
    return PlanResult(
        name="海淀区学清路 2026", profile=fake_profile() if profile else None,
        communities=communities, households=households, facilities=facilities, rules=rules,
        manifest={"inputs": {"network": {"path": "data/boundaries/beijing/x.osm", "sha256": "ab" * 32},
                             "communities": {"path": "communities.geojson", "sha256": "cd" * 32}},
                  "versions": {"siting": "0.1.0", "geopandas": "1.2.0"},
                  "parameters": {"policy": "national", "siting": {"eldercare": {"new_sites": 1}}}},
        warnings=[f"{out_pts} household points lie outside every community"],
        synthetic=synthetic, **kwargs)
