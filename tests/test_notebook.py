"""Results in a notebook (issue 20): a one-line repr and a compact escaped HTML table on every public result and on
ScoreMatrix, warnings through Python's warnings (SafetywashingWarning) as well as ``.warnings``, one keyword name
per concept (``bootstrap``, ``level``; the old names deprecated aliases)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing.sources._table import read_table

EX = Path(__file__).resolve().parent.parent / "examples"
MAX_HTML = 8000  # characters of a result's _repr_html_ (on main: the dataclass repr of an analysis, 76,534+)
MAX_REPR = 400


@pytest.fixture(scope="module")
def results():
    chat = sw.load_panel("chat")
    an = sw.analyze(chat, bootstrap=200, seed=0, adjust="fcr", sensitivity=True, compute="flop")
    cf = pd.read_csv(EX / "claim_release.csv").set_index("model")
    rep = sw.items([str(EX / "items_long.csv")], bootstrap=100,
                   model_scores=pd.read_csv(EX / "items_model_scores.csv").set_index("model")["capabilities_score"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sw.SafetywashingWarning)
        out = {
            "ScoreMatrix": chat,
            "AnalysisResult": an,
            "BenchmarkResult": an.result("ethics_all"),
            "AuditResult": sw.audit(read_table(EX / "my_benchmark.csv", lower_is_better=["jailbreak_asr"]), chat, bootstrap=200),
            "ClaimResult": sw.claim(chat, cf.iloc[0], cf.iloc[1], "ethics_all", bootstrap=200, seed=0),
            "PlacementResult": sw.place(sw.ScoreMatrix.from_frame(chat.scores.iloc[:3]), sw.load_panel("base")),
            "LeaderboardResult": sw.leaderboard(chat, "ethics_all"),
            "ItemsReport": rep,
            "ItemsResult": rep.results[0],
        }
    return out


@pytest.mark.parametrize("kind", ["ScoreMatrix", "AnalysisResult", "BenchmarkResult", "AuditResult", "ClaimResult",
                                  "PlacementResult", "LeaderboardResult", "ItemsReport", "ItemsResult"])
def test_repr_is_one_short_line_and_html_a_compact_table(results, kind):
    obj = results[kind]
    text = repr(obj)
    assert text.startswith(f"<{kind} ") and "\n" not in text and len(text) <= MAX_REPR, text
    html = obj._repr_html_()
    assert len(html) < MAX_HTML, (kind, len(html))
    assert html.count("<div") == html.count("</div>") and f"<b>{kind}</b>" in html
    if kind != "BenchmarkResult":
        assert "<table>" in html and "</table>" in html


def test_html_says_what_matters(results):
    an = results["AnalysisResult"]
    html = an._repr_html_()
    top = max((r for r in an.results if r.role == "safety"), key=lambda r: r.correlation)
    assert top.name in html and f"{top.correlation:+.2f}" in html and top.verdict in html
    assert "26 (26 scored)" in html and "200 bootstrap resamples" in html
    assert "more benchmarks" in html  # the rest is a .to_frame() away, not dumped
    lb = results["LeaderboardResult"]._repr_html_()
    assert results["LeaderboardResult"].entries[0].name in lb


def test_html_escapes_user_strings():
    evil = "<script>alert(1)</script>"
    scores = pd.DataFrame({"mmlu": [0.5, 0.6, 0.7, 0.8, 0.4, 0.3], "<b>bench</b>": [1, 2, 3, 4, 5, 6.0]},
                          index=[evil, "b", "c", "d", "e", "f"])
    m = sw.ScoreMatrix.from_frame(scores, name="x&y")
    for html in (m._repr_html_(), sw.leaderboard(m, "<b>bench</b>", capabilities=["mmlu", "<b>bench</b>"])._repr_html_()):
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert "<b>bench</b>" not in html and "&lt;b&gt;bench&lt;/b&gt;" in html


def test_warnings_are_python_warnings_and_kept():
    assert issubclass(sw.SafetywashingWarning, UserWarning)
    chat = sw.load_panel("chat")
    weak = pd.Series(sw.analyze(chat, bootstrap=0).model_scores).sort_values().index[:13]
    mine = sw.ScoreMatrix.from_frame(chat.scores.loc[weak, ["ethics_all"]].rename(columns={"ethics_all": "my_bench"}))
    with pytest.warns(sw.SafetywashingWarning, match="restricted range") as rec:
        res = sw.audit(mine, chat, bootstrap=200)
    assert [str(w.message) for w in rec if w.category is sw.SafetywashingWarning] == list(res.warnings)
    assert rec[0].filename == __file__  # points at the caller, not inside the package
    # analyze: models left without a capabilities score
    scores = chat.scores.copy()
    scores.loc[scores.index[:2], "mmlu"] = np.nan
    with pytest.warns(sw.SafetywashingWarning, match="2 model\\(s\\) lack some capability benchmark") as rec:
        an = sw.analyze(sw.ScoreMatrix(chat.name, scores, chat.models, chat.benchmarks), bootstrap=0)
    assert len(an.warnings) == 1 and str(rec[0].message) == an.warnings[0] and rec[0].filename == __file__
    assert "1 warning(s)" in repr(an) and "warning:" in an._repr_html_()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sw.analyze(chat, bootstrap=0)  # a complete panel warns of nothing


def test_one_keyword_name_per_concept_old_names_deprecated():
    chat = sw.load_panel("chat")
    new = sw.analyze(chat, bootstrap=200, seed=1, level=0.9).result("ethics_all").extra
    with pytest.warns(DeprecationWarning, match="'ci' is deprecated; use 'level'"):
        old = sw.analyze(chat, bootstrap=200, seed=1, ci=0.9).result("ethics_all").extra
    assert (old["ci_low"], old["ci_high"]) == (new["ci_low"], new["ci_high"])
    table = read_table(EX / "my_benchmark.csv", lower_is_better=["jailbreak_asr"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sw.SafetywashingWarning)
        a_new = sw.audit(table, chat, bootstrap=150, seed=2)
        with pytest.warns(DeprecationWarning, match="'n_boot' is deprecated; use 'bootstrap'"):
            a_old = sw.audit(table, chat, n_boot=150, seed=2)
    assert a_old.n_boot == a_new.n_boot == 150 and a_old.to_dict()["results"] == a_new.to_dict()["results"]
    cf = pd.read_csv(EX / "claim_release.csv").set_index("model")
    with pytest.warns(DeprecationWarning, match="'n_bootstrap' is deprecated; use 'bootstrap'"):
        c_old = sw.claim(chat, cf.iloc[0], cf.iloc[1], "ethics_all", n_bootstrap=120, seed=0)
    c_new = sw.claim(chat, cf.iloc[0], cf.iloc[1], "ethics_all", bootstrap=120, seed=0)
    assert c_old.n_bootstrap == c_new.n_bootstrap == 120 and c_old.intervals == c_new.intervals
    ms = pd.read_csv(EX / "items_model_scores.csv").set_index("model")["capabilities_score"]
    with pytest.warns(DeprecationWarning, match="'n_boot' is deprecated; use 'bootstrap'"):
        i_old = sw.items([str(EX / "items_long.csv")], model_scores=ms, n_boot=100)
    i_new = sw.items([str(EX / "items_long.csv")], model_scores=ms, bootstrap=100)
    assert i_old.results[0].n_boot == i_new.results[0].n_boot == 100
    harness = Path(__file__).parent / "data" / "harness" / "lm_eval"
    with pytest.warns(DeprecationWarning, match="'fmt' is deprecated; use 'harness'"):
        g_old = sw.ingest([harness], fmt="lm-eval")
    assert g_old.to_frame().equals(sw.ingest([harness], harness="lm-eval").to_frame())
    with pytest.raises(TypeError, match="both 'ci' .* and 'level'"):
        sw.analyze(chat, ci=0.9, level=0.9)
