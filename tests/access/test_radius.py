"""Service radius and centre against brute force with networkx on the Beijing extract."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.access import service_radius


@pytest.fixture(scope="module")
def all_pairs(oracle) -> np.ndarray:
    return oracle.all_pairs()


def _households_of(town, cid):
    hh = town["households"]
    rows = np.flatnonzero((hh["community_id"] == cid).to_numpy() & (hh["households"] > 0).to_numpy())
    return rows, town["hh_snap"][rows]


def _f_nodes(all_pairs, pts):
    """(n, H) networkx distance from every node to every household point."""
    return np.minimum(all_pairs[:, pts.u] + pts.to_u_m, all_pairs[:, pts.v] + pts.to_v_m) + pts.access_m


def _f_on_edges(net, g_nodes, pts, step=1.0):
    """f (farthest household) at points every ``step`` metres along every edge, by brute force."""
    best = (np.inf, -1, 0.0)
    for e in range(net.n_edges):
        a, b, length = net.edge_u[e], net.edge_v[e], net.edge_length_m[e]
        t = np.append(np.arange(0.0, length, step), length)[:, None]
        vals = np.minimum(t + g_nodes[a], length - t + g_nodes[b])
        on = pts.edge == e
        if on.any():
            vals[:, on] = np.minimum(vals[:, on], np.abs(t - pts.to_u_m[on]) + pts.access_m[on])
        f = vals.max(axis=1)
        i = int(np.argmin(f))
        if f[i] < best[0]:
            best = (float(f[i]), e, float(t[i, 0]))
    return best


def _f_at(net, g_nodes, pts, edge, along):
    a, b, length = net.edge_u[edge], net.edge_v[edge], net.edge_length_m[edge]
    vals = np.minimum(along + g_nodes[a], length - along + g_nodes[b])
    on = pts.edge == edge
    vals[on] = np.minimum(vals[on], np.abs(along - pts.to_u_m[on]) + pts.access_m[on])
    return float(vals.max())


def test_network_optimum_is_the_best_point_of_the_network(beijing, town, all_pairs) -> None:
    no_centres = town["facilities"].iloc[:0]
    radius, centres = service_radius(beijing, town["communities"], town["households"],
                                     town["hh_snap"], no_centres, verbose=False)
    assert list(radius.index) == list(town["communities"].index)
    checked = interior = 0
    for cid in town["communities"].index:
        rows, pts = _households_of(town, cid)
        if rows.size == 0:
            assert np.isnan(radius.loc[cid, "service_radius_m"])
            assert pd.isna(radius.loc[cid, "centre_kind"])
            assert cid not in centres.index
            continue
        assert radius.loc[cid, "centre_kind"] == "network_optimum"
        node, edge = int(radius.loc[cid, "centre_node"]), int(radius.loc[cid, "centre_edge"])
        at = beijing.edge_u[edge] if node < 0 else node
        reachable = pts.component == beijing.component[at]
        lost = town["households"]["households"].to_numpy()[rows][~reachable].sum()
        assert radius.loc[cid, "unreachable_households"] == lost
        sub = pts[np.flatnonzero(reachable)]
        g_nodes = _f_nodes(all_pairs, sub)
        f_nodes = g_nodes.max(axis=1)
        sampled, _, _ = _f_on_edges(beijing, g_nodes, sub)
        # the value at the centre found, recomputed with networkx
        if node >= 0:
            value = f_nodes[node]
            assert edge == -1
        else:
            along = float(radius.loc[cid, "centre_along_m"])
            value = _f_at(beijing, g_nodes, sub, edge, along)
            interior += 1
            pt = shapely.line_interpolate_point(beijing.edge_geometry[edge], along)
            assert pt.equals_exact(centres.loc[cid, "geometry"], 1e-6)
        # never worse than the best node or any sampled point, and within half a sample step of the
        # true optimum (f changes by at most 1 m per metre along an edge)
        assert value <= f_nodes.min() + 1e-6
        assert value <= sampled + 1e-6
        assert value >= sampled - 0.5 - 1e-6
        if lost:
            assert np.isnan(radius.loc[cid, "service_radius_m"])  # never silently smaller
        else:
            assert radius.loc[cid, "service_radius_m"] == pytest.approx(value, abs=1e-6)
        checked += 1
    assert checked == 6  # every community with households
    assert interior >= 1  # the edge refinement is exercised


def test_any_lost_household_makes_the_radius_missing(beijing, town) -> None:
    lost = service_radius(beijing, town["communities"], town["households"],
                                        town["hh_snap"], town["facilities"].iloc[:0],
                                        verbose=False)[0]
    with_lost = lost[lost["unreachable_households"] > 0]
    assert len(with_lost) >= 1  # the fixture puts households on detached pieces
    assert with_lost["service_radius_m"].isna().all()
    assert (lost["household_points"] >= 0).all()


def test_service_center_is_used_and_matches_networkx(beijing, oracle, town) -> None:
    comm = town["communities"]
    # put two service centres into the first community whose households all reach the main piece
    cid = next(c for c in comm.index if _households_of(town, c)[0].size
               and (_households_of(town, c)[1].component == 0).all())
    _, pts = _households_of(town, cid)
    box = comm.loc[cid, "geometry"]
    inner = box.buffer(-20.0)
    inside = np.flatnonzero(shapely.contains_xy(inner, beijing.node_xy[:, 0], beijing.node_xy[:, 1])
                            & (beijing.component == 0))
    xy = beijing.node_xy[inside[[0, len(inside) // 2]]] + np.array([[3.0, -4.0], [-2.0, 5.0]])
    centres_in = gpd.GeoDataFrame({"type": ["service_center", "service_center"]},
                                  geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=beijing.crs,
                                  index=pd.Index(["S1", "S2"], name="facility_id"))
    assert shapely.contains_xy(box, xy[:, 0], xy[:, 1]).all()
    facilities = pd.concat([town["facilities"], centres_in])
    radius, centres = service_radius(beijing, comm, town["households"], town["hh_snap"],
                                     facilities, verbose=False)
    fsnap = beijing.snap(centres_in)
    per_centre = [oracle.point_to_points(fsnap, i, pts).max() for i in range(2)]
    assert radius.loc[cid, "centre_kind"] == "service_center"
    best = int(np.argmin(per_centre))
    assert radius.loc[cid, "centre_facility_id"] == ["S1", "S2"][best]
    assert radius.loc[cid, "service_radius_m"] == pytest.approx(per_centre[best], abs=1e-6)
    assert radius.loc[cid, "unreachable_households"] == 0
    assert centres.loc[cid, "kind"] == "service_center"
    assert centres.loc[cid, "geometry"].equals_exact(centres_in.geometry.iloc[best], 1e-9)
    # the other communities have no service centre: network optimum, never bigger than a centre
    others = radius.drop(index=[cid, "C_empty"])
    assert (others["centre_kind"] == "network_optimum").all()


def test_service_center_assigned_by_column(beijing, town) -> None:
    fac = town["facilities"].iloc[:1].copy()
    fac["type"] = "service_center"
    fac["community_id"] = "C01"
    radius, _ = service_radius(beijing, town["communities"], town["households"], town["hh_snap"],
                               fac, verbose=False)
    assert radius.loc["C01", "centre_kind"] == "service_center"
    assert radius.loc["C01", "centre_facility_id"] == fac.index[0]
    assert (radius.drop(index=["C01", "C_empty"])["centre_kind"] == "network_optimum").all()


def test_optimum_never_worse_than_a_service_centre(beijing, town) -> None:
    comm = town["communities"]
    base, _ = service_radius(beijing, comm, town["households"], town["hh_snap"],
                             town["facilities"].iloc[:0], verbose=False)
    fac = town["facilities"].copy()
    fac["type"] = "service_center"
    fac = fac.drop(columns=[c for c in fac.columns if c == "community_id"])
    with_c, _ = service_radius(beijing, comm, town["households"], town["hh_snap"], fac,
                               verbose=False)
    both = base["service_radius_m"].notna() & with_c["service_radius_m"].notna()
    assert (base.loc[both, "service_radius_m"] <= with_c.loc[both, "service_radius_m"] + 1e-6).all()


def test_one_centre_on_a_larger_network_against_all_pairs() -> None:
    """Shenzhen (1,719 nodes): the search in a ball around a start node finds the global optimum."""
    from scipy.sparse.csgraph import shortest_path

    from siting.network import build_network

    net = build_network(Path(__file__).resolve().parents[2] / "data" / "boundaries" / "shenzhen"
                        / "shenzhen_futian_walk.graphml")
    rng = np.random.default_rng(7)
    main = np.flatnonzero(net.component == 0)
    xmin, ymin = net.node_xy[main].min(axis=0)
    xmax, ymax = net.node_xy[main].max(axis=0)
    boxes, ids = [], []
    for k in range(4):
        x0 = rng.uniform(xmin, xmax - 900)
        y0 = rng.uniform(ymin, ymax - 900)
        boxes.append(shapely.box(x0, y0, x0 + 900, y0 + 900))
        ids.append(f"S{k}")
    comm = gpd.GeoDataFrame(geometry=boxes, crs=net.crs, index=pd.Index(ids, name="community_id"))
    frames = []
    for cid, box in zip(ids, boxes):
        inside = main[shapely.contains_xy(box, net.node_xy[main, 0], net.node_xy[main, 1])]
        pick = rng.choice(inside, min(60, inside.size), replace=False)
        xy = net.node_xy[pick] + rng.normal(0.0, 15.0, (pick.size, 2))
        frames.append(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "community_id": cid}))
    table = pd.concat(frames, ignore_index=True)
    hh = gpd.GeoDataFrame(table[["community_id"]].assign(households=1),
                          geometry=gpd.points_from_xy(table["x"], table["y"]), crs=net.crs)
    snap = net.snap(hh)
    radius, _ = service_radius(net, comm, hh, snap, hh.iloc[:0].assign(type=[]), verbose=False)
    all_pairs = shortest_path(net.graph, method="D", directed=False)
    for cid in ids:
        rows = np.flatnonzero((hh["community_id"] == cid).to_numpy())
        pts = snap[rows]
        pts = pts[np.flatnonzero(pts.component == 0)]
        g_nodes = _f_nodes(all_pairs, pts)
        sampled, _, _ = _f_on_edges(net, g_nodes, pts, step=5.0)
        node, edge = int(radius.loc[cid, "centre_node"]), int(radius.loc[cid, "centre_edge"])
        value = (g_nodes[node].max() if node >= 0 else
                 _f_at(net, g_nodes, pts, edge, float(radius.loc[cid, "centre_along_m"])))
        assert value <= g_nodes.max(axis=1).min() + 1e-6
        assert value <= sampled + 1e-6
        assert value >= sampled - 2.5 - 1e-6
        if radius.loc[cid, "unreachable_households"] == 0:
            assert radius.loc[cid, "service_radius_m"] == pytest.approx(value, abs=1e-6)
