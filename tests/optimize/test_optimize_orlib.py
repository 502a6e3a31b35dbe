"""OR-Library pmed1 (Beasley 1990; n = 100, p = 5, published optimum 5819), copied in tests/data."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np

from siting.optimize import p_median

PMED1 = Path(__file__).resolve().parents[1] / "data" / "optimize" / "pmed1.txt"


def _read(path: Path) -> tuple[np.ndarray, int]:
    """All-pairs shortest paths with networkx (independent of the library's scipy path)."""
    tok = path.read_text().split()
    n, e, p = int(tok[0]), int(tok[1]), int(tok[2])
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for k in range(e):
        i, j, c = (int(x) for x in tok[3 + 3 * k: 6 + 3 * k])
        g.add_edge(i - 1, j - 1, weight=c)  # a later duplicate overwrites
    d = np.full((n, n), np.inf)
    for s, lengths in nx.all_pairs_dijkstra_path_length(g):
        for t, v in lengths.items():
            d[s, t] = v
    return d, p


def test_pmed1_reaches_the_published_optimum():
    d, p = _read(PMED1)
    assert p == 5 and d.shape == (100, 100)
    sol = p_median(d, p)
    assert sol.objective == 5819
    assert sol.status == "optimal" and sol.bound == 5819
    assert d[:, sol.sites].min(axis=1).sum() == 5819
