"""The layers of ``map.html``: one function per layer, each returning a folium ``FeatureGroup``.

Change what a layer shows (its colours, tooltip fields, names) here; :mod:`siting.report.maps`
assembles the layers into the page (legend, title, offline fallback). Every layer is reprojected to
WGS84 by :func:`wgs84`: the map is the one output in longitude/latitude.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.report import tables
from siting.report.charts import community_colours, type_colour
from siting.report.i18n import label, status_word, subject_name, type_name
from siting.report.tables import rule_ids
from siting.result import PlanResult

logger = logging.getLogger(__name__)


def wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """To WGS84, coordinates rounded to 1e-6° (≈ 0.1 m) to keep the file small."""
    out = frame.to_crs(4326)
    out = out.set_geometry(shapely.transform(out.geometry.values, lambda xy: np.round(xy, 6)))
    return out


def _finite(v: Any) -> float | None:
    """``v`` as a finite float, or None (missing, text, NaN, inf)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def fmt_int(v: Any) -> str:
    """``"1,234"``; "–" for a missing value."""
    f = _finite(v)
    return "–" if f is None else f"{f:,.0f}"


def fmt_pct(v: Any) -> str:
    """A share as ``"42%"``; "–" for a missing value."""
    f = _finite(v)
    return "–" if f is None else f"{100 * f:.0f}%"


def fmt_dist(d: Any, speed: float, language: str, *, minutes: Any = None, elderly: bool = False) -> str:
    """``"820 m · 12.3 分钟"``: metres and walking minutes (``minutes(d)`` when given, else
    ``d / speed``), marked when the minutes are at the elderly pace."""
    try:
        f = float(d)
    except (TypeError, ValueError):
        f = float("nan")
    if not np.isfinite(f):
        return label("unreachable", language)
    unit = "分钟" if language == "zh" else "min"
    mins = minutes(f) if minutes is not None else f / speed
    pace = label("elderly_pace", language) if elderly else ""
    return f"{f:,.0f} m · {mins:.1f} {unit}{pace}"


def walk_minutes(result: PlanResult, ftype: str) -> tuple[Any, bool]:
    """``(distance → minutes, elderly)`` for distances to facilities of ``ftype``: the profile's walk
    table, at the elderly pace when one of its circle rules for the type says so (elder care);
    ``(None, False)`` without a usable profile (the caller then divides by the walking speed)."""
    profile = result.profile
    try:
        elderly = any(r.params.get("facility_type") == ftype and bool(r.params.get("elderly"))
                      for r in profile.circle_rules())
        profile.walk_minutes(1000.0, elderly=elderly)
    except Exception:  # noqa: BLE001 - duck-typed or partial profile: plain speed, said on the map
        return None, False
    return (lambda d: profile.walk_minutes(d, elderly=elderly)), elderly


def geojson_layer(frame: gpd.GeoDataFrame, fields: dict[str, str], *, name: str, style: dict,
                   style_key: str | None = None, marker: Any = None, show: bool = True
                   ) -> folium.FeatureGroup | None:
    """One GeoJSON overlay with a tooltip of ``fields`` (property → alias); style per feature.

    None for an empty frame (folium's tooltip refuses a collection without features).
    """
    if len(frame) == 0:
        return None
    group = folium.FeatureGroup(name=name, show=show)
    props = list(fields)
    keep = props + ([style_key] if style_key and style_key not in props else [])
    data = gpd.GeoDataFrame(frame[keep].astype(object).where(frame[keep].notna(), None),
                            geometry=frame.geometry.values, crs=frame.crs)

    def style_function(feature: dict) -> dict:
        s = dict(style)
        if style_key:
            s.update(feature["properties"].get(style_key) or {})
        return s

    if style_key:
        data[style_key] = data[style_key].map(lambda v: v if isinstance(v, dict) else {})
    folium.GeoJson(
        data, style_function=style_function, marker=marker,
        tooltip=folium.GeoJsonTooltip(fields=props, aliases=[fields[p] for p in props], sticky=True,
                                      style="font-size:12px;"),
    ).add_to(group)
    return group


def communities_layer(result: PlanResult, color_by: str, language: str, speed: float, *,
                       name: str | None = None, show: bool = True) -> folium.FeatureGroup | None:
    c = result.communities
    d = gpd.GeoDataFrame(index=c.index, geometry=c.geometry, crs=c.crs)
    fields: dict[str, str] = {}
    titles = tables.rule_titles(result, language)

    def add(key: str, alias: str, values: pd.Series) -> None:
        d[key] = values.to_numpy()
        fields[key] = alias

    add("p_id", label("community_id", language), pd.Series(c.index.astype(str), index=c.index))
    if "name" in c.columns:
        add("p_name", label("name", language), c["name"].fillna("").astype(str))
    for col in ("households", "residents"):
        if col in c.columns:
            add(f"p_{col}", label(col, language), c[col].map(fmt_int))
    if "service_radius_m" in c.columns:
        add("p_radius", label("service_radius_m", language), c["service_radius_m"].map(fmt_int))
    if "oversized" in c.columns:
        add("p_oversized", label("oversized", language), c["oversized"].map(
            lambda v: label("unknown", language) if v is None or v is pd.NA
            or (isinstance(v, float) and np.isnan(v)) else label("yes" if v else "no", language)))
    coverage = tables.coverage_columns(result)
    for i, col in enumerate(coverage):  # property keys without dots: plain JavaScript names
        alias = f"{label('coverage', language)} · {subject_name(str(col)[9:], language, titles, result.profile)}"
        add(f"p_cov{i}", alias, c[col].map(fmt_pct))
    for i, rid in enumerate(rule_ids(result)):
        title = titles.get(rid)
        alias = f"{rid} {title}" if title else rid
        add(f"p_rule{i}", alias, c[rid].map(lambda v: status_word(v, language)))
    colours = community_colours(result, color_by)
    d["_style"] = [{"fillColor": col} for col in colours]
    return geojson_layer(wgs84(d), fields, name=name or label("layer_communities", language),
                          style={"color": "#333333", "weight": 1.2, "fillOpacity": 0.35},
                          style_key="_style", show=show)


def aggregate_households(h: gpd.GeoDataFrame, max_points: int) -> tuple[gpd.GeoDataFrame, float]:
    """Sum household points on a square grid coarse enough to leave at most ``max_points`` cells."""
    x, y = h.geometry.x.to_numpy(), h.geometry.y.to_numpy()
    cell = 50.0
    while True:
        keys = pd.MultiIndex.from_arrays([np.floor(x / cell), np.floor(y / cell)])
        if keys.nunique() <= max_points:
            break
        cell *= 2
    w = pd.to_numeric(h.get("households", 1), errors="coerce")
    frame = pd.DataFrame({"gx": np.floor(x / cell), "gy": np.floor(y / cell),
                          "households": w.fillna(0).to_numpy() if isinstance(w, pd.Series) else 1,
                          "points": 1})
    dist_cols = [c for c in h.columns if str(c).startswith("dist_") and str(c).endswith("_m")]
    for col in dist_cols:  # household-weighted mean of the reachable ones; NaN if none reachable
        d = pd.to_numeric(h[col], errors="coerce").to_numpy()
        frame[f"{col}_wsum"] = np.where(np.isfinite(d), d * frame["households"], 0.0)
        frame[f"{col}_w"] = np.where(np.isfinite(d), frame["households"], 0.0)
    g = frame.groupby(["gx", "gy"]).sum()
    out = pd.DataFrame({"households": g["households"], "points": g["points"]})
    for col in dist_cols:
        out[col] = (g[f"{col}_wsum"] / g[f"{col}_w"]).where(g[f"{col}_w"] > 0)
    cx = (g.index.get_level_values("gx").to_numpy() + 0.5) * cell
    cy = (g.index.get_level_values("gy").to_numpy() + 0.5) * cell
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gpd.points_from_xy(cx, cy),
                            crs=h.crs), cell


def households_layer(result: PlanResult, language: str, speed: float, max_points: int
                      ) -> tuple[folium.FeatureGroup | None, str | None]:
    h = result.households
    note = None
    if len(h) > max_points:
        h, cell = aggregate_households(h, max_points)
        note = label("aggregated_note", language, cell=f"{cell:,.0f}")
        logger.info("map: %d household points summed on a %.0f m grid", len(result.households), cell)
    d = gpd.GeoDataFrame(index=h.index, geometry=h.geometry, crs=h.crs)
    fields: dict[str, str] = {}
    if note is None:
        d["p_id"] = h.index.astype(str)
        fields["p_id"] = label("household_id", language)
        if "community_id" in h.columns:
            d["p_cid"] = h["community_id"].map(lambda v: v if isinstance(v, str) and v else "–")
            fields["p_cid"] = label("community_id", language)
    else:
        d["p_points"] = h["points"].map(fmt_int)
        fields["p_points"] = label("points", language)
    w = pd.to_numeric(h["households"], errors="coerce") if "households" in h.columns \
        else pd.Series(1.0, index=h.index)
    d["p_hh"] = w.map(fmt_int)
    fields["p_hh"] = label("households", language)
    for i, col in enumerate(c for c in h.columns if str(c).startswith("dist_") and str(c).endswith("_m")):
        t = type_name(str(col)[5:-2], language, result.profile)
        to_min, elderly = walk_minutes(result, str(col)[5:-2])
        d[f"p_d{i}"] = h[col].map(lambda v, f=to_min, e=elderly: fmt_dist(v, speed, language,
                                                                          minutes=f, elderly=e))
        fields[f"p_d{i}"] = f"到{t}" if language == "zh" else f"to {t}"
    wmax = float(np.nanmax(w.to_numpy(dtype=float))) if len(w) and np.isfinite(w).any() else 1.0
    radius = 2.0 + 8.0 * np.sqrt(w.fillna(0).to_numpy(dtype=float) / max(wmax, 1.0))
    d["_style"] = [{"radius": float(r)} for r in radius]
    marker = folium.CircleMarker(radius=3, stroke=False, fill=True, fill_color="#3d3d3d",
                                 fill_opacity=0.55)
    group = geojson_layer(wgs84(d), fields, name=label("layer_households", language),
                           style={"fillColor": "#3d3d3d", "fillOpacity": 0.55, "stroke": False},
                           style_key="_style", marker=marker)
    return group, note


def point_layers_by_type(frame: gpd.GeoDataFrame, language: str, prefix: str, profile: Any = None
                          ) -> list[folium.FeatureGroup]:
    groups: list[folium.FeatureGroup] = []
    pts = frame.copy()
    pts = pts.set_geometry(pts.geometry.representative_point())
    for t, sub in pts.groupby(pts["type"].astype(str), sort=True):
        d = gpd.GeoDataFrame(index=sub.index, geometry=sub.geometry, crs=sub.crs)
        d["p_id"] = sub.index.astype(str)
        d["p_type"] = type_name(t, language, profile)
        fields = {"p_id": label("facility_id", language), "p_type": label("type", language)}
        if "name" in sub.columns:
            d["p_name"] = sub["name"].fillna("").astype(str)
            fields["p_name"] = label("name", language)
        colour = type_colour(t)
        marker = folium.CircleMarker(radius=7, color="white", weight=1.5, fill=True,
                                     fill_color=colour, fill_opacity=0.95)
        sep = "：" if language == "zh" else ": "
        group = geojson_layer(wgs84(d), fields, name=f"{prefix}{sep}{type_name(t, language, profile)}",
                               style={"color": "white", "fillColor": colour, "weight": 1.5,
                                      "fillOpacity": 0.95}, marker=marker)
        if group is not None:
            groups.append(group)
    return groups


def sites_layer(result: PlanResult, language: str) -> folium.FeatureGroup | None:
    s = result.sites
    if s is None or len(s) == 0:
        return None
    group = folium.FeatureGroup(name=label("layer_sites", language))
    s = wgs84(s.set_geometry(s.geometry.representative_point()))
    for idx, row in s.iterrows():
        t = str(row.get("type", ""))
        status = str(row.get("status", ""))
        tip = html.escape(" · ".join([str(row.get("site_id", idx)), type_name(t, language, result.profile),
                                      label(status, language),
                                      label("households_served", language),
                                      fmt_int(row.get("households_served"))]))
        loc = [row.geometry.y, row.geometry.x]
        if status == "new":
            icon = folium.DivIcon(html=f'<div class="siting-star" style="color:{type_colour(t)}">★</div>',
                                  icon_size=(24, 24), icon_anchor=(12, 12))
            folium.Marker(loc, icon=icon, tooltip=tip).add_to(group)
        else:
            folium.CircleMarker(loc, radius=10, color=type_colour(t), weight=3, fill=False,
                                tooltip=tip).add_to(group)
    return group


def service_areas_layers(result: PlanResult, language: str) -> list[folium.FeatureGroup | None]:
    """One hidden layer per facility type (all of them at once would bury the map)."""
    sa = result.service_areas
    if sa is None or len(sa) == 0:
        return []
    sa = sa.sort_values("minutes", ascending=False) if "minutes" in sa.columns else sa
    types = sa["type"].astype(str) if "type" in sa.columns else pd.Series("", index=sa.index)
    sep = "：" if language == "zh" else ": "
    layers = []
    for t in sorted(types.unique()):
        sub = sa[(types == t).to_numpy()]
        d = gpd.GeoDataFrame(index=range(len(sub)), geometry=sub.geometry.values, crs=sub.crs)
        d["p_fid"] = sub["facility_id"].astype(str).to_numpy() if "facility_id" in sub.columns else "–"
        d["p_type"] = type_name(t, language, result.profile)
        d["p_min"] = sub["minutes"].map(fmt_int).to_numpy() if "minutes" in sub.columns else "–"
        fields = {"p_fid": label("facility_id", language), "p_type": label("type", language),
                  "p_min": label("minutes", language)}
        layers.append(geojson_layer(
            wgs84(d), fields, name=f"{label('layer_service_areas', language)}{sep}{type_name(t, language, result.profile)}",
            style={"weight": 0.8, "fillOpacity": 0.06, "opacity": 0.5, "color": type_colour(t),
                   "fillColor": type_colour(t)}, show=False))
    return layers


def split_layer(result: PlanResult, language: str) -> folium.FeatureGroup | None:
    sp = result.split_proposals
    if sp is None or len(sp) == 0:
        return None
    d = gpd.GeoDataFrame(index=range(len(sp)), geometry=sp.geometry.values, crs=sp.crs)
    fields = {}
    table = tables.split_table(result, language)
    assert table is not None
    for col in table.columns:
        fmt = fmt_int if col in ("households", "service_radius_m") else str
        d[f"p_{col}"] = table[col].map(fmt).to_numpy()
        fields[f"p_{col}"] = label(col, language)
    return geojson_layer(wgs84(d), fields, name=label("layer_split", language),
                          style={"color": "#6a3d9a", "weight": 2.5, "dashArray": "6 4",
                                 "fillOpacity": 0.05, "fillColor": "#6a3d9a"})


def centres_layer(result: PlanResult, language: str) -> folium.FeatureGroup | None:
    ce = result.centres
    if ce is None or len(ce) == 0:
        return None
    group = folium.FeatureGroup(name=label("layer_centres", language), show=False)
    ce = wgs84(ce.set_geometry(ce.geometry.representative_point()))
    for idx, row in ce.iterrows():
        kind = str(row.get("kind", ""))
        kind_text = label("service_center_centre" if kind == "service_center" else kind, language)
        tip = html.escape(f"{row.get('community_id', idx)} · {kind_text}")
        icon = folium.DivIcon(html='<div class="siting-centre">✚</div>', icon_size=(16, 16),
                              icon_anchor=(8, 8))
        folium.Marker([row.geometry.y, row.geometry.x], icon=icon, tooltip=tip).add_to(group)
    return group


def network_layer(result: PlanResult, language: str, max_edges: int
                   ) -> tuple[folium.FeatureGroup | None, str | None]:
    e = result.network_edges
    if e is None or len(e) == 0:
        return None, None
    if len(e) > max_edges:
        logger.info("map: %d network edges > %d; network layer left out", len(e), max_edges)
        return None, label("network_skipped", language)
    group = folium.FeatureGroup(name=label("layer_network", language), show=False)
    # one MultiLineString: no tooltip is needed, and one feature serialises far faster than 20,000
    lines = shapely.get_parts(e.geometry.values)
    d = gpd.GeoDataFrame(geometry=[shapely.multilinestrings(lines[shapely.get_type_id(lines) == 1])],
                         crs=e.crs)
    folium.GeoJson(wgs84(d), style_function=lambda f: {"color": "#777777", "weight": 1,
                                                          "opacity": 0.7}).add_to(group)
    return group, None


def rule_layers(result: PlanResult, rule_layers: Sequence[str] | None, color_by: str,
                 language: str, speed: float) -> list[folium.FeatureGroup | None]:
    """One hidden community layer per rule, coloured by that rule's status."""
    available = rule_ids(result)
    if rule_layers is None:
        chosen = available if len(result.communities) <= 300 else []
    else:
        chosen = [r for r in rule_layers if r in available]
    titles = tables.rule_titles(result, language)
    sep = "：" if language == "zh" else ": "
    return [communities_layer(result, rid, language, speed, show=False,
                               name=f"{label('layer_communities', language)}{sep}{rid} "
                                    f"{titles.get(rid, '')}".strip())
            for rid in chosen if rid != color_by]
