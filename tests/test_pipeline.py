"""The redesigned pipeline (issue 17): typed row fields, stages, and a capability model that answers for itself.

Checked against hand-built values and scipy, not against earlier output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import safetywashing as sw
from safetywashing.capability._irt import IRTModel
from safetywashing.capability._model import MODELS, CapabilityModel, axis_label, model_class, score_method_for
from safetywashing.capability._pca import CapabilityDirection
from safetywashing.inference import _stages as stages
from safetywashing.inference._schema import ANALYSIS_COLUMNS, AUDIT_COLUMNS, RowFields, describe_schema
from safetywashing.inference._stages import Panel, Step
from safetywashing.inference._uncertainty import RESAMPLINGS


# ---------------------------------------------------------------- typed row fields
def test_row_fields_convert_types_and_keep_schema_order():
    f = RowFields.analysis({"p_value": np.float64(0.25), "ci_low": np.nan, "slope": 2, "n_boot_used": 1999.0,
                            "verdict_bands": ("low", "moderate"), "noise_limited": np.bool_(True)})
    assert list(f) == ["slope", "ci_low", "n_boot_used", "p_value", "verdict_bands", "noise_limited"]
    assert f["ci_low"] is None and f.slope == 2.0 and isinstance(f.slope, float)
    assert f.n_boot_used == 1999 and isinstance(f.n_boot_used, int)
    assert f["verdict_bands"] == ["low", "moderate"] and f["noise_limited"] is True
    assert "q_value" not in f and f.get("q_value") is None
    with pytest.raises(AttributeError):
        f.slope = 3.0  # type: ignore[misc]


def test_row_fields_refuse_an_undocumented_field():
    with pytest.raises(KeyError, match="undocumented analysis row field"):
        RowFields.analysis({"slope": 1.0, "made_up": 2.0})
    # a plain dict on a result row is checked too: analysis schema, or audit when only that fits
    row = sw.BenchmarkResult("b", "B", "safety", "x", 0.5, 10, "moderate", extra={"ci_low": 0.1, "n_boot": 100})
    assert row.extra["n_boot"] == 100 and list(row.to_dict())[-2:] == ["ci_low", "n_boot"]
    with pytest.raises(KeyError):
        sw.BenchmarkResult("b", "B", "safety", "x", 0.5, 10, "moderate", extra={"nonsense": 1})


def test_every_field_is_documented_once():
    for cols in (ANALYSIS_COLUMNS, AUDIT_COLUMNS):
        names = [c.name for c in cols]
        assert len(names) == len(set(names))
        assert all(c.doc and c.stage for c in cols)
    assert describe_schema().count("\n") == len(ANALYSIS_COLUMNS) - 1


def test_analyze_rows_carry_only_documented_fields_in_stage_order():
    res = sw.analyze(sw.load_panel("chat"), bootstrap=200, seed=0, permutations=50, compute="flop", sensitivity=True,
                     adjust="fcr")
    order = [c.name for c in ANALYSIS_COLUMNS]
    for r in res.results:
        keys = list(r.extra)
        assert keys == sorted(keys, key=order.index)
        assert isinstance(r.extra, RowFields)
    assert set(res.results[0].extra) >= {"slope", "compute_correlation", "loo_model_min", "ci_low", "ci_level",
                                         "ci_low_unadjusted", "p_value", "verdict_bands"}


# ---------------------------------------------------------------- stages against scipy and by hand
def _toy() -> sw.ScoreMatrix:
    rng = np.random.default_rng(4)
    n = 30
    g = rng.normal(size=n)
    df = pd.DataFrame({f"cap{j}": g + rng.normal(scale=0.5, size=n) for j in range(4)}, index=[f"m{i}" for i in range(n)])
    df["safe"] = 0.6 * g + rng.normal(size=n)
    df.loc["m3", "safe"] = np.nan
    return sw.ScoreMatrix.from_frame(df, roles={f"cap{j}": "capability" for j in range(4)})


def test_estimate_stage_matches_scipy_and_ols_by_hand():
    m = _toy()
    fit = sw.fit_capability_model(m)
    panel = Panel.build(m, fit, "spearman")
    j = panel.cols.index("safe")
    ok = ~np.isnan(panel.x[:, j])
    assert panel.r[j] == pytest.approx(stats.spearmanr(panel.x[ok, j], panel.scores[ok]).statistic, abs=1e-12)
    assert panel.n[j] == ok.sum()
    step = stages.estimate(panel)
    s, y = panel.scores[ok], panel.x[ok, j]
    slope_per_sd = np.polyfit(s, y, 1)[0] * s.std()
    assert step.columns["slope"][j] == pytest.approx(slope_per_sd, rel=1e-10)
    assert step.columns["spread"][j] == pytest.approx(y.std(), rel=1e-12)


def test_step_then_keeps_order_and_later_settings_win():
    a = Step({"slope": np.array([1.0])}, {"seed": 1, "ci": 0.9}, ["a"])
    b = Step({"ci_low": np.array([0.0])}, {"ci": 0.95}, ["b"])
    c = a.then(b)
    assert list(c.columns) == ["slope", "ci_low"] and c.settings == {"seed": 1, "ci": 0.95} and c.notes == ["a", "b"]


def test_verdict_stage_names_one_band_only_when_the_interval_allows():
    m = _toy()
    panel = Panel.build(m, sw.fit_capability_model(m), "spearman")
    p = panel.p
    table = {"ci_low": np.full(p, 0.75), "ci_high": np.full(p, 0.95), "noise_ceiling": np.full(p, np.nan)}
    verdicts, step = stages.verdict(panel, table, {"ci": 0.95}, 0.95)
    assert set(verdicts) == {"high"}
    table["ci_low"] = np.full(p, 0.2)
    verdicts, step = stages.verdict(panel, table, {"ci": 0.95}, 0.95)
    assert set(verdicts) == {"low to high"} and step.columns["verdict_bands"][0] == ["low", "moderate", "high"]


# ---------------------------------------------------------------- the capability model answers for itself
@pytest.mark.parametrize("panel,method", [("chat", "pca"), ("frontier", "irt")])
def test_both_models_implement_the_interface(panel, method):
    fit = sw.fit_capability_model(sw.load_panel(panel), score_method=method)
    model = fit.model
    assert isinstance(model, CapabilityModel)
    assert type(model) is model_class(method) and MODELS[method] is type(model)
    assert model.resampling in RESAMPLINGS
    assert axis_label(method) == model.axis_label and "higher = more capable" in model.axis_label
    idx = np.random.default_rng(0).integers(0, 10, size=(3, 10))
    s, se = np.arange(10.0), np.full(10, 0.5)
    drawn = model.draw_scores(s, se, idx, np.random.default_rng(1))
    if model.has_score_se:
        assert not np.array_equal(drawn, s[idx])  # a score is drawn around its estimate
    else:
        assert np.array_equal(drawn, s[idx])  # exact: no draw
    assert bool(model.component_shares) == isinstance(model, CapabilityDirection)


def test_pca_component_shares_are_the_eigenvalue_shares_by_hand():
    fit = sw.fit_capability_model(sw.load_panel("base"))
    ev = np.asarray(fit.model.eigenvalues)
    assert fit.model.component_shares == pytest.approx(tuple(ev / ev.sum()), abs=1e-15)
    res = sw.analyze(sw.load_panel("base"), bootstrap=0)
    assert res.pc1_variance_explained == pytest.approx(ev[0] / ev.sum(), abs=1e-15)


def test_irt_analysis_has_no_components_and_draws_its_intervals():
    res = sw.analyze(sw.load_panel("frontier"), score_method="irt", bootstrap=200, seed=0)
    assert math.isnan(res.pc1_variance_explained)
    assert res.settings["ci_method"] == IRTModel.fixed_interval
    assert res.settings["interval_method"] == IRTModel.resampling_text


def test_the_model_refuses_what_it_cannot_do():
    with pytest.raises(sw.InputError, match="sparse"):
        score_method_for("pca", "frontier")
    assert score_method_for(None, "frontier") == "irt" and score_method_for(None, "chat") == "pca"
    with pytest.raises(sw.InputError, match="--impute fills gaps"):
        sw.analyze(sw.load_panel("frontier"), score_method="irt", impute=True, bootstrap=0)
