"""``safetywashing analyze``, ``benchmarks`` and ``models``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from .._util.errors import InputError
from ..capability import SCORE_METHODS
from ..capability._pca_engine import single_blas_thread, worker_threads
from ..commands._analyze import analyze as run_analysis
from ..inference._multiplicity import ADJUST_CHOICES
from ..present._render import FORMATS, console_width, render, render_summary
from ..present._sheet import to_csv
from ..sources._panels import COMPLETE_PANELS, load_panel, panel_names
from . import app
from ._common import (
    FORMATS_HELP,
    SCORE_METHOD_HELP,
    bootstrap_progress,
    check_choice,
    choice,
    emit,
    output_format,
    rich_text,
    score_method_for,
    split_ids,
    stdin_input,
    table,
)

METHODS = ("spearman", "pearson")
PANEL_HELP = "Embedded panel: base, chat, frontier or all (base and chat)."


def _panels(panel: str) -> list[str]:
    check_choice(panel, (*panel_names(), "all"), "--panel")
    return list(COMPLETE_PANELS) if panel == "all" else [panel]


@app.command()
def analyze(
    panel: str = choice("all", "--panel", "-p", choices=(*panel_names(), "all"), help=PANEL_HELP),
    method: str = choice("spearman", "--method", "-m", choices=METHODS, help="Correlation: spearman (the paper's) or pearson."),
    capabilities: Optional[str] = typer.Option(
        None, "--capabilities", help="Comma-separated capability benchmark ids (default: the paper's 12)."
    ),
    fmt: Optional[str] = choice(None, "--format", "-f", choices=FORMATS, help=FORMATS_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically); - = stdout."),
    data: Optional[Path] = typer.Option(
        None, "--data", help="Your own table (CSV/TSV, wide or long; - = stdin) instead of the panels."
    ),
    model_column: Optional[str] = typer.Option(None, "--model-column", help="--data: column of model names."),
    lower_is_better: Optional[str] = typer.Option(None, "--lower-is-better", help="--data: lower is better (or NAME:lower)."),
    higher_is_better: Optional[str] = typer.Option(None, "--higher-is-better", help="--data: higher is better (or NAME:higher)."),
    flop_column: Optional[str] = typer.Option(None, "--flop-column", help="--data: training-compute column (metadata)."),
    params_column: Optional[str] = typer.Option(None, "--params-column", help="--data: parameter-count column (metadata)."),
    bootstrap: int = typer.Option(
        2000, "--bootstrap", help="Bootstrap resamples of models for the intervals (0 = point estimates only)."
    ),
    ci: float = typer.Option(0.95, "--ci", help="Confidence level of the intervals."),
    ci_method: str = choice(
        "bca", "--ci-method", choices=("bca", "percentile"), help="bca (corrects the bias and skew of r near +-1) or percentile."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of resampling and permutations (same seed = same output)."),
    permutations: int = typer.Option(0, "--permutations", help="Permutations for a p-value per benchmark (0 = none)."),
    compute: str = choice("flop", "--compute", choices=("flop", "params", "none"), help="Correlate with log10 of it (or none)."),
    impute: bool = typer.Option(False, "--impute", help="Impute missing capability scores (rank-2 PCA), not drop models."),
    sensitivity: bool = typer.Option(True, "--sensitivity/--no-sensitivity", help="Leave-one-out ranges and PC1-3 shares."),
    full: bool = typer.Option(
        False, "--full", help="Table format: every benchmark grouped by area (default: a one-screen summary per panel)."
    ),
    adjust: str = choice(
        "fcr", "--adjust", choices=ADJUST_CHOICES, help="Multiplicity adjustment of the intervals behind the verdicts."
    ),
    cluster: str = choice("none", "--cluster", choices=("none", "family"), help="Resample model families instead of models."),
    n_items: Optional[str] = typer.Option(
        None, "--n-items", help="Item counts for reliability, e.g. my_acc=500,other=120 (fraction-scale accuracies)."
    ),
    as_published: bool = typer.Option(
        False, "--as-published", help="The paper's values and roles exactly (no registry corrections)."
    ),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
) -> None:
    """Capabilities correlation of every benchmark (the paper's analysis), with intervals.

    Prints a one-screen summary per panel; --full prints every benchmark.

    Extracts a capabilities score (first principal component of the capability
    benchmarks) and correlates every benchmark with it. High correlation = the
    benchmark mostly measures general capabilities. By default every r gets a
    95% BCa bootstrap interval (2,000 resamples of models, seed 0; the whole
    pipeline is redone in each resample) and the verdict uses it; JSON/CSV rows
    add slope, spread, compute correlation and leave-one-out ranges.

    Examples (from the repository root):

    \b
      safetywashing analyze --panel chat --format markdown
      safetywashing analyze --panel chat --bootstrap 10000 \\
          --permutations 10000 --format json
      safetywashing analyze --panel chat --cluster family --adjust bonferroni \\
          --bootstrap 10000
      safetywashing analyze --as-published --bootstrap 0
      safetywashing analyze --data examples/my_leaderboard.csv \\
          --capabilities MMLU,GSM8K,ARC-C,HellaSwag \\
          --lower-is-better jailbreak_asr,bias_gap

    --data: a column's direction comes from the registry, the options or a
    header suffix (asr:lower); a harm-named column without one is refused.
    """
    fmt = output_format(fmt, output, FORMATS)
    data = stdin_input(data)
    check_choice(compute, ("flop", "params", "none"), "--compute")
    check_choice(adjust, ADJUST_CHOICES, "--adjust")
    check_choice(cluster, ("none", "family"), "--cluster")
    items = parse_n_items(n_items)
    caps = split_ids(capabilities)
    data_opts = dict(model_column=model_column, lower_is_better=lower_is_better, higher_is_better=higher_is_better,
                     flop_column=flop_column, params_column=params_column)
    matrices = _inputs(data, panel, caps, as_published, data_opts)
    opts = dict(bootstrap=bootstrap, level=ci, ci_method=ci_method, seed=seed, permutations=permutations,
                compute=None if compute == "none" else compute, impute=impute, sensitivity=sensitivity,
                adjust=adjust, cluster=None if cluster == "none" else cluster, n_items=items)

    def one(m: Any) -> Any:
        if isinstance(m, str):
            m = load_panel(m, as_published=as_published)
        method_for = score_method_for(score_method, None if data is not None else m.name)
        return run_analysis(m, capabilities=caps, method=method, progress=tick, score_method=method_for, **opts)

    with bootstrap_progress(bootstrap * len(matrices)) as tick:
        results = each_panel(one, matrices)
    if compute != "params" and data is not None and matrices[0].models["params"].notna().any():  # named or recognised
        print("hint: the parameter counts are model metadata; correlate with them through --compute params", file=sys.stderr)
    text = render_summary(results, width=min(console_width(), 80)) if fmt == "table" and not full else render(results, fmt)
    emit(text, output, inputs=(data,) if data is not None else ())


def _inputs(data: Any, panel: str, caps: Any, as_published: bool, data_opts: dict[str, Any]) -> list[Any]:
    """``--data``'s score matrices, or the embedded panels' names (each is read on its own thread by :func:`each_panel`)."""
    if data is not None or any(data_opts.values()):
        if as_published:
            raise InputError("--as-published applies to the embedded panels, not to --data")
        from ._data import data_matrices

        return list(data_matrices(data, panel=panel, capabilities=caps, **data_opts))
    return list(_panels(panel))


def each_panel(run: Any, matrices: list[Any]) -> list[Any]:
    """``[run(m) for m in matrices]``, the panels side by side on two threads when there are several and two CPUs.

    Each panel's analysis is independent (its own seeded streams) and numpy releases the GIL in its loops, so on an
    idle 2-core machine two panels take about the time of one. BLAS stays on one thread throughout, so the values
    are those of a run one panel at a time, bit for bit.
    """
    if len(matrices) < 2 or worker_threads() < 2:
        return [run(m) for m in matrices]
    from concurrent.futures import ThreadPoolExecutor

    with single_blas_thread(), ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, matrices))


def parse_n_items(text: str | None) -> dict[str, float] | None:
    """``"a=500,b=120"`` -> ``{"a": 500.0, "b": 120.0}`` (InputError naming the bad part)."""
    if not text:
        return None
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, val = part.partition("=")
        try:
            num = float(val)
        except ValueError:
            num = float("nan")
        if not sep or not name.strip() or not (1 <= num <= 1e12 and num == int(num)):  # finite: inf has no int
            raise InputError(f"--n-items: {part!r} is not column=COUNT with a whole COUNT >= 1 (e.g. my_acc=500)")
        out[name.strip()] = num
    return out


@app.command()
def benchmarks(
    area: Optional[str] = typer.Option(None, "--area", help="Only this safety area (e.g. machine_ethics)."),
    role: Optional[str] = choice(None, "--role", choices=("capability", "safety", "other"), help="Only this role."),
    in_panel: Optional[str] = choice(None, "--panel", "-p", choices=panel_names(), help="Only this panel's benchmarks."),
    fmt: str = choice("table", "--format", "-f", choices=("table", "csv", "json"), help="Output format."),
) -> None:
    """List the benchmark registry (id, name, metric, role, area, panels).

    Examples:

    \b
      safetywashing benchmarks --area machine_ethics
      safetywashing benchmarks --panel frontier
    """
    from .._util.errors import InputError
    from ..sources._registry import registry, scale_formula

    check_choice(fmt, ("table", "csv", "json"), "--format")
    reg = registry()
    if area is not None:
        if area not in set(reg["area"]):
            raise InputError(f"--area: unknown area {area!r}; known: {', '.join(sorted(a for a in set(reg['area']) if a))}")
        reg = reg[reg["area"] == area]
    if role is not None:
        check_choice(role, ("capability", "safety", "other"), "--role")
        reg = reg[reg["role"] == role]
    if in_panel is not None:
        check_choice(in_panel, tuple(panel_names()), "--panel")
        reg = reg[reg["in_panels"].str.split(";").map(lambda ps: in_panel in ps)]
    reg = reg.reset_index()
    if fmt == "csv":
        emit(to_csv(reg, index=False), None)
    elif fmt == "json":
        emit(reg.to_json(orient="records", indent=2, force_ascii=False) + "\n", None)
    else:
        from rich.text import Text

        t = table()
        for c in ("id", "name", "metric", "role", "area", "in_panels"):
            t.add_column(c, overflow="fold")
        for _, r in reg.iterrows():
            stored = scale_formula(str(r["id"]))  # a rescaled accuracy (WMDP): say how the panels store it
            r = {**r, "metric": f"{r['metric']}; stored as {stored}" if stored else r["metric"]}
            t.add_row(*(Text(str(r[c])) for c in ("id", "name", "metric", "role", "area", "in_panels")))
        emit(rich_text(f"{len(reg)} benchmarks", t), None)


@app.command()
def models(
    panel: str = choice("chat", "--panel", "-p", choices=(*panel_names(), "all"), help=PANEL_HELP),
    method: str = choice("spearman", "--method", "-m", choices=METHODS, help="Correlation of the capability direction."),
    fmt: str = choice("table", "--format", "-f", choices=("table", "csv", "json"), help="Output format."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
    top: int = typer.Option(0, "--top", "-n", min=0, help="Only the N most capable models of each panel (0 = all)."),
) -> None:
    """List a panel's models with their capabilities scores (higher = more capable).

    With the logistic capability model (--score-method irt; the default for
    the frontier panel) every score has a standard error (capabilities_score_se),
    and models it cannot score are listed with the reason.

    Examples:

    \b
      safetywashing models --panel base
      safetywashing models --panel frontier --top 10
    """
    import json

    import pandas as pd

    check_choice(fmt, ("table", "csv", "json"), "--format")
    from ..capability._model import fit_capability_model

    frames = []
    titles = []
    for p in _panels(panel):
        m = load_panel(p)
        fit = fit_capability_model(m, method=method, score_method=score_method_for(score_method, p))
        df = m.models.copy()
        df["capabilities_score"] = fit.scores
        df["capabilities_score_se"] = fit.se
        # benchmarks the fit used for each model (the panel's n_benchmarks counts every column it has a score on)
        df["n_benchmarks_used"] = m.scores.reindex(columns=list(fit.model.benchmarks)).notna().sum(axis=1).reindex(df.index)
        df["not_scored_because"] = pd.Series(fit.drop_reasons, dtype=object).reindex(df.index)
        df["score_method"] = fit.kind
        df.insert(0, "panel", p)
        df = df.sort_values("capabilities_score", ascending=False, na_position="last")
        df.insert(1, "rank", [*range(1, int(fit.scores.notna().sum()) + 1), *([None] * int(fit.scores.isna().sum()))])
        shown = f" ({top} of {len(df)} models shown; --top 0 for all)" if 0 < top < len(df) else ""
        frames.append((df.head(top) if top else df).reset_index())
        titles.append(f"{p}{shown}: {fit.model.describe()}")
    df = pd.concat(frames, ignore_index=True)
    if fmt == "csv":
        emit(to_csv(df, index=False), None)
    elif fmt == "json":
        from .._util.jsonout import dumps

        emit(dumps(json.loads(df.to_json(orient="records"))), None)
    else:
        from rich.markup import escape

        has_se = bool(df["capabilities_score_se"].notna().any())
        title = "Models by capabilities score (higher = more capable)\n" + "\n".join(titles)
        t = table()
        meta = [c for c in ("params", "flop") if df[c].notna().any()]
        meta += [c for c in ("release_date", "organisation") if c in df.columns and df[c].fillna("").astype(str).ne("").any()]
        cols = ["panel", "rank", "model", "name", *meta, "used", "capabilities_score"] + (["SE"] if has_se else [])
        right = ("rank", "params", "flop", "used", "capabilities_score", "SE")
        for c in cols:
            t.add_column(c, justify="right" if c in right else "left", overflow="fold", no_wrap=c in right)
        for _, r in df.iterrows():
            cells = [r["panel"], "-" if pd.isna(r["rank"]) else str(int(r["rank"])), escape(r["model"]), escape(str(r["name"]))]
            for c in meta:
                v = r[c]
                if c in ("params", "flop"):
                    cells.append("-" if pd.isna(v) else f"{v:.3g}" if c == "params" else f"{v:.2g}")
                else:
                    cells.append("-" if pd.isna(v) or v == "" else escape(str(v)))
            cells.append(str(int(r["n_benchmarks_used"])))
            cells.append("-" if pd.isna(r["capabilities_score"]) else f"{r['capabilities_score']:+.3f}")
            if has_se:
                cells.append("-" if pd.isna(r["capabilities_score_se"]) else f"{r['capabilities_score_se']:.3f}")
            t.add_row(*cells)
        emit(rich_text(title, t, "used: capability benchmarks of the fit the model has a score on (benchmarks the fit "
                                 "dropped are not counted)"), None)
        unscored = df[df["capabilities_score"].isna()]
        if len(unscored):
            emit(f"{len(unscored)} model(s) without a capabilities score: "
                 + "; ".join(f"{r['model']} ({r['not_scored_because']})" for _, r in unscored.iterrows()) + "\n", None)
