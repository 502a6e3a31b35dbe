"""``siting.plan``: read, measure, diagnose, site, and write — what ``siting plan`` runs.

The run is written to a temporary folder beside the output folder and moved into place only when
every file is complete, so an interrupted or failed run never leaves a half-written folder that looks
finished.
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting import __version__
from siting import io as sio
from siting.errors import Notice, SitingError, notice_text
from siting.network import build_network
from siting.pipeline.analyse import Timings, analyse
from siting.pipeline.config import PlanConfig, load_config
from siting.pipeline.inputs import Inputs, households_total, read_inputs
from siting.policy import load_profile
from siting.result import PlanResult

log = logging.getLogger(__name__)

_VERSIONED = ("numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "networkx",
              "osmnx", "highspy", "folium", "rasterio", "dask")


def versions() -> dict[str, str]:
    """Versions of Python, siting and the libraries that compute the numbers."""
    out = {"python": platform.python_version(), "siting": __version__}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def plan(
    config: str | Path | Mapping[str, Any] | PlanConfig,
    *,
    out: str | Path | None = None,
    language: str | None = None,
    write: bool = True,
    communities_filter: Any = None,
    verbose: bool | None = None,
) -> PlanResult:
    """Run a whole plan, as ``siting plan CONFIG`` does, and return its tables.

    Parameters
    ----------
    config : str, pathlib.Path, mapping or PlanConfig
        The plan's configuration (a TOML file or its parsed content).
    out : str or pathlib.Path, optional
        Output folder; overrides ``[plan] out``. Nothing is written when ``write`` is False.
    language : {"zh", "en"}, optional
        Language of the map, report and spreadsheet; overrides ``[plan] language``.
    write : bool
        Write ``results.gpkg``, ``map.html``, ``report.html``, ``summary.xlsx`` and ``run.json``.
    communities_filter : callable, optional
        Keeps a subset of the communities (used by batch runs: one district at a time).
    verbose : bool, optional
        Progress bars (default: when attached to a terminal).

    Returns
    -------
    siting.result.PlanResult
        The same tables the output files hold, as GeoDataFrames in the plan's metric CRS.

    Raises
    ------
    siting.errors.InputError
        Bad data or configuration, naming file, feature, column and fix.
    siting.errors.InfeasibleError
        A siting request that no plan can meet.
    """
    timings = Timings()
    cfg = load_config(config)
    if language:
        cfg = replace(cfg, language=language)
    profile = load_profile(cfg.policy, overrides=cfg.policy_overrides or None)
    timings.lap("profile")

    inputs = read_inputs(cfg, profile)
    communities = inputs.communities
    if communities_filter is not None:
        communities = communities[communities_filter(communities)]
    timings.lap("read_inputs")

    hh_in = inputs.households_in
    households = sio.assign_communities(inputs.households, communities)
    if communities_filter is not None:
        # One district of a county run: only the households of its communities; those outside
        # every community are counted once, by the county run (see pipeline.batch).
        households = households[households["community_id"].notna()]
        hh_in = households_total(households)
    outside = households["community_id"].isna()
    warnings = list(inputs.warnings)
    hh_outside = int(households.loc[outside, "households"].sum())
    if outside.any():
        warnings.append(Notice(
            f"{hh_outside} households ({int(outside.sum())} points) lie outside every community: "
            "kept with an empty community_id and counted, not dropped",
            f"{hh_outside} 户（{int(outside.sum())} 个点）不在任何社区范围内：已保留（社区编号为空）"
            "并计数，未删除"))
    timings.lap("assign")

    net = _network(cfg, inputs.crs, profile.settings.get("network"), verbose)
    net, piece_counts = _choose_pieces(net, households, cfg.analysis.get("network_pieces", "main"),
                                       warnings)
    timings.lap("network")
    warnings.extend(_coords_check(cfg, {
        "communities": (cfg.communities, communities), "facilities": (cfg.facilities, inputs.facilities),
        "households": (cfg.households, households), "candidates": (cfg.candidates, inputs.candidates)},
        net))

    result_a = analyse(communities, households, inputs.facilities, net, profile,
                       analysis=dict(cfg.analysis), timings=timings, verbose=verbose)
    warnings.extend(result_a.warnings)

    split_proposals, split_counts = _split(cfg, result_a, net, profile, warnings, verbose)
    timings.lap("split")

    sites = siting_summary = None
    if cfg.siting:
        from siting.optimize.plans import plan_sites

        plans = plan_sites(cfg.siting, net=net, profile=profile, communities=result_a.communities,
                           households=result_a.households, facilities=result_a.facilities,
                           candidates=inputs.candidates, hh_snapped=result_a.hh_snapped,
                           fac_snapped=result_a.fac_snapped, seed=cfg.seed, verbose=verbose)
        sites, siting_summary = plans.sites, plans.summary
        warnings.extend(plans.warnings)
        timings.lap("siting")

    hh_out = households_total(result_a.households)
    counts = {
        "households_in": hh_in,
        "household_points_in": len(households),
        "households_out": hh_out,
        "household_points_out": len(result_a.households),
        "households_outside_communities": hh_outside,
        "households_in_communities": int(result_a.communities["households"].sum()),
        "communities": len(result_a.communities),
        "facilities": len(inputs.facilities),
        "facilities_by_type": {str(k): int(v) for k, v in
                               inputs.facilities["type"].value_counts().sort_index().items()},
        **piece_counts,
        **result_a.counts,
        **split_counts,
    }
    if hh_in != hh_out:  # pragma: no cover - a bug, never data
        raise SitingError(f"households in ({hh_in}) != households out ({hh_out}): please report")

    synthetic = cfg.synthetic or _any_synthetic(inputs)
    manifest = {
        "plan": cfg.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "synthetic": synthetic,
        "config": str(cfg.source) if cfg.source else None,
        "inputs": inputs.files,
        "households_source": inputs.households_source,
        "facilities_source": inputs.facilities_source,
        "crs": inputs.crs.to_string(),
        "profile": _profile_manifest(profile),
        "parameters": _parameters(cfg),
        "versions": versions(),
        "counts": counts,
        "warnings": warnings,
        "warnings_zh": [notice_text(w, "zh") for w in warnings],
        "timings_s": timings.steps,
    }
    result = PlanResult(
        name=cfg.name, profile=profile, communities=result_a.communities,
        households=result_a.households, facilities=result_a.facilities, rules=result_a.rules,
        centres=result_a.centres, service_areas=result_a.service_areas,
        split_proposals=split_proposals, sites=sites,
        siting_summary=siting_summary, network_edges=_edges_for_map(net), manifest=manifest,
        warnings=warnings, synthetic=synthetic,
    )
    target = Path(out) if out is not None else cfg.out
    if write:
        if target is None:
            target = Path("outputs") / _slug(cfg.name)
        write_result(result, target, language=cfg.language)
    return result


#: The split counts of ``run.json`` (all 0 when ``[split] enabled = false``).
_SPLIT_COUNTS = ("split_communities", "split_parts", "split_communities_meeting_rules",
                 "split_households")


def _split(cfg: PlanConfig, result_a: Any, net: Any, profile: Any, warnings: list[str],
           verbose: bool | None) -> tuple[gpd.GeoDataFrame | None, dict[str, Any]]:
    """Split proposals for the oversized communities (``[split]``; on unless ``enabled = false``).

    Returns the proposals (None when disabled: the layer is then written empty) and the counts for
    ``run.json``; the planner's warnings are appended to ``warnings``.
    """
    opts = dict(cfg.split)
    if not opts.get("enabled", True):
        return None, dict.fromkeys(_SPLIT_COUNTS, 0)
    from siting.split import propose_splits

    res = propose_splits(result_a.communities, result_a.households, net, profile,
                         hh_snapped=result_a.hh_snapped, seed=cfg.seed,
                         time_limit=float(opts.get("time_limit_s", 60.0)),
                         max_extra_parts=int(opts.get("max_extra_parts", 3)), verbose=verbose)
    warnings.extend(res.warnings)
    props = res.proposals
    meets = int(res.summary["meets_rules"].sum()) if len(res.summary) else 0
    counts = {
        "split_communities": int(props["community_id"].nunique()),
        "split_parts": len(props),
        "split_communities_meeting_rules": meets,
        "split_households": int(pd.to_numeric(props["households"]).sum()) if len(props) else 0,
    }
    expected = int(result_a.communities.loc[res.summary["community_id"], "households"].sum()) \
        if len(res.summary) else 0
    if counts["split_households"] != expected:  # pragma: no cover - a bug, never data
        raise SitingError(f"split parts hold {counts['split_households']} households but their "
                          f"communities {expected}: please report")
    return props, counts


#: The walking network last built in this process, by (file, its modification time and size, CRS,
#: walk filter): the districts of a county run share the network file (and a notebook re-plans with
#: it), and parsing it is the slow part of a district. One is kept; a changed file is read again.
_NETWORK_CACHE: dict[tuple[Any, ...], Any] = {}
_NETWORK_LOCK = threading.Lock()


def _network(cfg: PlanConfig, crs: Any, walk_filter: Any, verbose: bool | None) -> Any:
    """``build_network`` for the plan, reusing the network last built from the same, unchanged file."""
    key: tuple[Any, ...] | None = None
    source = cfg.network
    if isinstance(source, (str, Path)) and not cfg.network_online and Path(source).is_file():
        stat = Path(source).stat()
        key = (str(Path(source).resolve()), stat.st_mtime_ns, stat.st_size, str(crs),
               json.dumps(walk_filter, sort_keys=True, default=str))
        with _NETWORK_LOCK:
            if key in _NETWORK_CACHE:
                log.info("walking network reused from this process: %s", source)
                return _NETWORK_CACHE[key]
    net = build_network(source, crs=crs, walk_filter=walk_filter, online=cfg.network_online,
                        verbose=verbose)
    if key is not None:
        with _NETWORK_LOCK:
            _NETWORK_CACHE.clear()
            _NETWORK_CACHE[key] = net
    return net


def _choose_pieces(net: Any, households: gpd.GeoDataFrame, pieces: str,
                   warnings: list[str]) -> tuple[Any, dict[str, Any]]:
    """Use the largest connected piece (``"main"``, the default) or every piece (``"all"``).

    With ``"main"``, households whose nearest street lies on a detached piece are counted and
    reported, then reach the main piece's nearest street (a longer access leg). With ``"all"``, they
    stay on their piece and their distances are missing.
    """
    summary = net.detached_summary
    counts: dict[str, Any] = {"network_pieces": int(summary.pieces),
                              "network_detached_length_m": round(summary.detached_length_m, 1)}
    if not summary.detached_pieces:
        return net, counts
    near = np.asarray(net.snap(households.geometry).component) != 0
    n_hh = int(households.loc[near, "households"].sum())
    counts["households_nearest_detached_piece"] = n_hh
    counts["household_points_nearest_detached_piece"] = int(near.sum())
    km = f"{summary.detached_length_m / 1000:.2f}"
    total_km = f"{summary.total_length_m / 1000:.1f}"
    pieces_zh = (f"步行路网除主网外还有 {summary.detached_pieces} 个不连通的部分（{km} 公里，共 "
                 f"{total_km} 公里）")
    if pieces != "main":
        warnings.append(Notice(str(summary), (
            f"{pieces_zh}：落在其上的点无法到达主网，其距离记为缺失")))
    else:
        warnings.append(Notice(
            f"the walking network has {summary.detached_pieces} detached piece(s) besides the main "
            f"one ({km} km of {total_km} km); only the largest connected piece is used",
            f"{pieces_zh}：只使用最大的连通路网"))
    if pieces == "main":
        if near.any():
            warnings.append(Notice(
                f"{n_hh} households ({int(near.sum())} points) are nearest a detached piece of the "
                "walking network (often a compound's paths not joined to the street in OSM): they "
                "were measured from the nearest street of the main network instead; check the map "
                "data around them, or set network_pieces = \"all\" under [analysis] to leave their "
                "distances missing",
                f"{n_hh} 户（{int(near.sum())} 个点）离不连通的路段最近（常见于 OSM 中小区内部道路未与"
                "街道相连）：已改从主路网最近的街道量算；请核对其周边地图数据，或在 [analysis] 中设 "
                "network_pieces = \"all\"，使其距离记为缺失"))
        return net.main_piece(), counts
    return net, counts


def write_result(result: PlanResult, out: Path, *, language: str = "zh") -> dict[str, Path]:
    """Write every output file into ``out`` atomically (a temporary folder, then a rename)."""
    from siting.report import write_outputs

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        paths = write_outputs(result, tmp, language=language)
        manifest = dict(result.manifest)
        manifest["timings_s"] = dict(manifest.get("timings_s", {}))
        manifest["outputs"] = sorted(p.name for p in tmp.iterdir())
        manifest["outputs"].append("run.json")
        (tmp / "run.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2,
                                                 default=_json_default), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("wrote %s", out)
    return {name: out / Path(p).name for name, p in paths.items()}


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def _profile_manifest(profile: Any) -> dict[str, Any]:
    to_dict = getattr(profile, "to_dict", None)
    body = to_dict() if callable(to_dict) else {}
    return {"name": profile.name, "title": getattr(profile, "title", None), "content": body}


def _parameters(cfg: PlanConfig) -> dict[str, Any]:
    return {
        "policy": cfg.policy, "policy_overrides": dict(cfg.policy_overrides), "coords": cfg.coords,
        "language": cfg.language, "seed": cfg.seed, "analysis": dict(cfg.analysis),
        "siting": [{k: v for k, v in vars(r).items() if v is not None} for r in cfg.siting],
        "network": str(cfg.network), "network_online": cfg.network_online,
        "split": dict(cfg.split),
    }


def _any_synthetic(inputs: Inputs) -> bool:
    frames = [inputs.communities, inputs.households, inputs.facilities]
    return any("synthetic" in f and bool(pd.Series(f["synthetic"]).fillna(False).astype(bool).any())
               for f in frames)


def _edges_for_map(net: Any) -> gpd.GeoDataFrame | None:
    try:
        return net.edges_gdf()
    except Exception:
        log.debug("no edges for the map", exc_info=True)
        return None


def _coords_check(cfg: PlanConfig, layers: dict[str, tuple[Any, Any]], net: Any) -> list[str]:
    """Warn for each input file that looks GCJ-02 / BD-09 shifted against the OSM streets.

    ``layers``: name → (the file it was read from, or None when not read from a file; the frame).
    Community polygons are told by their boundaries, facilities by their points (both usually by a
    street); household points, inside blocks, tell least (:func:`siting.io.suggest_coords`).
    """
    if cfg.coords != "wgs84":
        return []
    try:
        streets = sio.coords_reference(net.edges_gdf())  # in the run's metric CRS: kept
    except Exception:  # a check, never a failure
        log.debug("coordinate check skipped", exc_info=True)
        return []
    if streets is None:
        return []
    out: list[str] = []
    for name, (path, frame) in layers.items():
        if path is None or frame is None or len(frame) < 5:
            continue
        try:
            guess = sio.suggest_coords(frame.geometry.to_crs("EPSG:4326"), streets)
        except Exception:
            log.debug("coordinate check of %s skipped", name, exc_info=True)
            continue
        if guess and guess != "wgs84":
            out.append(Notice(
                f"{path}: the {name} sit systematically off the streets as if they were {guess} "
                f"(e.g. from 高德/腾讯/百度 maps); if so, set coords = \"{guess}\" under [inputs] (it "
                "applies to every input file, so convert the others or give them all in one system)",
                f"{path}：{_LAYER_ZH.get(name, name)}整体偏离街道，像是 {guess} 坐标（如来自高德、腾讯或百度地图）；"
                f"若是，请在 [inputs] 中设 coords = \"{guess}\"（该设置作用于所有输入文件，其余文件须为同一坐标系）"))
    return out


_LAYER_ZH = {"communities": "社区边界", "facilities": "设施点", "households": "住户点",
             "candidates": "候选点"}


def _slug(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return keep.strip("_") or "plan"
