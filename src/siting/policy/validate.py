"""Checks of profile files and overrides against :mod:`siting.policy.schema`.

Written by hand (see :mod:`siting.policy.schema` for why): each layer of a profile (a TOML file, or a
run's overrides) is checked on its own, so that a problem is reported against the file or the
configuration key it came from; the merged profile is then checked for completeness and for
references between its parts (sources, facility types, rules). Every problem is collected into one
:class:`siting.errors.Problems` and raised together.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from siting.errors import Problems
from siting.policy.schema import (
    KINDS,
    META_SPEC,
    OSM_ROW_KEYS,
    REQUIRED_SETTINGS,
    RULE_META,
    SETTINGS,
    WALK_ALIASES,
    check_value,
)

_FILE_TOP = {"profile", "sources", "rules", "walk", *SETTINGS}
_OVERRIDE_TOP = {"rules", "walk", *(k for k, v in SETTINGS.items() if v is not None)}
_PROFILE_KEYS = {"name", "title", "title_en", "extends", "description"}
_SOURCE_KEYS = {"title", "year", "url", "note"}


def did_you_mean(word: str, choices: Any) -> str:
    """``did you mean `x`?`` text for a misspelt key, or a list of the valid keys."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return f"use one of {choices}"


def normalise_walk(raw: Mapping[str, Any], *, source: str, problems: Problems) -> dict[str, Any]:
    """Move ``[walk]`` keys onto the rules that hold them (``walk.speed``, ``walk.elderly``)."""
    out = dict(raw)
    walk = out.pop("walk", None)
    if walk is None:
        return out
    if not isinstance(walk, Mapping):
        problems.add("`walk` must be a table", column="walk", source=source,
                     fix=f"use keys {sorted(WALK_ALIASES)}")
        return out
    rules = {k: dict(v) if isinstance(v, Mapping) else v for k, v in (out.get("rules") or {}).items()}
    for key, value in walk.items():
        if key not in WALK_ALIASES:
            problems.add(f"unknown key `walk.{key}`", column=f"walk.{key}", source=source,
                         fix=did_you_mean(key, WALK_ALIASES))
            continue
        rule_id, param = WALK_ALIASES[key]
        rules.setdefault(rule_id, {})[param] = value
    out["rules"] = rules
    return out


def check_layer(
    raw: Mapping[str, Any],
    base: Mapping[str, Any],
    *,
    source: str,
    from_file: bool,
    problems: Problems,
) -> None:
    """Check one layer (a profile file, or overrides) against the profile built so far (``base``)."""
    allowed = _FILE_TOP if from_file else _OVERRIDE_TOP
    prefix = "" if from_file else "overrides."
    for key in raw:
        if key not in allowed:
            fix = did_you_mean(key, allowed)
            if not from_file and key in {"profile", "sources", "osm_facilities", "facility_types"}:
                fix = ("choose another profile with [plan] policy, or write your own profile file "
                       'that has extends = "national"')
            problems.add(f"unknown key `{prefix}{key}`", column=f"{prefix}{key}", source=source,
                         fix=fix)
    kinds = _kind_names(base, raw)
    if from_file:
        _check_profile_section(raw.get("profile", {}), source=source, problems=problems)
        _check_sources(raw.get("sources", {}), source=source, problems=problems)
    rules = raw.get("rules", {})
    if not isinstance(rules, Mapping):
        problems.add("`rules` must be a table of rule tables", column="rules", source=source,
                     fix='write [rules."size.urban"] tables')
        rules = {}
    base_rules = base.get("rules", {})
    for rule_id, table in rules.items():
        _check_rule(rule_id, table, base_rules.get(rule_id), known=base_rules, source=source,
                    from_file=from_file, kinds=kinds, prefix=prefix, problems=problems)
    for section, spec in SETTINGS.items():
        if section not in raw:
            continue
        value = raw[section]
        col = f"{prefix}{section}"
        if section == "facility_types":
            _check_facility_types(value, source=source, problems=problems)
        elif section == "osm_facilities":
            _check_osm_rows(value, source=source, problems=problems)
        elif not isinstance(value, Mapping):
            problems.add(f"`{col}` must be a table", column=col, source=source,
                         fix=f"write [{section}] with keys {sorted(spec or {})}")
        else:
            assert spec is not None
            for key, item in value.items():
                if key not in spec:
                    fix = did_you_mean(key, spec)
                    if section == "shelter" and key in {"radius_m", "area_per_person_m2"}:
                        fix = (f'set it on the shelter rules: rules."shelter.emergency".{key} or '
                               f'rules."shelter.fixed".{key} (the [shelter] values are read from them)')
                    problems.add(f"unknown key `{col}.{key}`", column=f"{col}.{key}", source=source,
                                 fix=fix)
                    continue
                bad = check_value(spec[key], item, key=key, kinds=kinds)
                if bad:
                    problems.add(f"`{col}.{key}` {bad[0]}", column=f"{col}.{key}", source=source,
                                 fix=bad[1])


def _kind_names(base: Mapping[str, Any], raw: Mapping[str, Any]) -> tuple[str, ...]:
    for layer in (raw, base):
        names = (layer.get("kinds") or {}).get("names") if isinstance(layer.get("kinds"), Mapping) \
            else None
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            return tuple(names)
    return ("urban", "town", "rural")


def _check_profile_section(section: Any, *, source: str, problems: Problems) -> None:
    if not isinstance(section, Mapping):
        problems.add("`profile` must be a table", column="profile", source=source,
                     fix='write [profile] with name = "...", title = "..."')
        return
    for key, value in section.items():
        if key not in _PROFILE_KEYS:
            problems.add(f"unknown key `profile.{key}`", column=f"profile.{key}", source=source,
                         fix=did_you_mean(key, _PROFILE_KEYS))
        elif not isinstance(value, str):
            problems.add(f"`profile.{key}` must be a string", column=f"profile.{key}",
                         source=source, fix=f'write {key} = "..."')


def _check_sources(sources: Any, *, source: str, problems: Problems) -> None:
    if not isinstance(sources, Mapping):
        problems.add("`sources` must be a table of source tables", column="sources", source=source,
                     fix='write [sources.KEY] title = "...", year = 2017')
        return
    for key, table in sources.items():
        col = f"sources.{key}"
        if not isinstance(table, Mapping):
            problems.add(f"`{col}` must be a table", column=col, source=source,
                         fix='write title = "..." and year = 2017 under it')
            continue
        for name, value in table.items():
            if name not in _SOURCE_KEYS:
                problems.add(f"unknown key `{col}.{name}`", column=f"{col}.{name}", source=source,
                             fix=did_you_mean(name, _SOURCE_KEYS))
            elif name == "year":
                bad = check_value("int", value, key="year", kinds=())
                if bad:
                    problems.add(f"`{col}.year` {bad[0]}", column=f"{col}.year", source=source,
                                 fix=bad[1])
            elif not isinstance(value, str):
                problems.add(f"`{col}.{name}` must be a string", column=f"{col}.{name}",
                             source=source, fix=f'write {name} = "..."')


def _check_rule(
    rule_id: str,
    table: Any,
    base_rule: Mapping[str, Any] | None,
    *,
    known: Mapping[str, Any],
    source: str,
    from_file: bool,
    kinds: tuple[str, ...],
    prefix: str,
    problems: Problems,
) -> None:
    col = f"{prefix}rules.{rule_id}"
    if not isinstance(table, Mapping):
        problems.add(f"`{col}` must be a table of the rule's numbers, got {table!r}", column=col,
                     source=source, fix=f'write {{"{rule_id}": {{"<parameter>": <value>}}}}')
        return
    if base_rule is None and not from_file:
        problems.add(f"unknown rule id `{rule_id}`: the profile has no such rule", column=col,
                     source=source, fix=did_you_mean(rule_id, known))
        return
    kind = table.get("kind", (base_rule or {}).get("kind"))
    if base_rule is not None and "kind" in table and table["kind"] != base_rule.get("kind"):
        problems.add(f"`{col}.kind` cannot change a rule's kind ({base_rule.get('kind')!r} → "
                     f"{table['kind']!r})", column=f"{col}.kind", source=source,
                     fix="give the new rule its own id")
        return
    if kind is None:
        problems.add(f"`{col}` is a new rule without `kind`", column=f"{col}.kind", source=source,
                     fix=f"add kind = one of {sorted(KINDS)}")
        return
    if kind not in KINDS:
        problems.add(f"`{col}.kind` = {kind!r} is not a rule kind", column=f"{col}.kind",
                     source=source, fix=did_you_mean(kind, KINDS))
        return
    spec = KINDS[kind]
    for key, value in table.items():
        if key in RULE_META:
            bad = check_value(META_SPEC[key], value, key=key, kinds=kinds)
            if not bad and key == "unit" and value not in spec.units:
                bad = (f"= {value!r} is not a unit of a `{kind}` rule",
                       (f"write unit = {spec.units[0]!r} (allowed: {list(spec.units)}); numbers "
                        "are written in the unit their parameter name says (_m metres, _m2 m², "
                        "share 0-1)"))
        elif key in spec.params:
            bad = check_value(spec.params[key][0], value, key=key, kinds=kinds)
        else:
            problems.add(f"unknown key `{col}.{key}` for a `{kind}` rule", column=f"{col}.{key}",
                         source=source, fix=did_you_mean(key, [*RULE_META, *spec.params]))
            continue
        if bad:
            problems.add(f"`{col}.{key}` {bad[0]}", column=f"{col}.{key}", source=source, fix=bad[1])


def _check_facility_types(value: Any, *, source: str, problems: Problems) -> None:
    if not isinstance(value, Mapping):
        problems.add("`facility_types` must be a table of types", column="facility_types",
                     source=source, fix='write [facility_types.eldercare] zh = "养老服务设施", en = "..."')
        return
    for name, label in value.items():
        col = f"facility_types.{name}"
        if not isinstance(label, Mapping) or set(label) - {"zh", "en", "note"} or not all(
            isinstance(v, str) for v in label.values()
        ):
            problems.add(f"`{col}` must be a table with zh and en labels", column=col,
                         source=source, fix=f'write [{col}] zh = "...", en = "..."')


def _check_osm_rows(value: Any, *, source: str, problems: Problems) -> None:
    if not isinstance(value, list):
        problems.add("`osm_facilities` must be an array of tables", column="osm_facilities",
                     source=source, fix='write [[osm_facilities]] type = "...", tags = {...}')
        return
    for i, row in enumerate(value):
        col = f"osm_facilities[{i}]"
        if not isinstance(row, Mapping):
            problems.add(f"`{col}` must be a table", column=col, source=source,
                         fix='write type = "...", tags = {amenity = ["..."]}')
            continue
        for key in row:
            if key not in OSM_ROW_KEYS:
                problems.add(f"unknown key `{col}.{key}`", column=f"{col}.{key}", source=source,
                             fix=did_you_mean(key, OSM_ROW_KEYS))
        if not isinstance(row.get("type"), str):
            problems.add(f"`{col}.type` is missing or not a string", column=f"{col}.type",
                         source=source, fix='write type = "eldercare" (a key of [facility_types])')
        for key in ("tags", "require", "exclude"):
            if key not in row:
                if key == "tags":
                    problems.add(f"`{col}.tags` is missing", column=f"{col}.tags", source=source,
                                 fix='write tags = {amenity = ["..."]} ("*" = any value)')
                continue
            bad = check_value("map_strs", row[key], key=key, kinds=())
            if bad:
                problems.add(f"`{col}.{key}` {bad[0]}", column=f"{col}.{key}", source=source,
                             fix=bad[1])


def check_complete(merged: Mapping[str, Any], *, source: str, problems: Problems) -> None:
    """Check the merged profile: every section and parameter present, every reference resolved."""
    for section in REQUIRED_SETTINGS:
        if section not in merged:
            problems.add(f"the profile has no [{section}] section", column=section, source=source,
                         fix='add it, or write extends = "national" under [profile]')
    kinds = tuple((merged.get("kinds") or {}).get("names") or ())
    for name, target in ((merged.get("kinds") or {}).get("fallback") or {}).items():
        if name not in kinds or target not in kinds:
            problems.add(f"`kinds.fallback.{name}` = {target!r} names an unknown kind",
                         column=f"kinds.fallback.{name}", source=source, fix=f"use only {list(kinds)}")
    sources = merged.get("sources") or {}
    for key, table in sources.items():
        if isinstance(table, Mapping) and "title" not in table:
            problems.add(f"source `{key}` has no title", column=f"sources.{key}.title",
                         source=source, fix='write title = "《...》"')
    types = set(merged.get("facility_types") or {})
    rules = merged.get("rules") or {}
    for rule_id, table in rules.items():
        _check_rule_complete(rule_id, table, rules=rules, sources=sources, types=types,
                             source=source, problems=problems)
    if "walk.speed" not in rules or rules["walk.speed"].get("kind") != "walk":
        problems.add("the profile has no `walk.speed` rule (minutes → metres)",
                     column="rules.walk.speed", source=source, fix='write extends = "national"')
    else:
        walk = rules["walk.speed"]
        minutes, dist = walk.get("minutes") or [], walk.get("distance_m") or []
        if len(minutes) != len(dist) or any(b <= a for a, b in pairwise(minutes)) or any(
            b <= a for a, b in pairwise(dist)
        ):
            problems.add("`rules.walk.speed`: minutes and distance_m must be lists of the same "
                         "length, both strictly increasing", column="rules.walk.speed",
                         source=source, fix="e.g. minutes = [5, 10, 15], distance_m = [300, 500, 1000]")
    elderly = any(t.get("kind") == "circle" and t.get("elderly") for t in rules.values())
    if elderly and rules.get("walk.elderly", {}).get("kind") != "walk_elderly":
        problems.add("a circle rule uses the elderly walking speed but the profile has no "
                     "`walk.elderly` rule", column="rules.walk.elderly", source=source,
                     fix="add [rules.\"walk.elderly\"] kind = \"walk_elderly\", speed_factor = 0.75")
    for i, row in enumerate(merged.get("osm_facilities") or []):
        if isinstance(row, Mapping) and isinstance(row.get("type"), str) and row["type"] not in types:
            problems.add(f"`osm_facilities[{i}].type` = {row['type']!r} is not a facility type",
                         column=f"osm_facilities[{i}].type", source=source,
                         fix=did_you_mean(row["type"], types))
    for section, spec in SETTINGS.items():
        table = merged.get(section)
        if not isinstance(table, Mapping) or spec is None:
            continue
        if "source" in table and table["source"] not in sources:
            problems.add(f"`{section}.source` = {table['source']!r} is not in [sources]",
                         column=f"{section}.source", source=source,
                         fix=did_you_mean(table["source"], sources))
        for key in table.get("verify", []) or []:
            if key not in table:
                problems.add(f"`{section}.verify` lists `{key}`, which the section does not have",
                             column=f"{section}.verify", source=source,
                             fix=did_you_mean(key, set(table) - {"verify"}))


def _check_rule_complete(
    rule_id: str,
    table: Mapping[str, Any],
    *,
    rules: Mapping[str, Any],
    sources: Mapping[str, Any],
    types: set[str],
    source: str,
    problems: Problems,
) -> None:
    col = f"rules.{rule_id}"
    kind = KINDS.get(table.get("kind", ""))
    if kind is None:
        return  # already reported by check_layer
    for meta in ("title_zh", "title_en", "source"):
        if meta not in table:
            problems.add(f"`{col}` has no `{meta}`", column=f"{col}.{meta}", source=source,
                         fix=f'write {meta} = "..."')
    for name, (spec, required) in kind.params.items():
        if required and name not in table:
            problems.add(f"`{col}` has no `{name}`", column=f"{col}.{name}", source=source,
                         fix=f"write {name} = <{spec}>")
    if kind.one_of and sum(all(k in table for k in group) for group in kind.one_of) != 1:
        groups = " or ".join("+".join(g) for g in kind.one_of)
        problems.add(f"`{col}` needs exactly one of {groups}", column=col, source=source,
                     fix=f"keep one of {groups}")
    cited = [table.get("source")] + [str(s).split()[0] for s in table.get("see_also", []) if s]
    for key in cited:
        if key is not None and key not in sources:
            problems.add(f"`{col}` cites the source `{key}`, which is not in [sources]",
                         column=f"{col}.source", source=source, fix=did_you_mean(key, sources))
    for name in ("facility_type",):
        if name in table and table[name] not in types:
            problems.add(f"`{col}.{name}` = {table[name]!r} is not a facility type",
                         column=f"{col}.{name}", source=source, fix=did_you_mean(table[name], types))
    for name in table.get("facility_types", []) or []:
        if name not in types:
            problems.add(f"`{col}.facility_types` names the unknown type {name!r}",
                         column=f"{col}.facility_types", source=source, fix=did_you_mean(name, types))
    ref = table.get("radius_rule")
    if ref is not None and (ref not in rules or rules[ref].get("kind") != "shelter_class"
                            or isinstance(rules[ref].get("radius_m"), Mapping)):
        problems.add(f"`{col}.radius_rule` = {ref!r} must name a shelter_class rule with one "
                     "radius_m", column=f"{col}.radius_rule", source=source,
                     fix='e.g. radius_rule = "shelter.emergency"')
    if table.get("kind") == "staff" and "unit" in table and "per_residents" in table:
        expected = f"persons per {int(table['per_residents'])} residents"
        if table["unit"] != expected:
            problems.add(f"`{col}.unit` = {table['unit']!r} does not match per_residents = "
                         f"{table['per_residents']}", column=f"{col}.unit", source=source,
                         fix=f"write unit = {expected!r}")
