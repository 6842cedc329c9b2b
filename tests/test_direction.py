"""A user's table read right (issue 18, items 1, 2 and 4): direction known or asked, metadata kept apart, the
registry's corrections applied to users' rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing.sources._table import read_table

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
LB_CAPS = "MMLU,GSM8K,ARC-C,HellaSwag"


def _harm_table(tmp_path: Path) -> tuple[Path, pd.Series]:
    """Chat panel models with a harm rate that falls as models get more capable (lower = safer)."""
    chat = sw.load_panel("chat")
    s = pd.Series(sw.analyze(chat, bootstrap=0, compute=None, sensitivity=False, adjust="none").model_scores)
    rng = np.random.default_rng(3)
    rate = np.clip(0.5 - 0.08 * s + rng.normal(0, 0.03, len(s)), 0, 1).round(4)
    f = tmp_path / "harm.csv"
    pd.DataFrame({"model": s.index, "harmful_compliance_rate": rate.to_numpy()}).to_csv(f, index=False)
    return f, s


@pytest.mark.parametrize(
    "cmd",
    [
        ["analyze", "--data", "examples/my_leaderboard.csv", "--capabilities", LB_CAPS, "--bootstrap", "0"],
        ["audit", "examples/my_benchmark.csv", "--panel", "chat"],
        ["place", "examples/frontier_benchmark.csv", "--panel", "frontier"],
        ["leaderboard", "--data", "examples/my_leaderboard.csv", "--capabilities", LB_CAPS, "--benchmark", "MMLU"],
        ["report", "--data", "examples/my_leaderboard.csv", "--capabilities", LB_CAPS, "--output", "never.html"],
        ["figures", "--data", "examples/my_leaderboard.csv", "--capabilities", LB_CAPS, "--output-dir", "never"],
    ],
)
def test_harm_named_column_without_direction_is_refused(cli, cmd, tmp_path):
    shutil.copytree(EX, tmp_path / "examples")
    proc = cli(*cmd, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    col = "bias_gap" if cmd[0] in ("analyze", "leaderboard", "report", "figures") else "jailbreak_asr"
    assert f"column {col!r}" in lines[0] or "column 'jailbreak_asr'" in lines[0]
    assert "--lower-is-better" in lines[0] and "--higher-is-better" in lines[0]
    assert not (tmp_path / "never.html").exists() and not (tmp_path / "never").exists()


def test_audit_of_a_harm_rate_has_the_safety_sign(tmp_path):
    """The issue's case: a harm rate that falls with capability was read higher = safer and reported r -0.94."""
    f, s = _harm_table(tmp_path)
    with pytest.raises(sw.InputError, match="harmful_compliance_rate.*--lower-is-better harmful_compliance_rate"):
        read_table(f)
    res = sw.audit(read_table(f, lower_is_better=["harmful_compliance_rate"]), sw.load_panel("chat"), bootstrap=200)
    row = res.result("harmful_compliance_rate")
    raw = pd.read_csv(f).set_index("model")["harmful_compliance_rate"]
    from scipy import stats

    want = stats.spearmanr(-raw[s.index].to_numpy(), s.to_numpy()).statistic
    assert row.correlation == pytest.approx(want, abs=1e-12) and row.correlation > 0.8
    assert row.to_dict()["direction"].startswith("lower = better")
    # the header suffix is the same statement as the option
    f2 = tmp_path / "suffix.csv"
    f2.write_text(f.read_text().replace("harmful_compliance_rate", "harmful_compliance_rate:lower", 1))
    res2 = sw.audit(read_table(f2), sw.load_panel("chat"), bootstrap=200)
    assert res2.result("harmful_compliance_rate").correlation == row.correlation


def test_every_output_of_a_users_column_says_its_direction(cli):
    args = ["analyze", "--data", "examples/my_leaderboard.csv", "--capabilities", LB_CAPS, "--bootstrap", "0",
            "--lower-is-better", "jailbreak_asr,bias_gap"]
    doc = json.loads(cli(*args, "--format", "json", cwd=ROOT).stdout)["panels"][0]
    rows = {r["benchmark"]: r for r in doc["results"]}
    assert rows["jailbreak_asr"]["direction"] == "lower = better in the file (negated: higher = better)"
    assert rows["refusal_rate_harmful"]["direction"] == "higher = better (given)"  # header suffix ':higher'
    assert rows["MMLU"]["direction"] == "higher = better (assumed: no direction given)"
    assert "jailbreak_asr (lower better, negated)" in cli(*args, "--format", "markdown", cwd=ROOT).stdout
    csv = cli(*args, "--format", "csv", cwd=ROOT).stdout
    assert "direction" in csv.splitlines()[0]
    # the report's axis for the attack-success column says it was negated before "higher = safer"
    m = read_table(EX / "my_leaderboard.csv", lower_is_better=["jailbreak_asr", "bias_gap"])
    from safetywashing.present._chartdata import benchmark_label

    label = benchmark_label(m, "jailbreak_asr")
    assert label.startswith("jailbreak_asr (lower better, negated)") and label.endswith("higher = safer / better")


def test_params_column_is_metadata_not_a_benchmark(cli):
    """The issue's case: without --params-column, 'params' became a benchmark row ("params +0.95, moderate to high")."""
    proc = cli("analyze", "--data", "examples/my_leaderboard.csv", "--capabilities", LB_CAPS, "--bootstrap", "0",
               "--lower-is-better", "jailbreak_asr,bias_gap", "--format", "json", cwd=ROOT)
    doc = json.loads(proc.stdout)["panels"][0]
    assert "params" not in {r["benchmark"] for r in doc["results"]}
    assert any(n.startswith("model metadata, not analysed: params") for n in doc["notes"])
    m = read_table(EX / "my_leaderboard.csv", lower_is_better=["jailbreak_asr", "bias_gap"])
    assert m.models.loc["acme/alpha-7b", "params"] == 7e9  # used for --compute params
    res = sw.analyze(m, capabilities=LB_CAPS.split(","), bootstrap=0, compute="params")
    assert res.result("jailbreak_asr").extra["compute_n"] > 0  # the params column feeds the compute correlation


def test_metadata_names_and_override(tmp_path):
    from safetywashing.sources._direction import metadata_kind

    f = tmp_path / "t.csv"
    f.write_text("model,parameters,training_compute,release_year,x,y\na,7e9,1e23,2023,1,2\nb,1.3e10,2e23,2024,2,3\n"
                 "c,7e10,5e23,2024,3,5\n")
    m = read_table(f)
    assert list(m.scores.columns) == ["x", "y"]
    assert m.models.loc["c", "params"] == 7e10 and m.models.loc["c", "flop"] == 5e23
    assert m.models.loc["a", "release_year"] == 2023
    # a direction makes a metadata-named column a benchmark; --params-column names another column
    m2 = read_table(f, higher_is_better=["release_year"], params_column="x")
    assert "release_year" in m2.scores.columns and m2.models.loc["c", "params"] == 3
    assert metadata_kind("Release Date") == "meta" and metadata_kind("n_params") == "params" and metadata_kind("mmlu") is None


def test_harm_words_and_suffixes():
    from safetywashing.sources._direction import harm_word, split_suffix

    assert harm_word("AttackSuccessRate") == "attack" and harm_word("toxicity_score") == "toxicity"
    assert harm_word("refusal_quality") is None and harm_word("MMLU") is None and harm_word("error_rate") == "error"
    assert split_suffix("asr:lower") == ("asr", "lower") and split_suffix("a:b") == ("a:b", None)


def test_direction_errors(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("model,x,mmlu,wmdp_bio\na,1,0.5,0.4\nb,2,0.6,0.5\nc,3,0.7,0.6\n")
    with pytest.raises(sw.InputError, match="both lower-is-better and higher-is-better"):
        read_table(f, lower_is_better=["x"], higher_is_better=["x"])
    with pytest.raises(sw.InputError, match="registry benchmark 'mmlu', stored higher = better"):
        read_table(f, lower_is_better=["mmlu"])
    # a rescaled registry id given as accuracy (lower = safer) is put on the panels' scale
    m = read_table(f, lower_is_better=["wmdp_bio"])
    assert m.scores["wmdp_bio"].tolist() == pytest.approx([1 - (a - 0.25) / 0.75 for a in (0.4, 0.5, 0.6)])
    assert any("wmdp_bio: accuracies (lower = safer) put on the panels' scale" in n for n in m.notes)
    assert any("wmdp_bio: values taken on the panels' scale" in n for n in read_table(f).notes)


def test_placing_a_panel_models_published_row_applies_the_registry_corrections(tmp_path):
    """Llama-2-70b-chat's own published row flagged 5 discrim_eval rows at t +2.4..+2.8: raw signed differences
    against the panel's -|x|."""
    pub = sw.load_panel("chat", as_published=True)
    chat = sw.load_panel("chat")
    row = pub.scores.loc[["Llama-2-70b-chat-hf"]].copy()
    row.index = ["my-llama"]
    f = tmp_path / "row.csv"
    row.to_csv(f, index_label="model")
    res = sw.place(read_table(f), chat)
    disc = [b for b in res.benchmarks if b.benchmark.startswith("discrim_eval_")]
    assert len(disc) == 7 and not any(b.outside_interval for b in disc)
    for b in disc:
        assert b.value == chat.scores.loc["Llama-2-70b-chat-hf", b.benchmark]
    assert any("registry correction -|x| applied to your rows" in n and "discrim_eval_asian" in n for n in res.notes)


def test_corrections_reach_audit_claim_and_leaderboard(tmp_path):
    pub = sw.load_panel("chat", as_published=True)
    chat = sw.load_panel("chat")
    col = "discrim_eval_black"
    f = tmp_path / "a.csv"
    pub.scores[[col]].to_csv(f, index_label="model")
    a = sw.audit(read_table(f), chat, bootstrap=200)
    assert a.result(col).correlation == pytest.approx(sw.analyze(chat, bootstrap=0).result(col).correlation, abs=1e-12)
    assert any("registry correction -|x|" in n for n in a.notes)
    lb = sw.leaderboard(_lb_matrix(pub, col, tmp_path), col)
    assert any("registry correction -|x|" in n for n in lb.notes)
    an = sw.analyze(_lb_matrix(pub, col, tmp_path), bootstrap=0)  # analyze --data too
    assert an.result(col).correlation == pytest.approx(sw.analyze(chat, bootstrap=0).result(col).correlation, abs=1e-12)
    assert any("registry correction -|x|" in n for n in an.notes)
    before, after = pub.scores.iloc[0], pub.scores.iloc[1]
    c = sw.claim(chat, before, after, col, bootstrap=0)
    assert c.observed_change == pytest.approx(chat.scores[col].iloc[1] - chat.scores[col].iloc[0], abs=1e-12)
    assert any("registry correction -|x|" in n for n in c.notes)


def _lb_matrix(pub: sw.ScoreMatrix, col: str, tmp_path: Path) -> sw.ScoreMatrix:
    f = tmp_path / "lb.csv"
    pub.scores[[*pub.capability_benchmarks, col]].to_csv(f, index_label="model")
    return read_table(f)
