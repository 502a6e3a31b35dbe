"""The rule engine: every community against every checked rule of a policy profile.

Each rule becomes a column of ``met`` / ``not_met`` / ``not_assessable``. A rule is ``not_assessable``
whenever an input it needs is missing (the input is named), or when it does not apply to the
community's kind (the reason is given) — it is never ``met`` by default.

pandas does the work: every test is a vectorised comparison over the metrics table, combined with
pandas' nullable ``boolean`` arrays, whose ``&`` / ``|`` follow three-valued (Kleene) logic. That logic
is the point: ``households > 3000 AND radius > 2 km`` is known to be false for a community of 800
households even when its radius is unknown, but unknown for one of 5,000. Written by hand: the small
evaluator per rule kind (the rules are the project's own) and the texts.

Metrics columns read (index ``community_id``; any may be absent or NaN):
``kind``, ``households``, ``residents``, ``residents_estimated``, ``service_radius_m``,
``facility_area_m2``, ``workers``, ``social_workers``, ``social_organisations``, ``occupancy``,
``has_service_center``, ``shelter_count``, ``health_adjacent_eldercare``, ``grid_share``,
``activity_area_m2``, ``commercial_area_m2``, ``floor_area_m2`` — in general whatever the rules'
``input`` / ``numerator`` / ``denominator`` name — and, for a circle rule, ``coverage_<rule id>``
(e.g. ``coverage_circle.eldercare15``, the share 0–1 of the community's households inside the
circle); ``coverage_<facility type>`` is accepted instead only when a single circle rule of the
profile uses that type.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from siting.policy import Profile, Rule
from siting.policy.text import number, percent

log = logging.getLogger(__name__)

MET, NOT_MET, NOT_ASSESSABLE = "met", "not_met", "not_assessable"
STATUSES = (MET, NOT_MET, NOT_ASSESSABLE)
_EPS = 1e-9  # shares computed from counts: 0.9999999999 covers everything

DETAIL_COLUMNS = ["community_id", "rule_id", "value", "threshold", "status", "missing", "reason",
                  "note"]
SUMMARY_COLUMNS = ["rule_id", "title_zh", "title_en", "threshold", "threshold_en", "unit", "source",
                   "source_title", "clause", "verify", "checked", "met", "not_met",
                   "not_assessable", "not_applicable", "missing_inputs", "aggregate",
                   "aggregate_status", "note"]


@dataclass(frozen=True)
class RuleEvaluation:
    """The verdicts of :func:`evaluate_rules`.

    Attributes
    ----------
    status : pandas.DataFrame
        Index ``community_id``; one column per checked rule, named by the rule id, with ``met`` /
        ``not_met`` / ``not_assessable``.
    detail : pandas.DataFrame
        Long table, one row per community and rule: ``community_id``, ``rule_id``, ``value`` (the
        measured figure, in the rule's unit), ``threshold`` (what it was compared with, for that
        community), ``status``, ``missing`` (the inputs that were missing, comma-separated, or
        None), ``reason`` (why a rule does not apply), ``note`` (e.g. residents estimated).
    summary : pandas.DataFrame
        One row per rule of the profile (reference values included, ``checked`` False): the
        ``rules`` table of :class:`siting.result.PlanResult`: ``rule_id``, ``title_zh``,
        ``title_en``, ``threshold`` (zh), ``threshold_en``, ``unit``, ``source``, ``source_title``,
        ``clause``, ``verify``, ``checked``, counts ``met`` / ``not_met`` / ``not_assessable``
        (``not_applicable`` counts those of them the rule does not apply to), ``missing_inputs``
        (e.g. ``"occupancy ×12"``), and for rules with a plan-wide target (``facility.coverage``)
        ``aggregate`` and ``aggregate_status``.
    profile_name : str
    """

    status: pd.DataFrame
    detail: pd.DataFrame
    summary: pd.DataFrame
    profile_name: str = ""


@dataclass
class _Outcome:
    """One rule over all communities (internal)."""

    value: pd.Series                    # float
    result: pd.Series                   # pandas "boolean": True met, False not met, NA unknown
    threshold: pd.Series                # str per community
    inputs: dict[str, pd.Series]        # input name -> values (NaN = missing)
    applicable: pd.Series | None = None  # bool; False = the rule does not apply
    reason: str = ""
    note: pd.Series | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# Input helpers
# ----------------------------------------------------------------------------------------------
def _num(m: pd.DataFrame, col: str) -> pd.Series:
    if col not in m:
        return pd.Series(np.nan, index=m.index, dtype=float)
    return pd.to_numeric(m[col], errors="coerce").astype(float)


def _flag(m: pd.DataFrame, col: str) -> pd.Series:
    """A column as nullable booleans: True/False/1/0 kept, anything else (NaN, None) NA."""
    if col not in m:
        return pd.Series(pd.NA, index=m.index, dtype="boolean")

    def one(v: Any) -> Any:
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)) and not pd.isna(v) and v in (0, 1):
            return bool(v)
        if isinstance(v, str) and v.strip().lower() in {"true", "false", "yes", "no", "1", "0"}:
            return v.strip().lower() in {"true", "yes", "1"}
        return pd.NA

    return pd.Series([one(v) for v in m[col]], index=m.index, dtype="boolean")


def _kinds(m: pd.DataFrame, profile: Profile) -> pd.Series:
    """The ``kind`` column normalised; unknown or missing kinds are NA."""
    names = set(profile.settings["kinds"]["names"])
    if "kind" not in m:
        return pd.Series(pd.NA, index=m.index, dtype=object)
    k = m["kind"].map(lambda v: v.strip().lower() if isinstance(v, str) else pd.NA)
    return k.where(k.isin(names), pd.NA).astype(object)


def _per_kind(value: Any, kinds: pd.Series, profile: Profile) -> pd.Series:
    """A number or per-kind table as a float Series over the communities (NaN: kind missing or the
    table has no number for that kind, after the profile's ``[kinds] fallback``)."""
    if not isinstance(value, Mapping):
        return pd.Series(float(value), index=kinds.index)
    fallback = profile.settings["kinds"].get("fallback", {})

    def pick(k: Any) -> float:
        if pd.isna(k):
            return np.nan
        if k in value:
            return float(value[k])
        alt = fallback.get(k)
        return float(value[alt]) if alt in value else np.nan

    return kinds.map(pick).astype(float)


def _tri(mask: pd.Series, known: pd.Series) -> pd.Series:
    """Nullable boolean: ``mask`` where ``known``, NA elsewhere."""
    out = pd.Series(mask.to_numpy(dtype=bool), index=mask.index, dtype="boolean")
    out[~known.to_numpy(dtype=bool)] = pd.NA
    return out


def _ge(a: pd.Series, b: pd.Series | float, *, strict: bool = False) -> pd.Series:
    b = b if isinstance(b, pd.Series) else pd.Series(float(b), index=a.index)
    known = a.notna() & b.notna()
    mask = (a > b) if strict else (a >= b - _EPS * np.maximum(1.0, b.abs()))
    return _tri(mask.fillna(False), known)


def _le(a: pd.Series, b: pd.Series | float) -> pd.Series:
    b = b if isinstance(b, pd.Series) else pd.Series(float(b), index=a.index)
    return _tri((a <= b).fillna(False), a.notna() & b.notna())


def _const(text: str, index: pd.Index) -> pd.Series:
    return pd.Series(text, index=index, dtype=object)


def _applies(rule: Rule, kinds: pd.Series) -> tuple[pd.Series | None, str]:
    allowed = rule.params.get("applies_to")
    if not allowed:
        return None, ""
    applicable = kinds.isna() | kinds.isin(list(allowed))
    return applicable, f"applies to {', '.join(allowed)} communities only"


# ----------------------------------------------------------------------------------------------
# Evaluators, one per rule kind
# ----------------------------------------------------------------------------------------------
def _eval_size(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    p = rule.params
    hh = _num(m, "households")
    smaller = _tri(kinds.isin(list(p.get("smaller_allowed", ()))), kinds.notna()) \
        if p.get("smaller_allowed") else pd.Series(False, index=m.index, dtype="boolean")
    result = (_ge(hh, p["min_households"]) | smaller) & _le(hh, p["max_households"])
    text = f"{number(p['min_households'])}–{number(p['max_households'])}"
    threshold = _const(text, m.index)
    if p.get("smaller_allowed"):
        threshold[smaller.fillna(False).to_numpy(bool)] = f"≤ {number(p['max_households'])}"
    inputs = {"households": hh, "kind": kinds} if p.get("smaller_allowed") else {"households": hh}
    return _Outcome(hh, result, threshold, inputs)


def _split_condition(rule: Rule, m: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    p = rule.params
    hh, radius = _num(m, "households"), _num(m, "service_radius_m")
    over = _ge(hh, p["max_households"], strict=True) & _ge(radius, p["max_radius_m"], strict=True)
    return over, hh, radius


def _eval_split(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    p = rule.params
    over, hh, radius = _split_condition(rule, m)
    text = f"not (> {number(p['max_households'])} hh and > {number(p['max_radius_m'])} m)"
    return _Outcome(hh, ~over, _const(text, m.index), {"households": hh, "service_radius_m": radius},
                    extra={"radius": radius})


def _eval_new_area(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    p = rule.params
    occ, hh = _num(m, "occupancy"), _num(m, "households")
    result = _ge(occ, p["min_occupancy"]) & _ge(hh, p["min_households"])
    result[occ.isna().to_numpy(bool)] = pd.NA  # only new areas (those with an occupancy) are judged
    text = f"occupancy ≥ {percent(p['min_occupancy'])}, ≥ {number(p['min_households'])} hh"
    return _Outcome(occ, result, _const(text, m.index), {"occupancy": occ, "households": hh})


def _eval_area(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    p = rule.params
    area, hh = _num(m, "facility_area_m2"), _num(m, "households")
    per = float(p["per_100_households_m2"])
    result = _ge(area * 100.0, hh * per, strict=bool(p.get("strict")))
    op = ">" if p.get("strict") else "≥"
    threshold = _const(f"{op} {number(per)} m²/100 hh", m.index)
    inputs: dict[str, pd.Series] = {"facility_area_m2": area, "households": hh}
    if "min_area_m2" in p:
        mins = _per_kind(p["min_area_m2"], kinds, profile)
        table = p["min_area_m2"]
        highest = max(table.values()) if isinstance(table, Mapping) else float(table)
        # kind known but no minimum for it: no minimum; kind unknown: met only above every minimum
        no_min = kinds.notna() & mins.isna()
        cond = _ge(area, mins.fillna(0.0))
        cond[kinds.isna().to_numpy(bool)] = pd.NA
        cond[(kinds.isna() & (area >= highest)).to_numpy(bool)] = True
        cond[no_min.to_numpy(bool)] = _tri(area.notna(), area.notna())[no_min.to_numpy(bool)]
        result = result & cond
        threshold = threshold + mins.map(lambda v: "" if pd.isna(v) else f", ≥ {number(v)} m²")
        inputs["kind"] = kinds
    value = (area / hh * 100.0).where(hh > 0)
    return _Outcome(value, result, threshold, inputs)


def _eval_share(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    p = rule.params
    if "input" in p:
        share = _num(m, p["input"])
        inputs = {p["input"]: share}
    else:
        num, den = _num(m, p["numerator"]), _num(m, p["denominator"])
        share = (num / den).where(den > 0)
        inputs = {p["numerator"]: num, p["denominator"]: den.where(den > 0)}
    return _Outcome(share, _ge(share, p["min_share"]), _const(f"≥ {percent(p['min_share'])}",
                    m.index), inputs)


def coverage_column(rule: Rule, profile: Profile, columns: Any) -> str:
    """The metrics column holding a circle rule's coverage share (see the module docstring)."""
    own = f"coverage_{rule.id}"
    if own in columns:
        return own
    ftype = rule.params["facility_type"]
    same_type = [r for r in profile.circle_rules() if r.params["facility_type"] == ftype]
    if len(same_type) == 1 and f"coverage_{ftype}" in columns:
        return f"coverage_{ftype}"
    return own


def _eval_circle(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    col = coverage_column(rule, profile, m.columns)
    share = _num(m, col)
    target = float(rule.params["target_share"])
    text = f"≥ {percent(target)} within {number(round(profile.circle_radius_m(rule)))} m"
    return _Outcome(share, _ge(share, target), _const(text, m.index), {col: share})


def _eval_flag(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    col = rule.params["input"]
    flag = _flag(m, col)
    value = flag.astype("Float64").astype(float)
    return _Outcome(value, flag.copy(), _const("yes", m.index), {col: value})


def _eval_count(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    p = rule.params
    n = _num(m, p["input"])
    mins = _per_kind(p["min_count"], kinds, profile)
    result = _ge(n, mins)
    inputs = {p["input"]: n}
    applicable = None
    if isinstance(p["min_count"], Mapping):
        inputs["kind"] = kinds
        applicable = ~(kinds.notna() & mins.isna())
    threshold = mins.map(lambda v: "" if pd.isna(v) else f"≥ {number(v)}")
    return _Outcome(n, result, threshold, inputs, applicable=applicable,
                    reason="the profile sets no number for this kind")


def _eval_staff(rule: Rule, m: pd.DataFrame, profile: Profile, kinds: pd.Series) -> _Outcome:
    p = rule.params
    n, res = _num(m, p["input"]), _num(m, "residents")
    per = float(p["per_residents"])
    rate_min = _per_kind(p["min_per"], kinds, profile)
    result = _ge(n * per, rate_min * res)
    threshold = rate_min.map(lambda v: "" if pd.isna(v) else f"≥ {number(v)} per {number(per)}")
    inputs = {p["input"]: n, "residents": res}
    if isinstance(p["min_per"], Mapping):
        inputs["kind"] = kinds
    if "min_count" in p:
        counts = _per_kind(p["min_count"], kinds, profile)
        known_kind = kinds.notna() if isinstance(p["min_count"], Mapping) else pd.Series(True, m.index)
        cond = _ge(n, counts.fillna(0.0))
        cond[(~known_kind).to_numpy(bool)] = pd.NA
        result = result & cond
        threshold = threshold + counts.map(lambda v: "" if pd.isna(v) else f", ≥ {number(v)}")
        if isinstance(p["min_count"], Mapping):
            inputs["kind"] = kinds
    note = None
    if "residents_estimated" in m:
        est = _flag(m, "residents_estimated").fillna(False).to_numpy(bool)
        note = pd.Series(["residents estimated from households" if e else None for e in est],
                         index=m.index, dtype=object)
    value = (n / res * per).where(res > 0)
    return _Outcome(value, result, threshold, inputs, note=note)


_EVALUATORS: dict[str, Callable[[Rule, pd.DataFrame, Profile, pd.Series], _Outcome]] = {
    "size": _eval_size, "split": _eval_split, "new_area": _eval_new_area, "area": _eval_area,
    "share": _eval_share, "circle": _eval_circle, "flag": _eval_flag, "count": _eval_count,
    "staff": _eval_staff,
}


# ----------------------------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------------------------
def evaluate_rules(metrics: pd.DataFrame, profile: Profile) -> RuleEvaluation:
    """Mark every community against every checked rule of ``profile``.

    Parameters
    ----------
    metrics : pandas.DataFrame
        One row per community, index ``community_id``; columns as the module docstring lists.
        Absent columns and NaN values make the rules that need them ``not_assessable``.
    profile : siting.policy.Profile

    Returns
    -------
    RuleEvaluation
        ``status`` (wide), ``detail`` (long) and ``summary`` (one row per rule).
    """
    m = metrics.copy()
    m.index = m.index.rename("community_id")
    kinds = _kinds(m, profile)
    status = pd.DataFrame(index=m.index)
    details: list[pd.DataFrame] = []
    counts: dict[str, dict[str, Any]] = {}
    for rule in profile.checked_rules():
        out = _EVALUATORS[rule.kind](rule, m, profile, kinds)
        applicable, reason = _applies(rule, kinds)
        if applicable is not None:
            out.result = out.result.copy()
            out.result[kinds.isna().to_numpy(bool)] = pd.NA
            out.inputs.setdefault("kind", kinds)
            out.applicable = applicable if out.applicable is None else (out.applicable & applicable)
            out.reason = reason if not out.reason else f"{reason}; {out.reason}"
        col, frame, count = _verdicts(rule, out, m.index)
        status[rule.id] = col
        details.append(frame)
        counts[rule.id] = count
        if rule.kind == "flag" and "target_share" in rule.params:
            counts[rule.id].update(_aggregate(rule, out.result, kinds, profile))
    detail = pd.concat(details, ignore_index=True) if details else pd.DataFrame(
        columns=DETAIL_COLUMNS)
    for col in ("missing", "reason", "note"):  # text columns: None when empty, never NaN
        detail[col] = detail[col].astype(object).where(detail[col].notna(), None)
    summary = _summary(profile, counts)
    log.debug("rules: %d checked over %d communities", len(counts), len(m))
    return RuleEvaluation(status=status, detail=detail[DETAIL_COLUMNS], summary=summary,
                          profile_name=profile.name)


def size_band(metrics: pd.DataFrame, profile: Profile, *, rule_id: str = "size.urban") -> pd.Series:
    """``"under"`` / ``"within"`` / ``"over"`` the household band of ``size.urban`` (None where
    households are unknown). Reported for every community whatever its kind."""
    p = profile.rule(rule_id).params
    hh = _num(metrics, "households")
    band = np.select([hh < p["min_households"], hh > p["max_households"]], ["under", "over"],
                     default="within").astype(object)
    band[hh.isna().to_numpy()] = None
    return pd.Series(band, index=metrics.index, name="size_band", dtype=object)


def oversized(metrics: pd.DataFrame, profile: Profile, *, rule_id: str = "size.split") -> pd.Series:
    """True where ``size.split`` is broken: households > 3,000 AND service radius > 2 km.

    NaN-safe: where either is unknown the community is not flagged (False) — and the rule's column
    in :func:`evaluate_rules` says ``not_assessable`` unless the other condition already settles it.
    """
    over, _, _ = _split_condition(profile.rule(rule_id), metrics)
    return pd.Series(over.fillna(False).to_numpy(bool), index=metrics.index, name="oversized")


def _verdicts(rule: Rule, out: _Outcome, index: pd.Index) -> tuple[pd.Series, pd.DataFrame,
                                                                   dict[str, Any]]:
    result = out.result
    met = result.fillna(False).to_numpy(bool)
    not_met = (~result).fillna(False).to_numpy(bool)
    applicable = (np.ones(len(index), bool) if out.applicable is None
                  else out.applicable.fillna(True).to_numpy(bool))
    status = np.where(met, MET, np.where(not_met, NOT_MET, NOT_ASSESSABLE)).astype(object)
    status[~applicable] = NOT_ASSESSABLE
    unknown = (status == NOT_ASSESSABLE) & applicable
    missing_lists: list[list[str]] = [[] for _ in range(len(index))]
    for name, series in out.inputs.items():
        absent = pd.isna(series).to_numpy(bool) & unknown
        for i in np.flatnonzero(absent):
            missing_lists[i].append(name)
    missing = [", ".join(x) if x else None for x in missing_lists]
    reason = [None if ok else (out.reason or "not applicable") for ok in applicable]
    value = pd.to_numeric(out.value, errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)
    frame = pd.DataFrame({
        "community_id": index.to_numpy(),
        "rule_id": rule.id,
        "value": value.to_numpy(),
        "threshold": out.threshold.to_numpy(),
        "status": status,
        "missing": missing,
        "reason": reason,
        "note": out.note.to_numpy() if out.note is not None else None,
    })
    tally: dict[str, int] = {}
    for names in missing_lists:
        for name in names:
            tally[name] = tally.get(name, 0) + 1
    count = {
        MET: int((status == MET).sum()),
        NOT_MET: int((status == NOT_MET).sum()),
        NOT_ASSESSABLE: int((status == NOT_ASSESSABLE).sum()),
        "not_applicable": int((~applicable).sum()),
        "missing_inputs": "; ".join(f"{k} ×{v}" for k, v in tally.items()) or None,
    }
    return pd.Series(status, index=index, name=rule.id, dtype=object), frame, count


def _aggregate(rule: Rule, result: pd.Series, kinds: pd.Series, profile: Profile) -> dict[str, Any]:
    """Plan-wide share of communities where the flag is true, per kind, against ``target_share``."""
    targets = rule.params["target_share"]
    parts, verdicts = [], []
    for kind in profile.settings["kinds"]["names"]:
        sel = (kinds == kind).fillna(False).to_numpy(bool)
        if not sel.any():
            continue
        target = _per_kind(targets, pd.Series([kind]), profile).iloc[0]
        if pd.isna(target):
            continue
        known = result[sel].dropna()
        if known.empty:
            parts.append(f"{kind}: no data")
            verdicts.append(NOT_ASSESSABLE)
            continue
        share = float(known.astype(bool).mean())
        verdicts.append(MET if share >= target - _EPS else NOT_MET)
        unknown = int(sel.sum()) - len(known)
        parts.append(f"{kind}: {int(known.sum())}/{len(known)} = {percent(share)} "
                     f"(target {percent(target)})" + (f", {unknown} unknown" if unknown else ""))
    if not verdicts:
        agg_status = NOT_ASSESSABLE
    elif NOT_MET in verdicts:
        agg_status = NOT_MET
    elif NOT_ASSESSABLE in verdicts:
        agg_status = NOT_ASSESSABLE
    else:
        agg_status = MET
    return {"aggregate": "; ".join(parts) or None, "aggregate_status": agg_status}


def _summary(profile: Profile, counts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    rows = []
    for rule in profile.rules.values():
        c = counts.get(rule.id, {})
        source = profile.sources.get(rule.source)
        rows.append({
            "rule_id": rule.id,
            "title_zh": rule.title_zh,
            "title_en": rule.title_en,
            "threshold": profile.threshold_text(rule.id, "zh"),
            "threshold_en": profile.threshold_text(rule.id, "en"),
            "unit": rule.unit,
            "source": rule.source,
            "source_title": source.title if source else None,
            "clause": rule.clause,
            "verify": profile.needs_verification(rule.id),
            "checked": rule.checked,
            "met": c.get(MET, 0),
            "not_met": c.get(NOT_MET, 0),
            "not_assessable": c.get(NOT_ASSESSABLE, 0),
            "not_applicable": c.get("not_applicable", 0),
            "missing_inputs": c.get("missing_inputs") if rule.checked
            else "reference value, not checked per community",
            "aggregate": c.get("aggregate"),
            "aggregate_status": c.get("aggregate_status"),
            "note": rule.note or None,
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
