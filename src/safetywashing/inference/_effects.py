"""What a correlation hides: slope, spread and the link with training compute.

Pure vectorised functions over all benchmarks of a panel at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._util.errors import InputError
from .._util.stats import pairwise_corr_masked

COMPUTE_CHOICES = ("flop", "params")


def slopes(x: np.ndarray, scores: np.ndarray) -> dict[str, np.ndarray]:
    """OLS slope and spread of every benchmark against the capabilities score.

    ``x``: ``(n, p)`` benchmark scores (NaN = missing); ``scores``: ``(n,)``
    capabilities scores (NaN for unscored models). For each benchmark, over
    the ``n`` models with both values (pairwise deletion, the same models as
    its correlation):

    * ``slope``: least-squares slope of the benchmark on the capabilities
      score, in the benchmark's own units per 1 SD of the capabilities score
      over those same models (population SD): how many points the benchmark
      gains for a one-SD capability gain;
    * ``spread``: SD of the benchmark over those models (population SD,
      benchmark units);
    * ``slope_sd``: ``slope / spread``, benchmark SDs per capabilities SD
      (comparable across benchmarks whatever their scale). Both SDs are over
      the row's own models, so under Pearson ``slope_sd`` equals r.

    NaN when fewer than 3 models or a constant side.
    """
    x = np.asarray(x, dtype=float)
    s = np.asarray(scores, dtype=float)
    ok = ~np.isnan(x) & ~np.isnan(s)[:, None]
    n = ok.sum(axis=0)
    cnt = np.maximum(n, 1)
    xs = np.where(ok, x, 0.0)
    ss = np.where(ok, s[:, None], 0.0)
    mx = xs.sum(axis=0) / cnt
    ms = ss.sum(axis=0) / cnt
    dx = np.where(ok, x - mx, 0.0)
    ds = np.where(ok, s[:, None] - ms, 0.0)
    sxx = (dx * dx).sum(axis=0)
    sss = (ds * ds).sum(axis=0)
    sxs = (dx * ds).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = sxs / sss
        spread = np.sqrt(sxx / cnt)
        slope = raw * np.sqrt(sss / cnt)  # per 1 SD of the score over the row's own models
        slope_sd = slope / spread
    good = (n >= 3) & (sss > 0)
    slope = np.where(good, slope, np.nan)
    spread = np.where(n >= 3, spread, np.nan)
    slope_sd = np.where(good & (spread > 0), slope_sd, np.nan)
    return {"slope": slope, "slope_raw": np.where(good, raw, np.nan), "spread": spread, "slope_sd": slope_sd, "n": n}


def log_compute(models: pd.DataFrame, compute: str) -> np.ndarray:
    """log10 of training FLOP (``compute="flop"``) or of parameters (``"params"``) per model; NaN unknown."""
    if compute not in COMPUTE_CHOICES:
        raise InputError(f"compute: {compute!r} is not one of: {', '.join(COMPUTE_CHOICES)}")
    v = pd.to_numeric(models[compute], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)


def compute_correlations(x: np.ndarray, log_c: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Correlation (same method as the analysis) of every benchmark with log10 compute.

    Over the models that have both (pairwise deletion); returns ``(r, n)``.
    With Spearman the log changes nothing; with Pearson it is what makes
    compute comparable across orders of magnitude.
    """
    return pairwise_corr_masked(np.asarray(x, dtype=float), np.asarray(log_c, dtype=float), method)


SCALE_COLLINEAR = 0.9  # |corr(score, log compute)| at or above this: capability and scale cannot be told apart


def partial_compute_correlations(x: np.ndarray, scores: np.ndarray, log_c: np.ndarray, method: str) -> dict[str, np.ndarray]:
    """Correlation of every benchmark with the capabilities score, controlling for log10 compute.

    For each column, over the models that have the benchmark, a capabilities
    score and a known compute (``n``): the partial correlation
    ``(r_xs - r_xc r_sc) / sqrt((1 - r_xc^2) (1 - r_sc^2))`` of the three
    pairwise correlations on those models (Spearman: computed on ranks within
    those models, i.e. the partial Spearman correlation). Also returns
    ``score_compute`` (``r_sc`` on the same models): when it is near +-1 the
    panel cannot separate capabilities from scale and the partial correlation
    rests on little variation. NaN with fewer than 4 models or a constant side.
    """
    from .._util.stats import _check_method, rankdata

    _check_method(method)
    x = np.asarray(x, dtype=float)
    s = np.asarray(scores, dtype=float)
    c = np.asarray(log_c, dtype=float)
    ok = ~np.isnan(x) & ~np.isnan(s)[:, None] & ~np.isnan(c)[:, None]
    n = ok.sum(axis=0)
    X = np.where(ok, x, np.nan)
    S = np.where(ok, s[:, None], np.nan)
    C = np.where(ok, c[:, None], np.nan)
    if method == "spearman":
        X, S, C = rankdata(X), rankdata(S), rankdata(C)

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        cnt = np.maximum(n, 1)
        da = np.where(ok, a - np.nansum(a, axis=0) / cnt, 0.0)
        db = np.where(ok, b - np.nansum(b, axis=0) / cnt, 0.0)
        den = np.sqrt((da * da).sum(axis=0) * (db * db).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (da * db).sum(axis=0) / np.where(den > 0, den, 1.0), np.nan)

    r_xs, r_xc, r_sc = corr(X, S), corr(X, C), corr(S, C)
    with np.errstate(invalid="ignore", divide="ignore"):
        den = np.sqrt((1.0 - r_xc**2) * (1.0 - r_sc**2))
        pr = np.where(den > 1e-12, (r_xs - r_xc * r_sc) / np.where(den > 1e-12, den, 1.0), np.nan)
    good = n >= 4
    return {
        "partial": np.where(good, np.clip(pr, -1.0, 1.0), np.nan),
        "n": n,
        "score_compute": np.where(good, r_sc, np.nan),
    }
