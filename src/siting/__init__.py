"""siting: geospatial planning and facility siting for China's urban and rural communities.

The package is layered in the order data flows (see docs/ARCHITECTURE.md):
policy → io → network → access → diagnose / split / optimize → report → pipeline → cli.
"""

from __future__ import annotations

__version__ = "0.1.0"

from siting.errors import InfeasibleError, InputError, SitingError

__all__ = ["InfeasibleError", "InputError", "SitingError", "__version__"]
