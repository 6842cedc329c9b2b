"""place: new models in a panel's coordinates, checked against hand computations."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import safetywashing as sw
from safetywashing.commands._place import percentile_of, read_matrix_csv

CAPS = ["arc_challenge", "bbh", "gsm8k", "hellaswag", "lambada_openai", "logiqa", "medqa_4options", "minerva_math", "mmlu",
        "piqa", "superglue_copa", "winogrande"]


def _matrix(df: pd.DataFrame, name: str = "new") -> sw.ScoreMatrix:
    return sw.ScoreMatrix.from_frame(df, name=name, source=name)


def test_copy_of_a_panel_model_gets_its_panel_score_and_residual():
    panel = sw.load_panel("chat")
    ref = sw.analyze(panel, bootstrap=0)
    src = "Meta-Llama-3-8B-Instruct"
    row = panel.scores.loc[[src], [*CAPS, "truthfulqa_mc1", "ethics_all"]].rename(index={src: "my-copy"})
    res = sw.place(_matrix(row), panel)
    m = res.models[0]
    assert m.capabilities_score == pytest.approx(ref.model_scores[src], abs=1e-9)
    # residual = the panel model's own OLS residual (numpy.polyfit over the panel)
    s = pd.Series(ref.model_scores)
    for b in ("truthfulqa_mc1", "ethics_all"):
        y = panel.scores.loc[s.index, b]
        slope, icpt = np.polyfit(s.to_numpy(), y.to_numpy(), 1)
        want = y[src] - (icpt + slope * s[src])
        got = next(r for r in res.benchmarks if r.benchmark == b)
        assert got.residual == pytest.approx(want, abs=1e-9)
        assert got.n == len(s)
    # and a model sitting on the fit line has a zero residual
    slope, icpt = np.polyfit(s.to_numpy(), panel.scores.loc[s.index, "ethics_all"].to_numpy(), 1)
    on_line = row.copy()
    on_line["ethics_all"] = icpt + slope * s[src]
    r2 = sw.place(_matrix(on_line), panel)
    assert next(r for r in r2.benchmarks if r.benchmark == "ethics_all").residual == pytest.approx(0.0, abs=1e-12)
    # percentile: share of the 26 panel models below, ties (itself) half
    below = (s < s[src]).sum()
    assert m.percentile == pytest.approx(100 * (below + 0.5) / len(s), abs=1e-9)


def test_hand_built_panel_matches_hand_computation():
    # 6 models, 2 capability benchmarks, 1 safety benchmark: every step by hand
    mmlu = np.array([0.30, 0.40, 0.45, 0.55, 0.60, 0.70])
    gsm = np.array([0.10, 0.25, 0.20, 0.40, 0.50, 0.65])
    eth = np.array([0.50, 0.52, 0.58, 0.57, 0.66, 0.70])
    models = [f"m{i}" for i in range(6)]
    panel = _matrix(pd.DataFrame({"mmlu": mmlu, "gsm8k": gsm, "ethics_all": eth}, index=models), "toy")
    new = _matrix(pd.DataFrame({"mmlu": [0.50], "gsm8k": [0.30], "ethics_all": [0.70]}, index=["new"]))
    res = sw.place(new, panel)
    # spearman correlation of the two columns is positive -> PC1 = (1, 1)/sqrt(2)
    assert stats.spearmanr(mmlu, gsm).statistic > 0
    z = lambda v, col: (v - col.mean()) / col.std(ddof=0)  # noqa: E731
    s_panel = (z(mmlu, mmlu) + z(gsm, gsm)) / math.sqrt(2)
    s_new = (z(0.50, mmlu) + z(0.30, gsm)) / math.sqrt(2)
    m = res.models[0]
    assert m.capabilities_score == pytest.approx(s_new, abs=1e-12)
    assert m.percentile == pytest.approx(100 * (s_panel < s_new).sum() / 6, abs=1e-12)
    slope, icpt = np.polyfit(s_panel, eth, 1)
    pred = icpt + slope * s_new
    resid_sd = math.sqrt(((eth - (icpt + slope * s_panel)) ** 2).sum() / 4)
    sxx = ((s_panel - s_panel.mean()) ** 2).sum()
    half = stats.t.ppf(0.975, 4) * resid_sd * math.sqrt(1 + 1 / 6 + (s_new - s_panel.mean()) ** 2 / sxx)
    b = res.benchmarks[0]
    assert (b.benchmark, b.n) == ("ethics_all", 6)
    assert b.predicted == pytest.approx(pred, abs=1e-12)
    assert b.residual == pytest.approx(0.70 - pred, abs=1e-12)
    assert b.residual_sd == pytest.approx((0.70 - pred) / resid_sd, abs=1e-12)
    assert (b.pi_low, b.pi_high) == (pytest.approx(pred - half, abs=1e-12), pytest.approx(pred + half, abs=1e-12))
    assert b.outside_interval == (abs(0.70 - pred) > half)
    assert b.slope == pytest.approx(slope, abs=1e-12)
    h = 1 / 6 + (s_new - s_panel.mean()) ** 2 / sxx
    assert b.leverage == pytest.approx(h, abs=1e-12)
    assert b.studentized_residual == pytest.approx((0.70 - pred) / (resid_sd * math.sqrt(1 + h)), abs=1e-12)
    # t with n - 2 df: outside the PI exactly when |t| exceeds the quantile
    assert b.outside_interval == (abs(b.studentized_residual) > stats.t.ppf(0.975, 4))


def _outlier_test(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """statsmodels' externally studentized residuals of y on s (models with both)."""
    import statsmodels.api as sm

    res = sm.OLS(y, sm.add_constant(s)).fit()
    return np.asarray(res.outlier_test(method="bonf"))[:, 0]  # column 0: student_resid (ndarray without pandas input)


def test_studentized_loo_matches_statsmodels_outlier_test():
    from safetywashing.inference._fit import studentized_loo

    panel = sw.load_panel("chat")
    s = pd.Series(sw.analyze(panel, bootstrap=0).model_scores).reindex(panel.scores.index).to_numpy()
    cols = ["ethics_all", "truthfulqa_mc1", "LMSYS_Chatbot_Arena", "wmdp_bio"]
    y = panel.scores[cols].to_numpy(dtype=float)
    assert np.isnan(y).any()  # the arena column misses models: each column is fitted over its own
    t, df = studentized_loo(s, y)
    for j in range(len(cols)):
        ok = ~np.isnan(y[:, j])
        np.testing.assert_allclose(t[ok, j], _outlier_test(s[ok], y[ok, j]), rtol=1e-9, atol=1e-12)
        assert np.isnan(t[~ok, j]).all() and df[j] == ok.sum() - 3


def test_tail_summary_by_hand():
    from safetywashing.inference._fit import tail_summary

    t = np.array([[0.5, 2.5], [-3.5, np.nan], [1.0, -2.1], [0.0, 0.2]])
    df = np.array([10.0, 20.0])
    got = tail_summary(t, df)
    assert got["n_residuals"] == 7 and got["n_benchmarks"] == 2
    assert got["share_abs_gt_2"] == pytest.approx(3 / 7) and got["share_abs_gt_3"] == pytest.approx(1 / 7)
    want2 = (4 * 2 * stats.t.sf(2, 10) + 3 * 2 * stats.t.sf(2, 20)) / 7
    assert got["expected_abs_gt_2"] == pytest.approx(want2, rel=1e-12)
    assert got["ratio_abs_gt_3"] == pytest.approx((1 / 7) / ((4 * 2 * stats.t.sf(3, 10) + 3 * 2 * stats.t.sf(3, 20)) / 7))


def test_panel_model_is_studentized_against_the_fit_without_it():
    """A panel model placed under its own name: its studentized residual is statsmodels' external one."""
    panel = sw.load_panel("chat")
    src = "Qwen1.5-7B-Chat"
    row = panel.scores.loc[[src], [*CAPS, "truthfulqa_mc1", "ethics_all"]]
    res = sw.place(_matrix(row), panel)
    s = pd.Series(sw.analyze(panel, bootstrap=0).model_scores).reindex(panel.scores.index)
    i = list(panel.scores.index).index(src)
    for b in ("truthfulqa_mc1", "ethics_all"):
        got = next(r for r in res.benchmarks if r.benchmark == b)
        assert got.studentized_residual == pytest.approx(_outlier_test(s.to_numpy(), panel.scores[b].to_numpy())[i], rel=1e-9)
    # the panel's tails are reported with every placement
    assert res.tails["panel"] == "chat" and res.tails["n_benchmarks"] > 100
    assert 0 < res.tails["share_abs_gt_3"] < res.tails["share_abs_gt_2"] < 0.2
    assert "tails" in res.to_dict() and "studentized_residual" in res.to_frame().columns


def test_percentile_ties_and_nan():
    np.testing.assert_allclose(percentile_of(np.array([2.0, np.nan, 0.0]), np.array([1.0, 2.0, 3.0, np.nan])),
                               [50.0, np.nan, 0.0])


def test_settings_warning_from_ingest_provenance():
    panel = sw.load_panel("chat")
    ing = sw.ingest([__import__("pathlib").Path(__file__).parent / "data" / "harness" / "lm_eval"])
    # model-a's harness values for arc/copa/gsm8k/mmlu + panel values for the other 8 capability benchmarks
    row = panel.scores.loc[["Mistral-7B-Instruct-v0.2"], CAPS].rename(index=lambda _: "org/model-a")
    for b in ("arc_challenge", "superglue_copa", "gsm8k", "mmlu"):
        row[b] = ing.scores.loc["org/model-a", b]
    res = sw.place(_matrix(row), panel, provenance=ing.provenance)
    settings = [w for w in res.warnings if "settings" in w]
    assert len(settings) == 1
    w = settings[0]
    assert "gsm8k: 2-shot (panel: 5-shot)" in w
    assert "arc_challenge" not in w and "mmlu" not in w  # 0-shot acc,none: as the panel
    assert not any("not checked" in n for n in res.notes)
    res2 = sw.place(_matrix(row), panel)
    assert any("not checked" in n for n in res2.notes)


def test_percent_values_warned():
    panel = sw.load_panel("base")
    row = panel.scores.loc[["Mistral-7B-v0.1"], [*CAPS, "truthfulqa_mc1"]].copy()
    row["truthfulqa_mc1"] = 45.0
    res = sw.place(_matrix(row), panel)
    assert any("truthfulqa_mc1" in w and "percentages" in w for w in res.warnings)


def test_result_frame_and_dict():
    panel = sw.load_panel("chat")
    row = panel.scores.loc[["Llama-2-7b-chat-hf"], [*CAPS, "truthfulqa_mc1"]].rename(index=lambda _: "x")
    half = row.copy()
    half.index = ["y"]
    half["mmlu"] = np.nan
    res = sw.place(_matrix(pd.concat([row, half])), panel)
    df = res.to_frame()
    assert list(df["model"]) == ["x", "y"] and df.loc[1, "benchmark"] == ""
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["models"][1]["capabilities_score"] is None and d["models"][1]["missing"] == ["mmlu"]
    assert d["benchmarks"][0]["n"] == 26


def test_cli_place(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")  # wide enough that the table keeps every id on one line
    panel = sw.load_panel("chat")
    df = panel.scores.loc[["Meta-Llama-3-8B-Instruct"], [*CAPS, "truthfulqa_mc1"]].rename(index=lambda _: "new-model")
    df.index.name = "model"
    f = tmp_path / "m.csv"
    df.to_csv(f)
    r = cli("place", str(f), "--panel", "base", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    want = sw.place(read_matrix_csv(f), sw.load_panel("base")).to_dict()
    assert d["models"][0]["capabilities_score"] == pytest.approx(want["models"][0]["capabilities_score"], abs=1e-12)
    assert d["benchmarks"][0]["benchmark"] == "truthfulqa_mc1"
    r = cli("place", str(f), "--panel", "chat")
    assert r.returncode == 0 and "percentile" in r.stdout and "truthfulqa_mc1" in r.stdout
    # bad input: one line, exit 2, file untouched
    bad = tmp_path / "bad.csv"
    bad.write_text("model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,oops\n")
    r = cli("place", str(bad))
    assert r.returncode == 2 and "line 3, column 'gsm8k'" in r.stderr and "Traceback" not in r.stderr
    assert bad.read_text() == "model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,oops\n"
    with pytest.raises(sw.InputError, match="no such file"):
        read_matrix_csv(tmp_path / "missing.csv")
    few = tmp_path / "few.csv"
    few.write_text("model,mmlu,gsm8k\na,0.5,0.3\n")
    r = cli("place", str(few))
    assert r.returncode == 2 and "no model has all 12 capability benchmarks" in r.stderr
    r = cli("place", "--help")
    assert "Example" in r.stdout


def test_end_to_end_lmeval_files_to_place(tmp_path, cli):
    """ingest real lm-eval files, then place: model-c ran all 12 capability tasks (gsm8k 2-shot)."""
    from pathlib import Path

    lm = Path(__file__).parent / "data" / "harness" / "lm_eval"
    out = tmp_path / "matrix.csv"
    r = cli("ingest", str(lm), "--output", str(out))
    assert r.returncode == 0, r.stderr
    r = cli("place", str(out), "--panel", "chat", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    placed = {m["model"]: m for m in d["models"]}
    assert placed["org/model-a"]["capabilities_score"] is None  # ran 4 of the 12
    assert any("org/model-c" in w and "outside the panel's range" in w for w in d["warnings"])  # random answers: far below
    want = sw.place(sw.ingest([lm]).to_matrix(), sw.load_panel("chat"))
    c = next(m for m in want.models if m.model == "org/model-c")
    assert placed["org/model-c"]["capabilities_score"] == pytest.approx(c.capabilities_score, abs=1e-9)
    assert {b["benchmark"] for b in d["benchmarks"]} == {"truthfulqa_mc1", "wmdp_bio"}
    # the provenance file beside the matrix is found and its settings checked
    assert any("org/model-c" in w and "gsm8k: 2-shot (panel: 5-shot)" in w for w in d["warnings"])
    assert "warning: org/model-c" in r.stderr


# --- issue 18, item 5: place matches names as audit does and uses the panel ---------------------------------------


def test_frontier_example_places_every_matched_panel_model():
    # 18 of the example's 20 names are frontier models (display names, provider prefixes, Hugging Face ids) without
    # any capability column: each is placed at the panel's own score; our-lab/model-y from its own values
    from safetywashing.sources._match import match_to_panel
    from safetywashing.sources._table import read_table

    panel = sw.load_panel("frontier")
    m = read_table("examples/frontier_benchmark.csv", lower_is_better=["jailbreak_asr"])  # an attack success rate
    mm = match_to_panel(list(m.scores.index), panel)
    assert len(mm.matched) == 18
    res = sw.place(m, panel, score_method="irt")
    fit = sw.fit_capability_model(panel, score_method="irt")
    placed = {p.model: p for p in res.models if p.capabilities_score is not None}
    assert set(mm.matched) <= set(placed) and "our-lab/model-y" in placed and len(placed) == 19
    for name, pid in mm.matched.items():
        p = placed[name]
        assert (p.panel_model, p.score_source, p.in_panel) == (pid, "panel", True)
        assert p.capabilities_score == pytest.approx(float(fit.scores[pid]), abs=1e-12)
    assert placed["our-lab/model-y"].panel_model is None and placed["our-lab/model-y"].score_source == "row"


def test_panel_model_by_display_name_without_capability_columns_is_placed_at_its_panel_score():
    panel = sw.load_panel("chat")
    ref = sw.analyze(panel, bootstrap=0)
    src = "Meta-Llama-3-8B-Instruct"
    row = pd.DataFrame({"ethics_all": [float(panel.scores.loc[src, "ethics_all"])]}, index=["Meta Llama 3 8B Instruct"])
    res = sw.place(_matrix(row), panel)
    m = res.models[0]
    assert m.panel_model == src and m.score_source == "panel"
    assert m.capabilities_score == pytest.approx(ref.model_scores[src], abs=1e-12)
    assert [b.benchmark for b in res.benchmarks] == ["ethics_all"]


def _loo_by_hand(s: pd.Series, y: pd.Series, model: str, value: float, level: float = 0.95) -> dict[str, float]:
    """The leave-one-out prediction interval of ``model`` by hand: numpy.polyfit without it, scipy's t quantile."""
    ok = s.notna() & y.notna() & (s.index != model)
    xs, ys = s[ok].to_numpy(), y[ok].to_numpy()
    n = len(xs)
    slope, icpt = np.polyfit(xs, ys, 1)
    sigma = math.sqrt(((ys - (icpt + slope * xs)) ** 2).sum() / (n - 2))
    x0 = float(s[model])
    h = 1 / n + (x0 - xs.mean()) ** 2 / ((xs - xs.mean()) ** 2).sum()
    pred = icpt + slope * x0
    q = stats.t.ppf(0.5 + level / 2, n - 2)
    half = q * sigma * math.sqrt(1 + h)
    return {"n": n, "predicted": pred, "pi_low": pred - half, "pi_high": pred + half, "q": q,
            "t": (value - pred) / (sigma * math.sqrt(1 + h))}


def test_panel_models_flag_iff_t_beyond_quantile_from_one_leave_one_out_fit():
    # panel models' own published rows: prediction, interval, t and '*' all from the fit without the model
    panel = sw.load_panel("chat")
    s = pd.Series(sw.analyze(panel, bootstrap=0).model_scores).reindex(panel.scores.index)
    models = ["Meta-Llama-3-8B-Instruct", "Llama-2-7b-chat-hf", "Qwen1.5-72B-Chat", "falcon-7b-instruct"]
    models = [m for m in models if m in panel.scores.index]
    assert len(models) >= 3
    res = sw.place(_matrix(panel.scores.loc[models]), panel)
    rows = res.benchmarks
    assert len(rows) > 300
    n_flag = 0
    for r in rows:
        want = _loo_by_hand(s, panel.scores[r.benchmark], r.model, r.value)
        assert r.n == want["n"]
        assert r.predicted == pytest.approx(want["predicted"], abs=1e-9)
        assert (r.pi_low, r.pi_high) == (pytest.approx(want["pi_low"], abs=1e-9), pytest.approx(want["pi_high"], abs=1e-9))
        assert r.studentized_residual == pytest.approx(want["t"], rel=1e-9, abs=1e-9)
        assert r.outside_interval == (abs(want["t"]) > want["q"])
        n_flag += r.outside_interval
    assert n_flag > 0
