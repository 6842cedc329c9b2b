"""``safetywashing plan``: which panel models to evaluate a new benchmark on, and how many."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..capability import SCORE_METHODS
from ..commands._plan import PlanResult
from ..commands._plan import plan as run_plan
from ..present._sheet import to_csv
from ..sources._panels import load_panel, panel_names
from . import app
from ._common import SCORE_METHOD_HELP, choice, emit, output_format, score_method_for, split_ids

PLAN_FORMATS = ("table", "json", "csv", "inspect")


def render_plan_text(res: PlanResult) -> str:
    """The plan as text: what was asked, the chosen models (most capable first), spread and expected width."""
    df = res.models
    head = ("model", "score", "SE", "released", "open", "inspect model", "settings")
    rows = [
        (m, f"{s:+.2f}", f"{e:.2f}", str(d), "yes" if o else "no", i, ",".join(f"{k}={v}" for k, v in c.items()))
        for m, s, e, d, o, i, c in zip(df["model"], df["capabilities_score"], df["capabilities_score_se"],
                                       df["release_date"], df["open_weights"], df["inspect_model"], df["inspect_config"])
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    right = (False, True, True, False, False, False, False)

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if rt else c.ljust(w) for c, w, rt in zip(cells, widths, right)).rstrip()

    power = "" if res.power is None else f"; chance {res.power:.0%} that it excludes the other band"
    lines = [
        f"Plan on panel {res.panel!r} ({res.how}): n = {res.n} models of {res.n_eligible} eligible "
        f"(capabilities score: {res.score_method}; higher = more capable)",
        f"Expected {res.level:.0%} interval width at n = {res.n}: {res.expected_width:.2f} for a true {res.method} r of "
        f"{res.rho:+.2f}{power} (Fisher-z power model with known scores; the audit's bootstrap, which also draws each "
        "score from its SE, is wider)",
        f"Capability spread: SD ratio {res.sd_ratio:.2f} (SD of the planned models' scores / SD over the "
        f"{res.n_panel_scored} panel models, ddof 0; >= 1: at least the panel's range)",
        "",
        fmt(head), fmt(tuple("-" * w for w in widths)), *(fmt(r) for r in rows), "",
    ]
    lines += [f"note: {n}" for n in res.notes]
    return "\n".join(lines) + "\n"


def render_plan(res: PlanResult, fmt: str) -> str:
    """``table``, ``json``, ``csv`` or ``inspect`` (one Inspect model string per line)."""
    if fmt == "json":
        from .._util.jsonout import dumps

        return dumps(res.to_dict())
    if fmt == "csv":
        return to_csv(res.to_frame(), index=False, float_format="%.6g")
    if fmt == "inspect":
        return "".join(f"{s}\n" for s in res.inspect_models())
    return render_plan_text(res)


@app.command()
def plan(
    panel: str = choice("frontier", "--panel", "-p", choices=panel_names(), help="Embedded panel to plan on (frontier)."),
    n: Optional[int] = typer.Option(None, "--n", help="How many models to plan."),
    resolution: Optional[float] = typer.Option(
        None, "--resolution", help="Or: the expected interval width wanted (correlation units, e.g. 0.5)."
    ),
    separate: Optional[str] = typer.Option(
        None, "--separate", help="Or: two adjacent bands to tell apart, the benchmark's band first (e.g. low,moderate)."
    ),
    rho: Optional[float] = typer.Option(
        None, "--rho", help="True correlation assumed by the power model (default: 0, or the first --separate band's centre)."
    ),
    open_weights: bool = typer.Option(False, "--open-weights", help="Only models with a Hugging Face id (run via vllm/)."),
    providers: Optional[str] = typer.Option(
        None, "--providers", help="Only these Inspect providers (openai,anthropic,google,grok,mistral,bedrock,vllm)."
    ),
    exclude: Optional[str] = typer.Option(None, "--exclude", help="Models never to plan (comma-separated)."),
    include: Optional[str] = typer.Option(None, "--include", help="Models the plan must hold (comma-separated)."),
    method: str = choice("spearman", "--method", "-m", choices=("spearman", "pearson"), help="Correlation of the power model."),
    ci: float = typer.Option(0.95, "--ci", help="Interval level (0.95 = 95%)."),
    fmt: Optional[str] = choice(None, "--format", "-f", choices=PLAN_FORMATS,
                                help="Output format (default: from --output's extension; inspect: model strings)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically) instead of stdout."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
) -> None:
    """Which panel models should my new benchmark be evaluated on, and how many?

    Picks N distinct panel models that spread capability at least as widely as
    the whole panel (SD ratio >= 1), never two variants of one family released
    the same day, preferring small score SEs. N is --n, or the smallest n whose
    expected interval is --resolution wide, or that tells the --separate bands
    apart four times out of five. --format inspect prints Inspect model strings
    (vllm/<hf id> for open weights), ready for `inspect eval-set` or `run`;
    --format json keeps each model's generate settings for `run --models`.

    Examples (from the repository root):

    \b
      safetywashing plan --panel frontier --n 24
      safetywashing plan --panel frontier --separate low,moderate --open-weights --format inspect
      safetywashing plan --panel frontier --n 12 --providers openai,anthropic --format json --output plan.json
    """
    fmt = output_format(fmt, output, PLAN_FORMATS)
    sep = split_ids(separate)
    if sep is not None and len(sep) != 2:
        from .._util.errors import InputError

        raise InputError(f"--separate {separate}: name two adjacent bands, e.g. low,moderate")
    res = run_plan(
        load_panel(panel), n=n, resolution=resolution, separate=None if sep is None else (sep[0], sep[1]), rho=rho,
        level=ci, method=method, open_weights=open_weights, providers=split_ids(providers), exclude=split_ids(exclude),
        include=split_ids(include), score_method=score_method_for(score_method, panel),
    )
    for w in res.warnings:
        print(f"safetywashing: warning: {w}", file=sys.stderr)
    if fmt != "table":
        for note in res.notes:
            print(f"note: {note}", file=sys.stderr)
    emit(render_plan(res, fmt), output)
