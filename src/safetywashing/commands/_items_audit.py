"""Item-level audit of one benchmark: per-item capability correlations, reliability, a decorrelated subset."""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError, InsufficientDataError
from .._util.notebook import NotebookRepr, Summary, interval, more, num
from .._util.stats import _check_method, pairwise_corr_masked
from .._util.stats import finite_or_none as _f
from ..inference._item_stats import (
    DISCRIMINATION_MIN,
    ITEM_MODEL_METHOD,
    RELIABILITY_METHOD,
    SELECTION_RULE,
    SPLIT_HALF_METHOD,
    ItemFitJob,
    ItemModels,
    _Suff,
    bootstrap_corr_counted,
    choose_subset,
    corr_pvalues,
    cronbach_alpha,
    crossfit_subset,
    dimensionality,
    disattenuate,
    item_correlations,
    noise_ceiling,
    one_blas_thread,
    row_means,
    split_half,
)
from ..inference._multiplicity import bh_qvalues
from ._analyze import MIN_MODELS

Q_FLAG = 0.10  # an item is flagged capability-driven when its LR test's q < Q_FLAG and discrimination >= DISCRIMINATION_MIN
FLAG_RULE = (
    f"capability_driven: likelihood-ratio q < {Q_FLAG} and discrimination on capability >= {DISCRIMINATION_MIN} logits per "
    f"SD of capability (odds x{np.exp(DISCRIMINATION_MIN):.2f} per SD: smaller effects are not flagged however significant); "
    f"conditional_flag: conditional (DIF-style) q < {Q_FLAG} and positive conditional slope"
)
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
    its two-sided ``p_value`` and Benjamini-Hochberg ``q_value`` across items;
    ``items_fit`` (per-item logistic regressions on capability: discrimination
    with its interval, likelihood-ratio and conditional p-values; see
    :data:`~safetywashing.inference._item_stats.ITEM_MODEL_METHOD`) with
    ``lr_q_value`` / ``conditional_q_value`` (BH), and the flags
    ``capability_driven`` and ``conditional_flag`` (:data:`FLAG_RULE`). Per
    benchmark: the correlation of the models' mean score with an interval,
    reliability (alpha / KR-20 and split-half), ``dimensionality`` (a one- vs
    two-factor check), noise ceiling and disattenuated correlation, and the
    decorrelated :class:`SubsetResult`.
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
    items_fit: ItemModels
    lr_q_value: np.ndarray
    conditional_q_value: np.ndarray
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
    score_se_used: bool = False
    dimensionality: dict = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def capability_driven(self) -> np.ndarray:
        """Items flagged: likelihood-ratio q < Q_FLAG and discrimination >= DISCRIMINATION_MIN (see FLAG_RULE)."""
        disc = np.nan_to_num(self.items_fit.discrimination, nan=-np.inf)
        return (np.nan_to_num(self.lr_q_value, nan=1.0) < Q_FLAG) & (disc >= DISCRIMINATION_MIN)

    @property
    def conditional_flag(self) -> np.ndarray:
        """Items whose success rises with capability beyond the benchmark's rest score (conditional q < Q_FLAG)."""
        cd = np.nan_to_num(self.items_fit.cond_discrimination, nan=-np.inf)
        return (np.nan_to_num(self.conditional_q_value, nan=1.0) < Q_FLAG) & (cd > 0)

    @property
    def noise_ceiling(self) -> float | None:
        return noise_ceiling(self.reliability)

    @property
    def disattenuated_correlation(self) -> float | None:
        return disattenuate(self.correlation, self.reliability)

    def _item_columns(self) -> dict[str, np.ndarray]:
        """The per-item model columns, in output order."""
        f = self.items_fit
        return {
            "discrimination": f.discrimination,
            "discrimination_low": f.disc_low,
            "discrimination_high": f.disc_high,
            "lr_p_value": f.lr_p,
            "lr_q_value": self.lr_q_value,
            "conditional_discrimination": f.cond_discrimination,
            "conditional_p_value": f.cond_p,
            "conditional_q_value": self.conditional_q_value,
        }

    def _summary(self) -> Summary:
        sub = self.subset
        facts = (
            ("models x items", f"{self.n_models} x {self.n_items}"),
            ("r of the mean score", f"{num(self.correlation)} {interval(self.ci_low, self.ci_high)} ({self.level:.0%})"),
            ("reliability", num(self.reliability, ".2f")),
            ("capability-driven items", str(int(self.capability_driven.sum()))),
            ("subset", "-" if sub is None else f"{sub.n_items} items, cross-fitted r {num(sub.correlation)}"),
        )
        order = np.argsort(-np.nan_to_num(self.items_fit.discrimination, nan=-9.0), kind="stable")
        rows = tuple((self.items[i], str(int(self.n[i])), num(float(self.mean[i]), ".2f"),
                      num(float(self.correlation_items[i])), num(float(self.items_fit.discrimination[i])),
                      format(float(self.lr_q_value[i]), ".2g"), "yes" if self.capability_driven[i] else "")
                     for i in order)
        return Summary(f"{self.benchmark} ({self.method})", facts, ("item", "n", "mean", "r", "disc", "LR q", "capability"),
                       rows, ("n", "mean", "r", "disc", "LR q"), more(len(rows), "items, highest discrimination first"))

    def to_frame(self) -> pd.DataFrame:
        """The item table: ``benchmark, item, n, mean, correlation, p_value, q_value``, the item-model columns
        (``discrimination`` with its interval, ``lr_p_value``, ``lr_q_value``, ``conditional_*``),
        ``capability_driven``, ``conditional_flag``, ``in_subset``."""
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
                **self._item_columns(),
                "capability_driven": self.capability_driven,
                "conditional_flag": self.conditional_flag,
                "in_subset": [i in sub for i in self.items],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the documented contract (plus ``method``, ``reliability_*`` and ``notes``)."""
        flags = self.capability_driven
        cflags = self.conditional_flag
        cols = {
            "item": list(self.items),
            "n": np.asarray(self.n).astype(int).tolist(),
            "mean": _floats(self.mean),
            "correlation": _floats(self.correlation_items),
            "p_value": _floats(self.p_value),
            "q_value": _floats(self.q_value),
            **{c: _floats(v) for c, v in self._item_columns().items()},
            "capability_driven": np.asarray(flags, dtype=bool).tolist(),
            "conditional_flag": np.asarray(cflags, dtype=bool).tolist(),
        }
        keys = tuple(cols)
        items = [dict(zip(keys, row)) for row in zip(*cols.values())]  # one dict per item, built column by column
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
            "dimensionality": dict(self.dimensionality),
            "noise_ceiling": _f(self.noise_ceiling),
            "disattenuated_correlation": _f(self.disattenuated_correlation),
            "n_capability_driven": int(flags.sum()),
            "n_conditional_flag": int(cflags.sum()),
            "flag_rule": FLAG_RULE,
            "item_model_method": ITEM_MODEL_METHOD,
            "score_se_used": self.score_se_used,
            "items": items,
            "subset": self.subset.to_dict() if self.subset else None,
            "notes": list(self.notes),
        }


def _floats(a: np.ndarray) -> list[float | None]:
    """``a`` as Python floats with None for NaN and infinity (:func:`finite_or_none` of each value, column at once)."""
    v = np.asarray(a, dtype=float)
    out = v.tolist()
    for i in np.flatnonzero(~np.isfinite(v)).tolist():
        out[i] = None
    return out


@one_blas_thread
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
    score_se: np.ndarray | None = None,
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
    score_se:
        ``(n_models,)`` standard errors of ``s`` (e.g. a panel's logistic
        capability model); the item models then use the regression-calibrated
        score (see :data:`ITEM_MODEL_METHOD`).
    """
    _check_options(method, level, subset_size, max_correlation)
    keep = np.isfinite(np.asarray(s, dtype=float))
    se = None if score_se is None else np.asarray(score_se, dtype=float)[keep]
    y, s = _scored_models(y, s, benchmark)
    n, k = y.shape
    fits = ItemFitJob(y, s, se)
    with _fits_beside(fits):  # the per-item fits on their own thread beside the other statistics
        r, nn = item_correlations(y, s, method)
        p = corr_pvalues(r, nn)
        q = bh_qvalues(p)
        mean, missing_share = _item_means(y)
        notes = _coverage_notes(r, missing_share)
        corr, lo, hi = _mean_score_correlation(y, s, method=method, n_boot=n_boot, level=level, seed=seed)
        alpha = _f(cronbach_alpha(y))
        sh = _f(split_half(y, seed=seed))
        notes += _reliability_notes(alpha, method)
        dims = dimensionality(y)  # its plain-language warning is shown beside alpha (not repeated as a note)
        subset = None
        if k >= 2:
            subset = _decorrelated_subset(
                y, s, items, method=method, subset_size=subset_size, max_correlation=max_correlation,
                folds=folds, repeats=repeats, n_boot=n_boot, level=level, seed=seed, notes=notes,
            )
    fitted = fits.result()
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
        items_fit=fitted,
        lr_q_value=bh_qvalues(fitted.lr_p),
        conditional_q_value=bh_qvalues(fitted.cond_p),
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
        score_se_used=se is not None and bool(np.isfinite(se).any()),
        dimensionality=dims,
    )


FIT_BACKGROUND_CELLS = 1_000_000  # models x items from which the fits also run on a thread of their own


@contextmanager
def _fits_beside(job: ItemFitJob) -> Iterator[None]:
    """The per-item fits on a thread of their own while the block computes the other statistics; then the calling
    thread takes the blocks of items left, so both cores stay busy to the end.

    Only from :data:`FIT_BACKGROUND_CELLS` cells (below that a thread costs more than it saves: the fits run first,
    on the calling thread). The statistics share no random state, each block of items is fitted once whichever
    thread takes it (:class:`ItemFitJob`), and numpy releases the GIL in its loops, so every value is the one a
    single thread computes; BLAS stays on one thread (:func:`one_blas_thread` holds it for the whole audit, which
    waits for the thread before it returns). An error in the block (Ctrl-C) stops the fits: the blocks not yet
    started are skipped, so the error surfaces after the running one.
    """
    if job.y.size < FIT_BACKGROUND_CELLS:
        job.work()
        yield
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="item-fits") as pool:
        done = pool.submit(job.work)
        try:
            yield
            job.work()  # the blocks nobody has taken yet
        except BaseException:
            job.stop.set()
            raise
        done.result()  # an error of the fits' thread is raised here


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
        lo_b, hi_b = bootstrap_corr_counted(bench, s, method=method, n_boot=n_boot, level=level, rng=rng)
        lo, hi = _f(lo_b), _f(hi_b)
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
    cf = None
    suff = _Suff(y)  # the response matrix prepared once for the cross-fitting and the final choice
    if n >= MIN_CROSSFIT:
        # with a --max-correlation target the size is chosen on the cross-fitted curve (held-out models), then the
        # subset of that size is chosen on all models
        cf = crossfit_subset(y, s, size=size, max_correlation=max_correlation, method=method, folds=folds,
                             repeats=repeats, n_boot=min(n_boot, 1000), level=level, seed=seed, suff=suff)
        if size is None and cf.size is not None:
            size = cf.size
            if not cf.target_met:
                notes.append(
                    f"no subset meets --max-correlation {max_correlation} on held-out models: the lowest cross-fitted "
                    f"correlation is {cf.correlation:+.2f}, at {cf.size} items (the subset shown)"
                    if cf.correlation is not None else
                    f"no subset meets --max-correlation {max_correlation} on held-out models (no cross-fitted correlation)"
                )
    cols = choose_subset(y, s, size=size, max_correlation=max_correlation, method=method, suff=suff)
    del suff
    sub = y[:, cols]
    r_in, _ = pairwise_corr_masked(row_means(sub)[:, None], s, method)
    sub_alpha = _f(cronbach_alpha(sub)) if len(cols) >= 2 else None
    del sub
    if cf is not None:
        c_est, c_lo, c_hi, nf, nr, ms = cf.correlation, cf.ci_low, cf.ci_high, cf.folds, cf.repeats, cf.mean_size
    else:
        c_est = c_lo = c_hi = None
        nf, nr, ms = 0, 0, float(len(cols))
        notes.append(
            f"only {n} models: no cross-fitted estimate of the subset's correlation (needs {MIN_CROSSFIT}); "
            "its in-sample correlation is optimistic"
        )
    if max_correlation is None or subset_size is not None:
        how = f"; first {size} items"
    elif cf is not None:
        how = (f"; {size} items: the largest prefix whose cross-fitted (held-out) correlation is <= {max_correlation}"
               if cf.target_met else f"; {size} items: no prefix reaches {max_correlation} on held-out models, the one "
               "with the lowest cross-fitted correlation")
    else:
        how = f"; largest prefix with in-sample correlation <= {max_correlation} (too few models to cross-fit)"
    rule = SELECTION_RULE + how
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
