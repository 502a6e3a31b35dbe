"""siting: geospatial planning and facility siting for China's urban and rural communities.

The package is layered in the order data flows (see docs/ARCHITECTURE.md):
policy → io → network → access → diagnose / split / optimize → report → pipeline → cli.

Notebook use::

    import siting
    result = siting.plan("config.toml", write=False)   # GeoDataFrames: result.communities, ...
    siting.optimize.p_median(cost, p=5)                 # location models on a cost matrix
"""

from __future__ import annotations

import importlib
from typing import Any

from siting.errors import InfeasibleError, InputError, SitingError

__version__ = "0.1.0"

_SUBMODULES = {"access", "diagnose", "io", "network", "optimize", "pipeline", "policy", "report",
               "split"}

__all__ = ["InfeasibleError", "InputError", "SitingError", "__version__", "access", "demo",
           "diagnose", "io", "load_profile", "network", "optimize", "pipeline", "plan", "policy",
           "report", "split"]


def plan(config: Any, **kwargs: Any) -> Any:
    """Run a plan; see :func:`siting.pipeline.run.plan` (the CLI's ``siting plan`` calls it)."""
    from siting.pipeline.run import plan as _plan

    return _plan(config, **kwargs)


def demo(**kwargs: Any) -> Any:
    """Run the demo cases; see :func:`siting.pipeline.demo.run_demo`."""
    from siting.pipeline.demo import run_demo

    return run_demo(**kwargs)


def load_profile(name_or_path: Any = "national", **kwargs: Any) -> Any:
    """Load a policy profile; see :func:`siting.policy.load_profile`."""
    from siting.policy import load_profile as _load

    return _load(name_or_path, **kwargs)


def __getattr__(name: str) -> Any:
    # Subpackages load on first use, so `import siting` stays quick and `siting.optimize.p_median`
    # works without a separate import.
    if name in _SUBMODULES:
        return importlib.import_module(f"siting.{name}")
    raise AttributeError(f"module 'siting' has no attribute {name!r}")
