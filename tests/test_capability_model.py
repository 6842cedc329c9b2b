"""The capability model: the logistic (irt) fit on synthetic sparse data, and agreement with PCA on the paper's panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

import safetywashing as sw
from safetywashing._util.errors import InputError, InsufficientDataError
from safetywashing.capability._irt import (
    _initial,
    _Problem,
    _sigmoid,
    _solve,
    _solve_scipy,
    fit_irt,
    score_rows,
    select,
    unit_scales,
)
from safetywashing.capability._model import CapabilityModel, fit_capability_model


def synth(n=300, k=40, per=(3, 12), items=300, seed=0):
    """Sparse table from known parameters: binomial share of ``items`` items right, ``per`` benchmarks per model."""
    rng = np.random.default_rng(seed)
    th = rng.normal(0, 1.5, n)
    d = rng.normal(0, 1.5, k)
    a = np.exp(rng.normal(0, 0.3, k))
    y = rng.binomial(items, _sigmoid(a * (th[:, None] - d))) / items
    mask = np.zeros((n, k), bool)
    for i in range(n):
        mask[i, rng.choice(k, min(k, rng.integers(per[0], per[1] + 1)), replace=False)] = True
    y[~mask] = np.nan
    return y, th, d, a


def truth_in_anchor_frame(fit, th, d, a):
    """True capabilities, difficulties and slopes in the fit's frame (anchor difficulty 0, slope 1)."""
    j = int(fit.model.anchor[1:])
    cols = fit.kept_cols
    return a[j] * (th[fit.kept_rows] - d[j]), a[j] * (d[cols] - d[j]), a[cols] / a[j]


def test_recovers_known_parameters_on_sparse_data():
    y, th, d, a = synth(seed=1)
    fit = fit_irt(y)
    assert fit.model.converged and not fit.dropped_models
    t_true, d_true, a_true = truth_in_anchor_frame(fit, th, d, a)
    assert np.corrcoef(fit.capabilities, t_true)[0, 1] > 0.995
    slope, icpt = np.polyfit(t_true, fit.capabilities, 1)
    assert abs(slope - 1) < 0.05 and abs(icpt) < 0.1
    assert np.abs(np.array(fit.model.difficulties) - d_true).max() < 0.25
    assert np.abs(np.array(fit.model.slopes) / a_true - 1).max() < 0.15
    # dispersion: binomial share of 300 items -> 1/300
    assert np.median(fit.model.benchmark_dispersion) == pytest.approx(1 / 300, rel=0.15)


def test_standard_errors_cover():
    """95% intervals estimate +- 1.96 SE cover the true capability at close to the nominal rate (3 tables x 300 models)."""
    hits = []
    for seed in (2, 3, 4):
        y, th, d, a = synth(seed=seed)
        fit = fit_irt(y)
        t_true, _, _ = truth_in_anchor_frame(fit, th, d, a)
        hits.append(np.abs(fit.capabilities - t_true) <= 1.96 * fit.se)
    cov = float(np.concatenate(hits).mean())
    assert 0.88 <= cov <= 0.99, cov


def test_same_optimum_as_scipy_minimize():
    y, _, _, _ = synth(n=60, k=10, per=(3, 8), seed=5)
    rows, cols, _, _ = select(~np.isnan(y), 3, 5)
    sub = y[np.ix_(rows, cols)]
    prob = _Problem(sub, 0, 1e-3)
    p0 = prob.pack(*_initial(sub, 0))
    ours = _solve(prob, p0)
    ref = _solve_scipy(prob, p0)
    assert prob.objective(ours.x) <= ref.fun + 1e-9
    assert np.abs(ours.x - ref.x).max() < 1e-3


def test_scoring_a_row_reproduces_its_fitted_capability():
    """A model scored against the fitted benchmarks (benchmarks fixed) lands where the joint fit put it."""
    y, _, _, _ = synth(n=200, k=20, seed=6)
    fit = fit_irt(y, calibrate=0)  # the joint fit itself (no bootstrap bias correction)
    m = fit.model
    theta, se, nb = score_rows(y[np.ix_(fit.kept_rows, fit.kept_cols)], np.array(m.difficulties), np.array(m.slopes),
                               dispersion=m.dispersion, weights=1 / np.array(m.benchmark_dispersion), ridge=m.ridge,
                               item_cov=m._item_cov)
    assert np.abs(theta - fit.capabilities).max() < 1e-6
    # joint-fit SE and conditional+delta-method SE agree closely
    assert np.median(np.abs(se / fit.se - 1)) < 0.05


def test_drops_models_with_fewer_than_three_benchmarks_and_says_why():
    y, _, _, _ = synth(n=80, k=10, seed=7)
    y[0, :] = np.nan
    y[0, :2] = 0.5
    y[1, :] = np.nan  # no score at all
    fit = fit_irt(y)
    assert 0 in fit.dropped_models and "only 2" in fit.dropped_models[0]
    assert 1 in fit.dropped_models
    assert 0 not in fit.kept_rows


def test_disconnected_block_is_dropped():
    y, _, _, _ = synth(n=80, k=10, seed=8)
    extra = np.full((6, 14), np.nan)
    extra[:, 10:] = 0.5 + 0.05 * np.arange(24).reshape(6, 4) / 24
    big = np.vstack([np.hstack([y, np.full((80, 4), np.nan)]), extra])
    fit = fit_irt(big)
    assert all("no common scale" in fit.dropped_models[i] for i in range(80, 86))


def test_too_little_data_is_an_error():
    with pytest.raises(InsufficientDataError):
        fit_irt(np.full((4, 5), 0.5))


def test_unit_scales():
    x = np.array([[0.5, 50.0, -0.2], [0.9, 90.0, -0.8]])
    assert unit_scales(x, ["a", "b", "c"]) == ["fraction", "percent", "flipped fraction"]
    with pytest.raises(InputError, match="'e'"):
        unit_scales(np.array([[1.0, 500.0]]), ["d", "e"])


@pytest.mark.parametrize("panel", ["base", "chat"])
def test_irt_ranks_the_paper_panels_like_pc1(panel):
    m = sw.load_panel(panel)
    pca = fit_capability_model(m)
    irt = fit_capability_model(m, score_method="irt")
    both = pca.scores.notna() & irt.scores.notna()
    assert both.sum() == pca.scores.notna().sum()  # every model PCA scores, irt scores too
    rho = spearmanr(pca.scores[both], irt.scores[both]).statistic
    assert rho >= 0.97, rho
    assert irt.se[both].gt(0).all()


def test_interface_is_shared():
    m = sw.load_panel("chat")
    for method in ("pca", "irt"):
        fit = fit_capability_model(m, score_method=method)
        assert isinstance(fit.model, CapabilityModel)
        assert fit.model.kind == method
        assert isinstance(fit.model.describe(), str)
        out = fit.model.score_se(m.scores)
        assert list(out.columns) == ["capabilities_score", "capabilities_score_se", "n_benchmarks"]
        # a panel model's score carries the fit's bootstrap bias correction; rescored with the benchmarks fixed it
        # gets the conditional estimate: they agree well within an SE
        if method == "pca":
            pd.testing.assert_series_equal(out["capabilities_score"], fit.scores, check_names=False, atol=1e-6)
        else:
            gap = ((out["capabilities_score"] - fit.scores).abs() / fit.se).to_numpy()
            assert gap.max() < 1.0 and np.median(gap) < 0.4


def test_irt_scores_a_row_with_three_benchmarks_only():
    m = sw.load_panel("chat")
    fit = fit_capability_model(m, score_method="irt")
    caps = list(fit.model.benchmarks)
    row = m.scores.iloc[[0]][caps].copy()
    row.iloc[0, 3:] = np.nan
    out = fit.model.score_se(row)
    assert out["n_benchmarks"].iloc[0] == 3 and np.isfinite(out["capabilities_score"].iloc[0])
    assert out["capabilities_score_se"].iloc[0] > fit.se.iloc[0]  # fewer benchmarks, wider
    row.iloc[0, 2] = np.nan
    assert np.isnan(fit.model.score_se(row)["capabilities_score"].iloc[0])


def test_frontier_ranks_like_a_plain_least_squares_fit():
    """Independent check: Epoch's own loss (unweighted squares of sigmoid - score), solved by scipy, same anchor."""
    from scipy.optimize import least_squares
    from scipy.sparse import lil_matrix

    m = sw.load_panel("frontier")
    f = fit_capability_model(m, score_method="irt")
    caps = list(f.model.benchmarks)
    keep = f.scores.notna()
    y = m.scores.loc[keep, caps].to_numpy()
    n, k = y.shape
    ii, jj = np.nonzero(~np.isnan(y))
    obs = y[ii, jj]
    a = caps.index(f.model.anchor)
    pos = {j: q for q, j in enumerate(j for j in range(k) if j != a)}
    npar = n + 2 * (k - 1)

    def res(p):
        d = np.insert(p[n : n + k - 1], a, 0.0)
        sl = np.exp(np.insert(p[n + k - 1 :], a, 0.0))
        return np.concatenate([_sigmoid(sl[jj] * (p[:n][ii] - d[jj])) - obs, 0.01 * p])

    pat = lil_matrix((obs.size + npar, npar), dtype=int)
    for r, (i, j) in enumerate(zip(ii, jj)):
        pat[r, i] = 1
        if j != a:
            pat[r, n + pos[j]] = pat[r, n + k - 1 + pos[j]] = 1
    for q in range(npar):
        pat[obs.size + q, q] = 1
    sol = least_squares(res, np.zeros(npar), jac_sparsity=pat, method="trf")
    assert spearmanr(sol.x[:n], f.scores[keep]).statistic >= 0.99


def test_too_many_benchmarks_is_a_clear_error():
    from safetywashing.capability._irt import MAX_BENCHMARKS

    y = np.full((6, MAX_BENCHMARKS + 1), 0.5)
    with pytest.raises(InputError, match="at most"):
        fit_irt(y + np.linspace(0, 0.1, 6)[:, None])
