"""What a policy profile may contain: rule kinds, their parameters and units, settings sections.

Everything here is plain Python written by hand: a profile is a small TOML document (read by the
standard library's ``tomllib``) and checking it is a matter of comparing keys and types against the
tables below. No schema library is used because the messages must name the profile file, the key and
the fix in the tool's own words (as geopandas' validated options and osmnx's ``ValidationError`` do),
and because one check (a number written with a unit, such as ``"2 km"``) needs a suggested rewrite.

Value specifications (strings used in the tables below):

``num``      a finite number (int or float, not bool)
``pos``      a number > 0
``nonneg``   a number >= 0
``share``    a number in [0, 1] (a fraction: 0.7, not 70)
``int``      a whole number >= 0
``bool``     true / false
``str``      a string
``strs``     a list of strings
``nums``     a list of numbers > 0
``shares``   a list of numbers in [0, 1]
``kind_pos`` a number > 0, or a table ``{urban = ..., town = ..., rural = ...}`` of them
``kind_share`` / ``kind_int``  the same for shares / whole numbers
``kinds``    a list of community kinds (``[kinds] names``)
``ftype``    a facility type (a key of ``[facility_types]``)
``ftypes``   a list of facility types
``rule``     the id of another rule of the profile
``source``   a key of ``[sources]``
``map_pos``  a table of string → number > 0
``map_str``  a table of string → string
``map_strs`` a table of string → list of strings
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Keys every rule table may carry besides its parameters.
RULE_META = ("kind", "title_zh", "title_en", "unit", "source", "clause", "see_also", "verify", "note")

#: Metadata value specifications.
META_SPEC: dict[str, str] = {
    "kind": "str",
    "title_zh": "str",
    "title_en": "str",
    "unit": "str",
    "source": "source",
    "clause": "str",
    "see_also": "strs",
    "verify": "bool",
    "note": "str",
}


@dataclass(frozen=True)
class Kind:
    """One kind of rule: which parameters it takes, the unit of its value, whether it is checked.

    Attributes
    ----------
    params : dict
        Parameter name → (value specification, required).
    units : tuple of str
        Allowed values of the rule's ``unit`` (the unit of the value the engine reports); the first
        is the default.
    checked : bool
        True when :func:`siting.diagnose.evaluate_rules` marks every community against it; False for
        reference values (walking speed, life-circle sizes, shelter classes) that other steps use.
    doc : str
        What the kind means.
    """

    params: dict[str, tuple[str, bool]]
    units: tuple[str, ...]
    checked: bool
    doc: str
    one_of: tuple[tuple[str, ...], ...] = field(default=())


_APPLIES = ("kinds", False)

KINDS: dict[str, Kind] = {
    "size": Kind(
        {"min_households": ("pos", True), "max_households": ("pos", True),
         "smaller_allowed": ("kinds", False), "applies_to": _APPLIES},
        ("households",), True,
        "households within [min, max]; kinds in smaller_allowed may be below min"),
    "split": Kind(
        {"max_households": ("pos", True), "max_radius_m": ("pos", True), "applies_to": _APPLIES},
        ("households",), True,
        "not_met when households > max_households AND service radius > max_radius_m"),
    "new_area": Kind(
        {"min_occupancy": ("share", True), "min_households": ("pos", True), "applies_to": _APPLIES},
        ("share",), True,
        "met when occupancy >= min_occupancy and households >= min_households (own committee)"),
    "area": Kind(
        {"per_100_households_m2": ("pos", True), "strict": ("bool", False),
         "min_area_m2": ("kind_pos", False), "applies_to": _APPLIES},
        ("m2 per 100 households",), True,
        "facility floor area >= per_100_households_m2 per 100 households and >= min_area_m2[kind]"),
    "share": Kind(
        {"input": ("str", False), "numerator": ("str", False), "denominator": ("str", False),
         "min_share": ("share", True), "applies_to": _APPLIES},
        ("share",), True,
        "input (or numerator / denominator) >= min_share",
        one_of=(("input",), ("numerator", "denominator"))),
    "circle": Kind(
        {"facility_type": ("ftype", True), "minutes": ("pos", False), "radius_rule": ("rule", False),
         "elderly": ("bool", False), "target_share": ("share", True), "tiers": ("strs", False),
         "applies_to": _APPLIES},
        ("share",), True,
        "share of households within the circle (coverage_<rule id>) >= target_share",
        one_of=(("minutes",), ("radius_rule",))),
    "flag": Kind(
        {"input": ("str", True), "facility_type": ("ftype", False), "facility_types": ("ftypes", False),
         "target_share": ("kind_share", False), "max_distance_m": ("pos", False),
         "applies_to": _APPLIES},
        ("bool",), True,
        "met where the input is true; target_share (optional) is the share of communities "
        "that should be true, judged over the whole plan"),
    "count": Kind(
        {"input": ("str", True), "min_count": ("kind_int", True), "facility_type": ("ftype", False),
         "applies_to": _APPLIES},
        ("count",), True,
        "input >= min_count[kind]"),
    "staff": Kind(
        {"input": ("str", True), "per_residents": ("pos", True), "min_per": ("kind_pos", True),
         "min_count": ("kind_int", False), "applies_to": _APPLIES},
        ("persons per 10000 residents", "persons per 1000 residents"), True,
        "input / residents * per_residents >= min_per[kind] and input >= min_count[kind]"),
    "walk": Kind(
        {"minutes": ("nums", True), "distance_m": ("nums", True), "speed_m_per_min": ("pos", True)},
        ("m",), False,
        "minutes → metres table; beyond the last point at speed_m_per_min"),
    "walk_elderly": Kind(
        {"speed_factor": ("share", True)},
        ("factor",), False,
        "an elderly walker covers speed_factor of the distance in the same minutes"),
    "life_circle": Kind(
        {"minutes": ("pos", True), "min_residents": ("pos", True), "max_residents": ("pos", True)},
        ("residents",), False,
        "population a life circle of this many minutes serves"),
    "shelter_class": Kind(
        {"radius_m": ("pos_or_map", True), "area_per_person_m2": ("pos_or_map", True)},
        ("m",), False,
        "walking radius and effective area per person of a shelter class"),
    "facility_standard": Kind(
        {"facility_type": ("ftype", True), "radius_m": ("pos", False), "min_area_m2": ("pos", False),
         "max_area_m2": ("pos", False)},
        ("m",), False,
        "size and radius of one facility type (reference for siting)"),
}

#: Settings sections and their keys. ``None`` = a free table validated by a dedicated check.
_SECTION_META = {"source": "source", "note": "str", "verify": "strs"}
SETTINGS: dict[str, dict[str, str] | None] = {
    "kinds": {"names": "strs", "fallback": "map_str", "note": "str"},
    "network": {"highway": "strs", "exclude_highway": "strs", "exclude_tags": "map_strs",
                "override_tags": "map_strs"},  # no note: the walk filter refuses unknown keys
    "buildings": {"dwelling_size_m2": "pos", "default_levels": "map_pos",
                  "residential_types": "strs", "yes_inside_residential": "bool", **_SECTION_META},
    "households": {"residents_per_household": "pos", "elderly_share": "share", **_SECTION_META},
    "shelter": {"class": "str", "usable_area_share": "share", **_SECTION_META},
    "service_areas": {"minutes": "nums", "buffer_m": "pos", "note": "str"},
    "accessibility": {"zones_min": "nums", "weights": "shares", **_SECTION_META},
    "report": {"language": "str", "status_colours": "map_str", "status_labels_zh": "map_str",
               "status_labels_en": "map_str", "note": "str"},
    "facility_types": None,
    "osm_facilities": None,
}
#: Sections every complete profile has (a file that extends another inherits them).
REQUIRED_SETTINGS = ("kinds", "network", "buildings", "households", "shelter", "facility_types",
                     "osm_facilities", "report")
#: Sections computed from rules (read-only views); overriding them goes through the rules.
DERIVED_SETTINGS = ("walk",)
#: ``[walk]`` keys in a profile file or in overrides, and the rule parameter each one sets.
WALK_ALIASES: dict[str, tuple[str, str]] = {
    "minutes": ("walk.speed", "minutes"),
    "distance_m": ("walk.speed", "distance_m"),
    "speed_m_per_min": ("walk.speed", "speed_m_per_min"),
    "elderly_speed_factor": ("walk.elderly", "speed_factor"),
}
OSM_ROW_KEYS = {"type", "tags", "require", "exclude", "note"}
STATUS_NAMES = ("met", "not_met", "not_assessable")

_UNIT_TEXT = re.compile(
    r"^\s*([-+]?[0-9][0-9_,]*(?:\.[0-9]+)?)\s*([a-zA-Z²%‰\u4e00-\u9fff][a-zA-Z0-9²%‰\u4e00-\u9fff/ ]*?)\s*$")
_TO_M = {"m": 1.0, "米": 1.0, "km": 1000.0, "公里": 1000.0, "千米": 1000.0}
_TO_M2 = {"m2": 1.0, "m²": 1.0, "平方米": 1.0, "sqm": 1.0, "km2": 1e6, "ha": 1e4, "公顷": 1e4}
_TO_MIN = {"min": 1.0, "分钟": 1.0, "minutes": 1.0, "h": 60.0, "小时": 60.0}
_TO_SHARE = {"%": 0.01, "‰": 0.001}


def is_number(value: Any) -> bool:
    """A real, finite number (bools are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def suggest_plain_number(key: str, text: str) -> str | None:
    """For a number written with a unit (``"2 km"``), the plain number the key expects, as text.

    The key's suffix says its unit (``_m`` metres, ``_m2`` square metres, ``_min`` / ``minutes``
    minutes, ``share`` a fraction). Returns None when the text is not a number with a known unit.
    """
    match = _UNIT_TEXT.match(text)
    if not match:
        return None
    number = float(match.group(1).replace(",", "").replace("_", ""))
    unit = match.group(2).strip().lower()
    if key.endswith("_m2"):
        table = _TO_M2
    elif key.endswith("_m"):
        table = _TO_M
    elif key.endswith("_min") or key == "minutes":
        table = _TO_MIN
    elif "share" in key or "occupancy" in key:
        table = _TO_SHARE
    else:
        return None
    if unit not in table:
        return None
    value = number * table[unit]
    return f"{value:g}"


def check_value(spec: str, value: Any, *, key: str, kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """Check one value against a specification.

    Returns None when it is fine, else ``(what is wrong, the fix)``. Cross-references (``ftype``,
    ``rule``, ``source``) are only checked for type here; the profile checks that they exist.
    """
    if isinstance(value, str) and spec in {"num", "pos", "nonneg", "share", "int", "kind_pos",
                                           "kind_share", "kind_int", "pos_or_map"}:
        plain = suggest_plain_number(key, value)
        if plain is not None:
            return (f"is the text {value!r}, but it must be a plain number in the unit its name says",
                    f"write {key} = {plain}")
        return (f"is the text {value!r}, but it must be a number", f"write {key} = <number>")
    if spec.startswith("kind_"):
        base = spec[len("kind_"):]
        if isinstance(value, Mapping):
            for kind, item in value.items():
                if kind not in kinds:
                    return (f"has the community kind {kind!r}, which the profile does not know",
                            f"use only {list(kinds)} as keys")
                bad = check_value(base, item, key=f"{key}.{kind}", kinds=kinds)
                if bad:
                    return (f"`{kind}` {bad[0]}", bad[1])
            return None
        return check_value(base, value, key=key, kinds=kinds)
    if spec == "pos_or_map":
        if isinstance(value, Mapping):
            for name, item in value.items():
                bad = check_value("pos", item, key=f"{key}.{name}", kinds=kinds)
                if bad:
                    return (f"`{name}` {bad[0]}", bad[1])
            return None
        return check_value("pos", value, key=key, kinds=kinds)
    if spec in {"num", "pos", "nonneg", "share", "int"}:
        if not is_number(value):
            return (f"must be a number, got {type(value).__name__} {value!r}", f"write {key} = <number>")
        if spec == "pos" and value <= 0:
            return (f"must be greater than 0, got {value}", f"write a positive {key}")
        if spec in {"nonneg", "int"} and value < 0:
            return (f"must not be negative, got {value}", f"write {key} >= 0")
        if spec == "int" and float(value) != int(value):
            return (f"must be a whole number, got {value}", f"write {key} = {round(value)}")
        if spec == "share" and not 0 <= value <= 1:
            if 1 < value <= 100:
                return (f"is {value}, which looks like a percentage; shares are fractions 0-1",
                        f"write {key} = {value / 100:g}")
            return (f"must be a fraction between 0 and 1, got {value}", f"write {key} = 0.0 ... 1.0")
        return None
    if spec == "bool":
        if not isinstance(value, bool):
            return (f"must be true or false, got {value!r}", f"write {key} = true (or false)")
        return None
    if spec in {"str", "ftype", "rule", "source"}:
        if not isinstance(value, str) or not value.strip() and spec != "str":
            return (f"must be a string, got {type(value).__name__} {value!r}", f'write {key} = "..."')
        return None
    if spec in {"strs", "kinds", "ftypes"}:
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
            isinstance(v, str) for v in value
        ):
            return (f"must be a list of strings, got {value!r}", f'write {key} = ["...", "..."]')
        if spec == "kinds":
            unknown = [v for v in value if v not in kinds]
            if unknown:
                return (f"names unknown community kinds {unknown}", f"use only {list(kinds)}")
        return None
    if spec in {"nums", "shares"}:
        item_spec = "pos" if spec == "nums" else "share"
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
            return (f"must be a non-empty list of numbers, got {value!r}", f"write {key} = [1, 2, 3]")
        for i, item in enumerate(value):
            bad = check_value(item_spec, item, key=f"{key}[{i}]", kinds=kinds)
            if bad:
                return (f"item {i} {bad[0]}", bad[1])
        return None
    if spec.startswith("map_"):
        if not isinstance(value, Mapping):
            return (f"must be a table, got {value!r}", f"write [{key}] with one key per entry")
        item_spec = {"map_pos": "pos", "map_str": "str", "map_strs": "strs"}[spec]
        for name, item in value.items():
            bad = check_value(item_spec, item, key=f"{key}.{name}", kinds=kinds)
            if bad:
                return (f"`{name}` {bad[0]}", bad[1])
        return None
    raise ValueError(f"unknown value specification {spec!r}")  # a bug in the tables above
