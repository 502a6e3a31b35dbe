"""Policy profiles: the shipped files hold POLICY.md's rules; inheritance and overrides work."""

from __future__ import annotations

import dataclasses
import json

import pytest

from siting.policy import Profile, available_profiles, load_profile

LOCAL = ["qinghai-2017", "babu-2019", "xuchang-2023", "beijing-2012"]

#: Every rule and default of POLICY.md (the project's reference), with its numbers and source key.
#: (rule id, profile where it belongs, parameter, value, source key)
POLICY_NUMBERS = [
    ("size.urban", "national", "min_households", 1000, "QH-2017"),
    ("size.urban", "national", "max_households", 3000, "QH-2017"),
    ("size.split", "national", "max_households", 3000, "QH-2017"),
    ("size.split", "national", "max_radius_m", 2000, "QH-2017"),
    ("size.new", "national", "min_occupancy", 0.5, "QH-2017"),
    ("facility.area", "national", "per_100_households_m2", 30, "QH-2017"),
    ("facility.area", "national", "min_area_m2", {"urban": 300, "rural": 200}, "QH-2017"),
    ("facility.area", "beijing-2012", "min_area_m2", {"urban": 350, "rural": 200}, "BJ-2012"),
    ("facility.area", "xuchang-2023", "strict", True, "XC-2023"),
    ("facility.coverage", "qinghai-2017", "target_share", {"urban": 1.0, "rural": 0.7}, "QH-2017"),
    ("facility.coverage", "xuchang-2023", "target_share", {"urban": 1.0, "rural": 1.0}, "XC-2023"),
    ("facility.activity", "xuchang-2023", "min_share", 0.6, "XC-2023"),
    ("facility.commercial", "xuchang-2023", "min_share", 0.1, "XC-2023"),
    ("circle.service", "national", "minutes", 15, "BJ-2012"),
    ("circle.eldercare15", "national", "minutes", 15, "XC-2023"),
    ("circle.eldercare30", "babu-2019", "minutes", 30, "BB-2019"),
    ("circle.fitness", "national", "minutes", 15, "XC-2023"),
    ("circle.fitness", "national", "target_share", 1.0, "XC-2023"),
    ("eldercare.health", "national", "input", "health_adjacent_eldercare", "XC-2023"),
    ("shelter.community", "national", "min_count", 1, "QH-2017"),
    ("staff.workers", "national", "min_per", 18, "CN-2024-SW"),
    ("staff.workers", "national", "per_residents", 10000, "CN-2024-SW"),
    ("staff.social", "national", "per_residents", 1000, "XC-2023"),
    ("staff.social", "national", "min_per", 1, "XC-2023"),
    ("org.social", "national", "min_count", {"urban": 10, "rural": 5}, "XC-2023"),
    ("grid", "national", "min_share", 1.0, "QH-2017"),
    ("walk.speed", "national", "minutes", (5, 10, 15), "GB50180"),
    ("walk.speed", "national", "distance_m", (300, 500, 1000), "GB50180"),
    ("circle.15.size", "national", "min_residents", 50000, "GB50180"),
    ("circle.15.size", "national", "max_residents", 100000, "GB50180"),
    ("circle.10.size", "national", "min_residents", 15000, "GB50180"),
    ("circle.10.size", "national", "max_residents", 25000, "GB50180"),
    ("circle.5.size", "national", "min_residents", 5000, "GB50180"),
    ("circle.5.size", "national", "max_residents", 12000, "GB50180"),
    ("shelter.emergency", "national", "radius_m", 500, "GB51143"),
    ("shelter.fixed", "national", "radius_m", {"short": 1000, "medium": 1500, "long": 2500}, "GB51143"),
    ("eldercare.station", "national", "radius_m", 300, "GB50180"),
    ("eldercare.station", "national", "min_area_m2", 350, "GB50180"),
    ("eldercare.station", "national", "max_area_m2", 750, "GB50180"),
]
VERIFY = ["shelter.emergency", "shelter.fixed", "eldercare.station", "walk.elderly"]
SOURCES = ["CN-2017-13", "QH-2017", "BB-2019", "XC-2023", "BJ-2012", "CN-2024-SW", "GB50180", "GB51143"]


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_shipped_profiles_load() -> None:
    names = available_profiles()
    assert set(names) == {"national", *LOCAL}
    for name in names:
        p = load_profile(name)
        assert isinstance(p, Profile) and p.name == name and p.title and p.title_en
        assert p.extends == (None if name == "national" else "national")
        assert len(p.paths) == (1 if name == "national" else 2)


@pytest.mark.parametrize(("rule_id", "profile", "param", "value", "source"), POLICY_NUMBERS)
def test_policy_numbers_are_in_the_profiles(rule_id: str, profile: str, param: str, value: object,
                                            source: str) -> None:
    rule = load_profile(profile).rule(rule_id)
    assert _plain(rule.params[param]) == value
    assert rule.source == source


def test_every_policy_source_is_cited_with_its_title() -> None:
    p = load_profile("national")
    assert set(SOURCES) <= set(p.sources)
    assert p.sources["XC-2023"].title.startswith("《许昌市") and p.sources["XC-2023"].year == 2023
    assert p.sources["GB51143"].year == 2015


def test_verify_marks() -> None:
    p = load_profile("national")
    for rule_id in VERIFY:
        assert p.rules[rule_id].verify and p.needs_verification(rule_id)
        assert "待核实" in p.threshold_text(rule_id) and "verify" in p.threshold_text(rule_id, "en")
    assert not p.rules["size.urban"].verify
    assert "待核实" not in p.threshold_text("size.urban")
    # an elderly circle depends on the elderly speed, a verify default
    assert not p.rules["circle.eldercare15"].verify and p.needs_verification("circle.eldercare15")
    assert "dwelling_size_m2" in p.settings["buildings"]["verify"]


def test_threshold_texts() -> None:
    p = load_profile("national")
    assert p.threshold_text("facility.area") == "≥ 30 m²/100户；城市 ≥ 300 m²，农村 ≥ 200 m² (QH-2017 §19)"
    assert load_profile("xuchang-2023").threshold_text("facility.area", "en").startswith(
        "> 30 m²/100 households")
    assert "(CN-2024-SW §3)" in p.threshold_text("staff.workers", "en")
    assert p.threshold_text("size.split", "en").startswith("not both > 3,000 households")
    with pytest.raises(ValueError):
        p.threshold_text("size.urban", "fr")


def test_inheritance_deep_merges_single_numbers() -> None:
    nat, bj, xc = load_profile("national"), load_profile("beijing-2012"), load_profile("xuchang-2023")
    assert bj.rules["facility.area"].params["per_100_households_m2"] == 30  # inherited
    assert bj.rules["facility.area"].params["min_area_m2"]["rural"] == 200  # inherited within a table
    assert not nat.rules["facility.area"].params["strict"] and xc.rules["facility.area"].params["strict"]
    assert "facility.activity" in xc.rules and "facility.activity" not in nat.rules
    assert "circle.eldercare30" in load_profile("babu-2019").rules
    assert bj.settings["network"] == nat.settings["network"]


def test_configuration_override_wins() -> None:
    p = load_profile("beijing-2012", overrides={
        "rules": {"facility.area": {"min_area_m2": {"urban": 400}},
                  "size.urban": {"max_households": 2500}},
        "households": {"residents_per_household": 2.8},
        "walk": {"speed_m_per_min": 70},
    })
    assert p.rules["facility.area"].params["min_area_m2"] == {"urban": 400, "rural": 200}
    assert p.rules["size.urban"].params["max_households"] == 2500
    assert p.settings["households"]["residents_per_household"] == 2.8
    assert p.walk_distance_m(25) == pytest.approx(1000 + 10 * 70)
    assert p.overrides["walk"]["speed_m_per_min"] == 70
    assert load_profile("beijing-2012").rules["size.urban"].params["max_households"] == 3000


def test_user_profile_file_extends_a_shipped_one(tmp_path) -> None:
    path = tmp_path / "county.toml"
    path.write_text('[profile]\nname = "my-county"\nextends = "xuchang-2023"\n'
                    '[rules."org.social"]\nmin_count = { rural = 3 }\n'
                    '[rules."circle.market"]\nkind = "circle"\ntitle_zh = "菜市场"\ntitle_en = "Market"\n'
                    'source = "XC-2023"\nfacility_type = "market"\nminutes = 10\ntarget_share = 0.9\n',
                    encoding="utf-8")
    p = load_profile(path)
    assert p.name == "my-county" and p.extends == "xuchang-2023" and len(p.paths) == 3
    assert p.rules["org.social"].params["min_count"] == {"urban": 10, "rural": 3}
    assert p.rules["facility.area"].params["strict"]  # from xuchang
    assert p.circle_radius_m("circle.market") == 500
    assert p.path == str(path)


def test_profiles_are_read_only() -> None:
    p = load_profile("national")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.rules["size.urban"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        p.rules["size.urban"].params["max_households"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        p.settings["households"]["residents_per_household"] = 3  # type: ignore[index]


def test_to_dict_is_json() -> None:
    d = load_profile("xuchang-2023", overrides={"rules": {"grid": {"min_share": 0.9}}}).to_dict()
    text = json.dumps(d, ensure_ascii=False)
    assert json.loads(text)["rules"]["grid"]["min_share"] == 0.9
    assert d["overrides"] == {"rules": {"grid": {"min_share": 0.9}}}


def test_circle_rules() -> None:
    p = load_profile("national")
    circles = {r.id: r for r in p.circle_rules()}
    assert set(circles) == {"circle.service", "circle.eldercare15", "circle.fitness", "circle.shelter"}
    for rule in circles.values():
        assert {"facility_type", "minutes", "elderly", "target_share", "radius_m"} <= set(rule.params)
        assert p.walk_distance_m(rule.params["minutes"], elderly=rule.params["elderly"]) == \
            pytest.approx(p.circle_radius_m(rule))
    assert circles["circle.eldercare15"].params["elderly"] is True
    assert p.circle_radius_m("circle.eldercare15") == pytest.approx(750)
    assert p.circle_radius_m("circle.shelter") == 500
    moved = load_profile("national", overrides={"rules": {"shelter.emergency": {"radius_m": 400}}})
    assert moved.circle_radius_m("circle.shelter") == 400
    assert moved.settings["shelter"]["radius_m"]["emergency"] == 400
    assert applies(circles["circle.eldercare15"]) == ("urban", "town")


def applies(rule) -> tuple:
    return tuple(rule.params.get("applies_to", ()))


def test_settings_sections() -> None:
    p = load_profile("national")
    s = p.settings
    assert s["households"]["residents_per_household"] == 2.62
    assert s["households"]["source"] == "CN-2020-CENSUS"
    assert set(s["facility_types"]) == {"service_center", "eldercare", "fitness", "shelter", "health",
                                        "school", "kindergarten", "market"}
    assert s["facility_types"]["eldercare"]["zh"] == "养老服务设施"
    assert s["shelter"]["radius_m"] == {"emergency": 500, "short": 1000, "medium": 1500, "long": 2500}
    assert s["shelter"]["area_per_person_m2"]["emergency"] == 1.0
    assert "footway" in s["network"]["highway"] and "motorway" in s["network"]["exclude_highway"]
    assert s["network"]["exclude_tags"]["access"] == ("private",)
    assert s["buildings"]["dwelling_size_m2"] == 90
    assert s["walk"]["distance_m"] == (300, 500, 1000)


def test_network_settings_are_a_valid_walk_filter() -> None:
    from siting.network.walkfilter import DEFAULT_WALK_FILTER, make_walk_filter

    net = load_profile("national").settings["network"]
    wf = make_walk_filter(net)
    assert wf.is_walkable({"highway": "footway"}) and not wf.is_walkable({"highway": "motorway"})
    assert not wf.is_walkable({"highway": "residential", "access": "private"})
    # the network layer's fallback mirrors the profile: keep the two in step
    assert {k: sorted(v) if isinstance(v, (list, tuple)) else {kk: sorted(vv) for kk, vv in v.items()}
            for k, v in net.items() if k != "note"} == \
        {k: sorted(v) if isinstance(v, list) else {kk: sorted(vv) for kk, vv in v.items()}
         for k, v in DEFAULT_WALK_FILTER.items()}


@pytest.mark.parametrize(("tags", "types"), [
    ({"amenity": "community_centre"}, ["service_center"]),
    ({"amenity": "nursing_home"}, ["eldercare"]),
    ({"social_facility": "day_care"}, []),
    ({"social_facility": "day_care", "social_facility:for": "senior"}, ["eldercare"]),
    ({"leisure": "fitness_station"}, ["fitness"]),
    ({"leisure": "park"}, ["shelter"]),
    ({"emergency": "assembly_point"}, ["shelter"]),
    ({"healthcare": "centre"}, ["health"]),
    ({"healthcare": "pharmacy"}, []),
    ({"amenity": "clinic", "healthcare": "clinic"}, ["health"]),
    ({"amenity": "school"}, ["school"]),
    ({"amenity": "kindergarten"}, ["kindergarten"]),
    ({"shop": "supermarket"}, ["market"]),
    ({"shop": "convenience;bakery"}, ["market"]),
    ({"amenity": "bench"}, []),
    ({"healthcare": "no"}, []),
])
def test_osm_tags_to_facility_types(tags: dict, types: list) -> None:
    assert load_profile("national").osm_facility_types(tags) == types


def test_type_names_come_from_the_profile() -> None:
    prof = load_profile("national")
    assert prof.type_name("eldercare") == "养老服务设施"
    assert prof.type_name("eldercare", "en") == "elder care"
    assert prof.type_name("no_such_type") == "no_such_type"  # unnamed: its key, never an error
