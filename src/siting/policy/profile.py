"""Policy profiles: the rules and defaults a plan is judged against, as data.

A profile is a TOML file (``policy/profiles/<name>.toml`` for the shipped ones, or any path) read with
the standard library's ``tomllib``. A profile may ``extends`` another and override single numbers; a
run's configuration may override any number again. Loading, merging and checking are written by hand
here and in :mod:`siting.policy.validate` (a few dictionary walks; see :mod:`siting.policy.schema` for
why no schema library). The minutes → metres conversion is ``numpy.interp`` over the profile's table.

Example
-------
>>> from siting.policy import load_profile
>>> p = load_profile("xuchang-2023", overrides={"rules": {"size.urban": {"max_households": 2500}}})
>>> p.walk_distance_m(15)
1000.0
>>> p.threshold_text("facility.area", language="en")  # doctest: +SKIP
'> 30 m²/100 households; urban ≥ 300 m², rural ≥ 200 m² (XC-2023 专栏1)'
"""

from __future__ import annotations

import copy
import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from siting.errors import InputError, Problems
from siting.policy.schema import KINDS
from siting.policy.validate import check_complete, check_layer, did_you_mean, normalise_walk

log = logging.getLogger(__name__)

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


@dataclass(frozen=True)
class Source:
    """A document a rule cites: ``key`` (e.g. ``XC-2023``), ``title``, ``year``."""

    key: str
    title: str
    year: int | None = None
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Rule:
    """One rule or reference value of a profile.

    Attributes
    ----------
    id : str
        E.g. ``"size.urban"`` (the column name in the ``communities`` layer).
    kind : str
        One of :data:`siting.policy.schema.KINDS`: checked kinds ``size``, ``split``, ``new_area``,
        ``area``, ``share``, ``circle``, ``flag``, ``count``, ``staff``; reference kinds ``walk``,
        ``walk_elderly``, ``life_circle``, ``shelter_class``, ``facility_standard``.
    params : Mapping
        The rule's numbers (read-only). Circle rules always carry ``facility_type``, ``minutes``,
        ``elderly``, ``target_share`` and ``radius_m`` (the walking distance the circle means).
    unit : str
        The unit of the value the rule engine reports for it.
    source, clause : str
        The source key (see :attr:`Profile.sources`) and clause, e.g. ``"QH-2017"``, ``"§3"``.
    see_also : tuple of str
        Further citations, ``"KEY clause"``.
    verify : bool
        True when a number came from a secondary source and must be checked against the standard.
    title_zh, title_en, note : str
    """

    id: str
    kind: str
    params: Mapping[str, Any]
    unit: str
    source: str
    clause: str
    verify: bool
    title_zh: str
    title_en: str
    note: str = ""
    see_also: tuple[str, ...] = ()

    @property
    def checked(self) -> bool:
        """Whether the rule engine marks each community against this rule."""
        return KINDS[self.kind].checked

    @property
    def citation(self) -> str:
        """``"KEY clause"``, e.g. ``"QH-2017 §3"``."""
        return f"{self.source} {self.clause}".strip()


@dataclass(frozen=True)
class Profile:
    """A loaded, validated, read-only policy profile. Build it with :func:`load_profile`.

    Attributes
    ----------
    name, title, title_en : str
        Identity (``title`` in Chinese).
    extends : str or None
        The profile it builds on.
    sources : Mapping[str, Source]
    rules : Mapping[str, Rule]
        In file order (inherited rules first).
    settings : Mapping[str, Mapping]
        Read-only sections other layers read: ``network`` (walk filter), ``buildings``,
        ``households``, ``shelter`` (with ``radius_m`` and ``area_per_person_m2`` per shelter class,
        taken from the ``shelter.*`` rules), ``walk`` (from the ``walk.*`` rules), ``kinds``,
        ``facility_types``, ``osm_facilities``, ``service_areas``, ``accessibility``, ``report``.
    paths : tuple of str
        The files it came from, base first.
    overrides : Mapping
        The overrides applied on top of the files (for ``run.json``).
    """

    name: str
    title: str
    title_en: str
    extends: str | None
    sources: Mapping[str, Source]
    rules: Mapping[str, Rule]
    settings: Mapping[str, Any]
    paths: tuple[str, ...]
    overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    @property
    def path(self) -> str:
        """The file this profile was loaded from (the last of :attr:`paths`)."""
        return self.paths[-1]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; InputError naming the close matches when there is none."""
        try:
            return self.rules[rule_id]
        except KeyError:
            raise InputError(f"profile `{self.name}` has no rule `{rule_id}`: "
                             f"{did_you_mean(rule_id, self.rules)}") from None

    def checked_rules(self) -> list[Rule]:
        """The rules the engine marks communities against (not the reference values)."""
        return [r for r in self.rules.values() if r.checked]

    def circle_rules(self) -> list[Rule]:
        """Rules of kind ``circle``: params ``facility_type``, ``minutes``, ``elderly``,
        ``target_share``, ``radius_m`` and optionally ``applies_to``, ``tiers``."""
        return [r for r in self.rules.values() if r.kind == "circle"]

    def circle_radius_m(self, rule: Rule | str) -> float:
        """The walking distance (m) of a circle rule: its shelter-class radius, or its minutes
        converted with :meth:`walk_distance_m` (elderly speed when the rule says so)."""
        rule = self.rule(rule) if isinstance(rule, str) else rule
        return float(rule.params["radius_m"])

    def walk_distance_m(self, minutes: float, *, elderly: bool = False) -> float:
        """Walking distance in metres of an ``minutes``-minute walk.

        The table of rule ``walk.speed`` (GB 50180: 5 min = 300 m, 10 min = 500 m, 15 min = 1,000 m)
        is interpolated linearly from (0, 0) through its points, and beyond its last point extended
        at ``speed_m_per_min`` (so 30 min = 1,000 m + 15 × 66.7 m ≈ 2,000 m). Interpolating (rather
        than minutes × speed between points) keeps the distance increasing with the minutes, which
        a table whose points imply different speeds would otherwise break. ``elderly=True``
        multiplies by ``walk.elderly``'s ``speed_factor`` (a default to verify).

        Raises
        ------
        ValueError
            For negative or non-finite minutes.
        """
        minutes = float(minutes)
        if not math.isfinite(minutes) or minutes < 0:
            raise ValueError(f"minutes must be a finite number >= 0, got {minutes}")
        walk = self.settings["walk"]
        xs = [0.0, *walk["minutes"]]
        ys = [0.0, *walk["distance_m"]]
        if minutes <= xs[-1]:
            dist = float(np.interp(minutes, xs, ys))
        else:
            dist = ys[-1] + (minutes - xs[-1]) * float(walk["speed_m_per_min"])
        if elderly:
            dist *= float(walk["elderly_speed_factor"])
        return dist

    def type_name(self, facility_type: str, language: str = "zh") -> str:
        """A facility type's name in ``language`` from the profile's ``[facility_types]`` table (the
        type's key when the table does not name it)."""
        entry = self.settings.get("facility_types", {}).get(facility_type)
        if isinstance(entry, Mapping) and isinstance(entry.get(language), str):
            return str(entry[language])
        return facility_type

    def walk_minutes(self, distance_m: float, *, elderly: bool = False) -> float:
        """The inverse of :meth:`walk_distance_m`: minutes to walk ``distance_m`` metres."""
        dist = float(distance_m)
        if not math.isfinite(dist) or dist < 0:
            raise ValueError(f"distance_m must be a finite number >= 0, got {dist}")
        walk = self.settings["walk"]
        if elderly:
            dist /= float(walk["elderly_speed_factor"])
        xs = [0.0, *walk["minutes"]]
        ys = [0.0, *walk["distance_m"]]
        if dist <= ys[-1]:
            return float(np.interp(dist, ys, xs))
        return xs[-1] + (dist - ys[-1]) / float(walk["speed_m_per_min"])

    def needs_verification(self, rule_id: str) -> bool:
        """True when the rule, or a default it depends on (elderly speed, shelter radius), is
        marked ``verify``: a report must say its threshold is a default to check."""
        rule = self.rule(rule_id)
        if rule.verify:
            return True
        if rule.kind == "circle":
            if rule.params.get("elderly") and self.rules["walk.elderly"].verify:
                return True
            ref = rule.params.get("radius_rule")
            if ref and self.rules[ref].verify:
                return True
        return False

    def threshold_text(self, rule_id: str, language: str = "zh") -> str:
        """The threshold in words with its citation, e.g. ``"≥ 30 m²/100户 (XC-2023 专栏1)"``."""
        from siting.policy.text import threshold_text

        return threshold_text(self, self.rule(rule_id), language=language)

    def osm_facility_types(self, tags: Mapping[str, Any]) -> list[str]:
        """The facility types an OSM feature with these tags counts as (``[[osm_facilities]]``).

        A row matches when any of its ``tags`` matches (``"*"`` = any value), all of its ``require``
        match and none of its ``exclude`` does. Values may be ``"a;b"`` lists. Types come in row
        order, without repeats (a park can be both a shelter and, in a profile that says so, fitness).
        """
        found: list[str] = []
        for row in self.settings["osm_facilities"]:
            if row["type"] in found:
                continue
            if not any(_tag_matches(tags, k, v) for k, v in row["tags"].items()):
                continue
            if not all(_tag_matches(tags, k, v) for k, v in row.get("require", {}).items()):
                continue
            if any(_tag_matches(tags, k, v) for k, v in row.get("exclude", {}).items()):
                continue
            found.append(row["type"])
        return found

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``run.json``: identity, files, overrides, every rule and setting."""
        return {
            "name": self.name,
            "title": self.title,
            "title_en": self.title_en,
            "extends": self.extends,
            "paths": list(self.paths),
            "overrides": thaw(self.overrides),
            "sources": {k: {"title": s.title, "year": s.year} for k, s in self.sources.items()},
            "rules": {
                r.id: {"kind": r.kind, "unit": r.unit, "source": r.source, "clause": r.clause,
                       "verify": r.verify, "title_zh": r.title_zh, "title_en": r.title_en,
                       **thaw(r.params)}
                for r in self.rules.values()
            },
            "settings": thaw(self.settings),
        }


def _tag_matches(tags: Mapping[str, Any], key: str, wanted: Any) -> bool:
    value = tags.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    values = {part.strip() for part in str(value).split(";") if part.strip()}
    if not values or values <= {"no"}:
        return False
    return "*" in wanted or bool(values & set(wanted))


def available_profiles() -> list[str]:
    """Names of the profiles shipped with the package (``national``, ``xuchang-2023``...)."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def load_profile(
    name_or_path: str | Path = "national",
    *,
    overrides: Mapping[str, Any] | None = None,
    overrides_source: str = "configuration [policy_overrides]",
) -> Profile:
    """Load a policy profile, apply its ``extends`` chain and a run's overrides, and check it all.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped profile (see :func:`available_profiles`) or the path of a TOML profile file.
    overrides : mapping, optional
        Numbers to override, nested as in the file: ``{"rules": {"size.urban": {"max_households":
        2500}}, "walk": {"speed_m_per_min": 70}, "households": {"residents_per_household": 2.8}}``.
        Overrides may change numbers only: unknown rule ids and keys are refused.
    overrides_source : str
        Where the overrides came from, for messages.

    Returns
    -------
    Profile

    Raises
    ------
    siting.errors.InputError
        Every problem of every file and of the overrides, each naming the file (or configuration
        key), the key, and the fix: unknown keys and rule ids (with the nearest valid name), wrong
        types, numbers written with units (``"2 km"`` → ``2000``), percentages given for shares.
    """
    chain = _read_chain(name_or_path, [])
    problems = Problems()
    merged: dict[str, Any] = {}
    for path, raw in chain:
        raw = normalise_walk(raw, source=str(path), problems=problems)
        check_layer(raw, merged, source=str(path), from_file=True, problems=problems)
        merged = _merge(merged, raw)
    if overrides:
        if not isinstance(overrides, Mapping):
            raise InputError(f"`{overrides_source}`: overrides must be a table, got "
                             f"{type(overrides).__name__}")
        normal = normalise_walk(overrides, source=overrides_source, problems=problems)
        check_layer(normal, merged, source=overrides_source, from_file=False, problems=problems)
        if not problems:
            merged = _merge(merged, normal)
    problems.raise_if_any()
    check_complete(merged, source=str(chain[-1][0]), problems=problems)
    problems.raise_if_any()
    profile = _build(merged, chain, overrides or {})
    log.debug("loaded profile %s from %s (%d rules)", profile.name, profile.path, len(profile.rules))
    return profile


def _resolve(name_or_path: str | Path, *, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(name_or_path)
        if not path.is_absolute() and relative_to is not None and (relative_to / path).exists():
            path = relative_to / path
        if not path.is_file():
            raise InputError(f"`{path}`: no such profile file. Fix: give the path of a TOML profile, "
                             f"or one of the shipped profiles {available_profiles()}")
        return path
    path = PROFILE_DIR / f"{text}.toml"
    if not path.is_file():
        raise InputError(f"no shipped profile named `{text}`: "
                         f"{did_you_mean(text, available_profiles())} "
                         "(or give the path of your own .toml profile)")
    return path


def _read_chain(name_or_path: str | Path, seen: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    path = _resolve(name_or_path, relative_to=seen[-1].parent if seen else None)
    if path.resolve() in seen:
        cycle = " → ".join(str(p) for p in [*seen, path.resolve()])
        raise InputError(f"`{path}`: profiles extend each other in a circle ({cycle}). "
                         "Fix: remove one `extends`")
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"`{path}`: not valid TOML ({exc}). Fix: correct the syntax there") from None
    section = raw.get("profile", {})
    parent = section.get("extends") if isinstance(section, Mapping) else None
    here = [(path, raw)]
    if parent:
        return _read_chain(parent, [*seen, path.resolve()]) + here
    return here


def _merge(base: Mapping[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, everything else (lists included) is replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in layer.items():
        if key == "profile":
            out[key] = copy.deepcopy(dict(value))  # identity is the last file's, never inherited
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def freeze(value: Any) -> Any:
    """Read-only copy: dicts → MappingProxyType, lists → tuples (recursively)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain, JSON-ready copy of a frozen value."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def _build(merged: dict[str, Any], chain: list[tuple[Path, dict[str, Any]]],
           overrides: Mapping[str, Any]) -> Profile:
    meta = merged.get("profile", {})
    path = chain[-1][0]
    rules_raw: dict[str, dict[str, Any]] = merged["rules"]
    walk = rules_raw["walk.speed"]
    elderly = rules_raw.get("walk.elderly", {}).get("speed_factor", 1.0)
    settings = {k: v for k, v in merged.items() if k not in {"profile", "sources", "rules"}}
    settings["walk"] = {"minutes": walk["minutes"], "distance_m": walk["distance_m"],
                        "speed_m_per_min": walk["speed_m_per_min"], "elderly_speed_factor": elderly,
                        "source": walk["source"]}
    radius: dict[str, float] = {}
    area: dict[str, float] = {}
    for rule_id, rule in rules_raw.items():
        if rule["kind"] != "shelter_class":
            continue
        for store, key in ((radius, "radius_m"), (area, "area_per_person_m2")):
            value = rule[key]  # one number: the class is named by the rule id's last part
            store.update(value if isinstance(value, Mapping) else {rule_id.split(".")[-1]: value})
    settings["shelter"] = {**settings.get("shelter", {}), "radius_m": radius,
                           "area_per_person_m2": area}
    sources = {k: Source(key=k, title=v["title"], year=v.get("year"), url=v.get("url"),
                         note=v.get("note")) for k, v in merged.get("sources", {}).items()}
    partial = Profile(name="", title="", title_en="", extends=None, sources={}, rules={},
                      settings=freeze(settings), paths=())
    rules: dict[str, Rule] = {}
    for rule_id, table in rules_raw.items():
        kind = table["kind"]
        params = {k: v for k, v in table.items() if k in KINDS[kind].params}
        if kind == "circle":
            params.setdefault("elderly", False)
            if "radius_rule" in params:
                params["radius_m"] = float(rules_raw[params["radius_rule"]]["radius_m"])
                params["minutes"] = partial.walk_minutes(params["radius_m"])
            else:
                params["radius_m"] = partial.walk_distance_m(params["minutes"],
                                                             elderly=params["elderly"])
        rules[rule_id] = Rule(
            id=rule_id, kind=kind, params=freeze(params), unit=table.get("unit", KINDS[kind].units[0]),
            source=table["source"], clause=table.get("clause", ""), verify=table.get("verify", False),
            title_zh=table["title_zh"], title_en=table["title_en"], note=table.get("note", ""),
            see_also=tuple(table.get("see_also", ())),
        )
    return Profile(
        name=meta.get("name", path.stem),
        title=meta.get("title", meta.get("name", path.stem)),
        title_en=meta.get("title_en", meta.get("title", path.stem)),
        extends=meta.get("extends"),
        description=meta.get("description", ""),
        sources=MappingProxyType(sources),
        rules=MappingProxyType(rules),
        settings=freeze(settings),
        paths=tuple(str(p) for p, _ in chain),
        overrides=freeze(dict(overrides)),
    )
