"""Verdicts as tests against the bands, multiplicity, reliability, capability vs scale, families, registry corrections.

Each statistic is checked against an independent computation: scipy.stats
(bootstrap, false_discovery_control, pearsonr, spearmanr), numpy least squares,
or the formula worked by hand with the standard library.
"""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import safetywashing as sw
from safetywashing.inference._cluster import cluster_bootstrap_counts, family_codes, leave_one_cluster_out_counts
from safetywashing.inference._effects import partial_compute_correlations
from safetywashing.inference._multiplicity import adjusted_levels, bh_qvalues
from safetywashing.inference._reliability import disattenuated, reliability_from_counts
from safetywashing.inference._verdict import BANDS, verdict, verdict_bands
from test_uncertainty import CAPS, slow_statistic, small_panel

# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    "r,lo,hi,bands,want",
    [
        (0.8, 0.72, 0.9, ["high"], "high"),
        (0.8, 0.69, 0.9, ["moderate", "high"], "moderate to high"),
        (0.39, -0.03, 0.69, ["low", "moderate"], "low to moderate"),
        (0.5, 0.39, 0.71, ["low", "moderate", "high"], "low to high"),
        (0.1, -0.39, 0.39, ["low"], "low"),
        (0.0, -0.4, 0.4, ["moderate negative", "low", "moderate"], "moderate negative to moderate"),
        (-0.8, -0.95, -0.7, ["high negative"], "high negative"),
        (-0.5, -0.75, -0.3, ["high negative", "moderate negative", "low"], "high negative to low"),
        (0.0, -0.9, 0.9, list(BANDS), "high negative to high"),
        (0.7, 0.7, 0.7, ["high"], "high"),  # boundaries: 0.7 is high, 0.4 moderate, -0.4 moderate negative
        (0.4, 0.4, 0.4, ["moderate"], "moderate"),
        (-0.4, -0.4, -0.4, ["moderate negative"], "moderate negative"),
    ],
)
def test_verdict_bands_by_hand(r, lo, hi, bands, want):
    assert verdict_bands(lo, hi) == bands
    assert verdict(r, lo, hi) == want


def test_verdict_without_interval_is_the_band():
    assert verdict(0.75) == "high" and verdict(-0.45) == "moderate negative" and verdict(None) == "undefined"
    assert verdict_bands(None, 0.5) == []


def _bands_by_thresholds(lo: float, hi: float) -> list[str]:
    """Independent: which of the five signed bands (as intervals of the line) does [lo, hi] touch?"""
    edges = {
        "high negative": (-math.inf, -0.7, True),
        "moderate negative": (-0.7, -0.4, False),
        "low": (-0.4, 0.4, None),
        "moderate": (0.4, 0.7, None),
        "high": (0.7, math.inf, None),
    }
    out = []
    for name, (a, b, _) in edges.items():
        # band as a set: high negative (-inf, -0.7]; moderate negative (-0.7, -0.4]; low (-0.4, 0.4);
        # moderate [0.4, 0.7); high [0.7, inf)
        if name == "high negative":
            touch = lo <= b
        elif name == "moderate negative":
            touch = hi > a and lo <= b
        elif name == "low":
            touch = hi > a and lo < b
        elif name == "moderate":
            touch = hi >= a and lo < b
        else:
            touch = hi >= a
        if touch:
            out.append(name)
    return out


@pytest.mark.parametrize("panel", ["base", "chat"])
def test_panel_rows_carry_verdict_bands_matching_their_intervals(panel):
    res = sw.analyze(sw.load_panel(panel), bootstrap=300, seed=0, adjust="fcr")
    singles = 0
    for r in res.results:
        if r.correlation is None:
            continue
        lo, hi = r.extra["ci_low"], r.extra["ci_high"]
        assert r.extra["verdict_bands"] == _bands_by_thresholds(lo, hi), r.benchmark
        b = r.extra["verdict_bands"]
        assert r.verdict == (b[0] if len(b) == 1 else f"{b[0]} to {b[-1]}")
        singles += len(b) == 1 and r.role != "capability"
    note = next(n for n in res.notes if "get a single band" in n)
    assert f"{singles} of " in note
    # the point estimates are still the paper's
    plain = sw.analyze(sw.load_panel(panel), bootstrap=0)
    assert [r.correlation for r in res.results] == [r.correlation for r in plain.results]


# --------------------------------------------------------------------------- multiplicity


def test_bh_qvalues_equal_scipy():
    rng = np.random.default_rng(3)
    p = rng.uniform(size=40) ** 3
    p[[3, 17]] = np.nan
    p[5] = p[6]  # a tie
    q = bh_qvalues(p)
    ok = ~np.isnan(p)
    assert np.isnan(q[~ok]).all()
    assert np.allclose(q[ok], scipy.stats.false_discovery_control(p[ok], method="bh"), atol=1e-12)


def test_adjusted_levels_by_hand():
    lo = np.array([0.1, -0.2, -0.8, np.nan, 0.3, -0.1])
    hi = np.array([0.5, 0.3, -0.1, np.nan, 0.9, 0.2])
    fam = np.array([True, True, True, True, False, True])  # index 4 a capability benchmark
    by = adjusted_levels(lo, hi, fam, 0.95, "fcr")
    assert by.m == 4 and by.r_selected == 2  # rows 0 and 2 exclude 0
    assert by.levels[0] == pytest.approx(1 - 2 * 0.05 / 4) and by.levels[2] == pytest.approx(1 - 2 * 0.05 / 4)
    assert by.levels[1] == 0.95 and by.levels[5] == 0.95 and np.isnan(by.levels[4])
    bo = adjusted_levels(lo, hi, fam, 0.95, "bonferroni")
    assert np.allclose(bo.levels[[0, 1, 2, 5]], 1 - 0.05 / 4)


@pytest.mark.parametrize("adjust", ["bonferroni", "fcr"])
def test_adjusted_intervals_equal_scipy_bootstrap_at_the_adjusted_level(adjust):
    """scipy.stats.bootstrap with the same draws, at level 1 - alpha/m (Bonferroni) or 1 - R alpha/m (BY, by hand)."""
    m = small_panel(n=20)  # 20 models: 2 of the 4 non-capability intervals exclude 0
    B, seed = 400, 11
    res = sw.analyze(m, bootstrap=B, seed=seed, adjust=adjust)
    x = m.scores.to_numpy()
    cols = list(m.scores.columns)
    cap_idx = [cols.index(c) for c in CAPS]

    def ref(level, previous=None):
        """scipy's BCa interval; with ``previous``, at another level from the same resamples (scipy recomputes none)."""
        return scipy.stats.bootstrap(
            (np.arange(m.n_models),), lambda idx: slow_statistic(x[np.asarray(idx, dtype=int)], cap_idx, "spearman"),
            vectorized=False, n_resamples=0 if previous else B, bootstrap_result=previous,
            rng=np.random.default_rng(seed), method="BCa", confidence_level=level,
        )

    first = ref(0.95)
    base = first.confidence_interval
    fam = [j for j, c in enumerate(cols) if c not in CAPS]
    if adjust == "bonferroni":
        chosen = fam
        level = 1 - 0.05 / len(fam)
    else:
        chosen = [j for j in fam if base.low[j] > 0 or base.high[j] < 0]
        level = 1 - len(chosen) * 0.05 / len(fam)
    assert 0 < len(chosen) <= len(fam) and (adjust == "bonferroni" or len(chosen) < len(fam))
    adj = ref(level, first).confidence_interval
    for j, bid in enumerate(cols):
        row = res.result(bid)
        want = adj if j in chosen else base
        assert row.extra["ci_low"] == pytest.approx(want.low[j], abs=1e-9), bid
        assert row.extra["ci_high"] == pytest.approx(want.high[j], abs=1e-9), bid
        if j in fam:
            assert row.extra["ci_low_unadjusted"] == pytest.approx(base.low[j], abs=1e-9), bid
            assert row.extra["ci_level"] == pytest.approx(level if j in chosen else 0.95)
    assert res.settings["adjust"] == adjust and res.settings["adjust_family_size"] == len(fam)


def test_qvalues_beside_pvalues():
    res = sw.analyze(small_panel(), permutations=999, seed=2, bootstrap=0)
    rows = [r for r in res.results if r.extra["p_value"] is not None]
    p = np.array([r.extra["p_value"] for r in rows])
    q = np.array([r.extra["q_value"] for r in rows])
    assert np.allclose(q, scipy.stats.false_discovery_control(p), atol=1e-12)
    assert res.result("cap_a").extra["q_value"] is None


# --------------------------------------------------------------------------- reliability


def test_reliability_formula_by_hand():
    p = [0.55, 0.61, 0.70, 0.52, 0.83, 0.66]
    k = 100
    err = statistics.fmean(v * (1 - v) for v in p) / k
    want = 1 - err / statistics.variance(p)  # ddof = 1
    got = reliability_from_counts(np.array(p), k)
    assert float(got.reliability) == pytest.approx(want, abs=1e-12)
    assert float(got.noise_ceiling) == pytest.approx(math.sqrt(want), abs=1e-12)
    assert float(disattenuated(0.5, got.noise_ceiling)) == pytest.approx(0.5 / math.sqrt(want), abs=1e-12)
    assert float(disattenuated(0.95, 0.5)) == 1.0  # clipped
    # not accuracies, unknown count, too few models: no figure
    assert np.isnan(reliability_from_counts(np.array([12.0, 40.0, 55.0]), 100).reliability)
    assert np.isnan(reliability_from_counts(np.array(p), np.nan).reliability)
    assert np.isnan(reliability_from_counts(np.array(p[:2]), 100).reliability)


def test_copa_reliability_on_the_chat_panel_by_hand():
    """COPA: 100 validation items (the registry's count, with its source); reliability ~0.67 on the chat panel."""
    m = sw.load_panel("chat")
    res = sw.analyze(m, bootstrap=0)
    row = res.result("superglue_copa")
    v = [m.scores.loc[k, "superglue_copa"] for k in res.model_scores]
    want = 1 - statistics.fmean(x * (1 - x) for x in v) / 100 / statistics.variance(v)
    assert row.extra["n_items"] == 100
    assert row.extra["reliability"] == pytest.approx(want, abs=1e-12)
    assert row.extra["reliability"] == pytest.approx(0.673, abs=0.001)
    assert row.extra["disattenuated_correlation"] == pytest.approx(min(1.0, row.correlation / math.sqrt(want)), abs=1e-12)
    items = pd.read_csv(sw.__path__[0] + "/data/registry/benchmark_items.csv")
    assert items["source"].str.len().min() > 10 and items["id"].is_unique


def test_noise_limited_flag():
    rng = np.random.default_rng(0)
    n = 20
    g = rng.normal(size=n)
    df = pd.DataFrame({f"c{j}": g + rng.normal(scale=0.4, size=n) for j in range(3)}, index=[f"m{i}" for i in range(n)])
    df["noisy_acc"] = np.clip(0.6 + 0.01 * g + rng.normal(scale=0.03, size=n), 0, 1)
    mat = sw.ScoreMatrix.from_frame(df, roles={f"c{j}": "capability" for j in range(3)})
    res = sw.analyze(mat, bootstrap=200, seed=0, n_items={"noisy_acc": 50})
    row = res.result("noisy_acc")
    assert row.extra["noise_ceiling"] < 0.7 and "low" in row.extra["verdict_bands"]
    assert row.extra["noise_limited"] is True
    assert any("noise-limited" in n and "noisy_acc" in n for n in res.notes)
    with pytest.raises(sw.InputError):
        sw.analyze(mat, n_items={"nope": 50}, bootstrap=0)


# --------------------------------------------------------------------------- capability or scale


def _partial_by_residuals(y, s, c, method):
    """Independent: correlate the residuals of y and s after least squares on c (ranks for Spearman)."""
    if method == "spearman":
        y, s, c = (scipy.stats.rankdata(v) for v in (y, s, c))
    X = np.column_stack([np.ones_like(c), c])
    ry = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    rs = s - X @ np.linalg.lstsq(X, s, rcond=None)[0]
    return scipy.stats.pearsonr(ry, rs).statistic


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_partial_compute_correlation_against_residual_regression(method):
    m = sw.load_panel("chat")
    res = sw.analyze(m, method=method, compute="flop", bootstrap=0)
    s = np.array([res.model_scores.get(k, np.nan) for k in m.scores.index])
    c = np.log10(m.models["flop"].to_numpy(dtype=float))
    for bid in ["ethics_all", "truthfulqa_mc1", "LMSYS_Chatbot_Arena", "bbq", "wmdp_bio"]:
        y = m.scores[bid].to_numpy()
        ok = ~np.isnan(y) & ~np.isnan(s) & ~np.isnan(c)
        row = res.result(bid)
        assert row.extra["partial_compute_n"] == int(ok.sum())
        want = _partial_by_residuals(y[ok], s[ok], c[ok], method)
        assert row.extra["partial_compute_correlation"] == pytest.approx(want, abs=1e-10), bid
        f = scipy.stats.spearmanr if method == "spearman" else scipy.stats.pearsonr
        assert row.extra["score_compute_correlation"] == pytest.approx(f(s[ok], c[ok]).statistic, abs=1e-10)
    assert res.result("mmlu").extra["partial_compute_correlation"] is None  # capability benchmark
    assert any("cannot separate capabilities from scale" in n for n in res.notes)


def test_partial_function_needs_four_models():
    x = np.array([[1.0], [2.0], [3.0]])
    out = partial_compute_correlations(x, np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0]), "pearson")
    assert np.isnan(out["partial"][0])


# --------------------------------------------------------------------------- families


def test_cluster_counts_by_hand():
    codes = np.array([0, 0, 1, 2, 2, 2, 3])
    counts = cluster_bootstrap_counts(codes, 50, 4)
    draws = np.random.default_rng(4).integers(0, 4, (50, 4))
    for b in range(50):
        per_family = np.bincount(draws[b], minlength=4)
        assert np.array_equal(counts[b], per_family[codes])
    jk = leave_one_cluster_out_counts(codes)
    assert jk.shape == (4, 7) and np.array_equal(jk[2], (codes != 2).astype(float))


def _with_families(m: sw.ScoreMatrix, fam: list[str]) -> sw.ScoreMatrix:
    models = m.models.copy()
    models["family"] = fam
    return sw.ScoreMatrix(m.name, m.scores, models, m.benchmarks, m.notes, m.source)


def test_cluster_bootstrap_equals_scipy_over_families():
    """scipy.stats.bootstrap over family indices (BCa: its jackknife leaves one family out), slow pipeline per resample."""
    base = small_panel(n=12)
    fam = ["A", "A", "B", "C", "C", "D", "E", "E", "F", "G", "H", "H"]
    m = _with_families(base, fam)
    codes, names = family_codes(m.models)
    B, seed = 300, 5
    res = sw.analyze(m, bootstrap=B, seed=seed, cluster="family", adjust="none")
    assert res.settings["n_families"] == len(names) == 8
    x = m.scores.to_numpy()
    cols = list(m.scores.columns)
    cap_idx = [cols.index(c) for c in CAPS]
    members = [np.flatnonzero(codes == g) for g in range(len(names))]

    def stat(fidx):
        idx = np.concatenate([members[int(g)] for g in fidx])
        return slow_statistic(x[idx], cap_idx, "spearman")

    ref = scipy.stats.bootstrap((np.arange(len(names)),), stat, vectorized=False, n_resamples=B,
                                rng=np.random.default_rng(seed), method="BCa", confidence_level=0.95)
    dist = ref.bootstrap_distribution
    if np.isnan(dist).all(axis=0).any():
        pytest.skip("degenerate family resample in the reference")
    assert res.settings["n_boot_skipped"] == 0
    for j, bid in enumerate(cols):
        row = res.result(bid)
        assert row.extra["ci_low"] == pytest.approx(ref.confidence_interval.low[j], abs=1e-9), bid
        assert row.extra["ci_high"] == pytest.approx(ref.confidence_interval.high[j], abs=1e-9), bid
    assert any("8 model families of the 12 models" in n for n in res.notes)


def test_panels_ship_families_and_cluster_reports_them():
    chat = sw.load_panel("chat")
    assert chat.models["family"].ne("").all()
    assert (chat.models["family"] == "Alibaba (Qwen)").sum() == 8
    res = sw.analyze(chat, bootstrap=200, seed=0, cluster="family", sensitivity=False)
    assert res.settings["n_families"] == chat.models["family"].nunique()
    with pytest.raises(sw.InputError):
        sw.analyze(small_panel(), bootstrap=200, seed=0, cluster="family")  # no family column


# --------------------------------------------------------------------------- registry corrections


def test_registry_corrections_and_as_published():
    pub = sw.load_panel("chat", as_published=True)
    cor = sw.load_panel("chat")
    for c in [c for c in pub.scores.columns if c.startswith("discrim_eval_")]:
        assert np.allclose(cor.scores[c], -pub.scores[c].abs(), equal_nan=True)
        assert "parity" in cor.benchmarks.loc[c, "metric"] and "parity" not in pub.benchmarks.loc[c, "metric"]
    for c in ["machiavelli-games", "machiavelli-samples", "machiavelli-steps"]:
        assert cor.benchmarks.loc[c, "role"] == "other" and pub.benchmarks.loc[c, "role"] == "safety"
    assert np.array_equal(cor.scores["discrim_eval"].to_numpy(), pub.scores["discrim_eval"].to_numpy())
    younger = sw.analyze(cor, bootstrap=0).result("discrim_eval_younger").correlation
    assert younger != pytest.approx(sw.analyze(pub, bootstrap=0).result("discrim_eval_younger").correlation)


# --------------------------------------------------------------------------- CLI


def test_cli_adjust_cluster_items(cli):
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "200", "--cluster", "family", "--adjust", "bonferroni",
               "--format", "json", "--no-sensitivity")
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)["panels"][0]
    assert p["settings"]["adjust"] == "bonferroni" and p["settings"]["n_families"] == 8
    assert any("Bonferroni" in n for n in p["notes"]) and any("8 model families" in n for n in p["notes"])
    row = next(r for r in p["results"] if r["benchmark"] == "ethics_all")
    assert row["verdict_bands"] and row["ci_level"] == pytest.approx(1 - 0.05 / 166)
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "200")
    assert "(--adjust fcr)" in proc.stdout and "95% CI (fcr)" in proc.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--adjust", "holm"], "--adjust"),
        (["--cluster", "org"], "--cluster"),
        (["--n-items", "mmlu"], "--n-items"),
        (["--n-items", "mmlu=0"], "--n-items"),
        (["--data", "examples/my_leaderboard.csv", "--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag", "--as-published"],
         "--as-published"),
        (["--data", "examples/my_leaderboard.csv", "--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag", "--cluster", "family",
          "--lower-is-better", "jailbreak_asr,bias_gap"],
         "family"),
    ],
)
def test_cli_bad_new_options(cli, args, needle):
    proc = cli("analyze", *args)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- power


def test_interval_width_equals_scipy_fisher_interval():
    """Pearson: scipy's pearsonr confidence interval is the Fisher-z interval with SE 1/sqrt(n - 3)."""
    from safetywashing.inference._power import interval_width

    rng = np.random.default_rng(1)
    for n in (12, 26, 80):
        x = rng.normal(size=n)
        y = 0.6 * x + rng.normal(size=n)
        res = scipy.stats.pearsonr(x, y)
        ci = res.confidence_interval(0.95)
        assert interval_width(n, res.statistic, 0.95, "pearson") == pytest.approx(ci.high - ci.low, abs=1e-9)


def test_models_needed_is_the_smallest_n_with_the_power():
    from safetywashing.inference._power import models_needed, separation_power

    for rho in (0.2, 0.55, 0.85, -0.55):
        n = models_needed(rho, 0.4 if rho > 0 else -0.4)
        b = 0.4 if rho > 0 else -0.4
        assert separation_power(n, rho, b) >= 0.8 > separation_power(n - 1, rho, b)
    # by hand for rho = 0.55, Spearman: 3 + (1 + 0.55^2/2) ((1.95996 + 0.84162) / (atanh 0.55 - atanh 0.4))^2
    q = scipy.stats.norm.ppf(0.975) + scipy.stats.norm.ppf(0.8)
    want = 3 + (1 + 0.55**2 / 2) * (q / (math.atanh(0.55) - math.atanh(0.4))) ** 2
    assert models_needed(0.55) == math.ceil(want)


def test_csv_carries_verdict_bands_as_text(cli):
    import io

    proc = cli("analyze", "--panel", "base", "--bootstrap", "200", "--format", "csv", "--no-sensitivity")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(io.StringIO(proc.stdout), keep_default_na=False)
    assert set(df["adjust"]) == {"fcr"}  # the default is stated on every row
    for _, r in df.iterrows():
        if r["verdict_bands"]:
            bands = r["verdict_bands"].split(";")
            assert r["verdict"] == (bands[0] if len(bands) == 1 else f"{bands[0]} to {bands[-1]}")
            assert bands == _bands_by_thresholds(float(r["ci_low"]), float(r["ci_high"]))


def test_audit_rows_carry_verdict_bands():
    panel = sw.load_panel("chat")
    rng = np.random.default_rng(0)
    models = list(panel.scores.index[:14])
    res0 = sw.analyze(panel, bootstrap=0)
    s = np.array([res0.model_scores[m] for m in models])
    df = pd.DataFrame({"my_bench": 0.5 * s + rng.normal(size=len(models))}, index=models)
    res = sw.audit(sw.ScoreMatrix.from_frame(df), panel, bootstrap=300)
    row = res.results[0]
    assert row.extra["verdict_bands"] == _bands_by_thresholds(row.extra["ci_low"], row.extra["ci_high"])
    b = row.extra["verdict_bands"]
    assert row.verdict == (b[0] if len(b) == 1 else f"{b[0]} to {b[-1]}")


def test_cli_n_items_for_data(cli, tmp_path):
    f = tmp_path / "t.csv"
    rng = np.random.default_rng(1)
    g = rng.normal(size=12)
    df = pd.DataFrame({"model": [f"m{i}" for i in range(12)]})
    for j in range(3):
        df[f"cap{j}"] = g + rng.normal(scale=0.3, size=12)
    df["acc"] = np.clip(0.6 + 0.05 * g + rng.normal(scale=0.05, size=12), 0, 1)
    df["pct"] = 100 * df["acc"]
    df.to_csv(f, index=False)
    proc = cli("analyze", "--data", str(f), "--capabilities", "cap0,cap1,cap2", "--n-items", "acc=200,pct=200",
               "--format", "json", "--bootstrap", "200")
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)["panels"][0]
    rows = {r["benchmark"]: r for r in p["results"]}
    v = df["acc"].to_numpy()
    want = 1 - np.mean(v * (1 - v)) / 200 / np.var(v, ddof=1)
    assert rows["acc"]["n_items"] == 200 and rows["acc"]["reliability"] == pytest.approx(want, abs=1e-12)
    assert rows["pct"]["reliability"] is None
    assert any("no reliability for pct" in n for n in p["notes"])
