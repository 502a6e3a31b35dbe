"""``results.gpkg``: the plan's layers in one GeoPackage that QGIS opens as is.

pyogrio (GDAL) writes the layers; written by hand is only the tidying GeoPackage needs: the id index
becomes a column, tuples/lists/dicts become text, nullable booleans stay booleans (GDAL's boolean
subtype; a missing value reads back as NaN), and the file is written under a temporary name and moved
into place so a crash never leaves a half-written ``results.gpkg``.

Layers: ``communities``, ``households`` (always); ``split_proposals``, ``sites``, ``service_areas``
(always: with the contract's columns and no rows when the plan did not produce them — GeoPackage
allows empty layers); ``facilities`` when the plan has any; ``centres`` and ``network`` (edges) when
present. Rule columns keep their ids as names (``size.urban``): GeoPackage and pyogrio accept dots
in field names, and QGIS shows them; in QGIS expressions quote them (``"size.urban"``).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.report.tables import atomic_path
from siting.result import PlanResult

logger = logging.getLogger(__name__)

#: The contract's key columns (and geometry type) of the layers written even when empty.
EMPTY_LAYERS: dict[str, tuple[dict[str, str], str]] = {
    "split_proposals": ({"community_id": "object", "part_id": "object", "households": "int64",
                         "service_radius_m": "float64"}, "Polygon"),
    "sites": ({"site_id": "object", "type": "object", "status": "object",
               "households_served": "float64"}, "Point"),
    "service_areas": ({"facility_id": "object", "type": "object", "minutes": "float64"}, "Polygon"),
}


def _with_id_column(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn a named index (``community_id`` ...) into a column; drop an unnamed or duplicate one."""
    name = frame.index.name
    if name is not None and name not in frame.columns:
        return frame.reset_index()
    return frame.reset_index(drop=True)


def _cell_to_text(value: object) -> object:
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def tidy_for_gpkg(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``frame`` that GeoPackage stores faithfully (see the module docstring)."""
    out = _with_id_column(frame)
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if s.dtype == object:
            non_null = s.dropna()
            if len(non_null) and non_null.map(lambda v: isinstance(v, (bool, np.bool_))).all():
                out[col] = s.astype("boolean")  # True/False/None → nullable boolean
            elif non_null.map(lambda v: isinstance(v, (list, tuple, set, dict, np.ndarray))).any():
                out[col] = s.map(_cell_to_text)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object)
    return out


def _empty_layer(name: str, crs: object) -> gpd.GeoDataFrame:
    columns, _ = EMPTY_LAYERS[name]
    data = {c: pd.Series([], dtype=t) for c, t in columns.items()}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def layers_of(result: PlanResult) -> dict[str, gpd.GeoDataFrame]:
    """The layers ``write_gpkg`` writes, by layer name, in the plan's CRS."""
    crs = result.communities.crs
    layers: dict[str, gpd.GeoDataFrame] = {
        "communities": result.communities,
        "households": result.households,
    }
    for name in ("split_proposals", "sites", "service_areas"):
        frame = getattr(result, name)
        layers[name] = frame if frame is not None else _empty_layer(name, crs)
    if result.facilities is not None and len(result.facilities):
        layers["facilities"] = result.facilities
    if result.centres is not None:
        layers["centres"] = result.centres
    if result.network_edges is not None:
        layers["network"] = result.network_edges
    return layers


def write_gpkg(result: PlanResult, path: str | os.PathLike[str]) -> Path:
    """Write the plan's layers to a GeoPackage at ``path`` (replacing it), in the plan's metric CRS.

    Parameters
    ----------
    result : siting.result.PlanResult
        The plan.
    path : str or path-like
        Where to write (``results.gpkg``). Written under a temporary name first, then renamed.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    final = Path(path)
    with atomic_path(final) as tmp:
        for name, frame in layers_of(result).items():
            tidy = tidy_for_gpkg(frame)
            geometry_type = None
            if len(tidy) == 0:
                geometry_type = EMPTY_LAYERS.get(name, ({}, "Unknown"))[1]
            tidy.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio",
                         geometry_type=geometry_type)
            logger.debug("wrote layer %s (%d rows)", name, len(tidy))
    logger.info("wrote %s", final)
    return final
