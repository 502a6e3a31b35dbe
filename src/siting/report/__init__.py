"""What a planners' meeting needs from a plan: ``results.gpkg``, ``map.html``, ``report.html``,
``summary.xlsx`` (CONTRACT.md "Outputs"; ``run.json`` is the pipeline's).

Every writer takes a :class:`siting.result.PlanResult` in the plan's metric CRS and writes under a
temporary name before renaming, so nothing half-written looks complete. Labels are Chinese by
default, English with ``language="en"`` (:mod:`siting.report.i18n`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from siting.errors import InputError, Problem
from siting.report.gpkg import write_gpkg
from siting.report.html import render_report, write_report
from siting.report.i18n import check_language
from siting.report.maps import make_map, write_map
from siting.report.xlsx import write_xlsx
from siting.result import PlanResult

logger = logging.getLogger(__name__)

FILES = {"gpkg": "results.gpkg", "map": "map.html", "report": "report.html", "xlsx": "summary.xlsx"}


def write_outputs(result: PlanResult, out_dir: str | os.PathLike[str], *, language: str = "zh",
                  formats: Sequence[str] = ("gpkg", "map", "report", "xlsx")) -> dict[str, Path]:
    """Write the plan's outputs into ``out_dir``.

    Parameters
    ----------
    result : siting.result.PlanResult
        The plan.
    out_dir : str or path-like
        The run's output folder (created if missing).
    language : {"zh", "en"}
        Language of map, report and spreadsheet.
    formats : sequence of {"gpkg", "map", "report", "xlsx"}
        Which files to write.

    Returns
    -------
    dict of str to pathlib.Path
        Format → written file.
    """
    check_language(language)
    unknown = [f for f in formats if f not in FILES]
    if unknown:
        raise InputError(Problem(f"unknown output format(s) {', '.join(map(repr, unknown))}",
                                 column="formats", fix=f"use any of {', '.join(FILES)}"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        path = out / FILES[fmt]
        if fmt == "gpkg":
            written[fmt] = write_gpkg(result, path)
        elif fmt == "map":
            written[fmt] = write_map(result, path, language=language)
        elif fmt == "report":
            written[fmt] = write_report(result, path, language=language)
        else:
            written[fmt] = write_xlsx(result, path, language=language)
    return written


__all__ = ["FILES", "make_map", "render_report", "write_gpkg", "write_map", "write_outputs",
           "write_report", "write_xlsx"]
