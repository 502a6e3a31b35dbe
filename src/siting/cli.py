"""The ``siting`` command: argument parsing only; the work is done by :mod:`siting.pipeline`.

Exit status: 0 done; 2 bad input or configuration (the message names the file, the feature, the
column and the fix); 1 anything else.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from siting import __version__
from siting.errors import InfeasibleError, InputError

log = logging.getLogger("siting")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siting",
        description="社区规划与设施选址 — community diagnosis and facility siting on walking networks.",
    )
    parser.add_argument("--version", action="version", version=f"siting {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--quiet", action="store_true", help="no progress bars, warnings only")
        p.add_argument("--verbose", action="store_true", help="log every step")
        p.add_argument("--language", choices=["zh", "en"], default=None,
                       help="language of maps and reports (default: the plan's, else Chinese)")

    demo = sub.add_parser("demo", help="run the main job on the embedded data (Beijing, Shenzhen)",
                          description="Run every demo case on the data shipped in data/boundaries/; "
                                      "one output folder per case.")
    demo.add_argument("--out", type=Path, default=Path("outputs/demo"), help="output folder")
    demo.add_argument("--case", action="append", default=None,
                      help="run only this case (beijing, shenzhen); repeatable")
    common(demo)

    plan = sub.add_parser("plan", help="run a plan from a configuration file (TOML)",
                          description="Diagnose communities and site facilities as CONFIG says.")
    plan.add_argument("config", type=Path, help="the plan's configuration (TOML)")
    plan.add_argument("--out", type=Path, default=None, help="output folder (overrides [plan] out)")
    plan.add_argument("--workers", type=int, default=1,
                      help="districts run in parallel on a local Dask cluster with N workers")
    plan.add_argument("--scheduler", default=None,
                      help="address of a Dask scheduler (tcp://host:8786) to send districts to")
    common(plan)

    synth = sub.add_parser("synth", help="write a synthetic county's inputs and a config.toml",
                           description="Generate a seeded synthetic county (street grid, communities, "
                                       "households, facilities) that `siting plan` runs as is.")
    synth.add_argument("--households", type=int, required=True, help="total households")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument("--districts", type=int, default=None, help="number of districts")
    synth.add_argument("--out", type=Path, required=True, help="folder to write into")
    common(synth)
    return parser


def _setup_logging(args: argparse.Namespace) -> bool | None:
    level = logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("pyogrio", "fiona", "rasterio", "distributed", "matplotlib", "PIL", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return False if args.quiet else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``siting`` command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    verbose = _setup_logging(args)
    try:
        if args.command == "demo":
            from siting.pipeline.demo import run_demo

            run_demo(out=args.out, cases=args.case, language=args.language, verbose=verbose)
        elif args.command == "plan":
            from siting.pipeline.batch import run_plan_files

            run_plan_files(args.config, out=args.out, workers=args.workers,
                           scheduler=args.scheduler, language=args.language, verbose=verbose)
        elif args.command == "synth":
            from siting.pipeline.synth import write_synthetic_county

            if args.households < 1:
                raise InputError("--households must be at least 1")
            config = write_synthetic_county(args.out, households=args.households, seed=args.seed,
                                            districts=args.districts)
            log.info("wrote %s; run it with: siting plan %s", config, config)
    except InputError as exc:
        print(f"siting: input error: {exc}", file=sys.stderr)
        return 2
    except InfeasibleError as exc:
        print(f"siting: infeasible: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("siting: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        print(f"siting: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
