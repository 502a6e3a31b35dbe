"""report.html: every rule with its source and verify note, the figures, both languages."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from markupsafe import escape
from report_fakes import RULES, SOURCES

from siting.errors import InputError
from siting.report import render_report, write_report
from siting.report.i18n import label


def _rule_rows(text: str) -> dict[str, str]:
    """rule id → its row in the rules table (the first table after the rules heading)."""
    section = text.split('id="rules"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.DOTALL)
    out = {}
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)
        if cells:
            out[cells[0]] = row
    return out


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_rule_with_source_clause_and_verify(tmp_path, result, language):
    text = write_report(result, tmp_path / "report.html", language=language).read_text("utf-8")
    rows = _rule_rows(text)
    assert set(rows) == {r[0] for r in RULES}
    note = str(escape(label("verify_note", language)))
    for rid, zh, en, thr, unit, src, clause, verify in RULES:
        row = rows[rid]
        assert src in row and str(escape(SOURCES[src].title)) in row
        assert (zh if language == "zh" else en) in row
        if clause:
            assert clause in row
        assert (note in row) == verify, rid
    # met / not_met / not_assessable counts of size.split: recomputed from the communities
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows["size.split"])
    c = result.communities["size.split"]
    assert cells[7:10] == [str((c == s).sum()) for s in ("met", "not_met", "not_assessable")]
    assert "facility_area_m2 (C2)" in rows["facility.area"]  # what input was missing


def test_summary_figures(result):
    text = render_report(result, language="en")
    hh = result.households
    out = hh["community_id"].isna()
    for key, value in [("n_households", hh["households"].sum()),
                       ("n_households_in", hh.loc[~out, "households"].sum()),
                       ("n_households_out", hh.loc[out, "households"].sum()),
                       ("n_points_out", out.sum())]:
        assert re.search(rf'<div class="v">{int(value):,}</div><div class="k">{label(key, "en")}</div>',
                         text), key
    assert result.warnings[0] in text


def test_sections_charts_and_tables(result):
    text = render_report(result)
    for key in ("sec_summary", "sec_rules", "sec_communities", "sec_siting", "sec_split",
                "sec_inputs", "sec_sources"):
        assert label(key, "zh") in text
    assert text.count("<svg") == 3  # households vs band, coverage, distances
    assert "1,000–3,000" in text
    assert "C1-2" in text and "ab" * 32 in text and "geopandas" in text
    assert "© OpenStreetMap contributors (ODbL)" in text


def test_synthetic_banner(result):
    assert label("synthetic_banner", "zh") not in render_report(result)
    assert label("synthetic_banner", "zh") in render_report(replace(result, synthetic=True))


def test_optional_parts_missing(bare_result):
    for lang in ("zh", "en"):
        text = render_report(bare_result, language=lang)
        assert all(r[0] in text for r in RULES)
        assert label("none_available", lang) in text  # empty sections say so


def test_text_is_escaped(result):
    com = result.communities.copy()
    com.loc["C1", "name"] = "<script>alert(1)</script>"
    text = render_report(replace(result, communities=com))
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;" in text


def test_bad_language(result):
    with pytest.raises(InputError):
        render_report(result, language="de")
