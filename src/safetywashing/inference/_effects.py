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
    from .._util.stats import _check_method

    _check_method(method)
    x = np.asarray(x, dtype=float)
    s = np.asarray(scores, dtype=float)
    c = np.asarray(log_c, dtype=float)
    ok = ~np.isnan(x) & ~np.isnan(s)[:, None] & ~np.isnan(c)[:, None]
    n = ok.sum(axis=0)
    pr, r_sc = _partial(x, s[:, None], c[:, None], ok, method)
    good = n >= 4
    return {
        "partial": np.where(good, np.clip(pr, -1.0, 1.0), np.nan),
        "n": n,
        "score_compute": np.where(good, r_sc, np.nan),
    }


def _partial(x: np.ndarray, s: np.ndarray, c: np.ndarray, ok: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Partial correlation of ``x`` with ``s`` given ``c`` per column over the rows ``ok``; and ``corr(s, c)`` there.

    Arrays ``(..., n, p)`` (``s``, ``c`` and ``ok`` may be ``(..., n, 1)``:
    one set of rows for every column), models along axis ``-2`` (leading
    axes are resamples); Spearman ranks within each column's own rows.
    Returns ``(partial, r_sc)``, each ``(..., p)`` (or ``(..., 1)`` for
    ``r_sc`` with a shared ``ok``).
    """
    from .._util.stats import rankdata

    n = ok.sum(axis=-2)
    X, S, C = np.where(ok, x, np.nan), np.where(ok, s, np.nan), np.where(ok, c, np.nan)
    if method == "spearman":
        X, S, C = rankdata(X), rankdata(S), rankdata(C)
    cnt = np.maximum(n, 1)[..., None, :]

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        da = np.where(ok, a - np.nansum(a, axis=-2, keepdims=True) / cnt, 0.0)
        db = np.where(ok, b - np.nansum(b, axis=-2, keepdims=True) / cnt, 0.0)
        den = np.sqrt((da * da).sum(axis=-2) * (db * db).sum(axis=-2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (da * db).sum(axis=-2) / np.where(den > 0, den, 1.0), np.nan)

    r_xs, r_xc, r_sc = corr(X, S), corr(X, C), corr(S, C)
    with np.errstate(invalid="ignore", divide="ignore"):
        den = np.sqrt((1.0 - r_xc**2) * (1.0 - r_sc**2))
        pr = np.where(den > 1e-12, (r_xs - r_xc * r_sc) / np.where(den > 1e-12, den, 1.0), np.nan)
    return pr, r_sc


def _below(v: np.ndarray) -> np.ndarray:
    """``(n, n * p)`` comparison matrix of fixed values ``v`` ``(n, p)``: 1 where ``v_j < v_i``, 1/2 where tied (row j)."""
    n, p = v.shape
    # float32 holds 0, 1/2, 1 and every rank sum below 2^23 exactly: half the memory and time of float64
    return ((v[:, None, :] < v[None, :, :]) + np.float32(0.5) * (v[:, None, :] == v[None, :, :])).reshape(n, n * p)


def _weighted_ranks(below: np.ndarray, w: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """Average ranks of fixed values in resamples given as counts: ``below`` from :func:`_below`, ``w`` ``(B, n)``.

    Returns ``(B, n, p)``. Model ``i`` drawn in a resample ranks ``L + (m + 1) / 2``,
    with ``L`` the drawn models below it and ``m`` those tied with it (itself
    included), each counted as often as drawn: the ranks of the resample's
    rows with ties averaged, as :func:`~safetywashing._util.stats.rankdata`
    gives them. One matrix product per batch (BLAS), in ``dtype`` (float32
    only where it holds every rank exactly: see :func:`_rank_sums`).
    """
    b, n = w.shape
    ranks = (w.astype(dtype) @ below.astype(dtype, copy=False)).reshape(b, n, -1)
    ranks += dtype(0.5)
    return ranks


def _weighted_partial(
    x: np.ndarray, s: np.ndarray, c: np.ndarray, w: np.ndarray, method: str, below: tuple[np.ndarray, ...] | None = None
) -> np.ndarray:
    """Partial correlation of each column of ``x`` ``(n, p)`` with ``s`` given ``c`` in resamples of counts ``w`` ``(B, n)``.

    Every model with a positive count must have all three values. Weighted
    moments by matrix products (a model drawn k times counts k times);
    ``below``: the :func:`_below` matrices of ``x``, ``s``, ``c`` (Spearman;
    computed when not given). Returns ``(B, p)``.
    """
    tot = w.sum(axis=1)
    if method == "spearman":
        below = below or (_below(x), _below(s[:, None]), _below(c[:, None]))
        sx, sxx, sxs, sxc, ss, sss, sc, scc, ssc = _rank_sums(s, c, w, tot, below)
    else:
        S, C = np.broadcast_to(s, w.shape), np.broadcast_to(c, w.shape)
        sx, sxx, sxs, sxc = w @ x, w @ (x * x), (w * S) @ x, (w * C) @ x
        ss, sss, sc, scc, ssc = (w * S).sum(1), (w * S * S).sum(1), (w * C).sum(1), (w * C * C).sum(1), (w * S * C).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample without models: NaN, dropped below
        mx, ms, mc = sx / tot[:, None], ss / tot, sc / tot
        vx = sxx / tot[:, None] - mx * mx
        vs, vc = sss / tot - ms * ms, scc / tot - mc * mc
        cxs = sxs / tot[:, None] - mx * ms[:, None]
        cxc = sxc / tot[:, None] - mx * mc[:, None]
        csc = ssc / tot - ms * mc
        r_xs = cxs / np.sqrt(vx * vs[:, None])
        r_xc = cxc / np.sqrt(vx * vc[:, None])
        r_sc = (csc / np.sqrt(vs * vc))[:, None]
        den = np.sqrt((1.0 - r_xc**2) * (1.0 - r_sc**2))
        ok = (vx > 1e-12) & (vs > 1e-12)[:, None] & (vc > 1e-12)[:, None] & (den > 1e-12)
        return np.where(ok, (r_xs - r_xc * r_sc) / np.where(ok, den, 1.0), np.nan)


def _rank_sums(
    s: np.ndarray, c: np.ndarray, w: np.ndarray, tot: np.ndarray, below: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, ...]:
    """Weighted sums of the resamples' ranks of ``x`` (``below[0]``), ``s`` and ``c``, for :func:`_weighted_partial`.

    Returns ``(sum w X, sum w X^2, sum w S X, sum w C X, sum w S, sum w S^2, sum w C, sum w C^2, sum w S C)``,
    ``(B, p)`` for those with ``X``, ``(B,)`` otherwise. The rank sums are ``N (N + 1) / 2`` (``N`` the resample's
    total count) whatever the ties. With whole counts and ``N (N + 1)^2 <= 2^22`` every rank is a multiple of 1/2
    and every sum a multiple of 1/4 below ``2^22``, so float32 holds each product and partial sum exactly: the sums
    are those of float64, at half the memory traffic (the paper's panels: 26 models).
    """
    bx, bs, bc = below
    big = float(tot.max(initial=0.0))
    exact = big * (big + 1.0) ** 2 <= 2.0**22 and bool(np.array_equal(w, np.rint(w)))
    dt = np.float32 if exact else np.float64
    wd = w.astype(dt)
    X = _weighted_ranks(bx, w, dt)
    S, C = _weighted_ranks(bs, w, dt)[..., 0], _weighted_ranks(bc, w, dt)[..., 0]
    ws, wc = wd * S, wd * C
    cross = np.matmul(np.stack([ws, wc], axis=1), X).astype(float)  # (B, 2, p)
    sxx = np.matmul(wd[:, None, :], X * X)[:, 0, :].astype(float)
    half = tot * (tot + 1.0) / 2.0
    sums = [(ws * S).sum(1, dtype=float), (wc * C).sum(1, dtype=float), (ws * C).sum(1, dtype=float)]
    return np.broadcast_to(half[:, None], sxx.shape), sxx, cross[:, 0], cross[:, 1], half, sums[0], half, sums[1], sums[2]


def bootstrap_partial_compute(
    x: np.ndarray, scores: np.ndarray, log_c: np.ndarray, method: str, *, n_boot: int, level: float,
    rng: np.random.Generator, chunk: int = 500,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of every column's :func:`partial_compute_correlations`.

    The ``n`` models (rows of ``x``: ``(n, p)``; ``scores``, ``log_c``:
    ``(n,)``) are resampled with replacement ``n_boot`` times
    (``rng.integers(0, n, (n_boot, n))``) with each model's capabilities score
    held fixed (the capability direction's own uncertainty is not redone);
    the partial correlation is recomputed over each resample's models with
    all three values (ranks within the resample for Spearman, ties averaged),
    from each model's count in the resample (no resampled copy of the data),
    in batches of ``chunk`` resamples. A resample with fewer than 4 distinct
    such models, or a constant side, is left out of that column. Returns
    ``(low, high, n_valid)``, each ``(p,)``.
    """
    x = np.asarray(x, dtype=float)
    s = np.asarray(scores, dtype=float)
    c = np.asarray(log_c, dtype=float)
    n, p = x.shape
    chunk = max(1, min(chunk, 2**22 // max(1, n * p)))  # each batch's (chunk, n, p) ranks stay near 32 MiB
    from ._bootstrap import bootstrap_counts

    counts = bootstrap_counts(n, n_boot, rng)  # rng.integers(0, n, (n_boot, n)) as counts per model
    out = np.full((n_boot, p), np.nan)
    have = ~np.isnan(x) & ~np.isnan(s)[:, None] & ~np.isnan(c)[:, None]
    patterns, group = np.unique(have.T, axis=0, return_inverse=True)  # columns sharing their models share s's, c's ranks
    for g, pat in enumerate(patterns):
        cols = np.flatnonzero(np.ravel(group) == g)
        if pat.sum() < 4:
            continue
        xs, ss, cs = np.where(pat[:, None], x[:, cols], 0.0), np.where(pat, s, 0.0), np.where(pat, c, 0.0)
        below = (_below(xs), _below(ss[:, None]), _below(cs[:, None])) if method == "spearman" else None
        for a in range(0, n_boot, chunk):
            w = counts[a:a + chunk] * pat
            pr = _weighted_partial(xs, ss, cs, w, method, below)
            out[a:a + chunk, cols] = np.where(((w > 0).sum(axis=1) >= 4)[:, None], np.clip(pr, -1.0, 1.0), np.nan)
    q = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
    valid = (~np.isnan(out)).sum(axis=0)
    with np.errstate(invalid="ignore"):
        lo, hi = (np.nanquantile(out, q, axis=0) if out.size and valid.any() else (np.full(p, np.nan), np.full(p, np.nan)))
    return np.where(valid > 0, lo, np.nan), np.where(valid > 0, hi, np.nan), valid
