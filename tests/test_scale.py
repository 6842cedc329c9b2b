"""Large tables: the sorted (counting-ranks) engine, streamed resamples, the grouped jackknife, memory bounds.

Every check compares with an independent computation: the pairwise engine
(tested against scipy in test_uncertainty.py), the paper's pipeline re-run
with scipy on materialised resamples, or the exact leave-one-model-out
jackknife. Speed is measured in benchmarks/scaling.py, not here.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing.capability import _pca_engine as pe
from safetywashing.capability._pca_engine import Engine, SortedEngine, chunk_bytes, make_engine, plan_chunk, run_chunks
from safetywashing.inference import _bootstrap as bs
from safetywashing.inference._bootstrap import (
    bootstrap_count_chunks,
    bootstrap_counts,
    intervals,
    jackknife_plan,
    leave_one_out_counts,
)
from test_uncertainty import slow_statistic


def table(n: int, p: int, seed: int = 0, miss: float = 0.1, decimals: int = 1) -> np.ndarray:
    """n models x p benchmarks: 4 capability columns first, ties (rounding), missing cells, duplicated models."""
    rng = np.random.default_rng(seed)
    g = rng.normal(size=n)
    x = np.column_stack([np.round(g + rng.normal(scale=0.7, size=n), decimals) for _ in range(p)])
    x[rng.random(x.shape) < miss] = np.nan
    x[:, :4] = np.round(g[:, None] + rng.normal(scale=0.7, size=(n, 4)), decimals)
    x[1, 2] = np.nan  # one model without a capabilities score
    x[5] = x[4]  # two identical models: their capabilities scores tie in every resample
    x[7, :4] = x[6, :4]  # same capabilities, different benchmarks
    return x


CAP = [0, 1, 2, 3]


@pytest.mark.parametrize("n,p,miss", [(12, 8, 0.0), (40, 30, 0.15), (90, 12, 0.3)])
def test_sorted_engine_equals_pairwise_engine(n, p, miss):
    """Bootstrap draws, leave-one-out weights and unit weights: same values (1e-9), same degenerate flags."""
    x = table(n, p, seed=n, miss=miss)
    c = np.vstack([bootstrap_counts(n, 150, 1), leave_one_out_counts(n), np.ones((1, n))])
    want = Engine(x, CAP, "spearman").run(c)
    got = SortedEngine(x, CAP, "spearman").run(c)
    assert np.array_equal(want.ok, got.ok)
    assert np.array_equal(np.isnan(want.r), np.isnan(got.r))
    assert np.nanmax(np.abs(want.r - got.r)) < 1e-9
    assert np.nanmax(np.abs(want.pc1 - got.pc1)) < 1e-9


def test_sorted_engine_equals_scipy_pipeline_on_materialised_resamples():
    """Above the switch (n > 150): the engine make_engine picks against scipy on copies of the drawn rows."""
    n, p, B = 160, 6, 6
    x = table(n, p, seed=3)
    e = make_engine(x, CAP, "spearman")
    assert isinstance(e, SortedEngine)
    run = run_chunks(e, bootstrap_count_chunks(n, B, 2), B)
    idx = np.random.default_rng(2).integers(0, n, (B, n))
    for b in range(B):
        assert np.allclose(run.r[b], slow_statistic(x[idx[b]], CAP, "spearman"), atol=1e-9, equal_nan=True), b


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_streamed_chunks_and_threads_equal_one_batch(method):
    """Resamples drawn chunk by chunk (any chunk size, any thread count) = the one-batch draw, to 1e-9."""
    n, B = 170 if method == "spearman" else 60, 130
    x = table(n, 10, seed=5)
    one = Engine(x, CAP, method).run(bootstrap_counts(n, B, 9))
    for chunk, threads in [(1, 1), (7, 2), (64, 3), (None, None)]:
        got = run_chunks(make_engine(x, CAP, method), bootstrap_count_chunks(n, B, 9, chunk), B, threads=threads)
        assert np.array_equal(one.ok, got.ok)
        assert np.nanmax(np.abs(one.r - got.r)) < 1e-9, (chunk, threads)


def test_count_chunks_are_the_one_batch_draws():
    whole = bootstrap_counts(37, 1000, 4)
    for chunk in (1, 3, 999, 1000, 5000):
        assert np.array_equal(np.vstack(list(bootstrap_count_chunks(37, 1000, 4, chunk))), whole)


def test_panels_keep_the_pairwise_engine():
    """Panel-size tables keep the engine whose intervals the reference tests pin down."""
    for panel in ("base", "chat"):
        m = sw.load_panel(panel)
        assert type(make_engine(m.scores.to_numpy(), [0, 1, 2], "spearman")) is Engine


# ---------------------------------------------------------------- jackknife
def test_jackknife_plan_with_single_model_groups_is_leave_one_out():
    plan = jackknife_plan(30, seed=1)
    assert plan.exact and plan.groups == 30
    assert np.array_equal(np.vstack(list(plan.count_chunks(chunk=7))), leave_one_out_counts(30))


def test_grouped_jackknife_partitions_the_models():
    plan = jackknife_plan(1003, seed=2, groups=100)
    assert not plan.exact
    w = np.vstack(list(plan.count_chunks(chunk=30)))
    assert w.shape == (100, 1003)
    left = (w == 0).sum(axis=0)
    assert (left == 1).all()  # every model left out exactly once
    sizes = (w == 0).sum(axis=1)
    assert sizes.min() == 10 and sizes.max() == 11
    assert np.array_equal(w, np.vstack(list(jackknife_plan(1003, seed=2, groups=100).count_chunks())))  # seeded


def test_grouped_jackknife_bca_close_to_exact():
    """BCa acceleration from 60 groups vs the exact jackknife on 300 models: interval ends within 0.003 (measured
    0.0009; the intervals are about 0.11 wide)."""
    n = 300
    x = table(n, 8, seed=11, miss=0.05, decimals=2)
    e = make_engine(x, CAP, "spearman")
    point = e.run(np.ones((1, n))).r[0]
    boot = run_chunks(e, bootstrap_count_chunks(n, 2000, 0), 2000)
    exact = run_chunks(e, jackknife_plan(n, 0).count_chunks(), n)
    plan = jackknife_plan(n, seed=0, groups=60)
    grouped = run_chunks(e, plan.count_chunks(), plan.groups)
    a = intervals(point, boot.r[boot.ok], exact.r)
    b = intervals(point, boot.r[boot.ok], grouped.r)
    ok = ~np.isnan(point)
    assert np.abs(a.acceleration[ok]).max() > 1e-3  # the check is not vacuous
    assert np.abs(a.low[ok] - b.low[ok]).max() < 0.003
    assert np.abs(a.high[ok] - b.high[ok]).max() < 0.003


def test_analyze_says_when_the_jackknife_is_grouped(monkeypatch):
    monkeypatch.setattr(bs, "JACKKNIFE_EXACT_MAX", 20)
    monkeypatch.setattr(bs, "JACKKNIFE_GROUPS", 8)
    import safetywashing.inference._uncertainty as sens

    monkeypatch.setattr(sens, "JACKKNIFE_EXACT_MAX", 20)
    x = table(30, 6, seed=1, miss=0.0)
    df = pd.DataFrame(x, columns=[f"c{j}" for j in range(6)], index=[f"m{i}" for i in range(30)])
    m = sw.ScoreMatrix.from_frame(df, roles={f"c{j}": "capability" for j in CAP})
    res = sw.analyze(m, sensitivity=True, bootstrap=200, seed=3)
    jk = res.settings["jackknife"]
    assert jk["method"] == "grouped" and jk["groups"] == 8 and jk["seed"] == 3
    assert any("grouped jackknife: 8 random groups of 3-4 models" in note for note in res.notes)
    small = sw.analyze(sw.ScoreMatrix.from_frame(df.iloc[:20], roles={f"c{j}": "capability" for j in CAP}), sensitivity=True,
                       bootstrap=0)
    assert small.settings["jackknife"]["method"] == "exact"
    assert not any("grouped jackknife" in note for note in small.notes)


# ---------------------------------------------------------------- memory
@pytest.mark.parametrize("n,p,u", [(151, 200, 189), (1000, 200, 200), (5000, 200, 189), (100_000, 50, 50), (300, 12, 1)])
def test_chunk_planner_bounds_the_working_memory(n, p, u):
    b = plan_chunk(n, p, u)
    assert b >= 1
    # one resample is the unit: beyond it, never more than the cell budget per temporary
    assert b == 1 or b * n * max(p, u) <= pe.SORTED_CHUNK_CELLS
    assert chunk_bytes(n, p, u, b) <= max(chunk_bytes(n, p, u, 1), pe.SORTED_TEMPORARIES * 8 * pe.SORTED_CHUNK_CELLS)


def test_sorted_engine_memory_is_linear_in_models():
    """3,000 models x 20 benchmarks: the pairwise engine would need n*n*p = 180 M cells (1.4 GB); measured peak stays
    within the planned chunk plus O(n p) arrays."""
    n, p = 3000, 20
    x = table(n, p, seed=2, miss=0.05)
    tracemalloc.start()
    try:
        e = make_engine(x, CAP, "spearman")
        run_chunks(e, bootstrap_count_chunks(n, 12, 0), 12, threads=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    u = len(e.patterns)
    planned = chunk_bytes(n, p, u, e.chunk_size()) + 40 * 8 * n * max(p, u)
    assert peak < planned, (peak, planned)
    assert peak < 0.1 * 8 * n * n * p


def test_huge_bootstrap_is_refused_before_any_work():
    with pytest.raises(sw.InputError, match="10,000,000 resamples x 176 benchmarks.*--bootstrap 190,650 or fewer"):
        bs.check_bootstrap_size(10_000_000, 176)
    bs.check_bootstrap_size(190_650, 176)  # at the cap: accepted


def test_cli_refuses_ten_million_resamples_in_one_line(cli):
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "10000000")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "10,000,000 resamples" in lines[0] and "Traceback" not in proc.stderr


def test_long_bootstrap_states_its_expected_time(monkeypatch, capsys):
    import time

    from safetywashing.cli._common import eta_notice

    clock = iter([0.0, 2.0, 6.0, 7.0, 20.0])
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    tick = eta_notice(10_000, "bootstrap")
    for _ in range(5):
        tick(100)  # first tick at t=0 (100 done); at t=6: 200 more in 6 s -> 9,700 left take ~291 s
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["bootstrap: 300 of 10,000 resamples in 6 s; about 291 s more"]
    quick = eta_notice(400, "bootstrap")
    clock2 = iter([0.0, 6.0])
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock2))
    quick(100)
    quick(100)  # 200 left at 100 per 6 s: 12 s, not long -> silent
    assert capsys.readouterr().err == ""


def test_counted_subset_ranks_equal_scipy_per_column():
    """pairwise_corr_masked's one-sort ranks: each column against scipy.stats.spearmanr on its complete pairs."""
    import scipy.stats

    from safetywashing._util.stats import column_order, pairwise_corr_masked

    rng = np.random.default_rng(4)
    x = np.round(rng.normal(size=(80, 9)), 1)
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:, 8] = 1.0  # constant column: undefined
    y = np.round(x[:, 0] + rng.normal(size=80), 1)
    y[::7] = np.nan
    for xo in (None, column_order(x)):
        r, n = pairwise_corr_masked(x, y, "spearman", x_order=xo)
        for j in range(8):
            ok = ~np.isnan(x[:, j]) & ~np.isnan(y)
            assert n[j] == ok.sum()
            assert r[j] == pytest.approx(scipy.stats.spearmanr(x[ok, j], y[ok]).statistic, abs=1e-12)
        assert np.isnan(r[8])


def test_permutations_in_chunks_equal_one_batch(monkeypatch):
    from safetywashing.inference._bootstrap import permutation_pvalues

    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(40, 5)), 1)
    x[::6, 1] = np.nan
    s = x[:, 0] + rng.normal(size=40)
    want = permutation_pvalues(x, s, "spearman", 3000, np.random.default_rng(7))
    monkeypatch.setattr(bs, "COUNT_CHUNK_CELLS", 41 * 7)  # 7 permutations per chunk
    got = permutation_pvalues(x, s, "spearman", 3000, np.random.default_rng(7))
    assert np.array_equal(want, got)
    assert (want[1:] > 0).all() and want[0] < 0.01
