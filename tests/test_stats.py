"""Vectorised statistics against scipy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from safetywashing._util.stats import pairwise_corr_masked, rankdata, top_components, zscore
from safetywashing.inference._verdict import band, verdict


def test_rankdata_matches_scipy_with_ties_and_nan():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 5, size=(40, 7)).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    got = rankdata(x)
    for j in range(x.shape[1]):
        want = scipy.stats.rankdata(x[:, j], nan_policy="omit")
        assert np.allclose(got[:, j], want, equal_nan=True)


def test_rankdata_batched_equals_unbatched():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 12, 3)).round(1)
    got = rankdata(x)
    for b in range(5):
        assert np.allclose(got[b], rankdata(x[b]))


def test_pairwise_corr_matches_scipy():
    rng = np.random.default_rng(3)
    y = rng.normal(size=30)
    x = y[:, None] * 0.5 + rng.normal(size=(30, 6))
    x[rng.random(x.shape) < 0.15] = np.nan
    y[[3, 7]] = np.nan
    for method, fn in (("spearman", scipy.stats.spearmanr), ("pearson", scipy.stats.pearsonr)):
        r, n = pairwise_corr_masked(x, y, method)
        for j in range(6):
            ok = ~np.isnan(x[:, j]) & ~np.isnan(y)
            assert n[j] == ok.sum()
            assert r[j] == pytest.approx(fn(x[ok, j], y[ok]).statistic, abs=1e-12)


def test_constant_and_too_few_give_nan():
    y = np.arange(6.0)
    x = np.column_stack([np.ones(6), [1, 2, np.nan, np.nan, np.nan, np.nan]])
    r, n = pairwise_corr_masked(x, y)
    assert np.isnan(r).all()
    assert list(n) == [6, 2]


def test_zscore_population_sd():
    x = np.array([[1.0], [2.0], [4.0], [np.nan]])
    z, mean, sd = zscore(x)
    assert mean[0] == pytest.approx(7 / 3)
    assert sd[0] == pytest.approx(np.std([1, 2, 4]))
    assert np.isnan(z[3, 0])


def test_sign_rule():
    c = np.array([[1.0, 0.9], [0.9, 1.0]])
    vals, v = top_components(c)
    assert vals[0] == pytest.approx(1.9)
    assert v[np.argmax(np.abs(v))] > 0


@pytest.mark.parametrize(
    "r,want",
    [(0.85, "high"), (0.7, "high"), (0.55, "moderate"), (0.1, "low"), (-0.45, "moderate negative"),
     (-0.9, "high negative"), (None, "undefined")],
)
def test_bands(r, want):
    assert band(r) == want


@pytest.mark.parametrize(
    "r,lo,hi,want",
    [
        (0.8, 0.72, 0.9, "high"),
        (0.8, 0.40, 0.9, "moderate to high"),  # the interval does not rule out moderate
        (0.8, 0.39, 0.9, "low to high"),  # could be low
        (0.5, -0.39, 0.8, "low to high"),
        (0.5, -0.41, 0.8, "moderate negative to high"),
        (0.2, -0.1, 0.35, "low"),
        (0.2, -0.69, 0.69, "moderate negative to moderate"),
        (-0.8, -0.95, -0.71, "high negative"),
        (-0.8, -0.95, -0.3, "high negative to low"),
        (None, 0.1, 0.2, "undefined"),
    ],
)
def test_verdict_uses_interval(r, lo, hi, want):
    assert verdict(r, lo, hi) == want


def test_vector_subset_ranks_equal_ranking_each_masked_column():
    """One vector ranked within many subsets (by counting the left-out values below) = rankdata of each subset."""
    from safetywashing._util.stats import column_order, rankdata, subset_ranks

    rng = np.random.default_rng(11)
    for _ in range(100):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 6))
        v = np.round(rng.normal(size=n), int(rng.integers(0, 2)))  # ties on one decimal
        v[rng.random(n) < 0.1] = np.nan
        valid = (rng.random((n, k)) < 0.8) & ~np.isnan(v)[:, None]
        valid[:, 0] = valid[:, -1]  # two columns with the same subset
        got = subset_ranks(v, valid, column_order(v))
        assert np.array_equal(got, rankdata(np.where(valid, v[:, None], np.nan)), equal_nan=True)


def test_column_correlator_is_pairwise_deletion_bit_for_bit_and_scipy():
    """Reusing a table's ranks across score vectors changes nothing: same r and n as pairwise_corr_masked, and
    scipy's spearmanr on each column's complete pairs."""
    from scipy.stats import spearmanr

    from safetywashing._util.stats import ColumnCorrelator, pairwise_corr_masked

    rng = np.random.default_rng(12)
    x = np.round(rng.normal(size=(60, 4)), 1)
    x[rng.random(x.shape) < 0.15] = np.nan
    for method in ("spearman", "pearson"):
        corr = ColumnCorrelator(x, method)
        for _ in range(4):  # different missing patterns of the score, as leave-one-benchmark-out refits give
            y = np.round(x[:, 0] + rng.normal(size=60), 1)
            y[rng.random(60) < 0.2] = np.nan
            r, n = corr(y)
            r0, n0 = pairwise_corr_masked(x, y, method)
            assert np.array_equal(r, r0, equal_nan=True) and np.array_equal(n, n0)
            if method == "spearman":
                for j in range(4):
                    ok = ~np.isnan(x[:, j]) & ~np.isnan(y)
                    assert r[j] == pytest.approx(spearmanr(x[ok, j], y[ok]).statistic, abs=1e-12)
