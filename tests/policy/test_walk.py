"""Minutes → metres: GB 50180's table, the speed beyond it, the elderly factor."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siting.policy import load_profile

NATIONAL = load_profile("national")
MINUTES = st.floats(0, 120, allow_nan=False)


@pytest.mark.parametrize(("minutes", "metres"), [(0, 0), (5, 300), (10, 500), (15, 1000),
                                                  (7.5, 400), (12.5, 750), (2.5, 150)])
def test_table_points_and_interpolation(minutes: float, metres: float) -> None:
    assert NATIONAL.walk_distance_m(minutes) == pytest.approx(metres)


def test_beyond_the_table_at_walking_speed() -> None:
    assert NATIONAL.walk_distance_m(30) == pytest.approx(2000, abs=1)
    assert NATIONAL.walk_distance_m(20) - NATIONAL.walk_distance_m(15) == pytest.approx(5 * 66.7)


def test_elderly_is_slower_by_the_profile_factor() -> None:
    factor = NATIONAL.settings["walk"]["elderly_speed_factor"]
    assert factor == NATIONAL.rules["walk.elderly"].params["speed_factor"] < 1
    assert NATIONAL.walk_distance_m(15, elderly=True) == pytest.approx(1000 * factor)
    faster = load_profile("national", overrides={"walk": {"elderly_speed_factor": 0.9}})
    assert faster.walk_distance_m(15, elderly=True) == pytest.approx(900)


def test_table_override() -> None:
    p = load_profile("national", overrides={"rules": {"walk.speed": {
        "minutes": [5, 10, 15], "distance_m": [400, 800, 1200], "speed_m_per_min": 80}}})
    assert p.walk_distance_m(10) == 800 and p.walk_distance_m(20) == pytest.approx(1600)


def test_bad_minutes() -> None:
    for bad in (-1, math.nan, math.inf):
        with pytest.raises(ValueError):
            NATIONAL.walk_distance_m(bad)


@given(MINUTES, MINUTES, st.booleans())
def test_distance_grows_with_minutes(a: float, b: float, elderly: bool) -> None:
    lo, hi = sorted((a, b))
    assert NATIONAL.walk_distance_m(lo, elderly=elderly) <= NATIONAL.walk_distance_m(hi, elderly=elderly)
    assert NATIONAL.walk_distance_m(hi, elderly=True) <= NATIONAL.walk_distance_m(hi)


@given(MINUTES, st.booleans())
def test_walk_minutes_inverts_distance(minutes: float, elderly: bool) -> None:
    d = NATIONAL.walk_distance_m(minutes, elderly=elderly)
    assert NATIONAL.walk_minutes(d, elderly=elderly) == pytest.approx(minutes, abs=1e-9)


@given(st.lists(st.floats(1, 60), min_size=1, max_size=5, unique=True),
       st.floats(20, 120), MINUTES, MINUTES)
def test_monotone_for_any_valid_table(points: list[float], speed: float, a: float, b: float) -> None:
    minutes = sorted(points)
    distance = [m * speed * (1 + 0.1 * (i % 2)) for i, m in enumerate(minutes)]
    distance = [max(distance[: i + 1]) + i for i, _ in enumerate(distance)]  # strictly increasing
    p = load_profile("national", overrides={"rules": {"walk.speed": {
        "minutes": minutes, "distance_m": distance, "speed_m_per_min": speed}}})
    lo, hi = sorted((a, b))
    assert p.walk_distance_m(lo) <= p.walk_distance_m(hi)
    for m, d in zip(minutes, distance):
        assert p.walk_distance_m(m) == pytest.approx(d)
