"""Charts for the report (inline SVG) and the static overview that stands in for the map offline (PNG).

matplotlib draws everything (object API, no pyplot state). Chinese text without a font dependency:
the SVG keeps text as text (``svg.fonttype = none``) with a CJK-first font-family list, so the
reader's browser draws the characters with whatever CJK font it has (every machine set up for
Chinese has one), while this machine needs none. matplotlib lays the text out with DejaVu metrics,
which only shifts spacing slightly; its "glyph missing" warnings are silenced for that reason.
"""

from __future__ import annotations

import base64
import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from siting.report.i18n import label, subject_name, type_name
from siting.report.tables import coverage_table, rule_titles, walking_speed
from siting.result import PlanResult

logger = logging.getLogger(__name__)

CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
             "Hiragino Sans GB", "WenQuanYi Micro Hei", "SimHei", "DejaVu Sans"]
STATUS_COLOURS = {"met": "#1a9850", "not_met": "#d73027", "not_assessable": "#9e9e9e"}
TYPE_COLOURS = {
    "service_center": "#1f78b4", "eldercare": "#e7298a", "fitness": "#33a02c", "shelter": "#ff7f00",
    "health": "#e31a1c", "school": "#6a3d9a", "kindergarten": "#b15928", "market": "#a6761d",
}
_EXTRA = ["#17becf", "#bcbd22", "#8c564b", "#7f7f7f", "#9467bd", "#2ca02c", "#d62728"]


def type_colour(facility_type: str) -> str:
    """A stable colour per facility type (known types fixed, others from a spare palette)."""
    if facility_type in TYPE_COLOURS:
        return TYPE_COLOURS[facility_type]
    return _EXTRA[sum(map(ord, str(facility_type))) % len(_EXTRA)]


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "sans-serif",
                                "font.sans-serif": CJK_FONTS, "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False}), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _png_base64(fig: Figure, *, dpi: int = 110) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def households_chart(result: PlanResult, language: str) -> str | None:
    """Bar chart of households per community against the 1,000–3,000 band (SVG), or None."""
    c = result.communities
    if "households" not in c.columns or len(c) == 0:
        return None
    hh = pd.to_numeric(c["households"], errors="coerce").fillna(0).sort_values(ascending=False)
    names = [str(i) for i in hh.index]
    colours = ["#d73027" if v > 3000 else "#fdae61" if v < 1000 else "#1a9850" for v in hh]
    with _style():
        fig = Figure(figsize=(min(12, 2 + 0.25 * len(hh)), 3.2))
        ax = fig.add_subplot()
        ax.axhspan(1000, 3000, color="#1a9850", alpha=0.10, label=f"1,000–3,000 ({label('band', language)})")
        ax.bar(range(len(hh)), hh.to_numpy(), color=colours)
        ax.axhline(1000, color="#1a9850", lw=0.8, ls="--")
        ax.axhline(3000, color="#d73027", lw=0.8, ls="--")
        vertical = len(hh) > 12 or max(map(len, names)) * len(hh) > 60
        ax.set_xticks(range(len(hh)), names, rotation=90 if vertical else 0, fontsize=7)
        ax.set_ylabel(label("households_axis", language))
        ax.legend(loc="upper right", frameon=False)
        return _svg(fig)


def coverage_chart(result: PlanResult, language: str) -> str | None:
    """Horizontal bars: share of households covered per facility type (SVG), or None."""
    cov = coverage_table(result)
    if cov.empty:
        return None
    with _style():
        fig = Figure(figsize=(6, 0.5 + 0.4 * len(cov)))
        ax = fig.add_subplot()
        y = np.arange(len(cov))
        ax.barh(y, cov["coverage_pct"].fillna(0).to_numpy(),
                color=[type_colour(t) for t in cov["type"]])
        titles = rule_titles(result, language)
        ax.set_yticks(y, [subject_name(t, language, titles, result.profile) for t in cov["type"]])
        ax.set_xlim(0, 100)
        ax.set_xlabel(label("share_axis", language))
        for yi, v in zip(y, cov["coverage_pct"]):
            ax.text((v if np.isfinite(v) else 0) + 1, float(yi),
                    f"{v:.0f}%" if np.isfinite(v) else "–", va="center", fontsize=8)
        ax.invert_yaxis()
        return _svg(fig)


def distance_chart(result: PlanResult, language: str) -> str | None:
    """Household-weighted cumulative distribution of the distance to each facility type (SVG)."""
    cols = [c for c in result.households.columns
            if str(c).startswith("dist_") and str(c).endswith("_m")]
    if not cols or len(result.households) == 0:
        return None
    w_all = pd.to_numeric(result.households.get("households", 1), errors="coerce")
    w_all = (w_all if isinstance(w_all, pd.Series) else pd.Series(1.0, index=result.households.index))
    w_all = w_all.fillna(0).to_numpy(dtype=float)
    speed, _ = walking_speed(result)
    with _style():
        fig = Figure(figsize=(8, 4))
        ax = fig.add_subplot()
        for col in cols:
            d = pd.to_numeric(result.households[col], errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(d)
            if not ok.any() or w_all.sum() <= 0:
                continue
            order = np.argsort(d[ok])
            # share of ALL households (unreachable ones never reach 100 %)
            cum = np.cumsum(w_all[ok][order]) / w_all.sum() * 100.0
            x = d[ok][order]
            if len(x) > 2000:  # keep the SVG small: 2,000 steps draw the same curve
                pick = np.unique(np.linspace(0, len(x) - 1, 2000).astype(int))
                x, cum = x[pick], cum[pick]
            t = str(col)[5:-2]
            ax.step(x, cum, where="post", color=type_colour(t), label=type_name(t, language, result.profile))
        for minutes in (5, 10, 15):
            x = circle_distance_m(result, minutes, speed)
            ax.axvline(x, color="#555555", lw=0.6, ls=":")
            ax.text(x, 101, f"{minutes} min", fontsize=7, ha="center", va="bottom")
        ax.set_ylim(0, 108)
        ax.set_xlabel(label("distance_axis", language))
        ax.set_ylabel(label("cumulative_axis", language))
        ax.legend(frameon=False, fontsize=8, loc="lower right")
        return _svg(fig)


def circle_distance_m(result: PlanResult, minutes: float, speed: float) -> float:
    """The profile's walking distance of an n-minute circle (GB 50180: 5 min ≈ 300 m), else speed × n."""
    walk = getattr(result.profile, "walk_distance_m", None)
    if callable(walk):
        try:
            return float(walk(minutes))
        except Exception:  # noqa: BLE001 - a duck-typed profile may fail any way: use the speed
            logger.debug("profile.walk_distance_m(%s) failed", minutes)
    return minutes * speed


def community_colours(result: PlanResult, color_by: str) -> pd.Series:
    """Fill colour per community: by a rule's status, or by ``oversized`` (true red, false green)."""
    c = result.communities
    if color_by == "oversized" and "oversized" in c.columns:
        def pick(v: object) -> str:
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                return STATUS_COLOURS["not_assessable"]
            return STATUS_COLOURS["not_met"] if bool(v) else STATUS_COLOURS["met"]
        return c["oversized"].map(pick)
    if color_by in c.columns:
        return c[color_by].map(lambda v: STATUS_COLOURS.get(v, STATUS_COLOURS["not_assessable"]))
    return pd.Series(STATUS_COLOURS["not_assessable"], index=c.index)


def overview_png(result: PlanResult, *, color_by: str = "oversized") -> str:
    """A static overview in the plan's CRS (base64 PNG): communities, split parts, households, sites."""
    with _style():
        fig = Figure(figsize=(7, 7))
        ax = fig.add_subplot()
        c = result.communities
        if len(c):
            c.plot(ax=ax, color=community_colours(result, color_by).to_numpy(), alpha=0.35,
                   edgecolor="#333333", linewidth=0.8)
        if result.split_proposals is not None and len(result.split_proposals):
            result.split_proposals.boundary.plot(ax=ax, color="#6a3d9a", linewidth=1.2, linestyle="--")
        h = result.households
        if len(h):
            w = pd.to_numeric(h.get("households", 1), errors="coerce")
            w = w.fillna(1).to_numpy(dtype=float) if isinstance(w, pd.Series) else np.ones(len(h))
            size = 2 + 30 * np.sqrt(w / max(w.max(), 1))
            ax.scatter(h.geometry.x, h.geometry.y, s=size, color="#444444", alpha=0.5, linewidths=0)
        f = result.facilities
        if f is not None and len(f) and "type" in f.columns:
            pts = f.geometry.representative_point()
            ax.scatter(pts.x, pts.y, s=40, c=[type_colour(t) for t in f["type"].astype(str)],
                       edgecolors="white", linewidths=0.8, zorder=3)
        s = result.sites
        if s is not None and len(s) and "status" in s.columns:
            new = s[s["status"] == "new"]
            pts = new.geometry.representative_point()
            ax.scatter(pts.x, pts.y, s=160, marker="*",
                       c=[type_colour(t) for t in new.get("type", pd.Series("", index=new.index))],
                       edgecolors="black", linewidths=0.8, zorder=4)
        ax.set_aspect("equal")
        ax.set_axis_off()
        return _png_base64(fig)
