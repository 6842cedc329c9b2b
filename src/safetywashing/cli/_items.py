"""``safetywashing items``: item-level audit of a safety benchmark from per-sample results."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from ..sources._panels import load_panel, panel_names
from . import app
from ._common import check_choice, emit

if TYPE_CHECKING:
    from ..commands._items import ItemsReport, ItemsResult

ITEMS_FORMATS = ("table", "json", "csv")
TABLE_ROWS = 15  # items listed per benchmark in the table view


def _n(x: Any, signed: bool = True) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def _p(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:.1e}" if x < 1e-3 else f"{x:.3f}"


def _one(res: ItemsResult) -> list[str]:
    from ..commands._items_audit import Q_FLAG

    d = res.to_dict()
    lines = [
        f"Benchmark {res.benchmark}: {res.n_models} models x {res.n_items} items ({res.method}; "
        f"{res.missing_share:.1%} of responses missing)",
        f"  correlation of the models' mean score with capabilities: {_n(res.correlation)} "
        f"[{_n(res.ci_low)}, {_n(res.ci_high)}] ({res.level:.0%} bootstrap over models, n = {res.n_models})",
        f"  reliability: alpha (KR-20) {_n(res.reliability, False)}, split-half (Spearman-Brown) {_n(res.split_half, False)}; "
        f"noise ceiling {_n(d['noise_ceiling'], False)}; disattenuated correlation {_n(d['disattenuated_correlation'])}",
        f"  capability-driven items (q < {Q_FLAG} and r > 0, Benjamini-Hochberg across {res.n_items} items): "
        f"{d['n_capability_driven']}",
    ]
    sub = res.subset
    if sub is not None:
        est = (
            f"{_n(sub.correlation)} [{_n(sub.ci_low)}, {_n(sub.ci_high)}] cross-fitted "
            f"({sub.repeats} x {sub.folds}-fold over models)"
            if sub.correlation is not None
            else "no cross-fitted estimate (too few models)"
        )
        lines.append(
            f"  decorrelated subset: {sub.n_items} items, correlation {est}; in-sample {_n(sub.in_sample_correlation)} "
            f"(optimistic: chosen on the same models); reliability {_n(sub.reliability, False)}"
        )
    lines.append("")
    df = res.to_frame().sort_values(["capability_driven", "correlation"], ascending=[False, False], na_position="last")
    head = ("item", "n", "mean", "r", "p", "q", "flag", "subset")
    rows = [
        (
            str(r.item)[:40],
            str(r.n),
            _n(r.mean, False),
            _n(r.correlation),
            _p(r.p_value),
            _p(r.q_value),
            "capability" if r.capability_driven else "",
            "yes" if r.in_subset else "",
        )
        for r in df.head(TABLE_ROWS).itertuples()
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    right = (False, True, True, True, True, True, False, False)

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if rt else c.ljust(w) for c, w, rt in zip(cells, widths, right)).rstrip()

    lines += ["  " + fmt(head), "  " + fmt(tuple("-" * w for w in widths)), *("  " + fmt(r) for r in rows)]
    if res.n_items > TABLE_ROWS:
        lines.append(f"  ... {res.n_items - TABLE_ROWS} more items (highest correlation first; all with --format csv)")
    lines.append("")
    return lines


def render_items_text(rep: ItemsReport) -> str:
    """Plain-text report: per benchmark its summary, the most capability-correlated items and the subset."""
    lines = [f"Item-level audit; capabilities scores from {rep.score_source}; {len(rep.matched)} models matched", ""]
    for res in rep.results:
        lines += _one(res)
    lines.append(
        "r: correlation of an item's score (higher = correct / safe) with the capabilities score (higher = more capable) "
        "over the models that ran it; q: Benjamini-Hochberg; subset correlation: estimated on models it was not chosen on."
    )
    for res in rep.results:
        for note in res.notes:
            lines.append(f"note: {res.benchmark}: {note}")
    for note in rep.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def render_items(rep: ItemsReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rep.to_dict(), indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        from ..present._sheet import to_csv

        return to_csv(rep.to_frame(), index=False)
    return render_items_text(rep)


@app.command("items")
def items_cmd(
    sources: list[str] = typer.Argument(  # str, not Path: a trailing / (a folder) must survive
        ...,
        metavar="SOURCES...",
        help="Per-sample results: long CSV/Parquet (model,item,score), lm-eval samples_*.jsonl, Inspect logs, HELM run folders.",
    ),
    panel: Optional[str] = typer.Option(None, "--panel", "-p", help="Scores from an embedded panel (chat, base, frontier)."),
    model_scores: Optional[Path] = typer.Option(
        None, "--model-scores", help="CSV model,capabilities_score (higher = more capable)."
    ),
    benchmark: Optional[str] = typer.Option(None, "--benchmark", "-b", help="Audit only this benchmark (task)."),
    metric: Optional[str] = typer.Option(None, "--metric", help="Per-sample metric (lm-eval key, Inspect scorer, HELM stat)."),
    method: str = typer.Option("spearman", "--method", "-m", help="Correlation: spearman or pearson."),
    subset_size: Optional[int] = typer.Option(
        None, "--subset-size", help="Decorrelated subset of this many items (default: half)."
    ),
    max_correlation: Optional[float] = typer.Option(
        None, "--max-correlation", help="Or: the largest subset with correlation <= R."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (bootstrap, splits, cross-fitting)."),
    bootstrap: int = typer.Option(2000, "--bootstrap", help="Bootstrap resamples of the models."),
    ci: float = typer.Option(0.95, "--ci", help="Interval level (0.95 = 95%)."),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f", help="table, json or csv (default: from --output's extension, else table)."
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically), e.g. items.csv."),
) -> None:
    """Which items of a safety benchmark are capability tests? Reliability and a decorrelated subset.

    Per item: its correlation with the models' capabilities score, p- and
    q-values (Benjamini-Hochberg) and a capability-driven flag. Per benchmark:
    the correlation of the mean score with an interval, reliability (KR-20 /
    alpha and split-half), noise ceiling, disattenuated correlation, and a
    subset of items chosen to lower the correlation, whose correlation is
    estimated by cross-fitting over models (in-sample figure beside it).

    Example (from the repository root):

    \b
      safetywashing items examples/items_long.csv --model-scores examples/items_model_scores.csv
    """
    from .._util.errors import InputError
    from ..commands._items import items, read_model_scores

    if subset_size is not None and max_correlation is not None:
        raise InputError("--subset-size and --max-correlation: give one of them, not both")
    if fmt is None:
        suffix = output.suffix.lower() if output is not None else ""
        fmt = {".csv": "csv", ".json": "json"}.get(suffix, "table")
    check_choice(fmt, ITEMS_FORMATS, "--format")
    if output is not None:
        from .._util.io import check_output

        check_output(output, inputs=tuple(sources) + ((model_scores,) if model_scores is not None else ()))
    if (panel is None) == (model_scores is None):
        raise InputError("give the models' capabilities scores with --model-scores FILE or --panel NAME (one of them)")
    if bootstrap < 100:
        raise InputError(f"--bootstrap: {bootstrap} resamples are too few for a percentile interval; use at least 100")
    pm = None
    scores = None
    if panel is not None:
        check_choice(panel, panel_names(), "--panel")
        pm = load_panel(panel)
    else:
        assert model_scores is not None
        scores = read_model_scores(model_scores)
    rep = items(
        list(sources),
        model_scores=scores,
        panel=pm,
        benchmark=benchmark,
        metric=metric,
        method=method,
        subset_size=subset_size,
        max_correlation=max_correlation,
        seed=seed,
        n_boot=bootstrap,
        level=ci,
    )
    if rep.unmatched:
        print(
            f"safetywashing: warning: {len(rep.unmatched)} model(s) without a capabilities score were left out (see the notes)",
            file=sys.stderr,
        )
    inputs = tuple(sources) + ((model_scores,) if model_scores is not None else ())
    emit(render_items(rep, fmt), output, inputs=inputs)
