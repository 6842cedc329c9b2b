"""Every view of the report in a real browser (headless Chromium, as tests/test_report_browser.py): no chart text
collides, the item view's legend agrees with its text, and a screenshot of each view is kept as a test artefact.

One report holds every view: an audit (the README's example), a claim, an item view (the README's item example, whose
decorrelated subset holds a capability-driven item) and the chat and frontier panels. Screenshots go to
``$SW_ARTIFACTS/report-views/`` when ``SW_ARTIFACTS`` is set, else to ``test-artifacts/report-views/`` in the repository
(ignored by git): one PNG per view, named by the view's section id.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pandas as pd
import pytest

import safetywashing as sw
from _browser import find_chromium
from safetywashing.present._report import build_report
from test_report import FIXED, readme_items_doc

CHROMIUM = find_chromium()
REQUIRED = os.environ.get("SW_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None and not REQUIRED,
                       reason="headless Chromium not installed (apt-get install chromium; .ci/run does this)"),
]
READY = "document.body && document.body.getAttribute('data-sw-ready')"
ROOT = Path(__file__).resolve().parent.parent
COLLISIONS = (Path(__file__).parent / "_collisions.js").read_text(encoding="utf-8")
VIEWS = ("audit", "claim", "items", "summary", "panel-0", "panel-1", "results", "methods")


def artefact_dir() -> Path:
    base = Path(os.environ["SW_ARTIFACTS"]) if os.environ.get("SW_ARTIFACTS") else ROOT / "test-artifacts"
    out = base / "report-views"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def page(tmp_path_factory, browser):
    chat, fr = sw.load_panel("chat"), sw.load_panel("frontier")
    results = [sw.analyze(chat, bootstrap=100, seed=0, adjust="fcr"), sw.analyze(fr, score_method="irt", bootstrap=100, seed=0)]
    mine = sw.read_table(ROOT / "examples" / "my_benchmark.csv", lower_is_better=["jailbreak_asr"])
    audit = sw.audit(mine, chat, bootstrap=100).to_dict()
    rows = pd.read_csv(ROOT / "examples" / "claim_release.csv", index_col="model")
    claim = sw.claim(chat, rows.iloc[0], rows.iloc[1], "ethics_all", bootstrap=0).to_dict()
    html = build_report(results, [chat, fr], audit=audit, claim=claim, items=readme_items_doc(), generated=FIXED)
    path = tmp_path_factory.mktemp("views") / "report.html"
    path.write_text(html, encoding="utf-8")
    with browser.page(path.as_uri(), ready_js=READY, timeout=180, width=1200, height=900) as (session, run):
        yield browser, session, run


def test_every_view_renders_without_errors(page):
    b, s, run = page
    assert b.evaluate(s, READY) == "1" and run.errors == [] and run.dialogs == []
    assert b.evaluate(s, "Array.from(document.querySelectorAll('main > section')).map(e => e.id)") == list(VIEWS)


def test_no_chart_text_collides(page):
    """No chart title, axis title, legend entry or annotation overlaps another text or the mode bar, none leaves its
    chart (the item view's y title did, the claim and correlation titles ran under the mode bar)."""
    b, s, _run = page
    assert b.evaluate(s, COLLISIONS) == []


def test_item_view_legend_agrees_with_text(page):
    b, s, _run = page
    legend = b.evaluate(s, "document.querySelector('#items .legend').textContent")
    text = b.evaluate(s, "document.querySelector('#items').textContent")
    assert "decorrelated subset: 18 (ringed)" in legend and "Decorrelated subset of 18 items" in " ".join(text.split())
    n_flag = int(legend.split("capability-driven (LR q < 0.10, discrimination >= 0.5): ")[1].split("other")[0].strip())
    assert f"Capability-driven items: {n_flag} (1 of them in the decorrelated subset)" in " ".join(text.split())


def test_screenshot_of_each_view(page):
    b, s, _run = page
    out = artefact_dir()
    for view in VIEWS:
        x, y, w, h = b.evaluate(s, f"""(() => {{ const r = document.getElementById('{view}').getBoundingClientRect();
                                      return [r.x, r.y + window.scrollY, r.width, r.height]; }})()""")
        clip = {"x": x, "y": y, "width": w, "height": min(h, 6000), "scale": 1}
        png = base64.b64decode(b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                                "clip": clip}, session=s)["data"])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000, view
        (out / f"{view}.png").write_bytes(png)
    assert sorted(p.stem for p in out.glob("*.png")) >= sorted(VIEWS)
