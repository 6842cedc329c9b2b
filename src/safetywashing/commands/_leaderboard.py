"""Capability-adjusted leaderboard: rank models by a benchmark and by what is left after capabilities.

The adjusted value of a model is the residual of the OLS fit
``B = a + b * capabilities_score`` over the models that have both
(:func:`~safetywashing.inference._fit.fit_on_scores`, the same fit ``claim`` uses):
positive = better on B than the model's capabilities predict. Ranks are 1 =
best (highest), ties share the best rank ("competition" ranking); the rank
change is ``raw_rank - adjusted_rank`` (positive = the model moves up once
capabilities are accounted for). Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import UnknownIdError
from .._util.notebook import NotebookRepr, Summary, more, num
from ..capability._model import fit_capability_model
from ..inference._fit import fit_on_scores
from ..sources._matrix import ScoreMatrix


@dataclass(frozen=True)
class LeaderboardEntry:
    """One model's row: raw value and rank, capability-adjusted value (residual) and rank."""

    model: str
    name: str
    capabilities_score: float
    value: float
    predicted: float
    adjusted: float
    raw_rank: int
    adjusted_rank: int
    rank_change: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True, repr=False)
class LeaderboardResult(NotebookRepr):
    """Models ranked by raw ``benchmark`` and by ``benchmark`` adjusted for capabilities.

    ``value``/``predicted``/``adjusted`` are in the benchmark's units (higher =
    better); ``adjusted`` = value - (intercept + slope * capabilities_score).
    ``n`` models are ranked (those with both the benchmark and a capabilities
    score); ``excluded`` lists the others. ``entries`` are sorted by adjusted rank.
    """

    panel: str
    benchmark: str
    benchmark_name: str
    scale: str
    method: str
    capability_benchmarks: tuple[str, ...]
    n: int
    slope: float
    intercept: float
    resid_sd: float
    entries: tuple[LeaderboardEntry, ...]
    excluded: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> Summary:
        facts = (("models ranked", f"{self.n} ({len(self.excluded)} excluded)"),
                 ("fit", f"{self.benchmark} = {self.intercept:.4g} + {self.slope:.4g} x capabilities score"))
        rows = tuple((str(e.adjusted_rank), e.name, num(e.capabilities_score), format(e.value, ".4g"), str(e.raw_rank),
                      num(e.adjusted, "+.4g"), f"{e.rank_change:+d}") for e in self.entries)
        return Summary(f"{self.benchmark} ({self.benchmark_name}), panel {self.panel!r}: raw vs capability-adjusted ranks",
                       facts, ("adj. rank", "model", "capabilities", "value", "raw rank", "adjusted", "change"), rows,
                       ("adj. rank", "capabilities", "value", "raw rank", "adjusted", "change"),
                       more(len(rows), "models", ".to_frame()"))

    def to_frame(self) -> pd.DataFrame:
        """One row per ranked model (sorted by adjusted rank) with ``panel`` and ``benchmark`` columns."""
        df = pd.DataFrame([e.to_dict() for e in self.entries])
        df.insert(0, "benchmark", self.benchmark)
        df.insert(0, "panel", self.panel)
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``leaderboard --format json`` contract)."""
        return {
            "panel": self.panel,
            "benchmark": self.benchmark,
            "benchmark_name": self.benchmark_name,
            "scale": self.scale,
            "method": self.method,
            "capability_benchmarks": list(self.capability_benchmarks),
            "n": self.n,
            "slope": self.slope,
            "intercept": self.intercept,
            "resid_sd": self.resid_sd,
            "rows": [e.to_dict() for e in self.entries],
            "excluded": list(self.excluded),
            "notes": list(self.notes),
            "settings": dict(self.settings),
        }


def desc_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with 1 = highest; ties share the best (lowest) rank."""
    neg = -np.asarray(x, dtype=float)
    return (1 + np.searchsorted(np.sort(neg), neg, side="left")).astype(int)


def leaderboard(
    matrix: ScoreMatrix,
    benchmark: str,
    *,
    capabilities: list[str] | None = None,
    method: str = "spearman",
    score_method: str = "pca",
) -> LeaderboardResult:
    """Rank ``matrix``'s models by raw ``benchmark`` and by its residual on the capabilities score.

    Parameters
    ----------
    matrix:
        A panel (``load_panel("chat")``) or a user's score matrix, higher = better.
    benchmark:
        Benchmark id to rank by.
    capabilities, method:
        Capability set and correlation method of the capabilities score (as ``analyze``).
    score_method:
        The capability model: ``"pca"`` (the paper's) or ``"irt"`` (the logistic model for sparse tables).

    Returns
    -------
    LeaderboardResult
        Entries sorted by adjusted rank (1 = furthest above what capabilities predict).
    """
    if benchmark not in matrix.scores.columns:
        from ..sources._suggest import suggest

        raise UnknownIdError(
            f"benchmark {benchmark!r} is not in {matrix.source or matrix.name}"
            f"{suggest(benchmark, list(matrix.scores.columns))}"
        )
    cfit = fit_capability_model(matrix, capabilities, method, score_method)
    direction, scores = cfit.model, cfit.scores
    y = matrix.scores[benchmark]
    src = matrix.source or matrix.name
    fit = fit_on_scores(scores.to_numpy(), y.to_numpy(), what=f"{src}, benchmark {benchmark!r}")
    ok = (scores.notna() & y.notna()).to_numpy()
    models = matrix.scores.index[ok]
    s = scores.to_numpy()[ok]
    v = y.to_numpy(dtype=float)[ok]
    pred = fit.intercept + fit.slope * s
    adj = v - pred
    rr, ar = desc_ranks(v), desc_ranks(adj)
    order = np.lexsort((rr, ar))
    entries = tuple(
        LeaderboardEntry(
            model=str(models[i]), name=matrix.display_name(models[i]), capabilities_score=float(s[i]), value=float(v[i]),
            predicted=float(pred[i]), adjusted=float(adj[i]), raw_rank=int(rr[i]), adjusted_rank=int(ar[i]),
            rank_change=int(rr[i] - ar[i]),
        )
        for i in order
    )
    excluded = tuple(str(m) for m in matrix.scores.index[~ok])
    notes = list(matrix.notes)
    if excluded:
        notes.append(f"{len(excluded)} model(s) lack {benchmark!r} or a capabilities score and are not ranked: "
                     f"{', '.join(excluded)}")
    meta = matrix.benchmarks.loc[benchmark]
    return LeaderboardResult(
        panel=matrix.name, benchmark=benchmark, benchmark_name=str(meta.get("name", "") or benchmark),
        scale=str(meta.get("scale", "") or ""), method=method, capability_benchmarks=direction.benchmarks,
        n=fit.n, slope=fit.slope, intercept=fit.intercept, resid_sd=fit.resid_sd, entries=entries,
        excluded=excluded, notes=tuple(notes), settings={"method": method, "score_method": score_method},
    )
