"""Bad profiles and overrides are refused with the file or key named and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from siting.errors import InputError
from siting.policy import load_profile


def _refused(name: str | Path = "national", **kwargs: object) -> InputError:
    with pytest.raises(InputError) as info:
        load_profile(name, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_unknown_profile_name() -> None:
    err = _refused("xuchang")
    assert "xuchang-2023" in str(err)


def test_missing_profile_file(tmp_path: Path) -> None:
    err = _refused(tmp_path / "nope.toml")
    assert "nope.toml" in str(err) and "national" in str(err)


def test_unknown_rule_id_in_overrides() -> None:
    err = _refused(overrides={"rules": {"size.urbn": {"max_households": 2500}}})
    text = str(err)
    assert "size.urbn" in text and "size.urban" in text and "configuration" in text


def test_unknown_key_in_overrides() -> None:
    err = _refused(overrides={"rules": {"size.urban": {"max_houshold": 2500}}})
    assert "max_houshold" in str(err) and "`max_households`" in str(err)
    err = _refused(overrides={"shelterr": {"usable_area_share": 0.5}})
    assert "shelterr" in str(err) and "`shelter`" in str(err)
    err = _refused(overrides={"walk": {"sped": 70}})
    assert "walk.sped" in str(err)


def test_wrong_types_and_units() -> None:
    err = _refused(overrides={"rules": {"size.split": {"max_radius_m": "2 km"}}})
    assert "max_radius_m = 2000" in str(err)
    err = _refused(overrides={"rules": {"size.urban": {"max_households": "3000"}}})
    assert "must be a number" in str(err)
    err = _refused(overrides={"rules": {"circle.fitness": {"target_share": 90}}})
    assert "percentage" in str(err) and "target_share = 0.9" in str(err)
    err = _refused(overrides={"rules": {"facility.area": {"strict": "yes"}}})
    assert "true or false" in str(err)
    err = _refused(overrides={"rules": {"facility.area": {"min_area_m2": {"suburban": 300}}}})
    assert "suburban" in str(err)
    err = _refused(overrides={"rules": {"size.urban": {"kind": "count"}}})
    assert "cannot change" in str(err)
    err = _refused(overrides={"rules": {"size.urban": {"unit": "km"}}})
    assert "unit" in str(err) and "households" in str(err)


def test_derived_shelter_values_point_to_their_rules() -> None:
    err = _refused(overrides={"shelter": {"radius_m": {"emergency": 400}}})
    assert 'rules."shelter.emergency".radius_m' in str(err)


def test_every_problem_reported_at_once() -> None:
    err = _refused(overrides={"rules": {"size.urbn": {}, "grid": {"min_share": 2}},
                              "buildings": {"dwelling_size_m2": -1}})
    assert len(err.problems) == 3
    columns = {p.column for p in err.problems}
    assert columns == {"overrides.rules.size.urbn", "overrides.rules.grid.min_share",
                       "overrides.buildings.dwelling_size_m2"}


def test_overrides_may_not_replace_identity_or_tables() -> None:
    err = _refused(overrides={"profile": {"name": "x"}})
    assert "[plan] policy" in str(err)


def test_bad_file_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[profile]\nname = "bad"\nextends = "national"\n'
                    '[rules."size.urban"]\nmax_househods = 2000\n'
                    '[rules."new.rule"]\ntitle_zh = "x"\n'
                    '[buildings]\ndwelling_size_m2 = "90 m2"\n', encoding="utf-8")
    err = _refused(path)
    by_column = {p.column: p for p in err.problems}
    assert all(p.source == str(path) for p in err.problems)
    assert "max_households" in by_column["rules.size.urban.max_househods"].fix
    assert "kind" in by_column["rules.new.rule.kind"].fix
    assert by_column["buildings.dwelling_size_m2"].fix == "write dwelling_size_m2 = 90"


def test_incomplete_new_rule(tmp_path: Path) -> None:
    path = tmp_path / "incomplete.toml"
    path.write_text('[profile]\nextends = "national"\n[rules."circle.x"]\nkind = "circle"\n'
                    'title_zh = "x"\ntitle_en = "x"\nsource = "NOPE"\nfacility_type = "spa"\n'
                    'minutes = 10\nradius_rule = "shelter.emergency"\n', encoding="utf-8")
    text = str(_refused(path))
    for expected in ("target_share", "NOPE", "spa", "exactly one of minutes or radius_rule"):
        assert expected in text


def test_profile_without_base_needs_every_section(tmp_path: Path) -> None:
    path = tmp_path / "alone.toml"
    path.write_text('[profile]\nname = "alone"\n', encoding="utf-8")
    err = _refused(path)
    assert any("[network]" in p.message for p in err.problems)
    assert any("walk.speed" in p.message for p in err.problems)


def test_invalid_toml_and_cycles(tmp_path: Path) -> None:
    bad = tmp_path / "syntax.toml"
    bad.write_text("[profile\nname = 1\n", encoding="utf-8")
    assert "syntax.toml" in str(_refused(bad))
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[profile]\nextends = "b.toml"\n', encoding="utf-8")
    b.write_text('[profile]\nextends = "a.toml"\n', encoding="utf-8")
    assert "circle" in str(_refused(a))


def test_unknown_rule_lookup() -> None:
    with pytest.raises(InputError, match="size.urban"):
        load_profile("national").rule("size.urbn")
