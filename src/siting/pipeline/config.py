"""A plan's configuration: the TOML file of ``siting plan``, validated before any work starts.

The configuration refuses unknown keys (a typo such as ``new_site = 5`` would otherwise be silently
ignored and the planner would not know why no site was placed) and gathers every problem of the file
into one :class:`~siting.errors.InputError`. Relative paths are resolved against the configuration
file's folder, so a configuration and its data can be moved together.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siting.errors import InputError, Problem, Problems

COORDS = ("wgs84", "gcj02", "bd09")
LANGUAGES = ("zh", "en")

_PLAN_KEYS = {"name", "policy", "out", "language", "seed", "synthetic", "description"}
_INPUT_KEYS = {
    "network",
    "network_online",
    "communities",
    "households",
    "buildings",
    "population",
    "facilities",
    "candidates",
    "coords",
    "crs",
}
_SITING_KEYS = {
    "new_sites",
    "minutes",
    "radius_m",
    "elderly",
    "weight",
    "candidates",
    "candidate_spacing_m",
    "time_limit_s",
    "shelter_class",
    "tier_minutes",
}
_ANALYSIS_KEYS = {
    "service_area_minutes",
    "service_area_buffer_m",
    "service_area_types",
    "service_area_merge",
    "service_area_mode",
    "max_access_m",
    "fca_types",
    "network_pieces",
}
_SPLIT_KEYS = {"enabled", "time_limit_s", "max_extra_parts"}
_TOP_KEYS = {"plan", "inputs", "siting", "policy_overrides", "analysis", "batch", "split"}
_BATCH_KEYS = {"by", "districts"}


@dataclass(frozen=True)
class SitingRequest:
    """What to place for one facility type (``[siting.<type>]``).

    Attributes
    ----------
    type : str
        The facility type, e.g. ``"eldercare"``.
    new_sites : int or "min"
        How many new sites to place, or ``"min"`` for the fewest that meet the type's circle rule.
    minutes, radius_m : float, optional
        Override the circle from the profile (``radius_m`` wins over ``minutes``).
    elderly : bool, optional
        Use the elderly walking speed (default: as the profile's circle rule says).
    weight : str, optional
        Household column to weight demand by (``households``, ``residents``, ``elderly``).
    candidate_spacing_m : float
        Grid spacing for generated candidates when no candidates file is given.
    time_limit_s : float
        Solver time limit.
    """

    type: str
    new_sites: int | str
    minutes: float | None = None
    radius_m: float | None = None
    elderly: bool | None = None
    weight: str | None = None
    candidate_spacing_m: float = 150.0
    time_limit_s: float = 60.0
    shelter_class: str | None = None
    tier_minutes: float | None = None


@dataclass(frozen=True)
class PlanConfig:
    """A validated plan configuration. Build it with :func:`load_config`."""

    name: str
    policy: str = "national"
    out: Path | None = None
    language: str = "zh"
    seed: int = 0
    synthetic: bool = False
    network: Path | str | None = None
    network_online: bool = False
    communities: Path | None = None
    households: Path | None = None
    buildings: Path | None = None
    population: Path | None = None
    facilities: Path | None = None
    candidates: Path | None = None
    coords: str = "wgs84"
    crs: str | None = None
    policy_overrides: Mapping[str, Any] = field(default_factory=dict)
    siting: tuple[SitingRequest, ...] = ()
    analysis: Mapping[str, Any] = field(default_factory=dict)
    batch_by: str | None = None
    districts: tuple[str, ...] | None = None
    split: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def input_paths(self) -> dict[str, Path]:
        """The input files named by this configuration (for the manifest)."""
        names = ("network", "communities", "households", "buildings", "population", "facilities",
                 "candidates")
        return {n: getattr(self, n) for n in names if isinstance(getattr(self, n), Path)}


def _resolve(value: Any, base: Path) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else (base / path)


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str, problems: Problems) -> None:
    for key in table:
        if key not in allowed:
            problems.add(
                f"unknown key `{key}` in [{where}]",
                column=key,
                fix=f"use one of: {', '.join(sorted(allowed))}",
            )


def _check_split(split: Mapping[str, Any], problems: Problems) -> None:
    """``[split]``: ``enabled`` (bool, default true), ``time_limit_s`` (seconds per community, > 0),
    ``max_extra_parts`` (whole number ≥ 0: parts tried beyond the fewest the household band allows)."""
    if "enabled" in split and not isinstance(split["enabled"], bool):
        problems.add(f"enabled = {split['enabled']!r} is not true or false", column="split.enabled",
                     fix="write enabled = true or enabled = false")
    limit = split.get("time_limit_s", 60.0)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        problems.add(f"time_limit_s = {limit!r} is not a number of seconds > 0",
                     column="split.time_limit_s", fix="write e.g. time_limit_s = 60")
    extra = split.get("max_extra_parts", 3)
    if isinstance(extra, bool) or not isinstance(extra, int) or extra < 0:
        problems.add(f"max_extra_parts = {extra!r} is not a whole number ≥ 0",
                     column="split.max_extra_parts", fix="write e.g. max_extra_parts = 3")


def config_from_mapping(
    data: Mapping[str, Any], *, base: Path | None = None, source: str | None = None
) -> PlanConfig:
    """Validate a configuration given as a nested mapping (the parsed TOML).

    Parameters
    ----------
    data : mapping
        Tables ``plan``, ``inputs``, ``siting``, ``analysis``, ``policy_overrides``, ``batch``,
        ``split``.
    base : pathlib.Path, optional
        Folder that relative paths are resolved against (the configuration file's folder).
    source : str, optional
        Name of the file, used in messages.

    Returns
    -------
    PlanConfig

    Raises
    ------
    siting.errors.InputError
        With every problem found.
    """
    base = Path(base or ".")
    problems = Problems(source=source or "configuration")
    _check_keys(data, _TOP_KEYS, "top level", problems)
    plan = dict(data.get("plan", {}))
    inputs = dict(data.get("inputs", {}))
    _check_keys(plan, _PLAN_KEYS, "plan", problems)
    _check_keys(inputs, _INPUT_KEYS, "inputs", problems)
    analysis = dict(data.get("analysis", {}))
    _check_keys(analysis, _ANALYSIS_KEYS, "analysis", problems)
    batch = dict(data.get("batch", {}))
    _check_keys(batch, _BATCH_KEYS, "batch", problems)
    split = dict(data.get("split", {}))
    _check_keys(split, _SPLIT_KEYS, "split", problems)
    _check_split(split, problems)

    if analysis.get("network_pieces", "main") not in ("main", "all"):
        problems.add(f"network_pieces = {analysis['network_pieces']!r} is not known",
                     column="analysis.network_pieces",
                     fix='use "main" (the largest connected piece) or "all"')
    for key, allowed in (("service_area_mode", ("disks", "rings")),
                         ("service_area_merge", ("overlap", "dissolve", "split"))):
        if key in analysis and analysis[key] not in allowed:
            problems.add(f"{key} = {analysis[key]!r} is not known", column=f"analysis.{key}",
                         fix=f"use one of {', '.join(allowed)}")
    name = plan.get("name")
    if not name:
        problems.add("the plan has no name", column="plan.name", fix='add name = "…" under [plan]')
    language = plan.get("language", "zh")
    if language not in LANGUAGES:
        problems.add(f"language `{language}` is not supported", column="plan.language",
                     fix='use "zh" or "en"')
    coords = str(inputs.get("coords", "wgs84")).lower()
    if coords not in COORDS:
        problems.add(f"coords `{coords}` is not known", column="inputs.coords",
                     fix='use "wgs84", "gcj02" (高德/腾讯) or "bd09" (百度)')

    paths: dict[str, Path | None] = {}
    for key in ("communities", "households", "buildings", "population", "facilities", "candidates"):
        value = inputs.get(key)
        paths[key] = None if value in (None, "") else _resolve(value, base)
        if paths[key] is not None and not paths[key].exists():  # type: ignore[union-attr]
            problems.add(f"file not found: {paths[key]}", column=f"inputs.{key}",
                         fix="check the path (relative paths are read from the configuration's folder)")
    online = bool(inputs.get("network_online", False))
    network: Path | str | None = inputs.get("network")
    if network in (None, ""):
        problems.add("no walking network given", column="inputs.network",
                     fix="set network = a .osm / .osm.pbf / .graphml file, or a place name with "
                         "network_online = true")
        network = None
    elif not online:
        network = _resolve(network, base)
        if not network.exists():
            problems.add(f"file not found: {network}", column="inputs.network",
                         fix="check the path, or set network_online = true for a place-name query")
    if paths["communities"] is None:
        problems.add("no communities given", column="inputs.communities",
                     fix="set communities = a polygon file with a community_id column")
    if not any(paths[k] for k in ("households", "buildings", "population")):
        problems.add("no demand given", column="inputs.households",
                     fix="set households (points), buildings (polygons) or population (GeoTIFF)")

    requests = []
    for ftype, table in dict(data.get("siting", {})).items():
        if not isinstance(table, Mapping):
            problems.add("must be a table", column=f"siting.{ftype}",
                         fix=f"write [siting.{ftype}] with new_sites = N or \"min\"")
            continue
        _check_keys(table, _SITING_KEYS, f"siting.{ftype}", problems)
        new_sites = table.get("new_sites")
        ok = new_sites == "min" or (isinstance(new_sites, int) and not isinstance(new_sites, bool)
                                    and new_sites >= 0)
        if not ok:
            problems.add(f"new_sites = {new_sites!r} is not a count", column=f"siting.{ftype}.new_sites",
                         fix='use a whole number ≥ 0 or "min"')
            continue
        known = {k: table[k] for k in _SITING_KEYS if k in table and k != "new_sites"}
        try:
            requests.append(SitingRequest(type=ftype, new_sites=new_sites,  # type: ignore[arg-type]
                                          **known))
        except TypeError as exc:  # pragma: no cover - keys are checked above
            problems.add(str(exc), column=f"siting.{ftype}")

    problems.raise_if_any()
    out = plan.get("out")
    return PlanConfig(
        name=str(name),
        policy=str(plan.get("policy", "national")),
        out=_resolve(out, base) if out else None,
        language=language,
        seed=int(plan.get("seed", 0)),
        synthetic=bool(plan.get("synthetic", False)),
        network=network,
        network_online=online,
        communities=paths["communities"],
        households=paths["households"],
        buildings=paths["buildings"],
        population=paths["population"],
        facilities=paths["facilities"],
        candidates=paths["candidates"],
        coords=coords,
        crs=inputs.get("crs"),
        policy_overrides=dict(data.get("policy_overrides", {})),
        siting=tuple(requests),
        analysis=analysis,
        batch_by=batch.get("by"),
        districts=tuple(batch["districts"]) if "districts" in batch else None,
        split=split,
        source=Path(source) if source else None,
    )


def load_config(config: str | Path | Mapping[str, Any] | PlanConfig) -> PlanConfig:
    """Read and validate a plan configuration.

    Parameters
    ----------
    config : str, pathlib.Path, mapping or PlanConfig
        A TOML file, an already parsed mapping (relative paths then resolve against the working
        folder), or a PlanConfig (returned as is).

    Returns
    -------
    PlanConfig

    Raises
    ------
    siting.errors.InputError
        When the file is missing, is not valid TOML, or has any invalid entry.
    """
    if isinstance(config, PlanConfig):
        return config
    if isinstance(config, Mapping):
        return config_from_mapping(config)
    path = Path(config)
    if not path.exists():
        raise InputError(Problem("configuration file not found", source=str(path),
                                 fix="give the path of a .toml file (see `siting plan --help`)"))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        problems = Problems(source=str(path))
        problems.add(f"not valid TOML: {exc}", fix="check quotes, brackets and = signs on that line")
        raise InputError(problems.items) from exc
    return config_from_mapping(data, base=path.parent, source=str(path))

