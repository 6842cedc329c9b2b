"""--score-method irt through every command, and audits whose interval carries the scores' own uncertainty."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing.capability._irt import _sigmoid
from safetywashing.inference._draws import bootstrap_correlations

CAPS = ["arc_challenge", "bbh", "gsm8k", "hellaswag", "lambada_openai", "logiqa", "medqa_4options", "minerva_math", "mmlu",
        "piqa", "superglue_copa", "winogrande"]


def sparse_panel(n: int = 120, k: int = 12, seed: int = 0) -> tuple[sw.ScoreMatrix, np.ndarray]:
    """A sparse capability panel (each model 3-8 of ``k`` benchmarks, 0-1 scores) and its true capabilities."""
    rng = np.random.default_rng(seed)
    th = rng.normal(0, 1.5, n)
    d = rng.normal(0, 1.5, k)
    a = np.exp(rng.normal(0, 0.3, k))
    y = rng.binomial(200, _sigmoid(a * (th[:, None] - d))) / 200
    mask = np.zeros((n, k), bool)
    for i in range(n):
        mask[i, rng.choice(k, int(rng.integers(3, 9)), replace=False)] = True
    y[~mask] = np.nan
    cols = [f"cap{j}" for j in range(k)]
    df = pd.DataFrame(y, index=[f"m{i}" for i in range(n)], columns=cols)
    return sw.ScoreMatrix.from_frame(df, name="sparse", roles={c: "capability" for c in cols}), th


def test_pca_cannot_score_a_sparse_panel_but_irt_can():
    panel, th = sparse_panel()
    with pytest.raises(sw.InsufficientDataError):
        sw.analyze(panel, capabilities=list(panel.scores.columns), bootstrap=0)
    res = sw.analyze(panel, capabilities=list(panel.scores.columns), score_method="irt", bootstrap=200, seed=0)
    assert len(res.model_scores) == panel.n_models
    s = pd.Series(res.model_scores)
    assert np.corrcoef(s.loc[panel.scores.index], th)[0, 1] > 0.98
    assert set(res.model_score_se) == set(res.model_scores)
    assert any("part of the whole" in n or "part with the whole" in n for n in res.notes)  # all are capability benchmarks
    json.dumps(res.to_dict(), allow_nan=False)


def test_irt_permutations_carry_bh_q_values():
    """With --permutations the irt path gives p-values and BH q-values, as the PCA path does (q checked by scipy)."""
    from scipy.stats import false_discovery_control

    panel, th = sparse_panel(seed=3)
    rng = np.random.default_rng(5)
    extra = pd.DataFrame({f"safety_{j}": th * (0.3 * j) + rng.normal(size=th.size) for j in range(6)},
                         index=panel.scores.index)
    caps = list(panel.scores.columns)
    m = sw.ScoreMatrix.from_frame(pd.concat([panel.scores, extra], axis=1), name="sparse+safety",
                                  roles={c: "capability" for c in caps})
    res = sw.analyze(m, capabilities=caps, score_method="irt", permutations=500, seed=0, bootstrap=0).to_frame()
    rows = res[~res["benchmark"].isin(caps)]
    assert len(rows) == 6 and rows["p_value"].notna().all() and res[res["benchmark"].isin(caps)]["p_value"].isna().all()
    np.testing.assert_allclose(rows["q_value"], false_discovery_control(rows["p_value"].to_numpy()), atol=1e-12)


def test_interval_carries_the_scores_uncertainty():
    """Same models, same resamples: drawing scores from their SEs widens the interval; SE 0 gives the fixed-score one."""
    rng = np.random.default_rng(0)
    s = rng.normal(size=40)
    y = (s + rng.normal(scale=0.7, size=40))[:, None]
    r0 = bootstrap_correlations(y, s, np.zeros(40), method="pearson", n_boot=2000, rng=np.random.default_rng(1))
    r1 = bootstrap_correlations(y, s, np.full(40, 0.8), method="pearson", n_boot=2000, rng=np.random.default_rng(1))
    w0 = np.subtract(*np.quantile(r0, [0.975, 0.025]))
    w1 = np.subtract(*np.quantile(r1, [0.975, 0.025]))
    assert w1 > 1.2 * w0
    assert np.median(r1) < np.median(r0)  # noisy scores attenuate the correlation, as they should
    # with SE 0 the resampled correlations are exactly the fixed-score bootstrap's (independent check by hand)
    idx = np.random.default_rng(1).integers(0, 40, size=(2000, 40))
    xs, ys = s[idx], y[idx, 0]
    by_hand = [np.corrcoef(a, b)[0, 1] for a, b in zip(xs[:50], ys[:50])]
    np.testing.assert_allclose(r0[:50, 0], by_hand, atol=1e-12)


def test_audit_against_a_sparse_panel():
    panel, th = sparse_panel(seed=1)
    rng = np.random.default_rng(2)
    users = panel.scores.index[:30]
    new = pd.DataFrame({"my_bench": th[:30] + rng.normal(scale=0.5, size=30)}, index=users)
    res = sw.audit(sw.ScoreMatrix.from_frame(new, name="mine"), panel, score_method="irt",
                   capabilities=list(panel.scores.columns), bootstrap=500, seed=0)
    r = res.result("my_bench")
    assert r.n == 30 and r.correlation > 0.7
    assert "N(estimate, SE^2)" in res.to_dict()["interval"]["method"]
    assert all(p["capabilities_score_se"] > 0 for p in res.points)


def test_place_with_three_benchmarks_only():
    panel = sw.load_panel("chat")
    src = "Meta-Llama-3-8B-Instruct"
    row = panel.scores.loc[[src], ["mmlu", "gsm8k", "bbh", "truthfulqa_mc1"]].rename(index={src: "three"})
    two = panel.scores.loc[[src], ["mmlu", "gsm8k"]].rename(index={src: "two"})
    m = sw.ScoreMatrix.from_frame(pd.concat([row, two]), name="new")
    res = sw.place(m, panel, score_method="irt")
    by = {p.model: p for p in res.models}
    assert by["three"].capabilities_score is not None and by["three"].capabilities_score_se > 0
    assert by["two"].capabilities_score is None
    with pytest.raises(sw.InsufficientDataError):
        sw.place(sw.ScoreMatrix.from_frame(two, name="new"), panel)  # PCA needs all 12


def test_claim_with_irt():
    panel = sw.load_panel("chat")
    before = {"mmlu": 0.55, "gsm8k": 0.35, "bbh": 0.45, "ethics_all": 0.70}
    after = {"mmlu": 0.62, "gsm8k": 0.50, "bbh": 0.60, "ethics_all": 0.76}
    res = sw.claim(panel, before, after, "ethics_all", score_method="irt", bootstrap=500, seed=0)
    assert res.capability_score_after > res.capability_score_before
    lo, hi = res.intervals["predicted_change"]
    assert lo < res.predicted_change < hi
    assert res.settings["score_method"] == "irt" and res.settings["capability_score_se_before"] > 0


def test_leaderboard_with_irt():
    res = sw.leaderboard(sw.load_panel("chat"), "ethics_all", score_method="irt")
    assert res.n == 26 and res.settings["score_method"] == "irt"


@pytest.mark.parametrize(
    "args",
    [
        ["models", "--panel", "chat", "--score-method", "irt", "--format", "json"],
        ["analyze", "--panel", "chat", "--score-method", "irt", "--bootstrap", "200", "--format", "json"],
        ["audit", "examples/my_benchmark.csv", "--panel", "chat", "--score-method", "irt", "--bootstrap", "200",
         "--format", "json", "--lower-is-better", "jailbreak_asr"],
        ["claim", "examples/claim_release.csv", "--panel", "chat", "--benchmark", "ethics_all", "--score-method", "irt",
         "--bootstrap", "200", "--format", "json"],
        ["leaderboard", "--panel", "chat", "--benchmark", "ethics_all", "--score-method", "irt", "--format", "json"],
    ],
)
def test_cli_score_method_irt(cli, args):
    from pathlib import Path

    p = cli(*args, cwd=Path(__file__).parents[1])
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    text = json.dumps(out)
    assert "irt" in text


def test_cli_bad_score_method(cli):
    p = cli("analyze", "--panel", "chat", "--score-method", "pc2")
    assert p.returncode == 2 and "--score-method" in p.stderr and "pca, irt" in p.stderr


# --- --panel frontier in every command (the logistic capability score is the default there) ---

REPO = __import__("pathlib").Path(__file__).parents[1]


def test_models_frontier_lists_scores_with_standard_errors(cli):
    p = cli("models", "--panel", "frontier", "--format", "json", cwd=REPO)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert len(rows) == len(sw.load_panel("frontier").scores)
    scored = [r for r in rows if r["capabilities_score"] is not None]
    assert len(scored) >= 150 and all(r["capabilities_score_se"] > 0 for r in scored)
    assert all(r["score_method"] == "irt" for r in rows)
    assert all(r["release_date"] for r in rows)
    # ranks follow the score
    s = [r["capabilities_score"] for r in scored]
    assert s == sorted(s, reverse=True)


def test_analyze_frontier_says_all_benchmarks_are_capability_benchmarks(cli):
    p = cli("analyze", "--panel", "frontier", "--bootstrap", "200", "--format", "json", cwd=REPO)
    assert p.returncode == 0, p.stderr
    panel = json.loads(p.stdout)["panels"][0]
    assert panel["score_method"] == "irt" and panel["pc1_variance_explained"] is None
    assert any("part with the whole" in n for n in panel["notes"])
    assert all(r["role"] == "capability" for r in panel["results"])
    r = {x["benchmark"]: x for x in panel["results"]}["epoch_gpqa_diamond"]
    assert r["ci_low"] <= r["correlation"] <= r["ci_high"]
    t = cli("analyze", "--panel", "frontier", "--bootstrap", "0", cwd=REPO)
    assert t.returncode == 0 and "logistic capability model" in t.stdout


def test_audit_frontier_example(cli):
    p = cli("audit", "examples/frontier_benchmark.csv", "--panel", "frontier", "--lower-is-better", "jailbreak_asr",
            "--bootstrap", "500", "--format", "json", cwd=REPO)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["score_method"] == "irt" and "N(estimate, SE^2)" in out["interval"]["method"]
    assert len(out["matched"]) == 18 and list(out["placed"]) == ["our-lab/model-y"]
    assert out["unmatched"] == ["our-lab/model-z-preview"]
    assert any("fewer than 3" in n and "model-z-preview (2)" in n for n in out["notes"])
    for r in out["results"]:
        assert r["n"] == 19 and r["ci_low"] <= r["correlation"] <= r["ci_high"]


def test_place_frontier_model_with_four_benchmarks(cli):
    p = cli("place", "examples/frontier_benchmark.csv", "--panel", "frontier", "--format", "json",
            "--lower-is-better", "jailbreak_asr", cwd=REPO)
    assert p.returncode == 0, p.stderr
    models = {m["model"]: m for m in json.loads(p.stdout)["models"]}
    y = models["our-lab/model-y"]
    assert y["capabilities_score"] is not None and y["capabilities_score_se"] > 0 and 0 <= y["percentile"] <= 100
    assert models["our-lab/model-z-preview"]["capabilities_score"] is None


def test_claim_and_leaderboard_frontier(cli, tmp_path):
    f = tmp_path / "claim.csv"
    f.write_text("model,epoch_mmlu,epoch_gpqa_diamond,epoch_math_level_5,epoch_swe_bench_verified\n"
                 "v1,0.80,0.45,0.60,0.40\nv2,0.84,0.55,0.70,0.52\n")
    p = cli("claim", str(f), "--panel", "frontier", "--benchmark", "epoch_swe_bench_verified", "--bootstrap", "300",
            "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["capability_score_after"] > out["capability_score_before"]
    assert any("itself one of the capability benchmarks" in n for n in out["notes"])
    lb = cli("leaderboard", "--panel", "frontier", "--benchmark", "epoch_swe_bench_verified", "--format", "json")
    assert lb.returncode == 0, lb.stderr
    assert json.loads(lb.stdout)["n"] >= 20


def test_figures_and_report_frontier(cli, tmp_path):
    p = cli("figures", "--panel", "frontier", "--output-dir", str(tmp_path / "f"), "--format", "svg", "--bootstrap", "0")
    assert p.returncode == 0, p.stderr
    names = sorted(x.name for x in (tmp_path / "f").iterdir())
    assert "frontier_over_time.svg" in names and "frontier_scree.svg" not in names
    svg = (tmp_path / "f" / "frontier_over_time.svg").read_text()
    assert "Release date" in svg and "n = " in svg and "1.96 SE" in svg
    r = cli("report", "--panel", "frontier", "--bootstrap", "200", "--output", str(tmp_path / "r.html"))
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "r.html").read_text()
    assert "Capabilities over time" in html and "logistic capability model" in html


def test_over_time_data_matches_the_fit():
    from safetywashing.capability._model import fit_capability_model
    from safetywashing.present._chartdata import over_time

    m = sw.load_panel("frontier")
    res = sw.analyze(m, score_method="irt", bootstrap=0)
    d = over_time(res, m)
    fit = fit_capability_model(m, score_method="irt")
    row = d.set_index("model").loc["gpt-5-2025-08-07_medium"]
    assert row["capabilities_score"] == pytest.approx(fit.scores["gpt-5-2025-08-07_medium"])
    assert row["high"] - row["capabilities_score"] == pytest.approx(1.959964 * fit.se["gpt-5-2025-08-07_medium"], rel=1e-5)
    assert str(row["release_date"].date()) == m.models.loc["gpt-5-2025-08-07_medium", "release_date"]


def test_python_default_score_method_is_the_clis():
    """`sw.analyze(frontier)` takes the logistic model as `analyze --panel frontier` does (it used to refuse: PCA)."""
    import safetywashing as sw

    frontier = sw.load_panel("frontier")
    res = sw.analyze(frontier, bootstrap=0)
    assert res.score_method == "irt" and res.direction.kind == "irt"
    assert sw.analyze(sw.load_panel("chat"), bootstrap=0).score_method == "pca"
