"""Capability-adjusted leaderboard: rank models by a benchmark and by what is left after capabilities.

The adjusted value of a model is the residual of the OLS fit
``B = a + b * capabilities_score`` over the models that have both
(:func:`~safetywashing.inference._fit.fit_on_scores`, the same fit ``claim`` uses):
positive = better on B than the model's capabilities predict. Ranks are 1 =
best (highest), ties share the best rank ("competition" ranking); the rank
change is ``raw_rank - adjusted_rank`` (positive = the model moves up once
capabilities are accounted for).

Intervals and ranks: each model's value gets the prediction interval of the
panel's fit *without it* (leave-one-out, Student's t with ``n - 3`` df, as
``place`` gives a panel model): ``pi_low``/``pi_high``. ``adjusted_low`` /
``adjusted_high`` is the same interval on the residual scale (value minus
the interval: centred on the leave-one-out residual); ``beyond`` says whether
it excludes 0 (``"above"``/``"below"`` what capabilities predict, beyond the
scatter of models; ``""`` within it). The adjusted ranking claims only what
those intervals separate: model ``i``'s rank range is ``rank_best = 1 + #{j:
adjusted_low_j > adjusted_high_i}`` to ``rank_worst = n - #{j: adjusted_high_j <
adjusted_low_i}``; a model is "#1 adjusted" only when its range is 1-1, i.e.
its interval lies wholly above every other model's. ``adjusted_rank`` stays
the point order of the residuals. Pure functions, no I/O.
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
from ..sources._registry import conform_to_registry


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
    pi_low: float = float("nan")
    pi_high: float = float("nan")
    adjusted_low: float = float("nan")
    adjusted_high: float = float("nan")
    beyond: str = ""
    rank_best: int = 0
    rank_worst: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN interval bounds as None)."""
        from .._util.stats import finite_or_none

        return {k: (finite_or_none(v) if isinstance(v, float) else v) for k, v in self.__dict__.items()}

    @property
    def rank_text(self) -> str:
        """``"3"`` when the intervals fix the rank, else the range they allow (``"1-24"``)."""
        return str(self.rank_best) if self.rank_best == self.rank_worst else f"{self.rank_best}-{self.rank_worst}"


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


def loo_intervals(s: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out residual and prediction half-width of every model: ``(d, hw)``, each ``(n,)``, benchmark units.

    ``d_i = y_i - prediction of the fit without model i = e_i / (1 - h_i)``;
    ``hw_i = t_{n-3} s_(i) sqrt(1 + h_(i)) = t_{n-3} s_(i) / sqrt(1 - h_i)``
    with ``s_(i)^2 = (SSE - e_i^2 / (1 - h_i)) / (n - 3)`` (closed forms of
    the refit without it). NaN for fewer than 4 models.
    """
    from scipy.stats import t as tdist

    s = np.asarray(s, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(s)
    if n < 4:
        return np.full(n, np.nan), np.full(n, np.nan)
    ds = s - s.mean()
    sxx = float((ds * ds).sum())
    b = float((ds * (y - y.mean())).sum() / sxx)
    e = y - y.mean() - b * ds
    h = 1.0 / n + ds * ds / sxx
    s2 = (float((e * e).sum()) - e * e / (1.0 - h)) / (n - 3)
    q = float(tdist.ppf(0.5 + level / 2.0, n - 3))
    return e / (1.0 - h), q * np.sqrt(np.clip(s2, 0.0, None) / (1.0 - h))


def separated_ranks(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank range each interval allows (1 = best): ``(best, worst)``.

    ``best_i = 1 + #{j: low_j > high_i}`` (intervals wholly above i's),
    ``worst_i = n - #{j: high_j < low_i}`` (wholly below).
    """
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    above = (lo[None, :] > hi[:, None]).sum(axis=1)
    below = (hi[None, :] < lo[:, None]).sum(axis=1)
    return 1 + above, len(lo) - below


def leaderboard(
    matrix: ScoreMatrix,
    benchmark: str,
    *,
    capabilities: list[str] | None = None,
    method: str = "spearman",
    score_method: str | None = None,
    level: float = 0.95,
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
    level:
        Level of each model's leave-one-out prediction interval (0.95); the
        adjusted rank ranges come from these intervals (module docstring).

    Returns
    -------
    LeaderboardResult
        Entries sorted by adjusted rank (1 = furthest above what capabilities predict).
    """
    matrix, conventions = conform_to_registry(matrix)  # a user's table: registry corrections (discrim_eval: -|x|)
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
    d, hw = loo_intervals(s, v, level)
    best, worst = separated_ranks(d - hw, d + hw)
    order = np.lexsort((rr, ar))
    entries = tuple(
        LeaderboardEntry(
            model=str(models[i]), name=matrix.display_name(models[i]), capabilities_score=float(s[i]), value=float(v[i]),
            predicted=float(pred[i]), adjusted=float(adj[i]), raw_rank=int(rr[i]), adjusted_rank=int(ar[i]),
            rank_change=int(rr[i] - ar[i]), pi_low=float(v[i] - d[i] - hw[i]), pi_high=float(v[i] - d[i] + hw[i]),
            adjusted_low=float(d[i] - hw[i]), adjusted_high=float(d[i] + hw[i]),
            beyond="above" if d[i] - hw[i] > 0 else ("below" if d[i] + hw[i] < 0 else ""),
            rank_best=int(best[i]), rank_worst=int(worst[i]),
        )
        for i in order
    )
    excluded = tuple(str(m) for m in matrix.scores.index[~ok])
    notes = [*matrix.notes, *conventions]
    n_fixed = sum(e.rank_best == e.rank_worst for e in entries)
    top = [e for e in entries if e.rank_best == 1 and e.rank_worst == 1]
    notes.append(
        f"adjusted ranks are the ranges the {level:.0%} leave-one-out prediction intervals allow (1 + the models whose "
        f"interval lies wholly above, to n - those wholly below): {n_fixed} of {len(entries)} rank(s) fixed; "
        + (f"#1 adjusted: {top[0].name}" if top else "no model is #1 adjusted on its own (its interval overlaps another's)")
        + f"; {sum(e.beyond == 'above' for e in entries)} above and {sum(e.beyond == 'below' for e in entries)} below "
        "what capabilities predict beyond the scatter of models"
    )
    if excluded:
        notes.append(f"{len(excluded)} model(s) lack {benchmark!r} or a capabilities score and are not ranked: "
                     f"{', '.join(excluded)}")
    meta = matrix.benchmarks.loc[benchmark]
    return LeaderboardResult(
        panel=matrix.name, benchmark=benchmark, benchmark_name=str(meta.get("name", "") or benchmark),
        scale=str(meta.get("scale", "") or ""), method=method, capability_benchmarks=direction.benchmarks,
        n=fit.n, slope=fit.slope, intercept=fit.intercept, resid_sd=fit.resid_sd, entries=entries,
        excluded=excluded, notes=tuple(notes), settings={"method": method, "score_method": cfit.model.kind, "level": level},
    )
