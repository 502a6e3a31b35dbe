"""The report's tables against independent computations."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fakes import make_result

from siting.report import tables


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(0, 5000), min_size=1, max_size=30),
       data=st.data(), q=st.sampled_from([0.1, 0.5, 0.95, 1.0]))
def test_weighted_quantile_equals_repeated_values(values, data, q):
    weights = data.draw(st.lists(st.integers(0, 5), min_size=len(values), max_size=len(values)))
    v, w = np.array(values), np.array(weights, dtype=float)
    got = tables.weighted_quantile(v, w, q)
    repeated = np.repeat(v, w.astype(int))
    if repeated.size == 0:
        assert np.isnan(got)
    else:
        assert got == np.quantile(repeated, q, method="inverted_cdf")


def test_distance_table_counts_unreachable():
    r = make_result(4)
    t = tables.distance_table(r).set_index("type")
    hh = r.households
    d = hh["dist_shelter_m"]
    assert t.loc["shelter", "unreachable"] == hh.loc[d.isna(), "households"].sum()
    assert t.loc["shelter", "reachable"] + t.loc["shelter", "unreachable"] == hh["households"].sum()
    ok = d.notna()
    assert np.isclose(t.loc["shelter", "mean_m"],
                      (d[ok] * hh.loc[ok, "households"]).sum() / hh.loc[ok, "households"].sum())


def test_coverage_table_weights_by_households():
    r = make_result(5)
    t = tables.coverage_table(r).set_index("type")
    c = r.communities
    ok = c["coverage_shelter"].notna()
    want = 100 * (c.loc[ok, "coverage_shelter"] * c.loc[ok, "households"]).sum() / c.loc[ok, "households"].sum()
    assert np.isclose(t.loc["shelter", "coverage_pct"], want)
    assert t.loc["shelter", "not_assessed"] == 1


def test_summary_conserves_households():
    r = make_result(6)
    s = dict(tables.summary(r))
    assert s["n_households_in"] + s["n_households_out"] == s["n_households"] == r.households["households"].sum()


def test_rules_table_without_profile_uses_table_threshold():
    from dataclasses import replace

    r = replace(make_result(7), profile=None)
    t = tables.rules_table(r, "en").set_index("rule_id")
    assert t.loc["shelter.emergency", "threshold"] == "≤ 500 m"
    assert t.loc["size.urban", "threshold"] == "1000–3000 户"
    src = tables.sources_table(r)
    assert set(src["key"]) == {"QH-2017", "XC-2023", "GB51143", "OSM"}


def test_atomic_path_keeps_suffix(tmp_path):
    with tables.atomic_path(tmp_path / "a.gpkg") as tmp:
        assert tmp.suffix == ".gpkg" and tmp.parent == tmp_path and not tmp.exists()
        tmp.write_text("x")
    assert (tmp_path / "a.gpkg").read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["a.gpkg"]


def test_coverage_of_a_rule_is_named_by_the_rule():
    from dataclasses import replace

    r = make_result(8)
    com = r.communities.copy()
    com["coverage_circle.eldercare15"] = 0.5
    r = replace(r, communities=com)
    titles = tables.rule_titles(r, "zh")
    cov = tables.localize(tables.coverage_table(r), "zh", rule_titles=titles)
    assert "circle.eldercare15 一刻钟居家养老服务圈" in set(cov.iloc[:, 0])
    assert "养老服务设施" in set(cov.iloc[:, 0])  # a facility type keeps its name
    heads = tables.localize(tables.communities_table(r, "en"), "en",
                            rule_titles=tables.rule_titles(r, "en")).columns
    assert "Coverage: circle.eldercare15 15-minute elder-care circle (%)" in heads


def test_coverage_of_a_type_is_not_shown_twice():
    """``coverage_<type>`` copies the type's first circle rule's column: tables and tooltips show
    the rule's column (its title says which circle) and not the copy; a type column that differs
    from every rule column stays."""
    from dataclasses import replace

    r = make_result(8)
    com = r.communities.copy()
    com["coverage_eldercare"] = [0.1, 0.2, np.nan, 0.4]
    com["coverage_circle.eldercare15"] = com["coverage_eldercare"]
    r = replace(r, communities=com)
    cols = tables.coverage_columns(r)
    assert "coverage_circle.eldercare15" in cols and "coverage_eldercare" not in cols
    assert "coverage_eldercare" not in tables.communities_table(r, "zh").columns
    com["coverage_circle.eldercare15"] = [0.1, 0.2, np.nan, 0.5]  # a different circle: both stay
    r = replace(r, communities=com)
    assert {"coverage_eldercare", "coverage_circle.eldercare15"} <= set(tables.coverage_columns(r))


def test_split_table_says_what_each_part_meets_in_the_report_language():
    """The split proposals table (report, spreadsheet, map tooltip) shows whether each part meets the
    household band, the radius and contiguity, and what fails, in the report's language; a layer
    with only the contract's four columns still works."""
    from dataclasses import replace

    import geopandas as gpd

    r = make_result(2)
    plain = tables.split_table(r, "zh")
    assert plain is not None and list(plain.columns) == ["community_id", "part_id", "households",
                                                         "service_radius_m"]
    sp = gpd.GeoDataFrame(r.split_proposals.copy())
    sp["meets_size"] = [True, True]
    sp["meets_radius"] = [True, False]
    sp["contiguous"] = [True, True]
    sp["issues"] = ["", "service radius 2,400 m > 2,000 m"]
    sp["issues_zh"] = ["", "服务半径 2,400 米 > 2,000 米"]
    r = replace(r, split_proposals=sp)
    zh, en = tables.split_table(r, "zh"), tables.split_table(r, "en")
    assert zh is not None and en is not None
    assert list(zh["meets_radius"]) == ["是", "否"] and list(en["meets_radius"]) == ["yes", "no"]
    assert zh["issues"].iloc[1].startswith("服务半径") and en["issues"].iloc[1].startswith("service")
    heads = tables.localize(zh, "zh").columns
    assert "服务半径达标" in heads and "未达标原因" in heads


def test_facility_types_are_named_by_the_profile_in_every_output(tmp_path):
    """A profile's ``[facility_types]`` names win over the built-in table, in the map, the report
    and the spreadsheet; a type the profile adds (not in the built-in table) gets its name too."""
    from dataclasses import replace

    from siting.report import make_map, write_report, write_xlsx

    r = make_result(3)
    names = {"eldercare": {"zh": "居家养老驿站", "en": "home-care post"},
             "library": {"zh": "社区书屋", "en": "community library"}}

    def type_name(facility_type, language="zh"):
        entry = names.get(facility_type)
        return entry[language] if entry else facility_type

    profile = r.profile
    profile.type_name = type_name
    fac = r.facilities.copy()
    fac.iloc[0, fac.columns.get_loc("type")] = "library"
    hh = r.households.copy()
    hh["dist_library_m"] = 500.0
    r = replace(r, profile=profile, facilities=fac, households=hh)
    page = make_map(r, language="zh").get_root().render()
    assert "居家养老驿站" in page and "社区书屋" in page
    assert "养老服务设施" not in page  # the built-in name is not used when the profile has one
    report = write_report(r, tmp_path / "report.html", language="en").read_text(encoding="utf-8")
    assert "home-care post" in report and "community library" in report
    import openpyxl

    book = openpyxl.load_workbook(write_xlsx(r, tmp_path / "summary.xlsx", language="zh"))
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert "社区书屋" in cells and "居家养老驿站" in cells and "养老服务设施" not in cells
