"""``safetywashing ingest``: harness outputs -> score matrix CSV + provenance CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .._util.errors import InputError
from .._util.io import atomic_write_many, check_output
from ..present._sheet import to_csv
from . import app
from ._common import choice, emit

HARNESSES = ("auto", "lm-eval", "inspect", "helm")

MAX_LISTED = 20


def provenance_path(output: Path) -> Path:
    """Default provenance file beside the matrix: ``matrix.csv`` -> ``matrix.provenance.csv``."""
    return output.with_name(f"{output.stem}.provenance.csv")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., metavar="PATHS", help="Harness output files or folders (searched recursively)."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Wide matrix CSV to write (model column + one column per benchmark); - = stdout."
    ),
    harness: str = choice("auto", "--harness", choices=HARNESSES, help="Which harness wrote the files."),
    old_format: Optional[str] = choice(
        None, "--format", choices=HARNESSES, help="Deprecated name of --harness (the output is always a CSV matrix)."
    ),
    metric: Optional[list[str]] = typer.Option(
        None,
        "--metric",
        help="TASK=METRIC to choose a task's metric (repeatable), e.g. mmlu=acc_norm or gsm8k=exact_match,flexible-extract.",
    ),
    provenance: Optional[Path] = typer.Option(
        None, "--provenance", help="Provenance CSV to write (default: OUTPUT's stem + .provenance.csv beside it; - = stdout)."
    ),
) -> None:
    """Read lm-eval, Inspect and HELM outputs into a matrix that analyze --data, audit and place read.

    lm-eval: results_*.json (model from model_name, else model_args pretrained=;
    metric from the shipped task mapping, else the first metric with filter
    none; groups give their aggregate). Inspect: .eval/.json logs with status
    success (needs the inspect extra). HELM: run folders with run_spec.json and
    stats.json (exact_match by default). When a model and benchmark appear in
    several runs the newest is kept and the others are listed. Unreadable or
    unknown files are listed on stderr and skipped.

    Example (from the repository root; point it at your harness output folders):

    \b
      safetywashing ingest tests/data/harness/lm_eval --output matrix.csv
    """
    from rich.console import Console
    from rich.progress import Progress

    from ..sources.ingest import FORMATS, parse_metric_overrides
    from ..sources.ingest import ingest as run_ingest

    if old_format is not None:
        if harness != "auto" and harness != old_format:
            raise InputError(f"--format {old_format} and --harness {harness}: --format is the old name of --harness; give one")
        print("safetywashing: note: ingest --format is deprecated (it names the harness); use --harness", file=sys.stderr)
        harness = old_format
    assert set(HARNESSES) == set(FORMATS)
    overrides = parse_metric_overrides(metric)
    to_stdout = str(output) == "-"
    prov_path = provenance or (None if to_stdout else provenance_path(output))
    if to_stdout and str(provenance) == "-":
        raise InputError("--provenance -: standard output already carries the matrix (--output -); give a file")
    if prov_path is not None and not to_stdout and str(output).strip() and prov_path.resolve() == output.resolve():
        raise InputError(f"--provenance {prov_path}: must differ from --output")
    for target in (output, prov_path):
        if target is not None and str(target) != "-":
            check_output(target)
    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("reading harness files", total=None)
        result = run_ingest(
            [str(p) for p in paths],
            harness=harness,
            metrics=overrides,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    inputs = tuple(str(p) for p in paths)  # and every file read inside the folders (recorded as read)
    for target in (output, prov_path):  # both checked before either is written
        if target is not None and str(target) != "-":
            check_output(target, inputs=inputs)
    prov_csv = to_csv(result.provenance, index=False, float_format="%.10g")
    matrix_csv = to_csv(result.to_frame(), index=False, float_format="%.10g")
    files = [(p, text) for p, text in ((output, matrix_csv), (prov_path, prov_csv)) if p is not None and str(p) != "-"]
    atomic_write_many(files, inputs=inputs)  # together or not at all: never a matrix without its provenance
    if prov_path is not None and str(prov_path) == "-":  # standard output (the matrix went to its file)
        emit(prov_csv, None)
    if to_stdout:
        emit(matrix_csv, None)
    for f, reason in result.skipped[:MAX_LISTED]:
        print(f"skipped {f}: {reason}", file=sys.stderr)
    if len(result.skipped) > MAX_LISTED:
        print(f"skipped {len(result.skipped) - MAX_LISTED} more file(s) (use the Python API's .skipped for all)", file=sys.stderr)
    for n in result.notes:
        print(f"note: {n}", file=sys.stderr)
    s = result.scores
    print(
        f"read {result.files_read} file(s): {s.shape[0]} model(s) x {s.shape[1]} benchmark(s), "
        f"{int(s.notna().sum().sum())} value(s); {len(result.skipped)} file(s) skipped, "
        f"{len(result.superseded)} older run value(s) replaced by newer ones",
        file=sys.stderr,
    )
    wrote = [str(p) for p in (output, prov_path) if p is not None and str(p) != "-"]
    if wrote:
        print(f"wrote {' and '.join(wrote)}", file=sys.stderr)
    if prov_path is None:
        print("note: no provenance file with --output - (add --provenance FILE to keep it)", file=sys.stderr)
