"""Issue 22: calibrated capability SEs with guessing floors, item flags from per-item logistic regressions with an
effect size and a conditional test, dimensionality beside alpha, the --max-correlation target met on held-out models,
n beside audit's per-capability correlations, and the benchmarks the fit used in ``models``.

Simulations run at small sizes (the full figures: benchmarks/irt_coverage.py, item_flags.py, subset_target.py)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import safetywashing as sw
from safetywashing.capability._irt import _sigmoid, fit_irt
from safetywashing.commands._items_audit import audit_items
from safetywashing.inference._item_stats import _glm_batch, _Suff, crossfit_subset, dimensionality, item_models
from safetywashing.sources._item_synth import ItemBank, draw_models, make_items
from safetywashing.sources._registry import chance_levels

# --- capability model -----------------------------------------------------------------------------------------


def _sparse_truth(n=90, k=12, per=(3, 5), seed=0):
    """A sparse table's truth: capabilities, difficulties, slopes, floors (4 four-option benchmarks), items per cell."""
    rng = np.random.default_rng(seed)
    th = rng.normal(0, 1.5, n)
    d = rng.normal(0, 1.5, k)
    d[0] = 0.0
    a = np.exp(rng.normal(0, 0.4, k))
    a[0] = 1.0
    c = np.zeros(k)
    c[[1, 3, 5, 7]] = 0.25
    mask = np.zeros((n, k), bool)
    for i in range(n):
        mask[i, rng.choice(k, int(rng.integers(per[0], per[1] + 1)), replace=False)] = True
    mask[:, 0] |= rng.random(n) < 0.6  # the anchor has the most models
    return th, d, a, c, mask


def test_calibrated_standard_errors_cover_on_a_sparse_floored_table():
    """+-1.96 SE covers the true capability >= 92% overall and >= 88% in the weakest quarter (curvature SEs: less)."""
    th, d, a, c, mask = _sparse_truth()
    p = c + (1 - c) * _sigmoid(a * (th[:, None] - d))
    rng = np.random.default_rng(1)
    hit, hit0, weak = [], [], th <= np.quantile(th, 0.25)
    for _ in range(6):
        y = np.where(mask, rng.binomial(40, p) / 40, np.nan)
        for cal, out in ((30, hit), (0, hit0)):
            f = fit_irt(y, anchor=0, chance=c, calibrate=cal)
            z = np.full(th.size, np.nan)
            z[f.kept_rows] = (f.capabilities - th[f.kept_rows]) / f.se
            out.append(z)
    z, z0 = np.array(hit), np.array(hit0)
    cover = lambda zz, sel: float(np.mean(np.abs(zz[:, sel][np.isfinite(zz[:, sel])]) <= 1.96))  # noqa: E731
    assert cover(z, slice(None)) >= 0.92, cover(z, slice(None))
    assert cover(z, weak) >= 0.88, cover(z, weak)
    assert cover(z, weak) > cover(z0, weak)


def test_guessing_floor_recovers_a_multiple_choice_benchmark():
    """A four-option benchmark's scores sit at 25% for weak models: with the floor its slope and difficulty are right."""
    rng = np.random.default_rng(3)
    th = rng.normal(0, 1.5, 120)
    d = np.array([0.0, 0.5, -0.5, 1.0])
    a = np.array([1.0, 1.2, 0.8, 1.5])
    c = np.array([0.0, 0.25, 0.0, 0.0])
    y = rng.binomial(400, c + (1 - c) * _sigmoid(a * (th[:, None] - d))) / 400
    with_floor = fit_irt(y, anchor=0, chance=c, calibrate=0)
    without = fit_irt(y, anchor=0, calibrate=0)
    assert abs(with_floor.model.slopes[1] - 1.2) < 0.1 and abs(with_floor.model.difficulties[1] - 0.5) < 0.1
    assert abs(without.model.slopes[1] - 1.2) > 0.2  # the floor read as capability information distorts it
    assert with_floor.model.chance == (0.0, 0.25, 0.0, 0.0)
    assert chance_levels(["epoch_mmlu", "epoch_winogrande", "epoch_gsm8k"]) == [0.25, 0.5, 0.0]


def test_frontier_fit_uses_the_registry_floors_and_rescoring_agrees():
    m = sw.load_panel("frontier")
    f = sw.capability.fit_capability_model(m, score_method="irt")
    ch = dict(zip(f.model.benchmarks, f.model.chance))
    assert ch["epoch_gpqa_diamond"] == 0.25 and ch["epoch_piqa"] == 0.5 and ch["epoch_frontiermath"] == 0.0
    out = f.model.score_se(m.scores)
    diff = (out["capabilities_score"] - f.scores).abs() / f.se
    assert float(diff.max()) < 1.0 and float(diff.median()) < 0.4


# --- models and audit -------------------------------------------------------------------------------------------


def test_models_counts_the_benchmarks_the_fit_used(cli):
    proc = cli("models", "--panel", "frontier", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(io.StringIO(proc.stdout)).set_index("model")
    row = df.loc["gpt-3.5-turbo-0613"]
    assert row["n_benchmarks"] == 5 and row["n_benchmarks_used"] == 4
    m = sw.load_panel("frontier")
    caps = list(sw.capability.fit_capability_model(m, score_method="irt").model.benchmarks)
    assert (df["n_benchmarks_used"] == m.scores.loc[df.index, caps].notna().sum(axis=1)).all()


def test_audit_capability_correlations_carry_n_and_hide_below_five(tmp_path):
    from safetywashing.commands._audit import audit
    from safetywashing.sources._table import read_table

    m = sw.load_panel("frontier")
    have = m.scores["epoch_videomme"].notna()
    ids = list(m.scores.index[have][:3]) + list(m.scores.index[~have & m.scores["epoch_mmlu"].notna()][:9])
    vals = np.linspace(0.2, 0.9, len(ids))
    f = tmp_path / "mine.csv"
    pd.DataFrame({"model": ids, "my_bench": vals}).to_csv(f, index=False)
    res = audit(read_table(f), m, n_boot=100, score_method="irt")
    ex = res.result("my_bench").extra
    cc, nn = ex["capability_correlations"], ex["capability_correlations_n"]
    assert nn["epoch_videomme"] == 3 and cc["epoch_videomme"] is None
    big = [b for b, k in nn.items() if k >= 5]
    assert big
    b = big[0]
    sub = m.scores.loc[ids, b].notna().to_numpy()
    assert cc[b] == pytest.approx(stats.spearmanr(vals[sub], m.scores.loc[ids, b].to_numpy()[sub]).statistic, abs=1e-12)
    assert nn[b] == int(sub.sum())


# --- item flags -------------------------------------------------------------------------------------------------


def _bank(seed):
    rng = np.random.default_rng(seed)
    kind = np.repeat(["capability", "safety", "mixed", "noise"], [60, 60, 30, 30])
    return ItemBank(kind, np.exp(rng.normal(0.0, 0.5, kind.size)), rng.normal(0.0, 1.0, kind.size))


def test_item_flags_precision_and_recall_on_two_trait_data():
    """Weakly to strongly discriminating items, 50 models, correlated traits: precision >= 0.80, recall >= 0.60."""
    tp = fl = tr = 0
    for r in range(3):
        b = _bank(r)
        d = draw_models(b, 50, seed=1000 + r, rho=0.3, score_noise=0.3)
        res = audit_items(d.y, d.score, [f"i{j}" for j in range(b.kind.size)], score_se=np.full(50, 0.3),
                          n_boot=50, repeats=1, subset_size=5)
        flag, truth = res.capability_driven, b.capability_driven
        tp += int((flag & truth).sum())
        fl += int(flag.sum())
        tr += int(truth.sum())
        assert res.score_se_used and not (res.conditional_flag & (b.kind == "noise")).any()
    assert tp / fl >= 0.80, tp / fl
    assert tp / tr >= 0.60, tp / tr


def test_item_logistic_regressions_match_scipy():
    """Batched Newton = per-item penalised maximum likelihood by scipy; LR p from the two fits' log-likelihoods."""
    rng = np.random.default_rng(5)
    n = 40
    z = rng.normal(size=n)
    y = (rng.random((n, 3)) < _sigmoid(np.array([0.3, 1.5, -1.0]) * z[:, None] + 0.2)).astype(float)
    y[rng.random((n, 3)) < 0.1] = np.nan
    beta, cov, ll = _glm_batch(y, [z], ridge=0.05)
    per_item, _, _ = _glm_batch(y, [np.repeat(z[:, None], 3, axis=1)], ridge=0.05)  # the same covariate given per item
    np.testing.assert_allclose(per_item, beta, atol=1e-10)
    for j in range(3):
        o = ~np.isnan(y[:, j])

        def nll(b, j=j, o=o):
            eta = b[0] + b[1] * z[o]
            return -np.sum(y[o, j] * eta - np.logaddexp(0, eta)) + 0.025 * b[1] ** 2

        ref = optimize.minimize(nll, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
        np.testing.assert_allclose(beta[j], ref.x, atol=1e-5)
        eta = beta[j, 0] + beta[j, 1] * z[o]
        assert ll[j] == pytest.approx(np.sum(y[o, j] * eta - np.logaddexp(0, eta)), abs=1e-8)
    im = item_models(y, z)
    # the LR test on the standardised score; p from chi^2(1) of twice the log-likelihood gain over the item's mean
    zs = (z - z.mean()) / z.std()
    b2, _, ll2 = _glm_batch(y, [zs])
    mu = np.nanmean(y, axis=0)
    cnt = (~np.isnan(y)).sum(axis=0)
    ll0 = cnt * (mu * np.log(mu) + (1 - mu) * np.log(1 - mu))
    np.testing.assert_allclose(im.lr_p, stats.chi2.sf(2 * (ll2 - ll0), 1), rtol=1e-6)
    np.testing.assert_allclose(im.discrimination, b2[:, 1], rtol=1e-10)


def test_dimensionality_one_versus_two_traits():
    one = draw_models(make_items({"capability": 120}, seed=1), 150, seed=2)
    two = draw_models(make_items({"capability": 60, "safety": 60}, seed=1), 150, seed=2)
    d1, d2 = dimensionality(one.y), dimensionality(two.y)
    assert d1["one_dimensional"] is True and d1["warning"] is None
    assert d2["one_dimensional"] is False and "not look one-dimensional" in d2["warning"]
    # alpha is high for both: it does not tell them apart
    res = audit_items(two.y, two.score, [f"i{j}" for j in range(120)], n_boot=50, repeats=1)
    assert res.reliability > 0.9 and res.to_dict()["dimensionality"]["one_dimensional"] is False


# --- the decorrelated subset's target on held-out models --------------------------------------------------------


def test_keys_for_all_folds_at_once_equal_fold_by_fold():
    b = make_items({"capability": 20, "safety": 20}, seed=7)
    d = draw_models(b, 40, seed=8, missing=0.1)
    suff = _Suff(d.y)
    train = np.ones((40, 4))
    for f, part in enumerate(np.array_split(np.random.default_rng(0).permutation(40), 4)):
        train[part, f] = 0
    many = suff.keys_many(train, d.score.astype(float))
    for f in range(4):
        np.testing.assert_allclose(many[f], suff.keys(train[:, f], d.score.astype(float)), atol=1e-6)


def test_max_correlation_size_is_chosen_on_held_out_models_and_says_when_unmet():
    b = make_items({"capability": 30, "safety": 30}, seed=41)
    d = draw_models(b, 60, seed=42)
    names = [f"i{j}" for j in range(60)]
    res = audit_items(d.y, d.score, names, max_correlation=0.2, n_boot=100, repeats=3)
    cf = crossfit_subset(d.y, d.score, size=None, max_correlation=0.2, repeats=3, n_boot=100)
    assert cf.target_met and cf.correlation <= 0.2 and res.subset.n_items == cf.size
    assert "cross-fitted (held-out) correlation" in res.subset.rule
    only_cap = draw_models(make_items({"capability": 30}, seed=43), 60, seed=44)
    res2 = audit_items(only_cap.y, only_cap.score, names[:30], max_correlation=0.2, n_boot=100, repeats=3)
    assert any("no subset meets --max-correlation 0.2 on held-out models" in n for n in res2.notes)
