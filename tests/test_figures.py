"""Static figures that go into a paper unchanged (issue 20, item 1; ``result.plot`` of item 2).

Every figure of the three embedded panels is drawn at one column (3.4 in) and at two (7 in); the test fails when a
text's window extent (matplotlib's renderer, Agg) leaves the canvas or two texts overlap. The check is written here,
independently of the package's own ``layout_problems``. Figures are laid out without rasterising
(``draw_without_rendering``) to keep the test fast.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

import safetywashing as sw
from safetywashing.cli._common import score_method_for
from safetywashing.present import _chartdata as cd
from safetywashing.present import _figures as F
from safetywashing.sources._registry import AREA_LABELS

ROOT = Path(__file__).resolve().parent.parent
PANELS = ("chat", "base", "frontier")
WIDTHS = (3.4, 7.0)


@pytest.fixture(scope="module")
def analyses():
    """One analysis per panel as the ``figures`` command makes it (bootstrap whiskers, fcr), fewer resamples."""
    out = {}
    for p in PANELS:
        m = sw.load_panel(p)
        out[p] = (sw.analyze(m, bootstrap=100, seed=0, adjust="fcr", score_method=score_method_for(None, p)), m)
    return out


def drawn_texts(fig: Figure) -> list[tuple[Text, object]]:
    """(text, window extent) of every visible non-empty text that is drawn (tick labels outside the view are not)."""
    fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - 1e-9 * (hi - lo) <= tick.get_loc() <= hi + 1e-9 * (hi - lo):
                    hidden |= {id(tick.label1), id(tick.label2)}
    return [(t, t.get_window_extent(r)) for t in fig.findobj(Text)
            if id(t) not in hidden and t.get_visible() and t.get_text().strip()]


def problems(fig: Figure, boxes: list | None = None) -> list[str]:
    """Texts leaving the canvas and pairs of overlapping texts (more than half a pixel each way)."""
    boxes = drawn_texts(fig) if boxes is None else boxes
    w, h = fig.canvas.get_width_height()
    out = [f"outside: {t.get_text()!r}" for t, b in boxes if b.x0 < -0.5 or b.y0 < -0.5 or b.x1 > w + 0.5 or b.y1 > h + 0.5]
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        if min(ba.x1, bb.x1) - max(ba.x0, bb.x0) > 0.5 and min(ba.y1, bb.y1) - max(ba.y0, bb.y0) > 0.5:
            out.append(f"overlap: {a.get_text()!r} / {b.get_text()!r}")
    return out


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("panel", PANELS)
def test_every_figure_fits_without_overprint(analyses, panel, width):
    res, m = analyses[panel]
    plan = F.figure_plan([res], [m], width=width)
    assert len(plan) >= 3
    bad = {}
    for stem, make in plan:
        fig = make()
        assert fig.get_figwidth() == pytest.approx(width)
        assert fig.get_figheight() <= 9.0, f"{stem}: taller than a page"
        boxes = drawn_texts(fig)
        found = problems(fig, boxes)
        if found:
            bad[stem] = found
        # every figure says its n and which way is better on an axis
        texts = [t.get_text() for t, _ in boxes]
        assert any("n = " in t for t in texts), f"{stem}: no n"
        labels = [ax.get_xlabel() + " " + ax.get_ylabel() for ax in fig.axes]
        assert any("higher" in lab for lab in labels), f"{stem}: no axis says its direction: {labels}"
    assert not bad, bad


def test_frontier_correlations_is_not_empty(analyses):
    res, m = analyses["frontier"]
    fig = F.plot_correlations(res)
    assert fig.get_figheight() > 3  # was a 1.1 in strip with one row
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == len(cd.correlation_rows(res)) == 39 and "GPQA diamond" in ticks


def test_over_time_names_anchor_and_marks_same_day_variants(analyses):
    res, m = analyses["frontier"]
    # same family, same release date, two or more scored models: counted here with pandas, independently
    info = m.models.loc[list(res.model_scores)].copy()
    info = info[info["family"].fillna("") != ""]
    sizes = info.groupby(["family", "release_date"]).size()
    groups, models = int((sizes > 1).sum()), int(sizes[sizes > 1].sum())
    assert (groups, models) == (19, 44)  # 21 clusters of the issue less the 2 of models with no family
    fig = F.plot_over_time(res, m, width=7.0)
    ax = fig.axes[0]
    assert "GPQA diamond" in ax.get_ylabel().replace("\n", " ")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"same-day variants ({groups} groups, {models} models)" in legend
    assert len([ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2]) == groups  # one vertical line per group
    labels = [t.get_text() for t in ax.texts]
    assert labels and not any(t in labels for t in ("GPT-5 (high)", "GPT-5 (medium)"))  # a group is labelled once
    assert any("variants)" in t for t in labels)


def test_scatter_labels_do_not_overprint(analyses):
    """Mixtral 8x22B and Llama 3 70B sat on each other in the chat panel's HaluEval Dialogue scatter."""
    res, m = analyses["chat"]
    fig = F.plot_scatter(res, m, "halueval_dialogue")
    assert problems(fig) == []
    assert len(fig.axes[0].texts) >= 2


def test_palette_is_colour_blind_safe_and_distinct_per_area():
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    areas = [a for a in AREA_LABELS if a]
    styles = [cd.area_style(a) for a in areas]
    assert all(c in okabe_ito for c, _ in styles)
    assert len(set(styles)) == len(areas)  # one (colour, marker) pair per area
    for a, b in [("jailbreak_robustness", "power_seeking"), ("safety_knowledge", "toxicity"),
                 ("machine_ethics", "scalable_oversight")]:  # the pairs the issue found indistinguishable
        assert cd.area_color(a) != cd.area_color(b)
    assert cd.area_style("my_own_area")[1] == "diamond"  # a user's area never takes a known pair


def test_width_option(cli, tmp_path):
    proc = cli("figures", "--panel", "frontier", "--bootstrap", "0", "--width", "page", "--dpi", "50",
               "--output-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    from matplotlib.image import imread

    img = imread(tmp_path / "frontier_over_time.png")
    assert img.shape[1] == 350  # 7 in at 50 dpi
    bad = cli("figures", "--panel", "chat", "--width", "wide", "--output-dir", str(tmp_path))
    assert bad.returncode == 2 and "--width" in bad.stderr and "Traceback" not in bad.stderr
    assert cli("figures", "--panel", "chat", "--width", "20", "--output-dir", str(tmp_path)).returncode == 2


def _labelled(fig) -> bool:
    """A Figure whose every axes says what it shows: an axis label, or tick labels that are names (a heatmap)."""
    def named(ax) -> bool:
        ticks = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        return bool(ax.get_xlabel() or ax.get_ylabel()) or any(any(c.isalpha() for c in t) for t in ticks)

    return isinstance(fig, Figure) and bool(fig.axes) and all(named(ax) for ax in fig.axes)


@pytest.mark.parametrize("kind", ["correlations", "scatter", "scree", "heatmap", "ranking", "over_time"])
def test_analysis_plot_method(analyses, kind):
    res, m = analyses["frontier"] if kind == "over_time" else analyses["chat"]
    kw = {"benchmark": "halueval_dialogue"} if kind == "scatter" else {}
    fig = res.plot(kind, **kw) if kind != "over_time" else res.plot(kind, matrix=m)
    assert _labelled(fig) and fig.get_figwidth() == pytest.approx(3.4)
    assert sw.plot(res, kind, matrix=m, **kw).get_figwidth() == pytest.approx(3.4)


def test_plot_method_errors_and_width(analyses):
    res, m = analyses["chat"]
    assert res.plot("ranking", width="page").get_figwidth() == pytest.approx(7.0)
    with pytest.raises(sw.InputError, match="kind"):
        res.plot("pie")
    with pytest.raises(sw.InputError, match="benchmark="):
        res.plot("scatter")
    mine = sw.ScoreMatrix.from_frame(m.scores, name="mine")  # not an embedded panel: needs matrix=
    with pytest.raises(sw.InputError, match="matrix="):
        sw.analyze(mine, bootstrap=0).plot("ranking")
    assert _labelled(sw.analyze(mine, bootstrap=0).plot("ranking", matrix=mine))


def test_audit_and_claim_plot_methods():
    chat = sw.load_panel("chat")
    mine = sw.read_table(ROOT / "examples" / "my_benchmark.csv", lower_is_better=["jailbreak_asr"])
    a = sw.audit(mine, chat, bootstrap=100)
    fig = a.plot()
    assert _labelled(fig) and "Audit" in fig.get_suptitle() and "n = " in fig.get_suptitle()
    assert problems(fig) == []
    assert "jailbreak" in a.plot(benchmark="jailbreak_asr").get_suptitle().lower() or a.plot(benchmark="jailbreak_asr")
    rows = pd.read_csv(ROOT / "examples" / "claim_release.csv", index_col="model")
    c = sw.claim(chat, rows.iloc[0], rows.iloc[1], "ethics_all", bootstrap=0)
    fig = c.plot(width=7)
    assert _labelled(fig) and fig.get_figwidth() == pytest.approx(7.0) and "n = " in fig.get_suptitle()
    assert problems(fig) == []


def test_plotting_hook_swaps_backend(analyses, tmp_path, monkeypatch):
    """result.plot goes through the documented hook (commands never import present): another backend can serve it."""
    from safetywashing._util import plotting

    (tmp_path / "my_backend.py").write_text("def plot(result, kind=None, **options):\n    return ('mine', kind)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    res, _m = analyses["chat"]
    plotting.set_backend("my_backend")
    try:
        assert res.plot("ranking") == ("mine", "ranking")
    finally:
        plotting.set_backend(plotting.DEFAULT_BACKEND)
    assert isinstance(res.plot("scree"), Figure)
    with pytest.raises(TypeError, match="no plot"):
        plotting.set_backend("json")


def test_readme_shows_the_figures():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = [p for line in readme.splitlines() for p in [seg.split(")")[0] for seg in line.split("](")[1:]]
             if p.startswith("docs/img/")]
    assert {"docs/img/chat_correlations.png", "docs/img/frontier_over_time.png"} <= set(shown)
    for p in shown:
        assert (ROOT / p).is_file() and (ROOT / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", p
