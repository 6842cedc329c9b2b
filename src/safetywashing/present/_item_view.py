"""The report's item view: each item's difficulty against its capabilities correlation (from ``items`` JSON)."""

from __future__ import annotations

import math
from typing import Any

POINTS_GL = 5000  # above this many items per trace the scatter uses WebGL


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _esc(s: Any) -> str:
    """Text for plotly hover labels: no markup."""
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


FLAGGED = "capability-driven (LR q < 0.10, discrimination >= 0.5)"
OKABE_BLUE, OKABE_VERMILLION, GREY = "#0072B2", "#D55E00", "#BBBBBB"  # the report's palette (present._chartdata)


def figure_items(bench: dict[str, Any], layout: Any) -> dict[str, Any]:
    """Scatter of items: x = mean score (share of models correct / safe), y = correlation with capabilities.

    Fill: capability-driven (flagged) items vermillion, the other items grey; a blue ring marks each item of the
    decorrelated subset, flagged or not (the subset is the least correlated half, chosen on all models, so it can hold
    a flagged item). So the legend counts agree with the text: every flagged item, every subset item.
    ``layout(title, xtitle, ytitle, **kw)`` is the report's layout helper.
    """
    subset = set((bench.get("subset") or {}).get("items") or [])
    groups: dict[str, list] = {FLAGGED: [], "other items": []}
    ringed: list = []
    for it in bench.get("items", []):
        x, y = _num(it.get("mean")), _num(it.get("correlation"))
        if x is None or y is None:
            continue
        groups[FLAGGED if it.get("capability_driven") else "other items"].append((x, y, it))
        if it.get("item") in subset:
            ringed.append((x, y, it))
    traces = [_item_trace(f"{name}: {len(pts)}", pts, {"size": 7, "color": OKABE_VERMILLION if name == FLAGGED else GREY,
                                                       "opacity": 0.85})
              for name, pts in groups.items() if pts]
    if ringed:
        drawn = f"{len(ringed)}" if len(ringed) == len(subset) else f"{len(ringed)} of {len(subset)} drawn"
        traces.append(_item_trace(f"decorrelated subset: {drawn} (ringed)", ringed,
                                  {"size": 12, "symbol": "circle-open", "color": OKABE_BLUE, "line": {"width": 2}}))
    sub = bench.get("subset") or {}
    r = _num(bench.get("correlation"))
    rs = _num(sub.get("correlation"))
    title = (
        f"{_esc(bench.get('benchmark', ''))}: {bench.get('n_items')} items, {bench.get('n_models')} models; "
        f"benchmark r = {r:+.2f}" if r is not None else f"{_esc(bench.get('benchmark', ''))}"
    )
    if rs is not None:
        title += f"; subset r = {rs:+.2f} (cross-fitted)"
    lay = layout(
        title,
        "mean score of the item (share of models correct / safe; higher = easier) →",
        "correlation with capabilities (higher = rises with capabilities) →",
        height=480,
        legend={"orientation": "h", "y": -0.2},
    )
    zero = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 0, "line": {"color": "#888", "dash": "dot"}}
    lay["shapes"] = [zero]
    return {"data": traces, "layout": lay}


def _item_trace(name: str, pts: list, marker: dict[str, Any]) -> dict[str, Any]:
    """One trace of items (WebGL above :data:`POINTS_GL` points), hover = item id, mean, r, n and q."""
    return {
        "type": "scattergl" if len(pts) > POINTS_GL else "scatter",
        "mode": "markers",
        "name": name,
        "x": [p[0] for p in pts],
        "y": [p[1] for p in pts],
        "text": [_esc(p[2].get("item", "")) for p in pts],
        "customdata": [[p[2].get("n"), _num(p[2].get("q_value"))] for p in pts],
        "hovertemplate": "<b>%{text}</b><br>mean %{x:.2f}, r %{y:+.2f}<br>n = %{customdata[0]}, q = %{customdata[1]:.2g}"
        "<extra></extra>",
        "marker": marker,
    }


def items_view(doc: dict[str, Any], extra: dict[str, Any], layout: Any) -> dict[str, Any]:
    """Template data for the item section; the figures go in ``extra["items"]``."""
    benches = doc["benchmarks"] if "benchmarks" in doc else [doc]
    figs = {}
    rows = []
    for i, b in enumerate(benches):
        key = f"i{i}"
        figs[key] = figure_items(b, layout)
        sub = b.get("subset") or {}
        rows.append(
            {
                "key": key,
                "benchmark": str(b.get("benchmark", "")),
                "n_models": b.get("n_models"),
                "n_items": b.get("n_items"),
                "r": _num(b.get("correlation")),
                "ci_low": _num(b.get("ci_low")),
                "ci_high": _num(b.get("ci_high")),
                "reliability": _num(b.get("reliability")),
                "split_half": _num(b.get("reliability_split_half")),
                "noise_ceiling": _num(b.get("noise_ceiling")),
                "disattenuated": _num(b.get("disattenuated_correlation")),
                "n_flagged": sum(bool(it.get("capability_driven")) for it in b.get("items", [])),
                "subset_flagged": sum(bool(it.get("capability_driven")) and it.get("item") in set(sub.get("items") or [])
                                      for it in b.get("items", [])),
                "subset_n": sub.get("n_items"),
                "subset_r": _num(sub.get("correlation")),
                "subset_lo": _num(sub.get("ci_low")),
                "subset_hi": _num(sub.get("ci_high")),
                "subset_in": _num(sub.get("in_sample_correlation")),
                "subset_rel": _num(sub.get("reliability")),
                "subset_items": [str(x) for x in (sub.get("items") or [])[:200]],
                "subset_more": max(0, len(sub.get("items") or []) - 200),
            }
        )
    extra["items"] = figs
    return {"rows": rows, "source": str(doc.get("capabilities_scores", ""))}
