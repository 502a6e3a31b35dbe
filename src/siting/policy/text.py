"""Thresholds in words, in Chinese or English, with their citation.

Plain string formatting written by hand: one short template per rule kind, filled from the rule's
numbers so a report can never show a threshold that differs from the one the engine applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siting.policy.profile import Profile, Rule

KIND_LABELS = {
    "zh": {"urban": "城市", "town": "城镇", "rural": "农村"},
    "en": {"urban": "urban", "town": "town", "rural": "rural"},
}
VERIFY_MARK = {"zh": "【默认值，待核实】", "en": " [default value: verify against the standard]"}


def number(value: float) -> str:
    """``1000`` → ``"1,000"``, ``66.7`` → ``"66.7"``."""
    value = float(value)
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}"


def percent(share: float) -> str:
    """``0.7`` → ``"70 %"``."""
    return f"{share * 100:.4g} %"


def _label(kind: str, language: str) -> str:
    return KIND_LABELS[language].get(kind, kind)


def _per_kind(value: Any, fmt: Any, language: str, *, joiner: str | None = None) -> str:
    """A number or a per-kind table in words: ``urban ≥ 300 m², rural ≥ 200 m²``."""
    if not isinstance(value, Mapping):
        return fmt(value)
    joiner = joiner or ("，" if language == "zh" else ", ")
    return joiner.join(f"{_label(k, language)} {fmt(v).strip()}" for k, v in value.items())


def threshold_text(profile: Profile, rule: Rule, *, language: str = "zh") -> str:
    """The threshold of ``rule`` in words, followed by its citation and a verify mark if needed.

    Parameters
    ----------
    profile : Profile
        The profile the rule belongs to (for the walking distances and verify marks).
    rule : Rule
    language : {"zh", "en"}

    Returns
    -------
    str
        E.g. ``"≥ 30 m²/100户；城市 ≥ 300 m²，农村 ≥ 200 m² (QH-2017 §19)"``.
    """
    if language not in ("zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', got {language!r}")
    body = _BODY[rule.kind](rule.params, language, profile)
    text = f"{body} ({rule.citation})"
    if profile.needs_verification(rule.id):
        text += VERIFY_MARK[language]
    return text


def _size(p: Mapping[str, Any], lang: str, _: Any) -> str:
    lo, hi = number(p["min_households"]), number(p["max_households"])
    smaller = p.get("smaller_allowed") or ()
    if lang == "zh":
        text = f"{lo}–{hi} 户"
        if smaller:
            text += "；" + "、".join(_label(k, lang) for k in smaller) + "社区可少于下限"
        return text
    text = f"{lo}–{hi} households"
    if smaller:
        text += "; " + ", ".join(_label(k, lang) for k in smaller) + " communities may be smaller"
    return text


def _split(p: Mapping[str, Any], lang: str, _: Any) -> str:
    hh, r = number(p["max_households"]), number(p["max_radius_m"])
    if lang == "zh":
        return f"不得同时 > {hh} 户且服务半径 > {r} m（否则调整管辖范围）"
    return f"not both > {hh} households and service radius > {r} m (else split)"


def _new_area(p: Mapping[str, Any], lang: str, _: Any) -> str:
    occ, hh = percent(p["min_occupancy"]), number(p["min_households"])
    if lang == "zh":
        return f"入住率 ≥ {occ} 且 ≥ {hh} 户方单独设立居委会"
    return f"own committee once occupancy ≥ {occ} and ≥ {hh} households"


def _area(p: Mapping[str, Any], lang: str, _: Any) -> str:
    op = ">" if p.get("strict") else "≥"
    per = number(p["per_100_households_m2"])
    text = f"{op} {per} m²/100户" if lang == "zh" else f"{op} {per} m²/100 households"
    if "min_area_m2" in p:
        mins = _per_kind(p["min_area_m2"], lambda v: f"≥ {number(v)} m²", lang)
        text += ("；" if lang == "zh" else "; ") + mins
    return text


def _share(p: Mapping[str, Any], lang: str, _: Any) -> str:
    return f"≥ {percent(p['min_share'])}"


def _circle(p: Mapping[str, Any], lang: str, profile: Profile) -> str:
    target = percent(p["target_share"])
    radius = number(round(float(p["radius_m"])))
    if "radius_rule" in p:
        if lang == "zh":
            return f"步行 {radius} m 内的户数占比 ≥ {target}"
        return f"≥ {target} of households within {radius} m walk"
    minutes = number(p["minutes"])
    if lang == "zh":
        pace = "，按老年人步速" if p.get("elderly") else ""
        return f"步行 {minutes} 分钟（约 {radius} m{pace}）内的户数占比 ≥ {target}"
    pace = ", elderly pace" if p.get("elderly") else ""
    return f"≥ {target} of households within a {minutes}-minute walk (≈ {radius} m{pace})"


def _flag(p: Mapping[str, Any], lang: str, _: Any) -> str:
    text = "是" if lang == "zh" else "yes"
    if "max_distance_m" in p:
        d = number(p["max_distance_m"])
        text += f"（相距 ≤ {d} m）" if lang == "zh" else f" (within {d} m)"
    if "target_share" in p:
        shares = _per_kind(p["target_share"], percent, lang)
        text += ("；社区覆盖率 " if lang == "zh" else "; share of communities: ") + shares
    return text


def _count(p: Mapping[str, Any], lang: str, _: Any) -> str:
    unit = " 个" if lang == "zh" else ""
    return _per_kind(p["min_count"], lambda v: f"≥ {number(v)}{unit}", lang)


def _staff(p: Mapping[str, Any], lang: str, _: Any) -> str:
    per = float(p["per_residents"])
    rate = _per_kind(p["min_per"], lambda v: number(v), lang)
    if lang == "zh":
        if per == 1000:
            text = f"≥ {rate} ‰ 居民"
        elif per % 10000 == 0:
            text = f"≥ {rate} 人/{number(per / 10000)}万居民".replace("/1万", "/万")
        else:
            text = f"≥ {rate} 人/{number(per)} 居民"
    else:
        text = f"≥ {rate} per {number(per)} residents"
    if "min_count" in p:
        unit = " 人" if lang == "zh" else ""
        counts = _per_kind(p["min_count"], lambda v: f"≥ {number(v)}{unit}", lang)
        text += ("，且" if lang == "zh" else "; and ") + counts
    return text


def _walk(p: Mapping[str, Any], lang: str, _: Any) -> str:
    pts = [(number(m), number(d)) for m, d in zip(p["minutes"], p["distance_m"])]
    speed = number(p["speed_m_per_min"])
    if lang == "zh":
        return "，".join(f"{m} 分钟 {d} m" for m, d in pts) + f"；其后 {speed} m/分钟"
    return ", ".join(f"{m} min = {d} m" for m, d in pts) + f"; beyond: {speed} m/min"


def _walk_elderly(p: Mapping[str, Any], lang: str, _: Any) -> str:
    f = number(p["speed_factor"])
    return f"老年人步行距离 × {f}" if lang == "zh" else f"elderly walking distance × {f}"


def _life_circle(p: Mapping[str, Any], lang: str, _: Any) -> str:
    lo, hi, m = number(p["min_residents"]), number(p["max_residents"]), number(p["minutes"])
    return f"{m} 分钟生活圈 {lo}–{hi} 人" if lang == "zh" else \
        f"{m}-minute life circle: {lo}–{hi} residents"


def _class_values(value: Any, unit: str, lang: str) -> str:
    if not isinstance(value, Mapping):
        return f"{number(value)} {unit}"
    names = {"short": ("短期", "short"), "medium": ("中期", "medium"), "long": ("长期", "long")}
    idx = 0 if lang == "zh" else 1
    return " / ".join(f"{names.get(k, (k, k))[idx]} {number(v)}" for k, v in value.items()) \
        + f" {unit}"


def _shelter_class(p: Mapping[str, Any], lang: str, _: Any) -> str:
    r = _class_values(p["radius_m"], "m", lang)
    a = _class_values(p["area_per_person_m2"], "m²", lang)
    if lang == "zh":
        return f"服务半径 ≤ {r}；人均有效避难面积 ≥ {a}"
    return f"radius ≤ {r}; effective area ≥ {a} per person"


def _facility_standard(p: Mapping[str, Any], lang: str, _: Any) -> str:
    parts = []
    if "radius_m" in p:
        parts.append(f"≤ {number(p['radius_m'])} m")
    if "min_area_m2" in p or "max_area_m2" in p:
        lo = number(p["min_area_m2"]) if "min_area_m2" in p else ""
        hi = number(p["max_area_m2"]) if "max_area_m2" in p else ""
        parts.append(f"{lo}–{hi} m²")
    return ("；" if lang == "zh" else "; ").join(parts)


_BODY = {
    "size": _size, "split": _split, "new_area": _new_area, "area": _area, "share": _share,
    "circle": _circle, "flag": _flag, "count": _count, "staff": _staff, "walk": _walk,
    "walk_elderly": _walk_elderly, "life_circle": _life_circle, "shelter_class": _shelter_class,
    "facility_standard": _facility_standard,
}
