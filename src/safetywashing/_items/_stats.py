"""Item-level statistics on a models x items response matrix (pure numpy, no I/O, seeded).

Conventions: ``y`` is a ``(n_models, n_items)`` float array of per-sample
scores in [0, 1] (1 = correct / safe behaviour; NaN = the model did not run
the item); ``s`` is the ``(n_models,)`` capabilities score (higher = more
capable). Every pass over ``y`` runs in blocks of :data:`BLOCK` items so
memory stays bounded by a few copies of one block, and nothing grows as
items squared or models squared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtr

from .._stats import pairwise_corr_masked, rankdata

BLOCK = 2048  # items per block in the O(n_models x n_items) passes

RELIABILITY_METHOD = (
    "Cronbach's alpha (KR-20 for 0/1 items) over all items; with missing responses, item variances use the models "
    "that ran each item and inter-item covariances are estimated under missing-completely-at-random by "
    "inverse-probability weighting of the mean-centred responses (exactly KR-20 / alpha when nothing is missing)"
)
SPLIT_HALF_METHOD = "mean over random splits of items into halves of the Spearman-Brown corrected correlation of half-means"
SELECTION_RULE = (
    "items ordered by (correlation with the capability rank) minus (correlation with the benchmark's "
    "capability-residualised mean score), lowest first: items that rise least with capabilities and most "
    "with what the rest of the benchmark measures beyond capabilities"
)


def _blocks(k: int, size: int = BLOCK):
    for a in range(0, k, size):
        yield slice(a, min(a + size, k))


def item_correlations(y: np.ndarray, s: np.ndarray, method: str = "spearman") -> tuple[np.ndarray, np.ndarray]:
    """Correlation of every item with ``s`` over the models that ran it: ``(r, n)`` per item.

    Spearman ranks are computed within each item's models (pairwise deletion,
    as ``pandas.DataFrame.corr``); NaN when fewer than 3 models or a constant item.
    """
    k = y.shape[1]
    r = np.full(k, np.nan)
    n = np.zeros(k, dtype=np.int64)
    for sl in _blocks(k):
        rr, nn = pairwise_corr_masked(np.asarray(y[:, sl], dtype=float), s, method)
        r[sl], n[sl] = rr, nn
    return r, n


def corr_pvalues(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-values of correlations by the t approximation with n - 2 df (as scipy's spearmanr / pearsonr)."""
    r = np.asarray(r, dtype=float)
    df = np.asarray(n, dtype=float) - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(r) * np.sqrt(df / np.maximum(1.0 - r * r, 0.0))
        p = 2.0 * stdtr(np.maximum(df, 1.0), -t)
    p = np.where(np.abs(r) >= 1.0, 0.0, p)
    return np.where(np.isnan(r) | (df < 1), np.nan, p)


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) over the non-NaN entries; NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def row_means(y: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
    """Each model's mean score over the items it ran (optionally only the items ``cols``); NaN when none."""
    if cols is not None:
        y = y[:, cols]
    tot = np.zeros(y.shape[0])
    cnt = np.zeros(y.shape[0])
    for sl in _blocks(y.shape[1]):
        b = np.asarray(y[:, sl], dtype=float)
        m = ~np.isnan(b)
        tot += np.where(m, b, 0.0).sum(axis=1)
        cnt += m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def cronbach_alpha(y: np.ndarray) -> float:
    """Cronbach's alpha of the item scores (KR-20 when items are 0/1); see :data:`RELIABILITY_METHOD`.

    ``alpha = k / (k - 1) * C / (V + C)`` with ``V`` the sum of item variances
    (ddof=1, over the models that ran each item) and ``C`` the sum of all
    inter-item covariances, estimated as ``(|X w 1|^2 - sum_i |X_i w_i|^2) /
    (n - 1)`` where ``X`` holds mean-centred responses with 0 for missing and
    ``w_i = n / n_i`` (inverse probability of an item being answered). Items
    answered by fewer than 2 models are left out. NaN when fewer than 2 items
    or models remain or the total variance is 0.
    """
    n, k = y.shape
    if n < 2:
        return math.nan
    total = np.zeros(n)
    v_sum = 0.0
    diag = 0.0
    k_used = 0
    for sl in _blocks(k):
        b = np.asarray(y[:, sl], dtype=float)
        m = ~np.isnan(b)
        ni = m.sum(axis=0)
        use = ni >= 2
        if not use.any():
            continue
        b, m, ni = b[:, use], m[:, use], ni[use]
        mu = np.where(m, b, 0.0).sum(axis=0) / ni
        x = np.where(m, b - mu, 0.0)
        v_sum += float(((x * x).sum(axis=0) / (ni - 1)).sum())
        xw = x * (n / ni)
        total += xw.sum(axis=1)
        diag += float((xw * xw).sum())
        k_used += int(use.sum())
    if k_used < 2:
        return math.nan
    c = (float(total @ total) - diag) / (n - 1)
    den = v_sum + c
    if not den > 0:
        return math.nan
    return float(k_used / (k_used - 1) * c / den)


def split_half(y: np.ndarray, *, n_splits: int = 20, seed: int = 0) -> float:
    """Split-half reliability with the Spearman-Brown correction, averaged over random item splits.

    Each split puts a random half of the items in A, the rest in B; every
    model's A and B means use the items it ran; the Pearson correlation of the
    A and B means over the models that have both is stepped up with
    ``2 r / (1 + r)``. Returns the mean over ``n_splits`` splits (NaN when
    fewer than 2 items or 3 models).
    """
    n, k = y.shape
    if k < 2 or n < 3:
        return math.nan
    rng = np.random.default_rng(seed)
    w = np.zeros((k, n_splits), dtype=float)
    for j in range(n_splits):
        w[rng.permutation(k)[: k // 2], j] = 1.0
    sa = np.zeros((n, n_splits))
    sb = np.zeros((n, n_splits))
    ca = np.zeros((n, n_splits))
    cb = np.zeros((n, n_splits))
    for sl in _blocks(k):
        b = np.asarray(y[:, sl], dtype=float)
        m = (~np.isnan(b)).astype(float)
        b0 = np.where(m > 0, b, 0.0)
        wa, wb = w[sl], 1.0 - w[sl]
        sa += b0 @ wa
        sb += b0 @ wb
        ca += m @ wa
        cb += m @ wb
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = np.where(ca > 0, sa / np.maximum(ca, 1), np.nan)
        mb = np.where(cb > 0, sb / np.maximum(cb, 1), np.nan)
    out = []
    for j in range(n_splits):
        r, nn = pairwise_corr_masked(ma[:, j : j + 1], mb[:, j], "pearson")
        if np.isfinite(r[0]) and r[0] > -1:
            out.append(2 * r[0] / (1 + r[0]))
    return float(np.mean(out)) if out else math.nan


def noise_ceiling(reliability: float | None) -> float | None:
    """Highest correlation the benchmark's score can reach with an error-free variable: ``sqrt(reliability)``."""
    if reliability is None or not np.isfinite(reliability) or reliability <= 0:
        return None
    return float(math.sqrt(min(reliability, 1.0)))


def disattenuate(r: float | None, reliability: float | None) -> float | None:
    """Spearman's correction ``r / sqrt(reliability)`` (capabilities score taken as error-free), clipped to [-1, 1]."""
    ceil = noise_ceiling(reliability)
    if r is None or ceil is None or not np.isfinite(r):
        return None
    return float(np.clip(r / ceil, -1.0, 1.0))


# --- decorrelated subset -----------------------------------------------------------------------


def _masked_corr_with(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of ``y`` with ``v`` over rows where both exist (blocked, matrix products)."""
    k = y.shape[1]
    out = np.full(k, np.nan)
    vm = ~np.isnan(v)
    v0 = np.where(vm, v, 0.0)
    for sl in _blocks(k):
        b = np.asarray(y[:, sl], dtype=float)
        m = ~np.isnan(b) & vm[:, None]
        mf = m.astype(float)
        b0 = np.where(m, b, 0.0)
        cnt = mf.sum(axis=0)
        sx, sy = b0.sum(axis=0), v0 @ mf
        sxx, syy, sxy = (b0 * b0).sum(axis=0), (v0 * v0) @ mf, v0 @ b0
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = sxy - sx * sy / cnt
            vx = sxx - sx * sx / cnt
            vy = syy - sy * sy / cnt
            r = cov / np.sqrt(vx * vy)
        ok = (cnt >= 3) & (vx > 1e-12) & (vy > 1e-12)
        out[sl] = np.where(ok, np.clip(r, -1, 1), np.nan)
    return out


def selection_keys(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Order key of every item for the decorrelated subset (lower = chosen first); see :data:`SELECTION_RULE`.

    ``key = r_cap - r_rest``: ``r_cap`` is the item's Pearson correlation with
    the rank of ``s``; ``r_rest`` its correlation with the residual of the
    models' benchmark mean after a linear fit on that rank. Undefined
    correlations count as 0.
    """
    rs = rankdata(s[:, None])[:, 0]
    r_cap = _masked_corr_with(y, rs)
    mean = row_means(y)
    ok = ~np.isnan(mean) & ~np.isnan(rs)
    resid = np.full(len(s), np.nan)
    if ok.sum() >= 3:
        b, a = np.polyfit(rs[ok], mean[ok], 1)
        resid[ok] = mean[ok] - (a + b * rs[ok])
    r_rest = _masked_corr_with(y, resid)
    return np.nan_to_num(r_cap) - np.nan_to_num(r_rest)


def _prefix_sizes(k: int, max_points: int = 256) -> np.ndarray:
    if k <= max_points:
        return np.arange(1, k + 1)
    return np.unique(np.geomspace(1, k, max_points).round().astype(int))


def choose_subset(
    y: np.ndarray, s: np.ndarray, *, size: int | None = None, max_correlation: float | None = None, method: str = "spearman"
) -> np.ndarray:
    """Indices of the subset chosen on these models (``size`` items, or the largest prefix under ``max_correlation``).

    With ``max_correlation``, prefix sizes (all, or 256 on a log grid when
    there are more items) are tried in key order and the largest whose
    subset-mean correlation with ``s`` is at most the bound is kept; when no
    prefix qualifies, the prefix with the lowest correlation.
    """
    order = np.argsort(selection_keys(y, s), kind="stable")
    k = y.shape[1]
    if size is not None:
        return np.sort(order[: max(1, min(size, k))])
    sizes = _prefix_sizes(k)
    yo = y[:, order]
    m = ~np.isnan(yo)
    cs = np.cumsum(np.where(m, yo, 0.0), axis=1, dtype=float)[:, sizes - 1]
    cc = np.cumsum(m, axis=1)[:, sizes - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        pm = np.where(cc > 0, cs / np.maximum(cc, 1), np.nan)
    r, _ = pairwise_corr_masked(pm, s, method)
    good = np.where(r <= max_correlation)[0]
    if len(good):
        kk = int(sizes[good[-1]])
    elif np.isfinite(r).any():
        kk = int(sizes[int(np.nanargmin(r))])
    else:
        kk = k
    return np.sort(order[:kk])


@dataclass(frozen=True)
class CrossFit:
    """Cross-fitted correlation of the decorrelated subset (chosen on other models than it is scored on)."""

    correlation: float | None
    ci_low: float | None
    ci_high: float | None
    per_repeat: tuple[float, ...]
    folds: int
    repeats: int
    n_boot: int
    mean_size: float


def crossfit_subset(
    y: np.ndarray,
    s: np.ndarray,
    *,
    size: int | None,
    max_correlation: float | None,
    method: str = "spearman",
    folds: int = 5,
    repeats: int = 10,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> CrossFit:
    """Repeated K-fold cross-fitting of the subset's capabilities correlation.

    In each repeat the models are split at random into ``folds`` folds; for each
    fold the subset is chosen (:func:`choose_subset`) on the other folds only,
    and the held-out models get that subset's mean score, standardised with the
    training models' mean and SD of the same subset (so folds with different
    items share a scale). The correlation of these out-of-fold scores with
    ``s`` over all models is averaged over repeats. The interval is a
    percentile bootstrap over models of that repeat-averaged correlation
    (selections held fixed; it leaves out the variability of the selection
    itself).
    """
    n = y.shape[0]
    rng = np.random.default_rng(seed)
    folds = max(2, min(folds, n // 2))
    oof = np.full((n, repeats), np.nan)
    sizes = []
    for rep in range(repeats):
        perm = rng.permutation(n)
        parts = np.array_split(perm, folds)
        for f in range(folds):
            test = np.sort(parts[f])
            train = np.sort(np.concatenate([parts[g] for g in range(folds) if g != f]))
            cols = choose_subset(y[train], s[train], size=size, max_correlation=max_correlation, method=method)
            sizes.append(len(cols))
            tr = row_means(y[train], cols)
            mu, sd = np.nanmean(tr), np.nanstd(tr)
            te = row_means(y[test], cols)
            oof[test, rep] = (te - mu) / sd if sd > 0 else te - mu
    r_rep, _ = pairwise_corr_masked(oof, s, method)
    est = float(np.nanmean(r_rep)) if np.isfinite(r_rep).any() else math.nan
    idx = rng.integers(0, n, size=(n_boot, n))
    rb, _ = pairwise_corr_masked(oof[idx], s[idx], method)
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mb = np.nanmean(rb, axis=1)
            a = (1 - level) / 2
            lo, hi = np.nanquantile(mb, a), np.nanquantile(mb, 1 - a)
    f = lambda x: None if x is None or not np.isfinite(x) else float(x)  # noqa: E731
    return CrossFit(f(est), f(lo), f(hi), tuple(float(x) for x in r_rep), folds, repeats, n_boot, float(np.mean(sizes)))
