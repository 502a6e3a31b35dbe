"""Fixtures of the report tests (the fakes live in report_fakes.py)."""

from __future__ import annotations

import pytest
from report_fakes import make_result

from siting.result import PlanResult


@pytest.fixture
def result() -> PlanResult:
    return make_result(0)


@pytest.fixture
def bare_result() -> PlanResult:
    """No optional parts, no profile, no manifest."""
    r = make_result(1, optional=False, profile=False)
    return PlanResult(name=r.name, profile=None, communities=r.communities,
                      households=r.households, facilities=r.facilities.iloc[:0], rules=r.rules)
