"""Auditing a new benchmark against an embedded panel (issue 5)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import safetywashing as sw
from safetywashing._util.io import data_path
from safetywashing.commands._audit import audit
from safetywashing.sources._table import read_table

# Hugging Face ids of 12 chat-panel models (organisation prefixes, one provider prefix, odd case).
HF = {
    "meta-llama/Llama-2-7b-chat-hf": "Llama-2-7b-chat-hf",
    "meta-llama/Llama-2-13b-chat-hf": "Llama-2-13b-chat-hf",
    "hf/meta-llama/Meta-Llama-3-8B-Instruct": "Meta-Llama-3-8B-Instruct",
    "meta-llama/Meta-Llama-3-70B-Instruct": "Meta-Llama-3-70B-Instruct",
    "mistralai/Mixtral-8x7B-Instruct-v0.1": "Mixtral-8x7B-Instruct-v0.1",
    "Qwen/Qwen1.5-0.5B-Chat": "Qwen1.5-0.5B-Chat",
    "qwen/qwen1.5-14b-chat": "Qwen1.5-14B-Chat",
    "01-ai/Yi-6B-Chat": "Yi-6B-Chat",
    "databricks/dbrx-instruct": "dbrx-instruct",
    "deepseek-ai/deepseek-llm-7b-chat": "deepseek-llm-7b-chat",
    "tiiuae/falcon-7b-instruct": "falcon-7b-instruct",
    "google/gemma-1.1-7b-it": "gemma-1.1-7b-it",
}


def _write(path, rows: dict[str, dict[str, float]]) -> None:
    pd.DataFrame.from_dict(rows, orient="index").rename_axis("model").to_csv(path)


def test_copy_of_panel_column_gives_its_correlation_over_the_subset(tmp_path, reference):
    panel = sw.load_panel("chat")
    col = "ethics_all"
    f = tmp_path / "copy.csv"
    _write(f, {hf: {"my_copy": panel.scores.loc[mid, col]} for hf, mid in HF.items()})
    res = audit(read_table(f), panel, bootstrap=500, seed=1)
    assert res.matched == HF and res.unmatched == ()
    ref = reference["panels"]["chat"]["spearman"]["model_capability_scores"]
    mids = list(HF.values())
    expected = stats.spearmanr(panel.scores.loc[mids, col].to_numpy(), [ref[m] for m in mids]).statistic
    row = res.result("my_copy")
    assert row.n == 12
    assert row.correlation == pytest.approx(expected, abs=1e-12)
    assert row.extra["ci_low"] <= row.correlation <= row.extra["ci_high"]
    # and the panel's own scores, to the reference precision
    for pt in res.points:
        assert pt["capabilities_score"] == pytest.approx(ref[pt["model"]], abs=1e-5)
        assert pt["my_copy"] == panel.scores.loc[pt["model"], col]


def _hand_direction(panel: str):
    """Panel means, SDs and PC1 loadings written out with pandas/scipy from the shipped CSV."""
    raw = pd.read_csv(data_path("panels", f"benchmarks_{panel}_models.csv")).set_index("model")
    caps = sw.load_panel(panel).capability_benchmarks
    x = raw[caps].astype(float)
    mu, sd = x.mean(), x.std(ddof=0)
    z = (x - mu) / sd
    zc = z.dropna()
    c = stats.spearmanr(zc.to_numpy()).statistic
    vals, vecs = np.linalg.eigh(c)
    w = vecs[:, -1] * np.sign(vecs[np.argmax(np.abs(vecs[:, -1])), -1])
    return caps, mu, sd, w


def test_new_model_placed_with_hand_computed_score(tmp_path, reference):
    panel = sw.load_panel("chat")
    caps, mu, sd, w = _hand_direction("chat")
    twin = panel.scores.loc["Yi-34B-Chat", caps]
    odd = twin * np.linspace(0.9, 1.1, len(caps))
    rows = {hf: {"bench": float(i)} for i, hf in enumerate(HF)}
    rows["our-lab/twin-of-yi"] = {"bench": 3.5, **twin.to_dict()}
    rows["our-lab/odd-model"] = {"bench": 7.5, **odd.to_dict()}
    f = tmp_path / "new.csv"
    _write(f, rows)
    res = audit(read_table(f), panel, bootstrap=200)
    ref = reference["panels"]["chat"]["spearman"]["model_capability_scores"]
    assert res.placed["our-lab/twin-of-yi"] == pytest.approx(ref["Yi-34B-Chat"], abs=1e-5)
    hand = float((((odd - mu) / sd).to_numpy()) @ w)
    assert res.placed["our-lab/odd-model"] == pytest.approx(hand, abs=1e-10)
    assert res.result("bench").n == 14
    pts = {p["input_name"]: p for p in res.points}
    assert pts["our-lab/odd-model"]["model"] is None and pts["our-lab/odd-model"]["placed"] is True


def test_bootstrap_equals_loop_over_resamples(tmp_path):
    panel = sw.load_panel("chat")
    rng0 = np.random.default_rng(3)
    vals = {hf: {"b": float(v)} for hf, v in zip(HF, rng0.normal(size=len(HF)))}
    f = tmp_path / "b.csv"
    _write(f, vals)
    res = audit(read_table(f), panel, bootstrap=300, seed=42, level=0.9)
    s = np.array([p["capabilities_score"] for p in res.points])
    y = np.array([p["b"] for p in res.points])
    idx = np.random.default_rng(42).integers(0, len(s), size=(300, len(s)))
    rs = []
    for ii in idx:
        if np.ptp(y[ii]) > 0 and np.ptp(s[ii]) > 0:
            rs.append(stats.spearmanr(y[ii], s[ii]).statistic)
    lo, hi = np.quantile(rs, [0.05, 0.95])
    row = res.result("b")
    assert row.extra["ci_low"] == pytest.approx(lo, abs=1e-10)
    assert row.extra["ci_high"] == pytest.approx(hi, abs=1e-10)
    again = audit(read_table(f), panel, bootstrap=300, seed=42, level=0.9).result("b")
    assert again.extra == row.extra


def test_capability_correlations_and_frame(tmp_path):
    panel = sw.load_panel("chat")
    f = tmp_path / "c.csv"
    _write(f, {hf: {"my_mmlu": panel.scores.loc[m, "mmlu"]} for hf, m in HF.items()})
    res = audit(read_table(f), panel, bootstrap=200)
    cc = res.result("my_mmlu").extra["capability_correlations"]
    assert cc["mmlu"] == pytest.approx(1.0)
    mids = list(HF.values())
    assert cc["gsm8k"] == pytest.approx(
        stats.spearmanr(panel.scores.loc[mids, "mmlu"], panel.scores.loc[mids, "gsm8k"]).statistic, abs=1e-12
    )
    df = res.to_frame()
    assert {"panel", "benchmark", "correlation", "n", "ci_low", "ci_high", "r_mmlu"} <= set(df.columns)


def test_cli_json_contract_and_small_sample_warning(cli, tmp_path):
    panel = sw.load_panel("base")
    hf = ["meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-70b-hf", "Qwen/Qwen1.5-72B", "google/gemma-7b",
          "tiiuae/falcon-40b", "01-ai/Yi-34B", "unknown/model-z"]
    mids = ["Llama-2-7b-hf", "Llama-2-70b-hf", "Qwen1.5-72B", "gemma-7b", "falcon-40b", "Yi-34B"]
    f = tmp_path / "mine.csv"
    lines = ["model,my_bench"] + [f"{h},{v}%" for h, v in zip(hf, [40, 55, 61, 47, 52, 58, 70])]
    f.write_text("\n".join(lines) + "\n")
    before = f.read_bytes()
    out = tmp_path / "audit.json"
    proc = cli("audit", str(f), "--panel", "base", "--format", "json", "--bootstrap", "500", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["panel"] == "base"
    assert doc["matched"] == dict(zip(hf[:6], mids))
    assert doc["unmatched"] == ["unknown/model-z"]
    row = doc["results"][0]
    assert {"benchmark", "name", "role", "area", "correlation", "n", "verdict", "ci_low", "ci_high"} <= set(row)
    assert row["n"] == 6
    assert len(doc["points"]) == 6 and {"input_name", "model", "capabilities_score", "my_bench"} <= set(doc["points"][0])
    width = row["ci_high"] - row["ci_low"]
    assert "warning" in proc.stderr and "interval is wide" in proc.stderr and f"width {width:.2f}" in proc.stderr
    assert f.read_bytes() == before
    assert panel.n_models == 27


def test_cli_example_table(cli):
    from pathlib import Path

    ex = Path(__file__).resolve().parents[1] / "examples" / "my_benchmark.csv"
    proc = cli("audit", str(ex), "--panel", "chat", "--lower-is-better", "jailbreak_asr")
    assert proc.returncode == 0, proc.stderr
    assert "refusal_quality" in proc.stdout and "DBRX Chat -> dbrx-instruct (display name)" in proc.stdout
    assert "our-lab/model-x-13b -> placed" in proc.stdout


def test_constant_new_benchmark_is_undefined_not_an_error(tmp_path, recwarn):
    f = tmp_path / "k.csv"
    _write(f, {hf: {"flat": 1.0, "ok": float(i)} for i, hf in enumerate(HF)})
    res = audit(read_table(f), sw.load_panel("chat"), bootstrap=200)
    flat = res.result("flat")
    assert flat.correlation is None and flat.verdict == "undefined" and flat.extra["ci_low"] is None
    assert res.result("ok").correlation is not None
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    json.dumps(res.to_dict(), allow_nan=False)


def test_placed_model_in_wrong_units_is_warned(tmp_path):
    panel = sw.load_panel("chat")
    caps = panel.capability_benchmarks
    rows = {hf: {"bench": float(i)} for i, hf in enumerate(HF)}
    rows["our-lab/percent-model"] = {"bench": 3.0, **(panel.scores.loc["Yi-6B-Chat", caps] * 100).to_dict()}
    f = tmp_path / "u.csv"
    _write(f, rows)
    res = audit(read_table(f), panel, bootstrap=200)
    assert any("panel's units" in w and "our-lab/percent-model" in w for w in res.warnings)


def test_cli_example_leaderboard(cli):
    from pathlib import Path

    ex = Path(__file__).resolve().parents[1] / "examples" / "my_leaderboard.csv"
    proc = cli("analyze", "--data", str(ex), "--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag",
               "--lower-is-better", "jailbreak_asr,bias_gap", "--params-column", "params", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)["panels"][0]
    assert p["panel"] == "my_leaderboard" and p["n_models"] == 9 and p["dropped_models"] == ["gamma/gamma-2b"]
    assert {r["benchmark"] for r in p["results"]} == {"MMLU", "GSM8K", "ARC-C", "HellaSwag", "refusal_rate_harmful",
                                                      "jailbreak_asr", "bias_gap"}


def test_capability_sd_ratio_by_hand_and_restricted_range_warning(tmp_path, reference):
    """ratio = population SD of the audited models' reference scores / population SD over all panel models."""
    panel = sw.load_panel("chat")
    ref = pd.Series(reference["panels"]["chat"]["spearman"]["model_capability_scores"])
    f = tmp_path / "wide.csv"
    _write(f, {hf: {"mine": panel.scores.loc[mid, "ethics_all"]} for hf, mid in HF.items()})
    res = audit(read_table(f), panel, bootstrap=200)
    want = ref[list(HF.values())].std(ddof=0) / ref.std(ddof=0)
    assert res.capability_sd_ratio == pytest.approx(want, abs=1e-6)
    assert res.n_panel_scored == 26 and res.to_dict()["capability_sd_ratio"] == res.capability_sd_ratio
    assert res.result("mine").extra["capability_sd_ratio"] == pytest.approx(want, abs=1e-6)
    assert not any("restricted range" in w for w in res.warnings)
    # the weaker half of the panel: a restricted range, warned with the direction of the bias
    weak = ref.sort_values().index[:13]
    g = tmp_path / "weak.csv"
    _write(g, {mid: {"mine": panel.scores.loc[mid, "ethics_all"]} for mid in weak})
    res2 = audit(read_table(g), panel, bootstrap=200)
    u = ref[weak].std(ddof=0) / ref.std(ddof=0)
    assert res2.capability_sd_ratio == pytest.approx(u, abs=1e-6) and u < 0.8
    w = [x for x in res2.warnings if "restricted range" in x]
    assert len(w) == 1 and f"capability_sd_ratio {u:.2f}" in w[0] and "toward 0" in w[0]


def test_restricted_range_formula_against_simulation():
    """Thorndike's case II against a bivariate-normal sample selected on x (the middle of the x range)."""
    from safetywashing.commands._audit import restricted_range_r

    rng = np.random.default_rng(0)
    r = 0.7
    x = rng.normal(size=400_000)
    y = r * x + np.sqrt(1 - r * r) * rng.normal(size=x.size)
    sel = np.abs(x) < 0.8
    u = x[sel].std() / x.std()
    assert restricted_range_r(r, u) == pytest.approx(np.corrcoef(x[sel], y[sel])[0, 1], abs=0.01)
    assert restricted_range_r(r, 1.0) == pytest.approx(r)
