"""summary.xlsx re-read with pandas: one sheet per table, headers in the chosen language."""

from __future__ import annotations

import pandas as pd
import pytest
from report_fakes import RULES

from siting.report import write_outputs, write_xlsx
from siting.report.i18n import label


@pytest.mark.parametrize("language", ["zh", "en"])
def test_sheets(tmp_path, result, language):
    path = write_xlsx(result, tmp_path / "summary.xlsx", language=language)
    sheets = pd.read_excel(path, sheet_name=None)
    expect = ["sheet_summary", "sheet_warnings", "sheet_rules", "sheet_communities",
              "sheet_coverage", "sheet_distances", "sheet_siting", "sheet_sites", "sheet_split",
              "sheet_inputs", "sheet_versions", "sheet_parameters", "sheet_sources"]
    assert list(sheets) == [label(k, language) for k in expect]
    rules = sheets[label("sheet_rules", language)]
    assert list(rules[label("rule_id", language)]) == [r[0] for r in RULES]
    assert label("source_title", language) in rules.columns
    verify = rules[label("verify", language)].fillna("")
    assert list(verify != "") == [r[7] for r in RULES]
    com = sheets[label("sheet_communities", language)]
    assert len(com) == 4 and com[label("households", language)].sum() == \
        result.communities["households"].sum()
    src = sheets[label("sheet_sources", language)]
    assert {"QH-2017", "XC-2023", "GB51143", "OSM"} <= set(src[label("key", language)])
    split = sheets[label("sheet_split", language)]
    assert split[label("households", language)].sum() == 3500


def test_optional_parts_missing(tmp_path, bare_result):
    sheets = pd.read_excel(write_xlsx(bare_result, tmp_path / "s.xlsx", language="en"),
                           sheet_name=None)
    assert "Sites" not in sheets and "Split proposals" not in sheets and "Sources" in sheets
    assert len(sheets["Rules"]) == len(RULES)


def test_write_outputs(tmp_path, result):
    written = write_outputs(result, tmp_path / "out")
    assert {k: p.name for k, p in written.items()} == {
        "gpkg": "results.gpkg", "map": "map.html", "report": "report.html", "xlsx": "summary.xlsx"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["results.gpkg", "map.html", "report.html", "summary.xlsx"])
    only = write_outputs(result, tmp_path / "o2", formats=("xlsx",), language="en")
    assert list(only) == ["xlsx"]


def test_write_outputs_refuses_unknown_format(tmp_path, result):
    from siting.errors import InputError

    with pytest.raises(InputError, match="pdf"):
        write_outputs(result, tmp_path, formats=("pdf",))
    assert list(tmp_path.iterdir()) == []


def test_minimal_result_writes_everything(tmp_path, result):
    """Geometry-only tables, no rules, no profile, no manifest: every writer still succeeds."""
    from dataclasses import replace

    import geopandas as gpd
    import pyogrio

    minimal = replace(result, profile=None, communities=result.communities[["geometry"]],
                      households=result.households[["geometry"]],
                      facilities=gpd.GeoDataFrame(geometry=[], crs=result.communities.crs),
                      rules=pd.DataFrame(), centres=None, service_areas=None, split_proposals=None,
                      sites=None, siting_summary=None, network_edges=None, manifest={}, warnings=[])
    for lang in ("zh", "en"):
        written = write_outputs(minimal, tmp_path / lang, language=lang)
        assert all(p.exists() for p in written.values())
        assert pyogrio.read_info(written["gpkg"], layer="households")["features"] == len(result.households)
        assert "© OpenStreetMap contributors (ODbL)" in written["map"].read_text("utf-8")
