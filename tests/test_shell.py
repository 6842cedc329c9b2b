"""The shell's conventions (issue 20): --output picks the format from its extension, ``-`` is stdin / stdout,
--help lists choices and readable value names, completion is on, tables fit the terminal, one CSV list encoding,
``ingest --harness`` (``--format`` its deprecated alias), example outputs ignored by git."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import typer.main

import safetywashing as sw
from safetywashing.cli import app, load_commands

load_commands()
ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
OWN_CHOICES = [c for c in COMMANDS if c not in ("report", "figures")]  # their options are the figures' (issue 20 item 1)


# ---------------------------------------------------------------- --output: the extension names the format
@pytest.mark.parametrize("ext,check", [
    ("json", lambda t: json.loads(t)["panels"][0]["panel"] == "chat"),
    ("csv", lambda t: t.startswith("panel,method,benchmark")),
    ("md", lambda t: "| Area | Benchmark | id | r |" in t),
    ("html", lambda t: t.startswith("<!doctype html>") and "<table" in t and "AnalysisResult" in t),
    ("txt", lambda t: t.startswith("Panel 'chat'") and "track capabilities most" in t),
])
def test_output_extension_picks_the_format(cli, tmp_path, ext, check):
    out = tmp_path / f"r.{ext}"
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "0", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert check(out.read_text(encoding="utf-8"))


def test_format_overrides_the_extension_and_each_command_infers(cli, tmp_path):
    out = tmp_path / "r.json"
    assert cli("analyze", "--panel", "chat", "--bootstrap", "0", "--format", "csv", "--output", str(out)).returncode == 0
    assert out.read_text().startswith("panel,method,benchmark")  # --format wins
    runs = {
        "audit": ["audit", str(EX / "my_benchmark.csv"), "--bootstrap", "200", "--lower-is-better", "jailbreak_asr"],
        "claim": ["claim", str(EX / "claim_release.csv"), "--benchmark", "ethics_all", "--bootstrap", "0"],
        "leaderboard": ["leaderboard", "--benchmark", "ethics_all"],
        "items": ["items", str(EX / "items_long.csv"), "--model-scores", str(EX / "items_model_scores.csv"),
                  "--bootstrap", "100"],
        "place": ["place", str(EX / "frontier_benchmark.csv"), "--panel", "frontier", "--lower-is-better", "jailbreak_asr"],
    }
    for name, args in runs.items():
        for ext in ("json", "csv", "html"):
            out = tmp_path / f"{name}.{ext}"
            proc = cli(*args, "--output", str(out))
            assert proc.returncode == 0, (name, ext, proc.stderr)
            text = out.read_text(encoding="utf-8")
            if ext == "json":
                json.loads(text)
            elif ext == "csv":
                assert pd.read_csv(io.StringIO(text)).shape[0] >= 1, name
            else:
                assert text.startswith("<!doctype html>") and "<table" in text, name
    # a format the command cannot write: one line, exit 2, nothing written
    proc = cli(*runs["place"], "--output", str(tmp_path / "p.md"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "--format" in proc.stderr
    assert not (tmp_path / "p.md").exists()


# ---------------------------------------------------------------- "-": stdin for inputs, stdout for outputs
def test_dash_output_is_stdout_never_a_file(cli, tmp_path):
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "0", "--format", "csv", "--output", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("panel,method,benchmark") and "wrote" not in proc.stderr
    assert not (tmp_path / "-").exists()
    proc = cli("ingest", str(ROOT / "tests" / "data" / "harness" / "lm_eval"), "--output", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("model,") and list(tmp_path.iterdir()) == []


def test_dash_input_is_stdin(cli):
    text = (EX / "my_benchmark.csv").read_text(encoding="utf-8")
    asr = ["--lower-is-better", "jailbreak_asr"]  # an attack success rate: its direction is given
    from_file = json.loads(cli("audit", str(EX / "my_benchmark.csv"), "--bootstrap", "200", "--format", "json", *asr).stdout)
    proc = cli("audit", "-", "--bootstrap", "200", "--format", "json", *asr, stdin=text)
    assert proc.returncode == 0, proc.stderr
    from_stdin = json.loads(proc.stdout)
    assert from_stdin["results"] == from_file["results"] and from_stdin["matched"] == from_file["matched"]
    lb = (EX / "my_leaderboard.csv").read_text(encoding="utf-8")
    args = ["--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag", "--bootstrap", "0", "--format", "json",
            "--lower-is-better", "jailbreak_asr,bias_gap"]
    a = json.loads(cli("analyze", "--data", str(EX / "my_leaderboard.csv"), *args).stdout)["panels"][0]["results"]
    b = json.loads(cli("analyze", "--data", "-", *args, stdin=lb).stdout)["panels"][0]["results"]
    assert [r["correlation"] for r in a] == [r["correlation"] for r in b]
    claim = (EX / "claim_release.csv").read_text(encoding="utf-8")
    args = ["--benchmark", "ethics_all", "--bootstrap", "0", "--format", "json"]
    c_file = json.loads(cli("claim", str(EX / "claim_release.csv"), *args).stdout)
    c_stdin = json.loads(cli("claim", "-", *args, stdin=claim).stdout)
    assert c_stdin["beyond_capabilities"] == c_file["beyond_capabilities"]
    scores = (EX / "items_model_scores.csv").read_text(encoding="utf-8")
    args = ["--bootstrap", "100", "--format", "json"]
    i_file = json.loads(cli("items", str(EX / "items_long.csv"), "--model-scores", str(EX / "items_model_scores.csv"),
                            *args).stdout)
    i_stdin = json.loads(cli("items", str(EX / "items_long.csv"), "--model-scores", "-", *args, stdin=scores).stdout)
    assert i_stdin["items"] == i_file["items"]
    proc = cli("items", "-", "--model-scores", "-", *args, stdin=scores)
    assert proc.returncode == 2 and "only once" in proc.stderr
    # bad stdin: one line naming <stdin>, not a temporary path
    proc = cli("audit", "-", stdin="model,x\n")
    assert proc.returncode == 2 and proc.stderr.startswith("safetywashing: error: <stdin>") and "/tmp" not in proc.stderr
    assert cli("audit", "-", stdin="").returncode == 2


def test_ingest_to_stdout_piped_into_place(tmp_path):
    """The real programs joined by a pipe: ``ingest ... --output - | place - --panel chat``."""
    from conftest import run_cli

    ing = run_cli("ingest", str(ROOT / "tests/data/harness/lm_eval"), "--output", "-", cwd=tmp_path)
    assert ing.returncode == 0, ing.stderr
    proc = run_cli("place", "-", "--panel", "chat", "--format", "json", cwd=tmp_path, stdin=ing.stdout)
    assert proc.returncode == 0, proc.stderr
    assert {m["model"] for m in json.loads(proc.stdout)["models"]} == {"org/model-a", "org/model-b", "org/model-c"}
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- --help: choices and readable value names
@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_values_readably(cli, command):
    out = cli(command, "--help").stdout
    assert not re.search(r"<(str|int|float|path|list\[Path\])>", out), out
    assert "{" not in out.split("\n")[0]  # the usage line: SCORES, not {SCORES}
    if command in OWN_CHOICES:
        for opt in ("--panel", "--method", "--format", "--score-method", "--harness", "--adjust", "--role"):
            m = re.search(rf"^\s+(?:-\w, )?{opt} (\S+)", out.split("\nOptions:")[1], re.M)
            if m:
                assert m.group(1).startswith("[") and "|" in m.group(1), (command, opt, m.group(1))


def test_choices_listed_and_checked(cli):
    out = cli("analyze", "--help").stdout
    assert "--panel [base|chat|frontier|all]" in out and "--format [table|json|csv|markdown|html]" in out
    proc = cli("audit", str(EX / "my_benchmark.csv"), "--panel", "nope")
    assert proc.returncode == 2 and proc.stderr.strip() == (
        "safetywashing: error: --panel: 'nope' is not one of: " + ", ".join(sw.panel_names()))


def test_shell_completion_is_on(cli, cli_subprocess):
    assert "--install-completion" in cli("--help").stdout
    proc = cli("--show-completion", "bash")
    assert proc.returncode == 0 and "_SAFETYWASHING_COMPLETE" in proc.stdout
    import os
    import sys

    env = dict(os.environ, _SAFETYWASHING_COMPLETE="complete_bash", COMP_WORDS="safetywashing analyze --panel ",
               COMP_CWORD="3")
    done = subprocess.run([sys.executable, "-m", "safetywashing"], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == [*sw.panel_names(), "all"]


# ---------------------------------------------------------------- tables fit the terminal
WIDE = {
    "analyze --full": ["analyze", "--panel", "chat", "--full", "--bootstrap", "0"],
    "audit": ["audit", str(EX / "my_benchmark.csv"), "--bootstrap", "200", "--lower-is-better", "jailbreak_asr"],
    "claim": ["claim", str(EX / "claim_release.csv"), "--benchmark", "ethics_all", "--bootstrap", "200"],
    "leaderboard": ["leaderboard", "--benchmark", "ethics_all"],
    "items": ["items", str(EX / "items_long.csv"), "--model-scores", str(EX / "items_model_scores.csv"), "--bootstrap", "100"],
    "place": ["place", str(EX / "frontier_benchmark.csv"), "--panel", "frontier", "--lower-is-better", "jailbreak_asr"],
    "models": ["models", "--panel", "frontier"],
    "benchmarks": ["benchmarks"],
}


@pytest.mark.parametrize("name", sorted(WIDE))
def test_tables_fit_80_columns(cli, monkeypatch, name):
    """On main: audit 348, claim 330, leaderboard 327, items 225, models 354, benchmarks 420, --full 291 characters."""
    monkeypatch.setenv("COLUMNS", "80")
    proc = cli(*WIDE[name])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) > 3 and max(len(x) for x in lines) <= 80, max(lines, key=len)
    assert not any(x != x.rstrip() for x in lines)  # no padding to the width
    monkeypatch.setenv("COLUMNS", "200")
    if name in ("analyze --full", "benchmarks"):  # a wide terminal gets the wide form: every id whole on one line
        assert "decodingtrust_adv_glue++_qqp" in cli(*WIDE[name]).stdout


def test_summary_fits_a_narrow_terminal(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    lines = cli("analyze", "--bootstrap", "0").stdout.splitlines()
    assert max(len(x) for x in lines) <= 60 and "track capabilities most" in "\n".join(lines)


def test_one_table_style(cli, monkeypatch):
    """Every table: the header, then one ASCII rule; no box-drawing characters."""
    monkeypatch.setenv("COLUMNS", "100")
    for name in ("analyze --full", "audit", "leaderboard", "models"):
        out = cli(*WIDE[name]).stdout
        assert not set(out) & set("┏━┃│┡└─╇"), name
        assert re.search(r"\n *-{20,}\n", out), name


# ---------------------------------------------------------------- one list encoding in CSV
def test_csv_lists_are_semicolon_joined_in_every_command(cli):
    a = pd.read_csv(io.StringIO(cli("analyze", "--panel", "chat", "--bootstrap", "200", "--format", "csv").stdout))
    asr = ["--lower-is-better", "jailbreak_asr"]
    b = pd.read_csv(io.StringIO(cli("audit", str(EX / "my_benchmark.csv"), "--bootstrap", "200", "--format", "csv", *asr).stdout))
    audit_json = json.loads(cli("audit", str(EX / "my_benchmark.csv"), "--bootstrap", "200", "--format", "json", *asr).stdout)
    for df in (a, b):
        cells = df["verdict_bands"].dropna().astype(str)
        assert len(cells) and not cells.str.contains(r"[\[\]',]").any()
    want = {r["benchmark"]: ";".join(r["verdict_bands"]) for r in audit_json["results"]}
    assert dict(zip(b["benchmark"], b["verdict_bands"])) == want
    assert set(a["verdict_bands"].dropna()) >= {"moderate;high", "low;moderate;high"}


# ---------------------------------------------------------------- ingest --harness
def test_ingest_harness_and_its_deprecated_alias(cli, tmp_path):
    src = str(ROOT / "tests" / "data" / "harness" / "lm_eval")
    new = cli("ingest", src, "--harness", "lm-eval", "--output", "-", cwd=tmp_path)
    old = cli("ingest", src, "--format", "lm-eval", "--output", "-", cwd=tmp_path)
    assert new.returncode == old.returncode == 0
    assert new.stdout == old.stdout
    assert "deprecated" not in new.stderr
    assert sum("ingest --format is deprecated" in line for line in old.stderr.splitlines()) == 1
    assert "--harness [auto|lm-eval|inspect|helm]" in cli("ingest", "--help").stdout
    proc = cli("ingest", src, "--format", "helm", "--harness", "lm-eval", "--output", "-", cwd=tmp_path)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # never a file named -
    proc = cli("ingest", src, "--output", "m.csv", "--provenance", "-", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("model,benchmark,value,harness")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.csv"]
    proc = cli("ingest", src, "--output", "-", "--provenance", "-", cwd=tmp_path)
    assert proc.returncode == 2 and "--provenance -" in proc.stderr


# ---------------------------------------------------------------- warnings: the CLI's own line, not Python's too
def test_cli_prints_a_warning_once(cli_subprocess, tmp_path):
    chat = sw.load_panel("chat")
    weak = pd.Series(sw.analyze(chat, bootstrap=0).model_scores).sort_values().index[:13]
    f = tmp_path / "weak.csv"
    chat.scores.loc[weak, ["ethics_all"]].rename(columns={"ethics_all": "my_bench"}).rename_axis("model").to_csv(f)
    proc = cli_subprocess("audit", str(f), "--bootstrap", "200", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("restricted range of capability") == 1
    assert "SafetywashingWarning" not in proc.stderr and "warnings.warn" not in proc.stderr


# ---------------------------------------------------------------- examples leave nothing untracked
def test_example_outputs_are_ignored_by_git():
    """Every file the README and --help examples write in the repository root is in .gitignore."""
    import shlex

    from test_help_examples import help_examples, readme_examples

    text_blocks = readme_examples()
    for c in COMMANDS:
        cmd = typer.main.get_command(app).commands[c]  # type: ignore[attr-defined]
        text_blocks += help_examples(cmd.help or "")
    written = set()
    for ex in text_blocks:
        args = shlex.split(ex)
        for flag in ("--output", "-o", "--output-dir", "-d"):
            if flag in args:
                written.add(args[args.index(flag) + 1])
    written.discard("-")
    assert written, "no example writes a file?"
    for path in sorted(written):
        top = path.split("/")[0]
        probe = top + ("/x" if path.endswith("/") or "." not in top else "")
        ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "--no-index", "-q", probe])
        assert ignored.returncode == 0, f"{path}: an example writes it in the repository root and .gitignore misses it"


def test_report_and_figures_list_their_choices(cli):
    """`report` and `figures` show their choices in --help as every other command does (and keep one-line errors)."""
    from safetywashing.cli._report import FIGURE_FORMATS
    from safetywashing.present._figures import FORMATS

    assert tuple(FIGURE_FORMATS) == tuple(FORMATS)
    for command in ("report", "figures"):
        text = " ".join(cli(command, "--help").stdout.split())
        assert "[base|chat|frontier|all]" in text and "[spearman|pearson]" in text and "[pca|irt]" in text
    assert "[png|svg|pdf]" in " ".join(cli("figures", "--help").stdout.split())
    bad = cli("figures", "--format", "png,gif", "--output-dir", "nowhere")
    assert bad.returncode == 2 and "gif" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
