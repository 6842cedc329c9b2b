"""``safetywashing audit``: a new benchmark's capabilities correlation against an embedded panel."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from .._util.errors import InputError
from ..capability import SCORE_METHODS
from ..commands._audit import AuditResult
from ..commands._audit import audit as run_audit
from ..sources._panels import load_panel, panel_names
from ..sources._table import read_table
from . import app
from ._common import (
    FORMATS_HELP,
    SCORE_METHOD_HELP,
    check_choice,
    choice,
    emit,
    output_format,
    render_result,
    rich_text,
    score_method_for,
    split_ids,
    stdin_input,
    table,
)

AUDIT_FORMATS = ("table", "json", "csv", "markdown", "html")


def _n(x: Any) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:+.2f}"


def _ci(r: Any) -> str:
    lo, hi = r.extra.get("ci_low"), r.extra.get("ci_high")
    return "-" if lo is None or hi is None else f"[{lo:+.2f}, {hi:+.2f}]"


def render_audit_text(res: AuditResult, width: int | None = None) -> str:
    """Text report that fits the terminal: matching summary, one row per benchmark, capability correlations, notes."""
    from rich.text import Text

    title = (f"Audit of {res.source} against panel {res.panel!r} ({res.method}; capabilities score: {res.score_method}): "
             f"{res.n_usable} usable models ({len(res.matched)} matched, {len(res.placed)} placed in panel coordinates, "
             f"{len(res.unmatched)} unmatched)")
    t = table()
    for head, right in (("benchmark", False), ("r", True), (f"{res.level:.0%} CI", True), ("n", True), ("verdict", False)):
        t.add_column(head, justify="right" if right else "left", no_wrap=right, overflow="fold")
    for r in res.results:
        t.add_row(Text(r.benchmark), _n(r.correlation), _ci(r), str(r.n), Text(r.verdict))
    items: list[Any] = [title, t, ""]
    items.append(
        "r: correlation with the panel's capabilities score over the usable models (higher = rises with capabilities); "
        f"CI: {res.interval_method}, {res.n_boot} resamples, seed {res.seed}; not adjusted for multiplicity "
        f"({len(res.results)} benchmark(s) audited). Verdict: the bands the interval overlaps (one band only when one remains)."
    )
    if res.capability_sd_ratio is not None:
        items.append(_range_line(res))
    items += ["", "Correlation with each capability benchmark (models with both values; none shown below 5 models):"]
    for r in res.results:
        caps = r.extra.get("capability_correlations", {})
        ns = r.extra.get("capability_correlations_n", {})
        items.append(f"  {r.benchmark}: " + ", ".join(f"{c} {_n(v)} (n = {ns.get(c, '?')})" for c, v in caps.items()))
    items += ["", "Matched models (input -> panel model, rule):"]
    items += [f"  {inp} -> {mid} ({res.match_rules[inp]})" for inp, mid in res.matched.items()]
    items += [f"  {inp} -> placed, capabilities score {s:+.3f}" for inp, s in res.placed.items()]
    items += [f"note: {note}" for note in res.notes]
    return rich_text(*items, width=width)


def _range_line(res: AuditResult) -> str:
    from ..commands._audit import RESTRICTED_BELOW

    u = res.capability_sd_ratio
    how = (f"below {RESTRICTED_BELOW}: restricted range, r biased toward 0" if u is not None and u < RESTRICTED_BELOW
           else "r comparable to the panel's")
    return (f"Capability range: capability_sd_ratio {u:.2f} = SD of the audited models' capabilities scores / SD over "
            f"the {res.n_panel_scored} panel models (ddof 0; {how}).")


def render_audit_markdown(res: AuditResult) -> str:
    """Markdown table of the audit (one row per new benchmark)."""
    out = [
        f"### Audit against panel `{res.panel}` ({res.method}; {res.n_usable} models: "
        f"{len(res.matched)} matched, {len(res.placed)} placed)\n",
        f"| Benchmark | r | {res.level:.0%} CI | n | verdict |",
        "|---|---|---|---|---|",
    ]
    out += [f"| `{r.benchmark}` | {_n(r.correlation)} | {_ci(r)} | {r.n} | {r.verdict} |" for r in res.results]
    out.append("")
    out += [f"- warning: {w}" for w in res.warnings]
    out += [f"- note: {n}" for n in res.notes]
    out.append(f"- interval: {res.interval_method} ({res.n_boot} resamples, seed {res.seed})")
    if res.capability_sd_ratio is not None:
        out.append(f"- {_range_line(res)}")
    return "\n".join(out) + "\n"


def audit_scores(scores: Path | list[Path], panel_matrix: Any, model_column: str | None,
                 lower_is_better: str | None) -> Any:
    """The SCORES argument as a table: one CSV/TSV file (read_table), or harness outputs (a folder, several paths, or
    an Inspect ``.eval`` / ``.json`` log) read as ``ingest`` reads them."""
    from ..commands._audit import HARNESS_SUFFIXES, harness_matrix

    paths = list(scores) if isinstance(scores, (list, tuple)) else [scores]
    if len(paths) == 1 and not paths[0].is_dir() and paths[0].suffix.lower() not in HARNESS_SUFFIXES:
        return read_table(paths[0], model_column=model_column, lower_is_better=split_ids(lower_is_better))
    if model_column is not None:
        raise InputError("--model-column applies to a CSV/TSV table; harness outputs name their models themselves")
    return harness_matrix(paths, panel_matrix, source=" ".join(str(p) for p in paths),
                          lower_is_better=split_ids(lower_is_better))


def audit_from_file(
    scores: Path | list[Path],
    *,
    panel: str,
    method: str = "spearman",
    capabilities: str | None = None,
    model_column: str | None = None,
    lower_is_better: str | None = None,
    bootstrap: int = 2000,
    seed: int = 0,
    ci: float = 0.95,
    score_method: str | None = None,
) -> AuditResult:
    """Read an audit SCORES file and audit it against an embedded panel (shared by ``audit`` and ``report``)."""
    check_choice(panel, panel_names(), "--panel")
    pm = load_panel(panel)
    table = audit_scores(scores, pm, model_column, lower_is_better)
    return run_audit(
        table, pm, method=method, capabilities=split_ids(capabilities), bootstrap=bootstrap, seed=seed, level=ci,
        score_method=score_method_for(score_method, panel),
    )


@app.command()
def audit(
    scores: list[Path] = typer.Argument(
        ..., metavar="SCORES...", help="CSV/TSV (a model column and your benchmark columns; - = stdin), or harness "
        "outputs: folders or files of Inspect logs, lm-eval results or HELM runs (read as ingest reads them)."
    ),
    panel: str = choice("chat", "--panel", "-p", choices=panel_names(), help="Embedded panel to audit against."),
    method: str = choice("spearman", "--method", "-m", choices=("spearman", "pearson"), help="Correlation."),
    capabilities: Optional[str] = typer.Option(None, "--capabilities", help="Panel capability ids (default: the paper's 12)."),
    model_column: Optional[str] = typer.Option(None, "--model-column", help="Column of model names (default: model/name)."),
    lower_is_better: Optional[str] = typer.Option(None, "--lower-is-better", help="Columns where lower is better (negated)."),
    bootstrap: int = typer.Option(2000, "--bootstrap", help="Bootstrap resamples of the audited models."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap."),
    ci: float = typer.Option(0.95, "--ci", help="Interval level (0.95 = 95%)."),
    fmt: Optional[str] = choice(None, "--format", "-f", choices=AUDIT_FORMATS, help=FORMATS_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically); - = stdout."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
) -> None:
    """Is my new benchmark just capabilities? Audit it against an embedded panel.

    Matches your model names to the panel (exact, any case, Hugging Face ids
    and provider prefixes, display names; close names are only suggested),
    places models the panel lacks from their capability benchmark columns, and
    correlates each of your benchmarks with the panel's capabilities score,
    with a bootstrap interval over your models. Against the sparse frontier
    panel the score is the logistic capability model's (--score-method irt):
    a model the panel lacks is placed from any 3 of its benchmarks, and the
    interval also draws every score from its standard error.

    SCORES may also be harness outputs, read as `ingest` reads them: a folder
    of Inspect logs (as `run` writes them), lm-eval results or HELM runs;
    Inspect model strings (openai/..., vllm/<hf id>, openai-api/<service>/...)
    match the panel's ids.

    Examples (from the repository root):

    \b
      safetywashing audit examples/my_benchmark.csv --panel chat
      safetywashing audit examples/inspect_logs --panel frontier
      safetywashing audit examples/frontier_benchmark.csv --panel frontier --lower-is-better jailbreak_asr
    """
    fmt = output_format(fmt, output, AUDIT_FORMATS)
    scores = [stdin_input(p) or p for p in scores]
    res = audit_from_file(
        scores, panel=panel, method=method, capabilities=capabilities, model_column=model_column,
        lower_is_better=lower_is_better, bootstrap=bootstrap, seed=seed, ci=ci, score_method=score_method,
    )
    for w in res.warnings:
        print(f"safetywashing: warning: {w}", file=sys.stderr)
    text = render_result(res, fmt, table=render_audit_text, markdown=render_audit_markdown)
    emit(text, output, inputs=tuple(scores))
