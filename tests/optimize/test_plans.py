"""Siting plans: candidates generated on the network, 'min' reaches every reachable household,
shelters read their radius from the profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import siting
from siting.errors import InputError
from siting.network import build_network
from siting.optimize.plans import _circle_for, generate_candidates
from siting.pipeline.config import SitingRequest
from siting.pipeline.synth import write_synthetic_county

ROOT = Path(__file__).resolve().parents[2]
BEIJING = ROOT / "data" / "boundaries" / "beijing"


def test_generated_candidates_one_per_cell_inside_communities() -> None:
    communities = siting.io.read_communities(BEIJING / "communities.geojson")
    net = build_network(BEIJING / "beijing_haidian_xueqing.osm", crs=communities.crs)
    cand = generate_candidates(net, communities, spacing_m=100.0)
    assert len(cand) > 0 and cand.index.is_unique
    assert cand.within(communities.geometry.union_all()).all()
    xy = np.column_stack([cand.geometry.x, cand.geometry.y])
    cells = {tuple(c) for c in np.floor(xy / 100.0).astype(int)}
    assert len(cells) == len(cand)  # at most one per grid cell
    # every candidate is a node of the main piece
    main = {tuple(p) for p in net.node_xy[net.component == 0].round(6)}
    assert all(tuple(p) in main for p in xy.round(6))
    with pytest.raises(InputError):
        generate_candidates(net, communities, spacing_m=0)


def test_circles_and_shelter_classes_come_from_the_profile() -> None:
    profile = siting.load_profile("national")
    r, source, minutes = _circle_for(SitingRequest(type="shelter", new_sites="min"), profile)
    assert r == profile.rules["shelter.emergency"].params["radius_m"] and minutes is None
    r, _, _ = _circle_for(SitingRequest(type="shelter", new_sites=1, shelter_class="fixed:medium"),
                          profile)
    assert r == profile.rules["shelter.fixed"].params["radius_m"]["medium"]
    r, source, minutes = _circle_for(SitingRequest(type="eldercare", new_sites=2), profile)
    assert source == "circle.eldercare15" and r == profile.walk_distance_m(15, elderly=True)
    with pytest.raises(InputError, match="shelter_class"):
        _circle_for(SitingRequest(type="shelter", new_sites=1, shelter_class="bunker"), profile)


def test_min_plan_covers_every_reachable_household(tmp_path: Path) -> None:
    config = write_synthetic_county(tmp_path, households=4000, seed=11)
    text = config.read_text(encoding="utf-8").replace("new_sites = 5", 'new_sites = "min"')
    config.write_text(text, encoding="utf-8")
    result = siting.plan(config, write=False, verbose=False)
    row = result.siting_summary.set_index("type").loc["eldercare"]
    in_comm = result.households["community_id"].notna()
    total = result.households.loc[in_comm, "households"].sum()
    assert row["model"] == "set_cover" and row["status"] == "optimal"
    assert row["after_households_covered"] == pytest.approx(total - row["households_unreachable"])
    new = result.sites[(result.sites["type"] == "eldercare") & (result.sites["status"] == "new")]
    assert len(new) == row["new_sites"]
    # shelters: a capacitated plan, with its proven bound
    shelter = result.siting_summary.set_index("type").loc["shelter"]
    assert shelter["model"] in {"capacitated_coverage", "set_cover"}
    assert shelter["bound"] <= shelter["objective"] + 1e-9
