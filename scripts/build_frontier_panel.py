#!/usr/bin/env python3
"""Build the embedded ``frontier`` panel from Epoch AI's public benchmark data.

Usage (from the repository root)::

    python scripts/build_frontier_panel.py PATH/TO/epoch-benchmark-stitching
    python scripts/build_frontier_panel.py PATH/TO/epoch-benchmark-stitching --check

The source folder is a copy of the ``data/`` folder of
github.com/epoch-research/benchmark-stitching (MIT, Epoch AI). The script writes
``src/safetywashing/data/panels/frontier/`` (or ``--output DIR``):

- ``scores.csv``      models x benchmarks, every value a fraction on [0, 1], empty = no score;
- ``models.csv``      one row per model: display name, family, organisation,
                      release date (ISO), open weights, Hugging Face id, number of benchmarks;
- ``benchmarks.csv``  one row per benchmark: id, Epoch's name, source file and column, transform;
- ``provenance.csv``  one row per score: the raw value as published, its source and link,
                      and how many rows of the source were merged into it;
- ``LICENSE``         Epoch AI's MIT licence, copied unchanged;
- ``SOURCE.md``       what was done, generated from the same rules as the data.

``--check`` builds into a temporary folder and compares with what ships,
byte for byte (exit code 1 and the differing files on a mismatch).

Only the standard library and pandas are needed. The output is deterministic:
rows sorted by release date then id, values rounded to 6 decimals, ``\\n`` line ends.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "src" / "safetywashing" / "data" / "panels" / "frontier"

# Epoch's own filter (its data_loader.py): models released from this date on ...
START_DATE = "2022-11-01"
# ... with more than this many distinct benchmarks.
MIN_BENCHMARKS_EXCLUSIVE = 3
# Epoch's loader drops the Mistral Large family (model_versions.csv `Model`); followed here.
DROPPED_FAMILIES = ("Mistral Large",)
DECIMALS = 6


@dataclass(frozen=True)
class Bench:
    """One benchmark of the panel: where its scores are and how they become fractions."""

    id: str
    name: str
    file: str
    column: str
    transform: str  # "fraction" | "percent_string" | "percent_number" | "divide_10"
    metric: str
    task: str = ""  # benchmarks_runs.csv task name (Epoch's own runs)


_RUNS = "benchmarks_runs.csv"
_RUN_COL = "Best score (across scorers)"
BENCHMARKS: tuple[Bench, ...] = (
    Bench("epoch_gpqa_diamond", "GPQA diamond", _RUNS, _RUN_COL, "fraction", "Accuracy, Epoch AI run (↑)", "GPQA diamond"),
    Bench("epoch_math_level_5", "MATH level 5", _RUNS, _RUN_COL, "fraction", "Accuracy, Epoch AI run (↑)", "MATH level 5"),
    Bench(
        "epoch_otis_mock_aime",
        "OTIS Mock AIME 2024-2025",
        _RUNS,
        _RUN_COL,
        "fraction",
        "Accuracy, Epoch AI run (↑)",
        "OTIS Mock AIME 2024-2025",
    ),
    Bench(
        "epoch_frontiermath",
        "FrontierMath (Tiers 1-3, private)",
        _RUNS,
        _RUN_COL,
        "fraction",
        "Accuracy, Epoch AI run (↑)",
        "FrontierMath-2025-02-28-Private",
    ),
    Bench(
        "epoch_frontiermath_tier4",
        "FrontierMath Tier 4 (private)",
        _RUNS,
        _RUN_COL,
        "fraction",
        "Accuracy, Epoch AI run (↑)",
        "FrontierMath-Tier-4-2025-07-01-Private",
    ),
    Bench(
        "epoch_swe_bench_verified",
        "SWE-bench Verified",
        _RUNS,
        _RUN_COL,
        "fraction",
        "Resolved rate, Epoch AI run (↑)",
        "SWE-Bench verified",
    ),
    Bench("epoch_aider_polyglot", "Aider polyglot", "aider_polyglot", "Percent correct", "percent_number", "Percent correct (↑)"),
    Bench("epoch_anli", "ANLI", "anli", "Score", "percent_string", "Accuracy (↑)"),
    Bench("epoch_arc_agi", "ARC-AGI", "arc_agi", "Score", "percent_string", "Score (↑)"),
    Bench("epoch_arc_ai2", "ARC AI2 (Challenge)", "arc_ai2", "Challenge score", "percent_string", "Accuracy (↑)"),
    Bench("epoch_balrog", "BALROG", "balrog", "Average progress", "percent_string", "Average progress (↑)"),
    Bench("epoch_bbh", "BIG-Bench Hard", "bbh", "Average", "percent_string", "Accuracy (↑)"),
    Bench("epoch_cadeval", "CadEval", "cadeval", "Overall pass (%)", "percent_string", "Pass rate (↑)"),
    Bench("epoch_csqa2", "CommonsenseQA 2.0", "csqa2", "Score", "percent_string", "Accuracy (↑)"),
    Bench("epoch_cybench", "Cybench", "cybench", "Unguided % Solved", "percent_string", "Unguided solve rate (↑)"),
    Bench(
        "epoch_deepresearch_bench", "DeepResearch Bench", "deepresearch", "Average score", "percent_string", "Average score (↑)"
    ),
    Bench(
        "epoch_factorio",
        "Factorio Learning Environment",
        "factorio_learning_environment",
        "Lab Success %",
        "percent_string",
        "Lab success rate (↑)",
    ),
    Bench(
        "epoch_fiction_livebench",
        "Fiction.LiveBench",
        "fictionlivebench",
        "16k token score",
        "percent_string",
        "16k-token score (↑)",
    ),
    Bench("epoch_geobench", "GeoBench", "geobench", "ACW Country %", "percent_string", "Country accuracy (↑)"),
    Bench("epoch_gsm8k", "GSM8K", "gsm8k", "EM", "percent_string", "Exact match (↑)"),
    Bench("epoch_gso_bench", "GSO-Bench", "gso_bench", "Score OPT@1", "percent_string", "OPT@1 (↑)"),
    Bench("epoch_hellaswag", "HellaSwag", "hellaswag", "Overall accuracy", "percent_string", "Accuracy (↑)"),
    Bench("epoch_lambada", "LAMBADA", "lambada", "Score", "percent_string", "Accuracy (↑)"),
    Bench(
        "epoch_lech_mazur_writing", "Lech Mazur Writing", "lech_mazur_writing", "Mean score", "divide_10", "Mean rating / 10 (↑)"
    ),
    Bench("epoch_livebench", "LiveBench", "livebench", "Global average", "percent_number", "Global average (↑)"),
    Bench(
        "epoch_metr_tasks",
        "METR task suite (average success)",
        "metr",
        "average_score",
        "fraction",
        "Average task success (↑)",
    ),
    Bench("epoch_mmlu", "MMLU", "mmlu", "EM", "percent_string", "Exact match (↑)"),
    Bench("epoch_openbookqa", "OpenBookQA", "openbookqa", "Accuracy", "percent_string", "Accuracy (↑)"),
    Bench("epoch_osworld", "OSWorld", "os_world", "Score", "percent_number", "Success rate (↑)"),
    Bench("epoch_osuniverse", "OSUniverse", "osuniverse", "Weighted Score", "percent_string", "Weighted score (↑)"),
    Bench("epoch_piqa", "PIQA", "piqa", "Score", "percent_string", "Accuracy (↑)"),
    Bench("epoch_scienceqa", "ScienceQA", "scienceqa", "Score", "percent_string", "Accuracy (↑)"),
    Bench("epoch_superglue", "SuperGLUE", "superglue", "Score", "percent_string", "Average score (↑)"),
    Bench("epoch_terminal_bench", "Terminal-Bench", "terminal_bench", "Accuracy mean", "percent_string", "Accuracy (↑)"),
    Bench("epoch_the_agent_company", "TheAgentCompany", "the_agent_company", "% Resolved", "percent_string", "Resolved rate (↑)"),
    Bench("epoch_triviaqa", "TriviaQA", "triviaqa", "EM", "percent_string", "Exact match (↑)"),
    Bench("epoch_videomme", "Video-MME", "videomme", "Overall (no subtitles)", "percent_string", "Accuracy, no subtitles (↑)"),
    Bench("epoch_vpct", "VPCT", "vpct", "Correct", "percent_string", "Accuracy (↑)"),
    Bench("epoch_weirdml", "WeirdML", "weirdml", "Accuracy", "percent_string", "Accuracy (↑)"),
    Bench("epoch_winogrande", "Winogrande", "winogrande", "Accuracy", "percent_string", "Accuracy (↑)"),
)

# Files of the source folder that are deliberately not used, and why.
LEFT_OUT = {
    "external_benchmark_boolq.csv": "BoolQ is one of SuperGLUE's tasks; Epoch leaves it out as a duplicate",
    "external_benchmark_mcbench.csv": (
        "an arena win rate (relative to the other models), not a score on fixed items; Epoch leaves it out"
    ),
    "benchmarks_runs.csv (FrontierMath *-Public tasks)": (
        "public subsets of the private FrontierMath sets already used; Epoch uses the private ones"
    ),
}

TRANSFORMS = {
    "fraction": "kept as published (already a fraction 0-1)",
    "percent_string": 'percent string ("77.0%") divided by 100',
    "percent_number": "number on 0-100 divided by 100",
    "divide_10": "rating on 0-10 divided by 10 (a linear rescaling of a bounded rating, as Epoch does)",
}

# Organisation from the model id or family name, first matching pattern wins (this project's table:
# model_versions.csv has no organisation column). Patterns are matched case-insensitively against
# "<id> <family>".
ORGANISATIONS: tuple[tuple[str, str], ...] = (
    (r"deepseek", "DeepSeek"),
    (r"gpt-oss|\bgpt|\bo1\b|\bo1-|\bo3\b|\bo3-|\bo4-|davinci|curie|babbage|\bada\b|codex|computer-use|\bcua\b|chatgpt", "OpenAI"),
    (r"claude", "Anthropic"),
    (r"gemini|gemma|palm|bard|\bflan|learnlm", "Google"),
    (r"llama|\bopt-|galactica", "Meta"),
    (r"qwen|qwq|qvq", "Alibaba"),
    (r"mistral|mixtral|ministral|magistral|codestral|pixtral|devstral", "Mistral AI"),
    (r"grok", "xAI"),
    (r"\bphi-|\bphi\d|wizardlm|orca", "Microsoft"),
    (r"nova|titan", "Amazon"),
    (r"command|\baya\b|c4ai", "Cohere"),
    (r"\byi-|\byi\b", "01.AI"),
    (r"kimi|moonshot", "Moonshot AI"),
    (r"glm|chatglm|codegeex", "Zhipu AI"),
    (r"minimax", "MiniMax"),
    (r"exaone", "LG AI Research"),
    (r"nemotron", "NVIDIA"),
    (r"granite", "IBM"),
    (r"\bolmo|tulu", "Allen Institute for AI"),
    (r"falcon", "Technology Innovation Institute"),
    (r"internlm|internvl", "Shanghai AI Laboratory"),
    (r"baichuan", "Baichuan"),
    (r"jamba", "AI21 Labs"),
    (r"reka", "Reka AI"),
    (r"ernie", "Baidu"),
    (r"hunyuan", "Tencent"),
    (r"doubao|seed", "ByteDance"),
    (r"\bmpt|dbrx", "Databricks"),
    (r"sonar|perplexity|r1-1776", "Perplexity"),
    (r"stablelm|stable", "Stability AI"),
    (r"inflection", "Inflection AI"),
    (r"\bstep-", "StepFun"),
    (r"\bsmollm", "Hugging Face"),
)
# Hugging Face owners -> organisation (used first, when Epoch gives a developer id or a huggingface.co link).
HF_OWNERS = {
    "01-ai": "01.AI",
    "baichuan-inc": "Baichuan",
    "bigcode": "BigCode",
    "cerebras": "Cerebras",
    "databricks": "Databricks",
    "deepseek-ai": "DeepSeek",
    "google": "Google",
    "internlm": "Shanghai AI Laboratory",
    "LGAI-EXAONE": "LG AI Research",
    "lmsys": "LMSYS",
    "meta-llama": "Meta",
    "microsoft": "Microsoft",
    "mistralai": "Mistral AI",
    "moonshotai": "Moonshot AI",
    "mosaicml": "Databricks",
    "nvidia": "NVIDIA",
    "openai": "OpenAI",
    "openlm-research": "OpenLM Research",
    "Qwen": "Alibaba",
    "Salesforce": "Salesforce",
    "stabilityai": "Stability AI",
    "THUDM": "Zhipu AI",
    "tiiuae": "Technology Innovation Institute",
    "togethercomputer": "Together AI",
    "zai-org": "Zhipu AI",
}
# Families whose weights are public although Epoch's files give no Hugging Face id for them.
OPEN_WEIGHT_FAMILIES = ("Mistral Small 3", "Mistral Small 3.1", "LLaMA-7B", "LLaMA-13B", "LLaMA-33B", "LLaMA-65B")
# Hosting providers whose name prefixes an Epoch id ("chutes/Qwen3-32B"): they serve open-weight models.
OPEN_WEIGHT_HOSTS = ("chutes/",)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _to_fraction(raw: pd.Series, transform: str, where: str) -> pd.Series:
    s = raw.str.strip()
    if transform == "percent_string":
        bad = ~s.str.fullmatch(r"-?\d+(\.\d+)?%")
        if bad.any():
            raise ValueError(f"{where}: not a percent string: {s[bad].iloc[0]!r}")
        out = pd.to_numeric(s.str.rstrip("%")) / 100
    elif transform == "percent_number":
        out = pd.to_numeric(s, errors="raise") / 100
    elif transform == "divide_10":
        out = pd.to_numeric(s, errors="raise") / 10
    elif transform == "fraction":
        out = pd.to_numeric(s, errors="raise")
    else:  # pragma: no cover - the table above is fixed
        raise ValueError(transform)
    outside = (out < 0) | (out > 1)
    if outside.any():
        raise ValueError(f"{where}: value outside [0, 1] after the {transform} transform: {s[outside].iloc[0]!r}")
    return out.astype(float)


def collect_scores(src: Path) -> pd.DataFrame:
    """Every published score of every panel benchmark, one row each, as a fraction."""
    parts = []
    runs = _read(src / _RUNS)
    for b in BENCHMARKS:
        if b.file == _RUNS:
            d = runs[(runs["task"] == b.task) & (runs["Status"] == "Success")]
            part = pd.DataFrame(
                {
                    "model": d["model"].str.strip(),
                    "raw": d[b.column],
                    "source": "Epoch AI evaluations",
                    "source_link": d["log viewer"].where(d["log viewer"] != "", d["logs"]),
                }
            )
            fname = _RUNS
        else:
            fname = f"external_benchmark_{b.file}.csv"
            d = _read(src / fname)
            link = next(c for c in d.columns if c.startswith("Source link"))
            part = pd.DataFrame(
                {"model": d["Model version"].str.strip(), "raw": d[b.column], "source": d["Source"], "source_link": d[link]}
            )
        part = part[(part["model"] != "") & (part["raw"].str.strip() != "")].copy()
        part["score"] = _to_fraction(part["raw"], b.transform, f"{fname} column {b.column!r}")
        part["benchmark"] = b.id
        part["file"] = fname
        part["row"] = part.index + 2  # the record's row in the file, the header being row 1
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", re.sub(r"[-_ .]hf$", "", name.strip().rsplit("/", 1)[-1].lower()))


def _organisation(mid: str, family: str, hf_dev: str) -> str:
    if hf_dev:
        return HF_OWNERS.get(hf_dev, hf_dev)
    text = f"{mid} {family}".lower()
    for pattern, org in ORGANISATIONS:
        if re.search(pattern, text):
            return org
    return hf_dev


def model_table(src: Path) -> pd.DataFrame:
    """model_versions.csv reduced to the metadata the panel ships."""
    mv = _read(src / "model_versions.csv")
    mv = mv.rename(columns=str.strip)
    out = pd.DataFrame({"model": mv["id"].str.strip()})
    out["family"] = mv["Model"].str.strip()
    out["release_date"] = mv["Version release date"].str.strip()
    link = mv["Link"].str.strip()
    hf = link.str.extract(r"^https?://huggingface\.co/([^/?#\s]+/[^/?#\s]+)", expand=False).fillna("")
    # A link whose repository name is not the model's own (e.g. a 7B repo for a 70B model) is not kept.
    same = [h == "" or _norm(h) == _norm(m) for h, m in zip(hf, out["model"])]
    out["hf_id"] = hf.where(same, "")
    hf_dev = mv["Hugging Face developer id"].str.strip()
    disp = mv["Display name"].str.strip()
    uniq = mv["Unique display name"].str.strip()
    out["name"] = disp.where(disp != "", uniq).where(lambda s: s != "", out["model"])
    open_direct = (hf_dev != "") | (hf != "") | out["model"].str.startswith(OPEN_WEIGHT_HOSTS)
    open_families = set(out.loc[open_direct & (out["family"] != ""), "family"])
    out["open_weights"] = open_direct | out["family"].isin(open_families) | out["family"].isin(OPEN_WEIGHT_FAMILIES)
    # Organisation: the owner of a kept huggingface.co link, else Epoch's developer id, else the pattern table.
    owner = out["hf_id"].str.split("/").str[0].where(out["hf_id"] != "", hf_dev)
    out["organisation"] = [_organisation(m, f, d.split("/")[0]) for m, f, d in zip(out["model"], out["family"], owner)]
    if out["model"].duplicated().any():
        raise ValueError(f"model_versions.csv: duplicate id {out['model'][out['model'].duplicated()].iloc[0]!r}")
    return out


def build(src: Path) -> dict[str, object]:
    """The panel's tables (DataFrames) and counts, from the source folder."""
    scores = collect_scores(src)
    models = model_table(src)
    n_rows = len(scores)
    # Epoch's filters: > 3 distinct benchmarks; model known to model_versions.csv; released >= START_DATE.
    counts = scores.groupby("model")["benchmark"].nunique()
    keep = set(counts.index[counts > MIN_BENCHMARKS_EXCLUSIVE])
    models = models[models["model"].isin(keep)]
    models = models[~models["family"].isin(DROPPED_FAMILIES)]
    dated = pd.to_datetime(models["release_date"], format="%Y-%m-%d", errors="coerce")
    models = models[dated >= pd.Timestamp(START_DATE)].copy()
    unknown = sorted(keep - set(_read(src / "model_versions.csv")["id"].str.strip()))
    scores = scores[scores["model"].isin(set(models["model"]))].copy()
    # Duplicates: keep the best score of a model on a benchmark (Epoch's rule); provenance names its row.
    scores["n_rows"] = scores.groupby(["model", "benchmark"])["score"].transform("size")
    order = {b.id: i for i, b in enumerate(BENCHMARKS)}
    scores["_b"] = scores["benchmark"].map(order)
    best = (
        scores.sort_values(["model", "_b", "score", "file", "row"], ascending=[True, True, False, True, True], kind="mergesort")
        .drop_duplicates(["model", "benchmark"], keep="first")
        .copy()
    )
    best["score"] = best["score"].round(DECIMALS)
    models["n_benchmarks"] = models["model"].map(best.groupby("model").size()).astype(int)
    models = models.sort_values(["release_date", "model"], kind="mergesort").reset_index(drop=True)
    cols = [b.id for b in BENCHMARKS if b.id in set(best["benchmark"])]
    wide = best.pivot(index="model", columns="benchmark", values="score").reindex(index=models["model"], columns=cols)
    wide.index.name = "model"
    wide.columns.name = None
    best["_m"] = best["model"].map({m: i for i, m in enumerate(models["model"])})
    prov = best.sort_values(["_m", "_b"], kind="mergesort")
    prov = prov[["model", "benchmark", "score", "raw", "file", "row", "source", "source_link", "n_rows"]]
    bench = pd.DataFrame(
        [
            {
                "id": b.id,
                "name": b.name,
                "metric": b.metric,
                "source_file": b.file if b.file == _RUNS else f"external_benchmark_{b.file}.csv",
                "source_task": b.task,
                "source_column": b.column,
                "transform": b.transform,
                "n_models": int(wide[b.id].notna().sum()),
            }
            for b in BENCHMARKS
            if b.id in cols
        ]
    )
    return {
        "scores": wide,
        "models": models[["model", "name", "family", "organisation", "release_date", "open_weights", "hf_id", "n_benchmarks"]],
        "benchmarks": bench,
        "provenance": prov,
        "n_source_rows": n_rows,
        "n_unknown_models": len(unknown),
    }


def _source_md(t: dict[str, object]) -> str:
    scores: pd.DataFrame = t["scores"]  # type: ignore[assignment]
    models: pd.DataFrame = t["models"]  # type: ignore[assignment]
    bench: pd.DataFrame = t["benchmarks"]  # type: ignore[assignment]
    n_cells = int(scores.notna().sum().sum())
    lines = [
        "# The `frontier` panel: current models, from Epoch AI's benchmark data",
        "",
        "Source: github.com/epoch-research/benchmark-stitching, commit f87d3cc (2025-12-03), folder `data/`",
        '(Epoch AI, "A Rosetta Stone for AI Benchmarks"; the Epoch Capabilities Index). MIT licence,',
        "copyright 2025 Epoch AI: `LICENSE` in this folder. Built by `scripts/build_frontier_panel.py`",
        "in this project's repository; this file is written by that script, do not edit it by hand.",
        "",
        f"Contents: {len(models)} models x {len(bench)} benchmarks, {n_cells} scores "
        f"({n_cells / scores.size:.0%} of the cells; the rest are missing, not zero). "
        f"Models have {int(models['n_benchmarks'].min())}-{int(models['n_benchmarks'].max())} benchmarks "
        f"(median {int(models['n_benchmarks'].median())}); "
        f"releases {models['release_date'].min()} to {models['release_date'].max()}.",
        "",
        "## Files",
        "- `scores.csv`: one row per model (`model` = Epoch's version id, `model_versions.csv` `id`), one column",
        "  per benchmark id (`epoch_...`); every value a fraction on [0, 1], higher = more capable; empty = no score.",
        "- `models.csv`: `name` (Epoch's display name, else its unique display name, else the id), `family`",
        "  (Epoch's `Model`), `organisation`, `release_date` (ISO), `open_weights`, `hf_id`, `n_benchmarks`.",
        "- `benchmarks.csv`: per benchmark its Epoch source file, task, column and transform.",
        "- `provenance.csv`: per score the raw value as published, its file and row (the header is row 1),",
        "  source and link, and `n_rows`, how many rows of the source scored that model on that benchmark.",
        "",
        "## Rules",
        f"- Models: Epoch's own rule: more than {MIN_BENCHMARKS_EXCLUSIVE} distinct benchmarks, known to `model_versions.csv`,",
        f"  released on or after {START_DATE} (models without a release date are left out).",
        f"  The {', '.join(DROPPED_FAMILIES)} family is left out as Epoch's loader does.",
        "- Duplicates (several runs, sources or agents for one model and benchmark): the highest score is kept,",
        "  as Epoch does; `provenance.csv` names the row it came from and how many there were.",
        "- Scales: every benchmark becomes a bounded fraction on [0, 1], the scale a logistic (item-response)",
        "  link needs; the build fails if any value falls outside.",
        "",
        "| transform | meaning |",
        "| --- | --- |",
        *[f"| `{k}` | {v} |" for k, v in TRANSFORMS.items()],
        "",
        "- METR: the panel uses `average_score`, the model's average success over METR's task suite, a",
        "  fraction on [0, 1]. The 50% time horizon (minutes) is not bounded and is itself the output of a",
        "  logistic fit of success against task length; log2(horizon) would be roughly linear in capability,",
        "  not a bounded score, so it is not used. Epoch's own fit leaves METR out; it is kept here because its",
        "  average success is an ordinary bounded score on a fixed task set.",
        "- Left out:",
        *[f"  - `{k}`: {v}." for k, v in LEFT_OUT.items()],
        *[f"  - `{b.id}` ({b.name}): no model of the panel has a score." for b in BENCHMARKS if b.id not in set(bench["id"])],
        "- Model ids are Epoch's `model_versions.csv` `id` with surrounding spaces removed.",
        "- Organisation is not in Epoch's files: it is the owner of the model's Hugging Face repository",
        "  (mapped to a readable name), else Epoch's Hugging Face developer id, else assigned by this project",
        "  from the model id and family name (a pattern table in the build script).",
        "- Open weights: Epoch lists a Hugging Face developer id or a huggingface.co link, or the id is served",
        "  by an open-weight host (`chutes/...`), or another version of the same family is open by these rules,",
        f"  or the family is one of {', '.join(OPEN_WEIGHT_FAMILIES)} (public weights without a link in Epoch's files).",
        "  False means only that none of these holds.",
        "- `hf_id`: the `owner/name` of a huggingface.co link in `model_versions.csv` when the repository name",
        "  is the model's own (ignoring case, punctuation and an `-hf` suffix), else empty.",
        "",
        "## Benchmarks",
        "",
        "| id | Epoch name | source | column | transform | models |",
        "| --- | --- | --- | --- | --- | --- |",
        *[
            f"| `{r.id}` | {r.name} | `{r.source_file}`{' task ' + repr(r.source_task) if r.source_task else ''} "
            f"| {r.source_column} | `{r.transform}` | {r.n_models} |"
            for r in bench.itertuples()
        ],
        "",
    ]
    return "\n".join(lines)


def write(t: dict[str, object], src: Path, out: Path) -> None:
    """Write the panel's files into ``out`` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    kw = {"lineterminator": "\n"}
    t["scores"].to_csv(out / "scores.csv", **kw)  # type: ignore[union-attr]
    t["models"].to_csv(out / "models.csv", index=False, **kw)  # type: ignore[union-attr]
    t["benchmarks"].to_csv(out / "benchmarks.csv", index=False, **kw)  # type: ignore[union-attr]
    t["provenance"].to_csv(out / "provenance.csv", index=False, **kw)  # type: ignore[union-attr]
    shutil.copyfile(src / "LICENSE", out / "LICENSE")
    (out / "SOURCE.md").write_text(_source_md(t), encoding="utf-8", newline="\n")


FILES = ("scores.csv", "models.csv", "benchmarks.csv", "provenance.csv", "LICENSE", "SOURCE.md")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path, help="folder with Epoch AI's benchmark-stitching data files")
    ap.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="folder to write (default: the package's data)")
    ap.add_argument("--check", action="store_true", help="build into a temporary folder and compare with --output")
    args = ap.parse_args(argv)
    if not (args.source / "model_versions.csv").is_file():
        print(f"build_frontier_panel: {args.source}: no model_versions.csv here; give Epoch's data folder", file=sys.stderr)
        return 2
    t = build(args.source)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write(t, args.source, Path(tmp))
            diff = [
                f
                for f in FILES
                if not (args.output / f).is_file() or not filecmp.cmp(Path(tmp) / f, args.output / f, shallow=False)
            ]
        if diff:
            print(f"build_frontier_panel: {args.output} differs from a fresh build in: {', '.join(diff)}", file=sys.stderr)
            return 1
        print(f"{args.output}: identical to a fresh build ({len(FILES)} files)")
        return 0
    write(t, args.source, args.output)
    s = t["scores"]
    print(
        f"wrote {args.output}: {s.shape[0]} models x {s.shape[1]} benchmarks, "  # type: ignore[union-attr]
        f"{int(s.notna().sum().sum())} scores from {t['n_source_rows']} source rows"  # type: ignore[union-attr]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
