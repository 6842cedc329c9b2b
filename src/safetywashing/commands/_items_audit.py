"""Item-level audit of one benchmark: per-item capability correlations, reliability, a decorrelated subset."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError, InsufficientDataError
from .._util.notebook import NotebookRepr, Summary, interval, more, num
from .._util.stats import _check_method, pairwise_corr_masked
from .._util.stats import finite_or_none as _f
from ..inference._item_stats import (
    RELIABILITY_METHOD,
    SELECTION_RULE,
    SPLIT_HALF_METHOD,
    choose_subset,
    corr_pvalues,
    cronbach_alpha,
    crossfit_subset,
    disattenuate,
    item_correlations,
    noise_ceiling,
    row_means,
    split_half,
)
from ..inference._multiplicity import bh_qvalues
from ._analyze import MIN_MODELS
from ._audit import bootstrap_corr_fixed

Q_FLAG = 0.05  # an item is flagged capability-driven when q < Q_FLAG and its correlation is positive
MIN_CROSSFIT = 10  # fewer models than this: no cross-fitted subset estimate
SUBSET_METHOD = (
    "repeated K-fold cross-fitting over models: the subset is chosen on the other folds, the held-out models' "
    "subset scores (standardised with the training folds' mean and SD) are correlated with the capabilities score, "
    "averaged over repeats; interval: percentile bootstrap over models with the selections fixed"
)


@dataclass(frozen=True)
class SubsetResult:
    """The decorrelated subset: items chosen on all models, its correlation estimated by cross-fitting.

    ``correlation`` / ``ci_low`` / ``ci_high``: cross-fitted (honest) estimate
    and interval; ``in_sample_correlation``: the same subset's correlation on
    the models it was chosen on (optimistic; shown so the selection bias is
    visible); ``reliability``: alpha of the subset's items (all models).
    """

    items: tuple[str, ...]
    correlation: float | None
    ci_low: float | None
    ci_high: float | None
    reliability: float | None
    in_sample_correlation: float | None
    rule: str
    folds: int
    repeats: int
    mean_size: float

    @property
    def n_items(self) -> int:
        return len(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": list(self.items),
            "n_items": self.n_items,
            "correlation": _f(self.correlation),
            "ci_low": _f(self.ci_low),
            "ci_high": _f(self.ci_high),
            "reliability": _f(self.reliability),
            "in_sample_correlation": _f(self.in_sample_correlation),
            "rule": self.rule,
            "method": SUBSET_METHOD,
            "folds": self.folds,
            "repeats": self.repeats,
            "mean_size_in_folds": _f(self.mean_size),
        }


@dataclass(frozen=True, repr=False)
class ItemsResult(NotebookRepr):
    """Item-level audit of one benchmark against the models' capabilities scores.

    Per item (arrays in ``items`` order): ``n`` models that ran it, ``mean``
    score (0-1, higher = more often correct / safe), ``correlation`` with the
    capabilities score over those models (higher = rises with capabilities),
    its two-sided ``p_value``, Benjamini-Hochberg ``q_value`` across items and
    ``capability_driven`` (q < 0.05 and positive). Per benchmark: the
    correlation of the models' mean score with an interval, reliability
    (alpha / KR-20 and split-half), noise ceiling and disattenuated
    correlation, and the decorrelated :class:`SubsetResult`.
    """

    benchmark: str
    method: str
    n_models: int
    items: tuple[str, ...]
    n: np.ndarray
    mean: np.ndarray
    correlation_items: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    correlation: float | None
    ci_low: float | None
    ci_high: float | None
    reliability: float | None
    split_half: float | None
    subset: SubsetResult | None
    missing_share: float
    level: float
    n_boot: int
    seed: int
    notes: tuple[str, ...] = field(default=())

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def capability_driven(self) -> np.ndarray:
        return (self.q_value < Q_FLAG) & (self.correlation_items > 0)

    @property
    def noise_ceiling(self) -> float | None:
        return noise_ceiling(self.reliability)

    @property
    def disattenuated_correlation(self) -> float | None:
        return disattenuate(self.correlation, self.reliability)

    def _summary(self) -> Summary:
        sub = self.subset
        facts = (
            ("models x items", f"{self.n_models} x {self.n_items}"),
            ("r of the mean score", f"{num(self.correlation)} {interval(self.ci_low, self.ci_high)} ({self.level:.0%})"),
            ("reliability", num(self.reliability, ".2f")),
            ("capability-driven items", str(int(self.capability_driven.sum()))),
            ("subset", "-" if sub is None else f"{sub.n_items} items, cross-fitted r {num(sub.correlation)}"),
        )
        order = np.argsort(-np.nan_to_num(self.correlation_items, nan=-9.0), kind="stable")
        rows = tuple((self.items[i], str(int(self.n[i])), num(float(self.mean[i]), ".2f"),
                      num(float(self.correlation_items[i])), format(float(self.q_value[i]), ".2g"),
                      "yes" if self.capability_driven[i] else "") for i in order)
        return Summary(f"{self.benchmark} ({self.method})", facts, ("item", "n", "mean", "r", "q", "capability"), rows,
                       ("n", "mean", "r", "q"), more(len(rows), "items, highest r first"))

    def to_frame(self) -> pd.DataFrame:
        """The item table: ``benchmark, item, n, mean, correlation, p_value, q_value, capability_driven, in_subset``."""
        sub = set(self.subset.items) if self.subset else set()
        return pd.DataFrame(
            {
                "benchmark": self.benchmark,
                "item": list(self.items),
                "n": self.n.astype(int),
                "mean": self.mean,
                "correlation": self.correlation_items,
                "p_value": self.p_value,
                "q_value": self.q_value,
                "capability_driven": self.capability_driven,
                "in_subset": [i in sub for i in self.items],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the documented contract (plus ``method``, ``reliability_*`` and ``notes``)."""
        flags = self.capability_driven
        items = [
            {
                "item": it,
                "n": int(self.n[i]),
                "mean": _f(self.mean[i]),
                "correlation": _f(self.correlation_items[i]),
                "p_value": _f(self.p_value[i]),
                "q_value": _f(self.q_value[i]),
                "capability_driven": bool(flags[i]),
            }
            for i, it in enumerate(self.items)
        ]
        return {
            "benchmark": self.benchmark,
            "method": self.method,
            "n_models": self.n_models,
            "n_items": self.n_items,
            "correlation": _f(self.correlation),
            "ci_low": _f(self.ci_low),
            "ci_high": _f(self.ci_high),
            "ci_level": self.level,
            "reliability": _f(self.reliability),
            "reliability_method": RELIABILITY_METHOD,
            "reliability_split_half": _f(self.split_half),
            "split_half_method": SPLIT_HALF_METHOD,
            "missing_share": self.missing_share,
            "noise_ceiling": _f(self.noise_ceiling),
            "disattenuated_correlation": _f(self.disattenuated_correlation),
            "n_capability_driven": int(flags.sum()),
            "items": items,
            "subset": self.subset.to_dict() if self.subset else None,
            "notes": list(self.notes),
        }


def audit_items(
    y: np.ndarray,
    s: np.ndarray,
    items: list[str] | tuple[str, ...],
    *,
    benchmark: str = "benchmark",
    method: str = "spearman",
    subset_size: int | None = None,
    max_correlation: float | None = None,
    seed: int = 0,
    n_boot: int = 2000,
    level: float = 0.95,
    folds: int = 5,
    repeats: int = 10,
) -> ItemsResult:
    """Item-level audit of one benchmark.

    Parameters
    ----------
    y:
        ``(n_models, n_items)`` per-sample scores in [0, 1] (1 = correct /
        safe; NaN = the model did not run the item).
    s:
        ``(n_models,)`` capabilities scores (higher = more capable); models
        with NaN are left out.
    items:
        Item ids, one per column.
    method:
        ``"spearman"`` (default) or ``"pearson"`` for every correlation.
    subset_size, max_correlation:
        The decorrelated subset: this many items, or the largest set whose
        correlation (on the models it is chosen on) is at most this; default
        half the items.
    seed, n_boot, level, folds, repeats:
        Random seed; bootstrap resamples and interval level; K and repeats of
        the cross-fitting.
    """
    _check_options(method, level, subset_size, max_correlation)
    y, s = _scored_models(y, s, benchmark)
    n, k = y.shape
    r, nn = item_correlations(y, s, method)
    p = corr_pvalues(r, nn)
    q = bh_qvalues(p)
    mean, missing_share = _item_means(y)
    notes = _coverage_notes(r, missing_share)
    corr, lo, hi = _mean_score_correlation(y, s, method=method, n_boot=n_boot, level=level, seed=seed)
    alpha = _f(cronbach_alpha(y))
    sh = _f(split_half(y, seed=seed))
    notes += _reliability_notes(alpha, method)
    subset = None
    if k >= 2:
        subset = _decorrelated_subset(
            y, s, items, method=method, subset_size=subset_size, max_correlation=max_correlation,
            folds=folds, repeats=repeats, n_boot=n_boot, level=level, seed=seed, notes=notes,
        )
    return ItemsResult(
        benchmark=benchmark,
        method=method,
        n_models=n,
        items=tuple(str(i) for i in items),
        n=nn,
        mean=mean,
        correlation_items=r,
        p_value=p,
        q_value=q,
        correlation=corr,
        ci_low=lo,
        ci_high=hi,
        reliability=alpha,
        split_half=sh,
        subset=subset,
        missing_share=missing_share if math.isfinite(missing_share) else 0.0,
        level=level,
        n_boot=n_boot,
        seed=seed,
        notes=tuple(notes),
    )


def _check_options(method: str, level: float, subset_size: int | None, max_correlation: float | None) -> None:
    """Refuse an unknown correlation method, a level outside (0, 1) and an impossible subset rule."""
    _check_method(method)
    if not 0.0 < level < 1.0:
        raise InputError(f"--ci: level {level} must be between 0 and 1 (e.g. 0.95)")
    if subset_size is not None and max_correlation is not None:
        raise InputError("--subset-size and --max-correlation: give one of them, not both")
    if subset_size is not None and subset_size < 1:
        raise InputError(f"--subset-size: {subset_size} must be at least 1")
    if max_correlation is not None and not -1.0 <= max_correlation <= 1.0:
        raise InputError(f"--max-correlation: {max_correlation} must be between -1 and 1")


def _scored_models(y: np.ndarray, s: np.ndarray, benchmark: str) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``y`` and ``s`` whose capabilities score is finite; an error below MIN_MODELS models or without items."""
    y = np.asarray(y)
    s = np.asarray(s, dtype=float)
    keep = np.isfinite(s)
    if not keep.all():
        y, s = y[keep], s[keep]
    n, k = y.shape
    if n < MIN_MODELS:
        raise InsufficientDataError(
            f"{benchmark}: {n} model(s) with a capabilities score; at least {MIN_MODELS} are needed for item correlations"
        )
    if k < 1:
        raise InsufficientDataError(f"{benchmark}: no items")
    return y, s


def _item_means(y: np.ndarray) -> tuple[np.ndarray, float]:
    """Each item's mean score over the models that ran it (NaN if none) and the share of missing responses.

    Read in blocks of 2048 items, so a float32 matrix is never copied whole as float64.
    """
    n, k = y.shape
    cnt = np.zeros(k)
    tot = np.zeros(k)
    for a in range(0, k, 2048):
        b = np.asarray(y[:, a : a + 2048], dtype=float)
        m = ~np.isnan(b)
        cnt[a : a + 2048] = m.sum(axis=0)
        tot[a : a + 2048] = np.where(m, b, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
    return mean, float(1.0 - cnt.sum() / (n * k))


def _coverage_notes(r: np.ndarray, missing_share: float) -> list[str]:
    """Notes on items without a correlation and on missing responses."""
    notes: list[str] = []
    undefined = int(np.isnan(r).sum())
    if undefined:
        notes.append(
            f"{undefined} item(s) without a correlation (every model scored the same, or fewer than 3 models ran them); "
            "they are not tested and not flagged"
        )
    if missing_share > 0:
        notes.append(
            f"{missing_share:.1%} of model x item responses are missing: per-item figures use the models that ran each "
            "item; a model's mean uses the items it ran; reliability assumes responses are missing at random"
        )
    return notes


def _mean_score_correlation(
    y: np.ndarray, s: np.ndarray, *, method: str, n_boot: int, level: float, seed: int
) -> tuple[float | None, float | None, float | None]:
    """Correlation of the models' mean benchmark score with their capabilities score, and its bootstrap interval.

    Percentile bootstrap over models (seeded by ``seed``); no interval when the correlation is undefined.
    """
    bench = row_means(y)
    rb, _ = pairwise_corr_masked(bench[:, None], s, method)
    corr = _f(rb[0])
    lo = hi = None
    if corr is not None:
        rng = np.random.default_rng(seed)
        lo_a, hi_a, _ = bootstrap_corr_fixed(bench[:, None], s, method=method, n_boot=n_boot, level=level, rng=rng)
        lo, hi = _f(lo_a[0]), _f(hi_a[0])
    return corr, lo, hi


def _reliability_notes(alpha: float | None, method: str) -> list[str]:
    """Notes on a non-positive reliability and on disattenuating rank correlations."""
    notes: list[str] = []
    if alpha is not None and alpha <= 0:
        notes.append(f"reliability {alpha:.2f} <= 0: the items do not measure one thing; no noise ceiling or disattenuation")
    if method == "spearman":
        notes.append(
            "disattenuation (r / sqrt(reliability)) is Spearman's formula for Pearson correlations; "
            "with rank correlations it is approximate"
        )
    return notes


def _decorrelated_subset(
    y: np.ndarray,
    s: np.ndarray,
    items: list[str] | tuple[str, ...],
    *,
    method: str,
    subset_size: int | None,
    max_correlation: float | None,
    folds: int,
    repeats: int,
    n_boot: int,
    level: float,
    seed: int,
    notes: list[str],
) -> SubsetResult:
    """The decorrelated subset chosen on all models, with its in-sample and (from MIN_CROSSFIT models) cross-fitted correlation.

    Default size: half the items (at least 1), unless ``max_correlation`` sets the rule.
    """
    n, k = y.shape
    size = subset_size if subset_size is not None else (None if max_correlation is not None else max(1, k // 2))
    cols = choose_subset(y, s, size=size, max_correlation=max_correlation, method=method)
    sub_mean = row_means(y, cols)
    r_in, _ = pairwise_corr_masked(sub_mean[:, None], s, method)
    sub_alpha = _f(cronbach_alpha(y[:, cols])) if len(cols) >= 2 else None
    if n >= MIN_CROSSFIT:
        cf = crossfit_subset(
            y,
            s,
            size=size,
            max_correlation=max_correlation,
            method=method,
            folds=folds,
            repeats=repeats,
            n_boot=min(n_boot, 1000),
            level=level,
            seed=seed,
        )
        c_est, c_lo, c_hi, nf, nr, ms = cf.correlation, cf.ci_low, cf.ci_high, cf.folds, cf.repeats, cf.mean_size
    else:
        c_est = c_lo = c_hi = None
        nf, nr, ms = 0, 0, float(len(cols))
        notes.append(
            f"only {n} models: no cross-fitted estimate of the subset's correlation (needs {MIN_CROSSFIT}); "
            "its in-sample correlation is optimistic"
        )
    rule = SELECTION_RULE + (
        f"; first {size} items" if size is not None else f"; largest prefix with in-sample correlation <= {max_correlation}"
    )
    return SubsetResult(
        items=tuple(items[i] for i in cols),
        correlation=c_est,
        ci_low=c_lo,
        ci_high=c_hi,
        reliability=sub_alpha,
        in_sample_correlation=_f(r_in[0]),
        rule=rule,
        folds=nf,
        repeats=nr,
        mean_size=ms,
    )
