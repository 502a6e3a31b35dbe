"""``map.html``: one interactive map for a planners' meeting.

folium (Leaflet) draws the map; geopandas reprojects to WGS84 here and nowhere else. Written by hand:
the legend, title, banner and attribution boxes (plain HTML; folium has no legend element) and a
ten-line offline fallback.

Offline use. Meeting rooms and government intranets are often offline, so ``write_map`` inlines
Leaflet's script and stylesheet (with its control icons as data URIs) into the file, taken from the
``django-js-lib-leaflet`` package, which ships Leaflet's release files and nothing else (it needs no
Django). Without that package the map falls back to Leaflet's CDN link. folium's other default
libraries (jQuery, Bootstrap, Font Awesome) are dropped: none of the layers here needs them. A static
overview picture (PNG inside the file) is shown, with a note, if Leaflet still could not be loaded.
Base tiles need the network anyway: an OpenStreetMap layer is offered, and a blank base layer (a white
tile inside the file) keeps the vector layers readable offline.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from siting.report import tables
from siting.report.charts import STATUS_COLOURS, community_colours, overview_png, type_colour
from siting.report.i18n import check_language, label, status_word, subject_name, type_name
from siting.report.tables import atomic_path, rule_ids, rules_table, walking_speed
from siting.result import PlanResult

logger = logging.getLogger(__name__)

LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTR = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
            'contributors (ODbL)')


def _blank_tile() -> str:
    from PIL import Image  # matplotlib's own dependency

    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (248, 248, 246)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """To WGS84, coordinates rounded to 1e-6° (≈ 0.1 m) to keep the file small."""
    out = frame.to_crs(4326)
    out = out.set_geometry(shapely.transform(out.geometry.values, lambda xy: np.round(xy, 6)))
    return out


def _fmt_int(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    return f"{f:,.0f}" if np.isfinite(f) else "–"


def _fmt_pct(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    return f"{100 * f:.0f}%" if np.isfinite(f) else "–"


def _fmt_dist(d: Any, speed: float, language: str, *, minutes: Any = None, elderly: bool = False) -> str:
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


def _walk_minutes(result: PlanResult, ftype: str) -> tuple[Any, bool]:
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


def _geojson_layer(frame: gpd.GeoDataFrame, fields: dict[str, str], *, name: str, style: dict,
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


def _communities_layer(result: PlanResult, color_by: str, language: str, speed: float, *,
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
            add(f"p_{col}", label(col, language), c[col].map(_fmt_int))
    if "service_radius_m" in c.columns:
        add("p_radius", label("service_radius_m", language), c["service_radius_m"].map(_fmt_int))
    if "oversized" in c.columns:
        add("p_oversized", label("oversized", language), c["oversized"].map(
            lambda v: label("unknown", language) if v is None or v is pd.NA
            or (isinstance(v, float) and np.isnan(v)) else label("yes" if v else "no", language)))
    coverage = tables.coverage_columns(result)
    for i, col in enumerate(coverage):  # property keys without dots: plain JavaScript names
        alias = f"{label('coverage', language)} · {subject_name(str(col)[9:], language, titles, result.profile)}"
        add(f"p_cov{i}", alias, c[col].map(_fmt_pct))
    for i, rid in enumerate(rule_ids(result)):
        title = titles.get(rid)
        alias = f"{rid} {title}" if title else rid
        add(f"p_rule{i}", alias, c[rid].map(lambda v: status_word(v, language)))
    colours = community_colours(result, color_by)
    d["_style"] = [{"fillColor": col} for col in colours]
    return _geojson_layer(_wgs84(d), fields, name=name or label("layer_communities", language),
                          style={"color": "#333333", "weight": 1.2, "fillOpacity": 0.35},
                          style_key="_style", show=show)


def _aggregate_households(h: gpd.GeoDataFrame, max_points: int) -> tuple[gpd.GeoDataFrame, float]:
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


def _households_layer(result: PlanResult, language: str, speed: float, max_points: int
                      ) -> tuple[folium.FeatureGroup | None, str | None]:
    h = result.households
    note = None
    if len(h) > max_points:
        h, cell = _aggregate_households(h, max_points)
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
        d["p_points"] = h["points"].map(_fmt_int)
        fields["p_points"] = label("points", language)
    w = pd.to_numeric(h["households"], errors="coerce") if "households" in h.columns \
        else pd.Series(1.0, index=h.index)
    d["p_hh"] = w.map(_fmt_int)
    fields["p_hh"] = label("households", language)
    for i, col in enumerate(c for c in h.columns if str(c).startswith("dist_") and str(c).endswith("_m")):
        t = type_name(str(col)[5:-2], language, result.profile)
        to_min, elderly = _walk_minutes(result, str(col)[5:-2])
        d[f"p_d{i}"] = h[col].map(lambda v, f=to_min, e=elderly: _fmt_dist(v, speed, language,
                                                                          minutes=f, elderly=e))
        fields[f"p_d{i}"] = f"到{t}" if language == "zh" else f"to {t}"
    wmax = float(np.nanmax(w.to_numpy(dtype=float))) if len(w) and np.isfinite(w).any() else 1.0
    radius = 2.0 + 8.0 * np.sqrt(w.fillna(0).to_numpy(dtype=float) / max(wmax, 1.0))
    d["_style"] = [{"radius": float(r)} for r in radius]
    marker = folium.CircleMarker(radius=3, stroke=False, fill=True, fill_color="#3d3d3d",
                                 fill_opacity=0.55)
    group = _geojson_layer(_wgs84(d), fields, name=label("layer_households", language),
                           style={"fillColor": "#3d3d3d", "fillOpacity": 0.55, "stroke": False},
                           style_key="_style", marker=marker)
    return group, note


def _point_layers_by_type(frame: gpd.GeoDataFrame, language: str, prefix: str, profile: Any = None
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
        group = _geojson_layer(_wgs84(d), fields, name=f"{prefix}{sep}{type_name(t, language, profile)}",
                               style={"color": "white", "fillColor": colour, "weight": 1.5,
                                      "fillOpacity": 0.95}, marker=marker)
        if group is not None:
            groups.append(group)
    return groups


def _sites_layer(result: PlanResult, language: str) -> folium.FeatureGroup | None:
    s = result.sites
    if s is None or len(s) == 0:
        return None
    group = folium.FeatureGroup(name=label("layer_sites", language))
    s = _wgs84(s.set_geometry(s.geometry.representative_point()))
    for idx, row in s.iterrows():
        t = str(row.get("type", ""))
        status = str(row.get("status", ""))
        tip = html.escape(" · ".join([str(row.get("site_id", idx)), type_name(t, language, result.profile),
                                      label(status, language),
                                      label("households_served", language),
                                      _fmt_int(row.get("households_served"))]))
        loc = [row.geometry.y, row.geometry.x]
        if status == "new":
            icon = folium.DivIcon(html=f'<div class="siting-star" style="color:{type_colour(t)}">★</div>',
                                  icon_size=(24, 24), icon_anchor=(12, 12))
            folium.Marker(loc, icon=icon, tooltip=tip).add_to(group)
        else:
            folium.CircleMarker(loc, radius=10, color=type_colour(t), weight=3, fill=False,
                                tooltip=tip).add_to(group)
    return group


def _service_areas_layers(result: PlanResult, language: str) -> list[folium.FeatureGroup | None]:
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
        d["p_min"] = sub["minutes"].map(_fmt_int).to_numpy() if "minutes" in sub.columns else "–"
        fields = {"p_fid": label("facility_id", language), "p_type": label("type", language),
                  "p_min": label("minutes", language)}
        layers.append(_geojson_layer(
            _wgs84(d), fields, name=f"{label('layer_service_areas', language)}{sep}{type_name(t, language, result.profile)}",
            style={"weight": 0.8, "fillOpacity": 0.06, "opacity": 0.5, "color": type_colour(t),
                   "fillColor": type_colour(t)}, show=False))
    return layers


def _split_layer(result: PlanResult, language: str) -> folium.FeatureGroup | None:
    sp = result.split_proposals
    if sp is None or len(sp) == 0:
        return None
    d = gpd.GeoDataFrame(index=range(len(sp)), geometry=sp.geometry.values, crs=sp.crs)
    fields = {}
    table = tables.split_table(result, language)
    assert table is not None
    for col in table.columns:
        fmt = _fmt_int if col in ("households", "service_radius_m") else str
        d[f"p_{col}"] = table[col].map(fmt).to_numpy()
        fields[f"p_{col}"] = label(col, language)
    return _geojson_layer(_wgs84(d), fields, name=label("layer_split", language),
                          style={"color": "#6a3d9a", "weight": 2.5, "dashArray": "6 4",
                                 "fillOpacity": 0.05, "fillColor": "#6a3d9a"})


def _centres_layer(result: PlanResult, language: str) -> folium.FeatureGroup | None:
    ce = result.centres
    if ce is None or len(ce) == 0:
        return None
    group = folium.FeatureGroup(name=label("layer_centres", language), show=False)
    ce = _wgs84(ce.set_geometry(ce.geometry.representative_point()))
    for idx, row in ce.iterrows():
        kind = str(row.get("kind", ""))
        kind_text = label("service_center_centre" if kind == "service_center" else kind, language)
        tip = html.escape(f"{row.get('community_id', idx)} · {kind_text}")
        icon = folium.DivIcon(html='<div class="siting-centre">✚</div>', icon_size=(16, 16),
                              icon_anchor=(8, 8))
        folium.Marker([row.geometry.y, row.geometry.x], icon=icon, tooltip=tip).add_to(group)
    return group


def _network_layer(result: PlanResult, language: str, max_edges: int
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
    folium.GeoJson(_wgs84(d), style_function=lambda f: {"color": "#777777", "weight": 1,
                                                          "opacity": 0.7}).add_to(group)
    return group, None


def _legend_html(result: PlanResult, language: str, color_by: str, notes: Sequence[str]) -> str:
    e = html.escape
    if color_by == "oversized":
        what = label("oversized", language)
        keys = [("not_met", label("yes", language)), ("met", label("no", language)),
                ("not_assessable", label("unknown", language))]
    else:
        titles = dict(zip(result.rules.get("rule_id", pd.Series(dtype=str)).astype(str),
                          result.rules.get(f"title_{language}", pd.Series(dtype=str))))
        what = f"{color_by} {titles.get(color_by, '')}".strip()
        keys = [(s, label(s, language)) for s in ("met", "not_met", "not_assessable")]
    parts = [f"<b>{e(label('coloured_by', language))}: {e(what)}</b><br>"]
    parts += [f'<span class="sw" style="background:{STATUS_COLOURS[k]}"></span>{e(t)}<br>'
              for k, t in keys]
    types = sorted(set(result.facilities["type"].astype(str)) if "type" in result.facilities.columns
                   and len(result.facilities) else set())
    if types:
        parts.append(f"<b>{e(label('layer_facilities', language))}</b><br>")
        parts += [f'<span class="dot" style="background:{type_colour(t)}"></span>'
                  f"{e(type_name(t, language, result.profile))}<br>" for t in types]
    if result.sites is not None and len(result.sites):
        parts.append(f'<span class="siting-star-s">★</span>{e(label("layer_new_sites", language))}<br>')
        parts.append(f'<span class="ring"></span>{e(label("layer_sites", language))} · '
                     f'{e(label("existing", language))}<br>')
    if result.split_proposals is not None and len(result.split_proposals):
        parts.append(f'<span class="dash"></span>{e(label("layer_split", language))}<br>')
    parts.append(f'<span class="dot" style="background:#3d3d3d;opacity:.6"></span>'
                 f'{e(label("layer_households", language))} ('
                 f'{"圆点大小∝户数" if language == "zh" else "size ∝ households"})<br>')
    parts += [f"<i>{e(n)}</i><br>" for n in notes]
    rules = rules_table(result, language)
    if len(rules):
        parts.append(f"<details><summary><b>{e(label('thresholds', language))}</b></summary><ul>")
        for _, r in rules.iterrows():
            src = " ".join(x for x in (r["source"], r["source_title"], r["clause"]) if x)
            verify = f' <span class="verify">({e(r["verify"])})</span>' if r["verify"] else ""
            parts.append(f"<li><b>{e(r['rule_id'])}</b> {e(r['title'])}: {e(r['threshold'])}"
                         f" — {e(src)}{verify}</li>")
        parts.append("</ul></details>")
    return (f'<div id="siting-legend"><details open><summary><b>{e(label("legend", language))}</b>'
            f"</summary>{''.join(parts)}</details></div>")


_CSS = """
<style>
#siting-title{position:fixed;top:8px;left:50%;transform:translateX(-50%);z-index:1000;
 background:rgba(255,255,255,.92);padding:4px 14px;border-radius:4px;font:600 15px sans-serif;
 box-shadow:0 1px 4px rgba(0,0,0,.3);text-align:center}
#siting-title small{font-weight:400;font-size:12px}
#siting-synthetic{position:fixed;top:0;left:0;right:0;z-index:1001;background:#c62828;color:#fff;
 text-align:center;font:600 13px sans-serif;padding:3px}
#siting-synthetic ~ #siting-title{top:30px}
body.siting-synth .leaflet-top{top:24px}
#siting-legend{position:fixed;bottom:50px;left:10px;z-index:1000;background:rgba(255,255,255,.94);
 padding:6px 10px;border-radius:4px;font:12px sans-serif;max-width:380px;max-height:60vh;
 overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3)}
#siting-legend ul{padding-left:16px;margin:4px 0}
#siting-legend .sw{display:inline-block;width:14px;height:10px;margin-right:5px;opacity:.7;
 border:1px solid #333}
#siting-legend .dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px}
#siting-legend .dash{display:inline-block;width:16px;height:0;border-top:2px dashed #6a3d9a;
 margin-right:5px;vertical-align:middle}
#siting-legend .verify{color:#b71c1c}
#siting-legend .ring{display:inline-block;width:8px;height:8px;border-radius:50%;border:2px solid #444;
 margin-right:5px}
#siting-attribution{position:fixed;bottom:4px;left:50%;transform:translateX(-50%);z-index:1000;font:11px sans-serif;
 background:rgba(255,255,255,.8);padding:1px 5px}
.siting-star{font-size:24px;line-height:24px;text-align:center;
 text-shadow:-1px -1px 0 #000,1px -1px 0 #000,-1px 1px 0 #000,1px 1px 0 #000}
.siting-star-s{color:#444;margin-right:4px}
.siting-centre{font-size:14px;line-height:16px;text-align:center;color:#111}
#siting-offline{display:none;padding:10px;font:14px sans-serif}
#siting-offline img{max-width:100%;height:auto}
</style>
"""


def _rule_layers(result: PlanResult, rule_layers: Sequence[str] | None, color_by: str,
                 language: str, speed: float) -> list[folium.FeatureGroup | None]:
    """One hidden community layer per rule, coloured by that rule's status."""
    available = rule_ids(result)
    if rule_layers is None:
        chosen = available if len(result.communities) <= 300 else []
    else:
        chosen = [r for r in rule_layers if r in available]
    titles = tables.rule_titles(result, language)
    sep = "：" if language == "zh" else ": "
    return [_communities_layer(result, rid, language, speed, show=False,
                               name=f"{label('layer_communities', language)}{sep}{rid} "
                                    f"{titles.get(rid, '')}".strip())
            for rid in chosen if rid != color_by]


def make_map(result: PlanResult, *, language: str = "zh", color_by: str = "oversized",
             rule_layers: Sequence[str] | None = None, max_household_points: int = 5000,
             max_network_edges: int = 50_000) -> folium.Map:
    """Build the interactive map of a plan.

    Parameters
    ----------
    result : siting.result.PlanResult
        The plan (metric CRS); reprojected to WGS84 here.
    language : {"zh", "en"}
        Language of every label.
    color_by : str
        ``"oversized"`` or a rule id (a column of ``communities``): communities are coloured met
        green / not_met red / not_assessable grey (for ``oversized``: true red, false green).
    rule_layers : sequence of str, optional
        Rule ids to add as extra community layers (hidden at first, switched in the layer
        control), each coloured by that rule's status. None: every rule, when there are at most
        300 communities (each layer repeats the polygons); ``()``: none.
    max_household_points : int
        Above this many household points, they are summed on a square grid (the legend says so).
    max_network_edges : int
        Above this many edges, the network layer is left out (the legend says so).

    Returns
    -------
    folium.Map
    """
    check_language(language)
    speed, from_profile = walking_speed(result)
    bounds = gpd.GeoSeries(pd.concat([result.communities.geometry, result.households.geometry]),
                           crs=result.communities.crs).to_crs(4326).total_bounds
    if not np.isfinite(bounds).all():
        bounds = np.array([116.3, 39.9, 116.4, 40.0])
    m = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], tiles=None,
                   zoom_start=14, control_scale=True, prefer_canvas=True)
    # Only Leaflet is needed: drop folium's jQuery/Bootstrap/Font Awesome links (fewer CDN calls).
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    root: Any = m.get_root()  # a branca Figure (typed as Element)
    root.title = f"{result.name} · {label('map_title', language)}"
    folium.TileLayer(OSM_TILES, name=label("osm_tiles", language), attr=OSM_ATTR,
                     max_zoom=19).add_to(m)
    folium.TileLayer(_blank_tile(), name=label("no_tiles", language), attr=OSM_ATTR,
                     show=False).add_to(m)

    notes = [label("speed_note", language, speed=speed) if from_profile
             else label("speed_default_note", language)]
    if color_by != "oversized" and color_by not in result.communities.columns:
        logger.warning("map: no column %r in communities; colouring by 'oversized'", color_by)
        color_by = "oversized"
    extra = _rule_layers(result, rule_layers, color_by, language, speed)
    if any(layer is not None for layer in extra):
        notes.append(label("rule_layers_note", language))
    for layer in (*_service_areas_layers(result, language),
                  _communities_layer(result, color_by, language, speed), *extra,
                  _split_layer(result, language)):
        if layer is not None:
            layer.add_to(m)
    net, note = _network_layer(result, language, max_network_edges)
    if net is not None:
        net.add_to(m)
    if note:
        notes.append(note)
    if len(result.households):
        hh, note = _households_layer(result, language, speed, max_household_points)
        if hh is not None:
            hh.add_to(m)
        if note:
            notes.append(note)
    if result.facilities is not None and len(result.facilities) and "type" in result.facilities.columns:
        for g in _point_layers_by_type(result.facilities, language, label("layer_facilities", language),
                                   result.profile):
            g.add_to(m)
    for layer in (_sites_layer(result, language), _centres_layer(result, language)):
        if layer is not None:
            layer.add_to(m)
    n_layers = sum(isinstance(c, (folium.FeatureGroup, folium.TileLayer)) for c in m._children.values())
    folium.LayerControl(collapsed=n_layers > 22).add_to(m)  # a long list would cover the map
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])

    e = html.escape
    profile_title = getattr(result.profile, "title", None) or getattr(result.profile, "name", None)
    sub = f"<br><small>{e(label('profile', language))}: {e(str(profile_title))}</small>" \
        if profile_title else ""
    boxes = [_CSS]
    if result.synthetic:
        boxes.append(f'<div id="siting-synthetic">{e(label("synthetic_banner", language))}</div>'
                     "<script>document.body.classList.add('siting-synth');</script>")
    boxes.append(f'<div id="siting-title">{e(result.name)} · {e(label("map_title", language))}{sub}</div>')
    boxes.append(_legend_html(result, language, color_by, notes))
    boxes.append(f'<div id="siting-attribution">{e(label("attribution", language))}</div>')
    boxes.append(
        f'<div id="siting-offline"><p>{e(label("offline_note", language))}</p>'
        f'<img alt="overview" src="data:image/png;base64,{overview_png(result, color_by=color_by)}">'
        "</div>"
        "<script>window.addEventListener('load',function(){if(typeof L==='undefined'){"
        "document.getElementById('siting-offline').style.display='block';"
        "['siting-title','siting-legend','siting-attribution'].forEach(function(i){"
        "var b=document.getElementById(i);if(b){b.style.position='static';b.style.transform='none';"
        "b.style.maxHeight='none';}});"
        "var m=document.querySelector('.folium-map');if(m){m.style.display='none';}}});</script>")
    root.html.add_child(Element("\n".join(boxes)))
    return m


def write_map(result: PlanResult, path: str | os.PathLike[str], *, language: str = "zh",
              color_by: str = "oversized", rule_layers: Sequence[str] | None = None) -> Path:
    """Write :func:`make_map`'s map to ``path`` (``map.html``), under a temporary name first."""
    m = make_map(result, language=language, color_by=color_by, rule_layers=rule_layers)
    final = Path(path)
    with atomic_path(final) as tmp:
        m.save(str(tmp))
        page = Path(tmp).read_text(encoding="utf-8")
        Path(tmp).write_text(inline_leaflet(page), encoding="utf-8")
    logger.info("wrote %s", final)
    return final


def _leaflet_files() -> Any:
    """The folder of Leaflet's release files in ``django-js-lib-leaflet``, or None."""
    try:
        from importlib.resources import files

        folder = files("js_lib_leaflet") / "static" / "js_lib_leaflet"
        return folder if (folder / "leaflet.js").is_file() else None
    except (ModuleNotFoundError, OSError):
        return None


def inline_leaflet(page: str) -> str:
    """Replace the CDN links to Leaflet in ``page`` by the script and stylesheet themselves.

    Returns the page unchanged (CDN links kept, logged) when the Leaflet files are not installed.
    """
    folder = _leaflet_files()
    if folder is None:
        logger.info("map: django-js-lib-leaflet not installed; map.html links Leaflet from a CDN")
        return page
    script = (folder / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (folder / "leaflet.css").read_text(encoding="utf-8")
    for name in ("layers-2x.png", "layers.png", "marker-icon.png"):
        data = base64.b64encode((folder / "images" / name).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{data})")
    js_tag = f'<script src="{LEAFLET_JS}"></script>'
    css_tag = f'<link rel="stylesheet" href="{LEAFLET_CSS}"/>'
    if js_tag not in page or css_tag not in page:
        logger.warning("map: Leaflet links not found where expected; kept the CDN links")
        return page
    page = page.replace(js_tag, f"<script>/* Leaflet (BSD-2-Clause) */\n{script}</script>", 1)
    return page.replace(css_tag, f"<style>/* Leaflet (BSD-2-Clause) */\n{css}</style>", 1)
