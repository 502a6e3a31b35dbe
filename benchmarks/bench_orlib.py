"""OR-Library p-median benchmark (Beasley 1990): all forty instances, one general method.

Usage::

    .venv/bin/python benchmarks/bench_orlib.py [--instances 1-40] [--time-limit 55]
        [--spopt] [--spopt-instances 1-10] [--spopt-time-limit 300] [--out FILE.md]

Every instance runs ``siting.optimize.p_median(cost, p, time_limit=T)`` with the same ``T``; no
per-instance setting. With ``--spopt``, spopt's ``PMedian.from_cost_matrix`` with its default CBC
(pulp's bundled ``PULP_CBC_CMD``) runs on ``--spopt-instances`` in the same process, with a per-instance
time cap. Results go to stdout as a Markdown table (and to ``--out``).
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from orlib import DATA, optima, read_pmed

from siting.optimize import p_median

log = logging.getLogger("bench_orlib")


def parse_range(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def run_spopt(cost: np.ndarray, p: int, cap: float) -> tuple[float | None, float, str]:
    import pulp
    from spopt.locate import PMedian

    t = time.perf_counter()
    model = PMedian.from_cost_matrix(cost, np.ones(cost.shape[0]), p_facilities=p)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=cap))
    elapsed = time.perf_counter() - t
    status = pulp.LpStatus[model.problem.status]
    obj = pulp.value(model.problem.objective)
    return (None if obj is None else float(obj)), elapsed, status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default="1-40")
    ap.add_argument("--time-limit", type=float, default=55.0)
    ap.add_argument("--spopt", action="store_true")
    ap.add_argument("--spopt-instances", default="1-10")
    ap.add_argument("--spopt-time-limit", type=float, default=300.0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    opt = optima()
    spopt_set = set(parse_range(args.spopt_instances)) if args.spopt else set()
    head = ("| instance | n | p | objective | published optimum | gap to optimum | proven bound | "
            "bound gap | status | time s |")
    if args.spopt:
        head += " spopt+CBC objective | spopt time s | speed-up |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    print("\n".join(lines), flush=True)
    for k in parse_range(args.instances):
        name = f"pmed{k}"
        cost, p = read_pmed(DATA / f"{name}.txt")
        t = time.perf_counter()
        sol = p_median(cost, p, time_limit=args.time_limit)
        el = time.perf_counter() - t
        o = opt[name]
        gap_opt = (sol.objective - o) / o
        row = (f"| {name} | {cost.shape[0]} | {p} | {sol.objective:.0f} | {o} | {100 * gap_opt:.3f} % | "
               f"{sol.bound:.1f} | {100 * (sol.gap or 0):.3f} % | {sol.status} | {el:.2f} |")
        if args.spopt:
            if k in spopt_set:
                sobj, stime, sstat = run_spopt(cost, p, args.spopt_time_limit)
                sobj_s = "—" if sobj is None else f"{sobj:.0f} ({sstat})"
                row += f" {sobj_s} | {stime:.1f} | {stime / el:.0f}× |"
            else:
                row += " not run | | |"
        lines.append(row)
        print(row, flush=True)
    info = (f"\nMachine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
            f", numpy {np.__version__}")
    print(info)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n" + info + "\n")


if __name__ == "__main__":
    main()
