"""County-wide runs: one plan per district, in parallel on Dask, a failing district isolated.

A configuration whose communities carry a ``district`` column with more than one value (or that names
``[batch] by = "<column>"``) runs district by district. Each district is an independent task: it
reads the inputs itself (the files must be readable from every worker, as on a shared disk), plans
its own communities and writes ``<out>/<district>/``; a worker builds the walking network once and
reuses it for its next districts while the file is unchanged (``siting.pipeline.run._network``). A district that fails is recorded with its
error in the county's ``run.json`` and ``districts.csv``; the others finish. Dask (``distributed``)
does the scheduling: a local cluster for ``--workers N``, or an existing scheduler for
``--scheduler ADDRESS``.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from siting import io as sio
from siting.errors import InputError
from siting.pipeline.config import PlanConfig, load_config
from siting.pipeline.run import plan, versions

log = logging.getLogger(__name__)


def districts_of(cfg: PlanConfig) -> tuple[str, list[str]] | None:
    """The batch column and its district values, or None for a single-area plan."""
    column = cfg.batch_by or "district"
    if cfg.communities is None:
        return None
    communities = sio.read_communities(cfg.communities, coords=cfg.coords)
    if column not in communities:
        if cfg.batch_by:
            raise InputError(f"`[batch] by = \"{column}\"` but {cfg.communities} has no column "
                             f"`{column}`; add it or remove [batch] by")
        return None
    values = sorted(str(v) for v in communities[column].dropna().unique())
    if cfg.districts:
        unknown = sorted(set(cfg.districts) - set(values))
        if unknown:
            raise InputError(f"[batch] districts names {unknown} not found in column `{column}` "
                             f"of {cfg.communities}; known: {values}")
        values = [v for v in values if v in cfg.districts]
    if len(values) <= 1 and not cfg.batch_by:
        return None
    return column, values


def run_district(
    config: PlanConfig, column: str, district: str, out: Path, language: str | None,
    verbose: bool | None,
) -> dict[str, Any]:
    """Plan one district; never raises (the error is returned so the county run goes on)."""
    try:
        result = plan(config, out=out, language=language, verbose=verbose,
                      communities_filter=lambda c: c[column].astype(str) == district)
        counts = result.manifest["counts"]
        return {"district": district, "status": "done", "out": str(out),
                "communities": counts["communities"], "households": counts["households_out"],
                "oversized": int(result.communities["oversized"].fillna(False).sum()),
                "error": ""}
    except Exception as exc:  # noqa: BLE001 - isolate the district, report it
        kind = "input" if isinstance(exc, InputError) else type(exc).__name__
        log.error("district %s failed: %s", district, exc)
        return {"district": district, "status": "failed", "out": "", "communities": 0,
                "households": 0, "oversized": 0, "error": f"{kind}: {exc}",
                "traceback": traceback.format_exc(limit=5)}


def run_plan_files(
    config: str | Path, *, out: str | Path | None = None, workers: int = 1,
    scheduler: str | None = None, language: str | None = None, verbose: bool | None = None,
) -> Path:
    """What ``siting plan`` does: one plan, or one per district in parallel.

    Parameters
    ----------
    config : str or pathlib.Path
        The plan's TOML file.
    out : str or pathlib.Path, optional
        Output folder (overrides ``[plan] out``).
    workers : int
        Local Dask workers for a county run (1 = run districts one after another in this process).
    scheduler : str, optional
        Address of a running Dask scheduler; overrides ``workers``.
    language : {"zh", "en"}, optional
        Output language.
    verbose : bool, optional
        Progress bars.

    Returns
    -------
    pathlib.Path
        The output folder.

    Raises
    ------
    siting.errors.InputError
        When the configuration itself is bad; a bad district alone does not raise (see the county
        ``run.json``), but a county where every district failed does.
    """
    cfg = load_config(config)
    target = Path(out) if out is not None else (cfg.out or Path("outputs") / "plan")
    batch = districts_of(cfg)
    if batch is None:
        plan(cfg, out=target, language=language, verbose=verbose)
        return target
    column, districts = batch
    log.info("county run: %d districts by `%s`", len(districts), column)
    target.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    jobs = [(cfg, column, d, target / _safe(d), language, False if workers > 1 else verbose)
            for d in districts]
    if scheduler or workers > 1:
        rows = _run_dask(jobs, workers=workers, scheduler=scheduler)
    else:
        rows = [run_district(*job) for job in jobs]
    table = pd.DataFrame(rows)
    table.drop(columns=[c for c in ("traceback",) if c in table]).to_csv(
        target / "districts.csv", index=False)
    hh_in, outside = _county_households(cfg)
    manifest = {
        "plan": cfg.name, "created": started.isoformat(timespec="seconds"), "batch_by": column,
        "districts": rows, "versions": versions(),
        "counts": {"households_in": hh_in, "households_outside_communities": outside,
                   "households_in_districts_done": int(table.loc[table.status == "done",
                                                                 "households"].sum()),
                   "districts_done": int((table.status == "done").sum()),
                   "districts_failed": int((table.status == "failed").sum())},
    }
    (target / "run.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                     encoding="utf-8")
    failed = table[table.status == "failed"]
    if len(failed) == len(table):
        raise InputError(f"every district failed; first error: {failed.iloc[0]['error']}")
    for _, row in failed.iterrows():
        log.warning("district %s failed: %s", row["district"], row["error"])
    return target


def _run_dask(jobs: list[tuple[Any, ...]], *, workers: int, scheduler: str | None) -> list[dict]:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(run_district, *job, pure=False) for job in jobs]
        rows = []
        for job, fut in zip(jobs, futures):
            try:
                rows.append(fut.result())
            except Exception as exc:  # noqa: BLE001 - a worker lost, not a bad district
                rows.append({"district": job[2], "status": "failed", "out": "", "communities": 0,
                             "households": 0, "oversized": 0,
                             "error": f"worker: {type(exc).__name__}: {exc}"})
        return rows
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _county_households(cfg: PlanConfig) -> tuple[int, int]:
    """Households in the county's input, and those outside every community (any district)."""
    try:
        from siting.pipeline.inputs import read_inputs
        from siting.policy import load_profile

        inputs = read_inputs(cfg, load_profile(cfg.policy, overrides=cfg.policy_overrides or None))
        assigned = sio.assign_communities(inputs.households, inputs.communities)
        outside = int(assigned.loc[assigned["community_id"].isna(), "households"].sum())
        return inputs.households_in, outside
    except Exception:
        log.debug("county household count failed", exc_info=True)
        return -1, -1


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "district"
