"""``safetywashing run`` end to end against a local stand-in model server (issue 19), offline.

Inspect's ``openai-api/local/<model>`` provider talks to tests/standin_server.py on 127.0.0.1, which answers the
tiny task tests/standin_task.py correctly with a probability planted from each model's panel capability score
(plus a fixed per-model offset), so the correlation `run` reports must come from the logs Inspect wrote.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

# skipped without the inspect extra; checked without importing it (Inspect and openai take ~2 s to import, which
# every test process would pay while collecting)
pytestmark = pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("inspect_ai", "openai")),
                                reason="needs the inspect extra: pip install '.[inspect]'")

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from standin_server import StandinServer, unit_hash  # noqa: E402

MODELS = ["grok-4-0709", "DeepSeek-R1", "gpt-4o-2024-11-20", "gemma-2-9b-it", "Mistral-7B-v0.1", "Baichuan-7B"]
ITEMS = [f"Item {i}: reply with the word ALPHA." for i in range(12)]


@pytest.fixture(scope="module")
def panel_scores():
    import safetywashing as sw

    return sw.fit_capability_model(sw.load_panel("frontier"), score_method="irt").scores


def _p_correct(model: str, scores) -> float:
    # capability plus a fixed per-model offset in [-1.5, 1.5): a planted, imperfect relation
    return 1.0 / (1.0 + math.exp(-(float(scores[model]) + 3.0 * (unit_hash("offset", model) - 0.5))))


@pytest.fixture(scope="module")
def _server():
    # one server for the module: Inspect caches a provider's client within a process, so the URL must not change
    srv = StandinServer(lambda model, prompt: "OMEGA").start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def server(_server, panel_scores, monkeypatch):
    def answer(model: str, prompt: str) -> str:
        return "ALPHA" if unit_hash(model, prompt) < _p_correct(model, panel_scores) else "OMEGA"

    _server.answer, _server.calls = answer, 0
    _server.fail_models.clear()
    monkeypatch.setenv("LOCAL_BASE_URL", _server.base_url)
    monkeypatch.setenv("LOCAL_API_KEY", "test")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return _server


def _run(cli, tmp_path, models, *extra):
    shutil.copy(HERE / "standin_task.py", tmp_path / "standin_task.py")
    return cli("run", "standin_task.py", "--model", ",".join(models), "--panel", "frontier", "--log-dir", "logs",
               "--display", "none", "--retry-attempts", "0", "--bootstrap", "300", *extra, cwd=tmp_path)


def _logs(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*.eval")}


def test_run_end_to_end_equals_audit_of_the_logs_and_reuses_them(cli, tmp_path, server, panel_scores):
    names = [f"openai-api/local/{m}" for m in MODELS]
    first = _run(cli, tmp_path, names, "--format", "json")
    assert first.returncode == 0, first.stderr
    res = json.loads(first.stdout)
    (row,) = res["results"]
    assert row["benchmark"] == "standin_probe" and row["n"] == len(MODELS)
    # the planted relation, computed here from the server's own rule (not from the code under test)
    acc = [np.mean([unit_hash(m, it) < _p_correct(m, panel_scores) for it in ITEMS]) for m in MODELS]
    r_expected = stats.spearmanr(acc, [panel_scores[m] for m in MODELS]).statistic
    assert row["correlation"] == pytest.approx(r_expected, abs=1e-9)
    assert 0.5 < r_expected < 1.0  # planted: clearly positive, not perfect
    assert server.calls == len(MODELS) * len(ITEMS)
    assert "12 model call" not in first.stderr and f"{len(MODELS) * len(ITEMS)} model call(s)" in first.stderr
    # exactly what `audit` gives on the logs
    audit = cli("audit", "logs", "--panel", "frontier", "--bootstrap", "300", "--format", "json", cwd=tmp_path)
    assert audit.returncode == 0, audit.stderr
    assert json.loads(audit.stdout) == res
    # a second run reuses the finished logs: no model call, no new log file, the same audit
    before = _logs(tmp_path / "logs")
    second = _run(cli, tmp_path, names, "--format", "json")
    assert second.returncode == 0, second.stderr
    assert _logs(tmp_path / "logs") == before and server.calls == len(MODELS) * len(ITEMS)
    assert json.loads(second.stdout) == res
    assert "all reused" in second.stderr


def test_failures_are_one_line_each_and_the_audit_runs_on_the_rest(cli, tmp_path, server):
    server.fail_models.add("Baichuan-7B")
    names = [f"openai-api/local/{m}" for m in MODELS]
    names += ["openai-api/local/gpt-4o-2024-11-2", "openai/gpt-4o-mini-2024-07-18"]
    # 3 samples per model: a failing model's eval errors once per sample, and Inspect renders a rich traceback for each
    proc = _run(cli, tmp_path, names, "--format", "json", "--limit", "3")
    assert proc.returncode == 0, proc.stderr
    err = [ln for ln in proc.stderr.splitlines() if ln.startswith("safetywashing: ")]
    unmatched = [ln for ln in err if "openai-api/local/gpt-4o-2024-11-2:" in ln]
    assert len(unmatched) == 1 and "matches no model" in unmatched[0] and "did you mean" in unmatched[0]
    cred = [ln for ln in err if "openai/gpt-4o-mini-2024-07-18:" in ln]
    assert len(cred) == 1 and "OPENAI_API_KEY" in cred[0]
    failed = [ln for ln in err if "Baichuan-7B:" in ln]
    assert len(failed) == 1 and "eval error" in failed[0]
    res = json.loads(proc.stdout)
    assert res["results"][0]["n"] == len(MODELS) - 1 and res["n_usable"] == len(MODELS) - 1


def test_missing_credentials_refuse_before_anything_runs(cli, tmp_path, server, monkeypatch):
    monkeypatch.delenv("LOCAL_API_KEY")
    proc = _run(cli, tmp_path, [f"openai-api/local/{m}" for m in MODELS])
    assert proc.returncode == 2
    assert proc.stderr.count("LOCAL_API_KEY") == len(MODELS) and "nothing was run" in proc.stderr
    assert server.calls == 0 and not (tmp_path / "logs").exists()


def test_ctrl_c_exits_130_with_resumable_logs(cli, tmp_path, server, monkeypatch):
    import inspect_ai

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(inspect_ai, "eval_set", interrupted)
    proc = _run(cli, tmp_path, [f"openai-api/local/{m}" for m in MODELS])
    assert proc.returncode == 130
    assert "resumable" in proc.stderr and "Traceback" not in proc.stderr


def test_anchors_place_a_model_outside_the_panel(cli, tmp_path, server, panel_scores):
    """--anchors with local stand-in tasks named like the anchors: the outside model gets a score and joins."""
    anchors = tmp_path / "anchors.py"
    anchors.write_text(
        "from inspect_ai import Task, task\nfrom inspect_ai.dataset import Sample\nfrom inspect_ai.scorer import match\n"
        "from inspect_ai.solver import generate\n"
        "def _t(name):\n    return Task(dataset=[Sample(input=f'{name} {i}: reply with the word ALPHA.', target='ALPHA')"
        " for i in range(8)], solver=generate(), scorer=match(), name=name)\n"
        "@task\ndef gpqa_diamond():\n    return _t('gpqa_diamond')\n"
        "@task\ndef mmlu_0_shot():\n    return _t('mmlu_0_shot')\n"
        "@task\ndef math():\n    return _t('math')\n",
        encoding="utf-8",
    )
    names = [f"openai-api/local/{m}" for m in MODELS[:5]] + ["openai-api/local/my-finetune"]
    server.answer = lambda model, prompt: "ALPHA" if model == "my-finetune" or unit_hash(model, prompt) < 0.5 else "OMEGA"
    proc = _run(cli, tmp_path, names, "--anchors", "--anchor-tasks",
                "anchors.py@gpqa_diamond,anchors.py@mmlu_0_shot,anchors.py@math", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert "local/my-finetune" in res["placed"] and res["n_usable"] == 6
    pt = next(p for p in res["points"] if p["input_name"] == "local/my-finetune")
    assert pt["capabilities_score_se"] > 0  # its score's SE enters the audit's draws
    assert server.calls == 5 * len(ITEMS) + len(ITEMS) + 3 * 8  # anchors only for the outside model


def test_anchor_names_map_to_frontier_benchmarks():
    import safetywashing as sw
    from safetywashing.commands._audit import ANCHOR_BENCHMARKS
    from safetywashing.commands._run import ANCHOR_TASKS, DEFAULT_ANCHORS

    cols = set(sw.load_panel("frontier").scores.columns)
    assert set(ANCHOR_TASKS) == set(ANCHOR_BENCHMARKS) and set(DEFAULT_ANCHORS) <= set(ANCHOR_TASKS)
    assert set(ANCHOR_BENCHMARKS.values()) <= cols
    assert len(DEFAULT_ANCHORS) >= 3  # the logistic model places a model from any 3 benchmarks


def test_missing_credentials_rules():
    from safetywashing.commands._run import missing_credentials

    assert "OPENAI_API_KEY" in missing_credentials("openai/gpt-4o", {})
    assert missing_credentials("openai/gpt-4o", {"OPENAI_API_KEY": "k"}) is None
    why = missing_credentials("openai-api/my-vllm/x", {"MY_VLLM_API_KEY": "k"})
    assert "MY_VLLM_BASE_URL" in why and "MY_VLLM_API_KEY" not in why
    assert missing_credentials("openai-api/my-vllm/x", {"MY_VLLM_API_KEY": "k"}, base_url="http://h/v1") is None
    assert missing_credentials("vllm/meta-llama/Llama-3.1-8B-Instruct", {"VLLM_BASE_URL": "http://h/v1"}) is None
    assert missing_credentials("mockllm/model", {}) is None


def test_models_resolve_from_panel_ids_with_reasoning_settings():
    import safetywashing as sw
    from safetywashing.commands._run import resolve_models

    specs, failures = resolve_models(["o3-2025-04-16_high", "o3-2025-04-16_medium", "PaLM 2-L", "vllm/google/gemma-2-9b-it"],
                                     sw.load_panel("frontier"))
    assert specs[0].inspect_model == "openai/o3-2025-04-16" and dict(specs[0].config) == {"reasoning_effort": "high"}
    assert specs[1].panel_id == "gemma-2-9b-it"
    assert [f[0] for f in failures] == ["PaLM 2-L", "o3-2025-04-16_medium"]  # no Inspect string; same string as _high
