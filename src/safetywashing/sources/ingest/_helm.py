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

from ._common import Record, Skip, iso_date, load_json
from ._lmeval import _n_shot
from ._shapes import kind, mapping, number, short

DEFAULT_METRIC = "exact_match"


def _load(path: Path) -> Any:
    try:
        return load_json(path)
    except Skip as exc:
        raise Skip(f"{path.name}: {exc}") from None


def read_run_spec(spec_path: Path) -> tuple[str, str, str, dict[str, Any]]:
    """``(run name, model, scenario, adapter_spec)`` of a HELM ``run_spec.json``, its types checked (:class:`Skip`
    naming what is wrong). Read with the bounds of :func:`load_json`; shared with the items reader."""
    spec = _load(spec_path)
    if not isinstance(spec, dict):
        raise Skip(f"run_spec.json is {kind(spec)}; HELM writes an object")
    name = spec.get("name", "")
    if not isinstance(name, str):
        raise Skip(f"run_spec.json: 'name' is {kind(name)}; HELM writes text")
    adapter = mapping(spec, "adapter_spec", "HELM")
    model = adapter.get("model") or adapter.get("model_deployment") or ""
    if not isinstance(model, str):
        raise Skip(f"run_spec.json: adapter_spec.model is {kind(model)}; HELM writes text")
    if not model:
        raise Skip("run_spec.json has no adapter_spec.model")
    groups = spec.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise Skip(f"run_spec.json: 'groups' is {kind(groups)}; HELM writes a list of names")
    return name, model, groups[0] if groups else name.split(":", 1)[0], adapter


def read_helm_run(stats_path: Path, overrides: dict[str, str], source: str) -> tuple[list[Record], list[str]]:
    """Record of one HELM run: the mean of its main metric on the test split, no perturbation.

    The metric is ``exact_match`` unless ``--metric SCENARIO=NAME`` names another.
    """
    spec_path = stats_path.with_name("run_spec.json")
    if not spec_path.exists():
        raise Skip("stats.json without a run_spec.json beside it: not a HELM run folder")
    name, model, scenario, adapter = read_run_spec(spec_path)
    stats = _load(stats_path)
    if not isinstance(stats, list):
        raise Skip(f"stats.json is {kind(stats)}; HELM writes a list")
    metric = overrides.get(scenario, overrides.get(name.split(":", 1)[0], DEFAULT_METRIC))
    cands = [
        s
        for s in stats
        if isinstance(s, dict)
        and isinstance(s.get("name"), dict)
        and s["name"].get("name") == metric
        and "perturbation" not in s["name"]
    ]
    if any(not isinstance(c["name"].get("split"), (str, type(None))) for c in cands):
        raise Skip(f"stats.json: a {metric!r} statistic has a 'split' that is not text")
    split = next((sp for sp in ("test", "valid", None) if any(c["name"].get("split") == sp for c in cands)), "none")
    cands = [c for c in cands if c["name"].get("split") == split and "sub_split" not in c["name"]]
    if not cands:
        have = sorted({str(s["name"].get("name")) for s in stats if isinstance(s, dict) and isinstance(s.get("name"), dict)})
        raise Skip(
            f"no unperturbed {metric!r} statistic (metrics: {', '.join(have[:12])}); choose one with --metric {scenario}=NAME"
        )
    st = cands[0]
    raw = number(st.get("mean"))
    if raw is None:
        raise Skip(f"statistic {metric!r}: mean {short(st.get('mean'))} is {kind(st.get('mean'))}, not a number")
    count = number(st.get("count"))
    sd = number(st.get("stddev"))
    ok = count is not None and sd is not None and math.isfinite(count) and count > 0 and math.isfinite(sd)
    stderr = sd / math.sqrt(count) if ok else math.nan  # type: ignore[operator]
    date = iso_date(stats_path.stat().st_mtime)
    rec = Record(
        model=model,
        benchmark=scenario,
        value=raw,
        harness="helm",
        source=source,
        task=name,
        metric=metric,
        filter=str(split or ""),
        n_shot=_n_shot(adapter.get("max_train_instances")),
        stderr=stderr,
        date=date,
        provider=model.split("/", 1)[0] if "/" in model else "",
        raw_value=raw,
        transform="identity",
        note="date is stats.json's modification time (HELM records none)"
        + ("" if metric == DEFAULT_METRIC else "; metric chosen with --metric"),
    )
    return [rec], []
