"""``summary.xlsx``: the report's tables, one sheet each, headers in the chosen language.

pandas writes the sheets through openpyxl; by hand only column widths and frozen headers. Every
sheet is a plain table (one header row) so it reads back with ``pandas.read_excel``; the synthetic
flag is the summary sheet's first row. Sheet names are per language (Excel forbids ``/`` in them, so
the sources sheet is ``来源`` in Chinese and ``Sources`` in English).
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path

import pandas as pd

from siting.errors import notice_text
from siting.report import tables
from siting.report.i18n import check_language, label
from siting.result import PlanResult

logger = logging.getLogger(__name__)


def sheets_of(result: PlanResult, language: str) -> dict[str, pd.DataFrame]:
    """Sheet name → localized table, in workbook order. Parts the plan lacks are left out."""
    lang = language
    loc = partial(tables.localize, profile=result.profile)
    summary: list[tuple[str, object]] = [(label("synthetic_short", lang), label("yes" if result.synthetic else "no", lang)),
               (label("profile", lang), str(getattr(result.profile, "title", None)
                                            or getattr(result.profile, "name", None) or ""))]
    summary += [(label(k, lang), v) for k, v in tables.summary(result)]
    out: dict[str, pd.DataFrame] = {
        "sheet_summary": pd.DataFrame(summary, columns=[label("item", lang), label("value", lang)]),
        "sheet_warnings": pd.DataFrame({label("warning", lang): [notice_text(w, lang) for w in result.warnings]}),
        "sheet_rules": loc(tables.rules_table(result, lang), lang),
        "sheet_communities": loc(tables.communities_table(result, lang), lang,
                                 rule_titles=tables.rule_titles(result, lang)),
        "sheet_coverage": loc(tables.coverage_table(result), lang,
                              rule_titles=tables.rule_titles(result, lang)),
        "sheet_distances": loc(tables.distance_table(result), lang),
    }
    if result.siting_summary is not None:
        out["sheet_siting"] = loc(result.siting_summary, lang)
    sites = tables.sites_table(result)
    if sites is not None:
        out["sheet_sites"] = loc(sites, lang)
    split = tables.split_table(result, lang)
    if split is not None:
        out["sheet_split"] = loc(split, lang)
    out["sheet_inputs"] = loc(tables.inputs_table(result), lang)
    out["sheet_versions"] = loc(tables.versions_table(result), lang)
    out["sheet_parameters"] = loc(tables.parameters_table(result), lang)
    out["sheet_sources"] = loc(tables.sources_table(result), lang)
    return {label(k, lang): v for k, v in out.items()}


def write_xlsx(result: PlanResult, path: str | os.PathLike[str], *, language: str = "zh") -> Path:
    """Write ``summary.xlsx`` to ``path`` (under a temporary name first, then renamed).

    Parameters
    ----------
    result : siting.result.PlanResult
        The plan.
    path : str or path-like
        Output file.
    language : {"zh", "en"}
        Language of the sheet names and headers.

    Returns
    -------
    pathlib.Path
    """
    check_language(language)
    sheets = sheets_of(result, language)
    final = Path(path)
    with tables.atomic_path(final) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, df in sheets.items():
            df.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            ws.freeze_panes = "A2"
            for i, col in enumerate(df.columns, start=1):
                longest = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
                ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, 4 + 1.3 * longest)
    logger.info("wrote %s", final)
    return final
