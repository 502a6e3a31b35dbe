"""Voronoi tiling of the parts: exact tiling, contiguity check and repair."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from siting.split.polygons import tile

BOX = shapely.box(0, 0, 400, 100)
XY = np.array([[50.0, 50.0], [150.0, 50.0], [250.0, 50.0], [350.0, 50.0]])
ATOMS = np.arange(4)
PARTS = np.array([0, 0, 1, 0])  # the last point of part 0 lies beyond part 1


def test_detached_piece_is_reported_when_it_cannot_move() -> None:
    t = tile(XY, ATOMS, PARTS, BOX, can_move=lambda atoms, src, dst, now: False)
    assert t.contiguous == {0: False, 1: True} and t.moved_atoms == 0
    assert np.array_equal(t.part_of_atom, PARTS)
    assert sum(g.area for g in t.geometry.values()) == pytest.approx(BOX.area)


def test_detached_piece_moves_when_allowed() -> None:
    seen = []

    def allow(atoms, src, dst, now):
        seen.append((atoms.tolist(), src, dst, now.tolist()))
        return True

    t = tile(XY, ATOMS, PARTS, BOX, can_move=allow)
    assert seen[0] == ([3], 0, 1, PARTS.tolist())
    assert t.part_of_atom.tolist() == [0, 0, 1, 1] and t.moved_atoms == 1
    assert all(t.contiguous.values())
    assert shapely.union_all(list(t.geometry.values())).area == pytest.approx(BOX.area)
    assert t.geometry[0].geom_type == "Polygon" and t.geometry[1].geom_type == "Polygon"


def test_community_in_two_pieces_gives_one_polygon_per_piece() -> None:
    two = shapely.MultiPolygon([shapely.box(0, 0, 100, 100), shapely.box(300, 0, 400, 100)])
    xy = np.array([[50.0, 50.0], [350.0, 50.0]])
    t = tile(xy, np.arange(2), np.array([0, 0]), two)
    assert t.contiguous == {0: True}
    assert t.geometry[0].area == pytest.approx(two.area)
