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

from .._util.stats import pairwise_corr_masked, rankdata

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
    as ``pandas.DataFrame.corr``); NaN when fewer than 3 models or a constant
    item. Blocks without missing responses take a fast path: one matrix
    product with the (ranked) scores; for 0/1 items the ranks of an item are
    an affine function of its scores, so Spearman's correlation is the
    Pearson correlation of the scores with the rank of ``s``.
    """
    k = y.shape[1]
    r = np.full(k, np.nan)
    n = np.zeros(k, dtype=np.int64)
    s = np.asarray(s, dtype=float)
    full = bool(np.isfinite(s).all()) and len(s) >= 3
    v = rankdata(s[:, None])[:, 0] if method == "spearman" else s
    vc = v - v.mean()
    svv = float(vc @ vc)
    for sl in _blocks(k):
        b = np.asarray(y[:, sl], dtype=float)
        fast = full and svv > 0 and not np.isnan(b).any()
        if fast and method == "spearman":
            fast = bool(np.all((b == 0) | (b == 1)))
        if fast:
            m = b.shape[0]
            sx = b.sum(axis=0)
            vx = (b * b).sum(axis=0) - sx * sx / m
            with np.errstate(invalid="ignore", divide="ignore"):
                rr = (vc @ b) / np.sqrt(vx * svv)
            r[sl] = np.where(vx > 1e-12 * np.maximum(1.0, sx * sx / m), np.clip(rr, -1.0, 1.0), np.nan)
            n[sl] = m
        else:
            rr, nn = pairwise_corr_masked(b, s, method)
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
    """Spearman's correction ``r / sqrt(reliability)`` (capabilities score taken as error-free), clipped to [-1, 1].

    Uses the project's shared :func:`safetywashing.inference._reliability.disattenuated`.
    """
    from ._reliability import disattenuated

    ceil = noise_ceiling(reliability)
    if r is None or ceil is None or not np.isfinite(r):
        return None
    return float(disattenuated(r, ceil))


# --- decorrelated subset -----------------------------------------------------------------------


class _Suff:
    """The response matrix prepared once for many subset selections on weighted rows (cross-fitting).

    Every statistic a selection needs is a matrix-vector product with the
    zero-filled responses ``y0`` (and the presence mask ``m`` when responses
    are missing), weighted by a 0/1 row vector ``w`` (the training models):
    no per-fold copies of the matrix.
    """

    def __init__(self, y: np.ndarray) -> None:
        y = np.asarray(y)
        miss = np.isnan(y)
        self.n, self.k = y.shape
        self.y0 = np.where(miss, np.float32(0), y).astype(np.float32, copy=False)
        self.m = (~miss).astype(np.float32) if miss.any() else None
        del miss
        binary = bool(np.all((self.y0 == 0) | (self.y0 == 1)))
        self.y0sq = self.y0 if binary else self.y0 * self.y0
        ones = np.ones(self.k, dtype=np.float32)
        cnt = self.m @ ones if self.m is not None else np.full(self.n, float(self.k))
        with np.errstate(invalid="ignore", divide="ignore"):
            self.row_mean = np.where(cnt > 0, (self.y0 @ ones) / np.maximum(cnt, 1), np.nan).astype(float)

    def _mt(self, v: np.ndarray) -> np.ndarray:
        """Column sums of the presence mask weighted by ``v``."""
        if self.m is None:
            return np.full(self.k, float(np.sum(v)))
        return (v.astype(np.float32) @ self.m).astype(float)

    def _base(self, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-item count, sum and sum of squares over the rows ``ok``."""
        wf = ok.astype(np.float32)
        sx = (wf @ self.y0).astype(float)
        sxx = sx if self.y0sq is self.y0 else (wf @ self.y0sq).astype(float)
        return self._mt(wf), sx, sxx

    def corr_with(self, w: np.ndarray, v: np.ndarray, base: tuple | None = None) -> np.ndarray:
        """Pearson correlation of every item with ``v`` over the rows with ``w = 1`` (and ``v`` finite) that ran the item."""
        ok = (w > 0) & np.isfinite(v)
        cnt, sx, sxx = base if base is not None else self._base(ok)
        vc = np.where(ok, v - (v[ok].mean() if ok.any() else 0.0), 0.0)
        sy = self._mt(vc)
        syy = self._mt(vc * vc)
        sxy = (vc.astype(np.float32) @ self.y0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = sxy - sx * sy / cnt
            vx = sxx - sx * sx / cnt
            vy = syy - sy * sy / cnt
            r = cov / np.sqrt(vx * vy)
        good = (cnt >= 3) & (vx > 1e-9) & (vy > 1e-9)
        return np.where(good, np.clip(r, -1, 1), np.nan)

    def subset_means(self, ind: np.ndarray) -> np.ndarray:
        """Every model's mean over the items with ``ind = 1`` that it ran (NaN when none)."""
        ind = ind.astype(np.float32)
        tot = (self.y0 @ ind).astype(float)
        cnt = (self.m @ ind).astype(float) if self.m is not None else np.full(self.n, float(ind.sum()))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)

    def keys(self, w: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Selection keys (see :data:`SELECTION_RULE`) fitted on the rows with ``w = 1``."""
        rs = np.full(self.n, np.nan)
        tr = (w > 0) & np.isfinite(s)
        rs[tr] = rankdata(s[tr][:, None])[:, 0]
        ok = tr & np.isfinite(self.row_mean)  # rows usable for both correlations
        rs[~ok] = np.nan
        base = self._base(ok)
        r_cap = self.corr_with(w, rs, base)
        resid = np.full(self.n, np.nan)
        if ok.sum() >= 3:
            b, a = np.polyfit(rs[ok], self.row_mean[ok], 1)
            resid[ok] = self.row_mean[ok] - (a + b * rs[ok])
        r_rest = self.corr_with(w, resid, base)
        return np.nan_to_num(r_cap) - np.nan_to_num(r_rest)

    def choose(
        self, w: np.ndarray, s: np.ndarray, *, size: int | None, max_correlation: float | None, method: str, max_points: int
    ) -> np.ndarray:
        """Indices of the subset chosen on the rows with ``w = 1``."""
        order = np.argsort(self.keys(w, s), kind="stable")
        if size is not None:
            return np.sort(order[: max(1, min(size, self.k))])
        sizes = _prefix_sizes(self.k, max_points)
        grid = np.zeros((self.k, len(sizes)), dtype=np.float32)
        rank = np.empty(self.k, dtype=np.int64)
        rank[order] = np.arange(self.k)
        grid[:, :] = (rank[:, None] < sizes[None, :]).astype(np.float32)
        tr = w > 0
        tot = (self.y0[tr] @ grid).astype(float) if tr.sum() < self.n else (self.y0 @ grid).astype(float)
        if self.m is not None:
            cnt = (self.m[tr] @ grid).astype(float)
        else:
            cnt = np.broadcast_to(sizes.astype(float), tot.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            pm = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
        r, _ = pairwise_corr_masked(pm, s[tr], method)
        good = np.where(r <= max_correlation)[0]
        if len(good):
            kk = int(sizes[good[-1]])
        elif np.isfinite(r).any():
            kk = int(sizes[int(np.nanargmin(r))])
        else:
            kk = self.k
        return np.sort(order[:kk])


def selection_keys(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Order key of every item for the decorrelated subset (lower = chosen first); see :data:`SELECTION_RULE`.

    ``key = r_cap - r_rest``: ``r_cap`` is the item's Pearson correlation with
    the rank of ``s``; ``r_rest`` its correlation with the residual of the
    models' mean score (over all items) after a linear fit on that rank.
    Undefined correlations count as 0.
    """
    return _Suff(y).keys(np.ones(len(s)), np.asarray(s, dtype=float))


def _prefix_sizes(k: int, max_points: int = 256) -> np.ndarray:
    if k <= max_points:
        return np.arange(1, k + 1)
    return np.unique(np.geomspace(1, k, max_points).round().astype(int))


def choose_subset(
    y: np.ndarray, s: np.ndarray, *, size: int | None = None, max_correlation: float | None = None, method: str = "spearman"
) -> np.ndarray:
    """Indices of the subset chosen on these models (``size`` items, or the largest prefix under ``max_correlation``).

    With ``max_correlation``, prefix sizes in key order (all, or 64 on a log
    grid when there are more items) are tried and the largest whose
    subset-mean correlation with ``s`` is at most the bound is kept; when no
    prefix qualifies, the prefix with the lowest correlation.
    """
    s = np.asarray(s, dtype=float)
    return _Suff(y).choose(np.ones(len(s)), s, size=size, max_correlation=max_correlation, method=method, max_points=64)


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
    fold the subset is chosen (:func:`choose_subset`'s rule) on the other folds
    only, and the held-out models get that subset's mean score, standardised
    with the training models' mean and SD of the same subset (so folds with
    different items share a scale). The correlation of these out-of-fold
    scores with ``s`` over all models is averaged over repeats. The interval
    is a percentile bootstrap over models of that repeat-averaged correlation
    (selections held fixed; it leaves out the variability of the selection
    itself).
    """
    import warnings

    s = np.asarray(s, dtype=float)
    n = y.shape[0]
    rng = np.random.default_rng(seed)
    folds = max(2, min(folds, n // 2))
    suff = _Suff(y)
    oof = np.full((n, repeats), np.nan)
    sizes = []
    for rep in range(repeats):
        perm = rng.permutation(n)
        parts = np.array_split(perm, folds)
        for f in range(folds):
            test = parts[f]
            w = np.ones(n)
            w[test] = 0.0
            cols = suff.choose(w, s, size=size, max_correlation=max_correlation, method=method, max_points=32)
            sizes.append(len(cols))
            ind = np.zeros(suff.k)
            ind[cols] = 1.0
            sm = suff.subset_means(ind)
            tr = sm[w > 0]
            mu, sd = np.nanmean(tr), np.nanstd(tr)
            oof[test, rep] = (sm[test] - mu) / sd if sd > 0 else sm[test] - mu
    r_rep, _ = pairwise_corr_masked(oof, s, method)
    est = float(np.nanmean(r_rep)) if np.isfinite(r_rep).any() else math.nan
    a = (1 - level) / 2
    means = []
    chunk = max(1, 2_000_000 // max(1, n * repeats))  # bound the batched bootstrap's memory
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
        rb, _ = pairwise_corr_masked(oof[idx], s[idx], method)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            means.append(np.nanmean(rb, axis=1))
    mb = np.concatenate(means)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanquantile(mb, a), np.nanquantile(mb, 1 - a)

    def f(x: float) -> float | None:
        return None if x is None or not np.isfinite(x) else float(x)

    return CrossFit(f(est), f(lo), f(hi), tuple(float(x) for x in r_rep), folds, repeats, n_boot, float(np.mean(sizes)))
