"""`report` wired to --data, --audit and --claim: the views carry the numbers of the same commands."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_report_audit_view_matches_audit_command(cli, tmp_path):
    src = EXAMPLES / "my_benchmark.csv"
    before = _sha(src)
    out = tmp_path / "audit.html"
    proc = cli("report", "--panel", "chat", "--audit", str(src), "--output", str(out), "--seed", "0",
               "--lower-is-better", "jailbreak_asr")
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert "Audit of your benchmarks against panel chat" in html
    doc = json.loads(cli("audit", str(src), "--panel", "chat", "--format", "json", "--seed", "0",
                         "--lower-is-better", "jailbreak_asr").stdout)
    for row in doc["results"]:
        # the audit view states each audited benchmark's r with two decimals and its n
        assert f"r = {row['correlation']:+.2f}" in html, row["benchmark"]
        assert f"n = {row['n']}" in html
    assert f"= {doc['capability_sd_ratio']:.3g} (below 0.8" in html
    assert _sha(src) == before


def test_report_claim_view_matches_claim_command(cli, tmp_path):
    src = EXAMPLES / "claim_release.csv"
    out = tmp_path / "claim.html"
    args = ["--panel", "chat", "--benchmark", "ethics_all", "--seed", "0"]
    proc = cli("report", "--claim", str(src), *args, "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    doc = json.loads(cli("claim", str(src), *args, "--format", "json").stdout)
    assert "Claim: change on ETHICS" in html
    assert f"{doc['predicted_change']:+.3g}" in html
    # the prediction interval of the part beyond capabilities, and the decision it makes
    assert doc["beyond_capabilities_supported"] is False
    pi = f"[{doc['beyond_capabilities_pi_low']:.3g}, {doc['beyond_capabilities_pi_high']:.3g}]"
    assert f"95% prediction interval {pi}" in html and "not supported: includes 0" in html


def test_report_on_user_data(cli, tmp_path):
    out = tmp_path / "mine.html"
    proc = cli(
        "report", "--data", str(EXAMPLES / "my_leaderboard.csv"), "--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag",
        "--lower-is-better", "jailbreak_asr,bias_gap", "--params-column", "params", "--output", str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert "my_leaderboard" in out.read_text()


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--panel", "all", "--audit", "examples/my_benchmark.csv"], "--panel chat"),
        (["--panel", "chat", "--claim", "examples/claim_release.csv"], "--benchmark"),
        (["--panel", "chat", "--benchmark", "ethics_all"], "--claim"),
    ],
)
def test_report_option_errors(cli, tmp_path, args, needle):
    proc = cli("report", *args, "--output", str(tmp_path / "r.html"), cwd=EXAMPLES.parent)
    assert proc.returncode == 2
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_cli_impute_on_user_data(cli):
    """--impute through the CLI: the incomplete model gets a score, the note says what moved."""
    args = [
        "analyze", "--data", str(EXAMPLES / "my_leaderboard.csv"), "--capabilities", "MMLU,GSM8K,ARC-C,HellaSwag",
        "--params-column", "params", "--bootstrap", "0", "--format", "json", "--lower-is-better", "jailbreak_asr,bias_gap",
    ]
    plain = json.loads(cli(*args).stdout)["panels"][0]
    imputed = json.loads(cli(*args, "--impute").stdout)["panels"][0]
    assert "gamma/gamma-2b" not in plain["model_scores"] and "gamma/gamma-2b" in plain["dropped_models"]
    assert "gamma/gamma-2b" in imputed["model_scores"] and imputed["dropped_models"] == []
    assert any("imputed 1 missing capability score" in n for n in imputed["notes"])
    # complete models keep finite scores in both runs; the imputed run uses one more model
    assert len(imputed["model_scores"]) == len(plain["model_scores"]) + 1
