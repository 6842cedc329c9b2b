"""The embedded ``frontier`` panel: rebuilt bit for bit by its script, loaded as a sparse ScoreMatrix.

Expected values below were read by hand from Epoch AI's source files (the
row of the file is named beside each), not from this package's output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing._util.io import data_path
from safetywashing.sources._registry import default_capability_ids, registry

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "build_frontier_panel.py"
SOURCE = REPO.parent / "shared" / "data" / "epoch-benchmark-stitching"
FILES = ("scores.csv", "models.csv", "benchmarks.csv", "provenance.csv", "LICENSE", "SOURCE.md")


def _source_or_skip() -> Path:
    if (SOURCE / "model_versions.csv").is_file():
        return SOURCE
    msg = "Epoch AI's benchmark data is not at ../shared/data/epoch-benchmark-stitching beside the repository"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " (CI must have it)")
    pytest.skip(msg)


def test_build_script_rebuilds_the_shipped_panel_bit_for_bit(tmp_path: Path) -> None:
    src = _source_or_skip()
    out = tmp_path / "frontier"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(src), "--output", str(out)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    shipped = Path(str(data_path("panels", "frontier")))
    assert sorted(p.name for p in shipped.iterdir()) == sorted(FILES)
    for f in FILES:
        assert (out / f).read_bytes() == (shipped / f).read_bytes(), f"{f} differs from a fresh build of the panel"


def test_build_script_rejects_a_folder_without_epoch_data(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "model_versions.csv" in proc.stderr and "Traceback" not in proc.stderr


def test_licence_and_provenance_ship_beside_the_data() -> None:
    lic = Path(str(data_path("panels", "frontier", "LICENSE"))).read_text(encoding="utf-8")
    assert "MIT License" in lic and "Epoch AI" in lic
    src = Path(str(data_path("panels", "frontier", "SOURCE.md"))).read_text(encoding="utf-8")
    assert "epoch-research/benchmark-stitching" in src and "average_score" in src


@pytest.fixture(scope="module")
def frontier() -> sw.ScoreMatrix:
    return sw.load_panel("frontier")


def test_frontier_is_a_sparse_matrix_of_fractions(frontier: sw.ScoreMatrix) -> None:
    s = frontier.scores
    assert frontier.name == "frontier" and "frontier" in sw.panel_names()
    assert s.shape == (178, 39)
    vals = s.to_numpy()
    finite = vals[~np.isnan(vals)]
    assert finite.size == 1309  # 19% of the cells: NaN = no published score
    assert finite.min() >= 0.0 and finite.max() <= 1.0
    # Epoch's rule: more than 3 benchmarks per model
    assert (s.notna().sum(axis=1) >= 4).all()
    assert (s.notna().sum(axis=1) == frontier.models["n_benchmarks"]).all()
    assert s.notna().any(axis=0).all()


def test_model_ids_are_epoch_version_ids(frontier: sw.ScoreMatrix) -> None:
    for mid in ("gpt-5-2025-08-07_medium", "claude-sonnet-4-5-20250929_32K", "DeepSeek-R1-0528", "Llama-2-70b-hf"):
        assert mid in frontier.scores.index
    assert not any(m != m.strip() for m in frontier.scores.index)


def test_model_metadata(frontier: sw.ScoreMatrix) -> None:
    m = frontier.models
    for c in (
        "name",
        "type",
        "params",
        "flop",
        "family",
        "organisation",
        "release_date",
        "open_weights",
        "hf_id",
        "n_benchmarks",
    ):
        assert c in m.columns
    dates = pd.to_datetime(m["release_date"], format="%Y-%m-%d")  # ISO dates, every model has one
    assert dates.min() >= pd.Timestamp("2022-11-01")
    assert m["open_weights"].dtype == bool
    g = m.loc["gpt-5-2025-08-07_medium"]
    assert (g["name"], g["organisation"], g["release_date"], bool(g["open_weights"]), g["hf_id"]) == (
        "GPT-5 (medium)",
        "OpenAI",
        "2025-08-07",
        False,
        "",
    )
    ll = m.loc["Llama-3.3-70B-Instruct"]
    assert (ll["organisation"], bool(ll["open_weights"]), ll["hf_id"]) == ("Meta", True, "meta-llama/Llama-3.3-70B-Instruct")
    assert m.loc["DeepSeek-R1-0528", "organisation"] == "DeepSeek" and bool(m.loc["DeepSeek-R1-0528", "open_weights"])
    # model_versions.csv links Llama-2-70b-hf to the 7B repository: a link to another model is not kept
    assert m.loc["Llama-2-70b-hf", "hf_id"] == ""
    # Epoch's HF developer id for falcon-11b says mosaicml; the repository's owner (tiiuae) wins
    assert m.loc["falcon-11b", "organisation"] == "Technology Innovation Institute"
    assert frontier.display_name("claude-sonnet-4-5-20250929_32K") == "Claude Sonnet 4.5 (32k thinking)"


@pytest.mark.parametrize(
    ("model", "benchmark", "expected", "where"),
    [
        # Epoch's own run, a fraction kept as is (benchmarks_runs.csv, GPQA diamond)
        ("gpt-5-2025-08-07_medium", "epoch_gpqa_diamond", 0.854, "benchmarks_runs.csv"),
        # percent string "86.5%" (external_benchmark_mmlu.csv)
        ("claude-3-5-sonnet-20240620", "epoch_mmlu", 0.865, "mmlu"),
        # 0-100 number 76.900 (external_benchmark_aider_polyglot.csv)
        ("o3-2025-04-16_medium", "epoch_aider_polyglot", 0.769, "aider"),
        # 0-10 rating 8.39 -> /10 (external_benchmark_lech_mazur_writing.csv)
        ("o3-2025-04-16_medium", "epoch_lech_mazur_writing", 0.839, "lech mazur"),
        # METR: average_score, not the time horizon (54.2 minutes) (external_benchmark_metr.csv)
        ("claude-3-7-sonnet-20250219_16K", "epoch_metr_tasks", 0.599681, "metr"),
        # duplicates: 15.4%, 20.5%, 17.8%, 17.8%, 20.3% -> the best, 20.5% (external_benchmark_gsm8k.csv)
        ("LLaMA-13B", "epoch_gsm8k", 0.205, "gsm8k"),
        # duplicates: 46.9%, 47.7%, 46.9%, 46.3% -> 47.7% (external_benchmark_mmlu.csv)
        ("LLaMA-13B", "epoch_mmlu", 0.477, "mmlu"),
    ],
)
def test_scores_match_the_source_by_hand(
    frontier: sw.ScoreMatrix, model: str, benchmark: str, expected: float, where: str
) -> None:
    assert frontier.scores.loc[model, benchmark] == pytest.approx(expected, abs=1e-12), where


def test_provenance_names_the_row_and_how_many_were_merged() -> None:
    prov = pd.read_csv(data_path("panels", "frontier", "provenance.csv"), dtype=str, keep_default_na=False)
    r = prov[(prov["model"] == "LLaMA-13B") & (prov["benchmark"] == "epoch_gsm8k")].iloc[0]
    assert (r["raw"], r["n_rows"], r["file"]) == ("20.5%", "5", "external_benchmark_gsm8k.csv")
    assert "Baichuan 2" in r["source"]
    assert len(prov) == 1309


def test_every_frontier_benchmark_is_a_registered_capability_benchmark(frontier: sw.ScoreMatrix) -> None:
    b = frontier.benchmarks
    assert b["registered"].all()
    assert (b["role"] == "capability").all() and (b["scale"] == "fraction").all() and b["higher_is_better"].all()
    assert (b["in_panels"] == "frontier").all()
    assert all(i.startswith("epoch_") for i in b.index)
    assert frontier.capability_benchmarks == list(frontier.scores.columns)
    shipped = pd.read_csv(data_path("panels", "frontier", "benchmarks.csv"), keep_default_na=False).set_index("id")
    reg = registry()
    assert (reg.loc[shipped.index, "name"] == shipped["name"]).all()
    assert (reg.loc[shipped.index, "metric"] == shipped["metric"]).all()


def test_paper_capability_set_is_unchanged_by_the_frontier_rows() -> None:
    assert len(default_capability_ids()) == 12
    assert not any(i.startswith("epoch_") for i in default_capability_ids())
    # the paper's panels still carry exactly their own capability columns
    assert len(sw.load_panel("chat").capability_benchmarks) == 12


def test_load_panel_returns_a_copy(frontier: sw.ScoreMatrix) -> None:
    a = sw.load_panel("frontier")
    a.scores.iloc[0, 0] = 0.5
    a.models.loc[a.models.index[0], "name"] = "changed"
    b = sw.load_panel("frontier")
    pd.testing.assert_frame_equal(b.scores, frontier.scores)
    pd.testing.assert_frame_equal(b.models, frontier.models)


# The sparse panel cannot take the paper's PCA score: asking for it is refused in one line (exit 2, no traceback).
@pytest.mark.parametrize(
    "args",
    [
        ["analyze", "--panel", "frontier"],
        ["models", "--panel", "frontier"],
        ["audit", "examples/frontier_benchmark.csv", "--panel", "frontier", "--lower-is-better", "jailbreak_asr"],
        ["place", "examples/frontier_benchmark.csv", "--panel", "frontier", "--lower-is-better", "jailbreak_asr"],
        ["claim", "examples/claim_release.csv", "--panel", "frontier", "--benchmark", "epoch_mmlu"],
        ["leaderboard", "--panel", "frontier", "--benchmark", "epoch_mmlu"],
        ["report", "--panel", "frontier", "--output", "never.html"],
        ["figures", "--panel", "frontier", "--output-dir", "never"],
    ],
)
def test_pca_on_the_sparse_panel_is_refused_in_one_line(cli, args, tmp_path):
    import shutil

    shutil.copytree(REPO / "examples", tmp_path / "examples")
    proc = cli(*args, "--score-method", "pca", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "--panel frontier" in lines[0] and "sparse" in lines[0] and "--score-method irt" in lines[0]
    assert not (tmp_path / "never.html").exists() and not (tmp_path / "never").exists()


def test_panel_all_still_means_the_papers_two_panels(cli):
    proc = cli("analyze", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    import json

    assert [p["panel"] for p in json.loads(proc.stdout)["panels"]] == ["base", "chat"]


def test_models_top_lists_the_most_capable_with_standard_errors(cli):
    import io

    proc = cli("models", "--panel", "frontier", "--top", "3", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(io.StringIO(proc.stdout))
    assert df["rank"].tolist() == [1, 2, 3]
    assert df["capabilities_score"].is_monotonic_decreasing
    assert (df["capabilities_score_se"] > 0).all()
    assert {"release_date", "organisation", "open_weights", "hf_id"} <= set(df.columns)
    full = pd.read_csv(io.StringIO(cli("models", "--panel", "frontier", "--format", "csv").stdout))
    assert len(full) == 178
    pd.testing.assert_series_equal(df["model"], full["model"].head(3))


def test_benchmarks_lists_one_panels_rows(cli):
    import io

    proc = cli("benchmarks", "--panel", "frontier", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(io.StringIO(proc.stdout))
    assert len(df) == 39 and df["id"].str.startswith("epoch_").all() and (df["role"] == "capability").all()
    chat = pd.read_csv(io.StringIO(cli("benchmarks", "--panel", "chat", "--format", "csv").stdout))
    assert not chat["id"].str.startswith("epoch_").any() and len(chat) > 100
    bad = cli("benchmarks", "--panel", "nope")
    assert bad.returncode == 2 and "--panel" in bad.stderr
