"""Impossible requests raise InfeasibleError with the numbers; bad arguments raise InputError."""

from __future__ import annotations

import numpy as np
import pytest

from siting.errors import InfeasibleError, InputError
from siting.optimize import capacitated_coverage, max_coverage, p_center, p_median, set_cover

D = np.array([[1.0, 5.0, 9.0], [4.0, 2.0, np.nan], [8.0, 3.0, 1.0]])


@pytest.mark.parametrize("fn", [p_median, p_center])
def test_p_below_fixed(fn):
    with pytest.raises(InfeasibleError, match=r"p = 1 .* 2 fixed"):
        fn(D, 1, fixed=[0, 2])


def test_max_coverage_p_above_columns():
    with pytest.raises(InfeasibleError, match=r"p = 4 .* only 3"):
        max_coverage(D, 2.0, 4)


def test_set_cover_uncoverable_row_raises_with_numbers():
    d = np.array([[1.0, 9.0], [9.0, 9.0], [9.0, 1.0]])
    with pytest.raises(InfeasibleError, match=r"1 of 3 demand rows .* radius 2 .*row 1"):
        set_cover(d, 2.0)
    sol = set_cover(d, 2.0, allow_uncovered=True)
    assert list(sol.sites) == [0, 1] and list(sol.uncovered) == [1]


def test_capacity_below_demand():
    cap = np.array([3.0, 4.0, 5.0])
    dem = np.array([5.0, 5.0, 5.0])
    with pytest.raises(InfeasibleError, match=r"capacities sum to 12 < demand 15"):
        capacitated_coverage(D, 10.0, cap, dem)
    with pytest.raises(InfeasibleError, match=r"p = 2 largest capacities .* sum to 9 < demand 10"):
        capacitated_coverage(D, 10.0, cap, np.array([4.0, 3.0, 3.0]), p=2)


def test_capacity_out_of_reach_demand():
    cap = np.array([100.0, 100.0, 100.0])
    with pytest.raises(InfeasibleError, match=r"demand 7 of 12 .*row 1.* radius 1.5"):
        capacitated_coverage(D, 1.5, cap, np.array([5.0, 7.0, 0.0]))


def test_capacity_local_shortage_names_placeable_amount():
    # total capacity suffices, but only column 0 is within reach of row 0
    d = np.array([[1.0, np.nan], [np.nan, 1.0]])
    with pytest.raises(InfeasibleError, match=r"at most 6 of demand 10"):
        capacitated_coverage(d, 2.0, np.array([1.0, 9.0]), np.array([5.0, 5.0]))


def test_p_median_cannot_reach_every_row():
    d = np.array([[1.0, np.nan], [np.nan, 1.0]])
    with pytest.raises(InfeasibleError, match=r"p = 1"):
        p_median(d, 1)


def test_input_problems_are_collected():
    with pytest.raises(InputError) as err:
        p_median(-D, 1.5, weights=[1, 2], fixed=[7])
    text = str(err.value)
    for part in ("negative cost", "weights", "fixed", "`p`"):
        assert part in text or part.strip("`") in text
