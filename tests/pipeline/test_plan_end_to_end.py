"""A whole plan on a small synthetic county: every output written, households conserved,
rules traceable, sites placed; a county run isolates a failing district."""

from __future__ import annotations

import html
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import siting
from siting.errors import Notice
from siting.pipeline.batch import run_plan_files
from siting.pipeline.synth import write_synthetic_county


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    return write_synthetic_county(folder, households=6000, seed=5, districts=1)


@pytest.fixture(scope="module")
def result(county: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("out") / "plan"
    res = siting.plan(county, out=out, verbose=False)
    return res, out


def test_outputs_written(result) -> None:
    _, out = result
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["results.gpkg", "map.html", "report.html", "summary.xlsx", "run.json"])
    layers = {name for name, _ in pyogrio.list_layers(out / "results.gpkg")}
    assert {"communities", "households", "split_proposals", "sites", "service_areas"} <= layers


def test_households_conserved_everywhere(result, county: Path) -> None:
    _, out = result
    given = pd.read_csv(county.parent / "households.csv")
    total = int(given["households"].sum())
    hh = gpd.read_file(out / "results.gpkg", layer="households")
    assert len(hh) == len(given) and hh["household_id"].is_unique
    assert int(hh["households"].sum()) == total
    comm = gpd.read_file(out / "results.gpkg", layer="communities")
    outside = int(hh.loc[hh["community_id"].isna(), "households"].sum())
    assert int(comm["households"].sum()) + outside == total
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["households_in"] == manifest["counts"]["households_out"] == total
    assert manifest["synthetic"] is True
    for name, entry in manifest["inputs"].items():
        assert len(entry["sha256"]) == 64, name


def test_contract_columns_and_rule_values(result) -> None:
    res, _ = result
    comm = res.communities
    for col in ("households", "residents", "service_radius_m", "oversized", "coverage_eldercare",
                "coverage_fitness", "size.urban", "size.split", "facility.area"):
        assert col in comm, col
    rule_cols = [r for r in res.rules["rule_id"] if r in comm]
    assert rule_cols
    values = set(np.unique(comm[rule_cols].to_numpy().astype(str)))
    assert values <= {"met", "not_met", "not_assessable"}
    assert ((comm["coverage_eldercare"] >= 0) & (comm["coverage_eldercare"] <= 1)).all()
    # E2SFCA accessibility where capacity matters: per household and per community
    assert "fca_eldercare" in comm and "fca_eldercare" in res.households
    assert (res.households["fca_eldercare"].dropna() >= 0).all()
    # every rule in the table cites a source document
    assert res.rules["source"].notna().all() and (res.rules["source"] != "").all()
    # oversized is the split rule: > 3,000 households AND radius > 2 km
    expected = (comm["households"] > 3000) & (comm["service_radius_m"] > 2000)
    assert (comm["oversized"].fillna(False).astype(bool) == expected).all()


def test_dist_columns_match_the_network_engine(result) -> None:
    res, _ = result
    hh = res.households
    assert {"dist_eldercare_m", "dist_shelter_m", "dist_service_center_m"} <= set(hh.columns)
    d = hh["dist_eldercare_m"].to_numpy()
    assert np.all(np.isnan(d) | (d >= 0))


def test_sites_requested_are_placed(result) -> None:
    res, _ = result
    sites = res.sites
    assert set(sites["status"]) <= {"existing", "new"}
    eld = sites[(sites["type"] == "eldercare") & (sites["status"] == "new")]
    assert len(eld) == 5  # [siting.eldercare] new_sites = 5
    summary = res.siting_summary.set_index("type")
    assert summary.loc["eldercare", "after_households_covered"] >= \
        summary.loc["eldercare", "before_households_covered"]


@pytest.fixture(scope="module")
def two_districts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_county(tmp_path_factory.mktemp("c2"), households=5000, seed=2,
                                  districts=2)


def test_county_run_isolates_a_failing_district(two_districts: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from siting.pipeline import batch

    real_plan = batch.plan

    def flaky(config, **kwargs):
        keep = kwargs["communities_filter"]
        probe = gpd.read_file(two_districts.parent / "communities.geojson")
        if set(probe.loc[keep(probe), "district"]) == {"D2"}:
            raise siting.InputError("district D2: a broken input (test)")
        return real_plan(config, **kwargs)

    monkeypatch.setattr(batch, "plan", flaky)
    out = run_plan_files(two_districts, out=tmp_path / "county", verbose=False)
    table = pd.read_csv(out / "districts.csv").set_index("district")
    assert table.loc["D1", "status"] == "done" and table.loc["D2", "status"] == "failed"
    assert "broken input" in table.loc["D2", "error"]
    assert (out / "D1" / "results.gpkg").exists() and not (out / "D2").exists()
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["districts_failed"] == 1


def test_county_run_on_dask_conserves_households(two_districts: Path, tmp_path: Path) -> None:
    out = run_plan_files(two_districts, out=tmp_path / "county", workers=2, verbose=False)
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert counts["districts_done"] == 2
    assert counts["households_in_districts_done"] + counts["households_outside_communities"] \
        == counts["households_in"] == 5000
    per_district = sum(int(gpd.read_file(out / d / "results.gpkg", layer="households")
                           ["households"].sum()) for d in ("D1", "D2"))
    assert per_district == counts["households_in_districts_done"]


def test_warnings_reach_the_planner_in_both_languages(county: Path, tmp_path: Path) -> None:
    """run.json keeps every warning in English and in Chinese; the (Chinese) report shows the
    Chinese text of the pipeline's own warnings, not the English one. One community is left out of
    the county so that its households fall outside every community (a warning)."""
    comm = gpd.read_file(county.parent / "communities.geojson")
    comm.iloc[1:].to_file(county.parent / "communities_less.geojson", driver="GeoJSON")
    cfg = county.parent / "config_less.toml"
    cfg.write_text(county.read_text(encoding="utf-8").replace(
        '"communities.geojson"', '"communities_less.geojson"'), encoding="utf-8")
    out = tmp_path / "less"
    res = siting.plan(cfg, out=out, verbose=False)
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert len(manifest["warnings"]) == len(manifest["warnings_zh"]) == len(res.warnings)
    report = (out / "report.html").read_text(encoding="utf-8")
    translated = [(w, w.zh) for w in res.warnings if isinstance(w, Notice)]
    assert any("outside every community" in en for en, _ in translated)
    for en, zh in translated:
        assert zh in manifest["warnings_zh"] and en in manifest["warnings"]
        assert html.escape(zh) in report and html.escape(en) not in report


def test_network_is_reused_while_its_file_is_unchanged(county: Path, monkeypatch) -> None:
    """A second plan with the same network file (a county run's next district, a notebook's re-run)
    reuses the network built in this process, with the same results; a changed file is read again."""
    import os

    from siting.pipeline import run as run_mod

    calls: list[object] = []
    real = run_mod.build_network

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(run_mod, "build_network", counting)
    run_mod._NETWORK_CACHE.clear()
    first = siting.plan(county, write=False, verbose=False)
    second = siting.plan(county, write=False, verbose=False)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(pd.DataFrame(first.households.drop(columns="geometry")),
                                  pd.DataFrame(second.households.drop(columns="geometry")))
    network_file = Path(str(calls[0]))
    st = network_file.stat()
    os.utime(network_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # "edited"
    siting.plan(county, write=False, verbose=False)
    assert len(calls) == 2
