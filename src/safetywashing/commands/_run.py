"""Evaluate a task on panel models through Inspect's eval sets, then audit its scores (``safetywashing run``).

We drive Inspect (``inspect_ai.eval_set``, the ``inspect`` extra, imported here lazily); it schedules the models,
retries, shows its own progress and resumes from finished logs, so running the same command again reuses them.
The logs are then read as ``ingest`` reads them and audited against the panel exactly as ``audit LOGS`` would.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._util.errors import InputError, SafetywashingError
from ..sources._match import inspect_model_for, match_to_panel, strip_inspect_provider
from ..sources._matrix import ScoreMatrix
from ._audit import MODEL_MAP_FILE, AuditResult, audit, harness_matrix

INSTALL_HINT = "inspect-ai is not installed; install the extra from a clone of this repository: pip install '.[inspect]'"
# Environment variables each Inspect provider reads its credentials from (any one of a tuple suffices).
PROVIDER_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",), "anthropic": ("ANTHROPIC_API_KEY",), "google": ("GOOGLE_API_KEY", "GEMINI_API_KEY",
    "VERTEX_API_KEY", "GOOGLE_CLOUD_PROJECT"), "grok": ("XAI_API_KEY",), "mistral": ("MISTRAL_API_KEY",),
    "together": ("TOGETHER_API_KEY",), "groq": ("GROQ_API_KEY",), "fireworks": ("FIREWORKS_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",), "openrouter": ("OPENROUTER_API_KEY",), "perplexity": ("PERPLEXITY_API_KEY",),
    "moonshot": ("MOONSHOT_API_KEY",),
}
# Anchor tasks (--anchors): cheap inspect_evals capability tasks whose scores the frontier panel holds, so that a
# model outside the panel gets a capabilities score from them (the logistic model needs any 3 benchmarks); the panel
# benchmark each one becomes is in commands/_audit.py (ANCHOR_BENCHMARKS). Name -> (module, task function, arguments).
ANCHOR_TASKS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "gpqa_diamond": ("inspect_evals.gpqa", "gpqa_diamond", {}),
    "mmlu_0_shot": ("inspect_evals.mmlu", "mmlu_0_shot", {}),
    "math": ("inspect_evals.math", "math", {"levels": [5]}),
    "gsm8k": ("inspect_evals.gsm8k", "gsm8k", {}),
    "arc_challenge": ("inspect_evals.arc", "arc_challenge", {}),
    "winogrande": ("inspect_evals.winogrande", "winogrande", {}),
    "hellaswag": ("inspect_evals.hellaswag", "hellaswag", {}),
}
DEFAULT_ANCHORS = ("gpqa_diamond", "mmlu_0_shot", "math")
ANCHOR_DIR = "anchors"  # anchor logs go to LOG_DIR/anchors (an eval set of their own)


class Interrupted(SafetywashingError):
    """The user pressed Ctrl-C while Inspect was running; its logs stay resumable."""


@dataclass(frozen=True)
class ModelSpec:
    """One model to evaluate: what the user wrote, the Inspect model string, its generate settings, its panel id."""

    given: str
    inspect_model: str
    config: Mapping[str, Any] = field(default_factory=dict)
    panel_id: str | None = None


@dataclass(frozen=True)
class RunResult:
    """Result of :func:`run_task`: the audit of the task's logs, and what did not run.

    ``failures``: ``(model, why)`` for every model left out (no panel match, missing credentials, eval error or
    cancellation); ``logs``: the log files read; ``new_logs``: how many of them this run wrote (0 on a rerun that
    reused finished logs); ``model_calls``: samples x epochs evaluated by this run (Inspect's own count of samples
    in the new logs).
    """

    audit: AuditResult
    failures: tuple[tuple[str, str], ...]
    logs: tuple[str, ...]
    new_logs: int
    model_calls: int


def read_models_file(path: Path) -> list[str | dict[str, Any]]:
    """Models from ``--models FILE``: ``plan --format json`` output, a CSV with an ``inspect_model`` or ``model``
    column, or one model per line (``#`` comments). JSON rows keep their panel id and generate settings."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--models {path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"--models {path}: not a UTF-8 text file") from None
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"--models {path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
        rows = obj.get("models") if isinstance(obj, dict) else obj
        if not isinstance(rows, list) or not all(isinstance(r, (dict, str)) for r in rows):
            raise InputError(f"--models {path}: expected plan's JSON (a 'models' list) or a list of model strings")
        return list(rows)
    if path.suffix.lower() == ".csv":
        from ..sources._table import read_table_frame

        df = read_table_frame(path)
        col = "inspect_model" if "inspect_model" in df.columns else "model" if "model" in df.columns else None
        if col is None:
            raise InputError(f"--models {path}: needs an 'inspect_model' or 'model' column")
        if col == "inspect_model" and "model" in df.columns:
            return [{"model": str(m), "inspect_model": str(i)} for m, i in zip(df["model"], df["inspect_model"])]
        return [str(x) for x in df[col] if str(x).strip()]
    return [s.strip() for s in text.splitlines() if s.strip() and not s.strip().startswith("#")]


def resolve_models(
    entries: list[str | dict[str, Any]], panel: ScoreMatrix, *, outside_ok: bool = False
) -> tuple[list[ModelSpec], list[tuple[str, str]]]:
    """Turn ``--model`` entries into Inspect models, each matched to a panel model.

    An entry is a panel id (``o3-2025-04-16_high``: evaluated as the Inspect string and settings of
    :func:`~safetywashing.sources._match.inspect_model_for`), an Inspect model string (``provider/model``, matched as
    ``audit`` matches names), or a ``plan`` JSON row. A name that matches no panel model is a failure (with
    suggestions) unless ``outside_ok`` (``--anchors``: it is placed from anchor tasks instead).
    """
    specs: list[ModelSpec] = []
    failures: list[tuple[str, str]] = []
    meta = panel.models
    for e in entries:
        if isinstance(e, dict):
            pid, im = str(e.get("model", "")), str(e.get("inspect_model", "") or "")
            cfg = e.get("inspect_config") or {}
            if pid and pid in panel.scores.index and im:
                specs.append(ModelSpec(pid, im, dict(cfg) if isinstance(cfg, dict) else {}, pid))
                continue
            e = im or pid
        name = str(e).strip()
        if name in panel.scores.index:
            im, cfg = inspect_model_for(name, str(meta.get("organisation", {}).get(name, "") or ""),
                                        str(meta.get("hf_id", {}).get(name, "") or ""))
            if not im:
                failures.append((name, "no Inspect model string is known for this panel model; give one (provider/model)"))
            else:
                specs.append(ModelSpec(name, im, cfg, name))
            continue
        mm = match_to_panel([name], panel)
        if "/" not in name:
            if name in mm.matched:
                pid = mm.matched[name]
                im, cfg = inspect_model_for(pid, str(meta.get("organisation", {}).get(pid, "") or ""),
                                            str(meta.get("hf_id", {}).get(pid, "") or ""))
                if im:
                    specs.append(ModelSpec(name, im, cfg, pid))
                    continue
            failures.append((name, "not a panel model id and not an Inspect model string (provider/model)"))
        elif name in mm.matched:
            specs.append(ModelSpec(name, name, {}, mm.matched[name]))
        elif outside_ok:
            specs.append(ModelSpec(name, name, {}, None))
        else:
            failures.append((name, f"matches no model of panel {panel.name!r}: {mm.describe_unmatched([name])}"))
    seen: dict[str, ModelSpec] = {}
    out: list[ModelSpec] = []
    for s in specs:
        first = seen.get(s.inspect_model)
        if first is not None:
            same = dict(first.config) == dict(s.config)
            failures.append((s.given, f"the same model as {first.given!r}; evaluated once" if same else
                             f"another variant of {s.inspect_model} ({first.given!r}) is in this run, and Inspect's "
                             "logs name both alike: evaluate it with another --log-dir"))
            continue
        seen[s.inspect_model] = s
        out.append(s)
    return out, failures


def missing_credentials(
    inspect_model: str, env: Mapping[str, str] | None = None, base_url: str | None = None
) -> str | None:
    """Why ``inspect_model`` cannot run in this environment (a missing variable), or None when it can.

    ``openai-api/<service>/...`` needs ``<SERVICE>_API_KEY`` and ``<SERVICE>_BASE_URL`` (service upper-cased, ``-``
    as ``_``); ``vllm/...`` needs ``VLLM_BASE_URL`` (a running server) or the ``vllm`` package (Inspect then starts
    one); the API providers need their key (:data:`PROVIDER_ENV`). ``base_url`` (``--model-base-url``) stands in
    for the base URL variables.
    """
    env = dict(os.environ if env is None else env)
    if base_url:
        service = inspect_model.split("/")[1] if inspect_model.startswith("openai-api/") else "vllm"
        env[f"{service.upper().replace('-', '_')}_BASE_URL"] = base_url
    provider, _, rest = inspect_model.partition("/")
    if provider == "openai-api":
        service = rest.split("/", 1)[0].upper().replace("-", "_")
        need = [v for v in (f"{service}_API_KEY", f"{service}_BASE_URL") if not env.get(v)]
        return f"provider openai-api/{rest.split('/', 1)[0]} needs {' and '.join(need)} (not set)" if need else None
    if provider == "vllm" and not env.get("VLLM_BASE_URL") and importlib.util.find_spec("vllm") is None:
        return "provider vllm needs VLLM_BASE_URL (a running vLLM server) or the vllm package to start one (not set)"
    keys = PROVIDER_ENV.get(provider)
    if keys and not any(env.get(k) for k in keys):
        return f"provider {provider} needs {' or '.join(keys)} (not set)"
    return None


def _inspect_models(specs: list[ModelSpec]) -> list[Any]:
    """Model strings, or Inspect ``Model`` objects where a spec carries generate settings."""
    if not any(s.config for s in specs):
        return [s.inspect_model for s in specs]
    from inspect_ai.model import GenerateConfig, get_model

    return [get_model(s.inspect_model, config=GenerateConfig(**dict(s.config))) for s in specs]


def _eval_set(tasks: Any, specs: list[ModelSpec], log_dir: Path, options: Mapping[str, Any]) -> list[Any]:
    """Inspect's eval set of ``tasks`` x ``specs`` into ``log_dir``; its logs (Inspect's stdout goes to stderr)."""
    try:
        from inspect_ai import eval_set
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    kwargs = {k: v for k, v in options.items() if v is not None}
    try:
        with contextlib.redirect_stdout(sys.stderr):
            _, logs = eval_set(tasks, log_dir=str(log_dir), model=_inspect_models(specs), **kwargs)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; the logs in {log_dir} are resumable: run the same command again") from None
    except SafetywashingError:
        raise
    except Exception as exc:  # Inspect refuses the task, its arguments or the log folder before running
        msg = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        raise InputError(f"Inspect could not run the eval set: {exc.__class__.__name__}: {msg[:300]}") from None
    return list(logs)


def _log_path(location: str) -> str:
    return location[len("file://"):] if location.startswith("file://") else location


def _split_logs(logs: list[Any], by_model: Mapping[str, str], failures: list[tuple[str, str]]) -> list[str]:
    """Log files of successful evals; a failure line for each other one (naming the model as the user did)."""
    ok: list[str] = []
    for log in logs:
        model = by_model.get(str(log.eval.model), str(log.eval.model))
        if str(log.status) == "success":
            ok.append(_log_path(str(log.location)))
        else:
            err = getattr(log, "error", None)
            lines = [ln.strip() for ln in str(getattr(err, "message", "") or "").splitlines() if ln.strip()]
            why = lines[-1].rstrip("')\"") if lines else ""  # Inspect puts the request first, the cause last
            failures.append((model, f"eval {log.status}" + (f": {why[:200]}" if why else "")))
    return ok


def _files(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()


def run_task(
    task: str,
    entries: list[str | dict[str, Any]],
    panel: ScoreMatrix,
    log_dir: Path,
    *,
    eval_options: Mapping[str, Any] | None = None,
    anchors: list[str] | None = None,
    anchor_limit: int | None = 200,
    env: Mapping[str, str] | None = None,
    audit_options: Mapping[str, Any] | None = None,
    report: Any = None,
    lower_is_better: list[str] | None = None,
) -> RunResult:
    """Evaluate ``task`` (an inspect_evals task name or a local task file) on ``entries`` and audit its scores.

    ``eval_options``: passed to ``inspect_ai.eval_set`` (``limit``, ``max_connections``, ``epochs``, ``task_args``,
    ``retry_attempts``, ``display``, ...). ``anchors``: anchor task names (:data:`ANCHOR_TASKS`, or local task files
    whose task is named like one) also run, ``anchor_limit`` samples each, on the models outside the panel, so the
    audit can place them. Models that cannot run are left out with one failure line each (``report(model, why)``
    is called for each, as it happens); credentials are checked before anything runs. The audit is
    :func:`~safetywashing.commands._audit.audit` of the logs as ``audit LOG_DIR`` reads them.
    """
    failures: list[tuple[str, str]] = []
    specs, bad = resolve_models(entries, panel, outside_ok=bool(anchors))
    failures += bad
    runnable = []
    for s in specs:
        why = missing_credentials(s.inspect_model, env, (eval_options or {}).get("model_base_url"))
        if why:
            failures.append((s.given, why))
        else:
            runnable.append(s)
    for m, why in failures:
        if report is not None:
            report(m, why)
    if len(runnable) < 5:
        raise InputError(f"only {len(runnable)} model(s) can run ({len(failures)} left out, listed above); an audit "
                         "needs at least 5: nothing was run")
    before = _files(log_dir)
    opts = dict(eval_options or {})
    by_model = {s.inspect_model: s.given for s in runnable}
    n_fail = len(failures)
    logs = _eval_set(_task_spec(task), runnable, log_dir, opts)
    ok = _split_logs(logs, by_model, failures)
    outside = [s for s in runnable if s.panel_id is None]
    if anchors and outside:
        a_opts = {**opts, "limit": anchor_limit, "task_args": None}
        a_tasks = [_task_spec(_anchor_task(a)) if isinstance(a, str) and a not in ANCHOR_TASKS else _anchor_task(a)
                   for a in anchors]
        ok += _split_logs(_eval_set(a_tasks, outside, log_dir / ANCHOR_DIR, a_opts), by_model, failures)
    for m, why in failures[n_fail:]:
        if report is not None:
            report(m, why)
    if not ok:
        raise InputError(f"no eval succeeded ({len(failures)} model(s) failed, listed above); logs in {log_dir}")
    _write_model_map(log_dir, _renames(runnable, panel))
    matrix = harness_matrix([log_dir], panel, source=str(log_dir), lower_is_better=lower_is_better)
    res = audit(matrix, panel, **dict(audit_options or {}))
    new = sorted(_files(log_dir) - before)
    new_logs = [f for f in new if f.endswith((".eval", ".json")) and Path(f).name not in ("eval-set.json", "logs.json")]
    return RunResult(res, tuple(failures), tuple(ok), len(new_logs), _calls(logs, new_logs))


def _task_spec(task: str) -> str:
    """A local task file as a path relative to the working folder (Inspect refuses absolute ones); others as given."""
    file, sep, name = task.partition("@")
    if Path(file).is_file() and Path(file).is_absolute():
        return os.path.relpath(file) + sep + name
    if not Path(file).exists() and file.endswith(".py"):
        raise InputError(f"{file}: no such task file")
    return task


def _anchor_task(name: str) -> Any:
    """An anchor as eval_set takes it: a known anchor name -> its inspect_evals task with its arguments; any other
    string (a local task file such as ``anchors.py@gpqa_diamond``) as it is."""
    if name not in ANCHOR_TASKS:
        return name
    import importlib

    module, func, args = ANCHOR_TASKS[name]
    try:
        fn = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        raise InputError(f"--anchors {name}: needs inspect_evals (pip install inspect_evals); or give a local task file "
                         "whose task has an anchor's name (file.py@gpqa_diamond)") from None
    return fn(**args)


def _renames(specs: list[ModelSpec], panel: ScoreMatrix) -> dict[str, str]:
    """Ingested model name -> panel id, for the models whose logged name does not itself match their panel id
    (a reasoning variant run from a panel id: the log names ``openai/o3-2025-04-16``, the panel ``..._high``)."""
    out: dict[str, str] = {}
    for s in specs:
        if s.panel_id is None:
            continue
        logged = s.inspect_model.partition("/")[2] or s.inspect_model  # as ingest names it (provider dropped)
        if match_to_panel([logged], panel).matched.get(logged) != s.panel_id:
            out[logged] = s.panel_id
    return out


def _write_model_map(log_dir: Path, renames: dict[str, str]) -> None:
    """Record logged name -> panel id beside the logs (``audit LOG_DIR`` reads it), only when there is one to keep
    and it changed (a rerun writes nothing)."""
    if not renames:
        return
    path = log_dir / MODEL_MAP_FILE
    old: dict[str, str] = {}
    if path.is_file():
        with contextlib.suppress(OSError, ValueError):
            old = json.loads(path.read_text(encoding="utf-8"))
    merged = {**old, **renames}
    if merged != old:
        from .._util.io import atomic_write

        atomic_write(path, json.dumps(merged, indent=2, sort_keys=True) + "\n")


def _calls(logs: list[Any], new_logs: list[str]) -> int:
    """Samples x epochs in the logs this run wrote (each one model call for a single-turn task)."""
    fresh = {os.path.realpath(f) for f in new_logs}
    n = 0
    for log in logs:
        if os.path.realpath(_log_path(str(log.location))) in fresh and log.results is not None:
            n += int(getattr(log.results, "completed_samples", 0) or 0)
    return n


__all__ = ["ANCHOR_TASKS", "DEFAULT_ANCHORS", "Interrupted", "ModelSpec", "RunResult", "missing_credentials",
           "read_models_file", "resolve_models", "run_task", "strip_inspect_provider"]
