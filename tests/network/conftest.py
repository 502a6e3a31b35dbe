"""Fixtures for the network tests: the two shipped networks, built once per session."""

from __future__ import annotations

import pytest
from network_helpers import BEIJING_OSM, SHENZHEN_GRAPHML, Reference, random_points

from siting.network import WalkNetwork, build_network


@pytest.fixture(scope="session")
def beijing() -> WalkNetwork:
    return build_network(BEIJING_OSM)


@pytest.fixture(scope="session")
def shenzhen() -> WalkNetwork:
    return build_network(SHENZHEN_GRAPHML)


@pytest.fixture(scope="session", params=["beijing", "shenzhen"])
def net(request: pytest.FixtureRequest) -> WalkNetwork:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def reference(net: WalkNetwork) -> Reference:
    return Reference(net)


@pytest.fixture(scope="session")
def make_points():
    """The :func:`network_helpers.random_points` function, for tests."""
    return random_points
