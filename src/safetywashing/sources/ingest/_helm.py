"""Stanford HELM run folders: ``run_spec.json`` + ``stats.json`` per run.

This is what ``helm-run`` writes under ``benchmark_output/runs/<suite>/<run>/``
and what HELM publishes for every run of its public leaderboards, so it is
what HELM users hold. A scenario split over several runs (MMLU subjects) is
averaged over its runs per model, as HELM's own leaderboard tables do.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..._util.io import record_input
from .._registry import scales
from ._common import Record, Skip, iso_date, load_json, to_float, to_panel, to_panel_se

DEFAULT_METRIC = "exact_match"


def _load(path: Path) -> Any:
    try:
        return load_json(path)
    except Skip as exc:
        raise Skip(f"{path.name}: {exc}") from None


def read_helm_run(stats_path: Path, overrides: dict[str, str], source: str) -> tuple[list[Record], list[str]]:
    """Record of one HELM run: the mean of its main metric on the test split, no perturbation.

    The metric is ``exact_match`` unless ``--metric SCENARIO=NAME`` names another.
    """
    spec_path = stats_path.with_name("run_spec.json")
    if not spec_path.is_file():
        raise Skip("stats.json without a run_spec.json beside it: not a HELM run folder")
    record_input(spec_path)
    spec, stats = _load(spec_path), _load(stats_path)
    if not isinstance(spec, dict) or not isinstance(stats, list):
        raise Skip("run_spec.json must be an object and stats.json a list (HELM's format)")
    name = str(spec.get("name", ""))
    adapter = spec.get("adapter_spec") or {}
    model = str(adapter.get("model") or adapter.get("model_deployment") or "")
    if not model:
        raise Skip("run_spec.json has no adapter_spec.model")
    groups = spec.get("groups") or []
    scenario = str(groups[0]) if groups else name.split(":", 1)[0]
    metric = overrides.get(scenario, overrides.get(name.split(":", 1)[0], DEFAULT_METRIC))
    cands = [
        s
        for s in stats
        if isinstance(s, dict)
        and isinstance(s.get("name"), dict)
        and s["name"].get("name") == metric
        and "perturbation" not in s["name"]
    ]
    split = next((sp for sp in ("test", "valid", None) if any(c["name"].get("split") == sp for c in cands)), "none")
    cands = [c for c in cands if c["name"].get("split") == split and "sub_split" not in c["name"]]
    if not cands:
        have = sorted({s["name"].get("name") for s in stats if isinstance(s, dict) and isinstance(s.get("name"), dict)})
        raise Skip(
            f"no unperturbed {metric!r} statistic (metrics: {', '.join(have[:12])}); choose one with --metric {scenario}=NAME"
        )
    st = cands[0]
    raw = to_float(st.get("mean"))
    count = to_float(st.get("count"))
    sd = to_float(st.get("stddev"))
    stderr = sd / math.sqrt(count) if count > 0 and not math.isnan(sd) else math.nan
    date = iso_date(stats_path.stat().st_mtime)
    transform = "panel_scale" if scenario in scales().index else "identity"  # one scale per registry id (WMDP)
    rec = Record(
        model=model,
        benchmark=scenario,
        value=to_panel(transform, scenario, raw),
        harness="helm",
        source=source,
        task=name,
        metric=metric,
        filter=str(split or ""),
        n_shot=to_float(adapter.get("max_train_instances")),
        stderr=to_panel_se(transform, scenario, stderr),
        date=date,
        provider=model.split("/", 1)[0] if "/" in model else "",
        raw_value=raw,
        transform=transform,
        note="date is stats.json's modification time (HELM records none)"
        + ("" if metric == DEFAULT_METRIC else "; metric chosen with --metric"),
    )
    return [rec], []
