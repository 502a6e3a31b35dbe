"""Checks shared by every reader: ids, numbers, choices, geometries.

Each check adds what it finds to a :class:`siting.errors.Problems` collector instead of raising, so a
reader reports every problem of a file in one :class:`~siting.errors.InputError`. Every problem names
the feature(s) (by id when the file has one, else by 1-based row), the column and the fix. When many
rows share one problem the message lists the first few and counts the rest, so one bad column in a
million-row file gives a readable message.

pandas does the type coercion (:func:`pandas.to_numeric`) and shapely the geometry work
(:func:`shapely.make_valid`, :func:`shapely.is_valid`); the checks themselves are written here because
they are specific to the contract's tables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.errors import Problems

logger = logging.getLogger(__name__)

LIST_LIMIT = 8


class FileProblems(Problems):
    """:class:`~siting.errors.Problems` whose messages always end in a full stop before the fix."""

    def add(self, message: str, **kwargs: str | None) -> None:  # type: ignore[override]
        message = message.rstrip()
        if message and message[-1] not in ".!?。":
            message += "."
        super().add(message, **kwargs)

_POLYGONAL = {"Polygon", "MultiPolygon"}
_POINT = {"Point"}


def feature_list(labels: pd.Series, mask: np.ndarray | pd.Series, *, limit: int = LIST_LIMIT) -> str:
    """Name the features selected by ``mask``: the first ``limit`` and a count of the rest."""
    chosen = list(np.asarray(labels)[np.asarray(mask, dtype=bool)])
    text = ", ".join(str(c) for c in chosen[:limit])
    if len(chosen) > limit:
        text += f" (and {len(chosen) - limit} more)"
    return text


def row_labels(n: int) -> pd.Series:
    """Labels ``row 1`` … ``row n`` (1-based, data rows, header not counted)."""
    return pd.Series(("row " + pd.Series(np.arange(1, n + 1)).astype(str)).to_numpy(dtype=object),
                     dtype=object)


def find_column(df: pd.DataFrame, name: str, aliases: Sequence[str] = ()) -> str | None:
    """The column of ``df`` holding ``name``: exact, then any alias, case-insensitively, then the
    10-character name a Shapefile truncates it to. None when absent."""
    cols = [c for c in df.columns if c != getattr(df, "_geometry_column_name", None)]
    for want in (name, *aliases):
        if want in cols:
            return want
    lower = {str(c).lower(): c for c in cols}
    for want in (name, *aliases):
        if want.lower() in lower:
            return lower[want.lower()]
    for want in (name, *aliases):
        if len(want) > 10 and want[:10].lower() in lower:
            return lower[want[:10].lower()]
    return None


def _id_text(values: pd.Series) -> pd.Series:
    """Ids as stripped strings, None for blanks; whole floats (1.0, from columns with blanks)
    become '1'. Vectorised: files can hold a million households."""
    s = values.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(object)
    if pd.api.types.is_float_dtype(s):
        arr = s.to_numpy(dtype=float)
        blank = np.isnan(arr)
        whole = ~blank & (arr == np.floor(arr)) & (np.abs(arr) < 2**62)
        text = s.astype(str).to_numpy(dtype=object)
        text[whole] = arr[whole].astype(np.int64).astype(str)
    elif pd.api.types.is_integer_dtype(s):
        text = s.astype(str).to_numpy(dtype=object)
        blank = np.zeros(len(s), dtype=bool)
    else:
        t = s.astype("string").str.strip()
        blank = (t.isna() | (t == "")).to_numpy(dtype=bool)
        text = t.to_numpy(dtype=object, na_value=None)
    text = np.asarray(text, dtype=object)
    text[blank] = None
    return pd.Series(text, dtype=object)


def _prefixed(prefix: str, values: pd.Series) -> pd.Series:
    """``prefix + value`` for every value, vectorised, as an object Series."""
    joined = (prefix + values.astype(str)).to_numpy(dtype=object)
    return pd.Series(joined, dtype=object)


def make_ids(n: int, prefix: str) -> list[str]:
    """Stable generated ids ``<prefix>000001`` … in row order."""
    width = max(6, len(str(n)))
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def check_ids(
    df: pd.DataFrame,
    id_name: str,
    problems: Problems,
    *,
    required: bool,
    prefix: str,
) -> tuple[pd.Series, pd.Series]:
    """Read the id column (as strings) and the labels naming each row in messages.

    Missing column: a problem when ``required``, else generated ids ``<prefix>000001``… (logged).
    Blank or duplicate ids are problems.

    Returns
    -------
    ids, labels : pandas.Series
        Positionally aligned with ``df``.
    """
    n = len(df)
    rows = row_labels(n)
    col = find_column(df, id_name)
    if col is None:
        if required:
            problems.add(
                f"the required id column `{id_name}` is missing",
                column=id_name,
                fix=f"add a `{id_name}` column with a unique id for every feature",
            )
            return pd.Series(make_ids(n, prefix), dtype=object), rows
        logger.info("%s: no `%s` column; generated ids %s…", problems.source, id_name, f"{prefix}000001")
        ids = pd.Series(make_ids(n, prefix), dtype=object)
        return ids, _prefixed(f"{id_name}=", ids)
    ids = _id_text(df[col].reset_index(drop=True))
    blank = ids.isna().to_numpy()
    labels = _prefixed(f"{id_name}=", ids.where(~blank, ""))
    labels[blank] = rows[blank]
    if blank.any():
        problems.add(
            f"{int(blank.sum())} feature(s) have no id",
            feature=feature_list(rows, blank),
            column=col,
            fix=f"give every feature a `{id_name}`"
            + ("" if required else ", or drop the column to have ids generated"),
        )
    dup = ids.duplicated(keep=False).to_numpy() & ~blank
    if dup.any():
        values = sorted(set(ids[dup]))
        problems.add(
            f"{len(values)} id(s) are used more than once ({int(dup.sum())} features): "
            + ", ".join(values[:LIST_LIMIT])
            + (" …" if len(values) > LIST_LIMIT else ""),
            feature=feature_list(rows, dup),
            column=col,
            fix=f"make every `{id_name}` unique",
        )
    if blank.any():  # placeholders only; the problem above stops the read
        filler = np.asarray(make_ids(n, prefix + "_missing_"), dtype=object)
        ids = pd.Series(np.where(blank, filler, ids.to_numpy(dtype=object)), dtype=object)
    return ids, labels


def to_number(
    df: pd.DataFrame,
    name: str,
    labels: pd.Series,
    problems: Problems,
    *,
    required: bool = False,
    integer: bool = False,
    allow_blank: bool = True,
    aliases: Sequence[str] = (),
) -> pd.Series | None:
    """A numeric column checked for non-numbers, negatives and (with ``integer``) fractions.

    Returns None when the column is absent (a problem if ``required``), else a float Series
    positionally aligned with ``df`` (blanks NaN).
    """
    col = find_column(df, name, aliases)
    if col is None:
        if required:
            problems.add(
                f"the required column `{name}` is missing",
                column=name,
                fix=f"add a `{name}` column",
            )
        return None
    raw = df[col].reset_index(drop=True)
    text = raw.astype("string").str.strip()
    blank = (raw.isna() | (text == "")).to_numpy()
    values = pd.to_numeric(raw.where(~blank), errors="coerce").astype(float)
    bad = values.isna().to_numpy() & ~blank
    if bad.any():
        sample = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:3])
        problems.add(
            f"{int(bad.sum())} value(s) are not numbers (e.g. {sample})",
            feature=feature_list(labels, bad),
            column=col,
            fix=f"write `{name}` as plain numbers (no units, no thousands separators)",
        )
    if blank.any() and not allow_blank:
        problems.add(
            f"{int(blank.sum())} value(s) are blank",
            feature=feature_list(labels, blank),
            column=col,
            fix=f"fill in `{name}` for every feature",
        )
    neg = (values < 0).to_numpy()
    if neg.any():
        problems.add(
            f"{int(neg.sum())} value(s) are negative",
            feature=feature_list(labels, neg),
            column=col,
            fix=f"`{name}` must be zero or more",
        )
    if integer:
        frac = (np.isfinite(values) & (values != np.round(values))).to_numpy()
        if frac.any():
            problems.add(
                f"{int(frac.sum())} value(s) are not whole numbers",
                feature=feature_list(labels, frac),
                column=col,
                fix=f"`{name}` counts households: use whole numbers",
            )
    return values


def to_text(df: pd.DataFrame, name: str, aliases: Sequence[str] = ()) -> pd.Series | None:
    """A text column as stripped strings (None for blanks), or None when absent."""
    col = find_column(df, name, aliases)
    if col is None:
        return None
    return omap(df[col], lambda v: None if is_blank(v) else str(v).strip())


def is_blank(value: object) -> bool:
    """None, NaN, pd.NA or whitespace-only text."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return isinstance(value, str) and value.strip() == ""


def omap(values: Iterable[object], func) -> pd.Series:
    """``func`` over values into an object Series (positional index) that keeps None as None."""
    return pd.Series([func(v) for v in values], dtype=object)


def check_choice(
    values: pd.Series,
    allowed: Iterable[str],
    *,
    column: str,
    labels: pd.Series,
    problems: Problems,
    fix: str,
) -> None:
    """Values (None allowed) must be among ``allowed``."""
    allowed = set(allowed)
    bad = np.array([v is not None and v not in allowed for v in values], dtype=bool)
    if bad.any():
        found = sorted({str(v) for v in values[bad]})
        problems.add(
            f"unknown value(s) {', '.join(repr(v) for v in found[:LIST_LIMIT])} "
            f"(known: {', '.join(sorted(allowed))})",
            feature=feature_list(labels, bad),
            column=column,
            fix=fix,
        )


def check_geometry(
    geoms: gpd.GeoSeries,
    labels: pd.Series,
    problems: Problems,
    *,
    kind: str,
) -> gpd.GeoSeries:
    """Check and clean geometries: present, non-empty, of the right kind; invalid polygons repaired.

    Parameters
    ----------
    kind : {"polygon", "point", "point_or_polygon"}
        What the input's contract asks for. Single-part MultiPoints count as points.

    Returns
    -------
    GeoSeries
        2-D geometries, invalid polygons repaired with :func:`shapely.make_valid` (polygonal parts
        kept; the count is logged as a warning), positionally aligned with the input.
    """
    arr = np.asarray(geoms.array, dtype=object)
    arr = shapely.force_2d(arr) if shapely.has_z(arr).any() else arr.copy()
    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    if missing.any():
        problems.add(
            f"{int(missing.sum())} feature(s) have no geometry (empty or null)",
            feature=feature_list(labels, missing),
            column="geometry",
            fix="draw the feature or delete the row",
        )
    types = np.asarray(shapely.get_type_id(arr))
    # single-part multipoints → points
    multi_pt = (types == 4) & (shapely.get_num_geometries(arr) == 1)
    if multi_pt.any():
        arr[multi_pt] = shapely.get_geometry(arr[multi_pt], 0)
        types = np.asarray(shapely.get_type_id(arr))
    is_point = types == 0
    is_poly = (types == 3) | (types == 6)
    want = {"polygon": is_poly, "point": is_point, "point_or_polygon": is_point | is_poly}[kind]
    wrong = ~want & ~missing
    if wrong.any():
        found = ", ".join(sorted({g.geom_type for g in arr[wrong]}))
        need = {"polygon": "polygons", "point": "points",
                "point_or_polygon": "points or polygons"}[kind]
        problems.add(
            f"{int(wrong.sum())} feature(s) are {found}, but this input needs {need}",
            feature=feature_list(labels, wrong),
            column="geometry",
            fix=f"give {need} (e.g. explode multi-part points, or draw boundaries as polygons)",
        )
    poly = is_poly & ~missing
    invalid = poly & ~shapely.is_valid(arr)
    if invalid.any():
        fixed = shapely.make_valid(arr[invalid])
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
        still = shapely.is_empty(fixed) | shapely.is_missing(fixed)
        arr[invalid] = fixed
        logger.warning(
            "%s: repaired %d invalid polygon(s) with shapely.make_valid (e.g. %s)",
            problems.source or "input", int(invalid.sum()), feature_list(labels, invalid, limit=3),
        )
        if still.any():
            idx = np.flatnonzero(invalid)[still]
            mask = np.zeros(len(arr), dtype=bool)
            mask[idx] = True
            problems.add(
                f"{int(still.sum())} polygon(s) are invalid and have no area left after repair",
                feature=feature_list(labels, mask),
                column="geometry",
                fix="redraw these polygons (they collapse to lines or points)",
            )
    return gpd.GeoSeries(arr, crs=geoms.crs)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a repaired geometry (make_valid may return a collection)."""
    if geom is None or geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in getattr(geom, "geoms", [geom]) if p.geom_type in _POLYGONAL]
    polys: list[shapely.Polygon] = []
    for p in parts:
        polys.extend(getattr(p, "geoms", [p]))
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def repair_polygons(geoms: np.ndarray) -> np.ndarray:
    """Invalid polygons made valid, keeping only their polygonal parts (others untouched)."""
    arr = np.asarray(geoms, dtype=object).copy()
    bad = np.isin(shapely.get_type_id(arr), [3, 6]) & ~shapely.is_valid(arr)
    if bad.any():
        arr[bad] = [_polygonal(g) for g in shapely.make_valid(arr[bad])]
    return arr
