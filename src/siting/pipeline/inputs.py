"""Read every input a configuration names into one metric CRS, and count what came in.

The counting matters: the contract promises that every household of the input is in the output
exactly once, so the totals read here travel to ``run.json`` and are checked against the outputs.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from siting import io as sio
from siting.errors import InputError, Notice, Problem
from siting.pipeline.config import PlanConfig

log = logging.getLogger(__name__)

_OSM_SUFFIXES = (".osm", ".osm.bz2", ".xml")


@dataclass(frozen=True)
class Inputs:
    """Everything a plan reads, in one metric CRS, with the counts that came in."""

    crs: CRS
    communities: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame | None
    households_source: str
    facilities_source: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def households_in(self) -> int:
        """Households in the input (sum of the ``households`` column)."""
        return int(self.households["households"].sum())


def sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_osm(path: Path | str | None) -> bool:
    return path is not None and str(path).lower().endswith(_OSM_SUFFIXES)


@functools.lru_cache(maxsize=2)
def _osm_features(path: Path) -> Any:
    """An OSM file's features, parsed once however many inputs it provides."""
    return sio.read_osm_features(path)


def read_inputs(cfg: PlanConfig, profile: Any) -> Inputs:
    """Read and validate the communities, demand, facilities and candidates of a plan.

    Parameters
    ----------
    cfg : PlanConfig
        The validated configuration.
    profile : siting.policy.Profile
        Supplies building defaults, the household size, the OSM tag table and the facility types.

    Returns
    -------
    Inputs

    Raises
    ------
    siting.errors.InputError
        Naming the file, feature, column and fix (the io layer gathers all problems of a file).
    """
    warnings: list[str] = []
    settings = profile.settings
    known_types = list(settings.get("facility_types", {}))
    coords = cfg.coords

    # The CRS: given, or the local UTM zone the reader chooses for the communities (read once).
    communities = sio.read_communities(_required(cfg.communities, "communities"), coords=coords,
                                       crs=CRS.from_user_input(cfg.crs) if cfg.crs else None)
    crs = communities.crs

    buildings_cfg = settings.get("buildings", {})
    if cfg.households is not None:
        households = sio.read_households(cfg.households, coords=coords, crs=crs)
        hh_source = str(cfg.households)
    elif cfg.buildings is not None:
        if _is_osm(cfg.buildings):
            features = _osm_features(cfg.buildings)
            buildings = sio.buildings_from_osm(features, crs=crs)
            areas = sio.communities_from_osm(features, crs=crs)
        else:
            buildings = sio.read_buildings(cfg.buildings, coords=coords, crs=crs)
            areas = None
        households = sio.households_from_buildings(
            buildings,
            dwelling_size_m2=float(buildings_cfg.get("dwelling_size_m2", 90.0)),
            default_levels=dict(buildings_cfg.get("default_levels", {})),
            residential_types=list(buildings_cfg.get("residential_types", [])),
            residential_areas=areas if areas is not None else communities,
            yes_inside_residential=bool(buildings_cfg.get("yes_inside_residential", True)),
        )
        hh_source = f"{cfg.buildings} (estimated from buildings)"
        warnings.append(Notice(
            f"households estimated from {len(buildings)} buildings (footprint × levels ÷ dwelling "
            "size): an estimate, not a count",
            f"住户数由 {len(buildings)} 栋建筑估算（占地面积 × 层数 ÷ 套均面积）：是估计值，不是统计数"))
    else:
        ratio = float(settings.get("households", {}).get("residents_per_household", 2.62))
        households = sio.households_from_raster(_required(cfg.population, "population"), residents_per_household=ratio,
                                                crs=crs, coords=coords)
        hh_source = f"{cfg.population} (estimated from a population raster)"
        warnings.append(Notice("households estimated from a population raster: an estimate, not a count",
                               "住户数由人口栅格估算：是估计值，不是统计数"))

    if cfg.facilities is not None:
        facilities = sio.read_facilities(cfg.facilities, coords=coords, crs=crs,
                                         facility_types=known_types or None)
        fac_source = str(cfg.facilities)
    elif _is_osm(cfg.network):
        facilities = sio.facilities_from_osm(_osm_features(cfg.network),
                                             tag_table=settings.get("osm_facilities", []), crs=crs)
        fac_source = f"{cfg.network} (OpenStreetMap tags)"
        warnings.append(Notice(
            "facilities taken from OpenStreetMap tags: OSM may miss facilities (elder care and "
            "service centres are often unmapped); check before deciding",
            "设施取自 OpenStreetMap 标签：OSM 可能遗漏设施（养老和社区服务设施常未标注），决策前请核对"))
    else:
        raise InputError(Problem(
            "no facilities given and the network is not an OSM file to take them from",
            source=str(cfg.source) if cfg.source else None, column="inputs.facilities",
            fix="set facilities = a file with facility_id and type columns"))

    candidates = None
    if cfg.candidates is not None:
        candidates = sio.read_candidates(cfg.candidates, coords=coords, crs=crs,
                                        facility_types=known_types or None)

    files = {}
    for key, path in cfg.input_paths().items():
        files[key] = {"path": str(path), "sha256": sha256(path), "bytes": path.stat().st_size}
    return Inputs(crs=crs, communities=communities, households=households, facilities=facilities,
                  candidates=candidates, households_source=hh_source, facilities_source=fac_source,
                  files=files, warnings=warnings)


def _required(path: Path | None, key: str) -> Path:
    """A path the configuration check already guaranteed (named for the message if not)."""
    if path is None:
        raise InputError(Problem(f"no {key} given", column=f"inputs.{key}",
                                 fix=f"set {key} = a file under [inputs]"))
    return path


def households_total(frame: pd.DataFrame) -> int:
    """Sum of the ``households`` column as a Python int."""
    return int(pd.to_numeric(frame["households"]).sum())
