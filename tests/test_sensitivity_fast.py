"""Sensitivity without re-ranking (issue 23): the grouped jackknife by downdated ranks, the leave-one-capability-
benchmark-out refits from one correlation matrix, the correlator's reuse of the table's ranks, and the compute stage
without compute values. Each fast route is compared with the route it replaces and with an independent computation
(the paper's pipeline re-run with scipy on the materialised rows) on small tables with ties and missing values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing._util.stats import ColumnCorrelator, column_order, pairwise_corr_masked
from safetywashing.capability._pca_engine import Engine, SortedEngine, run_chunks
from safetywashing.capability._pca_groups import leave_groups_out
from safetywashing.inference._bootstrap import jackknife_plan
from test_scale import CAP, table
from test_uncertainty import slow_statistic


@pytest.mark.parametrize("n,p,miss,decimals,groups", [(60, 9, 0.0, 1, 7), (150, 14, 0.12, 1, 25), (90, 6, 0.3, 0, 10)])
def test_leave_groups_out_equals_the_engines_and_the_pipeline(n, p, miss, decimals, groups):
    """Every group left out in turn: the same r, flags and PC1 shares as both engines on the weight vectors (1e-10),
    and as the paper's pipeline re-run with scipy on the kept rows (1e-9)."""
    x = table(n, p, seed=n + p, miss=miss, decimals=decimals)
    x[10:14] = x[20:24]  # more duplicated models: tied scores inside every replicate
    plan = jackknife_plan(n, seed=3, groups=groups)
    counts = np.vstack(list(plan.count_chunks()))
    fast = leave_groups_out(x, CAP, plan.labels(), plan.groups, x_order=column_order(x), threads=2)
    for ref in (Engine(x, CAP, "spearman").run(counts), run_chunks(SortedEngine(x, CAP, "spearman"), [counts], groups)):
        assert np.array_equal(fast.ok, ref.ok)
        assert np.array_equal(np.isnan(fast.r), np.isnan(ref.r))
        assert np.nanmax(np.abs(fast.r - ref.r)) < 1e-10
        assert np.nanmax(np.abs(fast.pc1 - ref.pc1)) < 1e-10
    for g in range(0, groups, 3):
        want = slow_statistic(x[counts[g] > 0], CAP, "spearman")
        assert np.array_equal(np.isnan(fast.r[g]), np.isnan(want))
        assert np.nanmax(np.abs(fast.r[g] - want)) < 1e-9


def test_leave_groups_out_without_the_columns_sort_and_one_thread():
    """Sorting itself (no ``x_order``) and one thread give the same values as the reused sort on two threads."""
    x = table(80, 10, seed=5, miss=0.1)
    plan = jackknife_plan(80, seed=1, groups=9)
    a = leave_groups_out(x, CAP, plan.labels(), 9, x_order=None, threads=1)
    b = leave_groups_out(x, CAP, plan.labels(), 9, x_order=column_order(x), threads=2)
    assert np.array_equal(a.r, b.r, equal_nan=True) and np.array_equal(a.pc1, b.pc1, equal_nan=True)


def _matrix(x: np.ndarray) -> sw.ScoreMatrix:
    cols = [f"c{j}" for j in range(x.shape[1])]
    df = pd.DataFrame(x, columns=cols, index=[f"m{i}" for i in range(len(x))])
    return sw.ScoreMatrix.from_frame(df, roles={c: "capability" for c in cols[:5]})


@pytest.mark.parametrize("lacks_one", [False, True])
def test_refit_without_each_equals_one_refit_each(lacks_one):
    """The batch of leave-one-capability-benchmark-out refits (one correlation matrix, its submatrices) gives each
    refit's scores (1e-12), also when a model lacks exactly one capability benchmark (that refit is done afresh)."""
    from safetywashing.capability._pca import capability_direction

    x = np.round(np.random.default_rng(4).normal(size=(70, 8)) + np.linspace(0, 2, 70)[:, None], 1)
    x[3, 6] = np.nan
    if lacks_one:
        x[8, 2] = np.nan  # leaving c2 out makes m8 complete: the submatrix would be wrong there
    m = _matrix(x)
    direction, _, _ = capability_direction(m, [f"c{j}" for j in range(5)])
    got = direction.refit_without_each(m)
    assert list(got) == list(direction.benchmarks)
    for c, s in got.items():
        want = direction.refit_without(m, c)
        assert np.array_equal(np.isnan(s), np.isnan(want))
        assert np.nanmax(np.abs(s - want)) < 1e-12
    assert not np.isnan(got["c2"][8]) and np.isnan(got["c0"][8]) == lacks_one  # m8 scored without c2 only if it lacks c2


def test_column_correlator_reused_ranks_stay_bit_for_bit():
    """Score vectors with the same missing pattern in a row (the reused ranks) and a given sort: pairwise deletion's
    values bit for bit."""
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=(50, 5)), 1)
    x[rng.random(x.shape) < 0.1] = np.nan
    absent = rng.random(50) < 0.2
    corr = ColumnCorrelator(x, "spearman", column_order(x))
    for _ in range(3):
        y = np.where(absent, np.nan, np.round(x[:, 0] + rng.normal(size=50), 1))
        r, n = corr(y)
        r0, n0 = pairwise_corr_masked(x, y, "spearman")
        assert np.array_equal(r, r0, equal_nan=True) and np.array_equal(n, n0)


@pytest.mark.parametrize("known", [0, 1, 2])
def test_compute_stage_without_compute_values_gives_the_general_routes_fields(known):
    """Fewer than 3 known compute counts: the same columns and settings as ranking every column against them."""
    from safetywashing.capability._model import fit_capability_model
    from safetywashing.inference import _stages
    from safetywashing.inference._effects import compute_correlations, log_compute, partial_compute_correlations

    x = table(40, 9, seed=2, miss=0.1)
    m = _matrix(x)
    flop = np.full(40, np.nan)
    flop[[3, 9][:known]] = 1e22
    m.models["flop"] = flop[: len(m.models)] if known else np.nan
    panel = _stages.Panel.build(m, fit_capability_model(m, None, "spearman", "pca"), "spearman")
    step = _stages.compute(panel, "flop")
    lc = log_compute(panel.matrix.models, "flop")
    rc, nc = compute_correlations(panel.x, lc, "spearman")
    r_s, n_s = pairwise_corr_masked(panel.scores[:, None], lc, "spearman")
    part = partial_compute_correlations(panel.x, panel.scores, lc, "spearman")
    cap = panel.is_cap
    want = {"compute_correlation": rc, "compute_n": nc.astype(float),
            "partial_compute_correlation": np.where(cap, np.nan, part["partial"]),
            "partial_compute_n": np.where(cap, np.nan, part["n"].astype(float)),
            "score_compute_correlation": np.where(cap, np.nan, part["score_compute"])}
    assert list(step.columns) == list(want)
    for k, v in want.items():
        assert np.array_equal(step.columns[k], v, equal_nan=True), k
    assert step.settings == {"compute": "flop", "capabilities_compute_correlation": None,
                             "capabilities_compute_n": int(n_s[0])}
    assert np.isnan(r_s[0]) and len(step.notes) == 1 and "no compute correlation" in step.notes[0]


def test_leave_groups_out_float32_segments_on_a_longer_table():
    """3,000 models: the score-rank sums run in float32 over segments cut by a fixed grid (span 2**23 / n = 2796
    positions), still exact: the sorted engine's values."""
    x = table(3000, 6, seed=9, miss=0.05, decimals=2)
    plan = jackknife_plan(3000, seed=0, groups=4)
    counts = np.vstack(list(plan.count_chunks()))
    fast = leave_groups_out(x, CAP, plan.labels(), 4)
    ref = SortedEngine(x, CAP, "spearman").run(counts)
    assert np.array_equal(np.isnan(fast.r), np.isnan(ref.r))
    assert np.nanmax(np.abs(fast.r - ref.r)) < 1e-10
