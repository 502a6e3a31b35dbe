"""``map.html``: one interactive map for a planners' meeting.

folium (Leaflet) draws the map; each layer is built in :mod:`siting.report.map_layers` (the place to
change what a layer shows), reprojected to WGS84 there and nowhere else. Written by hand:
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
from branca.element import Element

from siting.report import map_layers as layers
from siting.report.charts import STATUS_COLOURS, overview_png, type_colour
from siting.report.i18n import check_language, label, type_name
from siting.report.tables import atomic_path, rules_table, walking_speed
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
    extra = layers.rule_layers(result, rule_layers, color_by, language, speed)
    if any(layer is not None for layer in extra):
        notes.append(label("rule_layers_note", language))
    for layer in (*layers.service_areas_layers(result, language),
                  layers.communities_layer(result, color_by, language, speed), *extra,
                  layers.split_layer(result, language)):
        if layer is not None:
            layer.add_to(m)
    net, note = layers.network_layer(result, language, max_network_edges)
    if net is not None:
        net.add_to(m)
    if note:
        notes.append(note)
    if len(result.households):
        hh, note = layers.households_layer(result, language, speed, max_household_points)
        if hh is not None:
            hh.add_to(m)
        if note:
            notes.append(note)
    if result.facilities is not None and len(result.facilities) and "type" in result.facilities.columns:
        for g in layers.point_layers_by_type(result.facilities, language, label("layer_facilities", language),
                                   result.profile):
            g.add_to(m)
    for layer in (layers.sites_layer(result, language), layers.centres_layer(result, language)):
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
