"""``safetywashing run``: evaluate a task on panel models through Inspect's eval sets, then audit it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from .._util.errors import InputError
from ..capability import SCORE_METHODS
from ..sources._panels import load_panel, panel_names
from . import app
from ._audit import AUDIT_FORMATS, render_audit_markdown, render_audit_text
from ._common import FORMATS_HELP, SCORE_METHOD_HELP, choice, emit, output_format, render_result, score_method_for, split_ids


def _task_args(values: list[str] | None) -> dict[str, Any]:
    """``-T key=value`` pairs -> a dict (values parsed as YAML scalars/lists by Inspect's own rule: JSON if it parses)."""
    import json

    out: dict[str, Any] = {}
    for v in values or []:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            raise InputError(f"-T {v!r}: give task arguments as key=value")
        try:
            out[key.strip()] = json.loads(val)
        except ValueError:
            out[key.strip()] = val
    return out


def _entries(model: str | None, models: Path | None) -> list[Any]:
    from ..commands._run import read_models_file

    if (model is None) == (models is None):
        raise InputError("give the models with exactly one of --model M1,M2,... and --models FILE")
    if models is not None:
        return read_models_file(models)
    return list(split_ids(model) or [])


@app.command()
def run(
    task: str = typer.Argument(..., metavar="TASK", help="An inspect_evals task (inspect_evals/xstest) or a local task file."),
    model: Optional[str] = typer.Option(None, "--model", help="Models, comma-separated: panel ids or Inspect model strings."),
    models: Optional[Path] = typer.Option(None, "--models", help="File of models: plan's JSON or CSV, or one per line."),
    panel: str = choice("frontier", "--panel", "-p", choices=panel_names(), help="Embedded panel to audit against."),
    log_dir: Path = typer.Option(..., "--log-dir", help="Inspect's log folder for this eval set (reused on a rerun)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Inspect: evaluate only the first N samples."),
    max_connections: Optional[int] = typer.Option(None, "--max-connections", help="Inspect: concurrent model calls."),
    task_arg: Optional[list[str]] = typer.Option(None, "-T", help="Inspect task argument key=value (repeatable)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Inspect: epochs per sample."),
    retry_attempts: Optional[int] = typer.Option(None, "--retry-attempts", help="Inspect: retries of a failed eval."),
    display: Optional[str] = typer.Option(None, "--display", help="Inspect's display: full, rich, plain, log or none."),
    model_base_url: Optional[str] = typer.Option(
        None, "--model-base-url", help="Inspect: base URL of the model server (a local vLLM: http://localhost:8000/v1)."
    ),
    anchors: bool = typer.Option(False, "--anchors", help="Also run anchor capability tasks on models outside the panel."),
    anchor_tasks: Optional[str] = typer.Option(
        None, "--anchor-tasks", help="Anchor tasks (default gpqa_diamond,mmlu_0_shot,math; local files as file.py@name)."
    ),
    anchor_limit: int = typer.Option(200, "--anchor-limit", help="Samples per anchor task."),
    method: str = choice("spearman", "--method", "-m", choices=("spearman", "pearson"), help="Correlation."),
    bootstrap: int = typer.Option(2000, "--bootstrap", help="Bootstrap resamples of the audited models."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap."),
    ci: float = typer.Option(0.95, "--ci", help="Interval level (0.95 = 95%)."),
    lower_is_better: Optional[str] = typer.Option(None, "--lower-is-better", help="Benchmarks where lower is better."),
    fmt: Optional[str] = choice(None, "--format", "-f", choices=AUDIT_FORMATS, help=FORMATS_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the audit to this file (atomically)."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
) -> None:
    """Evaluate a task on panel models with Inspect, then audit its scores against the panel.

    Drives Inspect's eval set (the inspect extra): its progress display,
    retries and resumption are Inspect's; the same command again reuses the
    finished logs in --log-dir and writes none. Then audits the logs exactly as
    `audit LOG_DIR` does. Models are panel ids (plan's choices; reasoning
    variants get their settings) or Inspect model strings; credentials are
    checked before anything runs. A model that matches no panel model, lacks
    credentials, or whose eval fails is one line on stderr; the audit runs on
    the rest. Ctrl-C exits 130 and leaves the logs resumable.

    Example (from the repository root): the logs in examples/inspect_logs are
    finished (written against a stand-in server that answers like a local vLLM
    server, not real models), so this reuses them, calls no model and audits:

    \b
      safetywashing run examples/refusal_task.py --models examples/open_weights_plan.txt \\
        --panel frontier --log-dir examples/inspect_logs --model-base-url http://127.0.0.1:8000/v1
    """
    from ..commands._run import DEFAULT_ANCHORS, run_task

    fmt = output_format(fmt, output, AUDIT_FORMATS)
    entries = _entries(model, models)
    pm = load_panel(panel)
    options = {"limit": limit, "max_connections": max_connections, "task_args": _task_args(task_arg) or None,
               "epochs": epochs, "retry_attempts": retry_attempts, "display": display,
               "model_base_url": model_base_url}
    anchor_list = (split_ids(anchor_tasks) or list(DEFAULT_ANCHORS)) if anchors else None
    if anchor_tasks is not None and not anchors:
        raise InputError("--anchor-tasks applies with --anchors")
    flip = split_ids(lower_is_better) or []

    def report(name: str, why: str) -> None:
        print(f"safetywashing: {name}: {why}", file=sys.stderr)

    from ..commands._run import Interrupted

    try:
        res = run_task(
            task, entries, pm, log_dir, eval_options=options, anchors=anchor_list, anchor_limit=anchor_limit,
            report=report, lower_is_better=flip,
            audit_options={"method": method, "bootstrap": bootstrap, "seed": seed, "level": ci,
                           "score_method": score_method_for(score_method, panel)},
        )
    except Interrupted as exc:
        print(f"safetywashing: {exc}", file=sys.stderr)
        raise KeyboardInterrupt from None  # main() exits 130
    reused = "all reused" if res.new_logs == 0 else f"{res.new_logs} new"
    print(f"run: {len(res.logs)} successful eval log(s) ({reused}; {res.model_calls} model call(s) in new logs), "
          f"{len(res.failures)} model(s) left out; logs in {log_dir}", file=sys.stderr)
    for w in res.audit.warnings:
        print(f"safetywashing: warning: {w}", file=sys.stderr)
    emit(render_result(res.audit, fmt, table=render_audit_text, markdown=render_audit_markdown), output)
