"""``safetywashing report`` (interactive HTML) and ``figures`` (static PNG/SVG/PDF)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import typer

from .._util.errors import InputError
from ..capability import SCORE_METHODS
from ..commands._analyze import analyze as run_analysis
from ..inference._multiplicity import ADJUST_CHOICES
from ..sources._panels import COMPLETE_PANELS, load_panel, panel_names
from . import app
from ._analyze import METHODS, PANEL_HELP
from ._common import SCORE_METHOD_HELP, check_choice, choice, score_method_for, split_ids

FIGURE_FORMATS = ("png", "svg", "pdf")  # the formats present._figures writes (a test keeps them equal)


def _panels(panel: str) -> list[str]:
    check_choice(panel, (*panel_names(), "all"), "--panel")
    return list(COMPLETE_PANELS) if panel == "all" else [panel]


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Any]:
    """A rich progress bar on stderr (only on a terminal); yields ``advance(step_text)``."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    con = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[step]}"), TimeElapsedColumn(), console=con, transient=True,
        disable=not con.is_terminal,
    ) as prog:
        task = prog.add_task(description, total=total, step="")

        def advance(step: str = "") -> None:
            prog.update(task, advance=1, step=step)

        def show(step: str) -> None:
            prog.update(task, step=step)

        advance.show = show  # type: ignore[attr-defined]
        yield advance


def _analyses(
    panel: str,
    method: str,
    capabilities: Optional[str],
    advance: Any,
    *,
    data: Optional[Path] = None,
    stats: Optional[dict[str, Any]] = None,
    score_method: Optional[str] = None,
    **read: Any,
) -> tuple[list, list]:
    """Analyse the embedded panel(s), or the user's ``--data`` table (``stats``: bootstrap options of analyze)."""
    caps = split_ids(capabilities)
    results, matrices = [], []
    if data is not None:
        from ._data import data_matrices

        mats = data_matrices(data, panel=panel, capabilities=caps, **read)
    else:
        mats = [load_panel(p) for p in _panels(panel)]
    for m in mats:
        advance.show(f"analysing {m.name}")
        sm = score_method_for(score_method, None if data is not None else m.name)
        results.append(run_analysis(m, capabilities=caps, method=method, score_method=sm, **(stats or {})))
        matrices.append(m)
        advance(f"analysed {m.name}")
    return results, matrices


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


@app.command()
def report(
    output: Path = typer.Option(..., "--output", "-o", help="HTML file to write (atomically), e.g. report.html."),
    panel: str = choice("all", "--panel", "-p", choices=(*panel_names(), "all"), help=PANEL_HELP),
    method: str = choice("spearman", "--method", "-m", choices=METHODS, help="Correlation: spearman (the paper's) or pearson."),
    capabilities: Optional[str] = typer.Option(
        None, "--capabilities", help="Comma-separated capability benchmark ids (default: the paper's 12)."
    ),
    title: str = typer.Option("safetywashing report", "--title", help="Title shown at the top of the report."),
    data: Optional[Path] = typer.Option(None, "--data", help="Report on your own score table (CSV/TSV) instead of a panel."),
    model_column: Optional[str] = typer.Option(None, "--model-column", help="With --data/--audit: the model-name column."),
    lower_is_better: Optional[str] = typer.Option(
        None, "--lower-is-better", help="With --data/--audit: columns where lower is better (negated; or NAME:lower)."
    ),
    higher_is_better: Optional[str] = typer.Option(
        None, "--higher-is-better", help="With --data/--audit: columns where higher is better (or NAME:higher)."
    ),
    flop_column: Optional[str] = typer.Option(None, "--flop-column", help="With --data: training-compute column (metadata)."),
    params_column: Optional[str] = typer.Option(None, "--params-column", help="With --data: parameter-count column (metadata)."),
    audit_file: Optional[Path] = typer.Option(
        None, "--audit", help="Audit this SCORES file (your benchmark on some models) against --panel; shown first."
    ),
    claim_file: Optional[Path] = typer.Option(
        None, "--claim", help="Claim check of this FILE (before/after rows) against --panel; needs --benchmark."
    ),
    items_file: Optional[Path] = typer.Option(
        None, "--items", help="Item view from this JSON (written by: safetywashing items ... --format json)."
    ),
    benchmark: Optional[str] = typer.Option(None, "--benchmark", "-b", help="With --claim: the claimed benchmark id."),
    before: Optional[str] = typer.Option(None, "--before", help="With --claim: model name of the 'before' row."),
    after: Optional[str] = typer.Option(None, "--after", help="With --claim: model name of the 'after' row."),
    bootstrap: int = typer.Option(
        2000, "--bootstrap", help="Bootstrap resamples for the intervals (analysis whiskers, --audit, --claim); 0 = none."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the bootstraps."),
    ci: float = typer.Option(0.95, "--ci", help="Interval level (0.95 = 95%)."),
    adjust: str = choice("fcr", "--adjust", choices=ADJUST_CHOICES, help="Multiplicity adjustment behind the verdicts."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
) -> None:
    """Write a self-contained interactive HTML report (works offline; plotly.js embedded).

    Contains a summary, the capabilities correlation of every benchmark grouped
    by safety area, a benchmark-vs-capabilities scatter for any benchmark
    (search box), scree plot, capability inter-correlation heatmap, model
    ranking, a sortable and filterable results table and a methods paragraph.

    Examples (from the repository root):

    \b
      safetywashing report --panel chat --output report.html
      safetywashing report --data examples/my_leaderboard.csv \\
          --capabilities MMLU,GSM8K,ARC-C,HellaSwag \\
          --lower-is-better jailbreak_asr,bias_gap --output mine.html
      safetywashing report --panel chat --audit examples/my_benchmark.csv \\
          --lower-is-better jailbreak_asr --output audit.html
      safetywashing report --panel chat --claim examples/claim_release.csv \\
          --benchmark ethics_all --output claim.html
    """
    from ..present._report import build_report

    _check_output(output)
    inputs = tuple(p for p in (data, audit_file, claim_file, items_file) if p is not None)
    items_dict = _read_items_json(items_file) if items_file is not None else None
    _check_report_options(panel, data, audit_file, claim_file, benchmark, before, after, flop_column, params_column, adjust)
    read = {
        "model_column": model_column, "lower_is_better": lower_is_better, "higher_is_better": higher_is_better,
        "flop_column": flop_column, "params_column": params_column,
    }
    stats = {"bootstrap": bootstrap, "seed": seed, "level": ci, "adjust": adjust}
    t0 = time.perf_counter()
    n_panels = 1 if data is not None else len(_panels(panel))
    with progress_bar("report", total=2 * n_panels + 2 + (audit_file is not None or claim_file is not None)) as advance:
        common = {"panel": panel, "method": method, "capabilities": capabilities, "bootstrap": bootstrap, "seed": seed,
                  "ci": ci, "score_method": score_method}
        audit_dict = _audit_dict(audit_file, advance, model_column=model_column, lower_is_better=lower_is_better,
                                 higher_is_better=higher_is_better, **common) if audit_file is not None else None
        claim_dict = _claim_dict(claim_file, advance, benchmark=benchmark or "", before=before, after=after,
                                 **common) if claim_file is not None else None
        results, matrices = _analyses(panel, method, capabilities, advance, data=data, stats=stats, score_method=score_method,
                                      **read)
        html = build_report(
            results, matrices, audit=audit_dict, claim=claim_dict, items=items_dict, title=title,
            sources=[str(p) for p in inputs], progress=lambda step: advance(step),
        )
        _write_report(output, html, inputs, advance)
    print(f"wrote {output} ({_size(len(html.encode()))}, {time.perf_counter() - t0:.1f} s)", file=sys.stderr)


def _check_output(output: Path) -> None:
    """Refuse a report path that is not an .html/.htm file name or that is an existing folder."""
    if output.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--output: {output} should end in .html (the report is one HTML file)")
    if output.exists() and output.is_dir():
        raise InputError(f"--output: {output} is a folder; give a file name such as {output / 'report.html'}")


def _check_report_options(
    panel: str,
    data: Optional[Path],
    audit_file: Optional[Path],
    claim_file: Optional[Path],
    benchmark: Optional[str],
    before: Optional[str],
    after: Optional[str],
    flop_column: Optional[str],
    params_column: Optional[str],
    adjust: str,
) -> None:
    """Refuse option combinations ``report`` cannot honour: --audit with --claim, either of them without one
    embedded panel, --claim without --benchmark (or its options without --claim), metadata columns without --data,
    an unknown --adjust."""
    if audit_file is not None and claim_file is not None:
        raise InputError("--audit and --claim: give one of them per report")
    if (audit_file is not None or claim_file is not None) and (panel == "all" or data is not None):
        raise InputError("--audit/--claim are checked against one embedded panel: add --panel chat or --panel base (no --data)")
    if claim_file is not None and benchmark is None:
        raise InputError("--claim needs --benchmark B: the benchmark whose change is claimed (e.g. --benchmark ethics_all)")
    if claim_file is None and (benchmark or before or after):
        raise InputError("--benchmark/--before/--after belong to --claim FILE")
    if data is None and (flop_column is not None or params_column is not None):
        raise InputError("--flop-column/--params-column apply to --data FILE")
    check_choice(adjust, ("none", "bonferroni", "fcr"), "--adjust")


def _audit_dict(audit_file: Path, advance: Any, **options: Any) -> dict[str, Any]:
    """The ``audit`` JSON dict of ``audit_file`` against the panel (its warnings printed to stderr)."""
    from ._audit import audit_from_file

    advance.show(f"auditing {audit_file.name}")
    res_a = audit_from_file(audit_file, **options)
    for w in res_a.warnings:
        print(f"safetywashing: warning: {w}", file=sys.stderr)
    out = res_a.to_dict()
    advance("audited")
    return out


def _claim_dict(claim_file: Path, advance: Any, **options: Any) -> dict[str, Any]:
    """The ``claim`` JSON dict of the before/after rows in ``claim_file`` against the panel."""
    from ._claim import claim_from_file

    advance.show(f"checking claim {claim_file.name}")
    out = claim_from_file(claim_file, **options).to_dict()
    advance("claim checked")
    return out


def _write_report(output: Path, html: str, inputs: tuple[Path, ...], advance: Any) -> None:
    """Write ``html`` to ``output`` atomically (refusing to overwrite one of the ``inputs``)."""
    from .._util.io import atomic_write

    advance.show(f"writing {output.name}")
    atomic_write(output, html, inputs=inputs)
    advance("written")


def _read_items_json(path: Path) -> dict[str, Any]:
    """The JSON written by ``safetywashing items --format json`` (one benchmark or ``{"benchmarks": [...]}``)."""
    from .._util.io import load_json_file
    from .._util.limits import MAX_JSON_BYTES

    doc = load_json_file(path, max_bytes=MAX_JSON_BYTES)  # a regular file of sensible size (recorded as read)
    benches = doc.get("benchmarks", [doc]) if isinstance(doc, dict) else None
    if not isinstance(benches, list) or not all(isinstance(b, dict) and "items" in b and "benchmark" in b for b in benches):
        raise InputError(f"{path}: not the JSON of 'safetywashing items --format json' (no 'benchmark' and 'items')")
    return doc


@app.command()
def figures(
    output_dir: Path = typer.Option(..., "--output-dir", "-d", help="Folder for the figure files (created if missing)."),
    fmt: str = choice("png", "--format", "-f", choices=FIGURE_FORMATS, multi=True, help="png, svg or pdf (or several: png,pdf)."),
    panel: str = choice("all", "--panel", "-p", choices=(*panel_names(), "all"), help=PANEL_HELP),
    method: str = choice("spearman", "--method", "-m", choices=METHODS, help="Correlation: spearman (the paper's) or pearson."),
    capabilities: Optional[str] = typer.Option(
        None, "--capabilities", help="Comma-separated capability benchmark ids (default: the paper's 12)."
    ),
    benchmarks: Optional[str] = typer.Option(
        None, "--benchmarks", "-b",
        help="Scatter plots for these benchmark ids (comma-separated, or 'all'); "
             "default: the 3 safety benchmarks with the highest and the 3 with the lowest r per panel.",
    ),
    dpi: int = typer.Option(300, "--dpi", help="Resolution of PNG files (dots per inch)."),
    width: str = typer.Option(
        "column", "--width", "-w",
        help="Figure width: column (3.4 in, one column of a two-column paper), page (7 in, both columns) or inches (2.5-10).",
    ),
    data: Optional[Path] = typer.Option(None, "--data", help="Figures of your own score table (CSV/TSV) instead of a panel."),
    model_column: Optional[str] = typer.Option(None, "--model-column", help="With --data: the model-name column."),
    lower_is_better: Optional[str] = typer.Option(
        None, "--lower-is-better", help="With --data: columns where lower is better (negated; or NAME:lower)."
    ),
    higher_is_better: Optional[str] = typer.Option(
        None, "--higher-is-better", help="With --data: columns where higher is better (or NAME:higher)."
    ),
    flop_column: Optional[str] = typer.Option(None, "--flop-column", help="With --data: training-compute column (metadata)."),
    params_column: Optional[str] = typer.Option(None, "--params-column", help="With --data: parameter-count column (metadata)."),
    bootstrap: int = typer.Option(2000, "--bootstrap", help="Bootstrap resamples for the interval whiskers (0 = none)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap."),
    adjust: str = choice("fcr", "--adjust", choices=ADJUST_CHOICES, help="Multiplicity adjustment behind the verdicts."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
) -> None:
    """Write static figures for a paper, one column (3.4 in) or two (--width page, 7 in) wide: PNG, SVG or PDF.

    Per panel: <panel>_correlations (capabilities correlation by safety area),
    <panel>_scree, <panel>_heatmap (capability inter-correlations),
    <panel>_ranking (models by capabilities score), <panel>_over_time (panels
    with release dates) and <panel>_scatter_<benchmark> (benchmark vs
    capabilities score with OLS line). No text is clipped or overprinted at
    either width.

    Examples (from the repository root):

    \b
      safetywashing figures --panel chat --format pdf --output-dir figs
      safetywashing figures --panel frontier --width page --bootstrap 0 \\
          --output-dir figs
      safetywashing figures --data examples/my_leaderboard.csv \\
          --capabilities MMLU,GSM8K,ARC-C,HellaSwag --params-column params \\
          --lower-is-better jailbreak_asr,bias_gap --output-dir figs
    """
    from .._util.io import atomic_write_many
    from .._util.limits import MAX_FIGURE_MODELS
    from ..present._figures import FORMATS, figure_plan, figure_width, render_figures

    fig_width = figure_width(width)
    fmts = split_ids(fmt) or []
    for f in fmts:
        check_choice(f, FORMATS, "--format")
    if not 50 <= dpi <= 1200:
        raise InputError(f"--dpi: {dpi} is out of range; use 50-1200 (300 is typical for print)")
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError(f"--output-dir: {output_dir} is a file, not a folder")
    bench_ids = split_ids(benchmarks)
    t0 = time.perf_counter()
    n_panels = 1 if data is not None else len(_panels(panel))
    check_choice(adjust, ("none", "bonferroni", "fcr"), "--adjust")
    stats = {"bootstrap": bootstrap, "seed": seed, "adjust": adjust}
    with progress_bar("analysis", total=n_panels) as advance:
        if data is not None:
            results, matrices = _analyses(
                panel, method, capabilities, advance, data=data, stats=stats, score_method=score_method,
                model_column=model_column, lower_is_better=lower_is_better, higher_is_better=higher_is_better,
                flop_column=flop_column, params_column=params_column,
            )
        else:
            if model_column or lower_is_better or higher_is_better or flop_column or params_column:
                raise InputError(
                    "--model-column/--lower-is-better/--higher-is-better/--flop-column/--params-column apply to --data FILE"
                )
            results, matrices = _analyses(panel, method, capabilities, advance, stats=stats, score_method=score_method)
    most = max((m.scores.shape[0] for m in matrices), default=0)
    if most > MAX_FIGURE_MODELS:
        raise InputError(f"{most:,} models: more than a figure can show ({MAX_FIGURE_MODELS:,} at most); "
                         "use analyze for the numbers, or a smaller table")
    plan = figure_plan(results, matrices, benchmarks=bench_ids, width=fig_width)
    files = []
    with progress_bar("figures", total=len(plan) * len(fmts)) as advance:
        for name, data in render_figures(results, matrices, formats=fmts, benchmarks=bench_ids, dpi=dpi,
                                         width=fig_width):
            files.append((output_dir / name, data))
            advance(name)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--output-dir: cannot create {output_dir}: {exc.strerror}") from None
    written = atomic_write_many(files)  # all or none: Ctrl-C or a full disk leaves no partial set of figures
    print(f"wrote {len(written)} figure file(s) to {output_dir} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
