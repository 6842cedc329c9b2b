"""The HTML report and the static figures: content, numbers, escaping, self-containment, formats."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import safetywashing as sw
from safetywashing.present import _chartdata as cd
from safetywashing.present._report import build_report, figure_claim, figure_correlations, report_figures
from safetywashing.sources._registry import area_label

CAPS = ["arc_challenge", "bbh", "gsm8k", "hellaswag", "mmlu", "winogrande"]
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><b>x</b>"
CANARY = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
HOSTILE_BENCH = "</script><b>bench</b>"
FIXED = pd.Timestamp("2024-01-01", tz="UTC").to_pydatetime()


def hostile_matrix() -> sw.ScoreMatrix:
    """8 models (3 with hostile names) x 6 capability benchmarks + a safety and a hostile-named benchmark."""
    rng = np.random.default_rng(7)
    names = [IMG, SCRIPT, CANARY, "$x^2$ & co", "model-e", "model-f", "model-g", "model-h"]
    a = np.linspace(-1.5, 1.5, len(names))
    df = pd.DataFrame({c: 0.5 + 0.12 * a + rng.normal(0, 0.04, len(a)) for c in CAPS}, index=names)
    df["truthfulqa_mc1"] = 0.3 + 0.05 * a + rng.normal(0, 0.03, len(a))
    df[HOSTILE_BENCH] = 0.6 - 0.02 * a + rng.normal(0, 0.05, len(a))
    df.loc["model-h", "truthfulqa_mc1"] = np.nan  # pairwise deletion: n = 7 for this one
    return sw.ScoreMatrix.from_frame(df, name="<svg onload=alert(2)>", roles={HOSTILE_BENCH: "safety"},
                                     source="<img src=x onerror=alert(3)>.csv")


@pytest.fixture(scope="module")
def hostile():
    m = hostile_matrix()
    return sw.analyze(m, bootstrap=0), m


@pytest.fixture(scope="module")
def chat():
    m = sw.load_panel("chat")
    return sw.analyze(m, bootstrap=0), m


@pytest.fixture(scope="module")
def html(hostile, chat):
    (rh, mh), (rc, mc) = hostile, chat
    return build_report([rc, rh], [mc, mh], sources=[f"<a href='http://evil.example'>{IMG}</a>.csv"], generated=FIXED)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text.append(data)


def _markup(html: str) -> str:
    """The page without the contents of its <script> elements (what the browser parses as HTML)."""
    return re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", html, flags=re.S)


def test_report_makes_no_network_request(html):
    p = _Tags()
    p.feed(html)
    tags = {t for t, _ in p.tags}
    assert not tags & {"link", "iframe", "img", "object", "embed", "base", "form", "video", "audio", "source"}
    for tag, attrs in p.tags:
        for k in ("src", "href", "action", "srcset", "poster", "data"):
            v = attrs.get(k)
            if v is not None:
                assert k == "href" and v.startswith("#"), f"<{tag} {k}={v!r}> would load or leave the page"
    assert all("src" not in a for t, a in p.tags if t == "script")
    # a URL in a user's file name is shown as text, never as a link
    assert "&lt;a href=&#39;http://evil.example&#39;&gt;" in _markup(html)
    assert not re.search(r"<[^>]+(https?:)?//", _markup(html), flags=re.I)
    # CSP forbids any connection even if some script tried
    assert "connect-src 'none'" in html and "default-src 'none'" in html
    # plotly.js is embedded, not fetched
    assert len(html) > 3_000_000 and "Plotly" in html


def test_hostile_strings_are_text_not_markup(html, hostile):
    markup = _markup(html)
    for raw in (IMG, SCRIPT, CANARY, HOSTILE_BENCH, "<svg onload=alert(2)>", "<a href='http"):
        assert raw not in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup  # summary source name, table cells
    assert "&lt;/script&gt;&lt;b&gt;bench&lt;/b&gt;" in markup
    # exactly the template's own script elements; a name cannot close one early
    p = _Tags()
    p.feed(html)
    assert [t for t, _ in p.tags].count("script") == html.count("</script>") == 4
    # the data island parses back; strings drawn by plotly are entity-escaped
    island = re.search(r'<script type="application/json" id="sw-data">(.*?)</script>', html, flags=re.S).group(1)
    assert "<" not in island and ">" not in island
    data = json.loads(island)
    rank = data["figures"][1]["ranking"]["data"][0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in rank["text"]
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in rank["text"]
    assert "$x^2$ &amp; co" in rank["text"]


def test_report_sections_and_methods(html):
    for sec in ('id="summary"', 'id="panel-0"', 'id="panel-1"', 'id="results"', 'id="methods"'):
        assert sec in html
    assert 'id="audit"' not in html and 'id="claim"' not in html
    assert "70.8%" in html  # chat PC1 share (paper: 0.708)
    assert "Panel &#39;chat&#39; has 26 models" in html or "Panel 'chat' has 26 models" in html
    # one table row per panel x benchmark
    assert html.count("<tr data-panel=") == 178 + 8


def test_figure_numbers_match_the_analysis(chat):
    res, m = chat
    figs = report_figures([res], [m])[0]
    # Figure 1: every non-capability benchmark, at its correlation
    xs = [x for t in figs["correlations"]["data"] for x in t["x"]]
    want = [r.correlation for r in res.results if r.role != "capability"]
    assert len(xs) == len(want) == 178 - 12
    assert sorted(x for x in xs if x is not None) == pytest.approx(sorted(w for w in want if w is not None))
    # scatter: x = capabilities scores, fit = OLS of the points, title carries r and n
    sc = figs["scatter"]["truthfulqa_mc1"]
    pts = sc["data"][0]
    assert pts["x"] == pytest.approx([res.model_scores[k] for k in m.scores.index if k in res.model_scores])
    b, a = np.polyfit(pts["x"], pts["y"], 1)
    line = sc["data"][1]
    assert line["y"][0] == pytest.approx(a + b * line["x"][0]) and line["y"][1] == pytest.approx(a + b * line["x"][1])
    title = sc["layout"]["title"]["text"].replace("<br>", " ")
    assert "r = +0.81" in title and "n = 26" in title
    # heatmap = Spearman correlation of the capability columns over complete models
    z = np.array(figs["heatmap"]["data"][0]["z"], dtype=float)
    caps = list(res.capability_benchmarks)
    want_c = scipy.stats.spearmanr(m.scores[caps].dropna().to_numpy()).statistic
    assert z == pytest.approx(want_c)
    # scree: eigenvalues of that matrix, summing to the number of benchmarks
    ev = figs["scree"]["data"][0]["y"]
    assert ev == pytest.approx(sorted(np.linalg.eigvalsh(want_c))[::-1]) and sum(ev) == pytest.approx(len(caps))
    # ranking: descending capabilities score
    rk = figs["ranking"]["data"][0]["x"]
    assert rk == sorted(rk, reverse=True) and rk[0] == pytest.approx(max(res.model_scores.values()))


def test_pairwise_n_in_scatter(hostile):
    res, m = hostile
    d = cd.scatter_data(res, m, "truthfulqa_mc1")
    assert d["n"] == 7 == res.result("truthfulqa_mc1").n
    assert "model-h" not in d["models"]


def test_whiskers_and_methods_follow_bootstrap_settings(chat):
    res, m = chat
    rows = tuple(
        dataclasses.replace(r, extra={"ci_low": (r.correlation or 0) - 0.1, "ci_high": (r.correlation or 0) + 0.05,
                                      "n_boot_used": 1000, "p_value": 0.01})
        for r in res.results
    )
    boot = dataclasses.replace(res, results=rows, settings={"method": "spearman", "bootstrap": 1000, "ci": 0.9,
                                                            "ci_method": "percentile", "seed": 42})
    fig = figure_correlations(boot)
    t = fig["data"][0]
    assert t["error_x"]["array"] == pytest.approx([0.05] * len(t["x"]))
    assert t["error_x"]["arrayminus"] == pytest.approx([0.1] * len(t["x"]))
    assert "whiskers" in fig["layout"]["title"]["text"].replace("<br>", " ")
    assert "error_x" not in figure_correlations(res)["data"][0]
    text = cd.methods_text(boot)
    assert "90% bootstrap" in text and "1000 resamples" in text and "seed 42" in text
    assert "No bootstrap" in cd.methods_text(res)
    html = build_report([boot], [m], generated=FIXED)
    assert "CI low" in html and ">p</th>" in html and "(90% CI, seed 42)" in html


def test_methods_text_states_actual_parameters():
    m = sw.load_panel("base")
    res = sw.analyze(m, capabilities=["mmlu", "gsm8k", "bbh"], method="pearson", bootstrap=0)
    text = cd.methods_text(res)
    assert "Pearson" in text and "3 capability benchmarks (mmlu, gsm8k, bbh)" in text
    assert f"{res.pc1_variance_explained:.1%}" in text and "27 models" in text


def test_audit_view_up_front_and_claim_split(chat):
    res, m = chat
    audit = {
        "panel": "chat", "matched": [{"input_name": IMG, "model": "Llama-2-7b-chat-hf"}], "unmatched": [SCRIPT],
        "results": [{"benchmark": "mybench", "name": "My <i>bench</i>", "correlation": 0.9, "n": 4, "verdict": "uncertain",
                     "ci_low": 0.2, "ci_high": 0.99}],
        "points": [{"input_name": IMG, "model": "m1", "capabilities_score": -1.0, "mybench": 0.2},
                   {"input_name": "b", "model": "m2", "capabilities_score": 0.0, "mybench": 0.45},
                   {"input_name": "c", "model": "m3", "capabilities_score": 1.0, "mybench": 0.6},
                   {"input_name": "d", "model": "m4", "capabilities_score": 2.0, "mybench": None}],
    }
    claim = {"benchmark": "truthfulqa_mc1", "panel": "chat", "capability_score_before": -1.0, "capability_score_after": 1.0,
             "observed_change": 0.08, "predicted_change": 0.05, "beyond_capabilities": 0.03, "share_explained": 0.6,
             "slope": 0.025, "intercept": 0.4}
    html = build_report([res], [m], audit=audit, claim=claim, generated=FIXED)
    assert html.index('id="audit"') < html.index('id="claim"') < html.index('id="summary"')
    assert "My &lt;i&gt;bench&lt;/i&gt;" in html and IMG not in _markup(html)
    data = json.loads(re.search(r'id="sw-data">(.*?)</script>', html, flags=re.S).group(1))
    a = data["extra"]["audit"]["a0"]
    assert a["data"][0]["x"] == [-1.0, 0.0, 1.0]  # the point without a value is left out
    b, c = np.polyfit([-1.0, 0.0, 1.0], [0.2, 0.45, 0.6], 1)
    assert a["data"][1]["y"][0] == pytest.approx(c + b * -1.0)
    # claim: before on the fit line, predicted arrow then beyond arrow
    f = figure_claim(claim, res, m)
    yb = 0.4 + 0.025 * -1.0
    pred_arrow, beyond_arrow = f["layout"]["annotations"][:2]
    assert (pred_arrow["ax"], pred_arrow["ay"]) == pytest.approx((-1.0, yb))
    assert (pred_arrow["x"], pred_arrow["y"]) == pytest.approx((1.0, yb + 0.05))
    assert (beyond_arrow["x"], beyond_arrow["y"]) == pytest.approx((1.0, yb + 0.08))
    assert "beyond capabilities +0.03" in f["layout"]["title"]["text"].replace("<br>", " ")
    assert "60% explained" in f["layout"]["title"]["text"].replace("<br>", " ")


CLAIM_DICT = {  # the shape of ``claim --format json``: before/after values, panel points, bootstrap intervals
    "panel": "chat", "benchmark": "truthfulqa_mc1", "benchmark_name": "TruthfulQA <MC1>",
    "capability_score_before": 0.0, "capability_score_after": 2.0, "benchmark_before": 0.30, "benchmark_after": 0.40,
    "observed_change": 0.10, "predicted_change": 0.06, "beyond_capabilities": 0.04, "share_explained": 0.6,
    "slope": 0.03, "intercept": 0.31, "beyond_capabilities_ci_low": -0.01, "beyond_capabilities_ci_high": 0.09,
    "before": {"model": IMG, "capabilities_score": 0.0, "value": 0.30},
    "after": {"model": "after-model", "capabilities_score": 2.0, "value": 0.40},
    "panel_points": [{"model": "p1", "name": SCRIPT, "capabilities_score": -1.0, "value": 0.28},
                     {"model": "p2", "name": "P2", "capabilities_score": 1.0, "value": 0.35},
                     {"model": "p3", "name": "P3", "capabilities_score": 3.0, "value": None}],
    "verdict": "Most of the gain is what the capability gain predicts.",
}


def test_claim_view_from_claim_json_shape():
    f = figure_claim(CLAIM_DICT, None, None)
    panel, fit, ba = f["data"][:3]
    assert [t["name"] for t in f["data"][3:]] == ["predicted by capabilities: +0.06", "beyond capabilities: +0.04"]
    assert panel["x"] == [-1.0, 1.0] and panel["y"] == [0.28, 0.35]  # the point without a value is left out
    assert panel["text"] == ["&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;", "P2"]
    assert fit["y"] == pytest.approx([0.31 + 0.03 * -1.0, 0.31 + 0.03 * 2.0])
    assert ba["y"] == pytest.approx([0.30, 0.40]) and ba["text"][0] == "&lt;img src=x onerror=alert(1)&gt;"
    pred_arrow, beyond_arrow = f["layout"]["annotations"][:2]
    assert (pred_arrow["x"], pred_arrow["y"]) == pytest.approx((2.0, 0.36))
    assert (beyond_arrow["ax"], beyond_arrow["ay"], beyond_arrow["y"]) == pytest.approx((2.0, 0.36, 0.40))
    t = f["layout"]["title"]["text"].replace("<br>", " ")
    assert t.startswith("Claim on TruthfulQA &lt;MC1&gt;") and "[-0.01, +0.09]" in t
    # with the prediction interval (claim JSON since it exists) the title shows it and the decision instead
    t2 = figure_claim({**CLAIM_DICT, "beyond_capabilities_pi_low": -0.08, "beyond_capabilities_pi_high": 0.16,
                       "beyond_capabilities_supported": False}, None, None)["layout"]["title"]["text"].replace("<br>", " ")
    assert "[-0.08, +0.16] prediction interval, not supported" in t2 and "[-0.01, +0.09]" not in t2


def test_report_is_deterministic(hostile):
    res, m = hostile
    assert build_report([res], [m], generated=FIXED) == build_report([res], [m], generated=FIXED)


def test_build_report_rejects_mismatched_inputs(hostile):
    res, m = hostile
    with pytest.raises(sw.InputError):
        build_report([res], [])
    with pytest.raises(sw.InputError):
        build_report([], [])


def test_cold_start_does_not_import_plotting_libraries():
    code = (
        "import sys, safetywashing, safetywashing.cli; "
        "bad = [m for m in ('plotly', 'matplotlib', 'jinja2') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- CLI


def test_cli_report_writes_one_file(cli, tmp_path):
    out = tmp_path / "report.html"
    proc = cli("report", "--panel", "chat", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'id="panel-0"' in text
    assert re.search(r"wrote .*report\.html \(\d+\.\d MB, \d+\.\d s\)", proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # atomic: no temporary left


@pytest.mark.parametrize(
    "args,needle",
    [
        (["report", "--output", "r.txt"], ".html"),
        (["report", "--panel", "nope", "--output", "r.html"], "--panel"),
        (["report", "--method", "kendall", "--output", "r.html"], "method"),
        (["figures", "--output-dir", "f", "--format", "jpg"], "--format"),
        (["figures", "--output-dir", "f", "--benchmarks", "truthfulqa_mc2"], "truthfulqa_mc2"),
        (["figures", "--output-dir", "f", "--dpi", "5"], "--dpi"),
    ],
)
def test_cli_bad_options_exit_2_one_line(cli, tmp_path, args, needle):
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def _check_png(b: bytes) -> None:
    import matplotlib.image

    assert b[:8] == b"\x89PNG\r\n\x1a\n"
    import io

    img = matplotlib.image.imread(io.BytesIO(b), format="png")
    assert img.shape[1] == pytest.approx(3.4 * 150, abs=2)  # one paper column at the requested dpi
    assert img[..., :3].std() > 0.05  # not a blank canvas


def _check_svg(b: bytes) -> None:
    root = ET.fromstring(b)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width", "").endswith("pt") and float(root.get("width")[:-2]) == pytest.approx(3.4 * 72, abs=1)
    assert len(list(root.iter())) > 50


def _check_pdf(b: bytes) -> None:
    assert b.startswith(b"%PDF-") and b.rstrip().endswith(b"%%EOF")
    assert b"/Type /Page" in b or b"/Type/Page" in b
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", b)
    assert box and float(box.group(1)) == pytest.approx(3.4 * 72, abs=1)


def test_cli_figures_all_three_formats(cli, tmp_path):
    out = tmp_path / "figs"
    proc = cli("figures", "--panel", "chat", "--format", "png,svg,pdf", "--benchmarks", "truthfulqa_mc1",
               "--dpi", "150", "--bootstrap", "200", "--output-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    stems = ["chat_correlations", "chat_scree", "chat_heatmap", "chat_ranking", "chat_scatter_truthfulqa_mc1"]
    want = sorted(f"{s}.{f}" for s in stems for f in ("png", "svg", "pdf"))
    assert sorted(p.name for p in out.iterdir()) == want
    for p in out.iterdir():
        b = p.read_bytes()
        assert len(b) > 10_000, p.name
        {"png": _check_png, "svg": _check_svg, "pdf": _check_pdf}[p.suffix[1:]](b)
    assert "wrote 15 figure file(s)" in proc.stderr


def test_render_figures_api_names_and_bytes(hostile):
    res, m = hostile
    seen = []
    out = dict(sw.render_figures([res], [m], formats=["svg"], benchmarks=[HOSTILE_BENCH], progress=seen.append))
    p = "svg_onload_alert_2"  # the hostile panel name, made safe for a file name
    kinds = ("correlations", "scree", "heatmap", "ranking", "scatter_script_b_bench_b")
    assert sorted(out) == sorted(f"{p}_{k}.svg" for k in kinds)
    assert seen == list(out) and all(v.startswith(b"<?xml") for v in out.values())
    with pytest.raises(sw.UnknownIdError, match="nope"):
        list(sw.render_figures([res], [m], benchmarks=["nope"]))
    from safetywashing.present._figures import figure_plan

    twice = [stem for stem, _ in figure_plan([res, res], [m, m], benchmarks=[])]
    assert len(set(twice)) == len(twice) == 8 and f"{p}1_scree" in twice and f"{p}2_scree" in twice
    with pytest.raises(sw.InputError, match="jpg"):
        list(sw.render_figures([res], [m], formats=["jpg"]))


def test_figures_escape_and_are_deterministic(hostile):
    from safetywashing.present import _figures as F

    res, m = hostile
    fig = F.plot_ranking(res, m)
    svg = F.figure_bytes(fig, "svg")
    assert svg == F.figure_bytes(F.plot_ranking(res, m), "svg")  # same input, same bytes
    text = svg.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "<img" not in text
    assert "$x^2$ &amp; co" in text  # '$' stays literal, not mathtext
    for plot in (F.plot_correlations(res), F.plot_scatter(res, m, HOSTILE_BENCH), F.plot_heatmap(res, m)):
        assert F.figure_bytes(plot, "pdf").startswith(b"%PDF-")
    assert F.figure_bytes(F.plot_scree(res), "pdf") == F.figure_bytes(F.plot_scree(res), "pdf")


def readme_items_doc() -> dict:
    """The README's item example (``items examples/items_long.csv --model-scores ...``) as ``--format json`` has it."""
    root = Path(__file__).resolve().parent.parent
    scores = pd.read_csv(root / "examples" / "items_model_scores.csv")
    s = pd.Series(scores.iloc[:, 1].to_numpy(dtype=float), index=scores.iloc[:, 0].astype(str))
    return sw.items([root / "examples" / "items_long.csv"], model_scores=s).to_dict()


def test_item_view_legend_and_text_agree():
    """The README example's subset holds one capability-driven item: the legend said 17 subset items, the text 18."""
    from safetywashing.present._item_view import items_view
    from safetywashing.present._report import _layout

    doc = readme_items_doc()
    bench = doc["benchmarks"][0] if "benchmarks" in doc else doc
    subset = set(bench["subset"]["items"])
    flagged = {it["item"] for it in bench["items"] if it["capability_driven"]}
    assert len(subset) == 18 and len(subset & flagged) == 1  # the case of the issue (counted from the JSON)
    extra: dict = {}
    view = items_view(doc, extra, _layout)
    row = view["rows"][0]
    legend = [t["name"] for t in extra["items"]["i0"]["data"]]
    assert f"decorrelated subset: {row['subset_n']} (ringed)" in legend and row["subset_n"] == 18
    assert f"capability-driven (LR q < 0.10, discrimination >= 0.5): {row['n_flagged']}" in legend
    assert row["n_flagged"] == len(flagged)
    assert row["subset_flagged"] == 1
    ring = extra["items"]["i0"]["data"][-1]
    assert sorted(ring["text"]) == sorted(subset)


def test_report_uses_the_figures_palette(chat):
    from safetywashing.present._report import figure_over_time

    res, _m = chat
    f = figure_correlations(res)
    for t in f["data"]:
        area = next(a for a in cd.AREA_STYLE if area_label(a) == t["name"])
        assert (t["marker"]["color"], t["marker"]["symbol"]) == cd.area_style(area)
    heads = [x for x in f["layout"]["yaxis"]["ticktext"] if x.startswith("<b>")]
    assert len(heads) == len(f["data"]) and "<b>Machine ethics (30)</b>" in heads  # every area labelled with its size
    fr = sw.load_panel("frontier")
    ot = figure_over_time(sw.analyze(fr, score_method="irt", bootstrap=0), fr)
    colours = {t["marker"]["color"] for t in ot["data"] if t.get("mode") == "markers"}
    assert colours <= set(cd.OKABE_ITO) | {cd.NEUTRAL}
    assert "GPQA diamond" in ot["layout"]["yaxis"]["title"]["text"]
    assert any(t["name"] == "same-day variants (19 groups, 44 models)" for t in ot["data"])
