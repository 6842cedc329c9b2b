"""Vectorised statistics on numpy arrays (no pandas, no I/O, no state).

Conventions: the models axis is ``-2`` and the benchmarks axis ``-1``, so every
function also works on a batch of matrices shaped ``(B, n_models, k)``, which is
how the bootstrap evaluates thousands of resamples in one call. ``NaN`` marks a
missing score everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

METHODS = ("spearman", "pearson")


def finite_or_none(x: Any) -> float | None:
    """``float(x)``, or None for None, NaN, infinity or a non-number (JSON-friendly)."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def rankdata(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties get their mean rank) along axis ``-2``.

    NaN stays NaN and is excluded from the ranking of the other values, like
    ``scipy.stats.rankdata(..., nan_policy="omit")`` column by column.
    """
    x = np.asarray(x, dtype=float)
    # work along the last axis of the transposed copy: each column contiguous (sorting strided columns of a
    # 100,000 x 50 table was 10x slower); same stable sort and arithmetic, so the same ranks
    xt = np.swapaxes(x, -1, -2)
    nan = np.isnan(xt)
    xf = np.where(nan, np.inf, xt)
    order = np.argsort(xf, axis=-1, kind="stable")
    xs = np.take_along_axis(xf, order, axis=-1)
    n = xt.shape[-1]
    pos = np.arange(n, dtype=float)
    new = np.ones(xs.shape, dtype=bool)
    new[..., 1:] = xs[..., 1:] != xs[..., :-1]
    end = np.ones(xs.shape, dtype=bool)
    end[..., :-1] = new[..., 1:]
    first = np.maximum.accumulate(np.where(new, pos, 0.0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, float(n)), axis=-1), axis=-1), axis=-1)
    avg = (first + last) / 2.0 + 1.0
    ranks = np.empty_like(avg)
    np.put_along_axis(ranks, order, avg, axis=-1)
    ranks[nan] = np.nan
    return np.swapaxes(ranks, -1, -2)


def zscore(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column z-scores over the non-missing models, population SD (ddof=0).

    Returns ``(z, mean, sd)``. A constant column has sd 0 and z = NaN.
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(x, axis=-2, keepdims=True)
        sd = np.sqrt(np.nanmean((x - mean) ** 2, axis=-2, keepdims=True))
        z = (x - mean) / np.where(sd > 0, sd, np.nan)
    return z, mean.squeeze(-2), sd.squeeze(-2)


def _pearson_complete(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation along axis -2 of arrays without NaN (broadcasting)."""
    a = a - a.mean(axis=-2, keepdims=True)
    b = b - b.mean(axis=-2, keepdims=True)
    num = (a * b).sum(axis=-2)
    den = np.sqrt((a * a).sum(axis=-2) * (b * b).sum(axis=-2))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    r = np.where(den > 1e-12 * np.maximum(1.0, np.abs(num)), r, np.nan)
    return np.clip(r, -1.0, 1.0)


def pairwise_corr_masked(
    x: np.ndarray, y: np.ndarray, method: str = "spearman", x_order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Correlation of every column of ``x`` with ``y`` under pairwise deletion.

    ``x``: ``(..., n, k)``; ``y``: ``(..., n)``. For each column the models where
    both values are present are kept; Spearman ranks are computed within that
    subset (as ``pandas.DataFrame.corr`` does). Returns ``(r, n)`` shaped
    ``(..., k)``; ``r`` is NaN when fewer than 3 pairs remain or a side is
    constant.

    For a 2-D ``x`` and 1-D ``y`` the Spearman ranks within each column's
    subset are counted in one sort of ``y`` and one of each column of ``x``
    (``x_order``: that sort, :func:`column_order`, reusable across calls with
    the same ``x``), instead of sorting every masked column twice.
    """
    _check_method(method)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    yb = np.broadcast_to(y[..., :, None], x.shape)
    valid = ~np.isnan(x) & ~np.isnan(yb)
    n = valid.sum(axis=-2)
    if method == "spearman" and x.ndim == 2 and y.ndim == 1:
        xm = subset_ranks(x, valid, column_order(x) if x_order is None else x_order)
        ym = subset_ranks(y, valid, column_order(y))
    else:
        xm = np.where(valid, x, np.nan)
        ym = np.where(valid, yb, np.nan)
        if method == "spearman":
            xm = rankdata(xm)
            ym = rankdata(ym)
    return _masked_r(_centred(xm, valid, n), _centred(ym, valid, n), n), n


def _centred(m: np.ndarray, valid: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, deviations (0 outside valid), sum of squares)`` of each column of ``m`` over its valid rows."""
    cnt = np.where(n > 0, n, 1)
    mean = np.nansum(m, axis=-2) / cnt
    d = np.where(valid, m - mean[..., None, :], 0.0)
    return mean, d, (d * d).sum(axis=-2)


def _masked_r(cx: tuple[np.ndarray, ...], cy: tuple[np.ndarray, ...], n: np.ndarray) -> np.ndarray:
    """Pearson r of centred columns (:func:`_centred`); NaN below 3 pairs or where a side is constant."""
    (mx, dx, sxx), (my, dy, syy) = cx, cy
    return _r_from_sums((dx * dy).sum(axis=-2), mx, sxx, my, syy, n)


def _r_from_sums(num: np.ndarray, mx: np.ndarray, sxx: np.ndarray, my: np.ndarray, syy: np.ndarray,
                 n: np.ndarray) -> np.ndarray:
    """:func:`_masked_r` from its sums: cross products ``num``, means and sums of squares of both sides, pairs ``n``."""
    den = np.sqrt(sxx * syy)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    ok = (n >= 3) & (sxx > 1e-12 * np.maximum(1.0, np.abs(mx) ** 2 * n)) & (syy > 1e-12 * np.maximum(1.0, np.abs(my) ** 2 * n))
    return np.where(ok, np.clip(r, -1.0, 1.0), np.nan)


class ColumnCorrelator:
    """:func:`pairwise_corr_masked` of one table ``x`` (``(n, k)``) with many score vectors ``y`` (``(n,)``).

    Each column is sorted and ranked once. For a new ``y`` a model's rank within its column's subset (the models
    with both values) is its rank among all of the column's values less the models the subset leaves out below it
    (ties count half): those are the few models without a score, so a leave-one-capability-benchmark-out run costs
    binary searches, not a re-ranking of every benchmark. Results are those of :func:`pairwise_corr_masked`, bit for
    bit (ranks are exact multiples of 1/2).
    """

    def __init__(self, x: np.ndarray, method: str = "spearman", order: np.ndarray | None = None) -> None:
        _check_method(method)
        self.x = np.asarray(x, dtype=float)
        self.method = method
        if method == "spearman":
            n = self.x.shape[0]
            self.present = ~np.isnan(self.x)
            self.order = column_order(self.x) if order is None else order  # (k, n); ``order``: that sort, done before
            self.sorted_vals = np.take_along_axis(np.where(self.present, self.x, np.inf).T, self.order, axis=1)
            self.full = np.empty_like(self.sorted_vals)  # average rank among the column's present values, by position
            for j, vs in enumerate(self.sorted_vals):
                new = np.ones(n, dtype=bool)
                new[1:] = vs[1:] != vs[:-1]
                end = np.ones(n, dtype=bool)
                end[:-1] = new[1:]
                pos = np.arange(n)
                start = np.maximum.accumulate(np.where(new, pos, 0))
                stop = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, n - 1))))
                self.full[j] = (start + stop) / 2.0 + 1.0

    def _x_ranks(self, y_absent: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Ranks ``(n, k)`` of each column within its subset (present in the column, ``y`` present); NaN outside."""
        k, n = self.order.shape
        out = np.empty((k, n))
        absent_sorted = y_absent[self.order]  # (k, n) by sorted position
        for j in range(k):
            vs = self.sorted_vals[j]
            gone = vs[absent_sorted[j] & np.isfinite(vs)]  # ascending
            below = np.searchsorted(gone, vs, side="left")
            out[j, self.order[j]] = self.full[j] - below - (np.searchsorted(gone, vs, side="right") - below) / 2.0
        ranks = out.T
        return np.where(valid, ranks, np.nan)

    def _x_side(self, absent: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        """``(valid, n, centred x)`` for the models ``absent`` from ``y``; the last pattern's is kept and reused (the
        refits of a sensitivity run mostly leave the same models unscored), so the table is re-ranked only when the
        pattern changes. The same arrays as a fresh computation, so the same bits."""
        key = np.packbits(absent).tobytes()
        cached = self.__dict__.get("_last")
        if cached is not None and cached[0] == key:
            return cached[1]
        valid = ~np.isnan(self.x) & ~absent[:, None]
        n = valid.sum(axis=0)
        xm = self._x_ranks(absent, valid) if self.method == "spearman" else np.where(valid, self.x, np.nan)
        out = (valid, n, _centred(xm, valid, n))
        self._last = (key, out)
        return out

    def __call__(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(r, n)`` of every column of the table with ``y``, each ``(k,)``.

        Spearman: ``y`` is ranked once per distinct column subset and meets the table's centred ranks in one matrix
        product per subset. Every rank, deviation and product is a multiple of 1/4 and every sum stays below
        2**51, so the sums are exact whatever their order: the same bits as :func:`pairwise_corr_masked`.
        """
        y = np.asarray(y, dtype=float)
        valid, n, cx = self._x_side(np.isnan(y))
        if self.method != "spearman":
            ym = np.where(valid, np.broadcast_to(y[:, None], valid.shape), np.nan)
            return _masked_r(cx, _centred(ym, valid, n), n), n
        ranks, first, inverse = _subset_ranks_by_pattern(y, valid, column_order(y))
        mx, dx, sxx = cx
        num, my, syy = np.empty(len(n)), np.empty(len(n)), np.empty(len(n))
        for q, ry in enumerate(ranks):
            cols = np.flatnonzero(inverse == q)
            inside = ~np.isnan(ry)
            cnt = max(int(inside.sum()), 1)
            my[cols] = np.where(inside, ry, 0.0).sum() / cnt
            dy = np.where(inside, ry - my[cols[0]], 0.0)
            syy[cols] = dy @ dy
            num[cols] = dy @ (dx if len(cols) == dx.shape[1] else dx[:, cols])
        return _r_from_sums(num, mx, sxx, my, syy, n), n


def column_order(v: np.ndarray) -> np.ndarray:
    """Stable ascending sort of ``v`` (``(n,)``: ``(n,)``) or of each column of ``v`` (``(n, k)``: ``(k, n)``), NaN last."""
    v = np.asarray(v, dtype=float)
    key = np.where(np.isnan(v), np.inf, v)
    return np.argsort(key if key.ndim == 1 else key.T, axis=-1, kind="stable")


def _vector_subset_ranks(v: np.ndarray, valid: np.ndarray, order: np.ndarray) -> np.ndarray:
    """:func:`subset_ranks` of one vector ``v`` (``(n,)``) within each column's subset ``valid[:, j]`` (``(n, k)``).

    A model's average rank within a subset is its rank among all of ``v``'s values less the models left out of the
    subset below it (ties count half): ``rank_j(i) = rank(i) - #{out_j: v < v_i} - #{out_j: v = v_i} / 2``. The
    left-out models of a column are few (the models a benchmark lacks), so each column costs a sort of those and
    two binary searches, not a pass over every model; columns with the same subset are ranked once. Ranks are
    exact multiples of 1/2, so the result equals the counting route bit for bit.
    """
    ranks, _, inverse = _subset_ranks_by_pattern(v, valid, order)
    return ranks[inverse].T


def _subset_ranks_by_pattern(v: np.ndarray, valid: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`_vector_subset_ranks` once per distinct subset: ``(ranks (u, n), first, inverse)`` (NaN outside a
    subset; ``first``/``inverse`` as :func:`_distinct_columns`)."""
    n, k = valid.shape
    present = ~np.isnan(v)
    vs = np.where(present, v, np.inf)[order]  # ascending, absent values last
    new = np.ones(n, dtype=bool)
    new[1:] = vs[1:] != vs[:-1]
    pos = np.arange(n)
    end = np.ones(n, dtype=bool)
    end[:-1] = new[1:]
    start = np.maximum.accumulate(np.where(new, pos, 0))
    stop = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, n - 1))))
    full = (start + stop) / 2.0 + 1.0  # average rank among every present value, by sorted position
    first, inverse = _distinct_columns(valid)
    inside = np.ascontiguousarray(valid.T[first])[:, order]  # (u, n) subsets, by sorted position
    outside = present[order] & ~inside
    ranks = np.empty((len(first), n))
    for q in range(len(first)):
        out_vals = vs[outside[q]]  # already ascending
        below = np.searchsorted(out_vals, vs, side="left")  # sorted keys: the searches walk forward, in cache
        ranks[q] = full - below - (np.searchsorted(out_vals, vs, side="right") - below) / 2.0
    ranks[~inside] = np.nan
    out = np.empty_like(ranks)
    out[:, order] = ranks
    return out, first, inverse


def _distinct_columns(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)`` of the distinct columns of the boolean ``valid`` (``(n, k)``): the first column of each
    distinct pattern (in order of first appearance) and each column's pattern. Hashes the packed columns (a
    lexicographic ``numpy.unique(..., axis=0)`` of ``k`` rows of ``n / 8`` bytes cost a quarter second at 100,000
    models)."""
    packed = np.packbits(valid, axis=0).T
    seen: dict[bytes, int] = {}
    first, inverse = [], np.empty(valid.shape[1], dtype=int)
    for j, row in enumerate(packed):
        q = seen.setdefault(row.tobytes(), len(seen))
        if q == len(first):
            first.append(j)
        inverse[j] = q
    return np.array(first, dtype=int), inverse


def subset_ranks(v: np.ndarray, valid: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) of ``v`` within each column's subset ``valid[:, j]``; NaN outside it.

    ``v``: ``(n,)`` (one sort shared by every column) or ``(n, k)``; ``valid``:
    ``(n, k)`` booleans; ``order``: :func:`column_order` of ``v``. Counting
    the subset's members in sorted order gives the same ranks as
    :func:`rankdata` of each masked column (ties averaged; all values are
    exact multiples of 1/2).
    """
    v = np.asarray(v, dtype=float)
    n, k = valid.shape
    if v.ndim == 1:
        return _vector_subset_ranks(v, valid, order)
    vt = valid.T
    base = (np.arange(k) * n)[:, None]  # flat indexing: numpy's take/put on flat indices beat take_along_axis 5x
    if v.ndim == 1:
        w = vt[:, order].astype(float)
        vs = np.where(np.isnan(v), np.inf, v)[order]
        new = np.ones(n, dtype=bool)
        new[1:] = vs[1:] != vs[:-1]
        flat_order = (order[None, :] + base).ravel()
    else:
        flat_order = (order + base).ravel()
        w = vt.ravel()[flat_order].reshape(k, n).astype(float)
        vs = np.where(np.isnan(v), np.inf, v).T.ravel()[flat_order].reshape(k, n)
        new = np.ones((k, n), dtype=bool)
        new[:, 1:] = vs[:, 1:] != vs[:, :-1]
    cum = np.cumsum(w, axis=1)
    if new.all():
        rk = cum - 0.5 * w + 0.5
    else:
        new = np.broadcast_to(new, (k, n))
        end = np.ones((k, n), dtype=bool)
        end[:, :-1] = new[:, 1:]
        pos = np.arange(n)
        gs = np.maximum.accumulate(np.where(new, pos, 0), axis=1) + base
        ge = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, n - 1), axis=1), axis=1), axis=1) + base
        rk = ((cum - w).ravel()[gs.ravel()] + cum.ravel()[ge.ravel()]).reshape(k, n) / 2.0 + 0.5
    out = np.empty(k * n)
    out[flat_order] = rk.ravel()
    out = out.reshape(k, n)
    out[~vt] = np.nan
    return out.T


def corr_matrix(x: np.ndarray, method: str = "spearman") -> np.ndarray:
    """Correlation matrix (k x k) of the columns of a complete ``(..., n, k)`` array."""
    _check_method(method)
    x = np.asarray(x, dtype=float)
    if method == "spearman":
        x = rankdata(x)
    xc = x - x.mean(axis=-2, keepdims=True)
    cov = np.swapaxes(xc, -1, -2) @ xc
    d = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = cov / (d[..., :, None] * d[..., None, :])
    return c


def top_components(c: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and top eigenvector of correlation matrices.

    Returns ``(eigenvalues, pc1)``; ``pc1`` is signed so that its
    largest-magnitude entry is positive (the paper's rule). Works batched on
    ``(B, k, k)``.
    """
    vals, vecs = np.linalg.eigh(c)
    vals = vals[..., ::-1]
    v = vecs[..., :, -1]
    idx = np.argmax(np.abs(v), axis=-1)
    sign = np.sign(np.take_along_axis(v, idx[..., None], axis=-1))
    sign = np.where(sign == 0, 1.0, sign)
    return vals, v * sign


def ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float, int]:
    """Least-squares fit ``y = a + b x`` over pairs where both are present: ``(a, b, n)``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~np.isnan(x) & ~np.isnan(y)
    n = int(ok.sum())
    if n < 2:
        return float("nan"), float("nan"), n
    xs, ys = x[ok], y[ok]
    xm, ym = xs.mean(), ys.mean()
    sxx = ((xs - xm) ** 2).sum()
    if sxx <= 0:
        return float("nan"), float("nan"), n
    b = ((xs - xm) * (ys - ym)).sum() / sxx
    return float(ym - b * xm), float(b), n


def _check_method(method: str) -> None:
    if method not in METHODS:
        from .errors import UnknownIdError

        raise UnknownIdError(f"unknown correlation method {method!r}; choose spearman or pearson")
