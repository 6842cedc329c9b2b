"""Bootstrap intervals, permutation p-values, slopes, compute correlation, leave-one-out, imputation.

Every check compares with an independent computation: a slow reference
pipeline run by ``scipy.stats.bootstrap`` on the materialised resamples,
``scipy.stats.permutation_test``, ``numpy.polyfit``, ``scipy.stats``
correlations, or the point analysis re-run on reduced data.
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import safetywashing as sw
from safetywashing._util.stats import rankdata
from safetywashing.capability._impute import impute_lowrank
from safetywashing.capability._pca_engine import Engine, top_eigen, weighted_ranks
from safetywashing.inference._bootstrap import bootstrap_counts, intervals, permutation_pvalues

CAPS = ["cap_a", "cap_b", "cap_c", "cap_d"]


def small_panel(seed: int = 7, n: int = 12) -> sw.ScoreMatrix:
    """12 models: 4 capability columns (one value missing, ties), 4 other benchmarks (missing values, ties)."""
    rng = np.random.default_rng(seed)
    g = rng.normal(size=n)
    df = pd.DataFrame(index=[f"m{i:02d}" for i in range(n)])
    for j, c in enumerate(CAPS):
        df[c] = np.round(g + rng.normal(scale=0.6, size=n), 1 if j == 0 else 3)
    df.iloc[3, 2] = np.nan  # model m03 lacks cap_c: no capabilities score, still in cap_c's z-score
    df["safe_1"] = 0.6 * g + rng.normal(scale=0.8, size=n)
    df["safe_2"] = -0.5 * g + rng.normal(scale=0.8, size=n)
    df.iloc[[1, 8], df.columns.get_loc("safe_2")] = np.nan
    df["safe_ties"] = np.round(2 * g + rng.normal(scale=1.0, size=n))
    df["safe_flat"] = rng.normal(size=n)
    models = pd.DataFrame({"flop": np.where(np.arange(n) % 4 == 0, np.nan, 10 ** rng.uniform(20, 25, n))}, index=df.index)
    return sw.ScoreMatrix.from_frame(df, name="small", roles={c: "capability" for c in CAPS}, models=models)


def slow_statistic(x: np.ndarray, cap_idx: list[int], method: str) -> np.ndarray:
    """The paper's pipeline on a materialised score matrix, written independently (scipy/numpy)."""
    p = x.shape[1]
    xc = x[:, cap_idx]
    sd = np.nanstd(xc, axis=0)
    if (sd == 0).any():
        return np.full(p, np.nan)
    z = (xc - np.nanmean(xc, axis=0)) / sd
    comp = ~np.isnan(xc).any(axis=1)
    zc = z[comp]
    c = scipy.stats.spearmanr(zc).statistic if method == "spearman" else np.corrcoef(zc, rowvar=False)
    vals, vecs = np.linalg.eigh(c)
    w = vecs[:, -1]
    w = w * np.sign(w[np.argmax(np.abs(w))])
    s = np.full(x.shape[0], np.nan)
    s[comp] = (zc * w).sum(axis=1)
    out = np.full(p, np.nan)
    for j in range(p):
        ok = ~np.isnan(x[:, j]) & ~np.isnan(s)
        if ok.sum() < 3 or np.ptp(x[ok, j]) == 0:
            continue
        f = scipy.stats.spearmanr if method == "spearman" else scipy.stats.pearsonr
        out[j] = f(x[ok, j], s[ok]).statistic
    return out


@pytest.mark.parametrize("panel", ["base", "chat"])
@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_engine_with_unit_weights_is_the_point_estimate(panel, method):
    m = sw.load_panel(panel)
    res = sw.analyze(m, method=method, bootstrap=0)
    cols = list(m.scores.columns)
    e = Engine(m.scores.to_numpy(), [cols.index(c) for c in res.capability_benchmarks], method)
    run = e.run(np.ones((1, m.n_models)))
    want = np.array([np.nan if r.correlation is None else r.correlation for r in res.results])
    assert np.array_equal(np.isnan(run.r[0]), np.isnan(want))
    assert np.nanmax(np.abs(run.r[0] - want)) < 1e-12
    assert run.pc1[0] == pytest.approx(res.pc1_variance_explained, abs=1e-12)


@functools.cache
def _scipy_resamples(method: str, n: int, B: int, seed: int) -> scipy.stats._resampling.BootstrapResult:
    """scipy.stats.bootstrap of :func:`slow_statistic` on ``small_panel()``: the B slow re-analyses, done once per
    test process and correlation method (each interval method then reads them)."""
    m = small_panel()
    x = m.scores.to_numpy()
    cap_idx = [list(m.scores.columns).index(c) for c in CAPS]
    return scipy.stats.bootstrap(
        (np.arange(n),), lambda idx: slow_statistic(x[np.asarray(idx, dtype=int)], cap_idx, method), vectorized=False,
        n_resamples=B, rng=np.random.default_rng(seed), method="percentile", confidence_level=0.95,
    )


@pytest.mark.parametrize("method,ci_method", [("spearman", "bca"), ("spearman", "percentile"), ("pearson", "bca")])
def test_bootstrap_equals_slow_reference_via_scipy(method, ci_method):
    """Same seed -> same draws as scipy.stats.bootstrap; every resample re-analysed slowly; intervals to 1e-9."""
    m = small_panel()
    B, seed = 300, 11
    res = sw.analyze(m, method=method, bootstrap=B, seed=seed, ci_method=ci_method, adjust="none")
    assert res.settings["n_boot_skipped"] == 0
    x = m.scores.to_numpy()
    cols = list(m.scores.columns)
    cap_idx = [cols.index(c) for c in CAPS]

    def stat(idx):
        return slow_statistic(x[np.asarray(idx, dtype=int)], cap_idx, method)

    # scipy's interval from its own resamples (no new resample: n_resamples=0; BCa adds its jackknife of stat)
    ref = scipy.stats.bootstrap(
        (np.arange(m.n_models),), stat, vectorized=False, n_resamples=0,
        bootstrap_result=_scipy_resamples(method, m.n_models, B, seed), rng=np.random.default_rng(seed),
        method="BCa" if ci_method == "bca" else "percentile", confidence_level=0.95,
    )
    # the resamples themselves agree
    e = Engine(x, cap_idx, method)
    run = e.run(bootstrap_counts(m.n_models, B, seed))
    assert np.nanmax(np.abs(run.r - ref.bootstrap_distribution.T)) < 1e-9
    for j, bid in enumerate(cols):
        row = res.result(bid)
        assert row.extra["n_boot_used"] == B
        assert row.extra["ci_low"] == pytest.approx(ref.confidence_interval.low[j], abs=1e-9), bid
        assert row.extra["ci_high"] == pytest.approx(ref.confidence_interval.high[j], abs=1e-9), bid


@pytest.mark.parametrize("n", [9, 170])
def test_engine_resamples_equal_slow_pipeline_float32_and_float64_routes(n):
    """n = 170 exceeds the exact-float32 bound (4 n^3 >= 2^24): the float64 product is used."""
    rng = np.random.default_rng(n)
    g = rng.normal(size=n)
    x = np.column_stack([np.round(g + rng.normal(scale=0.5, size=n), 1) for _ in range(3)] + [np.round(g + rng.normal(size=n))])
    x[2, 3] = np.nan
    e = Engine(x, [0, 1, 2], "spearman")
    assert e.dtype == (np.float32 if n == 9 else np.float64)
    B = 15
    counts = bootstrap_counts(n, B, 1)
    run = e.run(counts)
    idx = np.random.default_rng(1).integers(0, n, (B, n))
    for b in range(B):
        want = slow_statistic(x[idx[b]], [0, 1, 2], "spearman")
        assert np.allclose(run.r[b], want, atol=1e-9, equal_nan=True), b


def test_degenerate_resamples_are_skipped_and_counted():
    """6 models, a capability column with only two distinct values: many resamples make it constant."""
    df = pd.DataFrame(
        {"c1": [1, 1, 1, 1, 2, 1.0], "c2": [1, 2, 3, 4, 5, 6.0], "c3": [2, 1, 4, 3, 6, 5.0], "y": [3, 1, 2, 6, 5, 4.0]},
        index=list("abcdef"),
    )
    m = sw.ScoreMatrix.from_frame(df, roles={"c1": "capability", "c2": "capability", "c3": "capability"})
    res = sw.analyze(m, bootstrap=500, seed=1)
    skipped = res.settings["n_boot_skipped"]
    # P(model e never drawn) = (5/6)^6 = 0.33: about a third of the resamples are degenerate
    assert 100 < skipped < 250
    row = res.result("y")
    assert 0 < row.extra["n_boot_used"] <= 500 - skipped
    assert row.extra["ci_low"] <= row.extra["ci_high"]


def _pearson_axis(s):
    def stat(a, axis=-1):
        a = np.moveaxis(a, axis, -1)
        ac = a - a.mean(axis=-1, keepdims=True)
        sc = s - s.mean()
        return (ac * sc).sum(axis=-1) / np.sqrt((ac * ac).sum(axis=-1) * (sc * sc).sum())

    return stat


def test_permutation_pvalue_known_answer_matches_scipy():
    """n = 6, perfectly monotone: exact two-sided p = 2 / 6! (scipy enumerates all 720 orders)."""
    s = np.arange(6.0)
    x = np.column_stack([s * 2 + 1, [0.3, 0.1, 0.5, 0.2, 0.9, 0.4]])
    rs = rankdata(s[:, None])[:, 0]
    exact = [
        scipy.stats.permutation_test(
            (rankdata(x[:, [j]])[:, 0],), _pearson_axis(rs), permutation_type="pairings", n_resamples=np.inf, vectorized=True
        ).pvalue
        for j in (0, 1)
    ]
    assert exact[0] == pytest.approx(2 / 720)
    P = 40000
    got = permutation_pvalues(x, s, "spearman", P, np.random.default_rng(0))
    for g, e in zip(got, exact):
        se = math.sqrt(e * (1 - e) / P)
        assert abs(g - e) < 5 * se + 1.5 / P, (g, e)


def test_permutation_pvalue_pearson_matches_scipy_exact():
    rng = np.random.default_rng(3)
    s = rng.normal(size=8)
    y = 0.4 * s + rng.normal(size=8)
    exact = scipy.stats.permutation_test(
        (y,), _pearson_axis(s), permutation_type="pairings", n_resamples=np.inf, vectorized=True
    ).pvalue  # all 8! = 40320 orders
    P = 40000
    got = permutation_pvalues(y[:, None], s, "pearson", P, np.random.default_rng(4))[0]
    assert abs(got - exact) < 5 * math.sqrt(exact * (1 - exact) / P) + 1.5 / P, (got, exact)


def test_pvalues_through_analyze():
    m = small_panel()
    res = sw.analyze(m, permutations=2000, seed=5, bootstrap=0)
    assert res.result("cap_a").extra["p_value"] is None  # circular for capability benchmarks
    p1 = res.result("safe_1").extra["p_value"]
    assert 1 / 2001 <= p1 <= 1
    again = sw.analyze(m, permutations=2000, seed=5, bootstrap=0)
    assert again.result("safe_1").extra["p_value"] == p1


def test_slope_and_spread_against_polyfit():
    """slope, spread and slope_sd all over the row's own models (LMSYS and MT_Bench lack some models)."""
    m = sw.load_panel("chat")
    res = sw.analyze(m, bootstrap=0)
    s = np.array([res.model_scores.get(k, np.nan) for k in m.scores.index])
    assert res.settings["capabilities_score_sd"] == pytest.approx(np.std(s[~np.isnan(s)]), rel=1e-12)
    for bid in ["LMSYS_Chatbot_Arena", "MT_Bench", "truthfulqa_mc1", "mmlu"]:
        y = m.scores[bid].to_numpy()
        ok = ~np.isnan(y) & ~np.isnan(s)
        b = np.polyfit(s[ok], y[ok], 1)[0]
        s_sd = np.std(s[ok])  # over the row's models, not all scored models
        row = res.result(bid)
        assert row.extra["slope"] == pytest.approx(b * s_sd, rel=1e-9), bid
        assert row.extra["spread"] == pytest.approx(np.std(y[ok]), rel=1e-12), bid
        assert row.extra["slope_sd"] == pytest.approx(b * s_sd / np.std(y[ok]), rel=1e-9), bid


@pytest.mark.parametrize("panel", ["base", "chat"])
def test_slope_sd_equals_pearson_r_against_scipy(panel):
    """Under Pearson slope_sd is r on every row (scipy.stats.linregress / pearsonr on the row's models)."""
    m = sw.load_panel(panel)
    res = sw.analyze(m, method="pearson", bootstrap=0)
    s = np.array([res.model_scores.get(k, np.nan) for k in m.scores.index])
    checked = 0
    for row in res.results:
        if row.correlation is None:
            continue
        y = m.scores[row.benchmark].to_numpy()
        ok = ~np.isnan(y) & ~np.isnan(s)
        want = scipy.stats.pearsonr(s[ok], y[ok]).statistic
        assert row.extra["slope_sd"] == pytest.approx(want, abs=1e-9), row.benchmark
        assert row.extra["slope_sd"] == pytest.approx(row.correlation, abs=1e-9), row.benchmark
        lr = scipy.stats.linregress(s[ok], y[ok])
        assert row.extra["slope"] == pytest.approx(lr.slope * np.std(s[ok]), rel=1e-9, abs=1e-12), row.benchmark
        checked += 1
    assert checked > 100
    lmsys = [r for r in res.results if r.benchmark == "LMSYS_Chatbot_Arena"]
    assert not lmsys or lmsys[0].n < res.n_models  # the case that used to differ


@pytest.mark.parametrize("method", ["spearman", "pearson"])
@pytest.mark.parametrize("compute", ["flop", "params"])
def test_compute_correlation_against_scipy(method, compute):
    m = sw.load_panel("base")
    res = sw.analyze(m, method=method, compute=compute, bootstrap=0)
    c = np.log10(m.models[compute].to_numpy(dtype=float))
    f = scipy.stats.spearmanr if method == "spearman" else scipy.stats.pearsonr
    for bid in ["mmlu", "truthfulqa_mc1", "ethics_all", "cyberseceval2_autocomplete"]:
        y = m.scores[bid].to_numpy()
        ok = ~np.isnan(y) & ~np.isnan(c)
        row = res.result(bid)
        assert row.extra["compute_n"] == int(ok.sum())
        assert row.extra["compute_correlation"] == pytest.approx(f(y[ok], c[ok]).statistic, abs=1e-12), bid
    assert res.settings["capabilities_compute_n"] == int((~np.isnan(c)).sum())


def test_leave_one_out_ranges_equal_rerun_analyses():
    m = small_panel()
    res = sw.analyze(m, sensitivity=True, bootstrap=0)
    sc = m.scores
    by_model = [sw.analyze(sw.ScoreMatrix.from_frame(sc.drop(index=i), roles={c: "capability" for c in CAPS}), bootstrap=0)
                for i in sc.index]
    by_cap = [sw.analyze(m, capabilities=[c for c in CAPS if c != d], bootstrap=0) for d in CAPS]
    for bid in ["safe_1", "safe_2", "safe_ties", "cap_b"]:
        row = res.result(bid).extra
        rm = [r.result(bid).correlation for r in by_model]
        rb = [r.result(bid).correlation for r in by_cap]
        assert row["loo_model_min"] == pytest.approx(min(rm), abs=1e-12)
        assert row["loo_model_max"] == pytest.approx(max(rm), abs=1e-12)
        assert row["loo_benchmark_min"] == pytest.approx(min(rb), abs=1e-12)
        assert row["loo_benchmark_max"] == pytest.approx(max(rb), abs=1e-12)
    assert res.settings["pc_shares"] == pytest.approx(list(res.direction.variance_explained[:3]))


def test_top_eigen_matches_eigh_including_near_degenerate():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 20, 6))
    a[:200] += rng.normal(size=(200, 20, 1)) * 2  # strong PC1
    a[5] = np.repeat(rng.normal(size=(20, 1)), 6, axis=1) + 1e-9 * rng.normal(size=(20, 6))  # rank ~1
    c = np.einsum("bik,bil->bkl", a, a)
    lam, v = top_eigen(c)
    vals, vecs = np.linalg.eigh(c)
    w = vecs[..., -1]
    w = w * np.sign(np.take_along_axis(w, np.argmax(np.abs(w), axis=1)[:, None], axis=1))
    assert np.allclose(lam, vals[:, -1], rtol=1e-12)
    gap = vals[:, -1] - vals[:, -2]
    good = gap > 1e-6 * vals[:, -1]
    assert np.abs(v[good] - w[good]).max() < 1e-9


def test_weighted_ranks_equal_ranks_of_materialised_resample():
    rng = np.random.default_rng(2)
    s = np.round(rng.normal(size=(50, 9)), 1)  # ties between distinct models
    counts = bootstrap_counts(9, 50, 3)
    got = weighted_ranks(s, counts[:, :, None])[:, :, 0]
    for b in range(50):
        idx = np.repeat(np.arange(9), counts[b].astype(int))
        r = rankdata(s[b, idx][:, None])[:, 0]
        for i in np.unique(idx):
            assert got[b, i] == r[idx == i][0]


def test_bca_interval_helper_against_scipy_on_a_mean():
    rng = np.random.default_rng(8)
    data = rng.exponential(size=25)
    ref = scipy.stats.bootstrap((data,), np.mean, n_resamples=2000, rng=np.random.default_rng(9), method="BCa")
    counts = bootstrap_counts(25, 2000, 9)
    boot = (counts @ data / 25)[:, None]
    jack = ((data.sum() - data) / 24)[:, None]
    iv = intervals(np.array([data.mean()]), boot, jack, 0.95, "bca")
    assert iv.low[0] == pytest.approx(ref.confidence_interval.low, abs=1e-12)
    assert iv.high[0] == pytest.approx(ref.confidence_interval.high, abs=1e-12)


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_intervals_hold_their_point_estimates_on_the_panels(method):
    for panel in ("base", "chat"):
        res = sw.analyze(sw.load_panel(panel), method=method, bootstrap=2000, seed=0)
        rows = [r for r in res.results if r.correlation is not None]
        outside = [r.benchmark for r in rows if not (r.extra["ci_low"] - 1e-12 <= r.correlation <= r.extra["ci_high"] + 1e-12)]
        assert res.settings["n_ci_excluding_estimate"] == len(outside) == 0, outside
        assert res.settings["n_ci_percentile_fallback"] == 0
        # every verdict names the point estimate's band among the bands its interval overlaps
        assert all(sw.band(r.correlation) in r.extra["verdict_bands"] for r in rows)
        hi = [r for r in rows if r.verdict == "high"]
        assert hi and all(r.extra["ci_low"] >= 0.7 for r in hi)  # "high" alone only when the interval lies in the band


def test_seed_reproducible_and_seed_recorded():
    m = small_panel()
    a = sw.analyze(m, bootstrap=200, seed=4).to_dict()
    b = sw.analyze(m, bootstrap=200, seed=4).to_dict()
    c = sw.analyze(m, bootstrap=200, seed=5).to_dict()
    assert a == b and a != c
    d = sw.analyze(m, bootstrap=200)
    assert isinstance(d.settings["seed"], int)
    e = sw.analyze(m, bootstrap=200, seed=d.settings["seed"])
    assert e.result("safe_1").extra == d.result("safe_1").extra


def test_impute_lowrank_recovers_a_rank_two_matrix():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2)) @ rng.normal(size=(2, 8)) + rng.normal(size=8) * 5
    miss = rng.random(x.shape) < 0.1
    miss[0] = False
    imp = impute_lowrank(np.where(miss, np.nan, x), rank=2, tol=1e-12, max_iter=5000)
    assert imp.converged
    assert np.abs(imp.values[miss] - x[miss]).max() < 1e-6
    assert np.array_equal(imp.values[~miss], x[~miss])


def test_analyze_impute_scores_incomplete_models_and_says_so():
    m = small_panel()
    plain = sw.analyze(m, bootstrap=0)
    assert "m03" in plain.dropped_models and "m03" not in plain.model_scores
    res = sw.analyze(m, impute=True, bootstrap=0)
    assert "m03" in res.model_scores and not res.dropped_models
    note = " ".join(res.notes)
    assert "imputed 1 missing capability score(s) of 1 model(s) (m03)" in note and "move by at most" in note
    # the user's matrix is not modified
    assert np.isnan(m.scores.loc["m03", "cap_c"])


@pytest.mark.slow
def test_coverage_of_95_percent_intervals_on_synthetic_panels():
    """200 panels of 30 models with a known population Spearman correlation; BCa covers it >= 90%."""
    k, lam, n = 6, 0.8, 30
    rng = np.random.default_rng(2024)
    covered = 0
    for t in range(200):
        rho = (0.3, 0.6, 0.85)[t % 3]
        g = rng.normal(size=n)
        caps = lam * g[:, None] + math.sqrt(1 - lam**2) * rng.normal(size=(n, k))
        y = rho * g + math.sqrt(1 - rho**2) * rng.normal(size=n)
        # population: corr(g, PC1 score) = k lam / sqrt(k^2 lam^2 + k (1 - lam^2)); Spearman = 6/pi asin(r/2)
        r_ys = rho * k * lam / math.sqrt(k * k * lam * lam + k * (1 - lam * lam))
        truth = 6 / math.pi * math.asin(r_ys / 2)
        df = pd.DataFrame(caps, columns=[f"c{j}" for j in range(k)])
        df["y"] = y
        m = sw.ScoreMatrix.from_frame(df, roles={f"c{j}": "capability" for j in range(k)})
        row = sw.analyze(m, bootstrap=1000, seed=t, sensitivity=False, compute=None, adjust="none").result("y").extra
        covered += row["ci_low"] <= truth <= row["ci_high"]
    assert covered >= 180, covered


# ---------------------------------------------------------------- CLI
def test_cli_default_table_has_intervals(cli):
    proc = cli("analyze", "--panel", "chat")
    assert proc.returncode == 0, proc.stderr
    assert "95% CI" in proc.stdout and "BCa bootstrap" in proc.stdout
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "0")
    assert "95% CI" not in proc.stdout


def test_cli_json_rows_carry_every_field(cli):
    proc = cli("analyze", "--panel", "base", "--bootstrap", "500", "--permutations", "500", "--seed", "2", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)["panels"][0]
    keys = {"ci_low", "ci_high", "n_boot_used", "p_value", "slope", "slope_sd", "spread", "compute_correlation", "compute_n",
            "loo_benchmark_min", "loo_benchmark_max", "loo_model_min", "loo_model_max"}
    for row in p["results"]:
        assert keys <= set(row), keys - set(row)
    st = p["settings"]
    assert st["bootstrap"] == 500 and st["seed"] == 2 and st["ci_method"] == "bca" and st["permutations"] == 500
    assert len(st["pc_shares"]) == 3 and st["n_boot_skipped"] == 0
    again = cli("analyze", "--panel", "base", "--bootstrap", "500", "--permutations", "500", "--seed", "2", "--format", "json")
    assert again.stdout == proc.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--bootstrap", "-1"], "bootstrap"),
        (["--bootstrap", "50"], "bootstrap"),
        (["--ci", "1.5"], "ci"),
        (["--ci-method", "studentized"], "--ci-method"),  # the option as typed, its choices listed
        (["--compute", "tokens"], "--compute"),
        (["--permutations", "-3"], "permutations"),
    ],
)
def test_cli_bad_uncertainty_options(cli, args, needle):
    proc = cli("analyze", "--panel", "chat", *args)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_impute_when_dropping_is_impossible_says_so():
    rng = np.random.default_rng(1)
    g = rng.normal(size=7)
    df = pd.DataFrame({f"c{j}": g + rng.normal(scale=0.3, size=7) for j in range(4)}, index=[f"m{i}" for i in range(7)])
    df["y"] = g + rng.normal(size=7)
    df.iloc[[0, 1, 2], 0] = np.nan  # only 4 complete models: too few without imputation
    m = sw.ScoreMatrix.from_frame(df, roles={f"c{j}": "capability" for j in range(4)})
    with pytest.raises(sw.InsufficientDataError):
        sw.analyze(m, bootstrap=0)
    res = sw.analyze(m, impute=True, bootstrap=200, seed=0)
    assert len(res.model_scores) == 7
    assert any("dropping them instead is not possible" in n for n in res.notes)


def test_progress_callback_counts_every_resample():
    seen = []
    sw.analyze(small_panel(), bootstrap=700, seed=0, progress=seen.append)
    assert sum(seen) == 700 and len(seen) >= 1


def test_both_panels_side_by_side_equal_one_at_a_time():
    """`analyze` runs the two panels on two threads: the values are those of each panel run alone, bit for bit."""
    import json

    from conftest import run_cli_inprocess

    args = ["--bootstrap", "300", "--seed", "3", "--format", "json"]
    both = json.loads(run_cli_inprocess("analyze", *args).stdout)["panels"]
    alone = [json.loads(run_cli_inprocess("analyze", "--panel", p, *args).stdout)["panels"][0] for p in ("base", "chat")]

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if not k.startswith("elapsed")}
        return [strip(v) for v in x] if isinstance(x, list) else x

    assert strip(both) == strip(alone)


@pytest.mark.parametrize("B, p", [(400, 7), (60_000, 40)])  # 60,000 resamples: the columns are sorted in 3 blocks
def test_quantiles_equal_numpy_quantiles_of_each_columns_defined_values(B, p):
    from safetywashing.inference._bootstrap import _quantiles

    rng = np.random.default_rng(B)
    boot = np.round(rng.normal(size=(B, p)), 2)  # ties
    boot[rng.random((B, p)) < 0.2] = np.nan
    boot[:, 0] = np.nan  # no defined value
    boot[1:, 1] = np.nan  # one
    used = (~np.isnan(boot)).sum(axis=0)
    q1, q2 = rng.random(p), rng.random(p)
    q2[2] = 1.0
    lo, hi = _quantiles(boot, [q1, q2], used)
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    for j in range(1, p):
        v = boot[~np.isnan(boot[:, j]), j]
        want = np.quantile(v, [q1[j], q2[j]])
        assert (lo[j], hi[j]) == (pytest.approx(want[0], abs=1e-12), pytest.approx(want[1], abs=1e-12)), j
