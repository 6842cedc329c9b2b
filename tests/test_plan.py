"""``safetywashing plan`` (issue 19): which frontier models to evaluate, and how many."""

from __future__ import annotations

import json

import numpy as np
import pytest

import safetywashing as sw
from safetywashing.commands._plan import plan
from safetywashing.inference._power import interval_width, models_needed


@pytest.fixture(scope="module")
def frontier():
    return sw.load_panel("frontier")


@pytest.fixture(scope="module")
def fit(frontier):
    return sw.fit_capability_model(frontier, score_method="irt")


def test_plan_24_distinct_well_spread_models(cli, frontier, fit):
    proc = cli("plan", "--panel", "frontier", "--n", "24", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    rows = res["models"]
    ids = [r["model"] for r in rows]
    assert len(ids) == 24 == len(set(ids)) == res["n"]
    assert set(ids) <= set(frontier.scores.index)
    # spread: SD of the chosen scores / SD over all panel scores (ddof 0), recomputed here
    s_all = fit.scores.dropna().to_numpy(float)
    ratio = np.std(fit.scores[ids].to_numpy(float)) / np.std(s_all)
    assert ratio >= 1.0 and res["capability_sd_ratio"] == pytest.approx(ratio)
    # never two variants of one family released the same day
    meta = frontier.models.loc[ids]
    fam = [f or m for f, m in zip(meta["family"], ids)]
    keys = list(zip(fam, meta["release_date"]))
    assert len(set(keys)) == len(keys)
    for r in rows:
        assert set(r) >= {"model", "capabilities_score", "capabilities_score_se", "family", "release_date",
                          "open_weights", "inspect_model"}
        assert r["capabilities_score"] == pytest.approx(fit.scores[r["model"]])
        assert r["capabilities_score_se"] == pytest.approx(fit.se[r["model"]])
        assert r["inspect_model"].split("/")[0] in {"openai", "anthropic", "google", "grok", "mistral", "bedrock", "vllm"}
        if r["inspect_model"].startswith("vllm/"):
            assert r["inspect_model"] == "vllm/" + frontier.models.loc[r["model"], "hf_id"]
    assert res["expected_interval_width"] == pytest.approx(interval_width(24, 0.0))


def test_plan_prefers_small_standard_errors(frontier, fit):
    """Among same-day variants the one with the smallest SE is the candidate; chosen SEs sit below the panel's median."""
    res = plan(frontier, n=24)
    assert np.median(res.models["capabilities_score_se"]) <= np.median(fit.se.dropna())


def test_plan_n_from_power_model(frontier):
    res = plan(frontier, separate=("low", "moderate"))
    assert res.n == models_needed(0.0, 0.4)  # a benchmark at the centre of 'low', told from 'moderate'
    res = plan(frontier, resolution=0.6)
    assert interval_width(res.n, 0.0) <= 0.6 < interval_width(res.n - 1, 0.0)


def test_plan_filters_and_inspect_format(cli, frontier):
    proc = cli("plan", "--n", "10", "--open-weights", "--format", "inspect")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 10 and all(s.startswith("vllm/") for s in lines)
    res = plan(frontier, n=8, providers=["openai", "anthropic"], include=["gpt-4o-2024-11-20"], exclude=["gpt-5.1_high"])
    assert "gpt-4o-2024-11-20" in set(res.models["model"]) and "gpt-5.1_high" not in set(res.models["model"])
    assert all(s.split("/")[0] in ("openai", "anthropic") for s in res.inspect_models())
    csv = cli("plan", "--n", "6", "--format", "csv")
    assert csv.returncode == 0 and csv.stdout.splitlines()[0].startswith("model,name,capabilities_score")


@pytest.mark.parametrize(
    "args, msg",
    [
        (["--n", "3"], "at least 5"),
        (["--n", "5", "--resolution", "0.5"], "exactly one"),
        (["--separate", "low,high"], "adjacent"),
        (["--n", "6", "--exclude", "gpt-9"], "did you mean"),
        (["--n", "6", "--providers", "nope"], "--providers"),
        (["--n", "6", "--panel", "chat"], "frontier"),
    ],
)
def test_plan_bad_options_are_one_line(cli, args, msg):
    proc = cli("plan", *args)
    assert proc.returncode == 2 and msg in proc.stderr and "Traceback" not in proc.stderr


def test_planned_sets_beat_random_sets():
    """The simulation of benchmarks/plan_vs_random.py, small: narrower intervals, never a restricted range."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "plan_vs_random.py"
    spec = importlib.util.spec_from_file_location("plan_vs_random", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.simulate(n=24, reps=200, seed=1, n_boot=200)
    assert out["width_ratio"] < 1.0
    assert out["sd_ratio_planned"] >= 1.0 and out["restricted_random"] > 0.0
    assert out["abs_error_planned"] < out["abs_error_random"]


@pytest.mark.parametrize(
    "name, model, rule",
    [
        ("openai-api/local/gpt-4o-2024-11-20", "gpt-4o-2024-11-20", "normalised"),
        ("vllm/meta-llama/Llama-3.1-70B-Instruct", "Llama-3.1-70B-Instruct", "hugging face id"),
        ("openai-api/vllm/Qwen/Qwen2.5-72B-Instruct", "qwen2.5-72b-instruct", "hugging face id"),
        ("hf/meta-llama/Llama-3.3-70B-Instruct", "Llama-3.3-70B-Instruct", "hugging face id"),
        ("openai/o3-2025-04-16_high", "o3-2025-04-16_high", "normalised"),
        ("mockllm/grok-4-0709", "grok-4-0709", "normalised"),
    ],
)
def test_inspect_model_strings_match_panel_ids(frontier, name, model, rule):
    mm = sw.match_to_panel([name], frontier)
    assert mm.matched.get(name) == model and mm.rule[name] == rule


def test_panel_models_get_inspect_strings(frontier):
    from safetywashing.sources._match import inspect_model_for, strip_inspect_provider

    assert inspect_model_for("o3-2025-04-16_high", "OpenAI") == ("openai/o3-2025-04-16", {"reasoning_effort": "high"})
    assert inspect_model_for("claude-sonnet-4-5-20250929_32K", "Anthropic") == (
        "anthropic/claude-sonnet-4-5-20250929", {"reasoning_tokens": 32000})
    assert inspect_model_for("gemma-2-9b-it", "Google", "google/gemma-2-9b-it") == ("vllm/google/gemma-2-9b-it", {})
    assert inspect_model_for("PaLM 2-L", "Google") == ("", {})
    assert strip_inspect_provider("openai-api/local/gpt-4o") == "gpt-4o"
    assert strip_inspect_provider("meta-llama/Llama-3.1-8B") == "meta-llama/Llama-3.1-8B"
