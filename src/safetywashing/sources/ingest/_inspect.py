"""UK AISI Inspect AI logs (``.eval`` and ``.json``), read with inspect-ai itself."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..._util import limits
from ..._util.errors import InputError
from ..._util.io import check_regular, check_zip, record_input
from ._common import MAX_LOG_BYTES, TRANSFORMS, Record, Skip, inspect_task_benchmark, iso_date, load_json
from ._lmeval import _n_shot
from ._shapes import kind, number, score, short

INSTALL_HINT = "inspect-ai is not installed; install the extra: pip install 'safetywashing[inspect]'"


def looks_like_inspect(obj: Any) -> bool:
    """True when a parsed JSON object has the shape of an Inspect log."""
    return isinstance(obj, dict) and isinstance(obj.get("eval"), dict) and "status" in obj and "task" in obj["eval"]


def sniff_inspect_json(path: Path) -> bool:
    """Cheap check of a ``.json`` file's start for Inspect's log keys."""
    try:
        check_regular(path, max_bytes=limits.MAX_LOG_BYTES)
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError, InputError):
        return False
    record_input(path)  # read (its start): no output may replace it
    return '"eval"' in head and '"status"' in head and '"version"' in head


def split_provider(model: str) -> tuple[str, str]:
    """``"hf/meta-llama/Llama-3.1-8B"`` -> (``"hf"``, ``"meta-llama/Llama-3.1-8B"``)."""
    provider, sep, rest = model.partition("/")
    return (provider, rest) if sep and rest else ("", model)


def check_log_bounds(path: Path) -> None:
    """Refuse (:class:`Skip`) a log that is not a regular file, is too large, or is a zip with too many entries or too
    many declared uncompressed bytes (a zip bomb): checked before inspect-ai reads anything."""
    try:
        check_regular(path, max_bytes=limits.MAX_ZIP_BYTES if path.suffix == ".eval" else limits.MAX_LOG_BYTES)
        if path.suffix == ".eval":
            check_zip(path, max_entries=limits.MAX_ZIP_ENTRIES, max_total=limits.MAX_ZIP_UNCOMPRESSED,
                      max_member=limits.MAX_ZIP_MEMBER)
    except InputError as exc:
        raise Skip(str(exc).removeprefix(f"{path}: ")) from None


def _read_log(path: Path) -> Any:
    check_log_bounds(path)
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise Skip(INSTALL_HINT) from None
    try:
        return read_eval_log(str(path), header_only=True)
    except Exception as exc:  # inspect raises many kinds on a broken file
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise Skip(f"inspect-ai cannot read it ({exc.__class__.__name__}: {msg[:160]})") from None


def _check_json_scores(obj: dict[str, Any]) -> None:
    """Name a metric value of a ``.json`` log that is not a number (inspect-ai's own reader only says it failed)."""
    results = obj.get("results")
    if results is None:
        return
    scores = results.get("scores") if isinstance(results, dict) else None
    if not isinstance(scores, list):
        raise Skip(f"'results.scores' is {kind(scores)}; Inspect writes a list of scorers")
    for sc in scores:
        metrics = sc.get("metrics") if isinstance(sc, dict) else None
        if not isinstance(metrics, dict):
            raise Skip(f"a scorer's 'metrics' is {kind(metrics)}; Inspect writes an object")
        for name, m in metrics.items():
            val = m.get("value") if isinstance(m, dict) else m
            if number(val) is None:
                raise Skip(f"scorer {sc.get('name')!r}, metric {name!r}: value {short(val)} is {kind(val)}, not a number")


def read_inspect(path: Path, overrides: dict[str, str], source: str) -> tuple[list[Record], list[str]]:
    """Record of one Inspect log: its task, model and first scorer's metric.

    Only logs with status ``success`` count; others raise :class:`Skip`. The
    metric is ``accuracy`` unless ``--metric TASK=NAME`` names another one.
    """
    if path.suffix == ".json":
        obj = load_json(path, MAX_LOG_BYTES)
        if not looks_like_inspect(obj):
            raise Skip("JSON without Inspect's 'eval' and 'status' keys: not an Inspect log")
        _check_json_scores(obj)
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
    raw = score(hit.metrics[metric_name].value, f"scorer {hit.name!r}, metric {metric_name!r}")
    se = number(hit.metrics["stderr"].value) if "stderr" in hit.metrics else None
    stderr = se if se is not None and math.isfinite(se) else math.nan
    args = dict(getattr(log.eval, "task_args", None) or {})
    nshot = _n_shot(args.get("fewshot", args.get("num_fewshot", args.get("n_shot"))))
    note = "" if hit is scores[0] else f"metric from scorer {hit.name!r}, not the first scorer"
    benchmark, transform = inspect_task_benchmark(task)
    if benchmark != task:
        note = "; ".join(x for x in (note, f"task {task!r} mapped to registry id {benchmark!r}") if x)
    if wanted != "accuracy":
        note = "; ".join(x for x in (note, "metric chosen with --metric") if x)
    rec = Record(
        model=model,
        benchmark=benchmark,
        value=TRANSFORMS[transform](raw),
        harness="inspect",
        source=source,
        task=full_task,
        metric=f"{hit.name}/{metric_name}",
        filter="",
        n_shot=nshot,
        stderr=stderr,
        date=iso_date(getattr(log.eval, "created", "")),
        provider=provider,
        raw_value=raw,
        transform=transform,
        note=note,
    )
    return [rec], []
