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
import threading
from collections.abc import Callable
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


def one_blas_thread(fn: Callable) -> Callable:
    """Run ``fn`` with BLAS limited to one thread (``threadpoolctl``).

    The item statistics' products are matrix-vector or skinny matrix products over a large response matrix:
    memory-bound, so extra BLAS threads only spin (on 1,000 x 20,000 they doubled the CPU time and gained no wall
    time).
    """
    import functools

    @functools.wraps(fn)
    def run(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return run


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
    vc32 = vc.astype(np.float32) if method == "spearman" else None  # centred ranks: multiples of 1/2, exact in float32
    for sl in _blocks(k):
        raw = y[:, sl]
        if vc32 is not None and full and svv > 0 and raw.dtype == np.float32 and not np.isnan(raw).any() \
                and np.all((raw == 0) | (raw == 1)):
            # complete 0/1 float32 block: every sum below is of integers or halves under 2^23, so exact in float32
            # (the float64 route's values, bit for bit, without converting the block)
            m = raw.shape[0]
            sx = raw.sum(axis=0).astype(float)
            vx = sx - sx * sx / m
            with np.errstate(invalid="ignore", divide="ignore"):
                rr = (vc32 @ raw).astype(float) / np.sqrt(vx * svv)
            r[sl] = np.where(vx > 1e-12 * np.maximum(1.0, sx * sx / m), np.clip(rr, -1.0, 1.0), np.nan)
            n[sl] = m
            continue
        b = np.asarray(raw, dtype=float)
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
        if m.all():  # a complete block: the same sums without masks or weights (every w_i = n / n_i = 1)
            x = b - b.sum(axis=0) / n
            ss = np.einsum("ij,ij->j", x, x)
            v_sum += float((ss / (n - 1)).sum())
            total += x.sum(axis=1)
            diag += float(ss.sum())
            k_used += x.shape[1]
            continue
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
        raw = y[:, sl]
        if raw.dtype == np.float32 and not np.isnan(raw).any() and np.all((raw == 0) | (raw == 1)):
            # complete 0/1 block: float32 sums of 0/1 are exact integers (the float64 ones, faster); counts are the
            # numbers of A and B items in the block
            wa = w[sl].astype(np.float32)
            sa += raw @ wa
            sb += raw @ (1 - wa)
            ca += wa.sum(axis=0, dtype=float)
            cb += (1 - wa).sum(axis=0, dtype=float)
            continue
        b = np.asarray(raw, dtype=float)
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



def _r_from_sums(cnt: np.ndarray, sx: np.ndarray, sxx: np.ndarray, sy: np.ndarray, syy: np.ndarray,
                 sxy: np.ndarray) -> np.ndarray:
    """Pearson r from counts and sums (``x`` the items, ``y`` the vector); NaN below 3 models or a constant side.

    The arrays broadcast (the ``y`` side may be ``(F, 1)``); the arithmetic runs in place in its temporaries, each
    operation as ``sxy - sx * sy / cnt`` etc. evaluate it (the same values, fewer passes over ``(F, k)`` arrays).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.multiply(sx, sy)
        cov /= cnt
        np.subtract(sxy, cov, out=cov)
        vx = np.multiply(sx, sx)
        vx /= cnt
        np.subtract(sxx, vx, out=vx)
        vy = syy - sy * sy / cnt
        r = np.multiply(vx, vy)
        np.sqrt(r, out=r)
        np.divide(cov, r, out=r)
    good = (cnt >= 3) & (vx > 1e-9) & (vy > 1e-9)
    np.clip(r, -1, 1, out=r)
    np.copyto(r, np.nan, where=~good)
    return r


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
        if y.dtype == np.float32 and y.flags.c_contiguous and not miss.any():
            self.y0 = y  # read only; the copy np.where would make holds the same values in the same layout
        else:
            self.y0 = np.where(miss, np.float32(0), y).astype(np.float32, copy=False)
        self.m = (~miss).astype(np.float32) if miss.any() else None
        del miss
        self.binary = bool(np.all((self.y0 == 0) | (self.y0 == 1)))
        self.y0sq = self.y0 if self.binary else self.y0 * self.y0
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
        return _r_from_sums(cnt, sx, sxx, sy, syy, sxy)

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

    def _mt_many(self, v: np.ndarray) -> np.ndarray:
        """Column sums of the presence mask weighted by each column of ``v`` (``(n, F)`` -> ``(F, k)``, or ``(F, 1)``
        when nothing is missing: the same sum for every item, broadcast)."""
        if self.m is None:
            return v.sum(axis=0)[:, None].astype(float)
        return (v.T.astype(np.float32) @ self.m).astype(float)

    def _corr_many(self, ok: np.ndarray, v: np.ndarray, base: tuple) -> np.ndarray:
        """:meth:`corr_with` for ``F`` row sets and vectors at once (``ok``, ``v``: ``(n, F)``; ``v`` NaN outside ``ok``)."""
        cnt, sx, sxx = base
        mean = np.array([v[ok[:, f], f].mean() if ok[:, f].any() else 0.0 for f in range(v.shape[1])])
        vc = np.where(ok, v - mean, 0.0)
        sy = self._mt_many(vc)
        syy = self._mt_many(vc * vc)
        sxy = (vc.T.astype(np.float32) @ self.y0).astype(float)
        return _r_from_sums(cnt, sx, sxx, sy, syy, sxy)

    def keys_many(self, train: np.ndarray, s: np.ndarray) -> np.ndarray:
        """:meth:`keys` for ``F`` training sets at once (``train``: ``(n, F)`` 0/1): ``(F, k)``.

        The same statistics as ``F`` calls of :meth:`keys`, computed with a
        few matrix products over the responses instead of ``F`` passes each.
        """
        n, nf = train.shape
        tr = (train > 0) & np.isfinite(s)[:, None]
        rs = np.full((n, nf), np.nan)
        for f in range(nf):
            rs[tr[:, f], f] = rankdata(s[tr[:, f]][:, None])[:, 0]
        ok = tr & np.isfinite(self.row_mean)[:, None]
        rs[~ok] = np.nan
        wf = ok.astype(np.float32)
        sx = (wf.T @ self.y0).astype(float)
        sxx = sx if self.y0sq is self.y0 else (wf.T @ self.y0sq).astype(float)
        base = (self._mt_many(wf), sx, sxx)
        r_cap = self._corr_many(ok, rs, base)
        resid = np.full((n, nf), np.nan)
        for f in range(nf):
            o = ok[:, f]
            if o.sum() >= 3:
                b, a = np.polyfit(rs[o, f], self.row_mean[o], 1)
                resid[o, f] = self.row_mean[o] - (a + b * rs[o, f])
        r_rest = self._corr_many(ok & np.isfinite(resid), resid, base)
        return np.nan_to_num(r_cap) - np.nan_to_num(r_rest)

    def prefix_means(self, order: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Every model's mean over the first ``sizes[g]`` items of ``order`` (``(n, G)``; NaN when it ran none)."""
        rank = np.empty(self.k, dtype=np.int64)
        rank[order] = np.arange(self.k)
        grid = (rank[:, None] < sizes[None, :]).astype(np.float32)
        tot = (self.y0 @ grid).astype(float)
        cnt = (self.m @ grid).astype(float) if self.m is not None else np.broadcast_to(sizes.astype(float), tot.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)

    def prefix_means_many(self, orders: list[np.ndarray], sizes: np.ndarray) -> np.ndarray:
        """:meth:`prefix_means` of several orders at once (``(n, len(orders), G)``): a few matrix products, not one per order.

        0/1 responses give exact integer sums, so the means equal :meth:`prefix_means`' bit for bit; other responses
        take :meth:`prefix_means` per order (float32 sums in another order could break ties between models differently).
        """
        if not self.binary:
            return np.stack([self.prefix_means(o, sizes) for o in orders], axis=1)
        g = sizes.size
        out = np.empty((self.n, len(orders), g))
        step = max(1, 256 // g)  # orders per product: the indicator matrix stays <= k x 256
        for a in range(0, len(orders), step):
            chunk = orders[a : a + step]
            grid = np.empty((self.k, len(chunk) * g), dtype=np.float32)
            rank = np.empty(self.k, dtype=np.int64)
            for c, order in enumerate(chunk):
                rank[order] = np.arange(self.k)
                grid[:, c * g : (c + 1) * g] = rank[:, None] < sizes[None, :]
            tot = (self.y0 @ grid).astype(float)
            cnt = (self.m @ grid).astype(float) if self.m is not None else np.broadcast_to(np.tile(sizes, len(chunk)), tot.shape)
            with np.errstate(invalid="ignore", divide="ignore"):
                pm = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
            out[:, a : a + len(chunk), :] = pm.reshape(self.n, len(chunk), g)
        return out

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
    y: np.ndarray, s: np.ndarray, *, size: int | None = None, max_correlation: float | None = None, method: str = "spearman",
    suff: _Suff | None = None,
) -> np.ndarray:
    """Indices of the subset chosen on these models (``size`` items, or the largest prefix under ``max_correlation``).

    With ``max_correlation``, prefix sizes in key order (all, or 64 on a log
    grid when there are more items) are tried and the largest whose
    subset-mean correlation with ``s`` is at most the bound is kept; when no
    prefix qualifies, the prefix with the lowest correlation. ``suff``:
    ``_Suff(y)`` when the caller has it already (it is reused, not rebuilt).
    """
    s = np.asarray(s, dtype=float)
    suff = _Suff(y) if suff is None else suff
    return suff.choose(np.ones(len(s)), s, size=size, max_correlation=max_correlation, method=method, max_points=64)


@dataclass(frozen=True)
class CrossFit:
    """Cross-fitted correlation of the decorrelated subset (chosen on other models than it is scored on).

    With a ``max_correlation`` target, ``size`` is the subset size chosen on
    the cross-fitted curve (the largest size whose held-out correlation is at
    most the target) and ``target_met`` says whether any size met it
    (otherwise ``size`` is the size with the lowest held-out correlation).
    """

    correlation: float | None
    ci_low: float | None
    ci_high: float | None
    per_repeat: tuple[float, ...]
    folds: int
    repeats: int
    n_boot: int
    mean_size: float
    size: int | None = None
    target_met: bool | None = None


def _resample_counts(n: int, n_boot: int, chunk: int, rng: np.random.Generator):
    """Count vectors ``(b, n)`` of ``n_boot`` resamples of ``n`` models, drawn as ``rng.integers(0, n, (b, n))`` in chunks.

    The same draws as indexing the rows with those indices, ``chunk`` resamples at a time.
    """
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(b, n))
        yield np.bincount((idx + n * np.arange(b)[:, None]).ravel(), minlength=b * n).reshape(b, n).astype(float)


def bootstrap_corr_counted(
    x: np.ndarray, s: np.ndarray, *, method: str, n_boot: int, level: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Percentile bootstrap interval over models of corr(x, s) (``(n,)`` each, NaN = missing), resamples as counts.

    The draws and values of the fixed-model bootstrap with exact scores (:func:`._draws.resampled_correlations`,
    chunks of 4,000,000 cells; Spearman bit for bit, Pearson to rounding) without copying or re-sorting each
    resample. NaN bounds when no resample has a defined correlation.
    """
    import warnings

    n = len(s)
    rb = np.concatenate([_counted_corr(x, s, c, method) for c in _resample_counts(n, n_boot, max(1, 4_000_000 // n), rng)])
    a = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanquantile(rb, a)), float(np.nanquantile(rb, 1 - a))


def _interval(oof: np.ndarray, s: np.ndarray, method: str, n_boot: int, level: float, rng: np.random.Generator):
    """Percentile bootstrap over models of the repeat-averaged correlation of ``oof`` (``(n, repeats)``) with ``s``.

    Each resample is held as its count vector over the models (the same draws as indexing the rows), and its
    correlations come from :func:`_counted_corr`: no resampled copy of the data and, for Spearman, no sorting per
    resample (equal, up to rounding, to :func:`pairwise_corr_masked` of the resampled rows).
    """
    import warnings

    n, repeats = oof.shape
    a = (1 - level) / 2
    means = []
    chunk = max(1, 2_000_000 // max(1, n * repeats))  # the draws are made in these chunks (kept: same draws as before)
    for counts in _resample_counts(n, n_boot, chunk, rng):
        s_ranks = _counted_ranks(s, counts) if method == "spearman" and np.isfinite(s).all() else None
        rb = np.stack([_counted_corr(oof[:, j], s, counts, method, s_ranks) for j in range(repeats)], axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            means.append(np.nanmean(rb, axis=1))
    mb = np.concatenate(means)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(mb, a), np.nanquantile(mb, 1 - a)


def _counted_ranks(v: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties averaged) of ``v`` (``(n,)``, finite) in resamples given by ``counts`` (``(B, n)``).

    A model drawn ``c`` times whose value has ``L`` drawn values below it and ``E`` drawn copies of itself (ties
    included) holds ranks ``L + 1 .. L + E``: their average is ``L + (E + 1) / 2``. The values are sorted once;
    each resample costs a cumulative sum of its counts in that order. Returns ``(B, n)`` in ``v``'s order (any
    value where the count is 0).
    """
    order = np.argsort(v, kind="stable")
    vs = v[order]
    cs = np.take(counts, order, axis=1)  # C-ordered (counts[:, order] came out column-major: slow to gather and sum)
    cum = np.cumsum(cs, axis=1)
    new = np.ones(v.size, dtype=bool)
    new[1:] = vs[1:] != vs[:-1]
    if new.all():
        rk = np.subtract(cs, 1.0, out=cs)
        rk *= -0.5
        rk += cum  # cum - (cs - 1) / 2
    else:
        pos = np.arange(v.size)
        end = np.ones(v.size, dtype=bool)
        end[:-1] = new[1:]
        gs = np.maximum.accumulate(np.where(new, pos, 0))
        ge = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, v.size - 1))))
        below = np.take(np.subtract(cum, cs, out=cs), gs, axis=1)  # cum - cs at each group's start
        rk = np.take(cum, ge, axis=1)  # below + (cum at the group's end - below + 1) / 2, in place
        rk -= below
        rk += 1.0
        rk /= 2.0
        np.add(below, rk, out=rk)
    inv = np.empty_like(order)
    inv[order] = np.arange(v.size)
    return np.take(rk, inv, axis=1)  # back to v's order: out[:, order] = rk, as a fast C-ordered gather


def _counted_corr(x: np.ndarray, s: np.ndarray, counts: np.ndarray, method: str,
                  s_ranks: np.ndarray | None = None) -> np.ndarray:
    """Correlation of ``x`` with ``s`` (``(n,)`` each, NaN = missing) in each resample ``counts`` (``(B, n)``): ``(B,)``.

    The resample holds model ``i`` ``counts[b, i]`` times; pairs with a missing side are left out (pairwise
    deletion); Spearman ranks are taken within each resample's pairs (:func:`_counted_ranks`). NaN below 3 pairs or
    where a side is constant (as :func:`pairwise_corr_masked`). Rank sums are exact (multiples of 1/4 below 2^53).
    ``s_ranks``: :func:`_counted_ranks` of ``s`` in these resamples (used when no pair of ``x`` is left out).
    """
    ok = ~(np.isnan(x) | np.isnan(s))
    c = counts if ok.all() else counts * ok
    xv, sv = np.where(ok, x, 0.0), np.where(ok, s, 0.0)
    w = c.sum(axis=1)
    if method == "spearman":
        rx, ry = _counted_ranks(xv, c), (s_ranks if s_ranks is not None and ok.all() else _counted_ranks(sv, c))
        # every resample's mean rank is (w + 1) / 2, so the centred sums are the raw ones less w mean^2 (all exact)
        mean = (w + 1.0) / 2.0
        wm2 = w * mean * mean
        cx = c * rx
        sxx = np.einsum("ij,ij->i", cx, rx) - wm2
        sxy = np.einsum("ij,ij->i", cx, ry) - wm2
        syy = np.einsum("ij,ij,ij->i", c, ry, ry) - wm2
        with np.errstate(invalid="ignore", divide="ignore"):
            r = sxy / np.sqrt(sxx * syy)
        good = (w >= 3) & (sxx > 1e-12 * np.maximum(1.0, mean * mean * w)) & (syy > 1e-12 * np.maximum(1.0, mean * mean * w))
        return np.where(good, np.clip(r, -1.0, 1.0), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (c * xv).sum(axis=1) / w
        my = (c * sv).sum(axis=1) / w
        dx = xv - mx[:, None] if xv.ndim == 2 else xv[None, :] - mx[:, None]
        dy = sv - my[:, None] if sv.ndim == 2 else sv[None, :] - my[:, None]
        cdx = c * dx
        sxx, syy, sxy = (cdx * dx).sum(axis=1), (c * dy * dy).sum(axis=1), (cdx * dy).sum(axis=1)
        r = sxy / np.sqrt(sxx * syy)
    good = (w >= 3) & (sxx > 1e-12 * np.maximum(1.0, mx * mx * w)) & (syy > 1e-12 * np.maximum(1.0, my * my * w))
    return np.where(good, np.clip(r, -1.0, 1.0), np.nan)


def _standardised(v: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Columns of ``v`` standardised with the mean and SD of the rows ``train`` (NaN-aware)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mu = np.nanmean(v[train], axis=0)
        sd = np.nanstd(v[train], axis=0)
    return (v - mu) / np.where(sd > 0, sd, 1.0)


@one_blas_thread
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
    max_points: int = 32,
    suff: _Suff | None = None,
) -> CrossFit:
    """Repeated K-fold cross-fitting of the subset's capabilities correlation.

    In each repeat the models are split at random into ``folds`` folds; for
    each fold the items are ordered by the selection rule fitted on the other
    folds only (all folds' keys in one batch of matrix products), and the
    held-out models get the subset's mean score, standardised with the
    training models' mean and SD of the same subset (so folds with different
    items share a scale). The correlation of these out-of-fold scores with
    ``s`` over all models is averaged over repeats. With ``size``: the first
    ``size`` items. With ``max_correlation``: every prefix size on a grid
    (``max_points``, log-spaced) is scored at once, and the largest size
    whose cross-fitted correlation is at most the target is chosen
    (``target_met`` False and the lowest-correlation size when none is). The
    interval is a percentile bootstrap over models of that repeat-averaged
    correlation (selections held fixed; it leaves out the variability of the
    selection itself). ``suff``: ``_Suff(y)`` when the caller has it already.
    """
    s = np.asarray(s, dtype=float)
    n = y.shape[0]
    rng = np.random.default_rng(seed)
    folds = max(2, min(folds, n // 2))
    suff = _Suff(y) if suff is None else suff
    sizes = np.array([max(1, min(size, suff.k))]) if size is not None else _prefix_sizes(suff.k, max_points)
    oof = np.full((n, repeats, sizes.size), np.nan)
    parts = [np.array_split(rng.permutation(n), folds) for _ in range(repeats)]  # column rep * folds + f: repeat, fold
    train = np.ones((n, repeats * folds))
    for c, test in enumerate(t for rep in parts for t in rep):
        train[test, c] = 0.0
    keys = suff.keys_many(train, s)  # every repeat's folds in one batch of matrix products
    pms = suff.prefix_means_many([np.argsort(kc, kind="stable") for kc in keys], sizes)
    for c, test in enumerate(t for rep in parts for t in rep):
        oof[test, c // folds, :] = _standardised(pms[:, c, :], train[:, c] > 0)[test]
    r_rep, _ = pairwise_corr_masked(np.moveaxis(oof, 2, 0), s, method)  # (G, repeats)
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            curve = np.nanmean(r_rep, axis=1)
    g, met = sizes.size - 1, None
    if size is None and max_correlation is not None:
        good = np.flatnonzero(curve <= max_correlation)
        met = bool(good.size)
        g = int(good[-1]) if good.size else (int(np.nanargmin(curve)) if np.isfinite(curve).any() else sizes.size - 1)
    est = float(curve[g]) if np.isfinite(curve[g]) else math.nan
    lo, hi = _interval(oof[:, :, g], s, method, n_boot, level, rng)

    def f(x: float) -> float | None:
        return None if x is None or not np.isfinite(x) else float(x)

    return CrossFit(f(est), f(lo), f(hi), tuple(float(x) for x in r_rep[g]), folds, repeats, n_boot, float(sizes[g]),
                    size=int(sizes[g]), target_met=met)


# --- per-item logistic regressions (2PL-style flags) -------------------------------------------------

GLM_RIDGE = 0.05  # penalty on the slopes (not the intercept): keeps separated items finite
GLM_ITER = 30
GLM_BLOCK_CELLS = 262_144  # models x items per block of the logistic fits: ~1 MB float32 arrays stay in cache
DISCRIMINATION_MIN = 0.5  # logits per SD of capability: the effect size an item needs to be flagged
ITEM_MODEL_METHOD = (
    "per item, a logistic regression of the item's responses on the models' standardised capabilities score "
    "(2PL-style: slope = discrimination on capability, logits per SD of capability; a ridge of 0.05 on the slope keeps "
    "items answered all-right or all-wrong finite), fitted by Newton steps batched over items; likelihood-ratio test "
    "against the intercept-only model (chi^2, 1 df), Benjamini-Hochberg q across items; Wald 95% interval for the slope. "
    "Conditional (DIF-style) test: a score (Rao) test of adding capability to the item's logistic fit on its rest score "
    "(the model's mean over the benchmark's other items; chi^2, 1 df; the conditional slope is its one-step estimate), "
    "i.e. does capability predict the item beyond what the benchmark's own trait does. Where the panel gives the "
    "capabilities score's SE, the score is replaced by its regression-calibration "
    "estimate E[capability | score] = mean + lambda (score - mean), lambda = tau^2 / (tau^2 + SE^2), tau^2 = var(score) - "
    "mean(SE^2), and standardised by tau (corrects the slope's attenuation by the score's error)"
)


def _expit(e: np.ndarray, negated: bool = False) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-e))`` computed in place in ``e`` (any float dtype); returns ``e``.

    ``negated``: ``e`` holds ``-eta`` already (one pass fewer).
    """
    if not negated:
        np.negative(e, out=e)
    with np.errstate(over="ignore"):
        np.exp(e, out=e)  # overflow to inf for eta < -709 (float64) gives 1 / inf = 0, the right limit
    e += 1.0
    return np.reciprocal(e, out=e)


class _Design:
    """One block of responses and covariates in one float dtype, for the batched Newton steps of :func:`_glm_batch`.

    ``yz``: ``(n, k)`` responses with 0 where missing; ``w``: ``(n, k)`` 1 = observed, 0 = missing, or None when
    nothing is missing; ``xs``: the covariates after the intercept, each ``(n,)`` (shared by every item) or
    ``(n, k)`` (one per item). Every sum over models is a matrix-vector product or a column sum of one elementwise
    product (no ``(n, k, p)`` array).
    """

    def __init__(self, yz: np.ndarray, w: np.ndarray | None, xs: list[np.ndarray]) -> None:
        self.yz, self.w, self.xs = yz, w, xs
        self.p = 1 + len(xs)

    @classmethod
    def of(cls, y: np.ndarray, cols: list[np.ndarray]) -> _Design:
        """The float64 design of responses ``y`` (NaN = missing) and covariates ``cols``."""
        y = np.asarray(y, dtype=float)
        obs = ~np.isnan(y)
        full = bool(obs.all())
        return cls(y if full else np.where(obs, y, 0.0), None if full else obs.astype(float),
                   [np.asarray(c, dtype=float) for c in cols])

    def astype(self, dtype: type) -> _Design:
        return _Design(self.yz.astype(dtype), None if self.w is None else self.w.astype(dtype),
                       [x.astype(dtype) for x in self.xs])

    def take(self, idx: np.ndarray) -> _Design:
        """The design of the items ``idx`` only (C-ordered copies: ``a[:, idx]`` would be column-major)."""
        return _Design(np.take(self.yz, idx, axis=1), None if self.w is None else np.take(self.w, idx, axis=1),
                       [x if x.ndim == 1 else np.take(x, idx, axis=1) for x in self.xs])

    def x(self, a: int) -> np.ndarray | None:
        """Covariate ``a`` (0 = the intercept: None)."""
        return None if a == 0 else self.xs[a - 1]

    def eta(self, beta: np.ndarray) -> np.ndarray:
        """Linear predictors ``(n, k)`` for coefficients ``beta`` (``(k, p)``), in the design's dtype (``-beta``: minus them)."""
        dt = self.yz.dtype
        b = np.array(beta.T, dtype=dt, order="C")  # (p, k): each coefficient's row contiguous (fast broadcast loops)
        e = np.empty(self.yz.shape, dtype=dt)
        x1 = self.xs[0] if self.xs else None
        if x1 is None:
            e[...] = b[0]
            return e
        np.multiply(x1[:, None] if x1.ndim == 1 else x1, b[1], out=e)
        e += b[0]
        for a in range(2, self.p):
            x = self.xs[a - 1]
            e += (x[:, None] if x.ndim == 1 else x) * b[a]
        return e

    def wsum(self, v: np.ndarray, *factors: np.ndarray | None) -> np.ndarray:
        """Sum over models of ``v`` times the given covariates (None = the intercept), per item, as float64 ``(k,)``."""
        own = [x for x in factors if x is not None and x.ndim == 2]
        shared = [x for x in factors if x is not None and x.ndim == 1]
        vec = None
        for x in shared:
            vec = x if vec is None else vec * x
        if len(own) == 2:
            v = v * own.pop()
        if own:
            out = np.einsum("ij,ij->j", v, own[0]) if vec is None else vec @ (v * own[0])
        else:
            out = v.sum(axis=0) if vec is None else vec @ v
        return out.astype(float, copy=False)

    def terms(self, beta: np.ndarray, pen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(probabilities (n, k), penalised gradient (k, p), penalised Hessian (k, p, p))`` at ``beta``.

        The probabilities' array is reused for the Hessian weights: it holds ``w p (1 - p)`` on return.
        """
        pr = _expit(self.eta(-beta), negated=True)
        r = np.subtract(self.yz, pr)
        if self.w is not None:
            r *= self.w
        grad = np.stack([self.wsum(r, self.x(a)) for a in range(self.p)], axis=1) - pen * beta
        np.multiply(pr, pr, out=r)
        pr -= r  # p (1 - p), in place
        if self.w is not None:
            pr *= self.w
        return pr, grad, self.hessian(pr, pen)

    def hessian(self, wv: np.ndarray, pen: np.ndarray) -> np.ndarray:
        """Penalised Hessian ``(k, p, p)``: sums over models of ``wv x_a x_b`` plus the ridge (and 1e-9 for safety)."""
        k, p = wv.shape[1], self.p
        h = np.empty((k, p, p))
        for a in range(p):
            xa = self.x(a)
            va, fa = (wv * xa, None) if xa is not None and xa.ndim == 2 else (wv, xa)
            for b in range(a, p):
                h[:, a, b] = h[:, b, a] = self.wsum(va, fa, self.x(b))
        eye = np.eye(p)
        return h + pen * eye + 1e-9 * eye


def _newton(d: _Design, beta: np.ndarray, pen: np.ndarray, tol: float) -> None:
    """Newton steps (each coefficient's step clipped to +-2) on the items of ``d`` from ``beta`` (updated in place).

    Stops when every item's last step is below ``tol`` (or after :data:`GLM_ITER` steps). Only the items not yet
    converged are carried on: the design is cut down to them whenever a quarter of those left have converged.
    """
    cols = np.arange(beta.shape[0])
    for _ in range(GLM_ITER):
        _, grad, h = d.terms(beta[cols], pen)
        step = np.clip(np.linalg.solve(h, grad[:, :, None])[:, :, 0], -2.0, 2.0)
        beta[cols] += step
        left = np.abs(step).max(axis=1, initial=0.0) >= tol
        if not left.any():
            return
        if left.mean() < 0.75:
            cols, d = cols[left], d.take(np.flatnonzero(left))


LOGIT_CLIP = float(np.log((1 - 1e-12) / 1e-12))  # the log-likelihood takes probabilities clipped to [1e-12, 1 - 1e-12]


def _glm_fit(d: _Design, ridge: float = GLM_RIDGE, full: bool = True) -> tuple[np.ndarray, np.ndarray | None,
                                                                                   np.ndarray | None, np.ndarray]:
    """:func:`_glm_batch` of a float64 design; also returns the fitted probabilities ``(n, k)``.

    Newton steps run first in float32 (half the memory traffic) until every item's step is below 3e-4 (where the
    next step would be ~1e-7, far above float32 rounding of the sums of centred residuals), then in float64 from
    there until every item's last step is below 1e-6 (the stopping rule of a plain float64 Newton loop; usually one
    step), then the log-likelihood and covariance are computed in float64 at the final coefficients (``full``
    False: neither, only the coefficients and probabilities).
    """
    n, k = d.yz.shape
    p = d.p
    pen = np.full(p, ridge)
    pen[0] = 0.0
    n_obs = d.w.sum(axis=0) if d.w is not None else np.full(k, float(n))
    mean = np.clip(d.yz.sum(axis=0) / np.maximum(n_obs, 1), 1e-3, 1 - 1e-3)
    beta = np.zeros((k, p))
    beta[:, 0] = np.log(mean / (1 - mean))
    _newton(d.astype(np.float32), beta, pen, 3e-4)
    _newton(d, beta, pen, 1e-6)
    if not full:
        return beta, None, None, _expit(d.eta(-beta), negated=True)
    e = d.eta(-beta)  # -eta
    pr = _expit(e.copy(), negated=True)
    # y log p + (1 - y) log(1 - p) = (1 - y) e - log(1 + exp(e)) with e = -eta clipped as p is to [1e-12, 1 - 1e-12]
    np.clip(e, -LOGIT_CLIP, LOGIT_CLIP, out=e)
    ll = (e.sum(axis=0) if d.w is None else np.einsum("ij,ij->j", d.w, e)) - np.einsum("ij,ij->j", d.yz, e)
    np.exp(e, out=e)
    np.log1p(e, out=e)
    ll -= e.sum(axis=0) if d.w is None else np.einsum("ij,ij->j", e, d.w)
    del e
    wv = pr * (1 - pr)
    if d.w is not None:
        wv *= d.w
    return beta, np.linalg.inv(d.hessian(wv, pen)), ll, pr


def _glm_batch(
    y: np.ndarray, cols: list[np.ndarray], ridge: float = GLM_RIDGE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logistic regressions of every column of ``y`` on its own design, Newton steps batched over columns.

    ``y``: ``(n, k)`` responses in [0, 1] (NaN = missing; fractions allowed:
    quasi-likelihood); ``cols``: the covariates after the intercept, each
    either ``(n,)`` (shared by every item) or ``(n, k)`` (one per item). The
    slopes (not the intercept) carry a ridge ``ridge / 2 * beta^2``. Every
    sum over models is a matrix-vector product or an elementwise product
    (no ``(n, k, p)`` array); only the items not yet converged are iterated,
    first in float32, then in float64 to a last step below 1e-6 (see
    :func:`_glm_fit`). Returns ``(beta (k, p), covariance (k, p, p),
    log-likelihood (k,))`` with the log-likelihood unpenalised.
    """
    beta, cov, ll, _ = _glm_fit(_Design.of(y, cols), ridge)
    return beta, cov, ll


def calibrated_covariate(s: np.ndarray, se: np.ndarray | None = None) -> np.ndarray:
    """The capabilities score standardised (mean 0, SD 1), by regression calibration when SEs are given.

    With ``se``: ``tau^2 = var(s) - mean(se^2)`` (true-score variance, at
    least 10% of var(s)), ``lambda_i = tau^2 / (tau^2 + se_i^2)``, and the
    covariate is ``lambda_i (s_i - mean) / tau`` (the expected true
    capability given the score, in SDs of the true capability).
    """
    s = np.asarray(s, dtype=float)
    c = s - s.mean()
    var = float(c.var())
    if not var > 0:
        return np.zeros_like(s)
    if se is None or not np.isfinite(se).any():
        return c / np.sqrt(var)
    e2 = np.nan_to_num(np.asarray(se, dtype=float)) ** 2
    tau2 = max(var - float(e2.mean()), 0.1 * var)
    return tau2 / (tau2 + e2) * c / np.sqrt(tau2)


@dataclass(frozen=True)
class ItemModels:
    """Per-item logistic regressions on capability (arrays over items; NaN where an item cannot be fitted).

    ``discrimination``: slope on the standardised capability (logits per SD;
    higher = rises more with capability), ``disc_low``/``disc_high`` its Wald
    95% interval, ``lr_p``: likelihood-ratio p against no capability effect;
    ``cond_discrimination``, ``cond_p``: the same slope and test with the
    item's rest score in the model (DIF-style, conditional on the benchmark's
    own trait).
    """

    discrimination: np.ndarray
    disc_low: np.ndarray
    disc_high: np.ndarray
    lr_p: np.ndarray
    cond_discrimination: np.ndarray
    cond_p: np.ndarray


@one_blas_thread
def item_models(y: np.ndarray, s: np.ndarray, se: np.ndarray | None = None, *, threads: int = 1,
                stop: threading.Event | None = None) -> ItemModels:
    """Fit :data:`ITEM_MODEL_METHOD`'s regressions for every item of ``y`` (``(n_models, n_items)``, any float/int dtype).

    Runs in blocks of items (:class:`ItemFitJob`); items with fewer than 3
    models or a constant response get NaN. ``threads`` > 1 fits the blocks on
    that many threads (numpy releases the GIL in its loops; BLAS stays on one
    thread): each block's fits read only that block and the shared row
    totals, so the values are those of one thread, bit for bit. ``stop``:
    once set, the blocks not yet started are skipped (their items stay NaN;
    for a caller that no longer wants the result, e.g. after Ctrl-C).
    """
    job = ItemFitJob(y, s, se, stop=stop)
    if threads > 1 and len(job.blocks) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            for done in [pool.submit(job.work) for _ in range(threads)]:
                done.result()
    else:
        job.work()
    return job.result()


class ItemFitJob:
    """:func:`item_models`' fits as blocks of items that any number of threads take in turn (:meth:`work`).

    Each block is fitted once, by whichever thread takes it; a block's fits
    read only its own responses and the row totals (computed once, by the
    first thread to need them), so the values do not depend on the threads.
    Setting ``stop`` skips the blocks not yet taken. BLAS should be on one
    thread (:func:`one_blas_thread` around the caller).
    """

    def __init__(self, y: np.ndarray, s: np.ndarray, se: np.ndarray | None = None,
                 stop: threading.Event | None = None) -> None:
        self.y = y
        self.z = calibrated_covariate(s, se)
        n, k = y.shape
        self.out = {f: np.full(k, np.nan) for f in ItemModels.__dataclass_fields__}
        self.blocks = list(_blocks(k, _glm_block_size(n)))
        self.stop = threading.Event() if stop is None else stop
        self._lock = threading.Lock()
        self._next = 0
        self._totals: tuple[np.ndarray, np.ndarray] | None = None

    def _row_totals(self) -> tuple[np.ndarray, np.ndarray]:
        """Every model's total score and number of items answered over the whole benchmark (computed once)."""
        with self._lock:
            if self._totals is None:
                n, k = self.y.shape
                rows = np.zeros(n)
                cnt = np.zeros(n)
                for sl in _blocks(k):
                    b = np.asarray(self.y[:, sl], dtype=float)
                    m = ~np.isnan(b)
                    rows += np.where(m, b, 0.0).sum(axis=1)
                    cnt += m.sum(axis=1)
                self._totals = (rows, cnt)
            return self._totals

    def _take(self) -> slice | None:
        """The next block nobody has taken (None when none is left or ``stop`` is set)."""
        with self._lock:
            if self.stop.is_set() or self._next >= len(self.blocks):
                return None
            self._next += 1
            return self.blocks[self._next - 1]

    def work(self) -> None:
        """Fit blocks until none is left (several threads may call this at once)."""
        if self.stop.is_set():
            return
        rows, cnt = self._row_totals()
        while (sl := self._take()) is not None:
            _fit_block(self.y[:, sl], self.z, rows, cnt, {f: v[sl] for f, v in self.out.items()})

    def result(self) -> ItemModels:
        """The fits (call after every :meth:`work` has returned)."""
        return ItemModels(**self.out)


def _glm_block_size(n: int) -> int:
    """Items per block of the logistic fits for ``n`` models: :data:`GLM_BLOCK_CELLS` cells, 64 to :data:`BLOCK` items."""
    return max(64, min(BLOCK, GLM_BLOCK_CELLS // max(n, 1)))


def _fit_block(yb: np.ndarray, z: np.ndarray, rows: np.ndarray, cnt: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """:func:`item_models` of one block of items ``yb`` (``(n, b)``), written into ``out``'s views of the block.

    ``z``: the standardised capability; ``rows``/``cnt``: every model's total score and item count over the benchmark.
    """
    from scipy.special import chdtrc  # chi^2 survival function (what scipy.stats.chi2.sf calls), without scipy.stats

    d = _Design.of(yb, [z])
    rest = _rest_scores(d, rows, cnt)
    ni = d.w.sum(axis=0) if d.w is not None else np.full(d.yz.shape[1], float(yb.shape[0]))
    tot = d.yz.sum(axis=0)
    ll0 = _null_loglik(tot, ni)
    beta, cov, ll1, _ = _glm_fit(d)
    _, _, _, pr = _glm_fit(_Design(d.yz, d.w, [rest]), full=False)
    cond_slope, cond_stat = _score_test(d, pr, rest, z)
    del pr, rest
    se1 = np.sqrt(np.clip(cov[:, 1, 1], 0, None))
    mu = tot / np.maximum(ni, 1)
    ok = (ni >= 3) & (mu > 0) & (mu < 1)
    out["discrimination"][:] = np.where(ok, beta[:, 1], np.nan)
    out["disc_low"][:] = np.where(ok, beta[:, 1] - 1.959964 * se1, np.nan)
    out["disc_high"][:] = np.where(ok, beta[:, 1] + 1.959964 * se1, np.nan)
    out["lr_p"][:] = np.where(ok, chdtrc(1, np.clip(2 * (ll1 - ll0), 0, None)), np.nan)
    out["cond_discrimination"][:] = np.where(ok, cond_slope, np.nan)
    out["cond_p"][:] = np.where(ok, chdtrc(1, cond_stat), np.nan)


def _rest_scores(d: _Design, rows: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """Each model's mean over the other items it ran, per item of the block, standardised per item (``(n, k)``).

    ``rows``/``cnt``: every model's total score and item count over the whole benchmark. Where a model ran no other
    item, the block's mean rest score stands in.
    """
    rest = np.subtract(rows[:, None], d.yz)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest /= (cnt[:, None] - d.w) if d.w is not None else (cnt[:, None] - 1.0)
    fin = np.isfinite(rest)
    if not fin.all():
        rest = np.where(fin, rest, np.nanmean(np.where(fin, rest, np.nan)) if fin.any() else 0.0)
    rsd = rest.std(axis=0)
    rest -= rest.mean(axis=0)
    rest /= np.where(rsd > 0, rsd, 1.0)
    return rest


def _score_test(d: _Design, pr: np.ndarray, rest: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rao score test of adding ``z`` to each item's fit on its rest score (``pr``: ``(n, k)`` that fit's probabilities).

    Returns ``(one-step slope, chi^2 statistic)``: with ``U`` the score of
    the ``z`` coefficient at the null fit and ``I`` its efficient information
    (the ``z`` block of the Fisher information after the intercept and rest
    slope are profiled out), the statistic is ``U^2 / I`` (chi^2, 1 df) and
    ``U / I`` the one-step estimate of the conditional slope.
    """
    r = np.subtract(d.yz, pr)
    if d.w is not None:
        r *= d.w
    u = z @ r
    np.multiply(pr, pr, out=r)
    wv = np.subtract(pr, r, out=r)
    if d.w is not None:
        wv *= d.w
    wr = wv * rest
    h00, h01, h11 = wv.sum(axis=0), wr.sum(axis=0), np.einsum("ij,ij->j", wr, rest)
    h0z, h1z, hzz = z @ wv, z @ wr, (z * z) @ wv
    det = h00 * h11 - h01 * h01
    with np.errstate(invalid="ignore", divide="ignore"):
        proj = (h0z * (h11 * h0z - h01 * h1z) + h1z * (h00 * h1z - h01 * h0z)) / det
        info = np.clip(hzz - proj, 1e-12, None)
        return u / info, u * u / info


def _null_loglik(tot: np.ndarray, ni: np.ndarray) -> np.ndarray:
    """Log-likelihood of the intercept-only model per item (the item's mean as its probability).

    ``tot``, ``ni``: each item's total score and number of models that ran it: ``tot log(mu) + (ni - tot) log(1 - mu)``.
    """
    mu = np.clip(tot / np.maximum(ni, 1), 1e-12, 1 - 1e-12)
    return tot * np.log(mu) + (ni - tot) * np.log1p(-mu)


# --- dimensionality ---------------------------------------------------------------------------------

DIM_MAX_ITEMS = 300  # items (evenly spaced) that enter the tetrachoric matrix
DIM_GAP = 1.5  # second / third eigenvalue at or above which a second factor stands out of the noise
DIMENSIONALITY_METHOD = (
    "eigenvalues of the inter-item tetrachoric correlation matrix (cosine-pi approximation from each pair's 2 x 2 table, "
    "0.5 added to every cell; responses >= 0.5 count as correct; items with a mean between 5% and 95% and >= 10 models, "
    f"at most {DIM_MAX_ITEMS} evenly spaced); the benchmark is called not one-dimensional when the second eigenvalue is at "
    f"least {DIM_GAP} x the third (a second factor standing out of the bulk of noise eigenvalues; on one-trait synthetic "
    "data the ratio stays near 1.0-1.2, on two-trait data it is 1.4-16); first_factor_share = first eigenvalue / items "
    "(an omega-hierarchical-like share of the common variance on the first factor)"
)


def dimensionality(y: np.ndarray) -> dict:
    """One- vs two-factor check of the items (see :data:`DIMENSIONALITY_METHOD`); any float/int dtype, NaN = missing.

    Returns ``{"method", "n_items_used", "eigenvalues" (top 5), "second_to_third", "first_factor_share",
    "one_dimensional" (None when too few items or models), "warning" (plain language, or None)}``.
    """
    n, k = y.shape
    ok = []
    for sl in _blocks(k):
        b = np.asarray(y[:, sl], dtype=float)
        m = ~np.isnan(b)
        cnt = m.sum(axis=0)
        mu = np.where(m, b >= 0.5, False).sum(axis=0) / np.maximum(cnt, 1)
        ok.append(np.flatnonzero((mu > 0.05) & (mu < 0.95) & (cnt >= 10)) + sl.start)
    cols = np.concatenate(ok) if ok else np.zeros(0, dtype=int)
    if cols.size > DIM_MAX_ITEMS:
        cols = cols[np.linspace(0, cols.size - 1, DIM_MAX_ITEMS).round().astype(int)]
    out: dict = {"method": DIMENSIONALITY_METHOD, "n_items_used": int(cols.size), "eigenvalues": [],
                 "second_to_third": None, "first_factor_share": None, "one_dimensional": None, "warning": None}
    if cols.size < 10 or n < 20:
        return out
    b = np.asarray(y[:, cols], dtype=float)
    m = (~np.isnan(b)).astype(float)
    one = np.where(m > 0, b >= 0.5, False).astype(float)
    zero = m - one
    a11, a00, a10, a01 = one.T @ one, zero.T @ zero, one.T @ zero, zero.T @ one
    odds = ((a11 + 0.5) * (a00 + 0.5)) / ((a10 + 0.5) * (a01 + 0.5))
    r = np.cos(np.pi / (1.0 + np.sqrt(odds)))
    np.fill_diagonal(r, 1.0)
    ev = np.sort(np.linalg.eigvalsh(r))[::-1]
    gap = float(ev[1] / ev[2]) if ev[2] > 0 else math.inf
    out.update(eigenvalues=[float(v) for v in ev[:5]], second_to_third=gap, first_factor_share=float(ev[0] / cols.size),
               one_dimensional=bool(gap < DIM_GAP))
    if gap >= DIM_GAP:
        out["warning"] = (
            f"the items do not look one-dimensional: their tetrachoric correlations have a second factor (eigenvalues "
            f"{ev[0]:.1f}, {ev[1]:.1f}, {ev[2]:.1f}; second / third = {gap:.1f} >= {DIM_GAP}), so the benchmark mixes at "
            "least two things; a high alpha (KR-20) does not show that it measures one thing. Read the per-item flags and "
            "the decorrelated subset, or split the benchmark"
        )
    return out
