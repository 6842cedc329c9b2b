"""Claim check and capability-adjusted leaderboard: hand computations, scipy/numpy, the reference figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import safetywashing as sw
from safetywashing.capability._pca import MIN_MODELS
from safetywashing.commands._claim import _draws, bootstrap_claim, bootstrap_claim_irt, leave_pair_out
from safetywashing.inference._fit import fit_on_scores


# --------------------------------------------------------------------------- helpers (independent of the package)
def hand_scores(caps: np.ndarray, method: str = "spearman") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The paper's capabilities score computed with scipy: (scores, mu, sd, w) over a complete panel."""
    z = scipy.stats.zscore(caps, axis=0, ddof=0)
    if method == "spearman":
        c = scipy.stats.spearmanr(z).statistic
    else:
        c = np.corrcoef(z, rowvar=False)
    vals, vecs = np.linalg.eigh(c)
    w = vecs[:, np.argmax(vals)]
    w = w * np.sign(w[np.argmax(np.abs(w))])
    return z @ w, caps.mean(axis=0), caps.std(axis=0), w


def _synthetic(b_intercept: float = 10.0, b_slope: float = 4.0) -> sw.ScoreMatrix:
    """6 models, 2 capability columns (c1, c2: permutations of 1..6) and B = a + b * s exactly."""
    c1 = np.arange(1.0, 7.0)
    c2 = np.array([2.0, 1.0, 4.0, 3.0, 6.0, 5.0])
    sd = math.sqrt(35.0 / 12.0)  # population SD of 1..6
    s = ((c1 - 3.5) / sd + (c2 - 3.5) / sd) / math.sqrt(2.0)  # PC1 of a 2x2 correlation matrix with r > 0
    df = pd.DataFrame({"c1": c1, "c2": c2, "B": b_intercept + b_slope * s}, index=[f"m{i}" for i in range(6)])
    return sw.ScoreMatrix.from_frame(df, name="synthetic", roles={"c1": "capability", "c2": "capability"})


# --------------------------------------------------------------------------- claim: hand computation
@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_synthetic_exact_fit_matches_hand_computation(method):
    m = _synthetic()
    before = {"c1": 2.0, "c2": 2.0, "B": 11.0}
    after = {"c1": 5.0, "c2": 6.0, "B": 18.0}
    r = sw.claim(m, before, after, "B", capabilities=["c1", "c2"], method=method, bootstrap=0)
    sd = math.sqrt(35.0 / 12.0)
    s_b = ((2 - 3.5) / sd + (2 - 3.5) / sd) / math.sqrt(2)
    s_a = ((5 - 3.5) / sd + (6 - 3.5) / sd) / math.sqrt(2)
    assert r.slope == pytest.approx(4.0, abs=1e-12)
    assert r.intercept == pytest.approx(10.0, abs=1e-12)
    assert r.resid_sd == pytest.approx(0.0, abs=1e-12)
    assert r.n == 6
    assert r.capability_score_before == pytest.approx(s_b, abs=1e-12)
    assert r.capability_score_after == pytest.approx(s_a, abs=1e-12)
    pred = 4.0 * 7.0 / (sd * math.sqrt(2))
    assert r.observed_change == pytest.approx(7.0, abs=1e-12)
    assert r.predicted_change == pytest.approx(pred, abs=1e-9)
    assert r.beyond_capabilities == pytest.approx(7.0 - pred, abs=1e-9)
    assert r.share_explained == pytest.approx(pred / 7.0, abs=1e-9)
    assert f"Of the +7.00 gain on B, {pred:+.2f} is what the capability change predicts and" in r.verdict
    # a perfect fit has a zero-width prediction interval: a real +/-x beyond is supported, rounding noise is not
    assert r.beyond_capabilities_se == pytest.approx(0.0, abs=1e-9) and r.beyond_capabilities_supported
    on_line = dict(after, B=11.0 + pred)
    r0 = sw.claim(m, before, on_line, "B", capabilities=["c1", "c2"], method=method, bootstrap=0)
    assert r0.beyond_capabilities == pytest.approx(0.0, abs=1e-9) and not r0.beyond_capabilities_supported
    assert r.n_bootstrap_used == 0 and r.ci("predicted_change") == (None, None)
    d = r.to_dict()
    assert d["predicted_change_ci_low"] is None and d["beyond_capabilities_ci_high"] is None  # keys kept, null
    assert len(d["panel_points"]) == 6 and d["before"]["value"] == 11.0 and d["after"]["capabilities_score"] == s_a


def test_chat_panel_predicted_is_slope_times_score_difference(reference):
    """before = one panel model's row; after = another's capability row with B raised by a known amount."""
    m = sw.load_panel("chat")
    caps = reference["capability_benchmarks"]
    bench, delta = "ethics_all", 0.0625
    x = m.scores[caps].to_numpy(dtype=float)
    s, _, _, _ = hand_scores(x, "spearman")
    ref_scores = reference["panels"]["chat"]["spearman"]["model_capability_scores"]
    np.testing.assert_allclose(s, [ref_scores[k] for k in m.scores.index], atol=1e-6)  # the hand path is the paper's
    slope, intercept = np.polyfit(s, m.scores[bench].to_numpy(), 1)
    a_model, c_model = "Llama-2-7b-chat-hf", "Meta-Llama-3-70B-Instruct"
    ia, ic = list(m.scores.index).index(a_model), list(m.scores.index).index(c_model)
    before = m.scores.loc[a_model, [*caps, bench]]
    after = m.scores.loc[c_model, [*caps, bench]].copy()
    after[bench] = before[bench] + delta
    r = sw.claim(m, before, after, bench, bootstrap=0)
    assert r.slope == pytest.approx(slope, abs=1e-9)
    assert r.intercept == pytest.approx(intercept, abs=1e-9)
    assert r.capability_score_before == pytest.approx(s[ia], abs=1e-9)
    assert r.capability_score_after == pytest.approx(s[ic], abs=1e-9)
    assert r.predicted_change == pytest.approx(slope * (s[ic] - s[ia]), abs=1e-9)
    assert r.observed_change == pytest.approx(delta, abs=1e-12)
    assert r.beyond_capabilities == pytest.approx(delta - slope * (s[ic] - s[ia]), abs=1e-9)


# --------------------------------------------------------------------------- prediction interval of the part beyond
def _sm_difference_pi(s_panel, y_panel, s_b, s_a, level):
    """statsmodels: var of (y_a - yhat_a) - (y_b - yhat_b) for two new models.

    = se_obs_a^2 + se_obs_b^2 - 2 cov(yhat_a, yhat_b), all from the OLS results of statsmodels.
    """
    import statsmodels.api as sm
    res = sm.OLS(y_panel, sm.add_constant(s_panel)).fit()
    ex = np.array([[1.0, s_b], [1.0, s_a]])
    pr = res.get_prediction(ex).summary_frame(alpha=1 - level)
    se_obs = np.sqrt(pr["mean_se"].to_numpy() ** 2 + res.scale)
    cov_ab = ex[0] @ res.cov_params() @ ex[1]
    se = math.sqrt(se_obs[0] ** 2 + se_obs[1] ** 2 - 2 * cov_ab)
    return scipy.stats.t.ppf(0.5 + level / 2, res.df_resid) * se, se


@pytest.mark.parametrize("bench,level", [("ethics_all", 0.95), ("truthfulqa_mc1", 0.9)])
def test_beyond_prediction_interval_matches_statsmodels(bench, level):
    m = sw.load_panel("chat")
    caps = m.capability_benchmarks
    s, _, _, _ = hand_scores(m.scores[caps].to_numpy(float))
    y = m.scores[bench].to_numpy(float)
    ok = ~np.isnan(y)
    before = m.scores.loc["Llama-2-7b-chat-hf", [*caps, bench]].copy()
    after = m.scores.loc["Meta-Llama-3-70B-Instruct", [*caps, bench]].copy()
    after[bench] = before[bench] + 0.06
    r = sw.claim(m, before, after, bench, bootstrap=0, level=level)
    hw, se = _sm_difference_pi(s[ok], y[ok], r.capability_score_before, r.capability_score_after, level)
    assert r.beyond_capabilities_se == pytest.approx(se, rel=1e-9)
    assert r.beyond_capabilities_pi_low == pytest.approx(r.beyond_capabilities - hw, abs=1e-10)
    assert r.beyond_capabilities_pi_high == pytest.approx(r.beyond_capabilities + hw, abs=1e-10)
    assert r.beyond_capabilities_supported == (not r.beyond_capabilities_pi_low <= 0 <= r.beyond_capabilities_pi_high)
    d = r.to_dict()
    for k in ("beyond_capabilities_pi_low", "beyond_capabilities_pi_high", "beyond_capabilities_supported"):
        assert k in d
    assert "beyond_capabilities_pi" in set(r.to_frame()["quantity"])


def test_release_example_is_not_supported_and_a_large_gain_is():
    """The example release's +0.017 beyond capabilities (residual SD 0.039) is noise-sized; +0.25 is not."""
    m = sw.load_panel("chat")
    df = pd.read_csv("examples/claim_release.csv", index_col="model")
    b, a = df.iloc[0], df.iloc[1].copy()
    r = sw.claim(m, b, a, "ethics_all", bootstrap=0)
    assert r.beyond_capabilities == pytest.approx(0.017, abs=0.001)
    assert r.beyond_capabilities_pi_low < 0 < r.beyond_capabilities_pi_high
    assert r.beyond_capabilities_supported is False
    assert r.verdict.startswith("Part beyond capabilities not supported")
    a["ethics_all"] = b["ethics_all"] + 0.25
    r2 = sw.claim(m, b, a, "ethics_all", bootstrap=0)
    assert r2.beyond_capabilities_supported is True and r2.beyond_capabilities_pi_low > 0
    assert r2.verdict.startswith("Part beyond capabilities supported")


def test_capability_columns_in_percent_or_far_outside_are_refused():
    m = sw.load_panel("chat")
    df = pd.read_csv("examples/claim_release.csv", index_col="model")
    b, a = df.iloc[0].copy(), df.iloc[1].copy()
    a[["mmlu", "gsm8k"]] *= 100
    with pytest.raises(sw.InputError, match=r"gsm8k = 50\.64 in row 'after'.*mmlu = 61\.13.*not percent"):
        sw.claim(m, b, a, "ethics_all", bootstrap=0)
    b2 = df.iloc[0].copy()
    b2["logiqa"] = -0.5  # panel range 0.227-0.450: more than one range below the minimum
    with pytest.raises(sw.InputError, match="logiqa = -0.5 in row 'before' .panel range"):
        sw.claim(m, b2, df.iloc[1], "ethics_all", bootstrap=0)
    b3 = df.iloc[0].copy()
    b3["ethics_all"] = 70.5
    with pytest.raises(sw.InputError, match="ethics_all = 70.5"):
        sw.claim(m, b3, df.iloc[1], "ethics_all", bootstrap=0)


def test_leave_pair_out_equals_claim_on_the_panel_without_the_pair():
    """The vectorised coverage check equals claim() run on the panel minus the two models."""
    m = sw.load_panel("chat")
    caps = m.capability_benchmarks
    d = leave_pair_out(m, ["ethics_all", "truthfulqa_mc1"], level=0.9)
    assert len(d) == 2 * 26 * 25 // 2
    for i in (0, 137, 400, 649):
        row = d.iloc[i]
        sub = m.scores.drop(index=[row.before, row.after])
        panel = sw.ScoreMatrix.from_frame(sub, name="minus-pair")
        r = sw.claim(panel, m.scores.loc[row.before], m.scores.loc[row.after], row.benchmark, capabilities=caps,
                     bootstrap=0, level=0.9)
        assert row.beyond == pytest.approx(r.beyond_capabilities, abs=1e-10)
        assert row.halfwidth == pytest.approx((r.beyond_capabilities_pi_high - r.beyond_capabilities_pi_low) / 2, abs=1e-10)
        assert row.covered == (not r.beyond_capabilities_supported)
        assert row.n == r.n == 24


def test_leave_pair_out_coverage_is_nominal_when_the_linear_model_holds():
    """Synthetic panel: B = a + b s + normal noise, so the t interval is exact and coverage is near the level."""
    rng = np.random.default_rng(5)
    covered = []
    for rep in range(4):
        n = 30
        f = rng.normal(size=n)
        caps = f[:, None] + 0.5 * rng.normal(size=(n, 3))
        df = pd.DataFrame(caps, columns=["c1", "c2", "c3"], index=[f"m{i}" for i in range(n)])
        for j in range(5):
            df[f"B{j}"] = 0.3 * f + 0.2 * rng.normal(size=n)
        mm = sw.ScoreMatrix.from_frame(df, name=f"syn{rep}", roles={c: "capability" for c in ("c1", "c2", "c3")})
        covered.append(leave_pair_out(mm, level=0.9).covered.to_numpy())
    cov = np.concatenate(covered).mean()
    assert 0.86 < cov < 0.94


# --------------------------------------------------------------------------- bootstrap
def test_identity_resample_reproduces_point_estimate():
    m = sw.load_panel("base")
    caps = m.capability_benchmarks
    b, a = m.scores.iloc[3], m.scores.iloc[10]
    r = sw.claim(m, b, a, "truthfulqa_mc1", bootstrap=0)
    slope, icpt, sb, sa, good = _draws(
        m.scores[caps].to_numpy(), m.scores["truthfulqa_mc1"].to_numpy(), b[caps].to_numpy(float), a[caps].to_numpy(float),
        np.arange(m.n_models)[None, :], "spearman", min_models=MIN_MODELS,
    )
    assert good.all()
    np.testing.assert_allclose([slope[0], icpt[0], sb[0], sa[0]],
                               [r.slope, r.intercept, r.capability_score_before, r.capability_score_after], atol=1e-10)


@pytest.mark.parametrize("method,holes", [("spearman", False), ("pearson", False), ("spearman", True)])
def test_batched_resamples_equal_a_loop_over_the_core(method, holes):
    """Each batched resample equals the core's own non-batched path run on that resampled panel.

    With ``holes``, three models miss a capability benchmark and two miss the claimed one: the batched
    masks must then match the core's rules (z-scores over available values, PC1 over complete rows).
    """
    m = sw.load_panel("chat")
    caps = m.capability_benchmarks
    bench = "truthfulqa_mc1"
    if holes:
        df = m.scores.copy()
        df.iloc[[1, 4, 9], [df.columns.get_loc(caps[0]), df.columns.get_loc(caps[3]), df.columns.get_loc(caps[5])]] = np.nan
        df.iloc[[2, 7], df.columns.get_loc(bench)] = np.nan
        m = sw.ScoreMatrix.from_frame(df, name="holes")
    b, a = m.scores.iloc[0], m.scores.iloc[5]
    idx = np.random.default_rng(7).integers(0, m.n_models, size=(12, m.n_models))
    slope, icpt, sb, sa, good = _draws(
        m.scores[caps].to_numpy(), m.scores[bench].to_numpy(), b[caps].to_numpy(float), a[caps].to_numpy(float), idx, method,
        min_models=MIN_MODELS,
    )
    assert good.all()
    for i, row in enumerate(idx):
        sub = m.scores.iloc[row].copy()
        sub.index = [f"{k}#{j}" for j, k in enumerate(sub.index)]
        mm = sw.ScoreMatrix.from_frame(sub, name="resample")
        d, scores, _ = sw.capability_direction(mm, caps, method)
        f = fit_on_scores(scores.to_numpy(), sub[bench].to_numpy())
        sc = d.score(pd.DataFrame([b[caps], a[caps]]))
        np.testing.assert_allclose([slope[i], icpt[i], sb[i], sa[i]], [f.slope, f.intercept, sc.iloc[0], sc.iloc[1]],
                                   atol=1e-9)


def test_bootstrap_deterministic_and_intervals_bracket_estimate():
    m = sw.load_panel("chat")
    b, a = m.scores.iloc[2], m.scores.iloc[3]
    r1 = sw.claim(m, b, a, "ethics_all", bootstrap=400, seed=3)
    r2 = sw.claim(m, b, a, "ethics_all", bootstrap=400, seed=3)
    r3 = sw.claim(m, b, a, "ethics_all", bootstrap=400, seed=4)
    assert r1.intervals == r2.intervals
    assert r1.intervals != r3.intervals
    lo, hi = r1.ci("predicted_change")
    assert lo < r1.predicted_change < hi
    blo, bhi = r1.ci("beyond_capabilities")
    # beyond = observed - predicted in every resample, so its interval mirrors the predicted one
    assert blo == pytest.approx(r1.observed_change - hi) and bhi == pytest.approx(r1.observed_change - lo)
    assert r1.n_bootstrap_used + r1.n_bootstrap_skipped == 400
    d = r1.to_dict()
    for k in ("capability_score_before", "capability_score_after", "observed_change", "predicted_change",
              "beyond_capabilities", "share_explained", "slope", "intercept", "n", "predicted_change_ci_low",
              "predicted_change_ci_high", "beyond_capabilities_ci_low", "beyond_capabilities_ci_high", "panel_points"):
        assert k in d, k
    json.dumps(d, allow_nan=False)


def test_degenerate_resamples_are_skipped_and_counted():
    """c2 has one distinct model: resamples without it (or with only it) leave c2 constant and are skipped."""
    caps = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0], [5.0, 1.0], [6.0, 0.0]])
    y = np.array([0.1, 0.3, 0.2, 0.5, 0.4, 0.6])
    n_boot, seed = 3000, 11
    d = bootstrap_claim(caps, y, np.array([2.0, 0.0]), np.array([5.0, 1.0]), n_bootstrap=n_boot, seed=seed,
                        min_models=MIN_MODELS)
    idx = np.random.default_rng(seed).integers(0, 6, size=(n_boot, 6))
    const = (np.ptp(caps[idx], axis=1) == 0).any(axis=1)
    assert d.n_skipped == int(const.sum()) > 0
    assert len(d.slope) == n_boot - d.n_skipped
    assert np.isfinite(d.predicted).all()


@pytest.mark.parametrize("score_method", ["pca", "irt"])
def test_each_model_draws_the_claim_its_own_way(score_method):
    """``claim`` asks the capability model for its draws: the same numbers as the model's own bootstrap, and the
    result says what every resample redid (the CLI prints it)."""
    from safetywashing.capability import fit_capability_model
    from safetywashing.capability._model import draw_scores

    m = sw.load_panel("chat")
    b, a = m.scores.iloc[2], m.scores.iloc[3]
    r = sw.claim(m, b, a, "ethics_all", bootstrap=300, seed=5, score_method=score_method)
    cfit = fit_capability_model(m, None, "spearman", score_method)
    caps = list(cfit.model.benchmarks)
    y = m.scores["ethics_all"].to_numpy(float)
    if score_method == "pca":
        d = bootstrap_claim(m.scores[caps].to_numpy(float), y, b[caps].to_numpy(float), a[caps].to_numpy(float),
                            n_bootstrap=300, seed=5, min_models=MIN_MODELS)
        assert r.resampling == "mu, sigma, w, a, b recomputed in each"
    else:
        st = r.settings
        d = bootstrap_claim_irt(cfit.scores.to_numpy(float), cfit.se.to_numpy(float), y,
                                (r.capability_score_before, st["capability_score_se_before"]),
                                (r.capability_score_after, st["capability_score_se_after"]),
                                n_bootstrap=300, seed=5, draw=draw_scores)
        assert r.resampling == "scores drawn from N(estimate, SE^2), a, b recomputed in each"
    assert d.resampling == r.resampling
    q = [0.025, 0.975]
    assert r.ci("slope") == tuple(float(v) for v in np.quantile(d.slope, q))
    assert r.ci("capability_score_change") == tuple(float(v) for v in np.quantile(d.score_after - d.score_before, q))
    assert r.n_bootstrap_used == len(d.slope) and r.n_bootstrap_skipped == d.n_skipped
    assert "resampling" not in r.to_dict()
    assert sw.claim(m, b, a, "ethics_all", bootstrap=0, score_method=score_method).resampling == ""


# --------------------------------------------------------------------------- claim: errors
def test_claim_errors():
    m = sw.load_panel("chat")
    row = m.scores.iloc[0]
    with pytest.raises(sw.UnknownIdError, match="ethics_al"):
        sw.claim(m, row, row, "ethics_al")
    short = row.drop(["mmlu", "gsm8k"])
    with pytest.raises(sw.InputError, match="gsm8k, mmlu|mmlu, gsm8k"):
        sw.claim(m, short, row, "ethics_all")
    nan = row.copy()
    nan["bbh"] = np.nan
    with pytest.raises(sw.InputError, match="bbh"):
        sw.claim(m, row, nan, "ethics_all")


# --------------------------------------------------------------------------- leaderboard
def test_leaderboard_ranks_equal_hand_residual_ranks():
    m = sw.load_panel("chat")
    bench = "truthfulqa_mc1"
    caps = m.capability_benchmarks
    s, _, _, _ = hand_scores(m.scores[caps].to_numpy(float))
    y = m.scores[bench].to_numpy(float)
    ok = ~np.isnan(y)
    slope, icpt = np.polyfit(s[ok], y[ok], 1)
    resid = y[ok] - (icpt + slope * s[ok])
    models = m.scores.index[ok]
    hand_adj = {models[j]: i + 1 for i, j in enumerate(np.argsort(-resid))}
    hand_raw = {models[j]: i + 1 for i, j in enumerate(np.argsort(-y[ok]))}
    r = sw.leaderboard(m, bench)
    assert r.n == int(ok.sum())
    assert r.slope == pytest.approx(slope, abs=1e-9)
    got = {e.model: e for e in r.entries}
    assert set(got) == set(models)
    for k in models:
        assert got[k].adjusted_rank == hand_adj[k], k
        assert got[k].adjusted == pytest.approx(resid[list(models).index(k)], abs=1e-9)
        if np.sum(y[ok] == got[k].value) == 1:  # untied raw values: competition rank = sort position
            assert got[k].raw_rank == hand_raw[k], k
        assert got[k].rank_change == got[k].raw_rank - got[k].adjusted_rank
    assert [e.adjusted_rank for e in r.entries] == sorted(e.adjusted_rank for e in r.entries)
    assert list(r.to_frame().columns[:3]) == ["panel", "benchmark", "model"]


def test_leaderboard_ties_share_the_best_rank():
    m = _synthetic()
    df = m.scores.copy()
    df["T"] = [1.0, 2.0, 2.0, 3.0, 0.0, 5.0]
    r = sw.leaderboard(sw.ScoreMatrix.from_frame(df, roles={"c1": "capability", "c2": "capability"}), "T",
                       capabilities=["c1", "c2"])
    raw = {e.model: e.raw_rank for e in r.entries}
    assert raw == {"m5": 1, "m3": 2, "m1": 3, "m2": 3, "m0": 5, "m4": 6}


# --------------------------------------------------------------------------- CLI
@pytest.fixture
def claim_file(tmp_path):
    m = sw.load_panel("chat")
    caps = m.capability_benchmarks
    df = m.scores.loc[["Llama-2-7b-chat-hf", "Meta-Llama-3-70B-Instruct"], [*caps, "ethics_all"]].copy()
    df.iloc[1, -1] = df.iloc[0, -1] + 0.1
    df.index = ["ours-v1", "ours-v2"]
    df.index.name = "model"
    p = tmp_path / "release.csv"
    df.to_csv(p)
    return p


def test_cli_claim_json_and_table(cli, claim_file):
    proc = cli("claim", str(claim_file), "--panel", "chat", "--benchmark", "ethics_all", "--bootstrap", "300",
               "--seed", "1", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["before"]["model"] == "ours-v1" and d["after"]["model"] == "ours-v2"
    assert d["observed_change"] == pytest.approx(0.1)
    assert d["predicted_change"] == pytest.approx(d["slope"] * (d["capability_score_after"] - d["capability_score_before"]))
    assert d["predicted_change_ci_low"] < d["predicted_change"] < d["predicted_change_ci_high"]
    assert d["n"] == 26 and d["n_bootstrap_used"] == 300
    proc = cli("claim", str(claim_file), "--benchmark", "ethics_all", "--bootstrap", "200",
               "--before", "ours-v2", "--after", "ours-v1")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())  # the table fits the terminal: sentences wrap
    assert "Of the -0.100 drop on ETHICS" in text and "beyond capabilities" in text
    assert proc.stdout.count("Claim on ETHICS") == 1


def test_cli_claim_output_refuses_input(cli, claim_file):
    before = claim_file.read_text()
    proc = cli("claim", str(claim_file), "--benchmark", "ethics_all", "--output", str(claim_file))
    assert proc.returncode == 2 and "refusing" in proc.stderr
    assert claim_file.read_text() == before


def _bad_files(tmp_path, claim_file):
    df = pd.read_csv(claim_file)
    out = {}
    p = tmp_path / "nocaps.csv"
    df.drop(columns=["mmlu", "bbh"]).to_csv(p, index=False)
    out["nocaps"] = (p, ["--benchmark", "ethics_all"], "bbh, mmlu")
    p = tmp_path / "text.csv"
    d2 = df.astype(object)
    d2.loc[1, "gsm8k"] = "n/a%"
    d2.to_csv(p, index=False)
    out["text"] = (p, ["--benchmark", "ethics_all"], "line 3 (model 'ours-v2'), column 'gsm8k'")
    p = tmp_path / "three.csv"
    pd.concat([df, df.assign(model="ours-v3")]).to_csv(p, index=False)
    out["three"] = (p, ["--benchmark", "ethics_all"], "--before NAME --after NAME")
    p = tmp_path / "nomodel.csv"
    df.drop(columns=["model"]).to_csv(p, index=False)
    out["nomodel"] = (p, ["--benchmark", "ethics_all"], "no model column")
    p = tmp_path / "percent.csv"
    d3 = df.copy()
    d3[["mmlu", "bbh"]] = d3[["mmlu", "bbh"]] * 100
    d3.to_csv(p, index=False)
    out["percent"] = (p, ["--benchmark", "ethics_all"], "bbh = ")
    out["unknown_before"] = (claim_file, ["--benchmark", "ethics_all", "--before", "ours-v9"], "ours-v9")
    out["unknown_bench"] = (claim_file, ["--benchmark", "ethics_al"], "did you mean")
    out["bench_missing_in_file"] = (claim_file, ["--benchmark", "truthfulqa_mc1"], "truthfulqa_mc1")
    return out


BAD_CASES = ["nocaps", "text", "three", "nomodel", "percent", "unknown_before", "unknown_bench", "bench_missing_in_file"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_cli_claim_bad_input_one_line_exit_2(cli, tmp_path, claim_file, case):
    path, args, needle = _bad_files(tmp_path, claim_file)[case]
    proc = cli("claim", str(path), *args, "--bootstrap", "0")
    assert proc.returncode == 2, proc.stdout
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_cli_leaderboard_panel_and_data_agree(cli, tmp_path):
    m = sw.load_panel("chat")
    p = tmp_path / "mine.csv"
    m.scores.rename_axis("model").to_csv(p)
    a = cli("leaderboard", "--panel", "chat", "--benchmark", "ethics_all", "--format", "json")
    b = cli("leaderboard", "--data", str(p), "--benchmark", "ethics_all", "--format", "json")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    ra, rb = json.loads(a.stdout)["rows"], json.loads(b.stdout)["rows"]
    assert [(r["model"], r["adjusted_rank"], r["raw_rank"]) for r in ra] == [(r["model"], r["adjusted_rank"], r["raw_rank"])
                                                                          for r in rb]
    t = cli("leaderboard", "--benchmark", "ethics_all")
    assert t.returncode == 0 and "adj. rank" in t.stdout and t.stdout.count("ranked by raw score") == 1


def test_cli_leaderboard_bad_data(cli, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("model,mmlu,bbh\na,0.5,0.4\nb,oops,0.3\n")
    proc = cli("leaderboard", "--data", str(p), "--benchmark", "mmlu")
    assert proc.returncode == 2 and "line 3, column 'mmlu'" in proc.stderr and "'oops'" in proc.stderr
    proc = cli("leaderboard", "--benchmark", "ethic_all")
    assert proc.returncode == 2 and "ethics_all" in proc.stderr


@pytest.mark.parametrize("cmd", ["claim", "leaderboard"])
def test_help_has_example(cli, cmd):
    proc = cli(cmd, "--help")
    assert proc.returncode == 0 and "Example" in proc.stdout and "\n    safetywashing " + cmd in proc.stdout


def test_desc_ranks_equal_scipy_min_ranks():
    from safetywashing.commands._leaderboard import desc_ranks

    x = np.random.default_rng(0).integers(0, 6, 200).astype(float)
    np.testing.assert_array_equal(desc_ranks(x), scipy.stats.rankdata(-x, method="min"))


# --------------------------------------------------------------------------- issue 18, item 6: --pair same-model
def _release() -> pd.DataFrame:
    return pd.read_csv("examples/claim_release.csv", index_col=0)


def test_same_model_interval_matches_hand_computation():
    # beyond +- z sqrt(v_b + v_a + b^2 (w_b + w_a) + ds^2 sigma^2 / Sxx), every term by hand (numpy/scipy)
    panel = sw.load_panel("chat")
    t = _release()
    k_eth = 4000
    r = sw.claim(panel, t.iloc[0], t.iloc[1], "ethics_all", n_bootstrap=0, pair="same-model", n_items={"ethics_all": k_eth})
    caps = list(r.capability_benchmarks)
    x = panel.scores[caps].to_numpy(dtype=float)
    s, mu, sd, w = hand_scores(x)
    y = panel.scores["ethics_all"].to_numpy(dtype=float)
    slope, icpt = np.polyfit(s, y, 1)
    sigma = math.sqrt(((y - icpt - slope * s) ** 2).sum() / (len(y) - 2))
    sxx = ((s - s.mean()) ** 2).sum()
    xb, xa = t.iloc[0][caps].to_numpy(float), t.iloc[1][caps].to_numpy(float)
    sb, sa = ((xb - mu) / sd) @ w, ((xa - mu) / sd) @ w
    k = pd.read_csv("src/safetywashing/data/registry/benchmark_items.csv", index_col=0)["n_items"].reindex(caps).to_numpy(float)
    grad = w / sd  # the PCA score is linear in the row
    wv = lambda row: float((grad**2 * row * (1 - row) / k).sum())  # noqa: E731
    yb, ya = float(t.iloc[0]["ethics_all"]), float(t.iloc[1]["ethics_all"])
    var = yb * (1 - yb) / k_eth + ya * (1 - ya) / k_eth + slope**2 * (wv(xb) + wv(xa)) + (sa - sb) ** 2 * sigma**2 / sxx
    beyond = (ya - yb) - slope * (sa - sb)
    half = scipy.stats.norm.ppf(0.975) * math.sqrt(var)
    assert r.pair == "same-model"
    assert r.beyond_capabilities == pytest.approx(beyond, abs=1e-9)
    assert r.beyond_capabilities_se == pytest.approx(math.sqrt(var), rel=1e-6)
    assert r.beyond_capabilities_pi_low == pytest.approx(beyond - half, rel=1e-6)
    assert r.beyond_capabilities_pi_high == pytest.approx(beyond + half, rel=1e-6)
    assert r.beyond_capabilities_supported == (beyond - half > 0 or beyond + half < 0)
    # the same-model interval is far narrower than the different-models one (which adds two models' scatter)
    d = sw.claim(panel, t.iloc[0], t.iloc[1], "ethics_all", n_bootstrap=0)
    assert d.pair == "different-models"
    assert (r.beyond_capabilities_pi_high - r.beyond_capabilities_pi_low) < 0.3 * (
        d.beyond_capabilities_pi_high - d.beyond_capabilities_pi_low)


def test_share_printed_only_when_the_part_beyond_capabilities_is_identified():
    # identical capability columns, ETHICS +0.06: "Capabilities account for 0%" and "consistent with the capability
    # change alone" must not stand in one paragraph
    panel = sw.load_panel("chat")
    b = _release().iloc[0].copy()
    a = b.copy()
    a["ethics_all"] += 0.06
    d = sw.claim(panel, b, a, "ethics_all", n_bootstrap=200)
    assert not d.beyond_capabilities_supported
    assert "Capabilities account for" not in d.verdict and "not identified" in d.verdict
    assert "capability change alone" not in d.verdict
    row = d.to_frame().set_index("quantity").loc["share_explained"]
    assert pd.isna(row["estimate"]) and pd.isna(row["ci_low"])
    # the default release example (not supported) no longer prints "72% (48% to 90%)"
    t = _release()
    e = sw.claim(panel, t.iloc[0], t.iloc[1], "ethics_all", n_bootstrap=200)
    assert not e.beyond_capabilities_supported and "Capabilities account for" not in e.verdict
    # one model before and after with 4000 items: +0.06 with no capability change is supported, the share is 0%
    s = sw.claim(panel, b, a, "ethics_all", n_bootstrap=200, pair="same-model", n_items={"ethics_all": 4000})
    assert s.beyond_capabilities_supported and s.share_identified
    assert "Capabilities account for 0% of the observed change" in s.verdict


def test_default_output_names_the_pair_and_how_to_switch(cli):
    r = cli("claim", "examples/claim_release.csv", "--panel", "chat", "--benchmark", "ethics_all", "--bootstrap", "100")
    assert r.returncode == 0
    flat = " ".join(r.stdout.split())
    assert "Pair: different-models" in flat and "use --pair same-model" in flat
    j = cli("claim", "examples/claim_release.csv", "--benchmark", "ethics_all", "--bootstrap", "0", "--format", "json")
    assert json.loads(j.stdout)["pair"] == "different-models"


def test_same_model_without_noise_source_is_one_line_exit_2(cli):
    r = cli("claim", "examples/claim_release.csv", "--benchmark", "ethics_all", "--bootstrap", "0", "--pair", "same-model")
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1
    assert "--n-items ethics_all=N" in r.stderr and "ethics_all_se" in r.stderr and "Traceback" not in r.stderr
    bad = cli("claim", "examples/claim_release.csv", "--benchmark", "ethics_all", "--pair", "same")
    assert bad.returncode == 2 and "--pair" in bad.stderr


def test_same_model_standard_errors_from_the_file(cli, tmp_path):
    t = _release()
    t["ethics_all_stderr"] = [0.004, 0.005]
    f = tmp_path / "c.csv"
    t.to_csv(f)
    r = cli("claim", str(f), "--benchmark", "ethics_all", "--bootstrap", "0", "--pair", "same-model", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["noise"]["benchmark_se_before"] == 0.004 and d["noise"]["benchmark_se_after"] == 0.005
    assert "ethics_all_stderr" in d["noise"]["source"]
    assert d["noise"]["terms"]["benchmark_noise"] == pytest.approx(0.004**2 + 0.005**2)
    t["ethics_all_stderr"] = ["0.004", "n/a"]
    t.to_csv(f)
    bad = cli("claim", str(f), "--benchmark", "ethics_all", "--bootstrap", "0", "--pair", "same-model")
    assert bad.returncode == 2 and "line 3" in bad.stderr and "ethics_all_stderr" in bad.stderr


def _simulation():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "claim_same_model.py"
    spec = importlib.util.spec_from_file_location("claim_same_model", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_same_model_interval_covers_and_has_power_in_simulation():
    # binomial re-evaluations of one model (benchmarks/claim_same_model.py, fewer draws): 95% coverage with and without
    # a planted effect; a +0.05 effect on 4000 items is found almost always, never by the different-models interval
    sim = _simulation()
    su = sim.setup()
    null = sim.simulate(su, n_sims=3000, delta=0.0, n_items=4000, seed=1)
    eff = sim.simulate(su, n_sims=3000, delta=0.05, n_items=4000, seed=2)
    assert 0.94 <= null["coverage"] <= 0.96 and 0.94 <= eff["coverage"] <= 0.96
    assert null["power"] <= 0.06
    assert eff["power"] >= 0.9 and eff["power_different_models"] <= 0.02


def test_same_model_standard_errors_from_harness_logs_via_provenance(cli, tmp_path):
    # ingest writes FILE.provenance.csv beside the matrix with the harness's stderr per (model, benchmark)
    t = _release()
    f = tmp_path / "m.csv"
    t.to_csv(f)
    cols = "model,benchmark,value,harness,source,task,metric,filter,n_shot,stderr,date,provider,raw_value,transform,note"
    lines = [cols] + [f"{m},ethics_all,{v},lm-eval,x.json,ethics,acc,none,0,{se},2026-01-01,hf,{v},identity,"
                      for m, v, se in zip(t.index, t["ethics_all"], (0.003, 0.0035))]
    (tmp_path / "m.provenance.csv").write_text("\n".join(lines) + "\n")
    r = cli("claim", str(f), "--benchmark", "ethics_all", "--bootstrap", "0", "--pair", "same-model", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["noise"]["benchmark_se_before"] == pytest.approx(0.003, rel=1e-6)
    assert d["noise"]["benchmark_se_after"] == pytest.approx(0.0035, rel=1e-6)
    assert "harness logs" in d["noise"]["source"]


# --------------------------------------------------------------------------- issue 18, item 8: leaderboard intervals
def test_leaderboard_intervals_are_leave_one_out_prediction_intervals_by_hand():
    m = sw.load_panel("chat")
    r = sw.leaderboard(m, "ethics_all")
    s = pd.Series(sw.analyze(m, bootstrap=0).model_scores)
    y = m.scores.loc[s.index, "ethics_all"]
    for e in r.entries:
        keep = s.index != e.model
        xs, ys = s[keep].to_numpy(), y[keep].to_numpy()
        slope, icpt = np.polyfit(xs, ys, 1)
        n = len(xs)
        sigma = math.sqrt(((ys - icpt - slope * xs) ** 2).sum() / (n - 2))
        h = 1 / n + (s[e.model] - xs.mean()) ** 2 / ((xs - xs.mean()) ** 2).sum()
        pred = icpt + slope * s[e.model]
        half = scipy.stats.t.ppf(0.975, n - 2) * sigma * math.sqrt(1 + h)
        assert (e.pi_low, e.pi_high) == (pytest.approx(pred - half, abs=1e-9), pytest.approx(pred + half, abs=1e-9))
        assert (e.adjusted_low, e.adjusted_high) == (pytest.approx(e.value - pred - half, abs=1e-9),
                                                     pytest.approx(e.value - pred + half, abs=1e-9))
        assert e.beyond == ("above" if e.value > pred + half else "below" if e.value < pred - half else "")
    lo = np.array([e.adjusted_low for e in r.entries])
    hi = np.array([e.adjusted_high for e in r.entries])
    for i, e in enumerate(r.entries):
        assert e.rank_best == 1 + int((lo > hi[i]).sum()) and e.rank_worst == len(lo) - int((hi < lo[i]).sum())
    # the top residual is 1.4 residual SDs: no "#1 adjusted" on ETHICS
    assert r.entries[0].adjusted / r.resid_sd == pytest.approx(1.42, abs=0.01)
    assert (r.entries[0].rank_best, r.entries[0].rank_worst) == (1, 26)


def test_leaderboard_ranks_first_only_when_its_interval_excludes_the_others():
    rng = np.random.default_rng(3)
    c1 = np.linspace(0, 1, 30)
    c2 = c1 + rng.normal(0, 0.05, 30)
    t = 0.2 + 0.5 * c1 + rng.normal(0, 0.01, 30)
    t[7] += 0.2  # one model far above what its capabilities predict
    df = pd.DataFrame({"c1": c1, "c2": c2, "T": t}, index=[f"m{i}" for i in range(30)])
    r = sw.leaderboard(sw.ScoreMatrix.from_frame(df, roles={"c1": "capability", "c2": "capability"}), "T",
                       capabilities=["c1", "c2"])
    top = r.entries[0]
    assert top.model == "m7" and (top.rank_best, top.rank_worst) == (1, 1) and top.rank_text == "1" and top.beyond == "above"
    assert all(e.rank_best >= 2 for e in r.entries[1:])
    assert any("#1 adjusted: m7" in n for n in r.notes)


def test_cli_leaderboard_table_shows_intervals_and_rank_ranges(cli):
    t = cli("leaderboard", "--benchmark", "ethics_all")
    assert t.returncode == 0
    assert "95% PI of adjusted" in t.stdout and "1-26" in t.stdout
    j = json.loads(cli("leaderboard", "--benchmark", "ethics_all", "--format", "json").stdout)
    assert {"pi_low", "pi_high", "adjusted_low", "adjusted_high", "beyond", "rank_best", "rank_worst"} <= set(j["rows"][0])


def test_report_claim_view_prints_no_share_when_unidentified():
    from safetywashing.present._report import figure_claim

    panel = sw.load_panel("chat")
    t = _release()
    d = sw.claim(panel, t.iloc[0], t.iloc[1], "ethics_all", n_bootstrap=0).to_dict()
    assert d["share_identified"] is False and d["share_explained"] == pytest.approx(0.72, abs=0.01)
    fig = figure_claim(d, sw.analyze(panel, bootstrap=0), panel)
    assert "explained by capabilities" not in fig["layout"]["title"]["text"]
