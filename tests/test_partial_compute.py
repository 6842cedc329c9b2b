"""partial_compute_correlation's bootstrap interval (issue 18, item 8), against a hand computation with scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import safetywashing as sw
from safetywashing.inference._effects import bootstrap_partial_compute, log_compute


def _partial_by_hand(x: np.ndarray, s: np.ndarray, c: np.ndarray) -> float:
    """Partial Spearman correlation: Pearson correlation of the rank residuals of x and s after regressing on c's ranks."""
    ok = ~np.isnan(x) & ~np.isnan(s) & ~np.isnan(c)
    rx, rs, rc = (scipy.stats.rankdata(v[ok]) for v in (x, s, c))
    design = np.column_stack([np.ones(ok.sum()), rc])
    ex = rx - design @ np.linalg.lstsq(design, rx, rcond=None)[0]
    es = rs - design @ np.linalg.lstsq(design, rs, rcond=None)[0]
    return float(scipy.stats.pearsonr(ex, es).statistic)


def _chat():
    panel = sw.load_panel("chat")
    s = pd.Series(sw.analyze(panel, bootstrap=0).model_scores).reindex(panel.scores.index).to_numpy()
    return panel, s, log_compute(panel.models, "flop")


def test_bootstrap_partial_interval_matches_resamples_by_hand():
    panel, s, lc = _chat()
    cols = ["ethics_all", "truthfulqa_mc1", "LMSYS_Chatbot_Arena"]  # the arena column misses models
    x = panel.scores[cols].to_numpy(dtype=float)
    lo, hi, valid = bootstrap_partial_compute(x, s, lc, "spearman", n_boot=300, level=0.9, rng=np.random.default_rng(5))
    idx = np.random.default_rng(5).integers(0, len(s), (300, len(s)))
    for j in range(len(cols)):
        vals = []
        for ib in idx:
            ok = ~np.isnan(x[ib, j]) & ~np.isnan(s[ib]) & ~np.isnan(lc[ib])
            rx, rs, rc = (scipy.stats.rankdata(v[ok]) for v in (x[ib, j], s[ib], lc[ib]))
            if len(set(ib[ok])) < 4 or max(abs(np.corrcoef(rx, rc)[0, 1]), abs(np.corrcoef(rs, rc)[0, 1])) > 1 - 1e-9:
                continue  # too few models, or x or s determined by compute: the partial correlation is undefined
            vals.append(_partial_by_hand(x[ib, j], s[ib], lc[ib]))
        assert valid[j] == len(vals)
        want = np.quantile(vals, [0.05, 0.95])
        assert (lo[j], hi[j]) == (pytest.approx(want[0], abs=1e-9), pytest.approx(want[1], abs=1e-9))


def test_analyze_reports_the_partial_compute_interval():
    a = sw.analyze(sw.load_panel("chat"), bootstrap=500, seed=0, compute="flop")
    r = a.result("ethics_all").extra
    assert r["partial_compute_n"] == 21
    assert r["partial_compute_ci_low"] < r["partial_compute_correlation"] < r["partial_compute_ci_high"]
    assert r["partial_compute_ci_low"] < 0 < r["partial_compute_ci_high"]  # 0.11 on 21 models: 0 is not excluded
    assert a.result("mmlu").extra["partial_compute_ci_low"] is None  # capability benchmarks get none
    point = sw.analyze(sw.load_panel("chat"), compute="flop", bootstrap=0)  # no bootstrap, no interval
    assert "partial_compute_ci_low" not in point.result("ethics_all").extra


def test_readme_compares_partial_and_r_over_the_same_models_and_states_power_levels():
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    panel, s, lc = _chat()
    y = panel.scores["ethics_all"].to_numpy(dtype=float)
    ok = ~np.isnan(s) & ~np.isnan(y) & ~np.isnan(lc)
    assert ok.sum() == 21
    r21 = scipy.stats.spearmanr(s[ok], y[ok]).statistic
    assert f"the 21 chat models with a known FLOP count, 24 on base), ETHICS goes from r = {r21:.2f} to a partial 0.11" in readme
    # the power sentence: 95% and the FCR level the chat panel gives its 87 selected benchmarks
    assert sw.models_needed(0.55) == 242 and "about **240 models** before a 95% interval" in readme
    fcr = 1 - 87 * 0.05 / 166
    assert sw.models_needed(0.55, level=fcr) == 289 and "about **290 models**" in readme


@pytest.mark.parametrize("n", [30, 170])  # 30 models: sums in float32 (exact); 170: N (N + 1)^2 > 2^22, float64
def test_weighted_partial_equals_ranks_of_materialised_resamples(n):
    from safetywashing.inference._effects import _weighted_partial

    rng = np.random.default_rng(n)
    x = np.column_stack([rng.integers(0, 6, n), rng.normal(size=n), rng.integers(0, 40, n)]).astype(float)  # ties
    s, c = rng.normal(size=n) + 0.3 * x[:, 1], rng.integers(0, 9, n).astype(float)
    idx = rng.integers(0, n, (12, n))
    w = np.stack([np.bincount(i, minlength=n) for i in idx]).astype(float)
    got = _weighted_partial(x, s, c, w, "spearman")
    want = [[_partial_by_hand(x[i, j], s[i], c[i]) for j in range(x.shape[1])] for i in idx]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
