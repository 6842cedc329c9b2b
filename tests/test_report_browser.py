"""The report in a real browser: headless Chromium (Debian's ``chromium``; CI installs it, no download).

Opens the generated file, waits for every chart, and checks: charts rendered
(plotly SVG present, one dot per benchmark), no console error or uncaught
exception, no request other than the file itself and inline ``data:`` images,
hostile model / benchmark / panel names inert (no element, no dialog, shown as
text), the scatter picker and the table sorting work; saves a screenshot. A
second page holds the audit, claim and item views (the item view from a real
``items`` result on synthetic two-trait data whose item ids include hostile
markup) beside the small hostile panel.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import safetywashing as sw
from _browser import find_chromium
from safetywashing.commands._items import ItemMatrix, items
from safetywashing.present._report import build_report
from safetywashing.sources._item_synth import draw_models, make_items
from test_report import CANARY, CLAIM_DICT, FIXED, HOSTILE_BENCH, IMG, SCRIPT, hostile_matrix

CHROMIUM = find_chromium()
REQUIRED = os.environ.get("SW_REQUIRE_BROWSER") == "1"  # set by .ci/run: CI fails instead of skipping
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None and not REQUIRED,
                       reason="headless Chromium not installed (apt-get install chromium; .ci/run does this)"),
]
READY = "document.body && document.body.getAttribute('data-sw-ready')"


@pytest.fixture(scope="module")
def page(tmp_path_factory, browser):
    chat = sw.load_panel("chat")
    hostile = hostile_matrix()
    results = [sw.analyze(chat, bootstrap=0), sw.analyze(hostile, bootstrap=0)]
    html = build_report(results, [chat, hostile], sources=[f"{IMG}.csv"],
                        generated=FIXED)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html, encoding="utf-8")
    with browser.page(path.as_uri(), ready_js=READY, timeout=120, width=1280, height=1400) as (session, run):
        yield browser, session, run, path


def js(page, expr: str):
    b, session, _run, _path = page
    return b.evaluate(session, expr)


def test_charts_rendered_without_errors(page):
    _b, _s, run, _path = page
    assert js(page, READY) == "1", js(page, "window.__swErrors")
    assert run.errors == [] and js(page, "window.__swErrors") == []
    assert run.dialogs == []
    # 2 panels x (correlations, scatter, scree, heatmap, ranking)
    assert js(page, "document.querySelectorAll('.js-plotly-plot').length") == 10
    assert js(page, "document.querySelectorAll('.js-plotly-plot svg.main-svg').length") >= 20
    # Figure 1 of the chat panel: one dot per non-capability benchmark (178 - 12)
    assert js(page, "document.querySelectorAll('#fig-0-correlations .scatterlayer .point').length") == 166
    # the heatmap is drawn (plotly paints it as an inline image inside the SVG)
    assert js(page, "document.querySelectorAll('#fig-0-heatmap .heatmaplayer image').length") == 1
    assert js(page, "document.querySelectorAll('#fig-0-ranking .bars .point').length") == 26
    assert js(page, "document.getElementById('sw-errors').style.display") != "block"


def test_no_network_request(page):
    _b, _s, run, path = page
    assert path.as_uri() in run.requests
    others = [u for u in run.requests if u != path.as_uri() and not u.startswith("data:")]
    assert others == []
    # and the page cannot fetch: the CSP forbids connections
    ok = js(page, "fetch('data:text/plain,x').then(() => 'fetched', () => 'blocked')")
    assert ok == "blocked"


def test_hostile_names_are_inert_text(page):
    assert js(page, "document.querySelectorAll('img, b, i, a:not([href^=\"#\"])').length") == 0
    assert js(page, "document.querySelectorAll('svg svg').length") == 0  # no injected <svg onload>
    assert js(page, "document.body.getAttribute('data-pwned')") is None
    _b, _s, run, _path = page
    assert run.dialogs == []
    ticks = js(page, "Array.from(document.querySelectorAll('#fig-1-ranking .ytick text')).map(t => t.textContent)")
    assert IMG in ticks and SCRIPT in ticks and CANARY in ticks and "$x^2$ & co" in ticks
    cells = js(page, "Array.from(document.querySelectorAll('#results-table td')).map(t => t.textContent)")
    assert HOSTILE_BENCH in cells and "<svg onload=alert(2)>" in cells
    assert f"{IMG}.csv" in js(page, "document.getElementById('summary').textContent")
    # hover labels go through the same escaping: hover every bar of the hostile panel's ranking
    b, session, run, _path = page
    js(page, "document.getElementById('fig-1-ranking').scrollIntoView()")
    boxes = js(page, """Array.from(document.querySelectorAll('#fig-1-ranking .bars .point path')).map(p => {
                          const r = p.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })""")
    labels = []
    for x, y in boxes:
        b.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, session=session)
        labels.append(js(page, """(async () => { await new Promise(r => setTimeout(r, 150));
            return (document.querySelector('#fig-1-ranking .hovertext') || {}).textContent || ''; })()"""))
    assert any(IMG in t for t in labels) and any(SCRIPT in t for t in labels), labels
    assert js(page, "document.querySelectorAll('img, b').length") == 0 and run.dialogs == []


def test_scatter_picker_and_table_sort(page):
    title = "document.querySelector('#fig-0-scatter .gtitle').textContent"
    first = js(page, title)
    js(page, """(async () => {
        const s = document.querySelector("input[data-search='0']");
        s.value = 'truthfulqa mc1'; s.dispatchEvent(new Event('input'));
        await new Promise(r => setTimeout(r, 300)); })()""")
    assert js(page, "document.querySelector(\"select[data-select='0']\").value") == "truthfulqa_mc1"
    assert js(page, title).startswith("TruthfulQA MC1: r = +0.81") and js(page, title) != first
    # sort the results table by r (ascending), then filter by verdict
    js(page, "document.querySelectorAll('#results-table th')[5].click()")
    vals = js(page, """Array.from(document.querySelectorAll('#results-table tbody tr'))
                        .map(tr => tr.cells[5].getAttribute('data-v')).filter(v => v !== '').map(Number)""")
    assert vals == sorted(vals) and len(vals) > 150
    js(page, "const v = document.getElementById('tbl-verdict'); v.value = 'high'; v.dispatchEvent(new Event('change'))")
    shown = js(page, """Array.from(document.querySelectorAll('#results-table tbody tr'))
                         .filter(tr => tr.style.display !== 'none').map(tr => tr.getAttribute('data-verdict'))""")
    assert shown and set(shown) == {"high"}


def test_screenshot_saved(page, tmp_path):
    b, session, _run, _path = page
    png = b.screenshot(session)
    out = tmp_path / "report.png"
    out.write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    keep = os.environ.get("SW_ARTIFACTS")  # CI can keep the screenshot: SW_ARTIFACTS=dir
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / "report.png")
    print(json.dumps({"screenshot": str(out), "bytes": len(png)}))


@pytest.fixture(scope="module")
def views(tmp_path_factory, browser):
    """One page with the audit, claim and item views beside the small hostile panel (names with markup everywhere):
    ``(browser, session, run, items doc)``."""
    m = hostile_matrix()
    audit = {"panel": "chat", "matched": [], "unmatched": [IMG],
             "results": [{"benchmark": "mine", "name": SCRIPT, "correlation": 0.5, "n": 3, "verdict": "moderate"}],
             "points": [{"input_name": IMG, "model": "a", "capabilities_score": -1, "mine": 0.1},
                        {"input_name": "b", "model": "b", "capabilities_score": 0, "mine": 0.3},
                        {"input_name": "c", "model": "c", "capabilities_score": 1, "mine": 0.2}]}
    # a real ``items`` result on synthetic two-trait data whose item ids include hostile markup
    bank = make_items({"capability": 10, "safety": 10, "noise": 4}, seed=1)
    d = draw_models(bank, 60, seed=2)
    names = [SCRIPT, IMG] + [f"item-{j}" for j in range(2, 24)]
    mat = ItemMatrix(f"bench {IMG}", tuple(f"m{i}" for i in range(60)), tuple(names), d.y)
    doc = items([mat], model_scores={f"m{i}": float(d.score[i]) for i in range(60)}, bootstrap=200).to_dict()
    path = tmp_path_factory.mktemp("views") / "views.html"
    path.write_text(build_report([sw.analyze(m, bootstrap=0)], [m], audit=audit, claim=CLAIM_DICT, items=doc,
                                 generated=FIXED), encoding="utf-8")
    with browser.page(path.as_uri(), ready_js=READY, timeout=120, width=1100, height=1000) as (session, run):
        yield browser, session, run, doc


def test_audit_and_claim_views_render(views):
    b, s, run, _doc = views
    assert b.evaluate(s, READY) == "1" and run.errors == [] and run.dialogs == []
    assert b.evaluate(s, "document.querySelectorAll('#audit .js-plotly-plot .scatterlayer .point').length") == 3
    assert b.evaluate(s, "document.querySelectorAll('#claim .js-plotly-plot .annotation').length") >= 2
    assert b.evaluate(s, "document.querySelectorAll('img, b').length") == 0
    assert SCRIPT in b.evaluate(s, "document.querySelector('#audit h3').textContent")


def test_item_view_renders(views):
    """The item view: every item drawn as one point, the flagged (capability-driven) items in their own trace, the
    subset listed, no console error, no dialog, the markup shown as text."""
    b, s, run, doc = views
    n_flag = sum(it["capability_driven"] for it in doc["items"])
    assert 5 <= n_flag < 24
    drawn = sum(it["correlation"] is not None for it in doc["items"])  # constant items have no correlation: not drawn
    assert drawn >= 20
    assert b.evaluate(s, READY) == "1" and run.errors == [] and run.dialogs == []
    n_sub = len(doc["subset"]["items"])
    assert b.evaluate(s, "document.querySelectorAll('#items .js-plotly-plot .scatterlayer .point').length") == drawn + n_sub
    traces = b.evaluate(s, "Array.from(document.querySelectorAll('#items .js-plotly-plot .scatterlayer .trace'))"
                           ".map(t => t.querySelectorAll('.point').length)")
    # filled dots: the flagged items, then the others (every drawn item once); blue rings: the subset
    assert traces[0] == n_flag and sum(traces[:2]) == drawn and traces[2] == n_sub
    legend = b.evaluate(s, "document.querySelector('#items .legend').textContent")
    assert f"capability-driven (LR q < 0.10, discrimination >= 0.5): {n_flag}" in legend
    assert f"decorrelated subset: {n_sub}" in legend
    assert "correlation with capabilities" in b.evaluate(s, "document.querySelector('#items .js-plotly-plot').textContent")
    assert IMG in b.evaluate(s, "document.querySelector('#items h3').textContent")
    assert b.evaluate(s, "document.querySelectorAll('img, b').length") == 0
    listed = b.evaluate(s, "document.querySelector('#items .subset-items').textContent")
    assert all(i in listed for i in doc["subset"]["items"])
