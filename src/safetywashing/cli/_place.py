"""``safetywashing place``: new models in a panel's capability coordinates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .._util.jsonout import dumps
from ..capability import SCORE_METHODS
from ..present._render import console_width
from ..present._sheet import to_csv
from ..sources._panels import panel_names
from . import app
from ._common import (
    FORMATS_HELP,
    SCORE_METHOD_HELP,
    choice,
    emit,
    output_format,
    score_method_for,
    split_ids,
    stdin_input,
    strip_lines,
    table,
)

PLACE_FORMATS = ("table", "json", "csv", "html")


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def _table(res) -> str:  # noqa: ANN001
    from rich.console import Console
    from rich.markup import escape

    con = Console(width=console_width(), force_terminal=False, color_system=None)
    con.begin_capture()
    con.print(
        f"Panel {res.panel!r} coordinates: capabilities score = {res.direction.describe()}.\n"
        f"residual = value - value predicted from capabilities by the panel's linear fit "
        f"(positive = safer/better than capabilities predict); PI = {int(res.level * 100)}% prediction interval; "
        f"n = panel models in the fit.",
        highlight=False,
        markup=False,
    )
    for m in res.models:
        if m.capabilities_score is None:
            k = len(res.capability_benchmarks)
            need = res.direction.min_benchmarks
            why = (
                f"lacks {', '.join(m.missing)}"
                if need == k
                else f"has {k - len(m.missing)} of the panel's {k} capability benchmarks, needs {need}"
            )
            con.print(f"\n{escape(m.model)}: not placed ({escape(why)})", highlight=False)
            continue
        se = "" if m.capabilities_score_se is None else f" (SE {m.capabilities_score_se:.3f})"
        pm = "" if m.panel_model is None else (
            f" = panel model {m.panel_model} ({m.match_rule}"
            + ("; the panel's own score" if m.score_source == "panel" else "; scored from its row") + ")"
        )
        con.print(
            f"\n{escape(m.model)}{escape(pm)}: capabilities score {m.capabilities_score:+.3f}{se}, "
            f"percentile {m.percentile:.0f} among {m.n_panel} panel models",
            highlight=False,
        )
        rows = [b for b in res.benchmarks if b.model == m.model]
        if not rows:
            con.print("  no safety or other benchmark in common with the panel", highlight=False)
            continue
        t = table()
        pi = f"{int(res.level * 100)}% PI"
        for c in ("benchmark", "role / area", "value", "predicted", "residual", "resid SD", "stud. t", pi, "n"):
            text = c in ("benchmark", "role / area", pi)  # these wrap; the single numbers keep their width
            t.add_column(c, justify="left" if c in ("benchmark", "role / area") else "right", overflow="fold",
                         no_wrap=not text)
        for b in sorted(rows, key=lambda r: (r.role != "safety", r.area, r.benchmark)):
            t.add_row(
                escape(b.benchmark),
                escape(b.area or b.role),
                f"{b.value:.4g}",
                f"{b.predicted:.4g}",
                f"{b.residual:+.4g}",
                f"{b.residual_sd:+.2f}",
                ("-" if b.studentized_residual != b.studentized_residual else f"{b.studentized_residual:+.2f}")
                + (" *" if b.outside_interval else ""),
                f"[{b.pi_low:.4g}, {b.pi_high:.4g}]",
                str(b.n),
            )
        con.print(t)
    if any(b.outside_interval for b in res.benchmarks):
        con.print("* outside the prediction interval", highlight=False)
    con.print(
        "resid SD = residual / the fit's residual SD; stud. t = residual / its prediction SE (residual SD x "
        "sqrt(1 + leverage)), Student's t with n - 2 df if the scatter were normal.",
        highlight=False, markup=False,
    )
    from ..commands._place import tails_sentence

    if res.tails:
        con.print(tails_sentence(res.tails), highlight=False, markup=False)
    for w in res.warnings:
        con.print(f"warning: {w}", highlight=False, markup=False)
    for n in res.notes:
        if ": not placed, lacks" in n:  # already said above, per model
            continue
        con.print(f"note: {n}", highlight=False, markup=False)
    return strip_lines(con.end_capture())


@app.command()
def place(
    matrix: Path = typer.Argument(
        ..., metavar="MATRIX", help="Matrix CSV written by 'safetywashing ingest' (model column + benchmark columns; - = stdin)."
    ),
    panel: str = choice("chat", "--panel", "-p", choices=panel_names(), help="Embedded panel whose coordinates to use."),
    provenance: Optional[Path] = typer.Option(
        None, "--provenance", help="Provenance CSV from ingest (default: MATRIX's stem + .provenance.csv, if it exists)."
    ),
    method: str = choice("spearman", "--method", "-m", choices=("spearman", "pearson"), help="Correlation for the panel's PC1."),
    level: float = typer.Option(0.95, "--level", help="Prediction-interval level."),
    fmt: Optional[str] = choice(None, "--format", "-f", choices=PLACE_FORMATS, help=FORMATS_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically); - = stdout."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
    lower_is_better: Optional[str] = typer.Option(
        None, "--lower-is-better", help="columns where lower is better (negated; or a header suffix NAME:lower)."
    ),
    higher_is_better: Optional[str] = typer.Option(
        None, "--higher-is-better", help="columns where higher is better (or a header suffix NAME:higher)."
    ),
) -> None:
    """Place new models in a panel's coordinates: capabilities score, percentile, safety beyond capabilities.

    For each model with all the panel's capability benchmarks: its capabilities
    score (panel means, SDs, PC1 loadings), its percentile among the panel's
    models, and for every other benchmark it shares with the panel the
    residual from the panel's linear fit on capabilities, in points and in
    residual SDs, with a prediction interval. Warns when capability benchmarks
    were run with other settings (shots, metric) than the panel's. With
    --score-method irt (the default for --panel frontier) any 3 of the panel's
    capability benchmarks place a model, and its score has a standard error.
    Models of the panel are found by name as audit finds them (ids, display
    names, Hugging Face ids, provider prefixes); one whose row lacks the
    capability benchmarks is placed at the panel's own score, and a panel
    model's prediction, interval, t and flag all come from the panel's fit
    without it.

    Example (from the repository root: ingest writes matrix.csv, place reads it):

    \b
      safetywashing ingest tests/data/harness/lm_eval --output matrix.csv
      safetywashing place matrix.csv --panel chat
      safetywashing place examples/frontier_benchmark.csv --panel frontier \\
          --lower-is-better jailbreak_asr

    Columns are read as by analyze --data: registry ids in the panels' units
    and direction (registry corrections such as discrim_eval's -|x| applied),
    other columns' direction from --lower-is-better / --higher-is-better or a
    header suffix (NAME:lower); a harm- or failure-named column without one
    is refused.
    """
    from ..commands._place import place as run_place
    from ..commands._place import read_provenance_csv
    from ..sources._panels import load_panel
    from ..sources._table import read_table
    from ._ingest import provenance_path

    fmt = output_format(fmt, output, PLACE_FORMATS)
    stdin = str(matrix) == "-"
    matrix = stdin_input(matrix)
    m = read_table(matrix, lower_is_better=split_ids(lower_is_better), higher_is_better=split_ids(higher_is_better))
    prov_file = provenance if provenance is not None else None if stdin else provenance_path(matrix)
    prov = read_provenance_csv(prov_file) if prov_file is not None and (provenance or prov_file.is_file()) else None
    res = run_place(
        m, load_panel(panel), provenance=prov, method=method, level=level, score_method=score_method_for(score_method, panel)
    )
    if fmt == "html":
        from ..present._render import html_page

        text = html_page([res])
    elif fmt == "json":
        text = dumps(res.to_dict())
    elif fmt == "csv":
        text = to_csv(res.to_frame(), index=False, float_format="%.10g")
    else:
        text = _table(res)
    if fmt != "table":
        for w in res.warnings:
            print(f"warning: {w}", file=sys.stderr)
    emit(text, output, inputs=(str(matrix),))
