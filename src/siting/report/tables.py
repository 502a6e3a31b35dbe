"""The report's tables, built once from a :class:`~siting.result.PlanResult` for HTML and Excel alike.

pandas does the work; what is written by hand is the choice of rows and columns and the
household-weighted statistics (a weighted quantile is ten lines, not worth a dependency). Tables keep
raw numbers (coverage in percent, distances in metres); the HTML and Excel writers format them, and
:func:`localize` turns column keys into headers of the chosen language.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.report.i18n import column_label, label, status_word, subject_name
from siting.result import PlanResult

logger = logging.getLogger(__name__)

STATUSES = ("met", "not_met", "not_assessable")
#: GB 50180: a 15-minute life circle ≈ 1,000 m. Used only to turn metres into minutes for display
#: when the result carries no profile; the map legend says so.
DEFAULT_SPEED_M_PER_MIN = 1000.0 / 15.0


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    Nothing half-written ever carries the final name. The temporary name keeps the suffix, which
    drivers such as GDAL's GeoPackage use to recognise the format.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    os.unlink(tmp)  # writers create the file themselves (GDAL refuses to open an empty file)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def rule_ids(result: PlanResult) -> list[str]:
    """Rule ids of the rules table that also appear as community columns, in the table's order."""
    if "rule_id" not in result.rules.columns:
        return []
    return [r for r in result.rules["rule_id"].astype(str) if r in result.communities.columns]


def walking_speed(result: PlanResult) -> tuple[float, bool]:
    """Walking speed in m/min from the profile, and whether the profile gave it."""
    walk = getattr(result.profile, "walk_distance_m", None)
    if callable(walk):
        try:
            speed = float(walk(15)) / 15.0
            if np.isfinite(speed) and speed > 0:
                return speed, True
        except Exception:  # noqa: BLE001 - duck-typed profile: fall back, and the map says so
            logger.debug("profile has no usable walk_distance_m; using the GB 50180 default")
    return DEFAULT_SPEED_M_PER_MIN, False


def _outside(households: pd.DataFrame) -> pd.Series:
    if "community_id" not in households.columns:
        return pd.Series(True, index=households.index)
    cid = households["community_id"]
    return cid.isna() | (cid.astype(str).str.strip() == "")


def _household_counts(households: pd.DataFrame) -> pd.Series:
    if "households" in households.columns:
        return pd.to_numeric(households["households"], errors="coerce").fillna(0)
    return pd.Series(1, index=households.index)


def summary(result: PlanResult) -> list[tuple[str, float | int]]:
    """Headline figures as ``(label key, value)`` pairs."""
    hh = _household_counts(result.households)
    out = _outside(result.households)
    rows: list[tuple[str, float | int]] = [
        ("n_communities", len(result.communities)),
        ("n_household_points", len(result.households)),
        ("n_households", int(hh.sum())),
        ("n_households_in", int(hh[~out].sum())),
        ("n_households_out", int(hh[out].sum())),
        ("n_points_out", int(out.sum())),
    ]
    if "residents" in result.communities.columns:
        rows.append(("n_residents", float(pd.to_numeric(result.communities["residents"],
                                                        errors="coerce").sum())))
    if "oversized" in result.communities.columns:
        rows.append(("n_oversized", int((result.communities["oversized"] == True).sum())))
    rows.append(("n_facilities", len(result.facilities)))
    if result.sites is not None and "status" in result.sites.columns:
        rows.append(("n_new_sites", int((result.sites["status"] == "new").sum())))
    if result.split_proposals is not None:
        rows.append(("n_split_parts", len(result.split_proposals)))
    rows.append(("n_warnings", len(result.warnings)))
    return rows


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return ", ".join(str(v) for v in value)
    return str(value)


def threshold_text(result: PlanResult, row: Mapping[str, Any], language: str) -> str:
    """The threshold of one rule in words: the profile's wording when it has one, else the table's."""
    fn = getattr(result.profile, "threshold_text", None)
    if callable(fn):
        try:
            text = fn(str(row["rule_id"]), language=language)
            if text:
                return str(text)
        except Exception:  # noqa: BLE001 - the profile may not know a rule the pipeline added
            logger.debug("profile.threshold_text failed for %s", row.get("rule_id"))
    text = _text(row.get("threshold"))
    unit = _text(row.get("unit"))
    return f"{text} {unit}".strip() if unit and unit not in text else text


def rules_table(result: PlanResult, language: str) -> pd.DataFrame:
    """One row per rule: threshold, source, clause, verify mark, counts and missing inputs."""
    rows = []
    for _, r in result.rules.iterrows():
        title = r.get(f"title_{language}") or r.get("title_zh") or r.get("title_en") or ""
        verify = bool(r.get("verify")) if r.get("verify") is not None and not (
            isinstance(r.get("verify"), float) and np.isnan(r.get("verify"))) else False
        rows.append({
            "rule_id": str(r.get("rule_id", "")),
            "title": _text(title),
            "threshold": threshold_text(result, r, language),
            "source": _text(r.get("source")),
            "source_title": _text(r.get("source_title")),
            "clause": _text(r.get("clause")),
            "verify": label("verify_note", language) if verify else "",
            **{s: _count(r.get(s)) for s in STATUSES},
            "missing_inputs": _text(r.get("missing_inputs")),
        })
    cols = ["rule_id", "title", "threshold", "source", "source_title", "clause", "verify",
            *STATUSES, "missing_inputs"]
    return pd.DataFrame(rows, columns=cols)


def _count(value: Any) -> int | float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return np.nan
    return int(v) if np.isfinite(v) else np.nan


def communities_table(result: PlanResult, language: str) -> pd.DataFrame:
    """Per community: size, radius, oversized, coverage (%) and every rule's status in words."""
    c = result.communities
    df = pd.DataFrame(index=c.index)
    df["community_id"] = c.index.astype(str)
    for col in ("name", "kind", "households", "residents", "service_radius_m"):
        if col in c.columns:
            df[col] = c[col]
    if "kind" in df.columns:
        df["kind"] = df["kind"].map(lambda k: label(k, language) if isinstance(k, str) else "")
    if "oversized" in c.columns:
        df["oversized"] = c["oversized"].map(lambda v: _yes_no(v, language))
    for col in coverage_columns(result):
        df[col] = pd.to_numeric(c[col], errors="coerce") * 100.0
    for rid in rule_ids(result):
        df[rid] = c[rid].map(lambda v: status_word(v, language))
    return df.reset_index(drop=True)


def coverage_columns(result: PlanResult) -> list[str]:
    """The communities' ``coverage_*`` columns worth showing: each circle rule's, and a type's (the
    contract's ``coverage_<type>``, a copy of its first circle rule's) only when no rule column
    repeats it. Without a usable profile, all of them."""
    c = result.communities
    cols = [str(col) for col in c.columns if str(col).startswith("coverage_")]
    rules = getattr(result.profile, "rules", None) or {}
    rule_cols = {f"coverage_{rid}" for rid in rules} & set(cols)
    values = {col: pd.to_numeric(c[col], errors="coerce").to_numpy(dtype=float) for col in cols}
    return [col for col in cols if col in rule_cols or not any(
        np.array_equal(values[col], values[r], equal_nan=True) for r in rule_cols)]


def _yes_no(value: Any, language: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return label("unknown", language)
    return label("yes" if bool(value) else "no", language)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` where each value counts ``weights`` times (inverted CDF)."""
    keep = np.isfinite(values) & (weights > 0)
    if not keep.any():
        return float("nan")
    order = np.argsort(values[keep])
    v, w = values[keep][order], weights[keep][order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, q * cum[-1], side="left").clip(0, len(v) - 1)])


def distance_table(result: PlanResult) -> pd.DataFrame:
    """Per facility type: households reachable and the household-weighted distance statistics."""
    hh = _household_counts(result.households).to_numpy(dtype=float)
    rows = []
    for col in result.households.columns:
        col = str(col)
        if not (col.startswith("dist_") and col.endswith("_m")):
            continue
        d = pd.to_numeric(result.households[col], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(d)
        w = hh[ok]
        rows.append({
            "type": col[5:-2],
            "households": int(hh.sum()),
            "reachable": int(w.sum()),
            "unreachable": int(hh[~ok].sum()),
            "mean_m": float(np.average(d[ok], weights=w)) if w.sum() > 0 else np.nan,
            "median_m": weighted_quantile(d, hh, 0.5),
            "p95_m": weighted_quantile(d, hh, 0.95),
            "max_m": float(d[ok].max()) if ok.any() else np.nan,
        })
    return pd.DataFrame(rows, columns=["type", "households", "reachable", "unreachable", "mean_m",
                                       "median_m", "p95_m", "max_m"])


def coverage_table(result: PlanResult) -> pd.DataFrame:
    """Per facility type with a circle: the share (%) of households, in assessed communities, covered."""
    c = result.communities
    hh = pd.to_numeric(c.get("households", pd.Series(np.nan, index=c.index)), errors="coerce")
    rows = []
    for col in c.columns:
        if not str(col).startswith("coverage_"):
            continue
        share = pd.to_numeric(c[col], errors="coerce")
        ok = share.notna() & hh.notna()
        total = float(hh[ok].sum())
        covered = float((share[ok] * hh[ok]).sum())
        rows.append({"type": str(col)[9:], "households": total, "covered": covered,
                     "coverage_pct": 100.0 * covered / total if total > 0 else np.nan,
                     "not_assessed": int((~ok).sum())})
    return pd.DataFrame(rows, columns=["type", "households", "covered", "coverage_pct", "not_assessed"])


def split_table(result: PlanResult, language: str = "zh") -> pd.DataFrame | None:
    """The split proposals without geometry, or None: size, radius, whether each part meets the
    household band, the radius and contiguity (in words), and what fails, in ``language``."""
    sp = result.split_proposals
    if sp is None:
        return None
    cols = [c for c in ("community_id", "part_id", "households", "service_radius_m") if c in sp.columns]
    out = pd.DataFrame(sp[cols]).reset_index(drop=True)
    for col in ("meets_size", "meets_radius", "contiguous"):
        if col in sp.columns:
            out[col] = [_yes_no(v, language) for v in sp[col]]
    text = "issues_zh" if language == "zh" and "issues_zh" in sp.columns else "issues"
    if text in sp.columns:
        out["issues"] = [v if isinstance(v, str) else "" for v in sp[text]]
    return out


def sites_table(result: PlanResult) -> pd.DataFrame | None:
    """The sites without geometry, sorted by type, status and id, or None."""
    s = result.sites
    if s is None:
        return None
    cols = [c for c in ("site_id", "type", "status", "households_served") if c in s.columns]
    df = pd.DataFrame(s[cols]).reset_index(drop=s.index.name in cols or s.index.name is None)
    keys = [c for c in ("type", "status", "site_id") if c in df.columns]
    return df.sort_values(keys).reset_index(drop=True) if keys else df


def sources_table(result: PlanResult) -> pd.DataFrame:
    """Every source cited: the profile's sources (or the rules table's), then OpenStreetMap."""
    rows: list[dict[str, Any]] = []
    sources = getattr(result.profile, "sources", None)
    if isinstance(sources, Mapping) and sources:
        for key, src in sources.items():
            rows.append({"key": str(key), "document": _text(getattr(src, "title", src)),
                         "year": _text(getattr(src, "year", ""))})
    elif {"source", "source_title"} <= set(result.rules.columns):
        pairs = result.rules[["source", "source_title"]].drop_duplicates()
        for _, r in pairs.iterrows():
            rows.append({"key": _text(r["source"]), "document": _text(r["source_title"]), "year": ""})
    rows.append({"key": "OSM", "document": "OpenStreetMap contributors, Open Database License (ODbL)",
                 "year": ""})
    return pd.DataFrame(rows, columns=["key", "document", "year"])


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value):
        for i, v in enumerate(value):
            yield from _flatten(f"{prefix}[{i}]", v)
    else:
        yield prefix, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                                        default=str)


def inputs_table(result: PlanResult) -> pd.DataFrame:
    """The manifest's inputs: name, path, sha256 (whatever of them it holds)."""
    inputs = result.manifest.get("inputs") if isinstance(result.manifest, Mapping) else None
    rows = []
    if isinstance(inputs, Mapping):
        items: Sequence[tuple[Any, Any]] = list(inputs.items())
    elif isinstance(inputs, Sequence) and not isinstance(inputs, str):
        items = [(i.get("name", i.get("key", "")) if isinstance(i, Mapping) else "", i) for i in inputs]
    else:
        items = []
    for name, info in items:
        if isinstance(info, Mapping):
            rows.append({"item": str(name), "path": _text(info.get("path")),
                         "sha256": _text(info.get("sha256"))})
        else:
            rows.append({"item": str(name), "path": _text(info), "sha256": ""})
    return pd.DataFrame(rows, columns=["item", "path", "sha256"])


def versions_table(result: PlanResult) -> pd.DataFrame:
    """The manifest's versions (package → version)."""
    versions = result.manifest.get("versions") if isinstance(result.manifest, Mapping) else None
    rows = [{"package": k, "version": v} for k, v in _flatten("", versions or {})] if versions else []
    return pd.DataFrame(rows, columns=["package", "version"])


def parameters_table(result: PlanResult) -> pd.DataFrame:
    """The manifest's parameters, flattened to ``a.b.c`` → value."""
    params = result.manifest.get("parameters") if isinstance(result.manifest, Mapping) else None
    rows = [{"parameter": k, "value": v} for k, v in _flatten("", params or {})] if params else []
    return pd.DataFrame(rows, columns=["parameter", "value"])


def localize(df: pd.DataFrame, language: str, *, rule_titles: Mapping[str, str] | None = None,
             profile: Any = None) -> pd.DataFrame:
    """Rename columns to headers in ``language``; translate ``type``/``status`` values.

    Rule-id columns keep their id (it is how every output names a rule) followed by the title;
    facility types are named from ``profile`` (:func:`siting.report.i18n.type_name`).
    """
    out = df.copy()
    if "type" in out.columns:
        out["type"] = out["type"].map(
            lambda t: subject_name(t, language, rule_titles, profile) if isinstance(t, str) else t)
    if "status" in out.columns:
        out["status"] = out["status"].map(lambda s: label(s, language) if isinstance(s, str) else s)
    names = {}
    for col in out.columns:
        if rule_titles and col in rule_titles:
            names[col] = f"{col} {rule_titles[col]}".strip()
        elif col == "unreachable":
            names[col] = "不可达户数" if language == "zh" else "Unreachable"
        elif col == "covered":
            names[col] = "覆盖户数" if language == "zh" else "Households covered"
        elif col == "not_assessed":
            names[col] = "未评估社区数" if language == "zh" else "Communities not assessed"
        elif col in STATUSES:
            names[col] = label(col, language)
        else:
            names[col] = column_label(str(col), language, rule_titles, profile)
    return out.rename(columns=names)


def rule_titles(result: PlanResult, language: str) -> dict[str, str]:
    """rule id → title in ``language``."""
    out = {}
    for _, r in result.rules.iterrows():
        out[str(r.get("rule_id"))] = _text(r.get(f"title_{language}") or r.get("title_zh") or "")
    return out
