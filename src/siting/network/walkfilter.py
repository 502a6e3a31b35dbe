"""Which OpenStreetMap ways a person may walk on.

The filter is data, not code: the policy profile ships it (``profile.settings["network"]``) and a
planner may override it. :data:`DEFAULT_WALK_FILTER` mirrors what the national profile ships and is used
only when no profile filter is passed. Everything here is plain Python over tag dictionaries (one call
per OSM way or graph edge while the network is built); there is no library to delegate such a small
rule to, and osmnx's own ``network_type="walk"`` filter is an Overpass query string that cannot be
applied to a file already on disk.

Schema of a walk filter (a mapping)::

    {"highway": [...],            # walkable highway values (a whitelist: anything else is not walkable)
     "exclude_highway": [...],    # never walkable, even if also listed in "highway"
     "exclude_tags": {"foot": ["no"], "access": ["private"], ...},
     "override_tags": {"foot": ["yes", "designated", "permissive"]}}   # optional

A way is walkable when one of its ``highway`` values is in ``highway``, none is in ``exclude_highway``,
and none of ``exclude_tags`` matches - unless one of ``override_tags`` matches (``access=no`` with
``foot=yes`` is a footpath closed to cars, not to people).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from siting.errors import Problems

#: The walk filter used when none is given. The policy profile overrides it
#: (``[network]`` in ``policy/profiles/national.toml``); keep the two in step.
#: ``trunk``/``trunk_link`` are left out on purpose: in Chinese cities they are mostly 快速路
#: (urban expressways, often elevated) that pedestrians cannot use; their side roads are tagged
#: separately as ``secondary``/``tertiary``/``service``.
DEFAULT_WALK_FILTER: dict[str, Any] = {
    "highway": [
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "track",
        "cycleway",
        "bridleway",
        "corridor",
        "crossing",
        "elevator",
    ],
    "exclude_highway": [
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "construction",
        "proposed",
        "planned",
        "abandoned",
        "disused",
        "razed",
        "platform",
        "raceway",
        "bus_guideway",
        "busway",
        "escape",
    ],
    # access=no is NOT excluded (as in osmnx's walk filter): in Chinese OSM data it mostly marks
    # compound gates and service roads closed to cars, which people walk through. Excluding it cut
    # the Shenzhen network so that a 1.4 km walk became a 5.9 km detour.
    "exclude_tags": {
        "foot": ["no", "private", "use_sidepath"],
        "access": ["private"],
        "service": ["private"],
    },
    "override_tags": {"foot": ["yes", "designated", "permissive"]},
}

_KEYS = {"highway", "exclude_highway", "exclude_tags", "override_tags"}


@dataclass(frozen=True)
class WalkFilter:
    """A validated walk filter (see the module docstring for the schema)."""

    highway: frozenset[str]
    exclude_highway: frozenset[str]
    exclude_tags: Mapping[str, frozenset[str]]
    override_tags: Mapping[str, frozenset[str]]

    @property
    def tag_keys(self) -> list[str]:
        """Every OSM key the filter reads (so the reader keeps those tags)."""
        return sorted({"highway", *self.exclude_tags, *self.override_tags})

    def is_walkable(self, tags: Mapping[str, Any]) -> bool:
        """Whether an edge/way with these tags may be walked.

        Values may be strings or lists of strings (osmnx merges the tags of simplified edges into
        lists); ``"a;b"`` multi-values are split on ``;``.
        """
        highways = _values(tags.get("highway"))
        if not highways or highways & self.exclude_highway or not highways & self.highway:
            return False
        for key, bad in self.exclude_tags.items():
            if _values(tags.get(key)) & bad:
                return any(_values(tags.get(k)) & ok for k, ok in self.override_tags.items())
        return True


def _values(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [str(v) for v in value if v is not None]
    else:
        items = [str(value)]
    return frozenset(part.strip() for item in items for part in item.split(";") if part.strip())


def make_walk_filter(walk_filter: Mapping[str, Any] | None, *, source: str = "walk_filter") -> WalkFilter:
    """Validate a walk-filter mapping (``None`` = :data:`DEFAULT_WALK_FILTER`).

    Parameters
    ----------
    walk_filter : mapping or None
        The filter, in the schema of the module docstring. Unknown keys are refused so a typo cannot
        silently switch a rule off.
    source : str
        Where the filter came from, for error messages (e.g. the profile's path).

    Returns
    -------
    WalkFilter

    Raises
    ------
    siting.errors.InputError
        Every problem found, each with its fix.
    """
    raw = DEFAULT_WALK_FILTER if walk_filter is None else walk_filter
    problems = Problems(source=source)
    if not isinstance(raw, Mapping):
        problems.add(
            f"the walk filter must be a mapping, got {type(raw).__name__}",
            fix='pass a dict like {"highway": ["footway", ...], "exclude_highway": [...]}',
        )
        problems.raise_if_any()
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        problems.add(
            f"unknown walk-filter key(s) {unknown}",
            fix=f"use only {sorted(_KEYS)}",
        )

    def str_list(key: str, *, required: bool) -> frozenset[str]:
        value = raw.get(key)
        if value is None:
            if required:
                problems.add(f"`{key}` is missing", column=key, fix="list the walkable highway values")
            return frozenset()
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            problems.add(f"`{key}` must be a list of strings", column=key, fix=f'e.g. {key} = ["footway"]')
            return frozenset()
        return frozenset(value)

    def tag_map(key: str) -> dict[str, frozenset[str]]:
        value = raw.get(key) or {}
        if not isinstance(value, Mapping):
            problems.add(f"`{key}` must map tag keys to lists of values", column=key,
                         fix=f'e.g. {key} = {{foot = ["no"]}}')
            return {}
        out = {}
        for tag, values in value.items():
            if isinstance(values, str) or not all(isinstance(v, str) for v in values):
                problems.add(f"`{key}.{tag}` must be a list of strings", column=key,
                             fix=f'e.g. {tag} = ["no"]')
                continue
            out[str(tag)] = frozenset(values)
        return out

    highway = str_list("highway", required=True)
    if "highway" in raw and not highway and not problems:
        problems.add("`highway` is empty: nothing would be walkable", column="highway",
                     fix="list the walkable highway values")
    result = WalkFilter(
        highway=highway,
        exclude_highway=str_list("exclude_highway", required=False),
        exclude_tags=tag_map("exclude_tags"),
        override_tags=tag_map("override_tags"),
    )
    problems.raise_if_any()
    return result
