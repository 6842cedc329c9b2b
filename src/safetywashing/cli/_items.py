"""``safetywashing items``: item-level audit of a safety benchmark from per-sample results."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from .._util.jsonout import dumps
from ..sources._panels import load_panel, panel_names
from . import app
from ._common import FORMATS_HELP, check_choice, choice, emit, output_format, rich_text, stdin_input, table

if TYPE_CHECKING:
    from ..commands._items import ItemsReport, ItemsResult

ITEMS_FORMATS = ("table", "json", "csv", "html")
TABLE_ROWS = 15  # items listed per benchmark in the table view


def _n(x: Any, signed: bool = True) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def _p(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:.1e}" if x < 1e-3 else f"{x:.3f}"


def _one(res: ItemsResult) -> list[Any]:
    from rich.padding import Padding
    from rich.text import Text

    from ..commands._items_audit import DISCRIMINATION_MIN, Q_FLAG

    d = res.to_dict()
    lines = [
        f"Benchmark {res.benchmark}: {res.n_models} models x {res.n_items} items ({res.method}; "
        f"{res.missing_share:.1%} of responses missing)",
        f"  correlation of the models' mean score with capabilities: {_n(res.correlation)} "
        f"[{_n(res.ci_low)}, {_n(res.ci_high)}] ({res.level:.0%} bootstrap over models, n = {res.n_models})",
        f"  reliability: alpha (KR-20) {_n(res.reliability, False)}, split-half (Spearman-Brown) {_n(res.split_half, False)}; "
        f"noise ceiling {_n(d['noise_ceiling'], False)}; disattenuated correlation {_n(d['disattenuated_correlation'])}",
        f"  capability-driven items (per-item logistic regression on capability: likelihood-ratio q < {Q_FLAG}, "
        f"Benjamini-Hochberg across {res.n_items} items, and discrimination >= {DISCRIMINATION_MIN} logits per SD of "
        f"capability): {d['n_capability_driven']}; rising with capability beyond the benchmark's own rest score "
        f"(conditional test, q < {Q_FLAG}): {d['n_conditional_flag']}"
        + ("; capabilities scores' SEs used (regression calibration)" if res.score_se_used else ""),
    ]
    dim = d.get("dimensionality")
    if dim and dim.get("warning"):
        lines.append(f"  warning: {dim['warning']}")
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
    df = res.to_frame().sort_values(["capability_driven", "discrimination"], ascending=[False, False], na_position="last")
    t = table()
    for head in ("item", "n", "mean", "r", "disc", "95% CI", "LR q", "cond q", "flag", "sub"):
        num = head in ("n", "mean", "r", "disc", "95% CI", "LR q", "cond q")
        t.add_column(head, justify="right" if num else "left", overflow="fold", no_wrap=num)
    for r in df.head(TABLE_ROWS).itertuples():
        flag = "+".join(f for f, on in (("cap", r.capability_driven), ("rest", r.conditional_flag)) if on)
        t.add_row(Text(str(r.item)[:40]), str(r.n), _n(r.mean, False), _n(r.correlation), _n(r.discrimination),
                  f"{_n(r.discrimination_low)}..{_n(r.discrimination_high)}", _p(r.lr_q_value),
                  _p(r.conditional_q_value), flag, "yes" if r.in_subset else "")
    out: list[Any] = [*lines, "", Padding(t, (0, 0, 0, 2))]
    if res.n_items > TABLE_ROWS:
        out.append(f"  ... {res.n_items - TABLE_ROWS} more items (flagged first, then highest discrimination; all with "
                   "--format csv)")
    out.append("")
    return out


def render_items_text(rep: ItemsReport, width: int | None = None) -> str:
    """Text report that fits the terminal: per benchmark its summary, the most capability-correlated items and the
    subset."""
    items: list[Any] = [f"Item-level audit; capabilities scores from {rep.score_source}; {len(rep.matched)} models matched", ""]
    for res in rep.results:
        items += _one(res)
    items.append(
        "r: correlation of an item's score (higher = correct / safe) with the capabilities score (higher = more capable) "
        "over the models that ran it; disc: the item's logistic slope on capability (logits per SD, Wald 95% CI); "
        "LR q: likelihood-ratio test of that slope, Benjamini-Hochberg; cond q: score test of capability given the item's "
        "rest score (the benchmark's other items), Benjamini-Hochberg; flag: cap = capability-driven, rest = rises with "
        "capability beyond the rest score; sub: in the decorrelated subset; subset correlation: estimated on models it "
        "was not chosen on."
    )
    items += [f"note: {res.benchmark}: {note}" for res in rep.results for note in res.notes]
    items += [f"note: {note}" for note in rep.notes]
    return rich_text(*items, width=width)


def render_items(rep: ItemsReport, fmt: str) -> str:
    if fmt == "html":
        from ..present._render import html_page

        return html_page([rep])
    if fmt == "json":
        return dumps(rep.to_dict())
    if fmt == "csv":
        from ..present._sheet import to_csv

        return to_csv(rep.to_frame(), index=False)
    return render_items_text(rep)


@app.command("items")
def items_cmd(
    sources: list[str] = typer.Argument(  # str, not Path: a trailing / (a folder) must survive
        ...,
        metavar="SOURCES",
        help="Per-sample results: long CSV/Parquet (model,item,score; - = stdin), lm-eval samples_*.jsonl, Inspect logs, "
        "HELM run folders.",
    ),
    panel: Optional[str] = choice(None, "--panel", "-p", choices=panel_names(), help="Scores from an embedded panel."),
    model_scores: Optional[Path] = typer.Option(
        None, "--model-scores", help="CSV model,capabilities_score (higher = more capable; - = stdin)."
    ),
    benchmark: Optional[str] = typer.Option(None, "--benchmark", "-b", help="Audit only this benchmark (task)."),
    metric: Optional[str] = typer.Option(None, "--metric", help="Per-sample metric (lm-eval key, Inspect scorer, HELM stat)."),
    method: str = choice("spearman", "--method", "-m", choices=("spearman", "pearson"), help="Correlation."),
    subset_size: Optional[int] = typer.Option(
        None, "--subset-size", help="Decorrelated subset of this many items (default: half)."
    ),
    max_correlation: Optional[float] = typer.Option(
        None, "--max-correlation", help="Or: the largest subset whose correlation on held-out models (cross-fitted) is <= R."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (bootstrap, splits, cross-fitting)."),
    bootstrap: int = typer.Option(2000, "--bootstrap", help="Bootstrap resamples of the models."),
    ci: float = typer.Option(0.95, "--ci", help="Interval level (0.95 = 95%)."),
    fmt: Optional[str] = choice(None, "--format", "-f", choices=ITEMS_FORMATS, help=FORMATS_HELP),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Write to this file (atomically), e.g. items.csv; - = stdout."
    ),
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
    from .._util.process import reuse_mid_blocks
    from ..commands._items import items, read_model_scores

    reuse_mid_blocks()  # the fits' megabyte blocks are reused, not faulted in afresh each time

    if subset_size is not None and max_correlation is not None:
        raise InputError("--subset-size and --max-correlation: give one of them, not both")
    fmt = output_format(fmt, output, ITEMS_FORMATS)
    sources = [stdin_input(p) for p in sources]  # type: ignore[misc]
    model_scores = stdin_input(model_scores)
    if output is not None and str(output) != "-":
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
        bootstrap=bootstrap,
        level=ci,
    )
    if rep.unmatched:
        print(
            f"safetywashing: warning: {len(rep.unmatched)} model(s) without a capabilities score were left out (see the notes)",
            file=sys.stderr,
        )
    inputs = tuple(sources) + ((model_scores,) if model_scores is not None else ())
    emit(render_items(rep, fmt), output, inputs=inputs)
