"""Read evaluation-harness outputs into a score matrix with provenance.

Sources: EleutherAI lm-evaluation-harness ``results_*.json``, UK AISI Inspect
logs (``.eval`` / ``.json``, read with inspect-ai itself, an optional extra),
and Stanford HELM run folders (``run_spec.json`` + ``stats.json``). Every
value keeps its provenance (file, harness, metric, n-shot, stderr, date).
Broken or unknown files are listed in ``skipped``, never fatal to the rest.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..._util.errors import InputError, renamed_keywords
from ..._util.io import file_kind, record_input
from .._matrix import ScoreMatrix
from .._table import MAX_ABS
from ._common import PROVENANCE_COLUMNS, Record, Skip, lm_eval_mapping, parse_metric_overrides
from ._helm import read_helm_run
from ._inspect import read_inspect, sniff_inspect_json
from ._lmeval import read_lmeval

FORMATS = ("auto", "lm-eval", "inspect", "helm")

__all__ = ["FORMATS", "IngestResult", "ingest", "lm_eval_mapping", "parse_metric_overrides", "PROVENANCE_COLUMNS"]


@dataclass(frozen=True)
class IngestResult:
    """Scores read from harness files.

    Attributes
    ----------
    scores:
        Float DataFrame, index ``model``, one column per benchmark id, values as
        the harness reported them after the mapping's transform (fractions for
        accuracies; higher = better for mapped benchmarks).
    provenance:
        One row per kept value (columns :data:`PROVENANCE_COLUMNS`).
    superseded:
        Older runs of the same model and benchmark that were replaced by a
        newer one (same columns).
    skipped:
        ``(file, reason)`` for every file that was not used.
    notes:
        What was chosen, in plain language.
    """

    scores: pd.DataFrame
    provenance: pd.DataFrame
    superseded: pd.DataFrame
    skipped: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    files_read: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The wide matrix as written by ``ingest --output``: a ``model`` column, then benchmarks."""
        return self.scores.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: matrix (model -> benchmark -> value), provenance rows, skipped files, notes."""
        mat = {m: {b: float(v) for b, v in row.items() if not pd.isna(v)} for m, row in self.scores.iterrows()}
        prov = json.loads(self.provenance.to_json(orient="records"))
        sup = json.loads(self.superseded.to_json(orient="records"))
        return {
            "files_read": self.files_read,
            "n_models": int(self.scores.shape[0]),
            "n_benchmarks": int(self.scores.shape[1]),
            "matrix": mat,
            "provenance": prov,
            "superseded": sup,
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "notes": list(self.notes),
        }

    def to_matrix(self, name: str = "ingested") -> ScoreMatrix:
        """The scores as a :class:`ScoreMatrix` (registry metadata attached)."""
        return ScoreMatrix.from_frame(self.scores, name=name, notes=self.notes, source=name)


Reader = Callable[[Path, dict[str, str], str], tuple[list[Record], list[str]]]


# Files that harnesses write beside their results (listings, manifests, HELM's per-instance files): never scores.
_BESIDE = frozenset({
            "run_spec.json",
            "scenario.json",
            "scenario_state.json",
            "per_instance_stats.json",
            "instances.json",
            "display_predictions.json",
            "display_requests.json",
            "listing.json",
            "logs.json",
            "summary.json",
            "runs.json",
            "run_specs.json",
            "groups.json",
            "groups_metadata.json",
            "costs.json",
            "eval-set.json",  # Inspect's eval-set manifest (beside its logs)
            "safetywashing_models.json",  # safetywashing run's model map (beside the logs it audits)
        })


def _classify(path: Path, fmt: str, explicit: bool) -> Reader | None | str:
    """The reader for a file, None to ignore it silently, or a reason to report it."""
    name = path.name
    if not explicit and name in _BESIDE:
        return None
    is_lm = name.startswith("results") and name.endswith(".json")
    if fmt in ("auto", "lm-eval") and is_lm:
        return read_lmeval
    if fmt in ("auto", "helm") and name == "stats.json":
        return read_helm_run
    if fmt in ("auto", "inspect") and path.suffix == ".eval":
        return read_inspect
    if fmt in ("auto", "inspect") and path.suffix == ".json" and (fmt == "inspect" or sniff_inspect_json(path)):
        return read_inspect
    if fmt == "lm-eval" and explicit and path.suffix == ".json":
        return read_lmeval
    if not explicit:
        # files that harnesses write beside their results: never scores
        if path.suffix in (".jsonl", ".yaml", ".yml", ".txt", ".log", ".md", ".csv", ".tex", ".html", ".db"):
            return None
        if path.suffix != ".json" and path.suffix != ".eval":
            return None
    what = {
        "auto": "a harness result",
        "lm-eval": "an lm-eval results_*.json",
        "inspect": "an Inspect .eval/.json log",
        "helm": "a HELM stats.json",
    }[fmt]
    return f"not recognised as {what}" + (" (use --format to say which harness wrote it)" if fmt == "auto" else "")


def _walk(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, bool]]:
    out: list[tuple[Path, bool]] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend((f, False) for f in sorted(x for x in path.rglob("*") if x.is_file()))
        elif path.is_file():
            out.append((path, True))
        elif path.exists():
            kind = file_kind(path.stat().st_mode)
            raise InputError(f"{path}: is {kind}, not a file or folder; give harness result files or folders")
        else:
            raise InputError(f"{path}: no such file or folder; give folders of harness outputs or result files")
    return out


def _combine(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Keep the newest run per (model, benchmark); average HELM runs split over subsets."""
    notes: list[str] = []
    df = pd.DataFrame([asdict(r) for r in records], columns=PROVENANCE_COLUMNS)
    df["_order"] = np.arange(len(df))
    df = df.sort_values(["date", "_order"], kind="stable")
    key = np.where(df["harness"] == "helm", df["task"], "")
    df["_key"] = key
    dup = df.duplicated(["model", "benchmark", "_key"], keep="last")
    superseded = df[dup]
    kept = df[~dup]
    if len(superseded):
        for (m, b), grp in superseded.groupby(["model", "benchmark"], sort=True):
            newest = kept[(kept["model"] == m) & (kept["benchmark"] == b)].iloc[-1]
            notes.append(
                f"{m} / {b}: {len(grp) + 1} runs; kept the newest ({newest['date']}, {newest['source']}), "
                f"dropped {', '.join(f'{s} ({d})' for s, d in zip(grp['source'], grp['date']))}"
            )
    helm = kept[kept["harness"] == "helm"]
    multi = helm.groupby(["model", "benchmark"]).filter(lambda g: len(g) > 1) if len(helm) else helm
    if len(multi):
        agg = (
            multi.groupby(["model", "benchmark"], sort=False)
            .agg(
                value=("value", "mean"),
                raw_value=("raw_value", "mean"),
                n_runs=("value", "size"),
                date=("date", "max"),
                source=("source", lambda s: ";".join(s)),
                task=("task", lambda s: ";".join(s)),
                metric=("metric", "first"),
                filter=("filter", "first"),
                n_shot=("n_shot", "first"),
                harness=("harness", "first"),
                provider=("provider", "first"),
                transform=("transform", "first"),
            )
            .reset_index()
        )
        agg["stderr"] = np.nan
        agg["note"] = "mean over " + agg["n_runs"].astype(str) + " HELM runs (subsets of the scenario)"
        agg["_order"] = 0
        notes.extend(
            f"{m} / {b}: HELM value is the mean of {n} runs" for m, b, n in zip(agg["model"], agg["benchmark"], agg["n_runs"])
        )
        rest = kept.drop(multi.index)
        kept = pd.concat([rest, agg.drop(columns=["n_runs"])], ignore_index=True)
    kept = kept.sort_values(["model", "benchmark"], kind="stable")[PROVENANCE_COLUMNS].reset_index(drop=True)
    return kept, superseded[PROVENANCE_COLUMNS].reset_index(drop=True), notes


@renamed_keywords(fmt="harness")
def ingest(
    paths: Iterable[str | os.PathLike[str]],
    *,
    harness: str = "auto",
    metrics: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Read harness outputs (files or folders, searched recursively) into one matrix.

    Parameters
    ----------
    paths:
        Files or folders. Folders are searched recursively for lm-eval
        ``results_*.json``, Inspect ``.eval`` / ``.json`` logs and HELM
        ``stats.json`` (with ``run_spec.json`` beside it).
    harness:
        ``"auto"`` (by file name and content) or one harness: ``"lm-eval"``,
        ``"inspect"``, ``"helm"`` (``fmt``, the former name, still works with
        a DeprecationWarning).
    metrics:
        Task -> metric overrides (``{"mmlu": "acc_norm"}``; lm-eval metrics may
        carry a filter: ``"exact_match,flexible-extract"``).
    progress:
        Optional callback ``(done, total)`` after each file.

    Raises
    ------
    InputError
        When a path does not exist, or no file gave a single score (the
        message lists why each file was skipped).
    """
    fmt = harness
    if fmt not in FORMATS:
        raise InputError(f"--harness: {fmt!r} is not one of: {', '.join(FORMATS)}")
    overrides = dict(metrics or {})
    files = _walk(paths)
    records: list[Record] = []
    notes: list[str] = []
    skipped: list[tuple[str, str]] = []
    n_read = 0
    for i, (path, explicit) in enumerate(files):
        reader = _classify(path, fmt, explicit)
        if reader is None:
            pass
        elif isinstance(reader, str):
            skipped.append((str(path), reader))
        else:
            record_input(path)
            try:
                recs, nts = reader(path, overrides, str(path))
            except Skip as exc:
                skipped.append((str(path), str(exc)))
            else:
                good = [r for r in recs if math.isfinite(r.value) and abs(r.value) <= MAX_ABS]
                for r in recs:
                    if r not in good:
                        nts.append(
                            f"{path}: task {r.task!r}, metric {r.metric!r}: value {r.value!r} is not a finite score of "
                            f"sensible size (|x| <= {MAX_ABS:g}); not used"
                        )
                notes.extend(nts)
                if recs and not good:
                    vals = ", ".join(f"{r.metric}={r.value!r}" for r in recs[:3])
                    skipped.append((str(path), f"no finite value ({vals})"))
                else:
                    n_read += 1
                    records.extend(good)
        if progress is not None:
            progress(i + 1, len(files))
    if not records:
        detail = "; ".join(f"{f}: {r}" for f, r in skipped[:5]) or "no harness result files found"
        raise InputError(f"no scores read from {len(files)} file(s): {detail}")
    kept, superseded, cnotes = _combine(records)
    scores = kept.pivot(index="model", columns="benchmark", values="value").astype(float)
    scores.columns.name = None
    scores.index.name = "model"
    unused = sorted(set(overrides) - set(kept["task"]) - {t.rsplit("/", 1)[-1] for t in kept["task"]} - set(kept["benchmark"]))
    if unused:
        notes.append(f"--metric for task(s) not found in any file: {', '.join(unused)}")
    return IngestResult(
        scores=scores,
        provenance=kept,
        superseded=superseded,
        skipped=tuple(skipped),
        notes=tuple(notes + cnotes),
        files_read=n_read,
    )
