"""ingest: harness files written by the real tools -> matrix whose cells equal the source values."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing.commands._place import read_matrix_csv
from safetywashing.sources.ingest import _inspect


def _inspect_log():
    """inspect_ai.log, or skip locally; in CI (CI=true) the real reader must be there."""
    if os.environ.get("CI"):
        import inspect_ai.log

        return inspect_ai.log
    return pytest.importorskip("inspect_ai.log")

HARNESS = Path(__file__).parent / "data" / "harness"
LMEVAL = HARNESS / "lm_eval"
INSPECT = HARNESS / "inspect"


def _lm_files() -> dict[str, list[dict]]:
    """Every lm-eval fixture, parsed with json (independent of the package), by model, oldest first."""
    out: dict[str, list[dict]] = {}
    for f in sorted(LMEVAL.rglob("results_*.json")):
        d = json.loads(f.read_text())
        d["_file"] = f
        out.setdefault(d["model_name"], []).append(d)
    for runs in out.values():
        runs.sort(key=lambda d: d["date"])
    return out


# lm-eval task -> (benchmark column, result key, transform) as the shipped mapping says, written out by hand
EXPECTED_KEYS = {
    "arc_challenge": ("arc_challenge", "acc,none", None),
    "bbh": ("bbh", "exact_match,get-answer", None),  # group aggregate
    "copa": ("superglue_copa", "acc,none", None),
    "gsm8k": ("gsm8k", "exact_match,strict-match", None),
    "hellaswag": ("hellaswag", "acc,none", None),
    "lambada_openai": ("lambada_openai", "acc,none", None),
    "logiqa": ("logiqa", "acc,none", None),
    "medqa_4options": ("medqa_4options", "acc,none", None),
    "minerva_math": ("minerva_math", "exact_match,none", None),  # group aggregate
    "mmlu": ("mmlu", "acc,none", None),  # group aggregate
    "piqa": ("piqa", "acc,none", None),
    "winogrande": ("winogrande", "acc,none", None),
    "truthfulqa_mc1": ("truthfulqa_mc1", "acc,none", None),
    "wmdp_bio": ("wmdp_bio", "acc,none", "one_minus"),  # the panels store 1 - accuracy
    "sw_local_mc": ("sw_local_mc", "acc,none", None),  # unknown task: first metric with filter none (acc, not acc_norm)
}


def test_lmeval_every_cell_equals_the_source_file():
    res = sw.ingest([LMEVAL])
    runs = _lm_files()
    assert sorted(res.scores.index) == ["org/model-a", "org/model-b", "org/model-c"]
    assert sorted(res.scores.columns) == sorted(b for b, _, _ in EXPECTED_KEYS.values())
    n_checked = 0
    for model, files in runs.items():
        tasks = {t for d in files for t in d["results"] if t in EXPECTED_KEYS}
        for task in tasks:
            bench, key, transform = EXPECTED_KEYS[task]
            newest = [d for d in files if task in d["results"]][-1]  # newest run that has the task
            raw = newest["results"][task][key]
            want = 1 - raw if transform == "one_minus" else raw
            assert res.scores.loc[model, bench] == want, (model, task)
            prov = res.provenance.set_index(["model", "benchmark"]).loc[(model, bench)]
            assert Path(prov["source"]) == newest["_file"]
            assert prov["raw_value"] == raw
            assert prov["stderr"] == newest["results"][task][key.replace(",", "_stderr,")]
            assert prov["n_shot"] == newest["n-shot"][task]
            n_checked += 1
        # cells the files do not have stay empty
        assert res.scores.loc[model].notna().sum() == len(tasks)
    assert n_checked == 5 + 5 + 14
    assert res.scores.loc["org/model-c", ["bbh", "minerva_math"]].notna().all()
    # group subtasks folded into the group's aggregate, not columns of their own
    assert not any("_tiny_" in c for c in res.scores.columns)
    # the older model-a run of arc_challenge and copa is superseded and said so
    assert sorted(res.superseded["benchmark"]) == ["arc_challenge", "superglue_copa"]
    assert any("kept the newest" in n and "arc_challenge" in n for n in res.notes)


def test_lmeval_gsm8k_nshot_and_metric_provenance():
    res = sw.ingest([LMEVAL])
    p = res.provenance[(res.provenance.model == "org/model-b") & (res.provenance.benchmark == "gsm8k")].iloc[0]
    assert (p["metric"], p["filter"], p["n_shot"], p["harness"]) == ("exact_match", "strict-match", 2.0, "lm-eval")
    assert p["date"].startswith("20") and p["date"].endswith("+00:00")


def test_lmeval_metric_override():
    res = sw.ingest([LMEVAL], metrics={"gsm8k": "exact_match,flexible-extract", "sw_local_mc": "acc_norm"})
    for model, files in _lm_files().items():
        d = files[0]
        if "sw_local_mc" not in d["results"]:
            continue
        assert res.scores.loc[model, "gsm8k"] == d["results"]["gsm8k"]["exact_match,flexible-extract"]
        assert res.scores.loc[model, "sw_local_mc"] == d["results"]["sw_local_mc"]["acc_norm,none"]


def test_lmeval_model_name_fallback_and_transform(tmp_path):
    src = sorted(LMEVAL.rglob("results_*.json"))[0]
    d = json.loads(src.read_text())
    d.pop("model_name")
    d["config"]["model_args"] = "pretrained=my-org/Llama-9B,dtype=float16"  # older lm-eval writes a string
    d["results"]["wmdp_bio"] = d["results"].pop("sw_local_mc")  # mapping: panel stores 1 - accuracy
    (tmp_path / "results_2024-01-01T00-00-00.json").write_text(json.dumps(d))
    nomodel = json.loads(src.read_text())
    nomodel.pop("model_name")
    nomodel["config"]["model_args"] = {}
    (tmp_path / "results_2024-01-02T00-00-00.json").write_text(json.dumps(nomodel))
    res = sw.ingest([tmp_path])
    assert list(res.scores.index) == ["my-org/Llama-9B"]
    assert res.scores.loc["my-org/Llama-9B", "wmdp_bio"] == pytest.approx(1 - d["results"]["wmdp_bio"]["acc,none"], abs=1e-15)
    assert len(res.skipped) == 1 and "no model name" in res.skipped[0][1]


def test_broken_and_unknown_files_are_reported_not_fatal(tmp_path, cli):
    shutil.copytree(LMEVAL, tmp_path / "runs")
    (tmp_path / "runs" / "results_broken.json").write_text('{"results": {"mmlu": ')
    (tmp_path / "runs" / "results_other.json").write_text('{"hello": 1}')
    (tmp_path / "runs" / "samples_mmlu.jsonl").write_text("{}\n")  # harness side file: ignored silently
    (tmp_path / "runs" / "notes.json").write_text("[1, 2]")
    good = sw.ingest([LMEVAL]).scores
    res = sw.ingest([tmp_path / "runs"])
    pd.testing.assert_frame_equal(res.scores, good)
    reasons = dict((Path(f).name, r) for f, r in res.skipped)
    assert set(reasons) == {"results_broken.json", "results_other.json", "notes.json"}
    assert "not readable JSON" in reasons["results_broken.json"]
    out = tmp_path / "m.csv"
    r = cli("ingest", str(tmp_path / "runs"), "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert "skipped" in r.stderr and "results_broken.json" in r.stderr and "Traceback" not in r.stderr
    back = read_matrix_csv(out).scores
    np.testing.assert_allclose(back.loc[good.index, good.columns].to_numpy(), good.to_numpy(), rtol=1e-9)
    prov = pd.read_csv(tmp_path / "m.provenance.csv")
    assert {"source", "harness", "metric", "n_shot", "stderr", "date"} <= set(prov.columns)
    assert len(prov) == int(good.notna().sum().sum())


def test_cli_ingest_errors(tmp_path, cli):
    r = cli("ingest", str(tmp_path / "nope"), "--output", str(tmp_path / "m.csv"))
    assert r.returncode == 2 and "no such file or folder" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "x.json").write_text("{}")
    src = sorted(LMEVAL.rglob("results_*.json"))[0]
    copy = tmp_path / src.name
    shutil.copy(src, copy)
    r = cli("ingest", str(copy), "--output", str(copy))
    assert r.returncode == 2 and "refusing to overwrite" in r.stderr
    assert copy.read_text() == src.read_text()
    r = cli("ingest", str(tmp_path / "x.json"), "--output", str(tmp_path / "y.csv"))
    assert r.returncode == 2 and "no scores read" in r.stderr
    r = cli("ingest", str(LMEVAL), "--output", str(tmp_path / "m.csv"), "--metric", "gsm8k")
    assert r.returncode == 2 and "TASK=METRIC" in r.stderr
    r = cli("ingest", "--help")
    assert r.returncode == 0 and "Example" in r.stdout


# ---------------------------------------------------------------- Inspect AI


EXPECTED_INSPECT = {  # tests/fixtures/make_inspect_fixtures.py: k correct answers of 8
    ("model-a", "arc_challenge"): 6 / 8,
    ("model-a", "hellaswag"): 5 / 8,  # the .json-format log
    ("model-a", "truthfulqa_mc1"): 3 / 8,
    ("model-b", "arc_challenge"): 4 / 8,
    ("model-b", "hellaswag"): 7 / 8,
}


def test_inspect_logs_every_cell_equals_the_log():
    log_mod = _inspect_log()
    res = sw.ingest([INSPECT])
    assert res.scores.notna().sum().sum() == len(EXPECTED_INSPECT)
    for (model, task), value in EXPECTED_INSPECT.items():
        assert res.scores.loc[model, task] == value
        f = next(INSPECT.glob(f"{model}_{task}.*"))
        log = log_mod.read_eval_log(str(f))
        assert res.scores.loc[model, task] == log.results.scores[0].metrics["accuracy"].value
        p = res.provenance.set_index(["model", "benchmark"]).loc[(model, task)]
        assert p["provider"] == "swfake" and log.eval.model == f"swfake/{model}"
        assert p["stderr"] == log.results.scores[0].metrics["stderr"].value
        assert p["harness"] == "inspect" and p["metric"] == "match/accuracy"
    # the log with status error is listed and skipped
    assert [(Path(f).name, "error" in r) for f, r in res.skipped] == [("model-b_truthfulqa_mc1.eval", True)]


def test_inspect_and_lmeval_together_with_format_filter():
    _inspect_log()
    both = sw.ingest([HARNESS])
    assert set(both.provenance["harness"]) == {"lm-eval", "inspect", "helm"}
    only = sw.ingest([HARNESS], harness="lm-eval")
    assert set(only.provenance["harness"]) == {"lm-eval"}
    assert all("not recognised" in r for _, r in only.skipped)


def test_inspect_metric_override_and_broken_log(tmp_path):
    _inspect_log()
    shutil.copy(INSPECT / "model-a_arc_challenge.eval", tmp_path)
    (tmp_path / "broken.eval").write_bytes(b"PK\x03\x04 this is not a zip")
    res = sw.ingest([tmp_path], metrics={"arc_challenge": "stderr"})
    assert res.scores.loc["model-a", "arc_challenge"] == pytest.approx(0.16366341767699427, rel=1e-12)
    assert [Path(f).name for f, _ in res.skipped] == ["broken.eval"]
    with pytest.raises(sw.InputError, match="no metric 'f1'"):
        sw.ingest([tmp_path / "model-a_arc_challenge.eval"], metrics={"arc_challenge": "f1"})


def test_inspect_evals_task_names_map_to_registry_ids(tmp_path):
    """inspect_evals task names map to registry ids; WMDP becomes 1 - accuracy as the panels store it."""
    _inspect_log()
    log = json.loads((INSPECT / "model-a_hellaswag.json").read_text())
    acc = log["results"]["scores"][0]["metrics"]["accuracy"]["value"]
    for task in ("inspect_evals/wmdp_bio", "inspect_evals/mmlu_0_shot", "my_own_task"):
        log["eval"]["task"] = task
        (tmp_path / f"{task.rsplit('/', 1)[-1]}.json").write_text(json.dumps(log))
    res = sw.ingest([tmp_path])
    assert res.scores.loc["model-a", "wmdp_bio"] == pytest.approx(1 - acc, abs=1e-15)
    assert res.scores.loc["model-a", "mmlu"] == acc
    assert res.scores.loc["model-a", "my_own_task"] == acc
    prov = res.provenance.set_index("benchmark")
    assert prov.loc["wmdp_bio", "transform"] == "one_minus" and prov.loc["wmdp_bio", "raw_value"] == acc
    assert prov.loc["mmlu", "task"] == "inspect_evals/mmlu_0_shot"
    assert "mapped to registry id 'mmlu'" in prov.loc["mmlu", "note"]


def test_inspect_missing_gives_install_hint(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "inspect_ai.log", None)  # import fails as if not installed
    res = sw.ingest([HARNESS])
    inspect_skips = [r for f, r in res.skipped if f.endswith((".eval", ".json"))]
    assert len(inspect_skips) == 6 and all(r == _inspect.INSTALL_HINT for r in inspect_skips)
    assert set(res.provenance["harness"]) == {"lm-eval", "helm"}


def test_split_provider():
    assert _inspect.split_provider("hf/meta-llama/Llama-3.1-8B") == ("hf", "meta-llama/Llama-3.1-8B")
    assert _inspect.split_provider("gpt-4o") == ("", "gpt-4o")


# ---------------------------------------------------------------- HELM


def _helm_run(root: Path, name: str, model: str, group: str, em: float, shots: int = 5) -> None:
    d = root / name.replace("/", "_")
    d.mkdir(parents=True)
    spec = {"name": name, "scenario_spec": {"class_name": "x", "args": {}},
            "adapter_spec": {"method": "multiple_choice_joint", "model": model, "max_train_instances": shots},
            "metric_specs": [], "groups": [group]}
    stats = [
        {"name": {"name": "exact_match", "split": "test"}, "count": 10, "sum": em * 10, "sum_squared": em * 10,
         "min": 0, "max": 1, "mean": em, "variance": em * (1 - em), "stddev": (em * (1 - em)) ** 0.5},
        {"name": {"name": "exact_match", "split": "test", "perturbation": {"name": "robustness", "robustness": True}},
         "count": 10, "sum": 0, "sum_squared": 0, "min": 0, "max": 0, "mean": 0.0, "variance": 0, "stddev": 0},
        {"name": {"name": "exact_match", "split": "valid"}, "count": 5, "sum": 5, "sum_squared": 5, "min": 1, "max": 1,
         "mean": 1.0, "variance": 0, "stddev": 0},
        {"name": {"name": "num_prompt_tokens", "split": "test"}, "count": 10, "sum": 900, "mean": 90.0},
    ]
    (d / "run_spec.json").write_text(json.dumps(spec))
    (d / "stats.json").write_text(json.dumps(stats))


def test_helm_runs_mean_over_subjects(tmp_path):
    runs = tmp_path / "benchmark_output" / "runs" / "v1"
    _helm_run(runs, "mmlu:subject=anatomy,model=meta/llama-3-8b", "meta/llama-3-8b", "mmlu", 0.5)
    _helm_run(runs, "mmlu:subject=philosophy,model=meta/llama-3-8b", "meta/llama-3-8b", "mmlu", 0.7)
    _helm_run(runs, "mmlu:subject=anatomy,model=openai/gpt2", "openai/gpt2", "mmlu", 0.2)
    _helm_run(runs, "truthful_qa:task=mc_single,model=openai/gpt2", "openai/gpt2", "truthful_qa", 0.25, shots=0)
    res = sw.ingest([tmp_path], harness="helm")
    assert res.scores.loc["meta/llama-3-8b", "mmlu"] == pytest.approx(0.6, abs=1e-15)
    assert res.scores.loc["openai/gpt2", "mmlu"] == 0.2
    assert res.scores.loc["openai/gpt2", "truthful_qa"] == 0.25
    p = res.provenance.set_index(["model", "benchmark"])
    assert p.loc[("openai/gpt2", "truthful_qa"), "n_shot"] == 0
    assert "mean over 2 HELM runs" in p.loc[("meta/llama-3-8b", "mmlu"), "note"]
    assert res.skipped == ()


def test_helm_files_written_by_helm_run():
    """Run folders written by the real helm-run (simple/model1 on HELM's tutorial scenarios)."""
    helm = HARNESS / "helm"
    res = sw.ingest([helm])
    assert res.skipped == ()
    n = 0
    for run in sorted(helm.iterdir()):
        spec = json.loads((run / "run_spec.json").read_text())
        st = json.loads((run / "stats.json").read_text())
        want = next(s for s in st if s["name"] == {"name": "exact_match", "split": "test"})
        bench = spec["groups"][0]
        assert res.scores.loc["simple/model1", bench] == want["mean"]
        p = res.provenance.set_index(["model", "benchmark"]).loc[("simple/model1", bench)]
        assert p["n_shot"] == spec["adapter_spec"]["max_train_instances"] and p["harness"] == "helm"
        n += 1
    assert n == 2 and sorted(res.scores.columns) == ["simple_classification", "simple_mcqa"]
    q = sw.ingest([helm], metrics={"simple_mcqa": "num_prompt_tokens"})
    st = json.loads((helm / "simple_mcqa:model=simple_model1" / "stats.json").read_text())
    assert q.scores.loc["simple/model1", "simple_mcqa"] == next(
        s["mean"] for s in st if s["name"] == {"name": "num_prompt_tokens", "split": "test"}
    )


def test_lmeval_group_without_aggregate_keeps_subtasks(tmp_path):
    src = LMEVAL / "org__model-c"
    d = json.loads(next(src.glob("results_*.json")).read_text())
    d["results"]["bbh"] = {"alias": "bbh"}  # older lm-eval: no aggregate for this group
    d["groups"].pop("bbh", None)
    (tmp_path / "results_2024-05-01T00-00-00.json").write_text(json.dumps(d))
    res = sw.ingest([tmp_path])
    assert "bbh" not in res.scores.columns
    for sub in ("bbh_tiny_a", "bbh_tiny_b"):
        assert res.scores.loc["org/model-c", sub] == d["results"][sub]["exact_match,get-answer"]
    assert "mmlu_tiny_a" not in res.scores.columns  # mmlu still has its aggregate
