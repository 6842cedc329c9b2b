"""The PCA score inside bootstrap resamples: the whole capabilities analysis for many weighted resamples at once.

A resample of models is represented by its **count vector** ``c`` (how many
times each model was drawn; ``sum(c) = n`` for a bootstrap draw, ``1 - e_i``
for leaving model ``i`` out). Every statistic of the paper's pipeline is a
weighted statistic of the original rows, so no resampled copy of the data is
ever built:

* z-scores: weighted means and population SDs of the capability columns over
  the drawn models that have them;
* Spearman ranks inside a resample: the rank of model ``i`` in column ``j`` is
  ``sum_l c_l [x_l < x_i] + (sum_l c_l [x_l == x_i] + 1) / 2`` (average rank
  of its tie group, duplicates of a drawn model being ties), a matrix product
  of the count vector with a fixed comparison matrix;
* the capability correlation matrix: weighted Pearson on those ranks (or on
  the values), batched ``(B, k, k)``, then one batched ``numpy.linalg.eigh``;
* every benchmark's correlation with the resample's capabilities score under
  pairwise deletion: the cross term ``sum_i c_i rank_x(i) rank_s(i)`` is a
  bilinear form ``(c * rank_s) L c`` evaluated for all benchmarks with one
  matrix product of the outer products ``(B, n*n)`` by the comparison
  matrices ``(n*n, p)``; the rank sums of squares have the closed form
  ``(N^3 - N)/12 - sum_ties (T^3 - T)/12``.

For Spearman every quantity above is a sum of multiples of 1/4 below 2**22,
so the big product is exact in float32 (checked: used only when
``4 n^3 < 2**24``). Results equal, up to floating-point rounding, those of
the paper's pipeline run on the materialised resample (tests compare with a
slow reference implementation at 1e-9).

Degenerate resamples (fewer than 3 distinct complete models, a capability
column constant among the drawn models) give NaN for every benchmark and are
counted by the caller; a benchmark with fewer than 3 drawn pairs or a
constant side in a resample gets NaN in that resample only.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._util.stats import _check_method

MIN_DISTINCT = 3
FEW_COLUMNS = 8  # validity patterns with at most this many benchmarks take the per-column route
MAX_CHUNK_CELLS = 2**18  # resamples per chunk x n x n: small temporaries stay in cache (measured best)


@dataclass(frozen=True)
class WeightedRun:
    """Output of :meth:`Engine.run` for ``B`` weight vectors.

    ``r``: ``(B, p)`` correlation of every benchmark with the capabilities
    score (NaN where undefined); ``ok``: ``(B,)`` resample not degenerate;
    ``pc1``: ``(B,)`` PC1 share of the capability correlation matrix (NaN
    when degenerate).
    """

    r: np.ndarray
    ok: np.ndarray
    pc1: np.ndarray


class Engine:
    """Prepared arrays of one score matrix for weighted re-analysis.

    ``x``: ``(n, p)`` scores (NaN = missing), every column higher = better;
    ``cap_idx``: indices of the capability columns; ``method``: ``spearman`` or
    ``pearson``. Models missing any capability value have no capabilities
    score (as in the point estimate) but still count in the z-scores of the
    capability columns they have. The Spearman route keeps ``n x n x p``
    comparison matrices (4-8 bytes each: ~0.5 MB for the paper's panels, ~80
    MB for 200 models x 250 benchmarks).
    """

    def __init__(self, x: np.ndarray, cap_idx: list[int] | np.ndarray, method: str = "spearman") -> None:
        _check_method(method)
        x = np.asarray(x, dtype=float)
        n, p = x.shape
        cap_idx = np.asarray(cap_idx, dtype=int)
        self.n, self.p, self.k = n, p, len(cap_idx)
        self.method = method
        xcap = x[:, cap_idx]
        self.cap_present = (~np.isnan(xcap)).astype(float)
        complete = ~np.isnan(xcap).any(axis=1)
        self.complete = complete.astype(float)
        valid = ~np.isnan(x) & complete[:, None]
        self.valid = valid.astype(float)
        with np.errstate(invalid="ignore"):
            cmean = np.nanmean(xcap, axis=0)
            scale = np.nanstd(xcap, axis=0)
        self.xcap0 = np.where(np.isnan(xcap), 0.0, xcap - cmean)
        self.cap_scale = np.where(scale > 0, scale, 1.0)
        self.cap_stack = np.ascontiguousarray(np.hstack([self.cap_present, self.xcap0, self.xcap0**2]))

        if method == "spearman":
            self._prepare_spearman(x, valid, cap_idx)
        else:
            colmean = np.nanmean(np.where(valid, x, np.nan), axis=0) if valid.any() else np.zeros(p)
            colmean = np.where(np.isnan(colmean), 0.0, colmean)
            self.xv = np.where(valid, x - colmean, 0.0)
            self.xv2 = self.xv**2
            self.cap_outer = (self.xcap0[:, :, None] * self.xcap0[:, None, :]).reshape(n, self.k * self.k)

    def _prepare_spearman(self, x: np.ndarray, valid: np.ndarray, cap_idx: np.ndarray) -> None:
        """Comparison matrices ``(n, n, p)`` of every column (the pairwise route)."""
        n, p = x.shape
        self.dtype = np.float32 if 4 * n**3 < 2**24 else np.float64
        # validity patterns of the benchmark columns (usually one or two)
        pats, inv = np.unique(valid.T, axis=0, return_inverse=True)
        self.patterns = pats.astype(float)  # (u, n)
        inv = np.asarray(inv).ravel()
        self.pattern_cols = [np.flatnonzero(inv == q) for q in range(len(pats))]
        self.col_pattern = inv
        # L[i, j, col] = [x_j < x_i] + 0.5 [x_j == x_i]  (NaN compares False -> 0)
        xi, xj = x[:, None, :], x[None, :, :]
        with np.errstate(invalid="ignore"):
            L = (xj < xi).astype(float) + 0.5 * (xj == xi)
        # per validity pattern: (n*n, cols) blocks for the big product, (cols, j, i) for patterns with few columns
        self.L_blocks = [
            np.ascontiguousarray(L[:, :, cols].reshape(n * n, len(cols)), dtype=self.dtype)
            if len(cols) > FEW_COLUMNS
            else np.ascontiguousarray(L[:, :, cols].transpose(2, 1, 0))
            for cols in self.pattern_cols
        ]
        # capability ranks over complete models: K[j, i*k + kk] = L[i, j, cap kk]
        self.Kcaps = np.ascontiguousarray(L[:, :, cap_idx].transpose(1, 0, 2).reshape(n, n * self.k)).astype(self.dtype)
        # tie structure among the valid models of each column (for the rank sums of squares)
        eq = (xj == xi) & valid[:, None, :] & valid[None, :, :]
        cnt = eq.sum(axis=1)  # (n, p): size of i's tie group in column
        self.single = np.ascontiguousarray((valid & (cnt == 1)).astype(float))
        earlier = np.tril(np.ones((n, n), dtype=bool), -1)  # earlier[i, j] = j < i
        has_earlier = (eq & earlier[:, :, None]).any(axis=1)
        rep_i, rep_c = np.nonzero(valid & (cnt > 1) & ~has_earlier)
        order = np.argsort(rep_c, kind="stable")
        rep_i, rep_c = rep_i[order], rep_c[order]
        self.G = eq[rep_i, :, rep_c].T.astype(float)  # (n, g) members of each tied group, by column
        self.tie_cols, self.tie_starts = np.unique(rep_c, return_index=True)
        self.valid_G = np.ascontiguousarray(np.hstack([self.valid, self.G]))

    # ------------------------------------------------------------------
    def chunk_size(self) -> int:
        """Resamples per chunk: about ``2**18 / n**2`` (64 to 4,096)."""
        return int(min(max(64, MAX_CHUNK_CELLS // (self.n * self.n)), 4096))

    def run(self, counts: np.ndarray, progress: Callable[[int], None] | None = None, chunk: int | None = None) -> WeightedRun:
        """Analyse every row of ``counts`` (``(B, n)`` non-negative weights summing to at most ``n``).

        Rows are processed in chunks of about ``2**18 / n**2`` resamples, so
        the temporaries stay in cache (measured faster than larger chunks);
        ``progress(k)`` is called after each chunk with its size.
        """
        counts = np.asarray(counts, dtype=float)
        B = counts.shape[0]
        chunk = chunk or self.chunk_size()
        r = np.empty((B, self.p))
        ok = np.empty(B, dtype=bool)
        pc1 = np.empty(B)
        with single_blas_thread():
            for a in range(0, B, chunk):
                b = min(B, a + chunk)
                r[a:b], ok[a:b], pc1[a:b] = self._chunk(counts[a:b])
                if progress is not None:
                    progress(b - a)
        return WeightedRun(r=r, ok=ok, pc1=pc1)

    def _chunk(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        wc, nc, mu, sd, ok = self._zparams(c)
        # capability correlation matrix over the complete models
        if self.method == "spearman":
            n, k = self.n, self.k
            rc = (wc.astype(self.dtype) @ self.Kcaps).astype(float).reshape(c.shape[0], n, k) + 0.5
            cov, diag, ok = self._rank_cov(rc, wc, nc, ok)
        else:
            cov, diag, ok = self._value_cov(wc, nc, ok)
        pc1, s, ok = self._scores(cov, diag, mu, sd, ok)
        if self.method == "spearman":
            r = self._spearman(c, s)
        else:
            r = self._pearson(c, s)
        r[~ok] = np.nan
        return r, ok, pc1

    def _zparams(self, c: np.ndarray) -> tuple[np.ndarray, ...]:
        """Weights of the complete models, their total, capability means and SDs, non-degenerate flags."""
        k = self.k
        wc = c * self.complete  # weights of the complete models
        nc = wc.sum(axis=1)
        distinct = ((c > 0) & (self.complete > 0)).sum(axis=1)
        # z-score parameters of the capability columns (over drawn models that have them)
        sums = c @ self.cap_stack  # one product: counts, sums and sums of squares of the capability columns
        s0, s1, s2 = sums[:, :k], sums[:, k : 2 * k], sums[:, 2 * k :]
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = s1 / s0
            var = s2 / s0 - mu**2
        sd = np.sqrt(np.maximum(var, 0.0))
        ok = (distinct >= MIN_DISTINCT) & np.all(sd > 1e-9 * self.cap_scale, axis=1)
        return wc, nc, mu, sd, ok

    @staticmethod
    def _rank_cov(rc: np.ndarray, wc: np.ndarray, nc: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, ...]:
        """Weighted covariance ``(b, k, k)`` of the capability ranks ``rc`` (``(b, n, k)``) of the complete models."""
        d = rc - ((nc + 1.0) / 2.0)[:, None, None]
        cov = np.swapaxes(d * wc[:, :, None], 1, 2) @ d
        diag = np.diagonal(cov, axis1=1, axis2=2)
        return cov, diag, ok & np.all(diag > 1e-9, axis=1)

    def _value_cov(self, wc: np.ndarray, nc: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, ...]:
        b, k = wc.shape[0], self.k
        with np.errstate(invalid="ignore", divide="ignore"):
            m1 = (wc @ self.xcap0) / nc[:, None]
            m2 = (wc @ self.cap_outer).reshape(b, k, k)
            cov = m2 - nc[:, None, None] * m1[:, :, None] * m1[:, None, :]
        diag = np.diagonal(cov, axis1=1, axis2=2)
        raw = np.diagonal(m2, axis1=1, axis2=2)
        return cov, diag, ok & np.all(diag > 1e-9 * raw, axis=1)

    def _scores(
        self, cov: np.ndarray, diag: np.ndarray, mu: np.ndarray, sd: np.ndarray, ok: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """PC1 share and every model's capabilities score in each resample (garbage for incomplete models)."""
        k = self.k
        with np.errstate(invalid="ignore", divide="ignore"):
            dd = np.sqrt(np.where(diag > 0, diag, 1.0))
            corr = cov / (dd[:, :, None] * dd[:, None, :])
        corr[~ok] = np.eye(k)
        lam, w = top_eigen(corr)
        pc1 = np.where(ok, lam / np.trace(corr, axis1=1, axis2=2), np.nan)
        a = w / np.where(ok[:, None], sd, 1.0)
        # (einsum's own loop, not BLAS: models with identical rows get bit-identical scores, i.e. ties)
        s = np.einsum("ik,bk->bi", self.xcap0, a) - np.einsum("bk,bk->b", np.where(ok[:, None], mu, 0.0), a)[:, None]
        return pc1, s, ok

    def _spearman(self, c: np.ndarray, s: np.ndarray) -> np.ndarray:
        n = self.n
        b = c.shape[0]
        W = c[:, :, None] * self.patterns.T[None, :, :]  # (b, n, u) weights per validity pattern
        N = W.sum(axis=1)  # (b, u)
        rs = weighted_ranks(s, W)  # score ranks within each validity pattern
        m = (N + 1.0) / 2.0
        ssy = (W * (rs - m[:, None, :]) ** 2).sum(axis=1)  # (b, u)

        p = self.p
        both = c @ self.valid_G  # pairs per benchmark, then weights of the tied groups
        ncol, T = both[:, :p], both[:, p:]
        ties = (c * c * c - c) @ self.single
        if len(self.tie_cols):
            ties[:, self.tie_cols] += np.add.reduceat(T * T * T - T, self.tie_starts, axis=1)
        ssx = (ncol * ncol * ncol - ncol - ties) / 12.0

        cross = np.empty((b, p))
        for q, cols in enumerate(self.pattern_cols):
            wq = W[:, :, q]
            u = wq * rs[:, :, q]
            if len(cols) <= FEW_COLUMNS:  # few columns: ranks of each column, then the weighted cross sum
                rx = np.einsum("bj,cji->bci", wq, self.L_blocks[q])
                cross[:, cols] = np.einsum("bi,bci->bc", u, rx) + 0.5 * u.sum(axis=1)[:, None]
            else:
                u32, w32 = u.astype(self.dtype), wq.astype(self.dtype)
                outer = (u32[:, :, None] * w32[:, None, :]).reshape(b, n * n)
                cross[:, cols] = (outer @ self.L_blocks[q]).astype(float) + 0.5 * u.sum(axis=1)[:, None]
        if len(self.pattern_cols) == 1:
            cov = cross - (N * m * m)
            den2 = ssx * ssy
            good = (ncol >= 3) & (ssx > 1e-9) & (ssy > 1e-9)
        else:
            cp = self.col_pattern
            cov = cross - (N * m * m)[:, cp]
            sy = ssy[:, cp]
            den2 = ssx * sy
            good = (ncol >= 3) & (ssx > 1e-9) & (sy > 1e-9)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov / np.sqrt(den2)
        r[~good] = np.nan
        return np.clip(r, -1.0, 1.0, out=r)

    def _pearson(self, c: np.ndarray, s: np.ndarray) -> np.ndarray:
        cs = c * s
        N = c @ self.valid
        sx = c @ self.xv
        sxx = c @ self.xv2
        ss = cs @ self.valid
        sss = (cs * s) @ self.valid
        sxs = cs @ self.xv
        with np.errstate(invalid="ignore", divide="ignore"):
            varx = sxx - sx**2 / N
            vars_ = sss - ss**2 / N
            cov = sxs - sx * ss / N
            good = (N >= 3) & (varx > 1e-10 * sxx) & (vars_ > 1e-10 * sss)
            r = np.where(good, cov / np.sqrt(np.where(good, varx * vars_, 1.0)), np.nan)
        return np.clip(r, -1.0, 1.0)


class SortedEngine(Engine):
    """The Spearman analysis of many weighted resamples by counting ranks: memory ``~ chunk x n x p``.

    Same interface and results as :class:`Engine` (to rounding), without its
    ``n x n x p`` comparison matrices, for tables with many models. Each
    column is sorted once; inside a resample the weighted average rank of
    the model at sorted position ``t`` is a cumulative sum of the drawn
    counts in that order, ``cum(t) - (c(t) - 1) / 2``, or, in a tie group
    ``[s, e]``, ``(cum(s) - c(s) + cum(e) + 1) / 2``. The capabilities score
    changes in every resample, so its ranks are recomputed by one sort per
    resample and validity pattern (:func:`weighted_ranks`). The cross sum
    ``sum_i c_i rank_x(i) rank_s(i)`` is then one pass over ``(b, n, p)``.
    Time ``O(B n p)`` instead of ``O(B n^2 p)``.
    """

    def _prepare_spearman(self, x: np.ndarray, valid: np.ndarray, cap_idx: np.ndarray) -> None:
        # arrays are laid out (benchmark, position): each column's models contiguous, so gathers stay in cache
        n, p = x.shape
        self.cap_idx = cap_idx
        pats, inv = np.unique(valid.T, axis=0, return_inverse=True)
        self.patterns = np.ascontiguousarray(pats, dtype=float)  # (u, n)
        self.col_pattern = np.asarray(inv).ravel()
        key = np.where(valid, x, np.inf).T
        order = np.argsort(key, axis=1, kind="stable")  # (p, n): valid models first, by value
        self.order = np.ascontiguousarray(order)
        nvalid = valid.sum(axis=0)
        self.sorted_valid = (np.arange(n)[None, :] < nvalid[:, None]).astype(float)
        # flat index of (pattern of column j, model at sorted position t of j) in a (u, n) array
        self.rs_index = (self.col_pattern[:, None] * n + order).ravel()
        ks = np.take_along_axis(key, order, axis=1)
        new = np.ones((p, n), dtype=bool)
        new[:, 1:] = ks[:, 1:] != ks[:, :-1]
        self.has_ties = bool((~new & (self.sorted_valid > 0)).any())
        if self.has_ties:  # flat indices of the first and last sorted position of each position's tie group
            end = np.ones((p, n), dtype=bool)
            end[:, :-1] = new[:, 1:]
            pos = np.arange(n)[None, :]
            gstart = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
            gend = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, n), axis=1), axis=1), axis=1)
            base = (np.arange(p) * n)[:, None]
            self.flat_start = (gstart + base).ravel()
            self.flat_end = (gend + base).ravel()

    def chunk_size(self) -> int:
        """Resamples per chunk (:func:`plan_chunk`)."""
        return plan_chunk(self.n, self.p, len(self.patterns))

    def run(self, counts: np.ndarray, progress: Callable[[int], None] | None = None, chunk: int | None = None) -> WeightedRun:
        """As :meth:`Engine.run`; chunks of :meth:`chunk_size` resamples (memory bounded whatever ``n``)."""
        return super().run(counts, progress, chunk or self.chunk_size())

    def _buffers(self, b: int) -> dict[str, np.ndarray]:
        """Work arrays of one chunk size, kept per thread and reused (fresh large arrays cost page faults)."""
        local = self.__dict__.setdefault("_local", threading.local())
        bufs = getattr(local, "bufs", None)
        if bufs is None or bufs["cw"].shape[0] != b:
            n, p, u = self.n, self.p, self.patterns.shape[0]
            bufs = {name: np.empty((b, p, n)) for name in ("cw", "cum", "rx", "tmp")}
            bufs["rs"] = np.empty((b, u, n))
            bufs["w"] = np.empty((u, n))
            bufs["wcum"] = np.empty((u, n))
            local.bufs = bufs
        return bufs

    def _chunk(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b, n, k = c.shape[0], self.n, self.k
        buf = self._buffers(b)
        cw, cum, rx, tmp = buf["cw"], buf["cum"], buf["rx"], buf["tmp"]
        wc, nc, mu, sd, ok = self._zparams(c)
        np.take(c, self.order, axis=1, out=cw, mode="clip")  # (b, p, n): counts in each column's sorted order
        cw *= self.sorted_valid
        np.cumsum(cw, axis=2, out=cum)
        if self.has_ties:  # average rank of a tie group [s, e]: (cum(s) - c(s) + cum(e) + 1) / 2
            np.subtract(cum, cw, out=tmp)
            np.take(tmp.reshape(b, -1), self.flat_start, axis=1, out=rx.reshape(b, -1), mode="clip")
            np.take(cum.reshape(b, -1), self.flat_end, axis=1, out=tmp.reshape(b, -1), mode="clip")
            rx += tmp
            rx *= 0.5
        else:  # average rank of each sorted position: cum - (c - 1) / 2
            np.multiply(cw, -0.5, out=rx)
            rx += cum
        rx += 0.5
        ncol = cum[:, :, -1].copy()  # (b, p) drawn models per column
        # capability ranks back in model order (rows of incomplete models: finite, weight 0)
        rc = np.empty((b, k, n))
        np.put_along_axis(rc, np.broadcast_to(self.order[self.cap_idx], (b, k, n)), rx[:, self.cap_idx, :], axis=2)
        cov, diag, ok = self._rank_cov(rc.transpose(0, 2, 1), wc, nc, ok)
        pc1, s, ok = self._scores(cov, diag, mu, sd, ok)

        rs, ssy = self._score_ranks(c, s, buf)  # (b, u, n) in model order, (b, u)
        rs_x = tmp
        # score ranks in each column's sorted order
        np.take(rs.reshape(b, -1), self.rs_index, axis=1, out=rs_x.reshape(b, -1), mode="clip")
        a = np.multiply(cw, rx, out=cum)
        cross = np.einsum("bjt,bjt->bj", a, rs_x)
        mx = (ncol + 1.0) / 2.0
        ssx = np.einsum("bjt,bjt->bj", a, rx) - ncol * mx * mx
        cov_r = cross - ncol * mx * mx
        sy = ssy[:, self.col_pattern]
        good = (ncol >= 3) & (ssx > 1e-9) & (sy > 1e-9)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov_r / np.sqrt(ssx * sy)
        r[~good] = np.nan
        np.clip(r, -1.0, 1.0, out=r)
        r[~ok] = np.nan
        return r, ok, pc1

    def _score_ranks(self, c: np.ndarray, s: np.ndarray, buf: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Weighted average ranks ``(b, u, n)`` of the scores among each validity pattern's drawn models, and
        their sums of squared deviations ``(b, u)`` (as :func:`weighted_ranks`, laid out by pattern).

        Without ties between distinct models the sums of squares have the closed form
        ``(N^3 - N - sum_i (c_i^3 - c_i)) / 12`` (the copies of a drawn model tie).
        """
        b, n = s.shape
        P = self.patterns
        o = np.argsort(s, axis=1, kind="stable")
        ss = np.take_along_axis(s, o, axis=1)
        co = np.take_along_axis(c, o, axis=1)
        new = np.ones((b, n), dtype=bool)
        new[:, 1:] = ss[:, 1:] != ss[:, :-1]
        N = c @ P.T
        ssy = (N * N * N - N - (c * c * c - c) @ P.T) / 12.0
        rs, w, cum = buf["rs"], buf["w"], buf["wcum"]
        for i in range(b):
            np.take(P, o[i], axis=1, out=w, mode="clip")
            w *= co[i]
            np.cumsum(w, axis=1, out=cum)
            if new[i].all():
                w *= -0.5
                w += cum
                w += 0.5
                rk = w
            else:  # ties between distinct models: average over the tie group [gs, ge]
                end = np.ones(n, dtype=bool)
                end[:-1] = new[i, 1:]
                pos = np.arange(n)
                gs = np.maximum.accumulate(np.where(new[i], pos, 0))
                ge = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, n))))
                rk = np.take(cum - w, gs, axis=1)
                rk += np.take(cum, ge, axis=1)
                rk *= 0.5
                rk += 0.5
                m = (cum[:, -1] + 1.0) / 2.0
                ssy[i] = (w * (rk - m[:, None]) ** 2).sum(axis=1)
            rs[i][:, o[i]] = rk
        return rs, ssy


SORTED_CHUNK_CELLS = 2**20  # cells (b x n x p) of each temporary of the sorted engine: 8 MiB in float64
SORTED_TEMPORARIES = 9  # arrays of that size alive at once: 4 of (b, p, n), 1 of (b, u, n), 2 of (u, n), + margin


def plan_chunk(n: int, p: int, u: int = 1) -> int:
    """Resamples per chunk of :class:`SortedEngine`, so that its peak working memory stays near
    ``SORTED_TEMPORARIES x 8 x max(SORTED_CHUNK_CELLS, n x max(p, u))`` bytes whatever the number of resamples.

    At least one resample per chunk (a single resample of ``n`` models x ``p`` benchmarks is the unit of work).
    """
    return max(1, SORTED_CHUNK_CELLS // max(1, n * max(p, u)))


def chunk_bytes(n: int, p: int, u: int, chunk: int) -> int:
    """Planned peak working memory (bytes) of one :class:`SortedEngine` chunk."""
    return SORTED_TEMPORARIES * 8 * chunk * n * max(p, u)


PAIRWISE_MAX_MODELS = 150  # above this the sorted engine is faster (measured crossover 150-300 models)
PAIRWISE_MAX_CELLS = 2**23  # n x n x p comparison cells of the pairwise engine (64 MiB in float64)


def make_engine(x: np.ndarray, cap_idx: list[int] | np.ndarray, method: str = "spearman") -> Engine:
    """The engine for a score matrix ``x`` (``(n, p)``): the pairwise :class:`Engine` for small Spearman
    tables (fastest at panel size) and every Pearson table, the :class:`SortedEngine` for larger Spearman
    tables (``n > PAIRWISE_MAX_MODELS`` or ``n^2 p > PAIRWISE_MAX_CELLS``). Both give the same values to
    rounding; memory is ``O(n p)`` plus a bounded chunk either way."""
    _check_method(method)
    n, p = np.shape(x)
    if method == "spearman" and (n > PAIRWISE_MAX_MODELS or n * n * p > PAIRWISE_MAX_CELLS):
        return SortedEngine(x, cap_idx, method)
    return Engine(x, cap_idx, method)


def worker_threads() -> int:
    """Threads for the sorted engine's chunks: the CPUs this process may use, at most 4."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def run_chunks(
    engine: Engine, chunks, n_total: int, progress: Callable[[int], None] | None = None, threads: int | None = None
) -> WeightedRun:
    """:meth:`Engine.run` over an iterable of count chunks (``(b, n)`` each, ``n_total`` rows in all).

    The :class:`SortedEngine` analyses its chunks on :func:`worker_threads`
    threads (numpy releases the GIL in the heavy loops); at most two chunks
    per thread wait at a time, so memory stays bounded. Results do not
    depend on the number of threads.
    """
    r = np.empty((n_total, engine.p))
    ok = np.empty(n_total, dtype=bool)
    pc1 = np.empty(n_total)
    threads = threads or (worker_threads() if isinstance(engine, SortedEngine) else 1)
    a = 0
    if threads <= 1:
        for c in chunks:
            out = engine.run(c, progress=progress)
            b = a + c.shape[0]
            r[a:b], ok[a:b], pc1[a:b] = out.r, out.ok, out.pc1
            a = b
        return WeightedRun(r=r[:a], ok=ok[:a], pc1=pc1[:a])
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    step = engine.chunk_size()
    pending: deque = deque()

    def collect() -> None:
        lo, fut = pending.popleft()
        rr, oo, pp = fut.result()
        r[lo : lo + len(oo)], ok[lo : lo + len(oo)], pc1[lo : lo + len(oo)] = rr, oo, pp
        if progress is not None:
            progress(len(oo))

    with single_blas_thread(), ThreadPoolExecutor(threads) as pool:
        for c in chunks:
            c = np.asarray(c, dtype=float)
            for i in range(0, c.shape[0], step):
                pending.append((a, pool.submit(engine._chunk, c[i : i + step])))
                a += min(step, c.shape[0] - i)
                while len(pending) > 2 * threads:
                    collect()
        while pending:
            collect()
    return WeightedRun(r=r[:a], ok=ok[:a], pc1=pc1[:a])


def single_blas_thread() -> contextlib.AbstractContextManager:
    """Limit BLAS to one thread while the engine runs (``threadpoolctl``; no-op without it).

    The engine makes many small matrix products; OpenBLAS's thread hand-off
    costs more than it saves on them, and on a busy 2-core machine it made
    the 10,000-resample run 2-3x slower (measured: 3.7-4.5 s vs 1.7 s wall).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def top_eigen(c: np.ndarray, squarings: int = 5, tol: float = 1e-13) -> tuple[np.ndarray, np.ndarray]:
    """Top eigenvalue and eigenvector of symmetric PSD matrices ``(B, k, k)``, batched.

    Repeated squaring (``C^(2^squarings)``, renormalised) followed by three
    power steps; a matrix whose residual ``|Cv - lambda v|`` stays above
    ``tol * lambda`` (a nearly degenerate PC1) is redone with
    ``numpy.linalg.eigh``. Five squarings (``C^32``): with four, 21% of the
    chat panel's bootstrap matrices (second / first eigenvalue near 0.27)
    missed the tolerance and went to ``eigh``; with five, 0.3% do (measured,
    2,000 resamples; top_eigen 0.049 -> 0.028 s for 10,000). The vector is
    signed like the paper's (its largest-magnitude entry positive). About
    10x faster than a batched ``eigh`` of 12 x 12 matrices.
    """
    c = np.asarray(c, dtype=float)
    a = c / np.trace(c, axis1=-2, axis2=-1)[..., None, None]
    for _ in range(squarings):
        a = a @ a
        a /= np.trace(a, axis1=-2, axis2=-1)[..., None, None]
    col = np.argmax(np.einsum("...ii->...i", a), axis=-1)
    v = np.take_along_axis(a, col[..., None, None], axis=-1)[..., 0]
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    for _ in range(3):
        v = (c @ v[..., None])[..., 0]
        v /= np.linalg.norm(v, axis=-1, keepdims=True)
    cv = (c @ v[..., None])[..., 0]
    lam = (v * cv).sum(axis=-1)
    bad = ~(np.linalg.norm(cv - lam[..., None] * v, axis=-1) <= tol * np.abs(lam))
    if bad.any():
        vals, vecs = np.linalg.eigh(c[bad])
        lam[bad] = vals[..., -1]
        v[bad] = vecs[..., :, -1]
    idx = np.argmax(np.abs(v), axis=-1)
    sign = np.sign(np.take_along_axis(v, idx[..., None], axis=-1))
    return lam, v * np.where(sign == 0, 1.0, sign)


def weighted_ranks(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Average ranks of ``s`` (``(b, n)``) in the weighted samples ``w`` (``(b, n, u)``).

    Model ``i`` drawn ``w_i`` times ranks ``sum_j w_j [s_j < s_i] +
    (sum_j w_j [s_j == s_i] + 1) / 2``: its copies and any model with an equal
    value form one tie group. Sorting once per resample makes this O(n log n)
    instead of O(n^2).
    """
    order = np.argsort(s, axis=1, kind="stable")
    ss = np.take_along_axis(s, order, axis=1)
    ws = np.take_along_axis(w, order[:, :, None], axis=1)
    cum = np.cumsum(ws, axis=1)
    new = np.ones(ss.shape, dtype=bool)
    new[:, 1:] = ss[:, 1:] != ss[:, :-1]
    if new.all():
        rk = cum - 0.5 * ws + 0.5
    else:
        before = np.maximum.accumulate(np.where(new[:, :, None], cum - ws, 0.0), axis=1)
        end = np.ones(ss.shape, dtype=bool)
        end[:, :-1] = new[:, 1:]
        big = np.inf
        after = np.flip(np.minimum.accumulate(np.flip(np.where(end[:, :, None], cum, big), axis=1), axis=1), axis=1)
        rk = 0.5 * (before + after) + 0.5
    out = np.empty_like(rk)
    np.put_along_axis(out, order[:, :, None], rk, axis=1)
    return out
