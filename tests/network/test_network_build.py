"""Building the walking network: readers, walk filter, projection, lengths, pieces, errors."""

from __future__ import annotations

import bz2
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from network_helpers import BEIJING_OSM, DATA, SHENZHEN_GRAPHML
from pyproj import CRS, Geod, Transformer

import siting.network.build as build_mod
from siting.errors import InputError
from siting.network import DEFAULT_WALK_FILTER, build_network, make_walk_filter

TINY = DATA / "tiny_filter.osm"
PBF = DATA / "beijing_xueqing.osm.pbf"


def osmids(net) -> set[str]:
    return {part for text in net.edge_tags["osmid"] for part in str(text).split(";")}


def test_beijing_xml_is_projected_undirected_and_walkable(beijing):
    assert beijing.crs.equals(CRS.from_epsg(32650))  # UTM 50N for Beijing
    g = beijing.graph
    assert (g != g.T).nnz == 0  # symmetric: undirected
    highways = {h for text in beijing.edge_tags["highway"] for h in text.split(";")}
    assert {"footway", "service", "primary"} <= highways
    assert not highways & {"motorway", "motorway_link", "construction"}
    assert beijing.n_edges > 500
    # every node is on some edge, every CSR entry is an edge length
    assert np.isin(np.arange(beijing.n_nodes), np.r_[beijing.edge_u, beijing.edge_v]).all()


def test_edge_lengths_match_geodesic_lengths(beijing):
    back = Transformer.from_crs(beijing.crs, "EPSG:4326", always_xy=True)
    geod = Geod(ellps="WGS84")
    rng = np.random.default_rng(1)
    for e in rng.choice(beijing.n_edges, 60, replace=False):
        lon, lat = back.transform(*beijing.edge_geometry[e].xy)
        true = geod.line_length(lon, lat)
        assert beijing.edge_length_m[e] == pytest.approx(true, rel=3e-3, abs=1e-6)


def test_edge_lengths_match_osmnx_length_on_shenzhen(shenzhen):
    g = ox.load_graphml(SHENZHEN_GRAPHML)
    ids = shenzhen.node_osmid
    errors = []
    for u, v, length in zip(shenzhen.edge_u, shenzhen.edge_v, shenzhen.edge_length_m):
        a, b = ids[u], ids[v]
        data = [d for d in (g.get_edge_data(a, b) or {}).values()]
        data += [d for d in (g.get_edge_data(b, a) or {}).values()]
        lengths = [d["length"] for d in data]
        assert lengths, (a, b)
        # parallel edges: ours must match one of osmnx's. osmnx measures great circles on a sphere
        # (haversine, up to ~0.5 % off the ellipsoid), ours is the UTM length (scale ~1.0008 here)
        errors.append(min(abs(length - x) / max(x, 1.0) for x in lengths))
    assert len(errors) == shenzhen.n_edges
    assert max(errors) < 5e-3 and np.median(errors) < 3e-3


def test_walk_filter_cases_on_tiny_fixture():
    net = build_network(TINY)
    kept = osmids(net)
    assert {"101", "105", "107", "108", "110"} <= kept  # footway, access=no+foot=yes, residential...
    assert not kept & {"102", "103", "104", "106", "109"}  # motorway, private, foot=no, building, trunk
    # the footway 110 is a detached piece
    comp = net.edges_gdf().set_index("osmid")["component"]
    assert comp["110"] == 1 and (comp.drop("110") == 0).all()
    s = net.detached_summary
    assert (s.pieces, s.detached_pieces, s.detached_edges) == (2, 1, 1)
    assert s.detached_length_m == pytest.approx(net.edge_length_m[comp.to_numpy() == 1].sum())


def test_profile_filter_overrides_default():
    wf = {**DEFAULT_WALK_FILTER, "exclude_highway": [*DEFAULT_WALK_FILTER["exclude_highway"], "primary"]}
    assert "108" not in osmids(build_network(TINY, walk_filter=wf))
    wf = {**DEFAULT_WALK_FILTER, "exclude_tags": {}}
    assert {"103", "104"} <= osmids(build_network(TINY, walk_filter=wf))


@pytest.mark.parametrize(
    "bad",
    [
        {"highway": ["footway"], "exclude_higway": ["motorway"]},  # typo'd key
        {"highway": "footway"},
        {"exclude_highway": ["motorway"]},
        {"highway": ["footway"], "exclude_tags": {"foot": "no"}},
    ],
)
def test_bad_walk_filter_is_refused(bad):
    with pytest.raises(InputError, match="Fix:"):
        make_walk_filter(bad)


def test_pbf_gives_the_same_network_as_xml(beijing):
    net = build_network(PBF)
    assert (net.n_nodes, net.n_edges) == (beijing.n_nodes, beijing.n_edges)
    assert net.edge_length_m.sum() == pytest.approx(beijing.edge_length_m.sum(), rel=1e-9)
    assert set(net.node_osmid) == set(beijing.node_osmid)


def test_bz2_xml(tmp_path: Path, beijing):
    target = tmp_path / "beijing.osm.bz2"
    target.write_bytes(bz2.compress(BEIJING_OSM.read_bytes()))
    net = build_network(target)
    assert net.n_edges == beijing.n_edges


def test_networkx_graph_and_given_crs():
    g = ox.graph_from_xml(TINY, simplify=False, retain_all=True)
    net = build_network(g, crs="EPSG:32650")
    assert net.crs.equals(CRS.from_epsg(32650))
    assert "109" not in osmids(net)  # the filter applies to graphs too
    # an undirected projected graph without highway tags is taken as it is
    plain = nx.Graph(crs="EPSG:32650")
    plain.add_node("a", x=0.0, y=0.0)
    plain.add_node("b", x=30.0, y=40.0)
    plain.add_edge("b", "a")
    net = build_network(plain)
    assert net.n_edges == 1 and net.edge_length_m[0] == pytest.approx(50.0)
    # geometry is oriented from u to v whatever order networkx gives the ends in
    start = shapely.get_coordinates(net.edge_geometry[0])[0]
    assert np.allclose(start, net.node_xy[net.edge_u[0]])


def test_online_place_and_bbox_use_osmnx(monkeypatch):
    calls = []

    def fake(query, **kwargs):
        calls.append((query, kwargs))
        assert "foot" in ox.settings.useful_tags_way  # the filter's tags are kept while reading
        return ox.graph_from_xml(TINY, simplify=False, retain_all=True, bidirectional=True)

    monkeypatch.setattr(ox, "graph_from_place", fake)
    monkeypatch.setattr(ox, "graph_from_bbox", fake)
    net = build_network("Haidian, Beijing", online=True)
    assert "109" not in osmids(net) and "101" in osmids(net)
    build_network((116.34, 39.99, 116.37, 40.01), online=True)
    assert calls[0][0] == "Haidian, Beijing"
    assert calls[1][0] == (116.34, 39.99, 116.37, 40.01)
    assert "foot" not in ox.settings.useful_tags_way  # restored


@pytest.mark.parametrize("source", ["Haidian, Beijing", (116.34, 39.99, 116.37, 40.01)])
def test_place_or_bbox_without_online_says_pass_online(source, monkeypatch):
    monkeypatch.setattr(ox, "graph_from_place", lambda *a, **k: pytest.fail("went online"))
    monkeypatch.setattr(ox, "graph_from_bbox", lambda *a, **k: pytest.fail("went online"))
    with pytest.raises(InputError, match="online=True"):
        build_network(source)


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputError, match="not found") as err:
        build_network(tmp_path / "nowhere.osm")
    assert "nowhere.osm" in str(err.value)


def test_unknown_extension(tmp_path: Path):
    path = tmp_path / "streets.shp"
    path.write_text("x")
    with pytest.raises(InputError, match="unknown network file type") as err:
        build_network(path)
    assert ".osm.pbf" in str(err.value)


def test_no_walkable_ways(tmp_path: Path):
    path = tmp_path / "only_motorway.osm"
    text = TINY.read_text(encoding="utf-8")
    text = text.replace('v="footway"', 'v="motorway"').replace('v="residential"', 'v="motorway"')
    text = text.replace('v="service"', 'v="motorway"').replace('v="primary"', 'v="motorway"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="no walkable ways") as err:
        build_network(path)
    assert "motorway" in str(err.value) and "Fix:" in str(err.value)


def test_empty_or_broken_file(tmp_path: Path):
    path = tmp_path / "empty.osm"
    path.write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    with pytest.raises(InputError, match="empty.osm"):
        build_network(path)
    path = tmp_path / "broken.graphml"
    path.write_text("<graphml><node")
    with pytest.raises(InputError, match="cannot read"):
        build_network(path)


def test_geographic_crs_is_refused():
    with pytest.raises(InputError, match="geographic"):
        build_network(TINY, crs="EPSG:4326")


def test_edges_and_nodes_frames(beijing):
    edges = beijing.edges_gdf()
    nodes = beijing.nodes_gdf()
    assert len(edges) == beijing.n_edges and len(nodes) == beijing.n_nodes
    assert edges.crs.equals(beijing.crs)
    assert {"u", "v", "length_m", "component", "highway", "name"} <= set(edges.columns)
    assert np.allclose(edges.length, edges["length_m"])
    # component 0 is the largest piece
    sizes = np.bincount(beijing.component)
    assert sizes[0] == sizes.max()


def test_pbf_reader_leaves_no_temp_files(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(build_mod.tempfile, "tempdir", str(tmp_path))
    shutil.copy(PBF, tmp_path / "x.osm.pbf")
    build_network(tmp_path / "x.osm.pbf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.osm.pbf"]


def test_access_no_alone_stays_walkable_but_private_and_foot_no_do_not():
    # access=no marks gates / roads closed to cars in Chinese OSM data; people walk through them
    from siting.network.walkfilter import make_walk_filter

    wf = make_walk_filter(DEFAULT_WALK_FILTER)
    assert wf.is_walkable({"highway": "service", "access": "no"})
    assert not wf.is_walkable({"highway": "service", "access": "private"})
    assert not wf.is_walkable({"highway": "service", "access": "no", "foot": "no"})
