"""Python defaults = CLI defaults for the functions that give a verdict (issue 18, item 7)."""

from __future__ import annotations

import inspect
import json

import safetywashing as sw


def test_analyze_default_verdict_is_the_clis(cli):
    """``sw.analyze(chat)`` used to print "high" for ETHICS (no interval by default); the CLI says "moderate to high"."""
    res = sw.analyze(sw.load_panel("chat"))
    row = res.result("ethics_all")
    assert row.verdict == "moderate to high"
    proc = cli("analyze", "--panel", "chat", "--format", "json", "--no-sensitivity")
    assert proc.returncode == 0, proc.stderr
    cli_rows = {r["benchmark"]: r for r in json.loads(proc.stdout)["panels"][0]["results"]}
    assert cli_rows["ethics_all"]["verdict"] == row.verdict
    assert cli_rows["ethics_all"]["ci_low"] == row.extra["ci_low"]
    same = sum(cli_rows[r.benchmark]["verdict"] == r.verdict for r in res.results)
    assert same == len(res.results)


def test_verdict_functions_default_to_intervals():
    """Every public function that gives a verdict has the CLI's interval settings by default."""
    a = inspect.signature(sw.analyze).parameters
    assert (a["bootstrap"].default, a["seed"].default, a["adjust"].default, a["ci_method"].default) == (2000, 0, "fcr", "bca")
    for f in (sw.audit, sw.items, sw.claim):
        assert inspect.signature(f).parameters["bootstrap"].default == 2000, f.__name__
