"""The result of a plan: every table a report, a map or a notebook needs.

It lives at the top of the package because the `report` layer reads it and the `pipeline` layer builds
it; neither owns it. It holds data only, no behaviour beyond convenience accessors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd


@dataclass(frozen=True)
class PlanResult:
    """Everything one plan produced, in the plan's metric CRS.

    Attributes
    ----------
    name : str
        The plan's name (``[plan] name`` in the configuration).
    profile : Any
        The :class:`siting.policy.Profile` the plan was judged against.
    communities : geopandas.GeoDataFrame
        Indexed by ``community_id``: the contract's columns (households, residents,
        service_radius_m, oversized, ``coverage_<type>``, one column per rule with
        ``met`` / ``not_met`` / ``not_assessable``) and the inputs' columns.
    households : geopandas.GeoDataFrame
        Indexed by ``household_id``: community_id, households, ``dist_<type>_m``, ``in_<rule>`` flags.
    facilities : geopandas.GeoDataFrame
        Existing facilities, indexed by ``facility_id``.
    rules : pandas.DataFrame
        One row per rule of the profile: ``rule_id``, ``title_zh``, ``title_en``, ``threshold``,
        ``unit``, ``source``, ``source_title``, ``clause``, ``verify``, counts ``met``, ``not_met``,
        ``not_assessable``, and ``missing_inputs`` (what kept it from being assessed).
    centres : geopandas.GeoDataFrame, optional
        The centre used for each community's service radius (``community_id``, ``kind`` =
        ``service_center`` or ``network_optimum``).
    service_areas : geopandas.GeoDataFrame, optional
        facility_id, type, minutes, geometry.
    split_proposals : geopandas.GeoDataFrame, optional
        community_id, part_id, households, service_radius_m, geometry.
    sites : geopandas.GeoDataFrame, optional
        site_id, type, status (``existing`` / ``new``), households_served, geometry.
    siting_summary : pandas.DataFrame, optional
        Before / after figures per facility type placed (households covered, mean and p95 distance).
    network_edges : geopandas.GeoDataFrame, optional
        The walking network's edges, for maps.
    manifest : dict
        The content of ``run.json``.
    warnings : list of str
        What the planner should know (households outside every community, detached network pieces...).
    synthetic : bool
        True when any input was generated; every output says so.
    """

    name: str
    profile: Any
    communities: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    rules: pd.DataFrame
    centres: gpd.GeoDataFrame | None = None
    service_areas: gpd.GeoDataFrame | None = None
    split_proposals: gpd.GeoDataFrame | None = None
    sites: gpd.GeoDataFrame | None = None
    siting_summary: pd.DataFrame | None = None
    network_edges: gpd.GeoDataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    synthetic: bool = False
