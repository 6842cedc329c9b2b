"""The self-contained interactive HTML report.

:func:`build_report` turns analysis results (and the score matrices they came
from) into one HTML string with plotly.js embedded: nothing is fetched when
the page is opened. :func:`report_figures` builds the plotly figure dicts
(pure data, no plotly import); the plotly.js bundle is read lazily from the
installed ``plotly`` package only when the HTML is assembled.

Escaping: every user string (model, benchmark and file names) reaches the page
through exactly two doors, both escaped: jinja2 autoescaping for HTML text,
and a JSON data island with ``<``, ``>`` and ``&`` written as ``\\u003c`` etc.
Strings drawn by plotly are additionally entity-escaped (plotly reads a small
set of HTML tags in its labels), so a model named ``<img src=x onerror=...>``
is drawn as text.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from .._util.errors import InputError
from .._util.stats import finite_or_none as _num
from ..capability._model import axis_label
from ..commands._analyze import AnalysisResult
from ..inference._verdict import verdict_text
from ..sources._matrix import ScoreMatrix
from ..sources._registry import area_label
from . import _chartdata as cd

Progress = Callable[[str], None]

_HOVER_POINT = "<b>%{text}</b><br>capabilities %{x:.2f}<br>score %{y:.3g}<extra></extra>"
_FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif", "size": 12}


def _pt(s: Any) -> str:
    """Escape a string for plotly labels: plotly decodes &amp; &lt; &gt; and reads a few tags."""
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")




TITLE_CHARS, XTITLE_CHARS, YTITLE_CHARS = 90, 80, 48  # wrap widths (characters) of chart, x-axis and y-axis titles
MODEBAR_PX, TITLE_LINE_PX = 38, 19  # the mode bar's band at the top of a chart; one line of a 14 px title
AXIS_LINE_PX, LEGEND_ROW_PX = 17, 28  # one line of an axis title; one row of a horizontal legend


def _wrap(text: str, width: int) -> str:
    """Break an (already escaped) label into ``<br>``-separated lines of at most ``width`` characters (at spaces only,
    so an entity such as ``&lt;`` is never cut); a label that already has line breaks is left as it is."""
    import textwrap

    if "<br>" in text or len(text) <= width:
        return text
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def _layout(title: str, xtitle: str, ytitle: str, **kw: Any) -> dict[str, Any]:
    """A chart layout: title at the top left below the mode bar, long titles wrapped, margins grown to fit them
    (plotly's ``automargin``), the report's font and white background; ``kw`` updates it (dicts merged)."""
    text = _wrap(title, TITLE_CHARS)
    lay = {
        "title": {"text": text, "x": 0.0, "xanchor": "left", "xref": "container", "yref": "container", "yanchor": "top",
                  "pad": {"l": 10}, "font": {"size": 14}},
        "xaxis": {"title": {"text": _wrap(xtitle, XTITLE_CHARS)}, "zeroline": False, "automargin": True},
        "yaxis": {"title": {"text": ytitle}, "zeroline": False, "automargin": True},
        "font": _FONT,
        "margin": {"l": 60, "r": 20, "t": 10, "b": 50},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "hoverlabel": {"align": "left"},
    }
    for k, v in kw.items():
        if isinstance(v, dict) and isinstance(lay.get(k), dict):
            lay[k] = {**lay[k], **v}
        else:
            lay[k] = v
    # room above the plot: the mode bar's band, the title's lines, and what the caller asked for (a top x axis)
    lay["margin"]["t"] = MODEBAR_PX + TITLE_LINE_PX * (text.count("<br>") + 1) + lay["margin"]["t"]
    height = float(lay.get("height") or 450)
    lay["title"]["y"] = 1.0 - MODEBAR_PX / height  # the title's top, below the mode bar
    plot_px = height - lay["margin"]["t"] - lay["margin"]["b"]  # a vertical title longer than the plot would reach the title
    lay["yaxis"]["title"]["text"] = _wrap(lay["yaxis"]["title"]["text"], max(16, min(YTITLE_CHARS, int(plot_px / 7.5))))
    if lay.get("legend", {}).get("orientation") == "h":  # a legend row at the very bottom, below the x-axis title
        lay["legend"] = {**lay["legend"], "x": 0.0, "xanchor": "left", "y": 0.0, "yref": "container", "yanchor": "bottom"}
        xlines = lay["xaxis"]["title"]["text"].count("<br>") + 1
        lay["margin"]["b"] = max(lay["margin"]["b"], 50 + AXIS_LINE_PX * xlines + LEGEND_ROW_PX)
    return lay


def _band_shapes(axis: str = "x") -> list[dict[str, Any]]:
    """Verdict bands shaded behind a correlation axis."""
    other = "y" if axis == "x" else "x"
    out = []
    for lo, hi, _label, color in cd.BANDS:
        out.append(
            {
                "type": "rect", "layer": "below", "line": {"width": 0}, "fillcolor": color,
                f"{axis}ref": axis, f"{other}ref": "paper", f"{axis}0": lo, f"{axis}1": hi, f"{other}0": 0, f"{other}1": 1,
            }
        )
    return out


def figure_correlations(result: AnalysisResult) -> dict[str, Any]:
    """Figure-1-style chart: every benchmark's capabilities correlation, grouped by area.

    Each area is a labelled group of rows (its name in bold above its benchmarks) and has its own colour and marker
    (:func:`~safetywashing.present._chartdata.area_style`, the static figures' palette), so neither colour nor the
    legend is needed to tell the areas apart.
    """
    rows = cd.correlation_rows(result)
    level = result.settings.get("ci")
    traces: list[dict[str, Any]] = []
    ticks: list[int] = []
    labels: list[str] = []
    pos = 0
    for area, grp in rows.groupby("area", sort=False):
        recs = grp.to_dict("records")
        ticks.append(pos)
        labels.append(f"<b>{_pt(area_label(area))} ({len(recs)})</b>")
        ys = list(range(pos + 1, pos + 1 + len(recs)))
        ticks += ys
        labels += [_pt(r["name"]) for r in recs]
        pos += len(recs) + 2  # the area's header row, its benchmarks, one empty row
        traces.append(_area_trace(area, grp, recs, ys, level))
    height = max(400, 16 * pos + 170)
    meth = "Spearman" if result.method == "spearman" else "Pearson"
    n_txt = cd.n_text(rows["n"])
    lay = _layout(
        f"Capabilities correlation of each benchmark, panel '{_pt(result.panel)}': {len(rows)} benchmarks, {n_txt}"
        + (" (whiskers: bootstrap CI)" if rows["ci_low"].notna().any() else ""),
        f"{meth} r with the capabilities score → higher = rises with general capabilities (safetywashing risk)",
        "",
        height=height,
        shapes=_band_shapes("x"),
        legend={"title": {"text": "Area"}, "traceorder": "normal"},
        margin={"l": 220, "r": 20, "t": 50, "b": 60},
    )
    lay["xaxis"].update({"range": [-1.02, 1.02], "side": "top", "dtick": 0.2, "showgrid": True, "gridcolor": "#ddd"})
    lay["yaxis"].update({"tickvals": ticks, "ticktext": labels, "range": [pos - 0.5, -1.0], "tickfont": {"size": 10}})
    return {"data": traces, "layout": lay}


def _area_trace(area: str, grp: Any, recs: list[dict[str, Any]], ys: list[int], level: Any) -> dict[str, Any]:
    """One area's dots (its colour and marker), with bootstrap whiskers when the rows have intervals."""
    color, symbol = cd.area_style(area)
    hover = [
        f"<b>{_pt(r['name'])}</b> ({_pt(r['benchmark'])})<br>{_pt(area_label(area))}<br>"
        f"r = {r['r']:+.3f}{cd.interval_text(r['ci_low'], r['ci_high'], level)}<br>n = {r['n']} models<br>"
        f"verdict: {_pt(r['verdict'])}"
        if not math.isnan(r["r"]) else f"<b>{_pt(r['name'])}</b><br>r undefined (n = {r['n']})"
        for r in recs
    ]
    t: dict[str, Any] = {
        "type": "scatter", "mode": "markers", "name": _pt(area_label(area)),
        "x": [_num(v) for v in grp["r"]], "y": ys,
        "marker": {"color": color, "symbol": symbol, "size": 8, "line": {"width": 0.5, "color": "#333"}},
        "text": hover, "hovertemplate": "%{text}<extra></extra>",
    }
    if grp["ci_low"].notna().any():
        t["error_x"] = {
            "type": "data", "symmetric": False, "thickness": 1.2, "width": 0,
            "array": [_num(h - r) for r, h in zip(grp["r"], grp["ci_high"])],
            "arrayminus": [_num(r - lo) for r, lo in zip(grp["r"], grp["ci_low"])],
            "color": color,
        }
    return t


def figure_scatter(result: AnalysisResult, matrix: ScoreMatrix, benchmark: str) -> dict[str, Any]:
    """Benchmark score vs capabilities score, hover = model, OLS line, r (and interval) in the title."""
    d = cd.scatter_data(result, matrix, benchmark)
    row = result.result(benchmark) if benchmark in {r.benchmark for r in result.results} else None
    name = row.name if row is not None else benchmark
    r = row.correlation if row is not None else None
    ci = cd.interval_text(row.extra.get("ci_low"), row.extra.get("ci_high"), result.settings.get("ci")) if row else ""
    rtxt = f"r = {r:+.2f}{ci}" if r is not None else "r undefined"
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter", "mode": "markers", "name": "models", "x": d["x"], "y": d["y"],
            "text": [_pt(n) for n in d["names"]], "hovertemplate": _HOVER_POINT,
            "marker": {"size": 9, "color": cd.area_color(row.area if row else ""),
                       "symbol": cd.area_style(row.area if row else "")[1], "line": {"width": 0.6, "color": "#333"}},
        }
    ]
    if d["fit"] is not None:
        f = d["fit"]
        xs = [f["x0"], f["x1"]]
        traces.append(
            {
                "type": "scatter", "mode": "lines", "name": f"OLS fit (slope {f['slope']:.3g} per capabilities unit)",
                "x": xs, "y": [f["intercept"] + f["slope"] * x for x in xs],
                "line": {"color": "#555", "dash": "dash"}, "hoverinfo": "skip",
            }
        )
    title = f"{_pt(name)}: {rtxt}, n = {d['n']} (verdict: {_pt(row.verdict if row else 'undefined')})"
    lay = _layout(title, cd.capability_axis(result, matrix) + " →", _ylabel(cd.benchmark_label(matrix, benchmark)), height=480,
                  showlegend=True, legend={"orientation": "h", "y": -0.2})
    return {"data": traces, "layout": lay}


def _ylabel(label: str) -> str:
    """Escaped axis label; a benchmark's (``name (metric); higher = ...``) wrapped with its direction on a line of its
    own, any other left for :func:`_layout` to wrap to the plot's height."""
    import textwrap

    cut = label.rfind("; ")
    if cut < 0 or not label[cut + 2:].startswith("higher"):
        return _pt(label)  # wrapped by _layout to the plot's height
    head, tail = label[:cut], label[cut + 2:]
    lines = textwrap.wrap(head, 40, break_long_words=True) or [head]
    return "<br>".join(_pt(x) for x in lines[:3]) + "<br>" + _pt(tail) + " →"


def figure_scree(result: AnalysisResult) -> dict[str, Any]:
    """Eigenvalues of the capability correlation matrix (bars) with cumulative share (line)."""
    s = cd.scree(result)
    return {
        "data": [
            {"type": "bar", "name": "eigenvalue", "x": s["component"].tolist(), "y": s["eigenvalue"].tolist(),
             "marker": {"color": cd.OKABE_ITO[0]},
             "text": [f"{v:.1%}" for v in s["share"]], "textposition": "outside",
             "hovertemplate": "PC%{x}: eigenvalue %{y:.3f}<extra></extra>"},
            {"type": "scatter", "mode": "lines+markers", "name": "cumulative share", "x": s["component"].tolist(),
             "y": s["cumulative"].tolist(), "yaxis": "y2", "line": {"color": cd.OKABE_ITO[1]},
             "hovertemplate": "PC1..PC%{x}: %{y:.1%} of variance<extra></extra>"},
        ],
        "layout": _layout(
            f"Scree plot of the {len(result.capability_benchmarks)} capability benchmarks, panel '{_pt(result.panel)}': "
            f"PC1 explains {result.pc1_variance_explained:.1%}",
            "Principal component (1 = the capabilities score)", "Eigenvalue (higher = more shared variance)",
            height=380, yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.05], "tickformat": ".0%", "dtick": 0.25,
                                "title": {"text": "Cumulative share of variance"}, "automargin": True},
            legend={"orientation": "h", "y": -0.25}, xaxis={"dtick": 1}, margin={"l": 60, "r": 80, "t": 10, "b": 50},
        ),
    }


def figure_heatmap(result: AnalysisResult, matrix: ScoreMatrix) -> dict[str, Any]:
    """Inter-correlations of the capability benchmarks (the matrix PC1 is extracted from)."""
    c = cd.capability_intercorrelation(result, matrix)
    names = [_pt(matrix.benchmarks.loc[b, "name"]) if b in matrix.benchmarks.index else _pt(b) for b in c.index]
    z = [[_num(v) for v in row] for row in c.to_numpy()]
    return {
        "data": [
            {"type": "heatmap", "z": z, "x": names, "y": names, "zmin": -1, "zmax": 1, "colorscale": "RdBu",
             "colorbar": {"title": {"text": "r (higher = rise together)", "side": "right"}},
             "text": [[f"{v:+.2f}" if v is not None else "" for v in row] for row in z], "texttemplate": "%{text}",
             "textfont": {"size": 9},
             "hovertemplate": "%{y} vs %{x}: r = %{z:.3f}<extra></extra>"}
        ],
        "layout": _layout(
            f"{'Spearman' if result.method == 'spearman' else 'Pearson'} inter-correlation of capability benchmarks, "
            f"panel '{_pt(result.panel)}' (n = {result.direction.n_complete} models with all of them)",
            "", "", height=520, yaxis={"autorange": "reversed"}, xaxis={"tickangle": -45},
        ),
    }


def figure_ranking(result: AnalysisResult, matrix: ScoreMatrix) -> dict[str, Any]:
    """Models ranked by capabilities score (most capable at the top)."""
    rk = cd.ranking(result, matrix)
    return {
        "data": [
            {"type": "bar", "orientation": "h", "x": rk["capabilities_score"].tolist(), "y": list(range(len(rk))),
             "text": [_pt(n) for n in rk["name"]], "textposition": "none",
             "hovertemplate": "#%{customdata}: <b>%{text}</b><br>capabilities score %{x:+.3f}<extra></extra>",
             "customdata": rk["rank"].tolist(), "marker": {"color": cd.OKABE_ITO[0]}}
        ],
        "layout": _layout(
            f"Models by capabilities score, panel '{_pt(result.panel)}' (n = {len(rk)} scored)",
            cd.capability_axis(result, matrix) + " →", "", height=max(360, 18 * len(rk) + 120),
            yaxis={"tickvals": list(range(len(rk))), "ticktext": [_pt(n) for n in rk["name"]], "autorange": "reversed"},
            margin={"l": 220, "r": 20, "t": 10, "b": 50},
        ),
    }


def figure_over_time(result: AnalysisResult, matrix: ScoreMatrix) -> dict[str, Any] | None:
    """Capabilities score against release date (error bars = 95% intervals when the score has SEs); None without dates."""
    d = cd.over_time(result, matrix)
    if d.empty:
        return None
    has_se = bool(d["se"].notna().any())
    orgs = d["organisation"].value_counts()
    top = [o for o in orgs.index[:7] if o]
    traces = []
    for k, org in enumerate([*top, "other"]):
        g = d[~d["organisation"].isin(top)] if org == "other" else d[d["organisation"] == org]
        if g.empty:
            continue
        tr: dict[str, Any] = {
            "type": "scatter", "mode": "markers", "name": f"{_pt(org)} ({len(g)})",
            "x": [t.strftime("%Y-%m-%d") for t in g["release_date"]], "y": g["capabilities_score"].tolist(),
            "text": [_pt(n) for n in g["name"]],
            "marker": {"size": 7, "color": cd.NEUTRAL if org == "other" else cd.OKABE_ITO[k % len(cd.OKABE_ITO)],
                       "line": {"width": 0.5, "color": "#333"}},
            "hovertemplate": "<b>%{text}</b><br>released %{x}<br>capabilities score %{y:+.3f}<extra></extra>",
        }
        if has_se:
            tr["error_y"] = {"type": "data", "array": (g["high"] - g["capabilities_score"]).tolist(), "thickness": 0.8,
                             "width": 0}
        traces.append(tr)
    traces += _variant_trace(d)
    unc = "; error bars: 95% intervals (estimate ± 1.96 SE)" if has_se else ""
    return {
        "data": traces,
        "layout": _layout(
            f"Capabilities over time, panel '{_pt(result.panel)}' (n = {len(d)} models{unc})",
            "Release date →", _ylabel(cd.capability_axis(result, matrix) + " →"), height=480,
        ),
    }


def _variant_trace(d: Any) -> list[dict[str, Any]]:
    """One line trace joining each group of same-family variants released the same day (as the static figure)."""
    xs: list[Any] = []
    ys: list[Any] = []
    groups = d[d["variants"] >= 0].groupby("variants")
    for _, g in groups:
        day = g["release_date"].iloc[0].strftime("%Y-%m-%d")
        xs += [day, day, None]
        ys += [float(g["capabilities_score"].min()), float(g["capabilities_score"].max()), None]
    if not xs:
        return []
    n = int((d["variants"] >= 0).sum())
    return [{"type": "scatter", "mode": "lines", "name": f"same-day variants ({len(groups)} groups, {n} models)", "x": xs,
             "y": ys, "line": {"color": "#333", "width": 1}, "hoverinfo": "skip"}]


def figure_points(title: str, points: Sequence[dict[str, Any]], benchmark: str, ylabel: str,
                  fit: dict[str, float] | None = None, xlabel: str = axis_label(None)) -> dict[str, Any]:
    """Scatter of audit points (``capabilities_score`` vs ``benchmark``), hover = the user's model name."""
    pts = [p for p in points if _num(p.get("capabilities_score")) is not None and _num(p.get(benchmark)) is not None]
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "markers", "name": "your models",
         "x": [_num(p["capabilities_score"]) for p in pts], "y": [_num(p[benchmark]) for p in pts],
         "text": [_pt(p.get("input_name", p.get("model", ""))) for p in pts],
         "customdata": [_pt(p.get("model", "")) for p in pts],
         "hovertemplate": "<b>%{text}</b> (panel model %{customdata})<br>capabilities %{x:.2f}<br>score %{y:.3g}<extra></extra>",
         "marker": {"size": 10, "color": cd.OKABE_ITO[1], "line": {"width": 0.6, "color": "#333"}}}
    ]
    if fit is not None and pts:
        xs = [min(t for t in traces[0]["x"]), max(t for t in traces[0]["x"])]
        traces.append({"type": "scatter", "mode": "lines", "name": "OLS fit", "x": xs,
                       "y": [fit["intercept"] + fit["slope"] * x for x in xs], "line": {"color": "#555", "dash": "dash"},
                       "hoverinfo": "skip"})
    return {"data": traces, "layout": _layout(title, xlabel + " →", ylabel, height=440,
                                              legend={"orientation": "h", "y": -0.2})}


def _ols(x: list[float], y: list[float]) -> dict[str, float] | None:
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    if len(xa) < 3 or np.ptp(xa) == 0:
        return None
    b, a = np.polyfit(xa, ya, 1)
    return {"intercept": float(a), "slope": float(b)}


def figure_claim(claim: dict[str, Any], result: AnalysisResult | None, matrix: ScoreMatrix | None) -> dict[str, Any]:
    """Claim view: panel scatter + fit line, before/after points, the change split into predicted and beyond parts."""
    bench = str(claim.get("benchmark", ""))
    g = cd.claim_geometry(claim)
    slope, icpt, xb, xa, yb, ya, ypred = g["slope"], g["intercept"], g["xb"], g["xa"], g["yb"], g["ya"], g["ypred"]
    obs, pred = g["obs"], g["pred"]
    traces: list[dict[str, Any]] = []
    xs_all = [xb, xa]
    pts = cd.claim_panel_points(claim, result, matrix)
    if pts is not None:
        xs_all += pts["x"]
        traces.append({"type": "scatter", "mode": "markers", "name": f"panel '{_pt(pts['panel'])}' models",
                       "x": pts["x"], "y": pts["y"],
                       "text": [_pt(n) for n in pts["names"]], "hovertemplate": _HOVER_POINT,
                       "marker": {"size": 8, "color": "#BBBBBB", "line": {"width": 0.5, "color": "#555"}}})
    if slope is not None and icpt is not None:
        x0, x1 = min(xs_all), max(xs_all)
        traces.append({"type": "scatter", "mode": "lines", "name": "capabilities fit", "x": [x0, x1],
                       "y": [icpt + slope * x0, icpt + slope * x1], "line": {"color": "#555", "dash": "dash"},
                       "hoverinfo": "skip"})
    labels = [_pt(str(claim.get(k, {}).get("model") or k) if isinstance(claim.get(k), dict) else k) for k in ("before", "after")]
    traces.append({"type": "scatter", "mode": "markers+text", "name": "before / after", "x": [xb, xa], "y": [yb, ya],
                   "text": labels, "textposition": "top center",
                   "marker": {"size": 12, "color": [cd.OKABE_ITO[0], cd.OKABE_ITO[1]], "line": {"width": 1, "color": "#000"}},
                   "hovertemplate": "%{text}: capabilities %{x:.2f}, score %{y:.3g}<extra></extra>"})
    beyond = g["beyond"]
    share = _num(claim.get("share_explained")) if claim.get("share_identified", True) else None
    ann = [
        {"x": xa, "y": ypred, "ax": xb, "ay": yb, "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "showarrow": True,
         "arrowhead": 3, "arrowwidth": 2, "arrowcolor": cd.OKABE_ITO[2], "text": ""},
        {"x": xa, "y": ya, "ax": xa, "ay": ypred, "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "showarrow": True,
         "arrowhead": 3, "arrowwidth": 2, "arrowcolor": cd.OKABE_ITO[3], "text": ""},
    ]
    for name, colour in ((f"predicted by capabilities: {pred:+.3g}", cd.OKABE_ITO[2]),
                         (f"beyond capabilities: {beyond:+.3g}", cd.OKABE_ITO[3])):  # the arrows' key, in the legend
        traces.append({"type": "scatter", "mode": "lines", "name": name, "x": [None], "y": [None],
                       "line": {"color": colour, "width": 2}, "hoverinfo": "skip"})
    plo, phi = _num(claim.get("beyond_capabilities_pi_low")), _num(claim.get("beyond_capabilities_pi_high"))
    lo, hi = _num(claim.get("beyond_capabilities_ci_low")), _num(claim.get("beyond_capabilities_ci_high"))
    if plo is not None and phi is not None:  # the prediction interval (single models' scatter) decides
        sup = "supported" if claim.get("beyond_capabilities_supported") else "not supported"
        itv = f" [{plo:+.3g}, {phi:+.3g}] prediction interval, {sup}"
    else:
        itv = f" [{lo:+.3g}, {hi:+.3g}]" if lo is not None and hi is not None else ""
    title = (f"Claim on {_pt(claim.get('benchmark_name') or bench)}: observed {obs:+.3g} = predicted by capabilities {pred:+.3g} "
             f"+ beyond capabilities {beyond:+.3g}{itv}")
    if share is not None:
        title += f" ({share:.0%} explained by capabilities)"
    ylabel = _ylabel(cd.benchmark_label(matrix, bench) if matrix is not None and bench in matrix.scores.columns
                     else bench + "; higher = safer / better")
    return {"data": traces, "layout": _layout(title, cd.capability_axis(claim) + " →", ylabel, height=480, annotations=ann,
                                              legend={"orientation": "h", "y": -0.2})}


def _table_rows(results: Sequence[AnalysisResult]) -> list[dict[str, Any]]:
    rows = []
    for res in results:
        for r in res.results:
            rows.append({
                "panel": res.panel, "area": area_label(r.area if r.role != "capability" else "capabilities"),
                "name": r.name, "benchmark": r.benchmark, "role": r.role, "r": r.correlation,
                "ci_low": _num(r.extra.get("ci_low")), "ci_high": _num(r.extra.get("ci_high")),
                "p_value": _num(r.extra.get("p_value")), "slope": _num(r.extra.get("slope")),
                "n": r.n, "verdict": r.verdict, "verdict_text": verdict_text(r.verdict),
                "noise_limited": bool(r.extra.get("noise_limited")),
            })
    return rows


def report_figures(
    results: Sequence[AnalysisResult], matrices: Sequence[ScoreMatrix], *, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Every plotly figure (as plain dicts), one dict per panel in order: ``{"correlations", "scree", ...}``."""
    out: list[dict[str, Any]] = []
    for res, m in zip(results, matrices):
        if progress:
            progress(f"charts for panel {res.panel}")
        scat = {r.benchmark: figure_scatter(res, m, r.benchmark) for r in res.results if r.benchmark in m.scores.columns}
        has_components = bool(res.direction.component_shares)  # scree and complete-row heatmap belong to PCA
        out.append({
            "correlations": figure_correlations(res),
            "scree": figure_scree(res) if has_components else None,
            "heatmap": figure_heatmap(res, m) if has_components else None,
            "ranking": figure_ranking(res, m),
            "over_time": figure_over_time(res, m),
            "scatter": scat,
        })
    return out


def _json_island(obj: Any) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' can end the element."""
    s = json.dumps(obj, allow_nan=False, separators=(",", ":"), default=_default)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029")


def _default(o: Any) -> Any:
    if hasattr(o, "item"):
        v = o.item()
        return None if isinstance(v, float) and (math.isnan(v) or math.isinf(v)) else v
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(obj: Any) -> Any:
    """Replace NaN/inf floats (anywhere) by None so the JSON is strict."""
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs  # lazy: keeps cold CLI start fast

    return get_plotlyjs()


def build_report(
    results: Sequence[AnalysisResult],
    matrices: Sequence[ScoreMatrix],
    *,
    audit: dict[str, Any] | None = None,
    claim: dict[str, Any] | None = None,
    items: dict[str, Any] | None = None,
    title: str = "safetywashing report",
    sources: Sequence[str] = (),
    progress: Progress | None = None,
    generated: datetime | None = None,
) -> str:
    """One self-contained HTML report (plotly.js embedded; no network request when opened).

    Parameters
    ----------
    results, matrices:
        Analysis results and, in the same order, the score matrices they came
        from (for the scatter points).
    audit:
        Optional ``audit`` output (``panel``, ``matched``, ``unmatched``,
        ``results`` rows, ``points``): shown first, with each audited
        benchmark's scatter and verdict.
    claim:
        Optional ``claim`` output (``benchmark``, ``capability_score_before/after``,
        ``observed_change``, ``predicted_change``, ``beyond_capabilities``, ...):
        a panel scatter with the change split into its capability-predicted part
        and the part beyond capabilities.
    items:
        Optional ``items --format json`` output: an item view per benchmark
        (each item's mean score against its capabilities correlation, flagged
        items, the decorrelated subset).
    title, sources:
        Page title and the input file names shown in the summary (escaped).
    progress:
        Optional callback receiving a short step description (for a CLI progress bar).
    generated:
        Timestamp printed in the footer (default now, UTC); pass one for byte-identical output.

    Returns
    -------
    str
        The HTML document.
    """
    results, matrices = _paired_inputs(results, matrices)
    figs = report_figures(results, matrices, progress=progress)
    panels = [_panel_view(i, res, m, figs[i]) for i, (res, m) in enumerate(zip(results, matrices))]
    extra: dict[str, Any] = {}  # the audit / items / claim figures, in that order, for the JSON data island
    audit_view = _audit_step(audit, extra, progress)
    items_view = _items_step(items, extra)
    claim_view = _claim_step(claim, results, matrices, extra, progress)
    if progress:
        progress("assembling HTML with embedded plotly.js")
    return _render_html(
        results, figs, panels, extra, title=title, sources=sources, generated=generated,
        audit_view=audit_view, claim_view=claim_view, items_view=items_view,
    )


def _paired_inputs(
    results: Sequence[AnalysisResult], matrices: Sequence[ScoreMatrix]
) -> tuple[list[AnalysisResult], list[ScoreMatrix]]:
    """``results`` and ``matrices`` as lists, checked to be non-empty and one matrix per result."""
    results, matrices = list(results), list(matrices)
    if not results:
        raise InputError("nothing to report: no analysis results")
    if len(results) != len(matrices):
        raise InputError(f"build_report: {len(results)} result(s) but {len(matrices)} score matrices; pass one matrix per result")
    return results, matrices


def _panel_view(i: int, res: AnalysisResult, m: ScoreMatrix, figs: dict[str, Any]) -> dict[str, Any]:
    """What the template shows of panel number ``i``: counts, capability model, settings, verdicts, methods text,
    and the benchmarks that have a scatter (safety first, by descending r)."""
    st = res.settings or {}
    return {
        "index": i, "panel": res.panel, "method": res.method, "n_models": res.n_models, "n_scored": len(res.model_scores),
        "source": m.source or m.name,
        "capability_names": [str(m.benchmarks.loc[b, "name"]) if b in m.benchmarks.index else b
                             for b in res.capability_benchmarks],
        "pc1": res.pc1_variance_explained, "mean_ic": res.mean_capability_intercorrelation,
        "has_components": bool(res.direction.component_shares), "capability_model": res.direction.describe(),
        "over_time": figs["over_time"] is not None,
        "bootstrap": st.get("bootstrap"), "ci": st.get("ci"), "ci_method": st.get("ci_method"), "seed": st.get("seed"),
        "n_benchmarks": len(res.results), "n_safety": sum(r.role == "safety" for r in res.results),
        "verdicts": _verdict_counts(res), "notes": list(res.notes), "dropped": list(res.dropped_models),
        "methods": cd.methods_text(res),
        "benchmarks": [{"id": r.benchmark, "name": r.name, "area": area_label(r.area), "r": r.correlation}
                       for r in sorted(res.results, key=lambda r: (r.role == "capability", -(r.correlation or -9)))
                       if r.benchmark in figs["scatter"]],
    }


def _audit_step(audit: dict[str, Any] | None, extra: dict[str, Any], progress: Progress | None) -> dict[str, Any] | None:
    """The audit view (None without an audit); its figures go into ``extra["audit"]``."""
    if audit is None:
        return None
    if progress:
        progress("audit view")
    return _audit_view(audit, extra)


def _items_step(items: dict[str, Any] | None, extra: dict[str, Any]) -> dict[str, Any] | None:
    """The item view (None without ``items`` JSON); its figures go into ``extra``."""
    if items is None:
        return None
    from ._item_view import items_view as _items_view

    return _items_view(items, extra, _layout)


_CLAIM_FIELDS = ("benchmark", "panel", "observed_change", "predicted_change", "beyond_capabilities", "share_explained",
                 "slope", "beyond_capabilities_ci_low", "beyond_capabilities_ci_high", "beyond_capabilities_pi_low",
                 "beyond_capabilities_pi_high", "beyond_capabilities_supported", "level")


def _claim_step(
    claim: dict[str, Any] | None,
    results: list[AnalysisResult],
    matrices: list[ScoreMatrix],
    extra: dict[str, Any],
    progress: Progress | None,
) -> dict[str, Any] | None:
    """The claim view (None without a claim): its figure (``extra["claim"]``) is drawn over the claim's panel
    (the first panel when the claim's is not among ``results``)."""
    if claim is None:
        return None
    if progress:
        progress("claim view")
    pr = {r.panel: (r, m) for r, m in zip(results, matrices)}
    res_m = pr.get(str(claim.get("panel", ""))) or (results[0], matrices[0])
    extra["claim"] = figure_claim(claim, *res_m)
    claim_view = {k: claim.get(k) for k in _CLAIM_FIELDS}
    if not claim.get("share_identified", True):  # the part beyond capabilities is within the noise: no share to report
        claim_view["share_explained"] = None
    claim_view["name"] = claim.get("benchmark_name") or claim.get("benchmark")
    claim_view["verdict"] = claim.get("verdict") if isinstance(claim.get("verdict"), str) else None
    return claim_view


@functools.cache
def _template_env() -> Any:
    """The jinja2 environment of the packaged templates (autoescaping, strict variables) with the report's filters;
    one per process, so the template is compiled once (jinja2 recompiles it if the file changes)."""
    import jinja2

    from .._util.io import data_path

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_path("templates"))), autoescape=True, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = lambda v: "-" if _num(v) is None else f"{float(v):.1%}"
    env.filters["level"] = lambda v: "95%" if _num(v) is None else f"{round(float(v) * 100)}%"
    env.filters["r"] = lambda v: "-" if _num(v) is None else f"{float(v):+.2f}"
    env.filters["g"] = lambda v: "-" if _num(v) is None else f"{float(v):.3g}"
    return env


def _render_html(
    results: list[AnalysisResult],
    figs: list[dict[str, Any]],
    panels: list[dict[str, Any]],
    extra: dict[str, Any],
    *,
    title: str,
    sources: Sequence[str],
    generated: datetime | None,
    audit_view: dict[str, Any] | None,
    claim_view: dict[str, Any] | None,
    items_view: dict[str, Any] | None,
) -> str:
    """The HTML document: the template filled with the views, the results table and the JSON data island of every
    figure, plotly.js embedded; ``generated`` (default now, UTC) is the footer's timestamp."""
    from .._util.version import __version__

    tpl = _template_env().get_template("report.html.j2")
    data = _clean({"figures": figs, "extra": extra})
    when = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return tpl.render(
        title=title, version=__version__, generated=when, panels=panels, rows=_table_rows(results),
        has_ci=any("ci_low" in r.extra for res in results for r in res.results),
        verdict_options=verdict_options(results),
        has_p=any("p_value" in r.extra for res in results for r in res.results),
        sources=list(sources), audit=audit_view, claim=claim_view, items=items_view,
        data_json=_json_island(data), plotly_js=_plotly_js(),
    )


def _verdict_counts(res: AnalysisResult) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for r in res.results:
        if r.role == "safety":
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
    return sorted(counts.items(), key=lambda kv: _verdict_key(kv[0]))


def _verdict_key(v: str) -> tuple[int, int, int]:
    """Single bands first (high to high negative), then ranges (narrow first), then undefined."""
    from ..inference._verdict import BANDS

    if v in BANDS:
        return (0, -BANDS.index(v), 0)
    if " to " in v:
        a, b = v.split(" to ", 1)
        if a in BANDS and b in BANDS:
            return (1, BANDS.index(b) - BANDS.index(a), -BANDS.index(b))
    return (2, 0, 0)


def verdict_options(results: list[AnalysisResult]) -> list[str]:
    """Every verdict present in ``results``, in the report's order (for the table's filter)."""
    return sorted({r.verdict for res in results for r in res.results}, key=_verdict_key)


def _audit_view(audit: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    rows = list(audit.get("results", []))
    points = list(audit.get("points", []))
    figs = {}
    view_rows = []
    for i, r in enumerate(rows):
        b = str(r.get("benchmark", ""))
        name = str(r.get("name", b))
        corr = _num(r.get("correlation"))
        ci = cd.interval_text(r.get("ci_low"), r.get("ci_high"))
        xs = [p for p in points if _num(p.get("capabilities_score")) is not None and _num(p.get(b)) is not None]
        fit = _ols([float(p["capabilities_score"]) for p in xs], [float(p[b]) for p in xs])
        rtxt = f"r = {corr:+.2f}{ci}" if corr is not None else "r undefined"
        figs[f"a{i}"] = figure_points(
            f"Audit: {_pt(name)}: {rtxt}, n = {r.get('n', len(xs))} (verdict: {_pt(r.get('verdict', ''))})",
            xs, b, _ylabel(name + "; higher = safer / better"), fit, xlabel=cd.capability_axis(audit),
        )
        view_rows.append({"key": f"a{i}", "name": name, "benchmark": b, "r": corr, "ci_low": _num(r.get("ci_low")),
                          "ci_high": _num(r.get("ci_high")), "n": r.get("n"), "verdict": str(r.get("verdict", "")),
                          "verdict_text": verdict_text(str(r.get("verdict", "")))})
    extra["audit"] = figs
    return {"panel": str(audit.get("panel", "")), "matched": [str(x) if not isinstance(x, dict) else
                                                              f"{x.get('input_name', '')} -> {x.get('model', '')}"
                                                              for x in audit.get("matched", [])],
            "unmatched": [str(x) for x in audit.get("unmatched", [])], "rows": view_rows,
            "sd_ratio": _num(audit.get("capability_sd_ratio")), "n_panel": audit.get("n_panel_scored"),
            "warnings": [str(w) for w in audit.get("warnings", []) if "restricted range" in str(w)]}
