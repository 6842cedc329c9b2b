"""Item-level audit of safety benchmarks from per-sample results.

Which items of a benchmark rise with capabilities, how reliable the benchmark
is (so a "low" correlation is not just noise), and a subset of items whose
capabilities correlation is estimated on models it was not chosen on.

Flow: per-sample sources -> :func:`read_items` (DuckDB) -> one models x items
matrix per benchmark -> models' capabilities scores (a ``model,capabilities_score``
table, or a panel through the audit's name matching) -> :func:`audit_items`
-> :class:`ItemsReport` -> renderers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError, InsufficientDataError, renamed_keywords, warn_all
from .._util.limits import check_seed, check_work
from .._util.notebook import NotebookRepr, Summary, interval, more, num
from ..sources._items import ItemMatrix, read_items
from ..sources._match import match_models
from ..sources._matrix import ScoreMatrix
from ._items_audit import ItemsResult, SubsetResult, audit_items

__all__ = [
    "ItemMatrix",
    "ItemsReport",
    "ItemsResult",
    "SubsetResult",
    "audit_items",
    "items",
    "read_items",
    "read_model_scores",
]


@dataclass(frozen=True, repr=False)
class ItemsReport(NotebookRepr):
    """Result of :func:`items`: one :class:`ItemsResult` per benchmark, plus how models were matched.

    ``matched``: model name in the per-sample sources -> name in the score
    table or panel model id; ``unmatched``: source models without a
    capabilities score (left out); ``score_source``: where the scores came from.
    """

    results: tuple[ItemsResult, ...]
    matched: dict[str, str]
    unmatched: tuple[str, ...]
    score_source: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def _summary(self) -> Summary:
        facts = (("benchmarks", str(len(self.results))), ("capabilities scores", self.score_source),
                 ("models", f"{len(self.matched)} matched, {len(self.unmatched)} left out"))
        rows = tuple((r.benchmark, str(r.n_models), str(r.n_items), num(r.correlation), interval(r.ci_low, r.ci_high),
                      num(r.reliability, ".2f"), str(int(r.capability_driven.sum())),
                      "-" if r.subset is None else num(r.subset.correlation)) for r in self.results)
        return Summary("item-level audit", facts,
                       ("benchmark", "models", "items", "r", "interval", "reliability", "capability items", "subset r"),
                       rows, ("models", "items", "r", "interval", "reliability", "capability items", "subset r"),
                       more(len(rows), "benchmarks", ".results"), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """One benchmark: its dict (``benchmark, n_models, ..., items, subset``); several: ``{"benchmarks": [...]}``."""
        common = {
            "capabilities_scores": self.score_source,
            "matched_models": dict(self.matched),
            "unmatched_models": list(self.unmatched),
        }
        if len(self.results) == 1:
            d = self.results[0].to_dict()
            d.update(common)
            d["notes"] = list(self.notes) + d["notes"]
            return d
        return {"benchmarks": [r.to_dict() for r in self.results], **common, "notes": list(self.notes)}

    def to_frame(self) -> pd.DataFrame:
        """All item tables stacked (``benchmark`` column first)."""
        return pd.concat([r.to_frame() for r in self.results], ignore_index=True)


def read_model_scores(path: str | os.PathLike[str]) -> pd.Series:
    """Read a ``model,capabilities_score`` CSV (higher = more capable) into a Series indexed by model."""
    import io

    from .._util.io import open_regular
    from .._util.limits import MAX_TABLE_BYTES
    from ..sources._table import MAX_ABS

    p = Path(path)
    raw = open_regular(p, max_bytes=MAX_TABLE_BYTES)  # a regular file of sensible size, recorded as read
    try:
        df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a readable CSV ({exc.__class__.__name__})") from None
    need = [c for c in ("model", "capabilities_score") if c not in df.columns]
    if need:
        raise InputError(
            f"{p}: missing column(s) {', '.join(need)} (have: {', '.join(map(str, df.columns))}); need model,capabilities_score"
        )
    vals = pd.to_numeric(df["capabilities_score"], errors="coerce")
    v = vals.to_numpy(float)
    bad = (vals.isna() & df["capabilities_score"].notna()).to_numpy() | np.isinf(v)
    bad |= np.abs(np.where(np.isfinite(v), v, 0.0)) > MAX_ABS
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{p}, line {i + 2}, column capabilities_score: {df['capabilities_score'].iloc[i]!r} is not a finite number of "
            f"sensible size (|x| <= {MAX_ABS:g})"
        )
    dup = df["model"][df["model"].duplicated()]
    if len(dup):
        raise InputError(f"{p}: model {dup.iloc[0]!r} appears more than once")
    return pd.Series(vals.to_numpy(float), index=df["model"].astype(str).str.strip(), name="capabilities_score")


def _scores_for(
    names: list[str], model_scores: pd.Series | None, panel: ScoreMatrix | None
) -> tuple[dict[str, float], dict[str, str], list[str], str, dict[str, float]]:
    """Capabilities score (and its SE where the panel's model gives one) per source model name, via the audit's
    name matching (exact rules only)."""
    if model_scores is not None:
        table = {str(k): str(k) for k in model_scores.index}
        mm = match_models(names, table)
        scores = {n: float(model_scores[mid]) for n, mid in mm.matched.items()}
        return scores, dict(mm.matched), list(mm.unmatched), "--model-scores", {}
    assert panel is not None
    from ..capability._model import default_score_method, fit_capability_model
    from ..sources._match import match_to_panel

    fit = fit_capability_model(panel, score_method=default_score_method(panel.name))
    pscores = fit.scores
    mm = match_to_panel(names, panel)
    scores = {n: float(pscores.get(mid, np.nan)) for n, mid in mm.matched.items()}
    ses = {n: float(fit.se.get(mid, np.nan)) for n, mid in mm.matched.items()}
    return scores, dict(mm.matched), list(mm.unmatched), f"panel {panel.name!r} ({fit.model.short_description})", ses


@renamed_keywords(n_boot="bootstrap")
def items(
    sources: list[str | os.PathLike[str]] | list[ItemMatrix],
    *,
    model_scores: pd.Series | dict[str, float] | None = None,
    panel: ScoreMatrix | None = None,
    benchmark: str | None = None,
    metric: str | None = None,
    method: str = "spearman",
    subset_size: int | None = None,
    max_correlation: float | None = None,
    seed: int = 0,
    bootstrap: int = 2000,
    level: float = 0.95,
) -> ItemsReport:
    """Item-level audit of the benchmarks in per-sample ``sources``.

    Parameters
    ----------
    sources:
        Paths (long tables ``model,item,score``, lm-eval ``samples_*.jsonl``,
        Inspect logs, HELM run folders, or folders holding them) or
        :class:`ItemMatrix` objects.
    model_scores, panel:
        Capabilities score per model (higher = more capable), either given
        directly (name -> score) or from an embedded panel
        (``load_panel("chat")``); source model names are matched with the
        audit's rules (exact, any case, normalised, display name).
    benchmark, metric:
        Keep one benchmark; the per-sample metric to read.
    method, subset_size, max_correlation, seed, level:
        See :func:`audit_items`.
    bootstrap:
        Bootstrap resamples of the models (``n_boot`` of :func:`audit_items`; ``n_boot``, the former name here,
        still works with a DeprecationWarning).
    """
    if (model_scores is None) == (panel is None):
        raise InputError("give the models' capabilities scores: --model-scores FILE or --panel NAME (one of them)")
    if isinstance(model_scores, dict):
        model_scores = pd.Series(model_scores, dtype=float)
    check_seed(seed)
    check_work("--bootstrap", bootstrap, rows=0, columns=0)
    notes: list[str] = []
    if sources and all(isinstance(s, ItemMatrix) for s in sources):
        mats = [m for m in sources if benchmark is None or m.benchmark == benchmark]  # type: ignore[union-attr]
        if not mats:
            raise InputError(f"--benchmark {benchmark!r}: not among the given matrices")
    else:
        mats, notes = read_items(list(sources), metric=metric, benchmark=benchmark)  # type: ignore[arg-type]
    names = sorted({m for mat in mats for m in mat.models})
    scores, matched, unmatched, where, ses = _scores_for(names, model_scores, panel)
    no_score = [n for n, v in scores.items() if not np.isfinite(v)]
    warns: list[str] = []
    if unmatched:
        shown = ", ".join(repr(u) for u in unmatched[:8]) + (f" and {len(unmatched) - 8} more" if len(unmatched) > 8 else "")
        warns.append(f"{len(unmatched)} model(s) without a capabilities score in {where}, left out: {shown}")
        notes.append(warns[-1])
    if no_score:
        notes.append(
            f"{len(no_score)} matched model(s) have no capabilities score in {where} (missing capability benchmarks): "
            f"{', '.join(no_score[:8])}"
        )
    results = []
    for mat in mats:
        # the bootstraps resample models of the mean score and of the cross-fitted scores (one column per repeat, 10),
        # never the models x items matrix: that is the work per resample
        check_work("--bootstrap", bootstrap, rows=len(mat.models), columns=11, what="models x score columns")
        s = np.array([scores.get(m, np.nan) for m in mat.models], dtype=float)
        se = np.array([ses.get(m, np.nan) for m in mat.models], dtype=float) if ses else None
        if int(np.isfinite(s).sum()) < 5:
            raise InsufficientDataError(
                f"{mat.benchmark}: only {int(np.isfinite(s).sum())} of its {len(mat.models)} models have a capabilities score "
                f"in {where}; at least 5 are needed (unmatched: {', '.join(repr(u) for u in unmatched[:8]) or 'none'})"
            )
        results.append(
            audit_items(
                mat.y,
                s,
                list(mat.items),
                benchmark=mat.benchmark,
                method=method,
                subset_size=subset_size,
                max_correlation=max_correlation,
                seed=seed,
                n_boot=bootstrap,
                level=level,
                score_se=se,
            )
        )
    warn_all(warns, stacklevel=4)
    return ItemsReport(tuple(results), matched, tuple(unmatched), where, tuple(notes), warnings=tuple(warns))
