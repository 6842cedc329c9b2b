"""The report's item view in a real browser (headless Chromium, as tests/test_report_browser.py).

Builds the view from a real ``items`` result on synthetic two-trait data whose
item ids include hostile markup, then checks: every item drawn as one point,
the flagged (capability-driven) items in their own trace, the subset listed,
no console error, no dialog, the markup shown as text.
"""

from __future__ import annotations

import os

import pytest

import safetywashing as sw
from _browser import find_chromium
from safetywashing.commands._items import ItemMatrix, items
from safetywashing.present._report import build_report
from safetywashing.sources._item_synth import draw_models, make_items
from test_report import FIXED, IMG, SCRIPT, hostile_matrix

CHROMIUM = find_chromium()
REQUIRED = os.environ.get("SW_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None and not REQUIRED,
                       reason="headless Chromium not installed (apt-get install chromium; .ci/run does this)"),
]
READY = "document.body && document.body.getAttribute('data-sw-ready')"


def test_item_view_renders(tmp_path, browser):
    bank = make_items({"capability": 10, "safety": 10, "noise": 4}, seed=1)
    d = draw_models(bank, 60, seed=2)
    names = [SCRIPT, IMG] + [f"item-{j}" for j in range(2, 24)]
    mat = ItemMatrix(f"bench {IMG}", tuple(f"m{i}" for i in range(60)), tuple(names), d.y)
    doc = items([mat], model_scores={f"m{i}": float(d.score[i]) for i in range(60)}, bootstrap=200).to_dict()
    n_flag = sum(it["capability_driven"] for it in doc["items"])
    assert 5 <= n_flag < 24
    drawn = sum(it["correlation"] is not None for it in doc["items"])  # constant items have no correlation: not drawn
    assert drawn >= 20
    panel = hostile_matrix()  # a small panel beside the item view: the page renders in a fraction of the chat panel's time
    path = tmp_path / "items.html"
    path.write_text(build_report([sw.analyze(panel, bootstrap=0)], [panel], items=doc, generated=FIXED), encoding="utf-8")
    b = browser
    with b.page(path.as_uri(), ready_js=READY, timeout=120, width=1100, height=1000) as (s, run):
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
