"""Resampling plans and the intervals they give: bootstrap counts, the jackknife, BCa/percentile intervals, permutations.

A resample of models is its **count vector** (how many times each model was
drawn); the capability model's engine (for the PCA score
:mod:`safetywashing.capability._pca_engine`) turns count vectors into
correlations. This module draws the count vectors (streamed in chunks, same
draws whatever the chunk size), plans the jackknife behind BCa's
acceleration and the leave-one-model-out range, turns resampled
correlations into intervals, and computes permutation p-values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

MAX_BOOTSTRAP_VALUES = 2**25  # resamples x benchmarks kept for exact quantiles (256 MiB; ~1 GiB with working copies)
COUNT_CHUNK_CELLS = 2**22  # resamples x models drawn at once when streaming (32 MiB of counts)


def check_bootstrap_size(n_resamples: int, p: int) -> None:
    """Refuse a bootstrap whose kept values (``n_resamples x p`` floats) exceed :data:`MAX_BOOTSTRAP_VALUES`.

    Exact quantiles need every resample's value of every benchmark; the
    resamples themselves are streamed in chunks, so this product is the only
    memory that grows with the number of resamples.
    """
    from .._util.errors import InputError

    if n_resamples * max(p, 1) > MAX_BOOTSTRAP_VALUES:
        most = MAX_BOOTSTRAP_VALUES // max(p, 1)
        raise InputError(
            f"bootstrap: {n_resamples:,} resamples x {p} benchmarks = {n_resamples * p:,} values to keep for the "
            f"quantiles, above the cap of {MAX_BOOTSTRAP_VALUES:,} (about 1 GiB of memory); use --bootstrap {most:,} "
            "or fewer (10,000 already gives interval ends to about +-0.01)"
        )


def bootstrap_count_chunks(n: int, n_resamples: int, seed: int | np.random.SeedSequence | None, chunk: int | None = None):
    """Yield the rows of :func:`bootstrap_counts` in chunks of ``chunk`` resamples (same draws, bounded memory).

    The generator draws ``integers(0, n, (chunk, n))`` in turn from one
    ``numpy.random.default_rng(seed)``, which gives exactly the rows of one
    ``(n_resamples, n)`` draw.
    """
    rng = np.random.default_rng(seed)
    chunk = chunk or max(1, COUNT_CHUNK_CELLS // max(n, 1))
    for a in range(0, n_resamples, chunk):
        b = min(n_resamples, a + chunk)
        idx = rng.integers(0, n, (b - a, n))
        flat = (idx + n * np.arange(b - a)[:, None]).ravel()
        yield np.bincount(flat, minlength=n * (b - a)).reshape(b - a, n).astype(float)


JACKKNIFE_EXACT_MAX = 1000  # up to this many models the jackknife leaves out each model in turn
JACKKNIFE_GROUPS = 100  # above it, each of this many random groups of models in turn


@dataclass(frozen=True)
class JackknifePlan:
    """How the jackknife (BCa acceleration, leave-one-out range) leaves models out.

    ``groups``: ``(G, n)`` boolean membership of each left-out group; exact
    leave-one-model-out when every group has one model.
    """

    groups: int
    n: int
    exact: bool
    seed: int | None

    def describe(self) -> str:
        """One phrase for notes."""
        if self.exact:
            return f"exact leave-one-model-out jackknife ({self.n} models)"
        lo, hi = self.n // self.groups, -(-self.n // self.groups)
        size = f"{lo}" if lo == hi else f"{lo}-{hi}"
        return f"grouped jackknife: {self.groups} random groups of {size} models each left out in turn (seed {self.seed})"

    def to_dict(self) -> dict:
        """JSON-ready settings."""
        return {"method": "exact" if self.exact else "grouped", "groups": self.groups, "models": self.n,
                "seed": None if self.exact else self.seed}

    def labels(self) -> np.ndarray:
        """Group of every model ``(n,)``: ``0..G-1`` (a seeded random partition into near-equal sizes)."""
        if self.exact:
            return np.arange(self.n)
        perm = np.random.default_rng(np.random.SeedSequence(self.seed).spawn(2)[1]).permutation(self.n)
        lab = np.empty(self.n, dtype=int)
        lab[perm] = np.arange(self.n) % self.groups
        return lab

    def count_chunks(self, chunk: int | None = None):
        """Yield the weight vectors ``(b, n)`` (1 = kept, 0 = left out), ``chunk`` groups at a time."""
        lab = self.labels()
        chunk = chunk or max(1, COUNT_CHUNK_CELLS // max(self.n, 1))
        for a in range(0, self.groups, chunk):
            g = np.arange(a, min(self.groups, a + chunk))
            yield (lab[None, :] != g[:, None]).astype(float)


def jackknife_plan(n: int, seed: int | None, groups: int | None = None) -> JackknifePlan:
    """Exact leave-one-model-out for ``n <= JACKKNIFE_EXACT_MAX``, else ``JACKKNIFE_GROUPS`` seeded groups.

    A delete-a-group jackknife estimates BCa's acceleration consistently
    (the cube and square sums of the group influences scale alike, so their
    ratio is that of the single-model jackknife; Efron & Tibshirani 1993,
    sec. 11.5), at the cost of ``G`` instead of ``n`` re-analyses.
    """
    if groups is None:
        groups = n if n <= JACKKNIFE_EXACT_MAX else JACKKNIFE_GROUPS
    groups = int(min(max(groups, 2), n))
    return JackknifePlan(groups=groups, n=n, exact=groups == n, seed=seed)


def bootstrap_counts(n: int, n_resamples: int, seed: int | np.random.SeedSequence | np.random.Generator | None) -> np.ndarray:
    """Count vectors ``(B, n)`` of ``B`` bootstrap draws of ``n`` models.

    The draws are ``numpy.random.default_rng(seed).integers(0, n, (B, n))``,
    the same indices ``scipy.stats.bootstrap(..., rng=default_rng(seed))``
    uses, so a result can be reproduced independently.
    """
    idx = np.random.default_rng(seed).integers(0, n, (n_resamples, n))
    flat = (idx + n * np.arange(n_resamples)[:, None]).ravel()
    return np.bincount(flat, minlength=n * n_resamples).reshape(n_resamples, n).astype(float)


def leave_one_out_counts(n: int) -> np.ndarray:
    """Weight vectors ``(n, n)`` leaving each model out in turn."""
    return 1.0 - np.eye(n)


CI_METHODS = ("bca", "percentile")
_NORMAL = NormalDist()


def ndtr(z: np.ndarray | float) -> np.ndarray:
    """Standard normal CDF, elementwise (NaN stays NaN; stdlib, no SciPy import at start-up)."""
    z = np.asarray(z, dtype=float)
    flat = [math.nan if math.isnan(v) else _NORMAL.cdf(v) for v in z.ravel()]
    return np.array(flat, dtype=float).reshape(z.shape)


def ndtri(p: np.ndarray | float) -> np.ndarray:
    """Standard normal quantile, elementwise: -inf at 0, +inf at 1, NaN outside [0, 1]."""
    p = np.asarray(p, dtype=float)

    def one(v: float) -> float:
        if math.isnan(v) or v < 0 or v > 1:
            return math.nan
        if v == 0:
            return -math.inf
        if v == 1:
            return math.inf
        return _NORMAL.inv_cdf(v)

    return np.array([one(v) for v in p.ravel()], dtype=float).reshape(p.shape)


@dataclass(frozen=True)
class Intervals:
    """Bootstrap intervals of ``p`` statistics (arrays of length ``p``; NaN = none).

    ``used``: resamples in which the statistic was defined; ``fallback``:
    BCa was impossible (the point estimate lies outside every resample's
    value, so the bias correction is infinite) and the percentile interval is
    given instead.
    """

    low: np.ndarray
    high: np.ndarray
    used: np.ndarray
    fallback: np.ndarray
    z0: np.ndarray
    acceleration: np.ndarray


def _quantiles(boot: np.ndarray, qs: list[np.ndarray], used: np.ndarray) -> list[np.ndarray]:
    """Linear-interpolation quantiles (numpy's default) of each column's defined values.

    ``boot``: ``(B, p)`` with NaN for undefined; ``qs``: arrays ``(p,)`` of
    probabilities (one per quantile wanted); ``used``: each column's count of
    defined values. Columns are sorted in blocks of about 2^20 values (NaN
    sorts last, so a column's ``used`` defined values come first), and every
    quantile of a block is read from its sorted values at once.
    """
    B, p = boot.shape
    outs = [np.full(p, np.nan) for _ in qs]
    step = max(1, 2**20 // max(B, 1))
    for a in range(0, p, step):
        cols = np.arange(a, min(p, a + step))
        srt = np.sort(np.ascontiguousarray(boot[:, cols].T), axis=1)  # (block, B)
        m = used[cols].astype(np.int64)
        rows = np.arange(len(cols))
        hs = [(m - 1) * np.clip(np.asarray(q, dtype=float)[cols], 0.0, 1.0) for q in qs]
        fine = (m > 0) & ~np.any(np.isnan(hs), axis=0)  # a column with an undefined probability gets no quantile
        for o, h in zip(outs, hs):
            hh = np.where(fine, h, 0.0)
            lo = np.floor(hh).astype(np.int64)
            hi = np.minimum(lo + 1, np.maximum(m - 1, 0))
            v_lo, v_hi = srt[rows, lo], srt[rows, hi]
            o[cols] = np.where(fine, v_lo + (hh - lo) * (v_hi - v_lo), np.nan)
    return outs


def intervals(
    theta: np.ndarray, boot: np.ndarray, jack: np.ndarray | None, level: float = 0.95, method: str = "bca"
) -> Intervals:
    """Percentile or BCa intervals of statistics ``theta`` (``(p,)``) from their bootstrap values.

    ``boot``: ``(B, p)`` bootstrap values (NaN where undefined); ``jack``:
    ``(n, p)`` leave-one-model-out values (needed for BCa's acceleration).
    BCa follows Efron & Tibshirani (1993, eq. 14.14-14.15) as
    ``scipy.stats.bootstrap`` implements it: bias correction ``z0`` from the
    share of bootstrap values below the estimate (ties count half),
    acceleration from the jackknife skewness, quantiles by linear
    interpolation.
    """
    theta = np.asarray(theta, dtype=float)
    boot = np.asarray(boot, dtype=float)
    used = (~np.isnan(boot)).sum(axis=0)
    alpha = (1.0 - level) / 2.0
    p = theta.shape[0]
    z0 = np.full(p, np.nan)
    acc = np.full(p, np.nan)
    fallback = np.zeros(p, dtype=bool)
    a1 = np.full(p, alpha)
    a2 = np.full(p, 1.0 - alpha)
    if method == "bca":
        with np.errstate(invalid="ignore"):
            below = (boot < theta).sum(axis=0) + (boot <= theta).sum(axis=0)
            frac = below / (2.0 * np.maximum(used, 1))
        z0 = ndtri(frac)
        fallback = ~np.isfinite(z0) & (used > 0) & ~np.isnan(theta)
        if jack is None:
            acc = np.zeros(p)
        else:
            jack = np.asarray(jack, dtype=float)
            nj = (~np.isnan(jack)).sum(axis=0)
            jz = np.where(np.isnan(jack), 0.0, jack)
            with np.errstate(invalid="ignore", divide="ignore"):
                d = np.where(np.isnan(jack), 0.0, jz.sum(axis=0) / np.maximum(nj, 1) - jz)
                num = (d**3).sum(axis=0)
                den = 6.0 * (d**2).sum(axis=0) ** 1.5
                acc = np.where((den > 0) & (nj >= 2), num / np.where(den > 0, den, 1.0), 0.0)
        za, z1a = ndtri(alpha), ndtri(1.0 - alpha)
        with np.errstate(invalid="ignore", divide="ignore"):
            n1, n2 = z0 + za, z0 + z1a
            b1 = ndtr(z0 + n1 / (1.0 - acc * n1))
            b2 = ndtr(z0 + n2 / (1.0 - acc * n2))
        good = np.isfinite(b1) & np.isfinite(b2)
        a1 = np.where(good, b1, alpha)
        a2 = np.where(good, b2, 1.0 - alpha)
        fallback |= ~good & (used > 0) & ~np.isnan(theta)
    low, high = _quantiles(boot, [a1, a2], used)
    none = (used == 0) | np.isnan(theta)
    low[none] = np.nan
    high[none] = np.nan
    return Intervals(low=low, high=high, used=used, fallback=fallback & ~none, z0=z0, acceleration=acc)


def permutation_pvalues(
    x: np.ndarray, s: np.ndarray, method: str, n_permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """Two-sided permutation p-value of each column's correlation with ``s``.

    ``x``: ``(n, p)`` scores (NaN = missing); ``s``: ``(n,)`` capabilities
    scores (NaN = none). For each column the models with both values keep
    their benchmark values while the capabilities scores are shuffled among
    them; ``p = (1 + #{|r_perm| >= |r_obs|}) / (1 + n_permutations)`` (never
    0; Phipson & Smyth 2010). Columns sharing the same set of models share
    the permutations. NaN where the correlation is undefined.
    """
    from .._util.stats import rankdata

    x = np.asarray(x, dtype=float)
    s = np.asarray(s, dtype=float)
    valid = ~np.isnan(x) & ~np.isnan(s)[:, None]
    out = np.full(x.shape[1], np.nan)
    pats, inv = np.unique(valid.T, axis=0, return_inverse=True)
    inv = np.asarray(inv).ravel()
    for q, pat in enumerate(pats):
        cols = np.flatnonzero(inv == q)
        nq = int(pat.sum())
        if nq < 3:
            continue
        xv, sv = x[pat][:, cols], s[pat]
        if method == "spearman":
            xv, sv = rankdata(xv), rankdata(sv[:, None])[:, 0]
        xv = xv - xv.mean(axis=0)
        sv = sv - sv.mean()
        obs = sv @ xv
        defined = (np.abs(xv).sum(axis=0) > 0) & (np.abs(sv).sum() > 0)
        tol = 1e-12 * np.maximum(np.abs(obs), 1e-300)
        hits = np.zeros(len(cols), dtype=np.int64)
        step = max(1, COUNT_CHUNK_CELLS // max(nq, len(cols)))  # permutations per chunk: memory bounded whatever P
        for a in range(0, n_permutations, step):  # (chunked draws = the draws of one (P, nq) call)
            perms = rng.permuted(np.tile(np.arange(nq), (min(step, n_permutations - a), 1)), axis=1)
            null = sv[perms] @ xv  # (P, cols); the denominators do not change under permutation
            hits += (np.abs(null) >= np.abs(obs) - tol).sum(axis=0)
        out[cols] = np.where(defined, (1.0 + hits) / (1.0 + n_permutations), np.nan)
    return out
