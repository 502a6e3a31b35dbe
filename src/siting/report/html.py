"""``report.html``: the plan's findings in one self-contained page.

jinja2 renders ``templates/report.html.j2`` (autoescaped); the tables come from
:mod:`siting.report.tables`, the charts from :mod:`siting.report.charts` (inline SVG, overview PNG as a
data URI), so the file needs nothing beside it and no network. Written by hand: cell formatting.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

import siting
from siting.errors import notice_text
from siting.report import charts, tables
from siting.report.i18n import check_language, label
from siting.result import PlanResult

logger = logging.getLogger(__name__)

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True,
)
#: words → css class, so status cells are coloured in either language
_STATUS_CLASS = {label(s, lang): s for s in tables.STATUSES for lang in ("zh", "en")}


def _cell(value: Any, *, pct: bool = False) -> dict[str, str]:
    if value is None or value is pd.NA:
        return {"text": "–", "cls": "num"}
    if isinstance(value, (bool, np.bool_)):
        return {"text": str(value), "cls": ""}
    if isinstance(value, (int, np.integer)):
        return {"text": f"{int(value):,}", "cls": "num"}
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return {"text": "–", "cls": "num"}
        if pct:
            return {"text": f"{value:.1f}", "cls": "num"}
        return {"text": f"{value:,.0f}" if abs(float(value)) >= 10 or float(value).is_integer()
                else f"{value:,.2f}", "cls": "num"}
    text = str(value)
    return {"text": text, "cls": _STATUS_CLASS.get(text, "")}


def html_table(df: pd.DataFrame | None, *, pct_columns: tuple[str, ...] = ()) -> dict | None:
    """A DataFrame (already localized) as ``{"headers": [...], "rows": [[{text, cls}, ...]]}``."""
    if df is None:
        return None
    pct = {c for c in df.columns if any(p in str(c) for p in pct_columns)}
    rows = [[_cell(v, pct=c in pct) for c, v in zip(df.columns, row)]
            for row in df.itertuples(index=False, name=None)]
    return {"headers": [str(c) for c in df.columns], "rows": rows}


def _fmt_figure(v: float) -> str:
    if isinstance(v, float) and not np.isfinite(v):
        return "–"
    return f"{v:,.0f}"


def report_context(result: PlanResult, language: str) -> dict[str, Any]:
    """Everything the template shows, built from ``result`` (also useful to test without HTML)."""
    lang = language
    titles = tables.rule_titles(result, lang)
    loc = partial(tables.localize, profile=result.profile)
    communities = tables.communities_table(result, lang)
    siting_df = result.siting_summary
    generated = None
    if isinstance(result.manifest, dict):
        generated = result.manifest.get("finished") or result.manifest.get("started") \
            or result.manifest.get("created")
    profile = result.profile
    return {
        "lang": lang,
        "L": lambda key, **kw: label(key, lang, **kw),
        "plan_name": result.name,
        "profile_title": getattr(profile, "title", None),
        "profile_name": getattr(profile, "name", None),
        "generated": generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "synthetic": bool(result.synthetic),
        "version": siting.__version__,
        "summary": [(label(k, lang), _fmt_figure(v)) for k, v in tables.summary(result)],
        "warnings": [notice_text(w, lang) for w in result.warnings],
        "rules": html_table(loc(tables.rules_table(result, lang), lang)),
        "communities": html_table(loc(communities, lang, rule_titles=titles),
                                  pct_columns=("%",)),
        "coverage": html_table(loc(tables.coverage_table(result), lang,
                                               rule_titles=titles),
                               pct_columns=("%",)),
        "distances": html_table(loc(tables.distance_table(result), lang)),
        "siting": html_table(loc(siting_df, lang) if siting_df is not None else None),
        "sites": html_table(_localized_or_none(tables.sites_table(result), lang, result.profile)),
        "split": html_table(_localized_or_none(tables.split_table(result, lang), lang, result.profile)),
        "inputs": html_table(loc(tables.inputs_table(result), lang)),
        "versions": html_table(loc(tables.versions_table(result), lang)),
        "parameters": html_table(loc(tables.parameters_table(result), lang)),
        "sources": html_table(loc(tables.sources_table(result), lang)),
        "chart_households": _markup(charts.households_chart(result, lang)),
        "chart_coverage": _markup(charts.coverage_chart(result, lang)),
        "chart_distances": _markup(charts.distance_chart(result, lang)),
        "overview": charts.overview_png(result),
    }


def _localized_or_none(df: pd.DataFrame | None, language: str, profile: Any = None
                       ) -> pd.DataFrame | None:
    return None if df is None else tables.localize(df, language, profile=profile)


def _markup(svg: str | None) -> Markup | None:
    return Markup(svg) if svg else None  # matplotlib's own SVG output: trusted


def render_report(result: PlanResult, *, language: str = "zh") -> str:
    """The report as an HTML string."""
    check_language(language)
    return _ENV.get_template("report.html.j2").render(**report_context(result, language))


def write_report(result: PlanResult, path: str | os.PathLike[str], *, language: str = "zh") -> Path:
    """Write ``report.html`` to ``path`` (under a temporary name first, then renamed).

    Parameters
    ----------
    result : siting.result.PlanResult
        The plan.
    path : str or path-like
        Output file.
    language : {"zh", "en"}
        Language of the report.

    Returns
    -------
    pathlib.Path
    """
    text = render_report(result, language=language)
    final = Path(path)
    with atomic_path_text(final) as tmp:
        tmp.write_text(text, encoding="utf-8")
    logger.info("wrote %s", final)
    return final


atomic_path_text = tables.atomic_path
