"""``safetywashing claim`` and ``safetywashing leaderboard``."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Optional

import pandas as pd
import typer

from .._util.errors import InputError, UnknownIdError
from ..capability import SCORE_METHODS
from ..capability._model import model_class
from ..commands._claim import DEFAULT_BOOTSTRAP, PAIR_CHOICES, ClaimResult, claim_rows, fmt_value
from ..commands._claim import claim as run_claim
from ..commands._leaderboard import LeaderboardResult
from ..commands._leaderboard import leaderboard as run_leaderboard
from ..present._render import console_width
from ..sources._matrix import ScoreMatrix
from ..sources._panels import load_panel, panel_names
from . import app
from ._common import (
    FORMATS_HELP,
    SCORE_METHOD_HELP,
    check_choice,
    choice,
    emit,
    output_format,
    render_result,
    score_method_for,
    split_ids,
    stdin_input,
    strip_lines,
    table,
)

FORMATS = ("table", "json", "csv", "markdown", "html")
METHODS = ("spearman", "pearson")
_MODEL_COLUMNS = ("model", "model_name", "name")
_BENCHMARK_UNIT_QUANTITIES = (
    "benchmark_before", "benchmark_after", "observed_change", "predicted_change", "beyond_capabilities", "intercept",
)


# --------------------------------------------------------------------------- reading
def read_table(path: Path) -> pd.DataFrame:
    """Read a wide CSV/TSV as strings, index = the model column (``model``, ``model_name`` or ``name``, else the first)."""
    import io

    from .._util.io import open_regular
    from .._util.limits import MAX_TABLE_BYTES

    data = open_regular(path, max_bytes=MAX_TABLE_BYTES)  # a regular file of sensible size, recorded as read
    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    try:
        raw = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, skipinitialspace=True, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty; expected a header line with a model column and benchmark ids") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as {'TSV' if sep == chr(9) else 'CSV'}: {str(exc).splitlines()[0]}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    lower = {c.lower(): c for c in raw.columns}
    col = next((lower[c] for c in _MODEL_COLUMNS if c in lower), raw.columns[0])
    if col.lower() not in _MODEL_COLUMNS and pd.to_numeric(raw[col], errors="coerce").notna().all():
        raise InputError(
            f"{path}: no model column (its first column {col!r} holds numbers); add a first column named 'model' "
            "with one name per row"
        )
    if raw[col].isna().any():
        line = int(raw.index[raw[col].isna()][0]) + 2
        raise InputError(f"{path}, line {line}, column {col!r}: empty model name; every row needs one")
    raw[col] = raw[col].str.strip()
    return raw.set_index(col)


def read_matrix(path: Path, lower_is_better: str | None = None, higher_is_better: str | None = None) -> ScoreMatrix:
    """A user's table for ``leaderboard --data``: the same reader (and direction rules) as ``analyze --data``."""
    from ..sources._table import read_table as read_user_table

    return read_user_table(path, lower_is_better=split_ids(lower_is_better), higher_is_better=split_ids(higher_is_better))


# --------------------------------------------------------------------------- rendering
def _claim_table(r: ClaimResult) -> str:
    from rich.console import Console
    from rich.markup import escape

    con = Console(record=True, file=io.StringIO(), width=console_width(), force_terminal=False, color_system=None)
    pct = int(round(r.level * 100))
    con.print(f"Claim on {r.benchmark_name} ({r.benchmark}), panel {r.panel!r}: {r.before} -> {r.after}", markup=False,
              highlight=False)
    t = table()
    t.add_column("quantity", overflow="fold")
    t.add_column("estimate", justify="right", no_wrap=True)
    t.add_column(f"{pct}% interval", justify="right", no_wrap=True)
    t.add_column("units", overflow="fold")
    for _, row in r.to_frame().iterrows():
        q, est = row["quantity"], row["estimate"]
        units = str(row["units"])
        if q in _BENCHMARK_UNIT_QUANTITIES:
            level = q in ("benchmark_before", "benchmark_after", "intercept")
            f = lambda v, level=level: fmt_value(v, r.scale, sign=not level)  # noqa: E731
        elif q == "share_explained":
            f = lambda v: "-" if v is None or pd.isna(v) else f"{v:.0%}"  # noqa: E731
        elif q == "slope":
            f = lambda v: fmt_value(v, r.scale)  # noqa: E731
        else:
            f = lambda v: "-" if v is None or pd.isna(v) else f"{v:+.3f}"  # noqa: E731
        lo, hi = row["ci_low"], row["ci_high"]
        ci = "" if lo is None or pd.isna(lo) else f"[{f(lo)}, {f(hi)}]"
        t.add_row(q, f(est), ci, units)
    con.print(t)
    con.print(escape(r.verdict))
    boot = (
        f"{r.n_bootstrap_used} of {r.n_bootstrap} bootstrap resamples of the {r.n_panel_models} panel models "
        f"(seed {r.seed}; {r.resampling})" if r.n_bootstrap else "no bootstrap (--bootstrap 0)"
    )
    con.print(f"n = {r.n} panel models in the fit; intervals: {boot}.")
    if r.pair == "same-model":
        terms = r.noise.get("terms", {})
        sd = {k: fmt_value(v**0.5, r.scale, sign=False) for k, v in terms.items()}
        con.print(
            "Bootstrap intervals cover the uncertainty of the panel's direction and fit only; beyond_capabilities_pi is the "
            f"same-model interval (normal): the benchmark's measurement noise in both rows ({escape(r.noise.get('source', ''))}; "
            f"SD {sd.get('benchmark_noise', '-')}), the capabilities score's measurement noise x slope (SD "
            f"{sd.get('score_noise', '-')}) and the slope's uncertainty x the capability change (SD {sd.get('fit', '-')}); "
            "it decides whether the part beyond capabilities is supported."
        )
    else:
        con.print(
            "Bootstrap intervals cover the uncertainty of the panel's direction and fit only; beyond_capabilities_pi adds "
            f"the scatter of the two single models around the fit line (residual SD "
            f"{fmt_value(r.resid_sd, r.scale, sign=False)}, t with {r.n - 2} df) and decides whether the part beyond "
            "capabilities is supported."
        )
    for note in r.notes:
        con.print(f"note: {escape(note)}")
    return strip_lines(con.export_text())


def _claim_markdown(r: ClaimResult) -> str:
    pct = int(round(r.level * 100))
    out = [f"### Claim on {r.benchmark_name} (`{r.benchmark}`), panel `{r.panel}`: {r.before} -> {r.after}", "",
           f"| quantity | estimate | {pct}% interval | units |", "|---|---|---|---|"]
    for _, row in r.to_frame().iterrows():
        lo, hi = row["ci_low"], row["ci_high"]
        est = row["estimate"]
        ci = "" if lo is None or pd.isna(lo) else f"[{lo:+.4g}, {hi:+.4g}]"
        out.append(f"| {row['quantity']} | {'-' if est is None or pd.isna(est) else f'{est:+.4g}'} | {ci} | {row['units']} |")
    out += ["", r.verdict, "", f"n = {r.n} panel models in the fit; {r.n_bootstrap_used} bootstrap resamples used."]
    out += [f"- note: {n}" for n in r.notes]
    return "\n".join(out) + "\n"


def _lb_table(r: LeaderboardResult) -> str:
    from rich.console import Console
    from rich.markup import escape

    con = Console(record=True, file=io.StringIO(), width=console_width(), force_terminal=False, color_system=None)
    pct = int(round(float(r.settings.get("level", 0.95)) * 100))
    con.print(f"{r.benchmark_name} ({r.benchmark}), {r.panel!r}: {r.n} models ranked by raw score and by score "
              "adjusted for capabilities (residual of the fit on the capabilities score)", markup=False, highlight=False)
    t = table()
    # two-line headers so that the nine columns fit 80 characters; the model column folds, numbers keep their width
    for c, j in (("adj.\nrank", "right"), ("model", "left"), ("capab.\nscore", "right"), ("value", "right"),
                 ("raw\nrank", "right"), ("pre-\ndicted", "right"), ("adjus-\nted", "right"),
                 (f"{pct}% PI of\nadjusted", "right"), ("beyond", "left")):
        if c == "model":
            t.add_column(c, justify=j, overflow="fold", min_width=10, ratio=1)
        else:
            t.add_column(c, justify=j, no_wrap=True)
    for e in r.entries:
        pi = "-" if e.adjusted_low != e.adjusted_low else (
            f"[{fmt_value(e.adjusted_low, r.scale)}, {fmt_value(e.adjusted_high, r.scale)}]")
        t.add_row(e.rank_text, escape(e.name), f"{e.capabilities_score:+.2f}", fmt_value(e.value, r.scale, sign=False),
                  str(e.raw_rank), fmt_value(e.predicted, r.scale, sign=False), fmt_value(e.adjusted, r.scale), pi,
                  e.beyond or "within")
    con.print(t)
    con.print(
        f"Fit over n = {r.n}: {r.benchmark} = {r.intercept:.4g} + {r.slope:.4g} x capabilities score "
        f"(residual SD {r.resid_sd:.3g}). adjusted = value - predicted (positive = better than capabilities predict); "
        f"{pct}% PI of adjusted = the model's value against the prediction interval of the fit without it (t with n - 3 "
        "df); beyond = above / below when it excludes 0. adj. rank = the ranks those intervals allow: 1 + the models "
        "whose interval lies wholly above, to n - those wholly below (one number only when the intervals fix it)."
    )
    for note in r.notes:
        con.print(f"note: {escape(note)}")
    return strip_lines(con.export_text())


def _lb_markdown(r: LeaderboardResult) -> str:
    pct = int(round(float(r.settings.get("level", 0.95)) * 100))
    out = [f"### {r.benchmark_name} (`{r.benchmark}`), `{r.panel}`: raw vs capability-adjusted ranks (n = {r.n})", "",
           f"| adj. rank | model | capabilities | value | raw rank | predicted | adjusted | {pct}% PI of adjusted | beyond |",
           "|---|---|---|---|---|---|---|---|---|"]
    for e in r.entries:
        out.append(f"| {e.rank_text} | {e.name} | {e.capabilities_score:+.2f} | {e.value:.4g} | {e.raw_rank} | "
                   f"{e.predicted:.4g} | {e.adjusted:+.4g} | [{e.adjusted_low:+.4g}, {e.adjusted_high:+.4g}] | "
                   f"{e.beyond or 'within'} |")
    out += ["", f"Fit: {r.benchmark} = {r.intercept:.4g} + {r.slope:.4g} x capabilities score (n = {r.n})."]
    out += [f"- note: {n}" for n in r.notes]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- commands
def claim_from_file(
    file: Path,
    *,
    panel: str,
    benchmark: str,
    before: str | None = None,
    after: str | None = None,
    capabilities: str | None = None,
    method: str = "spearman",
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int | None = 0,
    ci: float = 0.95,
    score_method: str | None = None,
    pair: str = "different-models",
    n_items: str | None = None,
) -> ClaimResult:
    """Read a claim FILE and run the claim check against an embedded panel (shared by ``claim`` and ``report``).

    With ``pair="same-model"`` the claimed benchmark's standard errors are
    read from a column ``<benchmark>_se`` or ``<benchmark>_stderr`` of FILE
    when it has one (both rows), else from the harness logs through the
    provenance file ``ingest`` wrote beside FILE, else the item count
    (``n_items``, as ``--n-items``, or the registry's) gives binomial noise.
    """
    check_choice(panel, tuple(panel_names()), "--panel")
    check_choice(method, ("spearman", "pearson"), "--method")
    matrix = load_panel(panel)
    if benchmark not in matrix.scores.columns:
        from ..sources._suggest import suggest

        raise UnknownIdError(
            f"--benchmark: {benchmark!r} is not in panel {panel!r}{suggest(benchmark, list(matrix.scores.columns))}; "
            "list the ids with: safetywashing benchmarks"
        )
    caps = matrix.resolve_capabilities(split_ids(capabilities))
    table = read_table(file)
    sm = score_method_for(score_method, panel)
    missing = [c for c in caps if c not in table.columns]
    if missing and model_class(sm).needs_complete_rows:
        raise InputError(
            f"{file}: missing capability benchmark column(s) {', '.join(missing)}; the panel {panel!r} capabilities "
            f"score needs all {len(caps)}: {', '.join(caps)}"
        )
    if benchmark not in table.columns:
        raise InputError(f"{file}: no column {benchmark!r} (the claimed benchmark); add it with the before and after values")
    bname, brow, aname, arow = claim_rows(
        table, before=before, after=after, columns=list(dict.fromkeys([*caps, benchmark])), source=str(file)
    )
    check_choice(pair, PAIR_CHOICES, "--pair")
    se, se_source = _standard_errors(table, benchmark, bname, aname, file) if pair == "same-model" else (None, "")
    from ._analyze import parse_n_items

    progress, done = _progress(bootstrap)
    try:
        res = run_claim(
            matrix, brow, arow, benchmark, before_name=bname, after_name=aname, capabilities=caps, method=method,
            bootstrap=bootstrap, seed=seed, level=ci, source=str(file), progress=progress, score_method=sm,
            pair=pair, n_items=parse_n_items(n_items), benchmark_se=se, se_source=se_source,
        )
    finally:
        done()
    return res


SE_SUFFIXES = ("_se", "_stderr")


def _standard_errors(
    table: pd.DataFrame, benchmark: str, bname: str, aname: str, file: Path
) -> tuple[tuple[float, float] | None, str]:
    """The claimed benchmark's standard errors in the before and after rows (column ``<benchmark>_se`` or ``_stderr``).

    ``(None, "")`` when FILE has no such column; an :class:`InputError`
    naming line and column when a cell is empty or not a number >= 0.
    """
    col = next((benchmark + sfx for sfx in SE_SUFFIXES if benchmark + sfx in table.columns), None)
    if col is None:
        return _harness_standard_errors(benchmark, bname, aname, file)
    names = [str(i) for i in table.index]
    out = []
    for name in (bname, aname):
        i = names.index(name)
        v = pd.to_numeric(pd.Series([table.iloc[i][col]]), errors="coerce").iloc[0]
        if pd.isna(v) or v < 0:
            raise InputError(f"{file}, line {i + 2} (model {name!r}), column {col!r}: {table.iloc[i][col]!r} is not a "
                             "standard error (a number >= 0)")
        out.append(float(v))
    return (out[0], out[1]), f"standard errors from column {col!r} of {file}"


def _harness_standard_errors(benchmark: str, bname: str, aname: str, file: Path) -> tuple[tuple[float, float] | None, str]:
    """The claimed benchmark's standard errors read from the harness logs, through ``ingest``'s provenance file.

    FILE's provenance (``FILE-stem.provenance.csv`` beside it, as ``ingest``
    writes it) carries each value's ``stderr`` as the harness reported it,
    on the raw metric; it is carried through the value's transform (its
    slope at the raw value). ``(None, "")`` when there is no provenance file
    or either row lacks a usable stderr.
    """
    from ..commands._place import read_provenance_csv
    from ..sources.ingest._common import TRANSFORMS
    from ._ingest import provenance_path

    prov_file = provenance_path(file)
    if not prov_file.is_file():
        return None, ""
    prov = read_provenance_csv(prov_file)
    if not {"model", "benchmark", "stderr", "raw_value", "transform"} <= set(prov.columns):
        return None, ""
    out = []
    for name in (bname, aname):
        hit = prov[(prov["model"] == name) & (prov["benchmark"] == benchmark)]
        if hit.empty:
            return None, ""
        r = hit.iloc[-1]
        se, raw = pd.to_numeric(pd.Series([r["stderr"], r["raw_value"]]), errors="coerce")
        fn = TRANSFORMS.get(str(r["transform"]))
        if pd.isna(se) or se < 0 or pd.isna(raw) or fn is None:
            return None, ""
        h = 1e-6
        out.append(float(se) * abs(float(fn(raw + h)) - float(fn(raw - h))) / (2 * h))
    return (out[0], out[1]), f"stderr from the harness logs (via {prov_file})"


@app.command()
def claim(
    file: Path = typer.Argument(
        ..., metavar="FILE", help="CSV with a model column and the before/after rows (capability benchmarks + B; - = stdin)."
    ),
    panel: str = choice("chat", "--panel", "-p", choices=panel_names(), help="Reference panel."),
    benchmark: str = typer.Option(..., "--benchmark", "-b", help="Benchmark id the claim is about (e.g. ethics_all)."),
    before: Optional[str] = typer.Option(None, "--before", help="Model name of the before row (default: first row)."),
    after: Optional[str] = typer.Option(None, "--after", help="Model name of the after row (default: second row)."),
    capabilities: Optional[str] = typer.Option(
        None, "--capabilities", help="Comma-separated capability benchmark ids (default: the paper's 12)."
    ),
    method: str = choice("spearman", "--method", "-m", choices=METHODS, help="Correlation of the capability direction."),
    bootstrap: int = typer.Option(DEFAULT_BOOTSTRAP, "--bootstrap", help="Bootstrap resamples of the panel models (0 = none)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap."),
    ci: float = typer.Option(0.95, "--ci", help="Interval level."),
    fmt: Optional[str] = choice(None, "--format", "-f", choices=FORMATS, help=FORMATS_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically); - = stdout."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
    pair: str = choice(
        "different-models", "--pair", choices=PAIR_CHOICES,
        help="different-models (two models: their scatter around the fit) or same-model (one model before and after an "
             "intervention: measurement noise).",
    ),
    n_items: Optional[str] = typer.Option(
        None, "--n-items", help="Item counts for --pair same-model, e.g. ethics_all=4000 (binomial noise; registry's by default)."
    ),
) -> None:
    """Split a claimed change on a benchmark into what capabilities predict and what is beyond them.

    FILE has a model column and two rows (first = before, second = after, or
    pick them with --before/--after NAME) with the panel's capability benchmark
    columns and the claimed benchmark, in the panel's units (see
    `safetywashing benchmarks`).

    Method: capabilities score s(x) = sum_j w_j (x_j - mu_j) / sigma_j with the
    panel's means mu, population SDs sigma and PC1 loadings w (as `analyze`;
    with --score-method irt the logistic model's score, any 3 benchmarks);
    OLS over the panel models with B: B = a + b s; observed = B_after -
    B_before; predicted = b (s_after - s_before); beyond capabilities =
    observed - predicted; share explained = predicted / observed. The part
    beyond capabilities is supported only when its prediction interval
    (beyond +- t(n-2) x residual SD x sqrt(2 + (s_after - s_before)^2 / Sxx):
    the two single models' scatter around the fit) excludes 0. Other
    intervals: percentile bootstrap over the panel's models, recomputing mu,
    sigma, w, a and b in every resample (the fit's uncertainty only).
    Capability values in percent where the panel has fractions, or far
    outside the panel's range, are refused.

    --pair same-model (one model before and after an intervention): the
    model's own deviation from the fit cancels, and the part beyond
    capabilities is judged against measurement noise instead: beyond +-
    z x sqrt(v_before + v_after + b^2 (w_before + w_after) + (s_after -
    s_before)^2 sigma^2 / Sxx), with v the benchmark's sampling variance
    (binomial p (1 - p) / items from --n-items or the registry, or the
    squared standard errors of a column B_se or B_stderr in FILE, or the
    harness's stderr from the provenance file ingest wrote beside FILE) and
    w the capabilities score's (from the capability benchmarks' item counts).
    Without any measurement-noise source it stops with one line (exit 2).

    Example (from the repository root):

    \b
      safetywashing claim examples/claim_release.csv --panel chat \\
          --benchmark ethics_all --seed 0
      safetywashing claim examples/claim_release.csv --panel chat \\
          --benchmark ethics_all --seed 0 --pair same-model --n-items ethics_all=4000
    """
    fmt = output_format(fmt, output, FORMATS)
    file = stdin_input(file)
    res = claim_from_file(
        file, panel=panel, benchmark=benchmark, before=before, after=after, capabilities=capabilities,
        method=method, bootstrap=bootstrap, seed=seed, ci=ci, score_method=score_method, pair=pair, n_items=n_items,
    )
    text = render_result(res, fmt, table=_claim_table, markdown=_claim_markdown)
    emit(text, output, inputs=(file,))


@app.command()
def leaderboard(
    panel: str = choice("chat", "--panel", "-p", choices=panel_names(), help="Embedded panel (ignored with --data)."),
    benchmark: str = typer.Option(..., "--benchmark", "-b", help="Benchmark id to rank by (e.g. ethics_all)."),
    data: Optional[Path] = typer.Option(
        None, "--data", help="Your own wide CSV instead of a panel: a model column and one column per benchmark id (- = stdin)."
    ),
    capabilities: Optional[str] = typer.Option(
        None, "--capabilities", help="Comma-separated capability benchmark ids (default: the paper's 12 present)."
    ),
    method: str = choice("spearman", "--method", "-m", choices=METHODS, help="Correlation of the capability direction."),
    fmt: Optional[str] = choice(None, "--format", "-f", choices=FORMATS, help=FORMATS_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically); - = stdout."),
    score_method: Optional[str] = choice(None, "--score-method", choices=SCORE_METHODS, help=SCORE_METHOD_HELP),
    lower_is_better: Optional[str] = typer.Option(
        None, "--lower-is-better", help="With --data: columns where lower is better (negated; or a header suffix NAME:lower)."
    ),
    higher_is_better: Optional[str] = typer.Option(
        None, "--higher-is-better", help="With --data: columns where higher is better (or a header suffix NAME:higher)."
    ),
) -> None:
    """Rank models by a benchmark, raw and adjusted for capabilities, side by side.

    Adjusted value = residual of the OLS fit B = a + b x capabilities score over
    the models that have both (positive = better than capabilities predict),
    with its prediction interval (the model's value against the fit without
    it, t with n - 3 df). The adjusted rank claims only what those intervals
    separate: a range from 1 + the models whose interval lies wholly above to
    n - those wholly below ("1" alone only when a model's interval lies above
    every other's). Raw ties share the best rank. JSON keeps the point order
    (adjusted_rank, rank_change) beside rank_best/rank_worst.

    Example:

    \b
      safetywashing leaderboard --panel chat --benchmark ethics_all
    """
    fmt = output_format(fmt, output, FORMATS)
    check_choice(method, METHODS, "--method")
    data = stdin_input(data)
    if data is not None:
        matrix = read_matrix(data, lower_is_better, higher_is_better)
    else:
        if lower_is_better or higher_is_better:
            raise InputError("--lower-is-better/--higher-is-better apply to --data FILE")
        check_choice(panel, tuple(panel_names()), "--panel")
        matrix = load_panel(panel)
    res = run_leaderboard(
        matrix, benchmark, capabilities=split_ids(capabilities), method=method,
        score_method=score_method_for(score_method, None if data is not None else panel),
    )
    text = render_result(res, fmt, table=_lb_table, markdown=_lb_markdown)
    emit(text, output, inputs=(data,) if data is not None else ())


def _progress(total: int):
    """A rich progress bar on stderr (only on a terminal and for large bootstraps)."""
    if total < 5000 or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("bootstrap", total=total)
    bar.start()
    return (lambda k: bar.advance(task, k)), bar.stop
