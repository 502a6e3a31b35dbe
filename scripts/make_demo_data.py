"""Regenerate the shipped demo inputs under data/boundaries/ from the OSM extracts there.

Run from the repository root: ``.venv/bin/python scripts/make_demo_data.py``. Seeded: the same
files come out every time. The outputs are committed, so the demo and the tests do not run this.

- Shenzhen: the real OSM walking network with synthetic communities, households and facilities
  (``siting.pipeline.synth``), labelled synthetic.
- Beijing: communities are the named residential compounds (landuse=residential) of the OSM
  extract; households are estimated from its buildings when the plan runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import osmnx as ox

from siting.io import communities_from_osm
from siting.pipeline.synth import synthesize, write_inputs

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261123


def shenzhen() -> None:
    folder = ROOT / "data" / "boundaries" / "shenzhen"
    G = ox.load_graphml(folder / "shenzhen_futian_walk.graphml")
    frames = synthesize(G, households=36000, communities=14, seed=SEED, districts=2,
                        large_share=0.3)
    write_inputs(frames, folder)


def beijing() -> None:
    folder = ROOT / "data" / "boundaries" / "beijing"
    communities = communities_from_osm(folder / "beijing_haidian_xueqing.osm")
    communities["name"] = communities["name"].fillna(
        communities.index.to_series().map(lambda i: f"未命名居住区 ({i})"))
    out = communities[["name", "kind", "geometry"]].reset_index().to_crs("EPSG:4326")
    out["source"] = "OpenStreetMap landuse=residential (© OpenStreetMap contributors, ODbL)"
    out.to_file(folder / "communities.geojson", driver="GeoJSON")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    shenzhen()
    beijing()
