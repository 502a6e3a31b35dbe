"""Read the OR-Library p-median instances (Beasley 1990) into cost matrices.

File format: first line ``n_vertices n_edges p``, then ``i j cost`` lines (1-based, undirected); a
later line for the same pair wins. The cost between vertices is the shortest path over these edges,
computed with ``scipy.sparse.csgraph`` (Dijkstra).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

DATA = Path(__file__).resolve().parent / "data" / "orlib"


def read_pmed(path: str | Path) -> tuple[np.ndarray, int]:
    """Return ``(cost, p)``: the all-pairs shortest-path matrix (n × n) and p."""
    text = Path(path).read_text().split()
    n, e, p = int(text[0]), int(text[1]), int(text[2])
    arr = np.asarray(text[3:3 + 3 * e], dtype=np.int64).reshape(e, 3)
    edges: dict[tuple[int, int], int] = {}
    for i, j, c in arr:  # a later duplicate wins
        a, b = (i - 1, j - 1) if i <= j else (j - 1, i - 1)
        edges[(a, b)] = c
    u = np.fromiter((k[0] for k in edges), dtype=np.int64, count=len(edges))
    v = np.fromiter((k[1] for k in edges), dtype=np.int64, count=len(edges))
    c = np.fromiter(edges.values(), dtype=np.float64, count=len(edges))
    g = sp.csr_matrix((np.r_[c, c], (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    # csr construction sums duplicates of (u,v)+(v,u) only for self loops; drop those
    g.setdiag(0)
    g.eliminate_zeros()
    return shortest_path(g, method="D", directed=False), p


def optima(path: str | Path | None = None) -> dict[str, int]:
    """Published optimal values from ``pmedopt.txt``."""
    out: dict[str, int] = {}
    for line in Path(path or DATA / "pmedopt.txt").read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = int(parts[1])
    return out
