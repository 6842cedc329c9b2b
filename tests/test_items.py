"""Item-level audit (`safetywashing items`): statistics against independent implementations,
the synthetic two-trait model (flags, cross-fitted subset), real harness files cell by cell, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from safetywashing.commands._items import ItemMatrix, audit_items, items, read_items
from safetywashing.inference._item_stats import (
    choose_subset,
    corr_pvalues,
    cronbach_alpha,
    disattenuate,
    item_correlations,
    noise_ceiling,
    row_means,
    split_half,
)
from safetywashing.inference._multiplicity import bh_qvalues
from safetywashing.sources._item_synth import draw_models, make_items

HERE = Path(__file__).parent
ROOT = HERE.parent
ITEMS = HERE / "data" / "items"
CONTRACT = {
    "benchmark",
    "n_models",
    "n_items",
    "correlation",
    "ci_low",
    "ci_high",
    "reliability",
    "noise_ceiling",
    "disattenuated_correlation",
    "items",
    "subset",
}
ITEM_KEYS = {"item", "n", "mean", "correlation", "p_value", "q_value", "capability_driven", "discrimination",
             "discrimination_low", "discrimination_high", "lr_p_value", "lr_q_value", "conditional_discrimination",
             "conditional_p_value", "conditional_q_value", "conditional_flag"}
SUBSET_KEYS = {"items", "n_items", "correlation", "ci_low", "ci_high", "reliability", "in_sample_correlation"}


# --- statistics against scipy / hand formulas -------------------------------------------------------


@pytest.fixture(scope="module")
def graded():
    rng = np.random.default_rng(3)
    y = rng.random((30, 25)).round(1)  # graded scores with ties
    y[rng.random(y.shape) < 0.15] = np.nan
    s = rng.normal(size=30)
    return y, s


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_item_correlations_and_pvalues_match_scipy(graded, method):
    y, s = graded
    r, n = item_correlations(y, s, method)
    p = corr_pvalues(r, n)
    fn = stats.spearmanr if method == "spearman" else stats.pearsonr
    for j in range(y.shape[1]):
        ok = ~np.isnan(y[:, j])
        res = fn(y[ok, j], s[ok])
        assert n[j] == ok.sum()
        assert r[j] == pytest.approx(res[0], abs=1e-10)
        assert p[j] == pytest.approx(res[1], rel=1e-6, abs=1e-12)


def test_bh_matches_scipy():
    p = np.random.default_rng(1).random(200) ** 3
    p[[3, 50]] = np.nan
    q = bh_qvalues(p)
    ok = ~np.isnan(p)
    assert np.isnan(q[~ok]).all()
    np.testing.assert_allclose(q[ok], stats.false_discovery_control(p[ok], method="bh"), rtol=1e-12)


def test_alpha_is_kr20_without_missing():
    d = draw_models(make_items({"capability": 20, "safety": 10}, seed=2), 80, seed=4)
    y = d.y.astype(float)
    k = y.shape[1]
    # KR-20 by its textbook formula (p q item variances, total-score variance), both with ddof=1
    n = y.shape[0]
    pq = y.mean(0) * (1 - y.mean(0)) * n / (n - 1)
    kr20 = k / (k - 1) * (1 - pq.sum() / y.sum(1).var(ddof=1))
    assert cronbach_alpha(y) == pytest.approx(kr20, rel=1e-10)


def test_alpha_with_missing_at_random_close_to_full_data():
    bank = make_items({"capability": 30, "safety": 30}, seed=5)
    d = draw_models(bank, 3000, seed=6)
    full = cronbach_alpha(d.y.astype(float))
    y = d.y.astype(float)
    y[np.random.default_rng(7).random(y.shape) < 0.3] = np.nan
    assert cronbach_alpha(y) == pytest.approx(full, abs=0.02)
    # the naive complete-case alpha does not exist here: almost no model ran every item
    assert (~np.isnan(y)).all(axis=1).sum() < 5


def test_split_half_one_split_by_hand():
    rng = np.random.default_rng(8)
    y = (rng.random((40, 10)) < 0.5).astype(float)
    perm = np.random.default_rng(0).permutation(10)
    a, b = perm[:5], perm[5:]
    r = np.corrcoef(y[:, a].mean(1), y[:, b].mean(1))[0, 1]
    assert split_half(y, n_splits=1, seed=0) == pytest.approx(2 * r / (1 + r), rel=1e-10)


def test_noise_ceiling_and_disattenuation():
    assert noise_ceiling(0.64) == pytest.approx(0.8)
    assert disattenuate(0.4, 0.64) == pytest.approx(0.5)
    assert disattenuate(0.9, 0.25) == 1.0  # clipped
    assert noise_ceiling(-0.1) is None and disattenuate(0.3, None) is None


def test_row_means_use_answered_items():
    y = np.array([[1.0, np.nan, 0.0], [np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(row_means(y), [0.5, np.nan])


# --- synthetic two-trait model ------------------------------------------------------------------------


def test_flags_precision_and_recall_on_synthetic_items():
    bank = make_items({"capability": 60, "safety": 60, "mixed": 30, "noise": 30}, seed=11)
    d = draw_models(bank, 250, seed=12)
    res = audit_items(d.y, d.score, [f"i{j}" for j in range(len(bank.kind))], n_boot=200)
    flag, truth = res.capability_driven, bank.capability_driven
    precision = (flag & truth).sum() / flag.sum()
    recall = (flag & truth).sum() / truth.sum()
    assert precision >= 0.95, precision
    assert recall >= 0.85, recall
    # no safety or noise item is among the flagged ones at this sample size (FDR 5%)
    assert (flag & ~truth).sum() <= 3


def test_subset_crossfit_against_fresh_models():
    """The subset's cross-fitted interval covers its correlation in a large fresh draw of models."""
    bank = make_items({"capability": 40, "safety": 20, "mixed": 30, "noise": 10}, seed=21)
    d = draw_models(bank, 60, seed=22)
    names = [f"i{j}" for j in range(len(bank.kind))]
    res = audit_items(d.y, d.score, names, subset_size=30, n_boot=300, repeats=5)
    sub = res.subset
    assert sub is not None and sub.n_items == 30 and sub.folds == 5
    cols = [names.index(i) for i in sub.items]
    fresh = draw_models(bank, 20000, seed=23)
    truth = stats.spearmanr(fresh.y[:, cols].mean(1), fresh.score)[0]
    assert sub.ci_low <= truth <= sub.ci_high, (sub.ci_low, truth, sub.ci_high)
    # the subset is much less capability-correlated than the whole benchmark in fresh models
    whole = stats.spearmanr(fresh.y.mean(1), fresh.score)[0]
    assert truth < whole - 0.3
    # mostly safety items chosen
    kinds = bank.kind[cols]
    assert (kinds == "safety").sum() >= 18


@pytest.mark.slow
def test_in_sample_is_optimistic_and_crossfit_is_not():
    """Over repeated draws, the in-sample subset correlation is below the fresh-model truth; cross-fitted is not."""
    bank = make_items({"capability": 60, "mixed": 60, "noise": 20}, seed=31)
    gap_in, gap_cf, cover = [], [], 0
    reps = 12
    for rep in range(reps):
        d = draw_models(bank, 40, seed=100 + rep)
        names = [f"i{j}" for j in range(len(bank.kind))]
        res = audit_items(d.y, d.score, names, subset_size=20, n_boot=300, repeats=5, seed=rep)
        cols = [names.index(i) for i in res.subset.items]
        fresh = draw_models(bank, 10000, seed=9000 + rep)
        truth = stats.spearmanr(fresh.y[:, cols].mean(1), fresh.score)[0]
        gap_in.append(res.subset.in_sample_correlation - truth)
        gap_cf.append(res.subset.correlation - truth)
        cover += res.subset.ci_low <= truth <= res.subset.ci_high
    assert np.mean(gap_in) < -0.05  # selection bias: in-sample looks more decorrelated than it is
    assert np.mean(gap_cf) > np.mean(gap_in) + 0.05
    assert cover >= reps * 0.75


def test_max_correlation_subset_respects_the_bound_in_sample():
    bank = make_items({"capability": 30, "safety": 30}, seed=41)
    d = draw_models(bank, 100, seed=42)
    cols = choose_subset(d.y, d.score, max_correlation=0.2)
    r = stats.spearmanr(d.y[:, cols].mean(1), d.score)[0]
    assert r <= 0.2 and len(cols) >= 20


def test_too_few_models_is_an_error():
    from safetywashing import InsufficientDataError

    with pytest.raises(InsufficientDataError, match="at least 5"):
        audit_items(np.ones((4, 3)), np.arange(4.0), ["a", "b", "c"])


# --- real harness files, cell by cell -------------------------------------------------------------------


def _by_name(mats):
    return {m.benchmark: m for m in mats}


def test_lmeval_samples_cell_by_cell():
    (mat,), _ = read_items([ITEMS / "lm_eval"])
    assert mat.benchmark == "sw_items_mc" and len(mat.models) == 6 and len(mat.items) == 12
    files = sorted((ITEMS / "lm_eval").glob("*/samples_*.jsonl"))
    assert len(files) == 6
    for f in files:
        res = json.loads(next(f.parent.glob("results_*.json")).read_text())
        model = res["model_name"]
        for line in f.read_text().splitlines():
            row = json.loads(line)
            assert mat.y[mat.models.index(model), mat.items.index(str(row["doc_id"]))] == row["acc"]
    # a different metric on request
    (mat2,), _ = read_items([ITEMS / "lm_eval"], metric="acc_norm")
    row = json.loads(files[0].read_text().splitlines()[3])
    assert mat2.y[mat2.models.index("org/model-1"), mat2.items.index("3")] == row["acc_norm"]


def test_inspect_samples_cell_by_cell():
    from inspect_ai.log import read_eval_log
    from inspect_ai.scorer import value_to_float

    (mat,), _ = read_items([ITEMS / "inspect"])
    assert mat.benchmark == "sw_items_mc" and len(mat.models) == 6 and len(mat.items) == 10
    to_float = value_to_float()
    for f in sorted((ITEMS / "inspect").iterdir()):
        log = read_eval_log(str(f))
        model = str(log.eval.model).split("/", 1)[1]
        for smp in log.samples:
            v = to_float(smp.scores["match"].value)
            assert mat.y[mat.models.index(model), mat.items.index(str(smp.id))] == v
    # and the answer table the fixture script used (model-k answers q0..q{k-1} right, plus one more for some)
    assert mat.y[mat.models.index("model-1")].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert mat.y[mat.models.index("model-6")].tolist() == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]


def test_helm_per_instance_cell_by_cell():
    mats = _by_name(read_items([ITEMS / "helm"])[0])
    assert set(mats) == {"simple_mcqa", "simple_classification"}
    for run in sorted((ITEMS / "helm").iterdir()):
        spec = json.loads((run / "run_spec.json").read_text())
        mat = mats[spec["name"].split(":")[0]]
        assert mat.models == (spec["adapter_spec"]["model"],)
        data = json.loads((run / "per_instance_stats.json").read_text())
        assert len(mat.items) == len(data) == 10
        for inst in data:
            em = next(s["mean"] for s in inst["stats"] if s["name"]["name"] == "exact_match")
            assert mat.y[0, mat.items.index(inst["instance_id"])] == em


def test_long_csv_and_parquet_agree(tmp_path):
    import duckdb

    src = ROOT / "examples" / "items_long.csv"
    df = pd.read_csv(src)
    pq = tmp_path / "long.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}')) TO '{pq}' (FORMAT parquet)")
    (a,), _ = read_items([src])
    (b,), _ = read_items([pq], benchmark=None)
    assert a.models == b.models and a.items == b.items
    np.testing.assert_array_equal(a.y, b.y)
    for r in df.sample(50, random_state=0).itertuples():
        assert a.y[a.models.index(r.model), a.items.index(r.item)] == r.score


def test_repeated_responses_are_averaged_and_missing_kept(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("model,item,score,benchmark\nm1,a,1,b1\nm1,a,0,b1\nm1,b,0.5,b1\nm2,a,,b1\nm2,b,1,b1\nm1,x,1,b2\n")
    mats, notes = read_items([p])
    m = _by_name(mats)["b1"]
    assert m.y[0, 0] == 0.5 and m.y[0, 1] == 0.5 and np.isnan(m.y[1, 0]) and m.y[1, 1] == 1
    assert any("several responses" in n for n in notes)


# --- the CLI -----------------------------------------------------------------------------------------


def test_cli_help_example_runs_as_printed(cli):
    proc = cli("items", "--help")
    assert proc.returncode == 0
    ex = next(line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("safetywashing items "))
    args = ex.removeprefix("safetywashing ").split()
    run = cli(*args, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "decorrelated subset" in run.stdout and "alpha (KR-20)" in run.stdout


def test_cli_json_contract(cli):
    proc = cli(
        "items",
        "examples/items_long.csv",
        "--model-scores",
        "examples/items_model_scores.csv",
        "--format",
        "json",
        "--bootstrap",
        "200",
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert CONTRACT <= set(d)
    assert d["n_models"] == 40 and d["n_items"] == 36 and len(d["items"]) == 36
    assert set(d["items"][0]) == ITEM_KEYS
    assert SUBSET_KEYS <= set(d["subset"]) and d["subset"]["n_items"] == 18
    assert d["reliability_split_half"] is not None and "missing" in d["reliability_method"]
    # the benchmark correlation equals scipy's on the models' mean scores
    long = pd.read_csv(ROOT / "examples" / "items_long.csv")
    sc = pd.read_csv(ROOT / "examples" / "items_model_scores.csv").set_index("model")["capabilities_score"]
    means = long.groupby("model")["score"].mean()
    assert d["correlation"] == pytest.approx(stats.spearmanr(means, sc.loc[means.index])[0], abs=1e-12)
    lo, hi = d["ci_low"], d["ci_high"]
    assert lo < d["correlation"] < hi


def test_cli_several_benchmarks_and_output_csv(cli, tmp_path):
    out = tmp_path / "items.csv"
    proc = cli("items", str(ITEMS / "lm_eval"), str(ITEMS / "inspect"), "--model-scores", str(tmp_path / "s.csv"))
    assert proc.returncode == 2 and "no such file" in proc.stderr
    (tmp_path / "s.csv").write_text(
        "model,capabilities_score\n"
        + "".join(f"org/model-{i},{i}\n" for i in range(1, 7))
        + "".join(f"model-{i},{i}\n" for i in range(1, 7))
    )
    # two sources with the same task name are one benchmark: lm-eval items 0..11 and Inspect items q0..q9
    proc = cli(
        "items",
        str(ITEMS / "lm_eval"),
        str(ITEMS / "inspect"),
        "--model-scores",
        str(tmp_path / "s.csv"),
        "--output",
        str(out),
        "--bootstrap",
        "200",
    )
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out)
    assert list(df.columns) == [
        "benchmark",
        "item",
        "n",
        "mean",
        "correlation",
        "p_value",
        "q_value",
        "discrimination",
        "discrimination_low",
        "discrimination_high",
        "lr_p_value",
        "lr_q_value",
        "conditional_discrimination",
        "conditional_p_value",
        "conditional_q_value",
        "capability_driven",
        "conditional_flag",
        "in_subset",
    ]
    assert len(df) == 22
    # Inspect fixture: model-k has capability k; item q1 is right for models 2..6 -> positive correlation
    q1 = df[df["item"] == "q1"].iloc[0]
    assert q1["n"] == 6 and q1["correlation"] == pytest.approx(stats.spearmanr([0, 1, 1, 1, 1, 1], [1, 2, 3, 4, 5, 6])[0])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_several_benchmarks_json(cli, tmp_path):
    p = tmp_path / "t.csv"
    d = draw_models(make_items({"capability": 6, "safety": 6}, seed=1), 12, seed=2)
    rows = [(f"b{b}", f"m{i}", f"i{j}", d.y[i, j]) for b in (1, 2) for i in range(12) for j in range(12)]
    pd.DataFrame(rows, columns=["benchmark", "model", "item", "score"]).to_csv(p, index=False)
    (tmp_path / "s.csv").write_text("model,capabilities_score\n" + "".join(f"m{i},{d.score[i]}\n" for i in range(12)))
    proc = cli("items", str(p), "--model-scores", str(tmp_path / "s.csv"), "-f", "json", "--bootstrap", "100")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [b["benchmark"] for b in doc["benchmarks"]] == ["b1", "b2"]
    assert all(CONTRACT <= set(b) for b in doc["benchmarks"])
    one = json.loads(
        cli("items", str(p), "--model-scores", str(tmp_path / "s.csv"), "-f", "json", "-b", "b2", "--bootstrap", "100").stdout
    )
    assert one["benchmark"] == "b2"


def test_cli_panel_scores_through_name_matching(cli, tmp_path):
    from safetywashing import load_panel
    from safetywashing.commands._analyze import capability_direction

    panel = load_panel("chat")
    _, pscores, _ = capability_direction(panel)
    ids = [m for m in pscores.dropna().index][:12]
    rng = np.random.default_rng(0)
    rows = []
    for m in ids:
        for j in range(8):
            rows.append((m.upper(), f"i{j}", int(rng.random() < 0.5)))  # upper case: matched by the case-insensitive rule
    rows.append(("not-a-panel-model", "i0", 1))
    p = tmp_path / "t.csv"
    pd.DataFrame(rows, columns=["model", "item", "score"]).to_csv(p, index=False)
    proc = cli("items", str(p), "--panel", "chat", "-f", "json", "--bootstrap", "100")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["n_models"] == 12 and doc["unmatched_models"] == ["not-a-panel-model"]
    assert doc["matched_models"][ids[0].upper()] == ids[0]
    assert "left out" in proc.stderr


def test_cli_frontier_panel_scores_from_its_capability_model(cli, tmp_path):
    """--panel frontier: current models named as users name them (provider ids, Hugging Face ids) get the
    frontier panel's logistic-model scores, the same numbers `fit_capability_model(..., "irt")` gives."""
    from safetywashing import fit_capability_model, load_panel

    panel = load_panel("frontier")
    fit = fit_capability_model(panel, score_method="irt")
    names = {"openai/gpt-4o-2024-08-06": "gpt-4o-2024-08-06", "gpt-5-2025-08-07_medium": "gpt-5-2025-08-07_medium",
             "meta-llama/Llama-3.3-70B-Instruct": "Llama-3.3-70B-Instruct", "DeepSeek-R1-0528": "DeepSeek-R1-0528",
             "anthropic/claude-3-5-sonnet-20241022": "claude-3-5-sonnet-20241022"}
    rng = np.random.default_rng(1)
    rows = [(n, f"i{j}", int(rng.random() < 0.5)) for n in names for j in range(8)]
    p = tmp_path / "t.csv"
    pd.DataFrame(rows, columns=["model", "item", "score"]).to_csv(p, index=False)
    proc = cli("items", str(p), "--panel", "frontier", "-f", "json", "--bootstrap", "100")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["n_models"] == 5 and not doc["unmatched_models"]
    for name, mid in doc["matched_models"].items():
        assert mid in fit.scores.index and np.isfinite(fit.scores[mid]), (name, mid)
    assert {n: m.split("_")[0] for n, m in doc["matched_models"].items()} == {n: m.split("_")[0] for n, m in names.items()}
    means = pd.DataFrame(rows, columns=["model", "item", "score"]).groupby("model")["score"].mean()
    want = stats.spearmanr([means[n] for n in names], [fit.scores[doc["matched_models"][n]] for n in names])[0]
    assert doc["correlation"] == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(
    "content,needle",
    [
        ("model,item,score\nm1,a,1\nm2,a,abc\n", "line 3, column score: 'abc'"),
        ("model,item,score\nm1,a,1\nm2,a,1.5\n", "line 3, column score: '1.5'"),
        ("model,item,score\nm1,,1\n", "line 2, column item"),
        ("model,question,score\nm1,a,1\n", "missing column(s) item"),
    ],
)
def test_cli_bad_long_table(cli, tmp_path, content, needle):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    (tmp_path / "s.csv").write_text("model,capabilities_score\nm1,1\nm2,2\n")
    proc = cli("items", str(p), "--model-scores", str(tmp_path / "s.csv"))
    assert proc.returncode == 2
    assert needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args,needle",
    [
        ([], "--model-scores FILE or --panel NAME"),
        (["--panel", "chat", "--model-scores", "examples/items_model_scores.csv"], "one of them"),
        (["--model-scores", "examples/items_model_scores.csv", "--subset-size", "3", "--max-correlation", "0.2"], "not both"),
        (["--model-scores", "examples/items_model_scores.csv", "--format", "xml"], "--format"),
        (["--model-scores", "examples/items_model_scores.csv", "--output", "examples/items_long.csv"], "refusing to overwrite"),
        (["--model-scores", "examples/items_model_scores.csv", "-b", "nope"], "--benchmark 'nope'"),
    ],
)
def test_cli_bad_options(cli, args, needle):
    proc = cli("items", "examples/items_long.csv", *args, cwd=ROOT)
    assert proc.returncode == 2, proc.stdout
    assert needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_python_api_on_matrices():
    d = draw_models(make_items({"capability": 5, "safety": 5}, seed=1), 20, seed=2)
    mat = ItemMatrix("b", tuple(f"m{i}" for i in range(20)), tuple(f"i{j}" for j in range(10)), d.y)
    rep = items([mat], model_scores={f"m{i}": float(d.score[i]) for i in range(20)}, bootstrap=100)
    assert rep.to_dict()["n_models"] == 20 and len(rep.to_frame()) == 10


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_item_correlations_fast_path_matches_scipy(method):
    d = draw_models(make_items({"capability": 8, "noise": 4}, seed=2), 40, seed=3)
    y = d.y.astype(float)
    y[:, 0] = 1.0  # a constant item: no correlation
    r, n = item_correlations(y, d.score, method)
    fn = stats.spearmanr if method == "spearman" else stats.pearsonr
    assert np.isnan(r[0]) and (n == 40).all()
    for j in range(1, y.shape[1]):
        assert r[j] == pytest.approx(fn(y[:, j], d.score)[0], abs=1e-10)


def test_report_item_view_from_items_json(cli, tmp_path):
    js = tmp_path / "items.json"
    proc = cli("items", "examples/items_long.csv", "--model-scores", "examples/items_model_scores.csv", "-o", str(js),
               "--bootstrap", "100", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    html = tmp_path / "r.html"
    proc = cli("report", "--panel", "chat", "--items", str(js), "--output", str(html), "--bootstrap", "0")
    assert proc.returncode == 0, proc.stderr
    text = html.read_text()
    assert 'id="items"' in text and "Decorrelated subset of 18 items" in text
    (tmp_path / "bad.json").write_text('{"x": 1}')
    proc = cli("report", "--panel", "chat", "--items", str(tmp_path / "bad.json"), "--output", str(html))
    assert proc.returncode == 2 and "not the JSON of 'safetywashing items" in proc.stderr


def test_cli_csv_cells_neutralised_and_output_onto_a_read_file_refused(cli, tmp_path):
    p = tmp_path / "t.csv"
    rows = [(f"m{i}", "=HYPERLINK(1)" if j == 0 else f"i{j}", (i + j) % 2) for i in range(8) for j in range(4)]
    pd.DataFrame(rows, columns=["model", "item", "score"]).to_csv(p, index=False)
    (tmp_path / "s.csv").write_text("model,capabilities_score\n" + "".join(f"m{i},{i}\n" for i in range(8)))
    proc = cli("items", str(p), "--model-scores", str(tmp_path / "s.csv"), "-f", "csv", "--bootstrap", "100")
    assert proc.returncode == 0, proc.stderr
    assert "'=HYPERLINK(1)" in proc.stdout
    proc = cli("items", str(p), "--model-scores", str(tmp_path / "s.csv"), "-o", str(tmp_path / "s.csv"))
    assert proc.returncode == 2 and "refusing to overwrite an input" in proc.stderr
