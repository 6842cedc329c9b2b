"""UK AISI Inspect AI logs (``.eval`` and ``.json``), read with inspect-ai itself."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ._common import MAX_LOG_BYTES, Record, Skip, inspect_task_benchmark, iso_date, load_json, to_float, to_panel, to_panel_se

INSTALL_HINT = "inspect-ai is not installed; install the extra: pip install 'safetywashing[inspect]'"


def looks_like_inspect(obj: Any) -> bool:
    """True when a parsed JSON object has the shape of an Inspect log."""
    return isinstance(obj, dict) and isinstance(obj.get("eval"), dict) and "status" in obj and "task" in obj["eval"]


def sniff_inspect_json(path: Path) -> bool:
    """Cheap check of a ``.json`` file's start for Inspect's log keys."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return '"eval"' in head and '"status"' in head and '"version"' in head


def split_provider(model: str) -> tuple[str, str]:
    """``"hf/meta-llama/Llama-3.1-8B"`` -> (``"hf"``, ``"meta-llama/Llama-3.1-8B"``)."""
    provider, sep, rest = model.partition("/")
    return (provider, rest) if sep and rest else ("", model)


def _read_log(path: Path) -> Any:
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise Skip(INSTALL_HINT) from None
    try:
        return read_eval_log(str(path), header_only=True)
    except Exception as exc:  # inspect raises many kinds on a broken file
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise Skip(f"inspect-ai cannot read it ({exc.__class__.__name__}: {msg[:160]})") from None


def read_inspect(path: Path, overrides: dict[str, str], source: str) -> tuple[list[Record], list[str]]:
    """Record of one Inspect log: its task, model and first scorer's metric.

    Only logs with status ``success`` count; others raise :class:`Skip`. The
    metric is ``accuracy`` unless ``--metric TASK=NAME`` names another one.
    """
    if path.suffix == ".json":
        obj = load_json(path, MAX_LOG_BYTES)
        if not looks_like_inspect(obj):
            raise Skip("JSON without Inspect's 'eval' and 'status' keys: not an Inspect log")
    log = _read_log(path)
    status = str(getattr(log, "status", ""))
    if status != "success":
        raise Skip(f"Inspect log with status {status!r}; only status 'success' is used")
    full_task = str(log.eval.task)
    task = full_task.rsplit("/", 1)[-1]
    provider, model = split_provider(str(log.eval.model))
    scores = list(getattr(log.results, "scores", None) or []) if log.results is not None else []
    if not scores:
        raise Skip("Inspect log has no scores (results.scores is empty)")
    wanted = overrides.get(task, overrides.get(full_task, "accuracy"))
    scorer_name, _, metric_name = wanted.rpartition("/")
    hit = None
    for sc in scores:
        if scorer_name and sc.name != scorer_name:
            continue
        if metric_name in sc.metrics:
            hit = sc
            break
    if hit is None:
        have = "; ".join(f"{sc.name}: {', '.join(sc.metrics)}" for sc in scores)
        raise Skip(f"no metric {wanted!r} in the scorers (have {have}); choose one with --metric {task}=NAME")
    raw = to_float(hit.metrics[metric_name].value)
    stderr = to_float(hit.metrics["stderr"].value) if "stderr" in hit.metrics else math.nan
    args = dict(getattr(log.eval, "task_args", None) or {})
    nshot = to_float(args.get("fewshot", args.get("num_fewshot", args.get("n_shot"))))
    note = "" if hit is scores[0] else f"metric from scorer {hit.name!r}, not the first scorer"
    benchmark, transform = inspect_task_benchmark(task)
    if benchmark != task:
        note = "; ".join(x for x in (note, f"task {task!r} mapped to registry id {benchmark!r}") if x)
    if wanted != "accuracy":
        note = "; ".join(x for x in (note, "metric chosen with --metric") if x)
    rec = Record(
        model=model,
        benchmark=benchmark,
        value=to_panel(transform, benchmark, raw),
        harness="inspect",
        source=source,
        task=full_task,
        metric=f"{hit.name}/{metric_name}",
        filter="",
        n_shot=nshot,
        stderr=to_panel_se(transform, benchmark, stderr),
        date=iso_date(getattr(log.eval, "created", "")),
        provider=provider,
        raw_value=raw,
        transform=transform,
        note=note,
    )
    return [rec], []
