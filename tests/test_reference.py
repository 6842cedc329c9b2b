"""The package reproduces the paper's own figures (reference_results.json) at 1e-6."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.stats

import safetywashing as sw

TOL = 1e-6
CASES = [(p, m) for p in ("base", "chat") for m in ("spearman", "pearson")]


@pytest.mark.parametrize("panel,method", CASES)
def test_api_matches_reference(reference, panel, method):
    ref = reference["panels"][panel][method]
    res = sw.analyze(sw.load_panel(panel, as_published=True), method=method, bootstrap=0)
    assert res.n_models == reference["panels"][panel]["n_models"]
    assert sorted(res.capability_benchmarks) == sorted(reference["capability_benchmarks"])
    assert res.pc1_variance_explained == pytest.approx(ref["pc1_variance_explained"], abs=TOL)
    assert res.mean_capability_intercorrelation == pytest.approx(ref["mean_capability_intercorrelation"], abs=TOL)
    got = {r.benchmark: r.correlation for r in res.results}
    assert set(got) == set(ref["capabilities_correlations"])
    for bid, want in ref["capabilities_correlations"].items():
        if want is None or (isinstance(want, float) and math.isnan(want)):
            assert got[bid] is None, bid
        else:
            assert got[bid] == pytest.approx(want, abs=TOL), bid
    assert set(res.model_scores) == set(ref["model_capability_scores"])
    for model, want in ref["model_capability_scores"].items():
        assert res.model_scores[model] == pytest.approx(want, abs=TOL), model


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_cli_json_matches_reference(cli, reference, method):
    proc = cli("analyze", "--format", "json", "--method", method, "--as-published")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [p["panel"] for p in doc["panels"]] == ["base", "chat"]
    for p in doc["panels"]:
        ref = reference["panels"][p["panel"]][method]
        assert p["method"] == method
        assert p["n_models"] == reference["panels"][p["panel"]]["n_models"]
        assert p["pc1_variance_explained"] == pytest.approx(ref["pc1_variance_explained"], abs=TOL)
        for model, want in ref["model_capability_scores"].items():
            assert p["model_scores"][model] == pytest.approx(want, abs=TOL)
        rows = {r["benchmark"]: r for r in p["results"]}
        for bid, want in ref["capabilities_correlations"].items():
            assert rows[bid]["correlation"] == pytest.approx(want, abs=TOL), bid
            for key in ("name", "role", "area", "n", "verdict"):
                assert key in rows[bid]


@pytest.mark.parametrize("panel,method", CASES)
def test_corrections_change_only_the_corrected_columns(reference, panel, method):
    """Without --as-published only the transformed columns (discrim_eval_*) move; the score and all else are the paper's."""
    ref = reference["panels"][panel][method]
    res = sw.analyze(sw.load_panel(panel), method=method, bootstrap=0)
    transformed = set(sw.corrections().query("transform != ''").index)
    assert res.pc1_variance_explained == pytest.approx(ref["pc1_variance_explained"], abs=TOL)
    for r in res.results:
        want = ref["capabilities_correlations"][r.benchmark]
        if r.benchmark in transformed or want is None:
            continue
        assert r.correlation == pytest.approx(want, abs=TOL), r.benchmark


def test_correlations_equal_scipy_with_pairwise_deletion():
    """Independent check: scipy.stats on the models that have each benchmark."""
    m = sw.load_panel("chat")
    res = sw.analyze(m, bootstrap=0)
    s = np.array([res.model_scores.get(x, np.nan) for x in m.scores.index])
    for bid in ["LMSYS_Chatbot_Arena", "MT_Bench", "anli", "truthfulqa_mc2"]:
        if bid not in m.scores:
            continue
        y = m.scores[bid].to_numpy()
        ok = ~np.isnan(y)
        want = scipy.stats.spearmanr(y[ok], s[ok]).statistic
        row = res.result(bid)
        assert row.n == int(ok.sum())
        assert row.correlation == pytest.approx(want, abs=1e-12)


def test_capability_direction_by_hand():
    """PC1 by hand from numpy on the Pearson route: loadings, sign rule, scores."""
    m = sw.load_panel("base")
    caps = m.capability_benchmarks
    x = m.scores[caps].to_numpy()
    z = (x - x.mean(0)) / x.std(0)
    c = np.corrcoef(z, rowvar=False)
    vals, vecs = np.linalg.eigh(c)
    w = vecs[:, -1]
    w = w * np.sign(w[np.argmax(np.abs(w))])
    res = sw.analyze(m, method="pearson", bootstrap=0)
    assert np.allclose(res.direction.loadings, w, atol=1e-12)
    assert res.pc1_variance_explained == pytest.approx(vals[-1] / vals.sum(), abs=1e-12)
    want = dict(zip(m.scores.index, z @ w))
    for k, v in res.model_scores.items():
        assert v == pytest.approx(want[k], abs=1e-12)
    # placing the panel's own rows in its coordinates gives back the same scores
    placed = res.direction.score(m.scores)
    assert np.allclose(placed.to_numpy(), z @ w, atol=1e-12)
