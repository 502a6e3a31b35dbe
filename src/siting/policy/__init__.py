"""Policy profiles: the rules a plan is judged against, as data (TOML files under ``profiles/``).

>>> from siting.policy import load_profile, available_profiles
>>> "national" in available_profiles()
True
>>> load_profile("national").walk_distance_m(10)
500.0

See :mod:`siting.policy.profile` for the API and ``profiles/national.toml`` for the file format.
"""

from __future__ import annotations

from siting.policy.profile import (
    PROFILE_DIR,
    Profile,
    Rule,
    Source,
    available_profiles,
    load_profile,
)
from siting.policy.schema import KINDS

__all__ = ["KINDS", "PROFILE_DIR", "Profile", "Rule", "Source", "available_profiles", "load_profile"]
