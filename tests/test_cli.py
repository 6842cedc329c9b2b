"""The CLI as a user meets it: tables, formats, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_full_table_both_panels(cli):
    proc = cli("analyze", "--full")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Panel 'base'" in out and "Panel 'chat'" in out
    assert "Machine ethics" in out and "verdict" in out
    assert "MT Bench" in out


def test_default_is_one_screen_in_80_columns(cli):
    """``analyze`` alone: per panel the PC1 share, verdict counts, most/least capability-tracking benchmarks, the way on."""
    out = cli("analyze").stdout
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 80 and len(lines) <= 40
    doc = json.loads(cli("analyze", "--format", "json").stdout)
    for p in doc["panels"]:
        safety = [r for r in p["results"] if r["role"] == "safety"]
        counts = {}
        for r in safety:  # the verdicts the analysis gave, counted independently of the renderer
            v = r["verdict"] + (" (noise-limited)" if r.get("noise_limited") else "")
            counts[v] = counts.get(v, 0) + 1
        block = out.split(f"Panel {p['panel']!r}: {p['n_models']} models; PC1 = {p['pc1_variance_explained']:.1%}")[1]
        block = block.split("Panel '")[0]
        summary = " ".join(block.split("track capabilities most")[0].split())
        assert f"verdicts of {len(safety)} safety benchmarks:" in summary
        for v, n in counts.items():
            assert f"{n} {v}" in summary, (v, n, summary)
        top = max((r for r in safety if r["correlation"] is not None), key=lambda r: r["correlation"])
        low = min((r for r in safety if r["correlation"] is not None), key=lambda r: abs(r["correlation"]))
        most_part, least_part = block.split("track capabilities least")
        assert top["name"][:13] in most_part and low["name"][:13] in least_part
    for way in ("--full", "--format json|csv|markdown", "--output FILE"):
        assert way in out


def test_version(cli):
    import safetywashing

    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"safetywashing {safetywashing.__version__}"


def test_params_column_without_compute_params_hints_at_the_flag(cli):
    proc = cli("analyze", "--data", "examples/my_leaderboard.csv", "--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag",
               "--params-column", "params", "--bootstrap", "0", "--lower-is-better", "jailbreak_asr,bias_gap",
               cwd=Path(__file__).parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert "--compute params" in proc.stderr


def test_figures_data_draws_the_users_own_benchmarks(cli, tmp_path):
    root = Path(__file__).parent.parent
    proc = cli("figures", "--data", str(root / "examples" / "my_leaderboard.csv"), "--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag",
               "--params-column", "params", "--bootstrap", "0", "--dpi", "50", "--output-dir", str(tmp_path),
               "--lower-is-better", "jailbreak_asr,bias_gap")
    assert proc.returncode == 0, proc.stderr
    scatters = sorted(p.name for p in tmp_path.glob("*_scatter_*"))
    assert scatters == [f"my_leaderboard_scatter_{b}.png" for b in ("bias_gap", "jailbreak_asr", "refusal_rate_harmful")]


def test_end_to_end_subprocess_error_and_output(cli_subprocess, tmp_path):
    """The real entry point: exit codes and streams as a shell sees them."""
    import safetywashing

    proc = cli_subprocess("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"safetywashing {safetywashing.__version__}"
    proc = cli_subprocess("analyze", "--panel", "nope")
    assert proc.returncode == 2 and proc.stderr.startswith("safetywashing: error: --panel") and not proc.stdout
    out = tmp_path / "r.csv"
    proc = cli_subprocess("analyze", "--panel", "chat", "--bootstrap", "0", "--format", "csv", "--output", str(out))
    assert proc.returncode == 0 and proc.stdout == "" and f"wrote {out}" in proc.stderr
    assert out.read_text().startswith("panel,method,benchmark")


@pytest.mark.parametrize("fmt,marker", [("csv", "panel,method,benchmark"), ("markdown", "| Area | Benchmark")])
def test_formats(cli, fmt, marker):
    proc = cli("analyze", "--panel", "chat", "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert marker in proc.stdout


def test_output_written_atomically(cli, tmp_path):
    out = tmp_path / "r.json"
    proc = cli("analyze", "--panel", "base", "--format", "json", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["panels"][0]["n_models"] == 27
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["analyze", "--panel", "nope"], "--panel"),
        (["analyze", "--method", "kendall"], "method"),
        (["analyze", "--capabilities", "mmlu,not_a_bench"], "not_a_bench"),
        (["analyze", "--format", "xml"], "--format"),
        (["benchmarks", "--area", "nonsense"], "nonsense"),
    ],
)
def test_bad_options_exit_2_one_line(cli, args, needle):
    proc = cli(*args)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_capability_override_changes_direction(cli):
    proc = cli("analyze", "--panel", "chat", "--capabilities", "mmlu,gsm8k,bbh", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)["panels"][0]
    assert p["capability_benchmarks"] == ["mmlu", "gsm8k", "bbh"]
    roles = {r["benchmark"]: r["role"] for r in p["results"]}
    assert roles["mmlu"] == "capability" and roles["arc_challenge"] == "other"


def test_benchmarks_and_models(cli):
    proc = cli("benchmarks", "--area", "machine_ethics")
    assert proc.returncode == 0 and "ETHICS" in proc.stdout.upper()
    proc = cli("models", "--panel", "base", "--format", "json")
    rows = json.loads(proc.stdout)
    assert len(rows) == 27 and rows[0]["rank"] == 1
    assert rows[0]["capabilities_score"] >= rows[-1]["capabilities_score"]


def test_summary_fits_80_columns_for_every_panel_and_a_user_table(cli):
    from safetywashing.sources._panels import panel_names

    root = Path(__file__).parent.parent
    runs = [["--panel", p] for p in panel_names()]
    runs.append(["--data", "examples/my_leaderboard.csv", "--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag",
                 "--lower-is-better", "jailbreak_asr,bias_gap"])
    for args in runs:
        proc = cli("analyze", *args, "--bootstrap", "0", cwd=root)
        assert proc.returncode == 0, (args, proc.stderr)
        assert max(len(x) for x in proc.stdout.splitlines()) <= 80, (args, proc.stdout)
        assert "--full" in proc.stdout
