"""Static publication figures (matplotlib, Agg), one paper column (3.4 in) or two (7 in) wide.

The same charts as the HTML report, from the same data (``_chartdata``):
capabilities correlation per area (Figure-1 style), benchmark vs capabilities
scatter, scree plot, capability inter-correlation heatmap (PCA score only), model
ranking, capabilities over time (panels with release dates), and the audit /
claim views. Every function returns a
:class:`matplotlib.figure.Figure` (no pyplot global state, nothing shown or
written); :func:`figure_bytes` serialises one to PNG, SVG or PDF with fixed
metadata so the same input gives the same file; :func:`plot` is the backend of
``result.plot(...)``. Nothing is clipped or overprinted: titles and axis labels
are wrapped to the figure (matplotlib's own wrapping and constrained layout),
point labels are placed by adjustText and dropped when they still collide, and
:func:`layout_problems` reports any text that leaves the canvas or overlaps
another. matplotlib and adjustText are imported lazily: importing this module
is cheap.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError, UnknownIdError
from ..commands._analyze import AnalysisResult
from ..sources._matrix import ScoreMatrix
from ..sources._registry import area_label
from . import _chartdata as cd

FORMATS = ("png", "svg", "pdf")
COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper (e.g. ICML 3.25 in, ACL 3.3 in)
PAGE_WIDTH = 7.0  # inches: both columns (a figure* in LaTeX)
WIDTHS = {"column": COLUMN_WIDTH, "page": PAGE_WIDTH}
MIN_WIDTH, MAX_WIDTH = 2.5, 10.0  # inches accepted by --width
RANKING_TOP, RANKING_BOTTOM = 30, 10  # a ranking of more models shows these (the rest would not fit a page)
LABEL_ITERATIONS = 200  # adjustText iterations: a fixed count (not a time limit) keeps the output reproducible

_RC = {
    "font.size": 7,
    "axes.titlesize": 7.5,
    "figure.titlesize": 7.5,
    "axes.labelsize": 7,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "legend.fontsize": 6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.0,
    "svg.hashsalt": "safetywashing",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "figure.dpi": 100,
    "figure.constrained_layout.h_pad": 0.03,
    "figure.constrained_layout.w_pad": 0.03,
}


def figure_width(width: float | str | None) -> float:
    """A figure width in inches from a number or a name (``column`` = 3.4 in, ``page`` = 7 in); None = one column."""
    if width is None:
        return COLUMN_WIDTH
    if isinstance(width, str):
        key = width.strip().lower().removesuffix("in").strip()
        if key in WIDTHS:
            return WIDTHS[key]
        try:
            width = float(key)
        except ValueError:
            raise InputError(f"--width: {width!r} is not a width; use column (3.4 in), page (7 in) or inches, e.g. 5") from None
    w = float(width)
    if not (MIN_WIDTH <= w <= MAX_WIDTH):
        raise InputError(f"--width: {w:g} in is out of range; use {MIN_WIDTH:g}-{MAX_WIDTH:g} inches (3.4 = one column, 7 = two)")
    return w


def _mt(s: Any) -> str:
    """Make a user string literal for matplotlib (``$`` would start mathtext)."""
    return str(s).replace("$", r"\$")


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def _new(height: float, width: float = COLUMN_WIDTH, *, scale: bool = True) -> Any:
    """A constrained-layout Figure with an Agg canvas (its renderer measures text); ``scale``: the height grows with
    the square root of the width, so a two-column figure is not a flat strip."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    h = height * (width / COLUMN_WIDTH) ** 0.5 if scale else height
    fig = Figure(figsize=(width, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _title(fig: Any, text: str) -> None:
    """The figure's title, left-aligned over the whole width and wrapped by matplotlib to the figure's bounds."""
    fig.suptitle(_mt(text), x=0.01, ha="left", wrap=True)


def _labels(ax: Any, x: str | None = None, y: str | None = None) -> None:
    """Axis labels wrapped by matplotlib to the figure's bounds (so a long label never runs off the canvas)."""
    if x is not None:
        ax.set_xlabel(_mt(x), wrap=True)
    if y is not None:
        ax.set_ylabel(_mt(y), wrap=True)


def _lay_out(fig: Any) -> None:
    """Place the axes as a draw would (the layout engine, then each axes' fixed aspect), without drawing the artists:
    the axes' sizes are known and nothing else is computed (a draw costs about half as much again)."""
    engine = fig.get_layout_engine()
    if engine is None:
        fig.draw_without_rendering()
        return
    r = fig.canvas.get_renderer()

    def aspect() -> None:  # as Figure.draw does before the layout and each Axes.draw after it
        for ax in fig.axes:
            locator = ax.get_axes_locator()
            ax.apply_aspect(locator(ax, r) if locator else None)

    aspect()
    engine.execute(fig)
    aspect()


def _fit_ylabels(fig: Any) -> None:
    """Wrap every y label to the height of its axes (matplotlib's own wrapping goes by the figure's height, so a
    long vertical label would run past the axes into the title); run once the plot is complete."""
    _lay_out(fig)
    r = fig.canvas.get_renderer()
    for ax in fig.axes:
        lab = ax.yaxis.label
        text = lab.get_text()
        if not text:
            continue
        lab.set_wrap(False)
        prop = lab.get_fontproperties()
        room = ax.bbox.height

        def width(t: str, prop: Any = prop) -> float:
            return r.get_text_width_height_descent(t, prop, ismath=False)[0]

        lines: list[str] = []
        for para in text.split("\n"):
            cur = ""
            for word in para.split(" "):
                trial = f"{cur} {word}" if cur else word
                if cur and width(trial) > room:
                    lines.append(cur)
                    cur = word
                else:
                    cur = trial
            lines.append(cur)
        lab.set_text("\n".join(lines))


def _bands(ax: Any, axis: str = "x") -> None:
    for lo, hi, _label, color in cd.BANDS:
        (ax.axvspan if axis == "x" else ax.axhspan)(lo, hi, color=color, zorder=0, lw=0)


def _label_points(fig: Any, ax: Any, xs: Sequence[Any], ys: Sequence[Any], labels: Sequence[str],
                  avoid: tuple[Sequence[Any], Sequence[Any]] | None = None, fontsize: float = 5) -> int:
    """Label points without overprinting: adjustText moves the labels apart (leader lines to their points), then any
    label that still touches another text or leaves the axes is dropped. Returns the number of labels kept."""
    from adjustText import adjust_text

    if not labels:
        return 0
    texts = [ax.text(x, y, _mt(t), fontsize=fontsize, color="#222", zorder=5, in_layout=False)
             for x, y, t in zip(xs, ys, labels)]
    ax_x, ax_y = avoid if avoid is not None else (xs, ys)
    # adjust_text lays the figure out first (the constrained layout settles; the labels are not part of it)
    _, arrows = adjust_text(texts, x=list(ax_x), y=list(ax_y), ax=ax, iter_lim=LABEL_ITERATIONS, expand=(1.15, 1.3),
                            arrowprops={"arrowstyle": "-", "color": "#777", "lw": 0.4})
    r = fig.canvas.get_renderer()  # the layout is settled (the labels are not part of it): no new draw needed
    inside = ax.bbox
    others = [t.get_window_extent(r) for t in _drawn_texts(fig) if t not in texts]
    kept: list[Any] = []
    for t in texts:
        bb = t.get_window_extent(r)
        ok = (bb.x0 >= inside.x0 and bb.x1 <= inside.x1 and bb.y0 >= inside.y0 and bb.y1 <= inside.y1
              and not any(bb.overlaps(o) for o in others + kept))
        if ok:
            kept.append(bb)
        else:
            for a in arrows:
                if getattr(a, "patchA", None) is t:
                    a.remove()
            t.remove()
    return len(kept)


def _drawn_texts(fig: Any) -> list[Any]:
    """Every non-empty visible text of ``fig`` that is drawn (tick labels outside the view limits are not)."""
    from matplotlib.text import Text

    hidden: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            tol = 1e-9 * max(hi - lo, 1e-12)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - tol <= tick.get_loc() <= hi + tol:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return [t for t in fig.findobj(Text) if id(t) not in hidden and t.get_visible() and t.get_text().strip()]


def layout_problems(fig: Any) -> list[str]:
    """What is wrong with a figure's text as drawn: a text that leaves the canvas, two texts that overlap.

    Empty = nothing clipped or overprinted. Extents come from matplotlib's renderer (window extents in pixels,
    rotated texts by their bounding box); overlaps smaller than half a pixel are ignored.
    """
    fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    w, h = fig.canvas.get_width_height()
    boxes = [(t, t.get_window_extent(r)) for t in _drawn_texts(fig)]
    out = []
    for t, bb in boxes:
        if bb.x0 < -0.5 or bb.y0 < -0.5 or bb.x1 > w + 0.5 or bb.y1 > h + 0.5:
            out.append(f"leaves the canvas: {t.get_text()[:50]!r}")
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            if min(ba.x1, bb.x1) - max(ba.x0, bb.x0) > 0.5 and min(ba.y1, bb.y1) - max(ba.y0, bb.y0) > 0.5:
                out.append(f"overlap: {a.get_text()[:40]!r} and {b.get_text()[:40]!r}")
    return out


def _whisker_text(result: AnalysisResult) -> str:
    st = result.settings
    if not st.get("bootstrap"):
        return ""
    adj = st.get("adjust", "none")
    txt = f"; bars: {int(round((st.get('ci') or 0.95) * 100))}% CI"
    return txt + ("" if adj in (None, "none") else f", {adj}-adjusted")


def plot_correlations(result: AnalysisResult, *, width: float = COLUMN_WIDTH) -> Any:
    """Figure-1 style: each benchmark's capabilities correlation, grouped by area.

    x = correlation with the capabilities score (higher = rises with capabilities), whiskers = bootstrap interval
    when present, shaded verdict bands. Many benchmarks: one row per area (each dot a benchmark); few benchmarks or
    one area (the ``frontier`` panel): one row per benchmark, areas labelled.
    """
    rows = cd.correlation_rows(result)
    areas = list(dict.fromkeys(rows["area"]))
    per_bench = len(rows) <= 40 or len(areas) == 1
    with _style():
        n_rows = len(rows) if per_bench else len(areas)
        fig = _new((0.11 if per_bench else 0.2) * n_rows + 1.1, width, scale=False)
        ax = fig.add_subplot()
        _bands(ax)
        rng = np.random.default_rng(0)  # fixed jitter: same figure every time
        ticks: list[float] = []
        names: list[str] = []
        for i, area in enumerate(areas):
            g = rows[rows["area"] == area]
            if per_bench:
                y = np.arange(len(ticks), len(ticks) + len(g), dtype=float)
                ticks += list(y)
                names += [_mt(n) for n in g["name"]]
            else:
                y = i + rng.uniform(-0.18, 0.18, len(g))
                ticks.append(i)
                names.append(_mt(area_label(area).split(" (")[0]))
            col, mk = cd.area_color(area), cd.area_marker(area)
            if g["ci_low"].notna().any():
                ax.errorbar(g["r"], y, xerr=[g["r"] - g["ci_low"], g["ci_high"] - g["r"]], fmt="none", ecolor=col,
                            elinewidth=0.6, alpha=0.7, zorder=2)
            ax.scatter(g["r"], y, s=9, color=col, marker=mk, edgecolors="#333", linewidths=0.3, zorder=3,
                       label=_mt(area_label(area).split(" (")[0]))
        ax.set_yticks(ticks, names, fontsize=5.5 if per_bench else 6.5)
        ax.set_ylim(len(ticks) - 0.5, -0.5)
        ax.set_xlim(-1, 1)
        meth = "Spearman" if result.method == "spearman" else "Pearson"
        _labels(ax, f"{meth} r with the capabilities score (higher = rises with general capabilities \u2192)"
                    f"{_whisker_text(result)}")
        what = "benchmark" if per_bench else "area (dots: benchmarks)"
        _title(fig, f"Capabilities correlation per {what}, panel '{result.panel}': {len(rows)} benchmarks, "
                    f"{cd.n_text(rows['n'])}")
        if per_bench and len(areas) > 1:
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False, fontsize=5, borderaxespad=0.2)
        ax.tick_params(axis="y", length=0)
    return fig


def plot_scatter(result: AnalysisResult, matrix: ScoreMatrix, benchmark: str, *, label_extremes: int = 2,
                 width: float = COLUMN_WIDTH) -> Any:
    """Benchmark score vs capabilities score with the OLS line; r (and interval) and n in the title.

    The ``label_extremes`` least and most capable models are named (labels that cannot be placed without
    overprinting are left out).
    """
    d = cd.scatter_data(result, matrix, benchmark)
    row = next((r for r in result.results if r.benchmark == benchmark), None)
    rtxt = f"r = {row.correlation:+.2f}" if row is not None and row.correlation is not None else "r undefined"
    if row is not None:
        rtxt += cd.interval_text(row.extra.get("ci_low"), row.extra.get("ci_high"), result.settings.get("ci"))
    area = row.area if row else ""
    with _style():
        fig = _new(2.5, width)
        ax = fig.add_subplot()
        ax.scatter(d["x"], d["y"], s=12, color=cd.area_color(area), marker=cd.area_marker(area), edgecolors="#333",
                   linewidths=0.3, zorder=3)
        if d["fit"] is not None:
            f = d["fit"]
            xs = np.array([f["x0"], f["x1"]])
            ax.plot(xs, f["intercept"] + f["slope"] * xs, ls="--", color="#555", lw=0.8, zorder=2)
        name = row.name if row is not None else benchmark
        vtxt = f"; verdict {row.verdict}" if row is not None and row.extra.get("verdict_bands") else ""
        _title(fig, f"{name}: {rtxt}, n = {d['n']} models{vtxt}")
        head, _, tail = cd.benchmark_label(matrix, benchmark).partition("; ")
        _labels(ax, cd.capability_axis(result, matrix) + "\u00a0\u2192", f"{head}; {tail}\u00a0\u2192")
        ax.grid(alpha=0.3, lw=0.4)
        _fit_ylabels(fig)
        if label_extremes and d["n"]:
            order = np.argsort(d["x"])
            pick = list(dict.fromkeys([*order[:label_extremes], *order[-label_extremes:]]))
            _label_points(fig, ax, [d["x"][k] for k in pick], [d["y"][k] for k in pick], [d["names"][k] for k in pick],
                          avoid=(d["x"], d["y"]))
    return fig


def plot_scree(result: AnalysisResult, *, width: float = COLUMN_WIDTH) -> Any:
    """Eigenvalues of the capability correlation matrix with the cumulative share of variance."""
    s = cd.scree(result)
    with _style():
        fig = _new(2.2, width)
        ax = fig.add_subplot()
        ax.bar(s["component"], s["eigenvalue"], color=cd.OKABE_ITO[0], width=0.7)
        ax.set_xticks(s["component"])
        _labels(ax, "Principal component (1 = the capabilities score)", "Eigenvalue (higher = more shared variance)")
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        ax2.plot(s["component"], s["cumulative"], marker="o", ms=2.5, color=cd.OKABE_ITO[1])
        ax2.set_ylim(0, 1.05)
        ax2.set_ylabel("Cumulative share of variance", color=cd.OKABE_ITO[1], wrap=True)
        ax2.yaxis.set_major_formatter(_percent())
        _title(fig, f"Scree plot, panel '{result.panel}': PC1 = {result.pc1_variance_explained:.1%} of the variance of "
                    f"{len(s)} capability benchmarks, n = {result.direction.n_complete} models")
        _fit_ylabels(fig)
    return fig


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def plot_heatmap(result: AnalysisResult, matrix: ScoreMatrix, *, width: float = COLUMN_WIDTH) -> Any:
    """Inter-correlations of the capability benchmarks (over the models that have all of them)."""
    c = cd.capability_intercorrelation(result, matrix)
    names = [_mt(matrix.benchmarks.loc[b, "name"]) if b in matrix.benchmarks.index else _mt(b) for b in c.index]
    k = len(names)
    with _style():
        fig = _new(3.3, width)
        ax = fig.add_subplot()
        im = ax.imshow(c.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_xticks(range(k), names, rotation=90, fontsize=5.5)
        ax.set_yticks(range(k), names, fontsize=5.5)
        meth = "Spearman" if result.method == "spearman" else "Pearson"
        fig.colorbar(im, ax=ax, shrink=0.8, label=f"{meth} r (higher = rise together)")
        _title(fig, f"Capability benchmarks' inter-correlations, panel '{result.panel}', "
                    f"n = {result.direction.n_complete} models with all {k}")
        ax.spines[:].set_visible(False)
        _fit_ylabels(fig)  # the cell size is known once the layout is done: fit the numbers to it
        if k <= 16:
            cell_pt = ax.bbox.width / k * 72 / fig.dpi
            size = min(5.0, cell_pt / 2.6)
            if size >= 2.5:
                for i in range(k):
                    for j in range(k):
                        v = c.iat[i, j]
                        if not math.isnan(v):
                            ax.text(j, i, f"{v:.2f}".replace("0.", ".", 1), ha="center", va="center", fontsize=size,
                                    color="white" if abs(v) > 0.6 else "black", in_layout=False)
    return fig


def plot_ranking(result: AnalysisResult, matrix: ScoreMatrix, *, width: float = COLUMN_WIDTH,
                 top: int | None = RANKING_TOP, bottom: int = RANKING_BOTTOM) -> Any:
    """Models by capabilities score (most capable at the top).

    More than ``top + bottom`` models: the ``top`` most and ``bottom`` least capable are drawn (a gap marks the
    rest; the title gives both counts); ``top=None`` draws every model.
    """
    rk = cd.ranking(result, matrix)
    n = len(rk)
    cut = top is not None and n > top + bottom + 1
    shown = pd.concat([rk.iloc[:top], rk.iloc[n - bottom:]]) if cut else rk
    pos = np.arange(len(shown), dtype=float)
    if cut:
        pos[top:] += 1.5  # a gap where the models not drawn would be
    with _style():
        fig = _new(0.105 * (pos[-1] + 1 if len(pos) else 1) + 0.9, width, scale=False)
        ax = fig.add_subplot()
        ax.barh(pos, shown["capabilities_score"], color=cd.OKABE_ITO[0], height=0.7)
        ax.set_yticks(pos, [f"{_mt(nm)} ({rank})" for nm, rank in zip(shown["name"], shown["rank"])], fontsize=5.5)
        if cut:
            ax.text(0.5, (top - 1 + pos[top]) / 2, f"\u22ee {n - top - bottom} models not shown \u22ee",
                    transform=ax.get_yaxis_transform(), ha="center", va="center", fontsize=5, color="#555")
        ax.set_ylim(pos[-1] + 0.6 if len(pos) else 0.5, -0.6)
        ax.axvline(0, color="#333", lw=0.5)
        _labels(ax, cd.capability_axis(result, matrix) + "\u00a0\u2192")
        part = f"; the {top} most and {bottom} least capable shown" if cut else ""
        _title(fig, f"Models by capabilities score (rank in brackets), panel '{result.panel}': n = {n} models{part}")
        ax.tick_params(axis="y", length=0)
    return fig


def plot_over_time(result: AnalysisResult, matrix: ScoreMatrix, *, label_top: int = 3, width: float = COLUMN_WIDTH) -> Any:
    """Capabilities score against release date, one dot per model; whiskers = 95% intervals (+-1.96 SE) when known.

    Same-family variants released the same day (e.g. one model at several reasoning-effort settings) are joined by a
    vertical line and labelled once; the ``label_top`` most capable models (or variant groups) are named.
    """
    d = cd.over_time(result, matrix)
    if d.empty:
        raise InputError(f"panel '{result.panel}': no model has a release date and a capabilities score")
    orgs = d["organisation"].value_counts()
    top = [o for o in orgs.index[: len(cd.OKABE_ITO) - 1] if o]
    with _style():
        fig = _new(2.8, width)
        ax = fig.add_subplot()
        has_se = bool(d["se"].notna().any())
        for k, org in enumerate([*top, "other"]):
            g = d[~d["organisation"].isin(top)] if org == "other" else d[d["organisation"] == org]
            if g.empty:
                continue
            col = cd.NEUTRAL if org == "other" else cd.OKABE_ITO[k]
            if has_se:
                ax.errorbar(g["release_date"], g["capabilities_score"],
                            yerr=[g["capabilities_score"] - g["low"], g["high"] - g["capabilities_score"]],
                            fmt="none", ecolor=col, elinewidth=0.5, alpha=0.5, zorder=2)
            ax.scatter(g["release_date"], g["capabilities_score"], s=8, color=col, edgecolors="#333", linewidths=0.25,
                       zorder=3, label=_mt(f"{org} ({len(g)})"))
        _variant_lines(ax, d)
        _date_axis(ax, width)
        _labels(ax, "Release date\u00a0\u2192", cd.capability_axis(result, matrix) + "\u00a0\u2192")
        unc = "; whiskers: 95% intervals (estimate \u00b1 1.96 SE)" if has_se else ""
        _title(fig, f"Capabilities over time, panel '{result.panel}': n = {len(d)} models{unc}")
        fig.legend(loc="outside lower center", frameon=False, ncol=2 if width < 5 else 4, fontsize=5, handletextpad=0.2,
                   columnspacing=0.8)
        ax.grid(alpha=0.3, lw=0.4)
        _fit_ylabels(fig)
        best = d.sort_values("capabilities_score", ascending=False, kind="mergesort")
        best = best[(best["variants"] < 0) | ~best["variants"].duplicated()].head(label_top)
        names = [r["name"] if r["variants"] < 0 else f"{r['family']} ({int((d['variants'] == r['variants']).sum())} variants)"
                 for _, r in best.iterrows()]
        from matplotlib.dates import date2num  # adjustText needs plain numbers: matplotlib's date units

        _label_points(fig, ax, list(date2num(best["release_date"])), list(best["capabilities_score"]), names, fontsize=4.5,
                      avoid=(list(date2num(d["release_date"])), list(d["capabilities_score"])))
    return fig


def _date_axis(ax: Any, width: float) -> None:
    """Concise date ticks every 1, 2, 3, 4, 6, 12 or 24 months: the finest step that keeps ticks about 0.8 in apart."""
    from matplotlib.dates import ConciseDateFormatter, MonthLocator, YearLocator, num2date

    lo, hi = (num2date(v) for v in ax.get_xlim())
    months = max(1, (hi.year - lo.year) * 12 + hi.month - lo.month)
    room = max(2, int(width / 0.8))
    step = next((k for k in (1, 2, 3, 4, 6, 12, 24, 60) if months / k <= room), 120)
    loc = MonthLocator(bymonth=range(1, 13, step)) if step <= 12 else YearLocator(step // 12)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))


def _variant_lines(ax: Any, d: pd.DataFrame) -> None:
    """A thin vertical line through each group of same-family same-day variants, with a legend entry that counts them."""
    groups = d[d["variants"] >= 0].groupby("variants")
    for _, g in groups:
        ax.plot([g["release_date"].iloc[0]] * 2, [g["capabilities_score"].min(), g["capabilities_score"].max()],
                color="#333", lw=0.6, zorder=2.5)
    if len(groups):
        n = int((d["variants"] >= 0).sum())
        ax.plot([], [], color="#333", lw=0.6, label=f"same-day variants ({len(groups)} groups, {n} models)")


def plot_claim(claim: dict[str, Any], result: AnalysisResult | None = None, matrix: ScoreMatrix | None = None, *,
               width: float = COLUMN_WIDTH) -> Any:
    """Claim view: panel models, capabilities fit, before/after and the change split into predicted + beyond."""
    from matplotlib.lines import Line2D

    g = cd.claim_geometry(claim)
    green, purple = cd.OKABE_ITO[2], cd.OKABE_ITO[3]
    with _style():
        fig = _new(2.6, width)
        ax = fig.add_subplot()
        xs = [g["xb"], g["xa"]]
        bench = str(claim.get("benchmark", ""))
        pts = cd.claim_panel_points(claim, result, matrix)
        n_txt = ""
        if pts is not None:
            ax.scatter(pts["x"], pts["y"], s=9, color="#BBBBBB", edgecolors="#555", linewidths=0.3, zorder=2,
                       label=_mt(f"panel '{pts['panel']}' models (n = {len(pts['x'])})"))
            xs += pts["x"]
            n_txt = f", fit on n = {len(pts['x'])} panel models"
        if g["slope"] is not None and g["intercept"] is not None:
            xx = np.array([min(xs), max(xs)])
            ax.plot(xx, g["intercept"] + g["slope"] * xx, ls="--", color="#555", lw=0.8, label="capabilities fit")
        ax.annotate("", (g["xa"], g["ypred"]), (g["xb"], g["yb"]), arrowprops={"arrowstyle": "->", "color": green, "lw": 1.2})
        ax.annotate("", (g["xa"], g["ya"]), (g["xa"], g["ypred"]), arrowprops={"arrowstyle": "->", "color": purple, "lw": 1.2})
        ax.scatter([g["xb"], g["xa"]], [g["yb"], g["ya"]], s=22, c=[cd.OKABE_ITO[0], cd.OKABE_ITO[1]], edgecolors="k",
                   linewidths=0.5, zorder=4)
        handles, labels = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color=green, lw=1.2), Line2D([], [], color=purple, lw=1.2)]
        labels += [f"predicted by capabilities {g['pred']:+.3g}", f"beyond capabilities {g['beyond']:+.3g}"]
        _title(fig, f"Claim on {claim.get('benchmark_name') or bench}: observed change {g['obs']:+.3g}{n_txt}")
        _labels(ax, cd.capability_axis(result if result is not None else claim) + "\u00a0\u2192",
                f"{bench}; higher = safer / better\u00a0\u2192")
        ax.legend(handles, labels, loc="best", frameon=False)
        _fit_ylabels(fig)
    return fig


def plot_audit(audit: dict[str, Any], benchmark: str, *, width: float = COLUMN_WIDTH) -> Any:
    """Audit view: the user's models on their benchmark vs their capabilities score (each model named when it fits)."""
    pts = [p for p in audit.get("points", []) if _fin(p.get("capabilities_score")) and _fin(p.get(benchmark))]
    row = next((r for r in audit.get("results", []) if r.get("benchmark") == benchmark), {})
    x = np.array([float(p["capabilities_score"]) for p in pts])
    y = np.array([float(p[benchmark]) for p in pts])
    with _style():
        fig = _new(2.5, width)
        ax = fig.add_subplot()
        ax.scatter(x, y, s=14, color=cd.OKABE_ITO[1], edgecolors="#333", linewidths=0.3, zorder=3)
        if len(x) >= 3 and np.ptp(x) > 0:
            b, a = np.polyfit(x, y, 1)
            xx = np.array([x.min(), x.max()])
            ax.plot(xx, a + b * xx, ls="--", color="#555", lw=0.8)
        r = row.get("correlation")
        rtxt = f"r = {r:+.2f}" if _fin(r) else "r undefined"
        rtxt += cd.interval_text(row.get("ci_low"), row.get("ci_high"))
        _title(fig, f"Audit: {row.get('name', benchmark)}: {rtxt}, n = {row.get('n', len(x))} models")
        _labels(ax, cd.capability_axis(audit) + "\u00a0\u2192",
                f"{row.get('name', benchmark)}; higher = safer / better\u00a0\u2192")
        ax.grid(alpha=0.3, lw=0.4)
        _fit_ylabels(fig)
        _label_points(fig, ax, list(x), list(y), [str(p.get("input_name", p.get("model", ""))) for p in pts])
    return fig


def _fin(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def default_scatter_benchmarks(result: AnalysisResult, k: int = 3) -> list[str]:
    """The ``k`` safety benchmarks with the highest and the ``k`` with the lowest capabilities correlation.

    A user's table whose columns are not registry safety benchmarks: its non-capability columns stand in.
    """
    scored = [r for r in result.results if r.correlation is not None]
    of_interest = [r for r in scored if r.role == "safety"] or [r for r in scored if r.role != "capability"]
    rows = sorted(of_interest, key=lambda r: (-r.correlation, r.benchmark))
    pick = rows[:k] + rows[-k:] if len(rows) > 2 * k else rows
    return list(dict.fromkeys(r.benchmark for r in pick))


def safe_filename(s: str) -> str:
    """A file-name-safe version of an id (letters, digits, ``.``, ``_``, ``-``)."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("._") or "x"
    return out[:80]


def figure_plan(
    results: Sequence[AnalysisResult],
    matrices: Sequence[ScoreMatrix],
    *,
    benchmarks: Sequence[str] | None = None,
    audit: dict[str, Any] | None = None,
    claim: dict[str, Any] | None = None,
    width: float | str | None = None,
) -> list[tuple[str, Any]]:
    """The figures to draw: ``[(file stem, zero-argument function returning the Figure), ...]``.

    ``benchmarks``: scatter plots for these ids (``["all"]`` = every benchmark);
    default :func:`default_scatter_benchmarks` per panel. Unknown ids raise
    :class:`UnknownIdError` before anything is drawn. ``width``: inches, or
    ``column`` (3.4 in, the default) / ``page`` (7 in); see :func:`figure_width`.
    """
    w = figure_width(width)
    plan: list[tuple[str, Any]] = []
    if audit is not None:
        for r in audit.get("results", []):
            b = str(r.get("benchmark", ""))
            plan.append((f"audit_{safe_filename(b)}", lambda b=b: plot_audit(audit, b, width=w)))
    if claim is not None:
        pr = {r.panel: (r, m) for r, m in zip(results, matrices)}
        rm = pr.get(str(claim.get("panel", ""))) or ((results[0], matrices[0]) if results else (None, None))
        plan.append((f"claim_{safe_filename(str(claim.get('benchmark', '')))}", lambda: plot_claim(claim, *rm, width=w)))
    all_ids = {b for m in matrices for b in m.scores.columns}
    if benchmarks is not None and list(benchmarks) != ["all"]:
        unknown = [b for b in benchmarks if b not in all_ids]
        if unknown:
            from ..sources._suggest import suggest

            raise UnknownIdError("--benchmarks: unknown benchmark id(s): " +
                                 "; ".join(f"{u!r}{suggest(u, sorted(all_ids))}" for u in unknown))
    stems = [safe_filename(r.panel) for r in results]
    for i, (res, m) in enumerate(zip(results, matrices)):
        p = stems[i] if stems.count(stems[i]) == 1 else f"{stems[i]}{i + 1}"  # two inputs with one name: number them
        plan += [(f"{p}_{kind}", make) for kind, make in _panel_plan(res, m, w)]
        if benchmarks is None:
            ids = default_scatter_benchmarks(res)
        elif list(benchmarks) == ["all"]:
            ids = [r.benchmark for r in res.results]
        else:
            ids = [b for b in benchmarks if b in m.scores.columns]
        for b in ids:
            plan.append((f"{p}_scatter_{safe_filename(b)}", lambda res=res, m=m, b=b: plot_scatter(res, m, b, width=w)))
    return plan


def _panel_plan(res: AnalysisResult, m: ScoreMatrix, w: float) -> list[tuple[str, Any]]:
    """The per-panel figures (not the scatters): ``[(kind, zero-argument function), ...]``."""
    out: list[tuple[str, Any]] = [("correlations", lambda: plot_correlations(res, width=w))]
    if res.direction.component_shares:  # PC shares and complete-row inter-correlations belong to a PCA score
        out.append(("scree", lambda: plot_scree(res, width=w)))
        out.append(("heatmap", lambda: plot_heatmap(res, m, width=w)))
    out.append(("ranking", lambda: plot_ranking(res, m, width=w)))
    if not cd.over_time(res, m).empty:
        out.append(("over_time", lambda: plot_over_time(res, m, width=w)))
    return out


def render_figures(
    results: Sequence[AnalysisResult],
    matrices: Sequence[ScoreMatrix],
    *,
    formats: Sequence[str] = ("png",),
    benchmarks: Sequence[str] | None = None,
    audit: dict[str, Any] | None = None,
    claim: dict[str, Any] | None = None,
    dpi: int = 300,
    width: float | str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Draw every figure of :func:`figure_plan` and yield ``(file name, bytes)`` per format.

    A generator so a caller can write (and report progress) file by file; no
    file is written here. ``progress`` receives each file name once its bytes
    are ready. ``width``: inches, ``column`` (3.4 in, default) or ``page`` (7 in).
    """
    for f in formats:
        if f not in FORMATS:
            raise InputError(f"--format: {f!r} is not one of: {', '.join(FORMATS)}")
    for stem, make in figure_plan(results, matrices, benchmarks=benchmarks, audit=audit, claim=claim, width=width):
        fig = make()
        for f in formats:
            data = figure_bytes(fig, f, dpi=dpi)
            if progress:
                progress(f"{stem}.{f}")
            yield f"{stem}.{f}", data


ANALYSIS_KINDS = ("correlations", "scatter", "scree", "heatmap", "ranking", "over_time")


def plot(result: Any, kind: str | None = None, *, matrix: ScoreMatrix | None = None, benchmark: str | None = None,
         width: float | str | None = None, **options: Any) -> Any:
    """One static figure of a result object, as a :class:`matplotlib.figure.Figure` (nothing shown or written).

    - :class:`~safetywashing.AnalysisResult`: ``kind`` one of :data:`ANALYSIS_KINDS` (default ``correlations``);
      ``scatter`` needs ``benchmark``; ``scatter``, ``heatmap``, ``ranking`` and ``over_time`` need the score
      ``matrix`` the result came from (an embedded panel's is loaded when ``matrix`` is None);
    - :class:`~safetywashing.AuditResult`: ``kind="audit"`` (default), one benchmark (default the first audited);
    - :class:`~safetywashing.ClaimResult`: ``kind="claim"`` (default), the claim view over its panel's models.

    ``width``: inches, ``column`` (3.4 in, default) or ``page`` (7 in); other ``options`` go to the plot function
    (e.g. ``label_extremes=3`` for a scatter, ``top=None`` for a ranking of every model). This is the plotting
    backend behind ``result.plot(...)`` (see :mod:`safetywashing._util.plotting`).
    """
    from ..commands._audit import AuditResult
    from ..commands._claim import ClaimResult

    w = figure_width(width)
    if isinstance(result, AuditResult):
        _check_kind(kind, ("audit",))
        d = result.to_dict()
        b = benchmark or (result.results[0].benchmark if result.results else "")
        if b not in {r.benchmark for r in result.results}:
            raise UnknownIdError(f"benchmark {b!r} is not one of the audited: {', '.join(r.benchmark for r in result.results)}")
        return plot_audit(d, b, width=w, **options)
    if isinstance(result, ClaimResult):
        _check_kind(kind, ("claim",))
        return plot_claim(result.to_dict(), width=w, **options)
    if not isinstance(result, AnalysisResult):
        raise InputError(f"nothing to plot for a {type(result).__name__}: plot takes an analysis, audit or claim result")
    kind = _check_kind(kind, ANALYSIS_KINDS)
    if kind == "correlations":
        return plot_correlations(result, width=w, **options)
    if kind == "scree":
        return plot_scree(result, width=w, **options)
    m = _matrix_of(result, matrix)
    if kind == "scatter":
        if benchmark is None:
            raise InputError("plot(kind='scatter') needs benchmark=ID (a benchmark of the analysis)")
        return plot_scatter(result, m, benchmark, width=w, **options)
    return {"heatmap": plot_heatmap, "ranking": plot_ranking, "over_time": plot_over_time}[kind](result, m, width=w, **options)


def _check_kind(kind: str | None, kinds: Sequence[str]) -> str:
    if kind is None:
        return kinds[0]
    if kind not in kinds:
        raise InputError(f"plot: kind {kind!r} is not one of: {', '.join(kinds)}")
    return kind


def _matrix_of(result: AnalysisResult, matrix: ScoreMatrix | None) -> ScoreMatrix:
    """The score matrix behind ``result``: the one given, else the embedded panel of its name (checked to hold every
    scored model)."""
    if matrix is not None:
        return matrix
    from ..sources._panels import load_panel, panel_names

    if result.panel in panel_names():
        m = load_panel(result.panel)
        if set(result.model_scores) <= set(map(str, m.scores.index)):
            return m
    raise InputError(f"plot: pass matrix= (the ScoreMatrix analysed as '{result.panel}'); it is not an embedded panel")


def figure_bytes(fig: Any, fmt: str, *, dpi: int = 300) -> bytes:
    """Serialise a figure to PNG, SVG or PDF bytes (fixed metadata: same input, same bytes)."""
    if fmt not in FORMATS:
        raise InputError(f"--format: {fmt!r} is not one of: {', '.join(FORMATS)}")
    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}, "pdf": {"CreationDate": None, "Creator": None,
                                                                                        "Producer": None}}[fmt]
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()
