"""Access: who is within which walking circle, service radius and centre, service areas, 2SFCA.

Builds on :mod:`siting.network` (distances along the walking network) and takes plain numbers (metres,
minutes) rather than a policy profile, so callers pass ``profile.walk_distance_m(...)`` themselves.
"""

from siting.access.coverage import (
    count_unreachable,
    coverage_share,
    nearest_by_type,
    weighted_mean_by,
    within_circle,
)
from siting.access.fca import (
    DEFAULT_ZONE_WEIGHTS,
    community_access,
    gaussian_weight,
    network_fca,
    two_step_fca,
    zone_weight,
)
from siting.access.radius import service_radius
from siting.access.service_areas import service_areas

__all__ = [
    "DEFAULT_ZONE_WEIGHTS",
    "community_access",
    "count_unreachable",
    "coverage_share",
    "gaussian_weight",
    "nearest_by_type",
    "network_fca",
    "service_areas",
    "service_radius",
    "two_step_fca",
    "weighted_mean_by",
    "within_circle",
    "zone_weight",
]
