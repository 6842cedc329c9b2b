"""Resampled correlations with the capability model held fixed, and the intervals they give.

A *fixed-model* bootstrap resamples models (rows) with replacement and takes
each resampled model's capabilities score from the model's own
``draw_scores``: exact for the PCA score (a function of the row), drawn from
N(estimate, SE^2) for the logistic model. :func:`interval_from_draws` turns the
resampled correlations into the interval the model names
(``model.fixed_interval``): a plain ``"percentile"`` interval, or a
``"centred percentile"`` one moved so that the resamples' median sits on the
estimate (the extra noise drawn into the scores attenuates the resampled
correlations, so a plain percentile interval could miss its own estimate).

Pure functions: no printing, no I/O; random draws only from the given generator.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .._util.stats import pairwise_corr_masked
from ..capability._model import draw_scores

_CHUNK_CELLS = 4_000_000  # resamples x models x benchmarks per batch (32 MB of float64)
FIXED_INTERVALS = ("percentile", "centred percentile")

Draw = Callable[[np.ndarray, np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def resampled_correlations(
    x: np.ndarray,
    s: np.ndarray,
    se: np.ndarray,
    *,
    draw: Draw,
    method: str,
    n_boot: int,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """``(n_boot, p)`` correlations of ``x``'s columns with ``draw(s, se, idx, rng)`` over model resamples ``idx``.

    ``x``: ``(n, p)`` benchmark values (NaN = missing); ``s``/``se``: ``(n,)``
    capabilities scores and their SEs. Resamples are drawn in chunks (memory
    below ~32 MB whatever ``n_boot``); the row indices form one stream, so the
    chunking does not change them. NaN = undefined correlation in a resample.
    """
    n, p = x.shape
    out = np.empty((n_boot, p))
    step = max(1, _CHUNK_CELLS // max(1, n * p))
    for start in range(0, n_boot, step):
        b = min(step, n_boot - start)
        idx = rng.integers(0, n, size=(b, n))
        out[start : start + b] = pairwise_corr_masked(x[idx], draw(s, se, idx, rng), method)[0]
        if progress is not None:
            progress(b)
    return out


def bootstrap_correlations(
    x: np.ndarray,
    s: np.ndarray,
    se: np.ndarray,
    *,
    method: str,
    n_boot: int,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """``(n_boot, p)`` correlations of ``x``'s columns with scores drawn around ``s`` (SD ``se``) in model resamples.

    Batched: memory stays below ~32 MB whatever ``n_boot`` (chunks of resamples).
    """
    return resampled_correlations(x, s, se, draw=draw_scores, method=method, n_boot=n_boot, rng=rng, progress=progress)


def centred_interval(r_point: np.ndarray, r_boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``r_boot`` (``(B, p)``, NaN = undefined) moved so its median sits on ``r_point``.

    The bounds are clipped to [-1, 1]. (Moving on Fisher's z scale instead
    was tried: near r = +-1 the z shift explodes and collapses the interval
    onto the estimate.) NaN where the estimate or every resample is undefined.
    """
    r_point = np.asarray(r_point, dtype=float)
    lo = np.full(r_point.shape, np.nan)
    hi = np.full(r_point.shape, np.nan)
    alpha = (1.0 - level) / 2.0
    for j in np.flatnonzero(~np.isnan(r_point) & (~np.isnan(r_boot)).any(axis=0)):
        v = r_boot[~np.isnan(r_boot[:, j]), j]
        shift = r_point[j] - np.median(v)
        lo[j] = max(-1.0, float(np.quantile(v, alpha) + shift))
        hi[j] = min(1.0, float(np.quantile(v, 1.0 - alpha) + shift))
    return lo, hi




def percentile_interval(r_boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column of ``r_boot`` (``(B, p)``, NaN = undefined resample left out)."""
    alpha = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column whose every resample is undefined -> NaN
        return np.nanquantile(r_boot, alpha, axis=0), np.nanquantile(r_boot, 1.0 - alpha, axis=0)


def interval_from_draws(
    kind: str, r_point: np.ndarray, r_boot: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(low, high, n_valid)`` per column: the ``kind`` interval (one of :data:`FIXED_INTERVALS`) of ``r_boot``.

    ``n_valid`` counts each column's defined resamples.
    """
    if kind == "percentile":
        lo, hi = percentile_interval(r_boot, level)
    elif kind == "centred percentile":
        lo, hi = centred_interval(r_point, r_boot, level)
    else:
        raise ValueError(f"unknown interval {kind!r}; one of {FIXED_INTERVALS}")
    return lo, hi, (~np.isnan(r_boot)).sum(axis=0)
