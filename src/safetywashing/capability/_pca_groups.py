"""The grouped jackknife of the PCA score by downdating the full table's ranks: no re-ranking of the table per group.

A delete-a-group jackknife replicate keeps every model but one group ``R``
(about 1% of the models). Inside it (Spearman, as :class:`~._pca_engine.Engine`
computes it for the count vector ``1 - [i in R]``):

* a kept model's rank in a column is its rank among all the column's models
  less the removed models below it (ties count half):
  ``rank'(i) = rank(i) - (#R below i's tie group + #R in its tie group / 2)``,
  i.e. ``rank(i) - (cnt(gs) + cnt(ge + 1)) / 2`` with ``cnt(t)`` the removed
  models at sorted positions ``< t`` and ``[gs, ge]`` the tie group: a
  cumulative count of the group, no sort;
* the capability columns' rank covariance, PC1 and the scores follow exactly
  as in the engine (its own ``_zparams``, ``_rank_cov`` and ``_scores``);
* the score changes in every replicate, so its ranks ``ry'`` take one sort
  (started from the full score's order: nearly sorted);
* each benchmark's cross sum ``sum_kept rank'_x ry'`` is
  ``sum_kept rank_x ry' - sum_{l in R} (SUF(gs_l) + SUF(ge_l + 1)) / 2``
  with ``SUF(t)`` the sum of ``ry'`` over the column's sorted positions
  ``>= t``: one matrix product with the fixed full ranks and one cumulative
  sum of the score ranks in each column's order; the sums of squares are
  closed forms with the tie groups the removed models leave.

Every rank sum is a multiple of 1/4 and stays below 2**51 up to about 300,000
models, so each is exact in float64 whatever the order of summation (the score
ranks are summed in float32 over segments no longer than ``2**23 / n``
positions, exact too): the correlations are the engine's bit for bit (its
z-scores, PC1 and scores come from its own code; checked on random tables with
ties and missing values and on the 100,000 x 50 benchmark table). Time per
group ``O(n p)`` in a few passes instead of the sorted engine's ten, no sort of
the table, and no ``(chunk, p, n)`` buffers (memory ``O(n p)`` int32/float32
index arrays, shared by the threads).
"""

from __future__ import annotations

import numpy as np

from .._util.stats import _distinct_columns
from ._pca_engine import Engine, WeightedRun, single_blas_thread, worker_threads

GROUP_BATCH = 5  # replicates per task: their score ranks meet the fixed full ranks in one matrix product


class GroupJackknife(Engine):
    """Leave-one-group-out analyses of one score matrix (Spearman), as :meth:`Engine.run` would give them.

    ``x``: ``(n, p)`` scores (NaN = missing); ``cap_idx``: capability columns;
    ``x_order``: optional :func:`~safetywashing._util.stats.column_order` of
    ``x`` (``(p, n)``), reused instead of sorting again.
    """

    def __init__(self, x: np.ndarray, cap_idx: list[int] | np.ndarray, x_order: np.ndarray | None = None) -> None:
        self._x_order = x_order
        super().__init__(x, cap_idx, "spearman")
        del self.valid, self.cap_present, self._x_order  # the engine's (n, p) weights: not used here

    def _prepare_spearman(self, x: np.ndarray, valid: np.ndarray, cap_idx: np.ndarray) -> None:
        n, p = x.shape
        self.cap_idx = cap_idx
        first, inv = _distinct_columns(valid)
        self.patterns = np.ascontiguousarray(valid.T[first])  # (u, n) bool
        self.col_pattern = inv
        self.pattern_cols = [np.flatnonzero(inv == q) for q in range(len(first))]
        order = self._valid_first_order(x, valid)
        self.nvalid = valid.sum(axis=0)
        self.pos = np.empty((p, n), dtype=np.int32)  # sorted position of every model in every column
        np.put_along_axis(self.pos, order, np.broadcast_to(np.arange(n, dtype=np.int32), (p, n)), axis=1)
        self.gs, self.ge, rfull, self.tie_sum = _tie_groups(x, order, self.nvalid)
        rx = np.empty((p, n))  # full average ranks among each column's valid models, by model (0 if not valid)
        np.put_along_axis(rx, order, rfull, axis=1)
        self.rx_blocks = [np.ascontiguousarray(rx[cols].T) for cols in self.pattern_cols]  # (n, cols) per pattern
        rs = order if len(first) == 1 else (self.col_pattern[:, None] * n + order)
        self.rs_index = np.append(rs.ravel(), len(first) * n)  # flat (pattern, model) of each column's positions, + a 0
        span = max(1, 2**23 // max(n, 1))  # positions per grid segment: span x (largest rank n) <= 2**23
        self.grid = np.broadcast_to(2 * np.arange(0, n, span), (p, len(range(0, n, span))))
        # capability columns by model: full ranks and flat tie-group bounds in a (k, n + 1) count array
        k = len(cap_idx)
        rows = (np.arange(k) * (n + 1))[:, None]
        pc = self.cap_pos = self.pos[cap_idx]
        self.cap_rx = rx[cap_idx].astype(np.float32)  # halves below 2**23: exact
        self.cap_lo = np.take_along_axis(self.gs[cap_idx], pc, axis=1) + rows
        self.cap_hi = np.take_along_axis(self.ge[cap_idx], pc, axis=1) + 1 + rows
        # the full data's score order (complete models), the starting point of every replicate's sort
        ones = np.ones((1, n))
        wc, nc, mu, sd, ok = self._zparams(ones)
        cov, diag, ok = self._rank_cov(self.cap_rx.T[None], wc, nc, ok)
        _, s, _ = self._scores(cov, diag, mu, sd, ok)
        comp = np.flatnonzero(self.complete > 0)
        self.score_order = comp[np.argsort(s[0, comp], kind="stable")]

    def _valid_first_order(self, x: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Stable ascending order of each column, its valid models first (``(p, n)``), from ``x_order`` if given."""
        if self._x_order is None:
            return np.ascontiguousarray(np.argsort(np.where(valid, x, np.inf).T, axis=1, kind="stable"))
        order = np.asarray(self._x_order)
        if valid.all() or np.array_equal(valid, ~np.isnan(x)):
            return np.ascontiguousarray(order)
        vs = np.take_along_axis(valid.T, order, axis=1)
        return np.ascontiguousarray(np.take_along_axis(order, np.argsort(~vs, axis=1, kind="stable"), axis=1))

    # ------------------------------------------------------------------
    def run_groups(self, labels: np.ndarray, groups: int, threads: int | None = None) -> WeightedRun:
        """Analyse each group ``0..groups-1`` of ``labels`` (``(n,)``) left out in turn: ``(groups, p)`` results,
        as :meth:`Engine.run` on the weight vectors ``labels != g``. Groups run on :func:`worker_threads`
        threads; results do not depend on their number."""
        labels = np.asarray(labels)
        by_group = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[by_group], np.arange(groups + 1))
        members = [by_group[bounds[g] : bounds[g + 1]] for g in range(groups)]
        batches = [members[a : a + GROUP_BATCH] for a in range(0, groups, GROUP_BATCH)]
        threads = threads or worker_threads()
        with single_blas_thread():
            if threads <= 1:
                outs = [self._batch(b) for b in batches]
            else:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(threads) as pool:
                    outs = list(pool.map(self._batch, batches))
        return WeightedRun(r=np.vstack([o[0] for o in outs]), ok=np.concatenate([o[1] for o in outs]),
                           pc1=np.concatenate([o[2] for o in outs]))

    def _batch(self, gones: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(r, ok, pc1)`` of the replicates leaving each of ``gones`` (model indices) out."""
        b, n = len(gones), self.n
        ys, ssys, oks, pc1s = [], [], [], []
        for gone in gones:  # one resample at a time up to the score ranks: the engine's own arithmetic, call by call
            c = np.ones((1, n))
            c[0, gone] = 0.0
            wc, nc, mu, sd, ok = self._zparams(c)
            cov, diag, ok = _kept_rank_cov(self._cap_ranks(gone), wc, nc, ok)
            pc1, s, ok = self._scores(cov, diag, mu, sd, ok)
            y, ssy = self._score_ranks(s[0], c[0] > 0)
            ys.append(y)
            ssys.append(ssy)
            oks.append(bool(ok[0]))
            pc1s.append(float(pc1[0]))
        y = np.stack(ys)  # (b, u, n)
        cross = np.empty((b, self.p))
        for q, cols in enumerate(self.pattern_cols):  # sum of full rank x score rank over the kept models (exact)
            cross[:, cols] = y[:, q, :] @ self.rx_blocks[q]
        r = np.empty((b, self.p))
        for i, gone in enumerate(gones):
            r[i] = self._correlations(gone, y[i], ssys[i], cross[i])
            if not oks[i]:
                r[i] = np.nan
        return r, np.array(oks), np.array(pc1s)

    def _cap_ranks(self, gone: np.ndarray) -> np.ndarray:
        """Ranks ``(k, n)`` of the kept complete models in each capability column (finite elsewhere, weight 0)."""
        k, n = len(self.cap_idx), self.n
        pr = self.cap_pos[:, gone]  # (k, m) sorted positions of the removed models
        keep = pr < self.nvalid[self.cap_idx][:, None]
        flat = (pr + 1 + (np.arange(k) * (n + 1))[:, None])[keep]
        cnt = np.cumsum(np.bincount(flat, minlength=k * (n + 1)).reshape(k, n + 1), axis=1, dtype=np.float32).ravel()
        d = np.take(cnt, self.cap_lo)  # cnt[a, t]: removed models at sorted positions < t
        d += np.take(cnt, self.cap_hi)
        d *= -0.5
        d += self.cap_rx
        return d

    def _score_ranks(self, s: np.ndarray, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average ranks ``(u, n)`` of the score among each validity pattern's kept models (0 elsewhere) and their
        sums of squared deviations ``(u,)`` (exact: multiples of 1/4)."""
        so = self.score_order
        o = so[np.argsort(s[so], kind="stable")]  # nearly sorted already: the full score's order
        ss = s[o]
        m = len(o)
        new = np.ones(m, dtype=bool)
        new[1:] = ss[1:] != ss[:-1]
        ties = not new.all()
        if ties:
            end = np.ones(m, dtype=bool)
            end[:-1] = new[1:]
            pos = np.arange(m)
            gs = np.maximum.accumulate(np.where(new, pos, 0))
            ge = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, m - 1))))
        u = self.patterns.shape[0]
        y = np.zeros((u, self.n))
        ssy = np.empty(u)
        for q in range(u):
            w = (self.patterns[q] & kept)[o].astype(float)
            cum = np.cumsum(w)
            rk = (cum - w)[gs] + cum[ge] if ties else 2.0 * cum - w
            rk = rk * 0.5 + 0.5
            mean = (cum[-1] + 1.0) / 2.0 if m else 0.0
            ssy[q] = (w * (rk - mean) ** 2).sum()
            y[q, o] = rk * w
        return y, ssy

    def _correlations(self, gone: np.ndarray, y: np.ndarray, ssy: np.ndarray, cross: np.ndarray) -> np.ndarray:
        """Spearman r ``(p,)`` of every column with the score ranks ``y`` (``(u, n)``) over the kept models.

        ``cross``: ``sum_kept rank_x y`` with the full ranks (``(p,)``); less the removed models' share
        ``sum_{l in R} (SUF(gs_l) + SUF(ge_l + 1)) / 2``, summed by segments between the sorted bounds.
        """
        n, p = self.n, self.p
        pr = self.pos[:, gone]  # (p, m)
        keep = pr < self.nvalid[:, None]
        flat = pr + (np.arange(p) * n)[:, None]
        lo = np.take(self.gs, flat).astype(np.int64)  # tie group [lo, hi) of each removed model
        hi = np.take(self.ge, flat) + 1
        real = np.concatenate([lo, hi], axis=1)
        real[np.concatenate([~keep, ~keep], axis=1)] = n  # a model the column lacks: SUF(n) = 0
        # bounds coded 2b + 1 (the removed models') and 2b (a fixed grid every ``span`` positions, so that no segment
        # sum of ranks passes 2**23 and float32 sums stay exact); sorted, each segment's weight = real bounds so far
        coded = np.concatenate([2 * real + 1, self.grid], axis=1)
        coded.sort(axis=1)
        bounds, weight = coded >> 1, np.cumsum(coded & 1, axis=1)
        y32 = np.zeros(y.size + 1, dtype=np.float32)  # the score ranks and a trailing 0 (exact: halves below 2**23)
        y32[:-1] = y.ravel()
        yc = np.take(y32, self.rs_index)  # score ranks in each column's sorted order, then the 0
        idx = np.concatenate([bounds, np.full((p, 1), n)], axis=1) + (np.arange(p) * n)[:, None]
        seg = np.add.reduceat(yc, idx.ravel()).reshape(idx.shape)[:, :-1].astype(float)  # sums up to the next bound
        seg[(idx[:, :-1] >= idx[:, 1:]) | (bounds >= n)] = 0.0
        # sum over real bounds b of SUF(b) = sum over segments of their sum x the real bounds at or below them
        cross = cross - 0.5 * np.einsum("jb,jb->j", seg, weight)
        ncol = self.nvalid - keep.sum(axis=1)
        ssx = self._ssx(lo, hi, keep, ncol)
        mx = (ncol + 1.0) / 2.0
        cov_r = cross - ncol * mx * mx
        sy = ssy[self.col_pattern]
        good = (ncol >= 3) & (ssx > 1e-9) & (sy > 1e-9)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov_r / np.sqrt(ssx * sy)
        r[~good] = np.nan
        return np.clip(r, -1.0, 1.0, out=r)

    def _ssx(self, lo: np.ndarray, hi: np.ndarray, keep: np.ndarray, ncol: np.ndarray) -> np.ndarray:
        """Sum of squared rank deviations ``(p,)`` of each column's kept models: ``(N^3 - N - sum_ties (T^3 - T)) / 12``
        with the tie groups (``[lo, hi)`` of each removed model, ``(p, m)``) the removed models leave (exact)."""
        p, n = self.p, self.n
        key = (lo + (np.arange(p) * n)[:, None])[keep]  # a tie group: its column and first position
        ids, at, removed = np.unique(key, return_index=True, return_counts=True)
        t = (hi - lo)[keep][at].astype(np.int64)
        left = t - removed
        change = np.bincount(ids // n, weights=(left**3 - left) - (t**3 - t), minlength=p).astype(np.int64)
        nn = ncol.astype(np.int64)
        return (nn**3 - nn - (self.tie_sum + change)) / 12.0


def _kept_rank_cov(rc: np.ndarray, wc: np.ndarray, nc: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, ...]:
    """:meth:`Engine._rank_cov` of the ranks ``rc`` (``(k, n)``) over the kept complete models (``wc``: ``(1, n)``,
    0/1): each entry a sum of multiples of 1/4 below 2**51, exact in float64 whatever the order, so the same
    values as the engine's product."""
    d = rc.astype(float)
    d -= (nc[0] + 1.0) / 2.0
    d *= wc
    cov = (d @ d.T)[None]
    diag = np.diagonal(cov, axis1=1, axis2=2)
    return cov, diag, ok & np.all(diag > 1e-9, axis=1)


def _tie_groups(x: np.ndarray, order: np.ndarray, nvalid: np.ndarray) -> tuple[np.ndarray, ...]:
    """Tie groups of each column's valid models in sorted order (``(p, n)`` arrays by sorted position).

    Returns ``(gs, ge, rfull, tie_sum)``: first and last position of each position's tie group (int32), the
    average rank ``(gs + ge) / 2 + 1`` (0 past the valid models) and ``sum (T^3 - T)`` over each column's groups
    (int64).
    """
    p, n = order.shape
    ks = np.take_along_axis(x.T, order, axis=1)
    pos = np.arange(n, dtype=np.int32)
    inside = pos[None, :] < nvalid[:, None]
    new = np.ones((p, n), dtype=bool)
    new[:, 1:] = (ks[:, 1:] != ks[:, :-1]) | ~inside[:, 1:]
    del ks
    end = np.ones((p, n), dtype=bool)
    end[:, :-1] = new[:, 1:]
    gs = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    ge = np.ascontiguousarray(np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, n - 1), axis=1), axis=1), axis=1))
    rfull = np.where(inside, (gs + ge) / 2.0 + 1.0, 0.0)
    t = np.where(new & inside, ge - gs + 1, 0).astype(np.int64)  # each group's size, at its first position
    return gs, ge, rfull, (t**3 - t).sum(axis=1)


def leave_groups_out(x: np.ndarray, cap_idx: list[int] | np.ndarray, labels: np.ndarray, groups: int,
                     x_order: np.ndarray | None = None, threads: int | None = None) -> WeightedRun:
    """The Spearman PCA analysis with each group of ``labels`` (``(n,)``, values ``0..groups-1``) left out in turn.

    Equal (to rounding) to ``make_engine(x, cap_idx, "spearman")`` run on the weight vectors ``labels != g``;
    see :class:`GroupJackknife`.
    """
    return GroupJackknife(x, cap_idx, x_order).run_groups(labels, groups, threads)
