"""Part polygons: a Voronoi tiling of the household points, clipped to the community and dissolved.

shapely (GEOS) computes the Voronoi diagram (:func:`shapely.voronoi_polygons`, cells in the order of
the points), clips it to the community polygon and dissolves the cells per part, so the parts tile
the community exactly: their union is the community and they do not overlap.

Written by hand: the contiguity check and repair. A part is contiguous when it is one polygon in
each piece of the community it touches (a community that is itself in several pieces cannot give
one-polygon parts). A detached piece of a part is repaired by handing it to the neighbouring part
that shares the longest border with it: without households (a sliver left by clipping a cell to a
concave boundary) always; with households only when the caller's ``can_move`` accepts the move of
its atoms (the move must not place more households against the rules); otherwise the part is
reported as not contiguous.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

log = logging.getLogger(__name__)

#: Pieces smaller than this share of the community's area are slivers, merged into a neighbour.
SLIVER_SHARE = 1e-7


@dataclass(frozen=True)
class Tiling:
    """Parts as polygons.

    Attributes
    ----------
    geometry : dict
        Part label -> Polygon / MultiPolygon (metric CRS).
    part_of_atom : numpy.ndarray
        The atoms' parts after repair.
    contiguous : dict
        Part label -> bool.
    moved_atoms : int
        Atoms moved to another part by the repair.
    shared_points : int
        Distinct locations holding atoms of different parts (their cell goes to one of them).
    """

    geometry: dict[int, Any]
    part_of_atom: np.ndarray
    contiguous: dict[int, bool]
    moved_atoms: int
    shared_points: int


def voronoi_cells(xy: np.ndarray, boundary: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Voronoi cells of the distinct locations of ``xy``, clipped to ``boundary``.

    Returns ``(first, inverse, cells)``: the first point at each distinct location, each point's
    location, and the location's clipped cell (the boundary itself when there is one location).
    They depend on the points only, so a caller relabelling the points reuses them (:func:`tile`).
    """
    uniq, first, inverse = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    if len(uniq) == 1:
        return first, inverse.ravel(), np.array([boundary], dtype=object)
    env = shapely.box(*np.minimum(boundary.bounds[:2], uniq.min(axis=0)),
                      *np.maximum(boundary.bounds[2:], uniq.max(axis=0))).buffer(10.0)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(uniq), extend_to=env,
                                                       ordered=True))
    if len(cells) != len(uniq):  # pragma: no cover - GEOS gives one cell per distinct site
        raise RuntimeError(f"Voronoi diagram gave {len(cells)} cells for {len(uniq)} points")
    return first, inverse.ravel(), shapely.intersection(cells, boundary)


def dissolve(xy: np.ndarray, label: np.ndarray, boundary: Any, *,
             cells: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
             ) -> tuple[dict[int, Any], int]:
    """Voronoi cells of the points, clipped to ``boundary``, dissolved by ``label``.

    Points at the same location share one cell, given to the label of the first of them; the number
    of such locations holding several labels is returned too. ``cells``: :func:`voronoi_cells` of
    the same points, when already computed.
    """
    first, inverse, clipped = cells if cells is not None else voronoi_cells(xy, boundary)
    lab = label[first]
    shared = int(np.sum(np.bincount(inverse[label != lab[inverse]], minlength=len(first)) > 0))
    return {lb: shapely.union_all(clipped[lab == lb]) for lb in sorted(set(lab.tolist()))}, shared


def _polygons(geom: Any) -> list[Any]:
    return [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]


def _border(a: Any, b: Any) -> float:
    return float(shapely.length(shapely.intersection(a.boundary, b.boundary)))


def tile(
    xy: np.ndarray,
    atom_of_point: np.ndarray,
    part_of_atom: np.ndarray,
    boundary: Any,
    *,
    can_move: Callable[[np.ndarray, int, int, np.ndarray], bool] | None = None,
    max_moves: int | None = None,
) -> Tiling:
    """Polygons of the parts, with detached pieces repaired where allowed (module docstring).

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` household points.
    atom_of_point : numpy.ndarray
        ``(n,)`` atom of each point.
    part_of_atom : numpy.ndarray
        ``(n_atoms,)`` part label of each atom.
    boundary : shapely Polygon or MultiPolygon
        The community.
    can_move : callable, optional
        ``can_move(atoms, from_part, to_part, part_of_atom) -> bool`` (``part_of_atom``: the parts
        before the move); without it, atoms are never moved.
    max_moves : int, optional
        Bound on repair moves (default: the number of atoms).

    Returns
    -------
    Tiling
    """
    part_of_atom = part_of_atom.copy()
    pieces_of_boundary = _polygons(boundary)
    tiny = SLIVER_SHARE * float(boundary.area)
    points = shapely.points(xy)
    moved = 0
    limit = len(part_of_atom) if max_moves is None else max_moves
    cells = voronoi_cells(xy, boundary)
    while True:
        label = part_of_atom[atom_of_point]
        geoms, shared = dissolve(xy, label, boundary, cells=cells)
        move = None if can_move is None or moved >= limit else _find_move(
            geoms, label, points, atom_of_point, pieces_of_boundary, tiny,
            lambda atoms, p, q: can_move(atoms, p, q, part_of_atom))
        if move is None:
            break
        atoms, dst = move
        part_of_atom[atoms] = dst
        moved += int(atoms.size)
    geoms = _merge_empty_pieces(geoms, label, points, pieces_of_boundary, tiny)
    contiguous = {p: _is_contiguous(g, pieces_of_boundary, tiny) for p, g in geoms.items()}
    return Tiling(geoms, part_of_atom, contiguous, moved, shared)


def _home(piece: Any, pieces_of_boundary: list[Any]) -> int:
    """Which piece of the community holds this piece of a part."""
    p = piece.representative_point()
    for i, b in enumerate(pieces_of_boundary):
        if b.covers(p):
            return i
    return -1


def _is_contiguous(geom: Any, pieces_of_boundary: list[Any], tiny: float) -> bool:
    homes = [_home(g, pieces_of_boundary) for g in _polygons(geom) if g.area > tiny]
    return len(homes) == len(set(homes))


def _detached(geom: Any, label_points: Any, pieces_of_boundary: list[Any], tiny: float
              ) -> list[tuple[Any, np.ndarray]]:
    """Pieces of a part other than its main one in each community piece, with the points inside."""
    polys = _polygons(geom)
    if len(polys) < 2:
        return []
    inside = [np.flatnonzero(shapely.covers(g, label_points)) for g in polys]
    by_home: dict[int, list[int]] = {}
    for i, g in enumerate(polys):
        by_home.setdefault(_home(g, pieces_of_boundary), []).append(i)
    out: list[tuple[Any, np.ndarray]] = []
    for members in by_home.values():
        if len(members) < 2:
            continue
        main = max(members, key=lambda i: (inside[i].size, polys[i].area))
        out.extend((polys[i], inside[i]) for i in members if i != main)
    return out


def _neighbours(piece: Any, geoms: dict[int, Any], own: int) -> list[tuple[float, int]]:
    found = [(_border(piece, g), q) for q, g in geoms.items() if q != own and piece.intersects(g)]
    return sorted(((length, q) for length, q in found if length > 0), key=lambda t: (-t[0], t[1]))


def _find_move(geoms: dict[int, Any], label: np.ndarray, points: np.ndarray,
               atom_of_point: np.ndarray, pieces_of_boundary: list[Any], tiny: float,
               can_move: Callable[[np.ndarray, int, int], bool]) -> tuple[np.ndarray, int] | None:
    for p in sorted(geoms):
        own_points = np.flatnonzero(label == p)
        for piece, inside in _detached(geoms[p], points[own_points], pieces_of_boundary, tiny):
            if inside.size == 0:
                continue
            pts = own_points[inside]
            cand = np.unique(atom_of_point[pts])
            # only atoms lying wholly in the piece move (a compound is never cut)
            whole = np.array([np.all(np.isin(np.flatnonzero(atom_of_point == a), pts)) for a in cand],
                             dtype=bool)
            atoms = cand[whole]
            if atoms.size == 0:
                continue
            for _, q in _neighbours(piece, geoms, p):
                if can_move(atoms, p, q):
                    return atoms, q
    return None


def _merge_empty_pieces(geoms: dict[int, Any], label: np.ndarray, points: np.ndarray,
                        pieces_of_boundary: list[Any], tiny: float) -> dict[int, Any]:
    """Hand every detached piece without households to the neighbour with the longest border."""
    geoms = dict(geoms)
    for p in sorted(geoms):
        own = points[label == p]
        for piece, inside in _detached(geoms[p], own, pieces_of_boundary, tiny):
            if inside.size:
                continue
            near = _neighbours(piece, geoms, p)
            if not near:
                continue
            q = near[0][1]
            geoms[p] = shapely.difference(geoms[p], piece)
            geoms[q] = shapely.union(geoms[q], piece)
    return geoms
