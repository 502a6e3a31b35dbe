"""``siting demo``: the main job on the data shipped in ``data/boundaries/``.

Each demo case is an ordinary plan configuration (``data/boundaries/<case>/config.toml``), so what
the demo does a planner can copy and edit. The cases:

- ``beijing``: real OpenStreetMap data of Haidian (Xueqing Road): streets, named residential
  compounds as communities, households estimated from buildings, facilities from OSM tags.
- ``shenzhen``: the real OSM walking network of Futian with synthetic communities, households and
  facilities (labelled synthetic on every output).
"""

from __future__ import annotations

import logging
from pathlib import Path

from siting.errors import InputError
from siting.pipeline.run import plan

log = logging.getLogger(__name__)

CASES = ("beijing", "shenzhen")


def data_root() -> Path:
    """The folder holding the shipped demo data (``data/boundaries`` of the repository)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "data" / "boundaries"
        if (candidate / "beijing" / "config.toml").exists():
            return candidate
    raise InputError("the demo data folder data/boundaries/ was not found; run `siting demo` from "
                     "a clone of the siting repository (the data is not part of the wheel)")


def run_demo(
    *, out: str | Path = "outputs/demo", cases: list[str] | None = None, language: str | None = None,
    verbose: bool | None = None,
) -> dict[str, Path]:
    """Run every demo case (or those named) and write one output folder per case.

    Parameters
    ----------
    out : str or pathlib.Path
        Parent output folder; each case writes ``<out>/<case>/``.
    cases : list of str, optional
        Subset of :data:`CASES`.
    language : {"zh", "en"}, optional
        Output language (default Chinese).
    verbose : bool, optional
        Progress bars.

    Returns
    -------
    dict of str to pathlib.Path
        Case name → its output folder.
    """
    wanted = list(cases or CASES)
    unknown = sorted(set(wanted) - set(CASES))
    if unknown:
        raise InputError(f"unknown demo case(s) {unknown}; choose from {list(CASES)}")
    root = data_root()
    written = {}
    for case in wanted:
        target = Path(out) / case
        log.info("demo case %s → %s", case, target)
        plan(root / case / "config.toml", out=target, language=language, verbose=verbose)
        written[case] = target
    return written
