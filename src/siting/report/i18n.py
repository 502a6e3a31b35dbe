"""Labels of every output (map, report, spreadsheet) in Chinese and English.

Written by hand: a plain dictionary is all a two-language tool needs; gettext catalogues would add a
build step for a few hundred words. Chinese (``"zh"``) is the default language of every output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from siting.errors import InputError, Problem

LANGUAGES = ("zh", "en")

#: key -> (Chinese, English)
LABELS: dict[str, tuple[str, str]] = {
    # banners, titles
    "synthetic_banner": ("合成数据：本结果所用数据含程序生成的部分，不代表真实情况",
                         "Synthetic data: some inputs were generated; this does not describe a real place"),
    "synthetic_short": ("合成数据", "synthetic data"),
    "attribution": ("© OpenStreetMap contributors (ODbL)", "© OpenStreetMap contributors (ODbL)"),
    "report_title": ("社区规划与设施选址报告", "Community planning and facility siting report"),
    "map_title": ("社区规划与设施选址地图", "Community planning and facility siting map"),
    "profile": ("政策配置", "Policy profile"),
    "generated": ("生成时间", "Generated"),
    "legend": ("图例", "Legend"),
    "thresholds": ("阈值及来源", "Thresholds and sources"),
    "verify_note": ("默认值，需对照标准原文核实", "default value, to be checked against the standard text"),
    "offline_note": ("交互地图需联网加载 Leaflet 库和底图；当前无法加载，以下为静态概览图。",
                     ("The interactive map needs the network to load the Leaflet library and base "
                      "tiles; it could not load them, so a static overview is shown instead.")),
    "no_tiles": ("无底图（离线）", "No base map (offline)"),
    "osm_tiles": ("OpenStreetMap 底图", "OpenStreetMap base map"),
    "aggregated_note": ("住户点较多，按 {cell} 米网格汇总显示", "many household points: shown summed on a {cell} m grid"),
    "network_skipped": ("路网边过多，未显示", "too many network edges; not shown"),
    "speed_note": ("步行时间按 {speed:.1f} 米/分钟换算", "walking minutes at {speed:.1f} m/min"),
    "speed_default_note": ("步行时间按 GB 50180 的 15 分钟≈1000 米换算（未提供政策配置）",
                           "walking minutes at GB 50180's 15 min ≈ 1,000 m (no profile given)"),
    "rule_layers_note": ("其他规则的社区图层默认隐藏，可在图层控制中打开",
                         "community layers for the other rules are hidden: switch them on in the layer control"),
    "coloured_by": ("社区着色依据", "Communities coloured by"),
    # layer names
    "layer_communities": ("社区", "Communities"),
    "layer_households": ("住户", "Households"),
    "layer_facilities": ("现有设施", "Existing facilities"),
    "layer_sites": ("选址方案", "Siting plan"),
    "layer_new_sites": ("新增站点", "New sites"),
    "layer_service_areas": ("服务范围", "Service areas"),
    "layer_split": ("拆分建议", "Split proposals"),
    "layer_centres": ("社区中心", "Community centres"),
    "layer_network": ("步行路网", "Walking network"),
    # statuses
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "not_assessable": ("无法评估", "not assessable"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "unknown": ("未知", "unknown"),
    "unreachable": ("不可达", "unreachable"),
    "elderly_pace": ("（老年人步速）", " (elderly pace)"),
    "existing": ("现有", "existing"),
    "new": ("新增", "new"),
    # kinds
    "urban": ("城市", "urban"),
    "town": ("城镇", "town"),
    "rural": ("农村", "rural"),
    "service_center_centre": ("服务设施", "service centre"),
    "network_optimum": ("路网最优点", "network optimum"),
    # columns
    "community_id": ("社区编号", "Community id"),
    "name": ("名称", "Name"),
    "kind": ("类型", "Kind"),
    "households": ("户数", "Households"),
    "residents": ("人口", "Residents"),
    "elderly": ("老年人口", "Elderly"),
    "service_radius_m": ("服务半径 (米)", "Service radius (m)"),
    "oversized": ("需调整规模", "Oversized"),
    "coverage": ("覆盖率", "Coverage"),
    "coverage_pct": ("覆盖率 (%)", "Coverage (%)"),
    "household_id": ("住户点编号", "Household point id"),
    "distance_m": ("距离 (米)", "Distance (m)"),
    "walk_min": ("步行 (分钟)", "Walk (min)"),
    "facility_id": ("设施编号", "Facility id"),
    "type": ("设施类型", "Facility type"),
    "minutes": ("步行时间 (分钟)", "Walking time (min)"),
    "part_id": ("分区编号", "Part id"),
    "meets_size": ("户数符合规模", "Within the household band"),
    "meets_radius": ("服务半径达标", "Within the service radius"),
    "contiguous": ("分区连续", "Contiguous"),
    "issues": ("未达标原因", "What fails"),
    "site_id": ("站点编号", "Site id"),
    "status": ("状态", "Status"),
    "households_served": ("服务户数", "Households served"),
    "count": ("数量", "Count"),
    "rule_id": ("规则编号", "Rule id"),
    "title": ("规则", "Rule"),
    "threshold": ("阈值", "Threshold"),
    "unit": ("单位", "Unit"),
    "source": ("来源", "Source"),
    "source_title": ("来源文件", "Source document"),
    "clause": ("条款", "Clause"),
    "verify": ("核实", "Verify"),
    "missing_inputs": ("缺少的输入", "Missing inputs"),
    "key": ("代号", "Key"),
    "year": ("年份", "Year"),
    "document": ("文件", "Document"),
    "item": ("项目", "Item"),
    "value": ("数值", "Value"),
    "path": ("路径", "Path"),
    "sha256": ("SHA-256", "SHA-256"),
    "package": ("软件包", "Package"),
    "version": ("版本", "Version"),
    "parameter": ("参数", "Parameter"),
    "points": ("住户点数", "Household points"),
    "reachable": ("可达", "Reachable"),
    "mean_m": ("平均 (米)", "Mean (m)"),
    "median_m": ("中位数 (米)", "Median (m)"),
    "p95_m": ("95% 分位 (米)", "95th percentile (m)"),
    "max_m": ("最大 (米)", "Max (m)"),
    "warning": ("提示", "Warning"),
    # summary figures
    "n_communities": ("社区数", "Communities"),
    "n_household_points": ("住户点数", "Household points"),
    "n_households": ("总户数", "Households"),
    "n_households_in": ("社区内户数", "Households inside a community"),
    "n_households_out": ("不在任何社区内的户数", "Households outside every community"),
    "n_points_out": ("不在任何社区内的住户点", "Household points outside every community"),
    "n_residents": ("总人口", "Residents"),
    "n_oversized": ("需调整规模的社区", "Oversized communities"),
    "n_facilities": ("现有设施数", "Existing facilities"),
    "n_new_sites": ("新增站点数", "New sites"),
    "n_split_parts": ("拆分建议分区数", "Split proposal parts"),
    "n_warnings": ("提示数", "Warnings"),
    # sections
    "sec_summary": ("概要", "Summary"),
    "sec_warnings": ("提示", "Warnings"),
    "sec_rules": ("逐条规则评估", "Rule by rule"),
    "sec_communities": ("各社区情况", "Communities"),
    "sec_charts": ("图表", "Charts"),
    "sec_distances": ("到各类设施的步行距离", "Walking distance to each facility type"),
    "sec_coverage": ("各类设施覆盖率", "Coverage per facility type"),
    "sec_siting": ("选址前后对比", "Siting: before and after"),
    "sec_sites": ("选址方案站点", "Sites of the siting plan"),
    "sec_split": ("社区拆分建议", "Split proposals"),
    "sec_inputs": ("输入文件与软件版本", "Inputs and versions"),
    "sec_sources": ("来源", "Sources"),
    "sec_parameters": ("参数", "Parameters"),
    "sec_overview": ("概览图", "Overview"),
    "none_available": ("无", "none"),
    # charts
    "chart_households": ("各社区户数与 1,000–3,000 户规模区间", "Households per community and the 1,000–3,000 band"),
    "chart_coverage": ("各类设施覆盖住户的比例", "Share of households covered per facility type"),
    "chart_distances": ("住户到最近设施的步行距离分布", "Walking distance from households to the nearest facility"),
    "chart_overview": ("社区、住户与设施概览", "Communities, households and facilities"),
    "band": ("规模区间", "size band"),
    "households_axis": ("户数", "households"),
    "share_axis": ("住户比例 (%)", "share of households (%)"),
    "distance_axis": ("步行距离 (米)", "walking distance (m)"),
    "cumulative_axis": ("累计住户比例 (%)", "cumulative share of households (%)"),
    # sheets (Excel forbids / \ ? * [ ] : in sheet names)
    "sheet_summary": ("概要", "Summary"),
    "sheet_rules": ("规则", "Rules"),
    "sheet_communities": ("社区", "Communities"),
    "sheet_distances": ("步行距离", "Distances"),
    "sheet_coverage": ("覆盖率", "Coverage"),
    "sheet_siting": ("选址前后", "Siting"),
    "sheet_sites": ("站点", "Sites"),
    "sheet_split": ("拆分建议", "Split proposals"),
    "sheet_inputs": ("输入文件", "Inputs"),
    "sheet_versions": ("软件版本", "Versions"),
    "sheet_parameters": ("参数", "Parameters"),
    "sheet_warnings": ("提示", "Warnings"),
    "sheet_sources": ("来源", "Sources"),
}

#: facility type -> (Chinese, English), used only where no profile is at hand (or the profile's
#: ``[facility_types]`` table does not name the type): the profile's names come first, so a profile
#: that adds a type or renames one changes every output. Types named nowhere are shown by their id.
FACILITY_TYPES: dict[str, tuple[str, str]] = {
    "service_center": ("社区综合服务设施", "community service centre"),
    "eldercare": ("养老服务设施", "elder care"),
    "fitness": ("健身设施", "fitness"),
    "shelter": ("应急避难场所", "emergency shelter"),
    "health": ("卫生服务设施", "health"),
    "school": ("学校", "school"),
    "kindergarten": ("幼儿园", "kindergarten"),
    "market": ("菜市场", "market"),
}

#: column names of siting_summary and other pipeline tables that have a label.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "households_covered_before": ("覆盖户数（选址前）", "Households covered (before)"),
    "households_covered_after": ("覆盖户数（选址后）", "Households covered (after)"),
    "share_covered_before": ("覆盖比例（选址前）", "Share covered (before)"),
    "share_covered_after": ("覆盖比例（选址后）", "Share covered (after)"),
    "mean_dist_m_before": ("平均距离（选址前，米）", "Mean distance (before, m)"),
    "mean_dist_m_after": ("平均距离（选址后，米）", "Mean distance (after, m)"),
    "p95_dist_m_before": ("95% 分位距离（选址前，米）", "95th pct distance (before, m)"),
    "p95_dist_m_after": ("95% 分位距离（选址后，米）", "95th pct distance (after, m)"),
    "new_sites": ("新增站点数", "New sites"),
    "existing_sites": ("现有站点数", "Existing sites"),
    "model": ("模型", "Model"),
    "objective": ("目标值", "Objective"),
    "bound": ("界", "Bound"),
    "gap": ("间隙", "Gap"),
    "uncovered_households": ("未覆盖户数", "Households not covered"),
    # siting summary (siting.optimize.plans)
    "request": ("需求", "Request"),
    "radius_m": ("服务半径（米）", "Radius (m)"),
    "radius_source": ("半径依据", "Radius from"),
    "weight": ("需求权重", "Demand weight"),
    "candidates": ("候选点数", "Candidate sites"),
    "households_unreachable": ("任何站点都无法覆盖的户数", "Households no site can reach"),
    "capacity_note": ("容量校核", "Capacity check"),
    "before_households_covered": ("覆盖户数（选址前）", "Households covered (before)"),
    "after_households_covered": ("覆盖户数（选址后）", "Households covered (after)"),
    "before_share_covered": ("覆盖比例（选址前）", "Share covered (before)"),
    "after_share_covered": ("覆盖比例（选址后）", "Share covered (after)"),
    "before_mean_dist_m": ("平均距离（选址前，米）", "Mean distance (before, m)"),
    "after_mean_dist_m": ("平均距离（选址后，米）", "Mean distance (after, m)"),
    "before_p95_dist_m": ("95% 分位距离（选址前，米）", "95th pct distance (before, m)"),
    "after_p95_dist_m": ("95% 分位距离（选址后，米）", "95th pct distance (after, m)"),
}


def check_language(language: str) -> str:
    """Return ``language`` if supported, else raise :class:`~siting.errors.InputError`."""
    if language not in LANGUAGES:
        raise InputError(Problem(f"unknown language {language!r}", column="language",
                                 fix=f"use one of {', '.join(LANGUAGES)}"))
    return language


def label(key: str, language: str = "zh", **fmt: object) -> str:
    """The label ``key`` in ``language``; ``fmt`` fills ``{placeholders}``. Unknown keys return the key."""
    pair = LABELS.get(key) or COLUMN_LABELS.get(key)
    if pair is None:
        return key
    text = pair[0] if language == "zh" else pair[1]
    return text.format(**fmt) if fmt else text


def type_name(facility_type: str, language: str = "zh", profile: Any = None) -> str:
    """A facility type's name in ``language``: from ``profile``'s ``[facility_types]`` table when it
    names the type, else from :data:`FACILITY_TYPES`, else the type's id."""
    named = getattr(profile, "type_name", None)
    if callable(named):
        name = named(str(facility_type), language)
        if name != str(facility_type):
            return str(name)
    pair = FACILITY_TYPES.get(str(facility_type))
    if pair is None:
        return str(facility_type)
    return pair[0] if language == "zh" else pair[1]


def status_word(value: object, language: str = "zh") -> str:
    """``met`` / ``not_met`` / ``not_assessable`` in words; anything else (missing) as "not assessable"."""
    if isinstance(value, str) and value in ("met", "not_met", "not_assessable"):
        return label(value, language)
    return label("not_assessable", language)


def subject_name(key: str, language: str = "zh",
                 rule_titles: Mapping[str, str] | None = None, profile: Any = None) -> str:
    """What a ``coverage_<key>`` is about: a rule (``circle.service`` + its title) or a facility type."""
    if rule_titles and key in rule_titles:
        return f"{key} {rule_titles[key]}".strip()
    return type_name(key, language, profile)


def column_label(column: str, language: str = "zh",
                 rule_titles: Mapping[str, str] | None = None, profile: Any = None) -> str:
    """Header for a table column: known keys translated, ``coverage_<x>`` and ``dist_<type>_m`` spelled out."""
    if column in LABELS or column in COLUMN_LABELS:
        return label(column, language)
    if column.startswith("coverage_"):
        sep = "：" if language == "zh" else ": "
        return f"{label('coverage', language)}{sep}{subject_name(column[9:], language, rule_titles, profile)} (%)"
    if column.startswith("dist_") and column.endswith("_m"):
        t = type_name(column[5:-2], language, profile)
        return f"到{t}距离 (米)" if language == "zh" else f"Distance to {t} (m)"
    return label(column, language)
