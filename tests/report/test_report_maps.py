"""map.html: attribution, layers, legend with thresholds and sources, banner, both languages."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fakes import SOURCES, make_result

from siting.errors import InputError
from siting.report import make_map, write_map
from siting.report.i18n import label, type_name
from siting.report.map_layers import aggregate_households, fmt_dist, walk_minutes


def has(text: str, s: str) -> bool:
    """``s`` appears in the page as written, HTML-escaped or JSON-escaped (GeoJSON, layer control)."""
    import html

    return s in text or html.escape(s) in text or json.dumps(s)[1:-1] in text


@pytest.fixture(scope="module")
def html_zh(tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "map.html"
    write_map(make_result(0, synthetic=True), path)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def html_en(tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "map.html"
    write_map(make_result(0, synthetic=False), path, language="en")
    return path.read_text(encoding="utf-8")


def test_attribution_always(html_zh, html_en):
    for text in (html_zh, html_en):
        assert "© OpenStreetMap contributors (ODbL)" in text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_layer_names(language, html_zh, html_en):
    text = html_zh if language == "zh" else html_en
    for key in ("layer_communities", "layer_households", "layer_sites", "layer_service_areas",
                "layer_split", "layer_centres", "layer_network", "no_tiles", "osm_tiles"):
        assert has(text, label(key, language)), key
    # one facility layer per type, named by type
    for t in ("eldercare", "shelter", "health"):
        assert has(text, type_name(t, language))


def test_legend_has_thresholds_with_sources(html_zh, html_en):
    assert has(html_zh, "1000–3000 户") and has(html_zh, SOURCES["QH-2017"].title)
    assert "size.urban" in html_zh and "§3" in html_zh
    # a default value is marked for checking against the standard's text
    assert has(html_zh, label("verify_note", "zh"))
    assert has(html_en, label("verify_note", "en"))
    assert "GB 51143-2015" in html_en
    assert has(html_en, label("thresholds", "en"))


def test_synthetic_banner_only_when_flagged(html_zh, html_en, tmp_path):
    assert has(html_zh, label("synthetic_banner", "zh"))
    assert not has(html_en, label("synthetic_banner", "en"))
    path = write_map(make_result(0, synthetic=True), tmp_path / "m.html", language="en")
    assert has(path.read_text(encoding="utf-8"), label("synthetic_banner", "en"))


def test_title_has_plan_name(html_zh):
    assert "海淀区学清路 2026" in re.search(r"<title>(.*?)</title>", html_zh).group(1)


def test_tooltips_carry_figures(html_zh, html_en):
    r = make_result(0)
    # community tooltip: households, radius in m, coverage in %, rule status in words
    assert "3,500" in html_zh and "2,300" in html_zh
    assert f"{100 * r.communities.loc['C1', 'coverage_eldercare']:.0f}%" in html_zh
    assert has(html_zh, "未达标") and has(html_en, "not met")
    # household tooltip: unreachable households say so, never "0 m"
    assert has(html_zh, label("unreachable", "zh")) and has(html_en, label("unreachable", "en"))


def test_distance_formatting_uses_walking_speed():
    assert fmt_dist(1000.0, 1000 / 15, "en") == "1,000 m · 15.0 min"
    assert fmt_dist(float("nan"), 60.0, "en") == "unreachable"
    assert fmt_dist(None, 60.0, "zh") == "不可达"


def test_elder_care_minutes_are_at_the_elderly_pace():
    """The tooltip's minutes to elder care use the pace its circle rule is measured at (the profile's
    elderly speed factor), through the profile's walk table; other types the normal pace."""
    from types import SimpleNamespace

    from siting.policy import load_profile

    profile = load_profile("national")
    result = SimpleNamespace(profile=profile)
    to_min, elderly = walk_minutes(result, "eldercare")  # type: ignore[arg-type]
    assert elderly and to_min(800.0) == pytest.approx(profile.walk_minutes(800.0, elderly=True))
    factor = float(profile.settings["walk"]["elderly_speed_factor"])
    assert factor < 1 and to_min(800.0) > profile.walk_minutes(800.0)
    text = fmt_dist(800.0, 60.0, "zh", minutes=to_min, elderly=elderly)
    assert text.endswith(label("elderly_pace", "zh")) and f"{to_min(800.0):.1f} 分钟" in text
    to_min_f, elderly_f = walk_minutes(result, "fitness")  # type: ignore[arg-type]
    assert not elderly_f and to_min_f(1000.0) == pytest.approx(15.0)
    assert walk_minutes(SimpleNamespace(profile=None), "eldercare") == (None, False)  # type: ignore[arg-type]


def test_self_contained_no_script_or_style_from_network(html_zh):
    links = re.findall(r'<(?:script|link)[^>]*(?:src|href)="(https?://[^"]*)"', html_zh)
    assert links == []  # Leaflet itself is inlined (django-js-lib-leaflet)
    assert "Leaflet (BSD-2-Clause)" in html_zh and ".leaflet-container" in html_zh
    assert "url(images/" not in html_zh  # control icons inlined as data URIs
    # offline fallback: a static overview inside the file
    assert 'id="siting-offline"' in html_zh and "data:image/png;base64," in html_zh


def test_cdn_links_kept_when_leaflet_files_missing(monkeypatch):
    from siting.report import maps

    page = f'<link rel="stylesheet" href="{maps.LEAFLET_CSS}"/><script src="{maps.LEAFLET_JS}"></script>'
    monkeypatch.setattr(maps, "_leaflet_files", lambda: None)
    assert maps.inline_leaflet(page) == page


def test_coloured_by_rule_and_bad_column(tmp_path, caplog):
    r = make_result(0)
    m = make_map(r, color_by="size.split", language="en")
    text = m.get_root().render()
    assert "size.split" in text
    m2 = make_map(r, color_by="no.such.rule")  # falls back to oversized, with a warning
    assert "no.such.rule" in caplog.text
    assert m2 is not None


def test_optional_parts_missing(tmp_path, bare_result):
    for lang in ("zh", "en"):
        text = write_map(bare_result, tmp_path / f"m_{lang}.html", language=lang).read_text("utf-8")
        assert "© OpenStreetMap contributors (ODbL)" in text
        assert has(text, label("speed_default_note", lang))  # no profile → GB 50180 default, said
        assert not has(text, label("layer_split", lang))
        assert not has(text, label("layer_sites", lang))


def test_bad_language(result):
    with pytest.raises(InputError, match="language"):
        make_map(result, language="fr")


def test_many_households_are_summed_on_a_grid(tmp_path):
    r = make_result(3, n_households=300)
    m = make_map(r, max_household_points=40)
    text = m.get_root().render()
    assert has(text, label("aggregated_note", "zh", cell="")[-8:])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 200), cap=st.integers(1, 50))
def test_grid_sum_conserves_households(seed, n, cap):
    rng = np.random.default_rng(seed)
    h = gpd.GeoDataFrame(
        {"households": rng.integers(0, 60, n),
         "dist_fitness_m": np.where(rng.random(n) < 0.2, np.nan, rng.uniform(0, 3000, n))},
        geometry=gpd.points_from_xy(448_000 + rng.uniform(0, 5000, n),
                                    4_425_000 + rng.uniform(0, 5000, n)), crs="EPSG:32650")
    agg, _ = aggregate_households(h, cap)
    assert len(agg) <= cap
    assert agg["households"].sum() == h["households"].sum()
    assert agg["points"].sum() == n
    # each cell's weighted mean distance lies within the reachable range; NaN only if none reachable
    d = h["dist_fitness_m"]
    reachable = d.notna() & (h["households"] > 0)
    if reachable.any():
        assert np.nanmin(agg["dist_fitness_m"]) >= d[reachable].min() - 1e-9
        assert np.nanmax(agg["dist_fitness_m"]) <= d[reachable].max() + 1e-9
    else:
        assert agg["dist_fitness_m"].isna().all()


def _community_features(m, layer_name):
    """The GeoJSON features folium holds for the overlay called ``layer_name``."""
    import folium

    for child in m._children.values():
        if isinstance(child, folium.FeatureGroup) and child.layer_name == layer_name:
            for sub in child._children.values():
                if isinstance(sub, folium.GeoJson):
                    return sub.data["features"]
    raise AssertionError(f"no layer {layer_name!r}")


def test_colours_follow_rule_status():
    from siting.report.charts import STATUS_COLOURS

    r = make_result(0)
    m = make_map(r, color_by="size.urban", language="en")
    feats = _community_features(m, "Communities")
    assert len(feats) == len(r.communities)
    for f in feats:
        cid = f["properties"]["p_id"]
        assert f["properties"]["_style"]["fillColor"] == STATUS_COLOURS[r.communities.loc[cid, "size.urban"]]
    # every other rule gets its own hidden layer, coloured by its own status
    other = _community_features(m, "Communities: size.split oversized community split")
    for f in other:
        cid = f["properties"]["p_id"]
        assert f["properties"]["_style"]["fillColor"] == STATUS_COLOURS[r.communities.loc[cid, "size.split"]]
    # oversized: True red, False green, missing grey
    feats = {f["properties"]["p_id"]: f["properties"]["_style"]["fillColor"]
             for f in _community_features(make_map(r, rule_layers=()), "社区")}
    assert feats == {"C1": STATUS_COLOURS["not_met"], "C2": STATUS_COLOURS["met"],
                     "C3": STATUS_COLOURS["not_assessable"], "C4": STATUS_COLOURS["met"]}


def test_rule_layers_choice():
    r = make_result(0)
    text = make_map(r, rule_layers=()).get_root().render()
    assert not has(text, label("rule_layers_note", "zh"))
    text = make_map(r, rule_layers=["facility.area"], language="en").get_root().render()
    assert has(text, "Communities: facility.area service facility floor area")
    assert not has(text, "Communities: size.split")
