"""Reliability of a benchmark across models, and the noise ceiling it puts on a correlation.

A benchmark of ``n_items`` items scored right/wrong measures each model's
accuracy ``p_i`` with binomial sampling error of variance
``p_i (1 - p_i) / n_items``. Across models the observed variance of the
accuracies is the true variance plus the mean error variance, so

    reliability = 1 - mean_i p_i (1 - p_i) / n_items / var(p)

(``var`` with ddof = 1 over the models used) is the share of the across-model
variance that is not item-sampling noise (classical test theory: the
reliability of the benchmark score as a measure of the model's true accuracy).
No correlation with anything can exceed ``noise_ceiling = sqrt(reliability)``
in expectation, and ``r / noise_ceiling`` (Spearman's correction for
attenuation, clipped to +-1) estimates the correlation the benchmark would have
without item noise.

Pure functions over numpy arrays; no I/O. Values must be fractions (0-1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOISE_LIMITED = 0.7  # a noise ceiling below this can make a real correlation look "low"


@dataclass(frozen=True)
class Reliability:
    """Per-benchmark reliability figures (arrays of the same length; NaN = not available).

    ``reliability``: share of across-model variance that is not item noise
    (can be <= 0 when the models differ less than the noise); ``noise_ceiling``:
    ``sqrt(max(reliability, 0))``; ``error_variance``: mean binomial variance
    ``mean p (1 - p) / n_items``; ``variance``: across-model variance (ddof = 1);
    ``n``: models used.
    """

    reliability: np.ndarray
    noise_ceiling: np.ndarray
    error_variance: np.ndarray
    variance: np.ndarray
    n: np.ndarray


def reliability_from_counts(p: np.ndarray, n_items: np.ndarray | float) -> Reliability:
    """Reliability and noise ceiling of fraction-scale accuracies ``p``.

    ``p``: ``(n_models,)`` or ``(n_models, k)`` accuracies in [0, 1] (NaN =
    missing; each column uses its own models); ``n_items``: scalar or ``(k,)``
    item counts (NaN / <= 0 = unknown). Needs >= 3 models and a non-constant
    column; otherwise NaN. Values outside [0, 1] give NaN (not accuracies).
    """
    p = np.asarray(p, dtype=float)
    one = p.ndim == 1
    if one:
        p = p[:, None]
    k = p.shape[1]
    items = np.broadcast_to(np.asarray(n_items, dtype=float), (k,)).astype(float)
    ok = ~np.isnan(p)
    n = ok.sum(axis=0)
    pz = np.where(ok, p, 0.0)
    cnt = np.maximum(n, 1)
    mean = pz.sum(axis=0) / cnt
    var = np.where(ok, (p - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n - 1, 1)
    err = np.where(ok, p * (1.0 - p), 0.0).sum(axis=0) / cnt
    with np.errstate(invalid="ignore", divide="ignore"):
        err = err / items
        rel = 1.0 - err / var
    in_range = np.all(np.where(ok, (p >= 0.0) & (p <= 1.0), True), axis=0)
    good = (n >= 3) & (var > 0) & np.isfinite(items) & (items > 0) & in_range
    rel = np.where(good, rel, np.nan)
    ceiling = np.where(good, np.sqrt(np.clip(rel, 0.0, None)), np.nan)
    out = Reliability(
        reliability=rel,
        noise_ceiling=ceiling,
        error_variance=np.where(good, err, np.nan),
        variance=np.where(good, var, np.nan),
        n=n,
    )
    if one:
        names = ("reliability", "noise_ceiling", "error_variance", "variance", "n")
        return Reliability(*(np.asarray(getattr(out, f))[0] for f in names))
    return out


def disattenuated(r: np.ndarray | float, noise_ceiling: np.ndarray | float) -> np.ndarray:
    """``r / noise_ceiling`` clipped to [-1, 1]; NaN where the ceiling is 0, unknown, or r is NaN."""
    r = np.asarray(r, dtype=float)
    c = np.asarray(noise_ceiling, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(c > 0, r / np.where(c > 0, c, 1.0), np.nan)
    return np.clip(out, -1.0, 1.0)
