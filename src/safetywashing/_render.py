"""Renderers: terminal table, JSON, CSV and Markdown for analysis results."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from ._analysis import AnalysisResult
from ._registry import area_label
from ._sheet import markdown_safe, to_csv

FORMATS = ("table", "json", "csv", "markdown")
_ROLE_ORDER = {"safety": 0, "other": 1, "capability": 2}


def _num(x: Any, nd: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:+.{nd}f}" if isinstance(x, float) else str(x)


def grouped(result: AnalysisResult) -> list[tuple[str, list]]:
    """Rows grouped by area (safety areas first, capabilities last), sorted by correlation (descending)."""
    groups: dict[tuple[int, str], list] = {}
    for r in result.results:
        key = (_ROLE_ORDER.get(r.role, 1), r.area if r.role != "capability" else "capabilities")
        groups.setdefault(key, []).append(r)
    out = []
    for key in sorted(groups, key=lambda k: (k[0], area_label(k[1]))):
        rows = sorted(groups[key], key=lambda r: (-(r.correlation if r.correlation is not None else -9), r.benchmark))
        out.append((key[1], rows))
    return out


def _ci(r) -> str:
    lo, hi = r.extra.get("ci_low"), r.extra.get("ci_high")
    if lo is None or hi is None:
        return ""
    return f"[{lo:+.2f}, {hi:+.2f}]"


def _short(name: str, width: int = 44) -> str:
    return name if len(name) <= width else name[: width - 3] + "..."


def text_table(headers: list[str], rows: list[list[str]], align: str) -> list[str]:
    """Plain fixed-width table lines (fast; ``align`` has one ``l``/``r`` per column)."""
    widths = [max([len(h)] + [len(r[i]) for r in rows if len(r) > 1]) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        if len(cells) == 1:
            return cells[0]
        out = [c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(cells, widths, align)]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [fmt(headers), rule, *[fmt(r) for r in rows]]


def render_table(results: list[AnalysisResult]) -> str:
    """A readable plain-text table per panel, grouped by safety area; returns the text."""
    lines: list[str] = []
    for res in results:
        has_ci = any("ci_low" in r.extra for r in res.results)
        level = res.settings.get("ci") or 0.95
        lines.append(
            f"Panel {res.panel!r}: {res.n_models} models; {res.method} correlation with the capabilities score "
            f"(PC1 of {len(res.capability_benchmarks)} capability benchmarks, {res.pc1_variance_explained:.1%} of their variance)"
        )
        lines.append("")
        headers = ["Area / benchmark", "id", "r"] + ([f"{int(round(level * 100))}% CI"] if has_ci else []) + ["n", "verdict"]
        align = "llr" + ("r" if has_ci else "") + "rl"
        rows: list[list[str]] = []
        for area, group in grouped(res):
            rows.append([area_label(area)])
            for r in group:
                cells = [f"  {_short(r.name)}", r.benchmark, _num(r.correlation)]
                if has_ci:
                    cells.append(_ci(r))
                cells += [str(r.n), r.verdict]
                rows.append(cells)
        lines += text_table(headers, rows, align)
        lines.append("")
        lines.append(
            "r: correlation with the capabilities score (higher = the benchmark rises with general capabilities); "
            "n: models behind r."
        )
        lines.append(
            "Verdict bands on |r|: >= 0.70 high, 0.40-0.70 moderate, < 0.40 low; negative = capabilities work against it."
        )
        for note in res.notes:
            lines.append(f"note: {note}")
        lines.append("")
    return "\n".join(lines) + "\n"


def render_json(results: list[AnalysisResult], extra: dict[str, Any] | None = None) -> str:
    """``{"panels": [...]}`` JSON (the documented contract)."""
    doc: dict[str, Any] = {"panels": [r.to_dict() for r in results]}
    if extra:
        doc.update(extra)
    return json.dumps(doc, indent=2, allow_nan=False, default=_json_default) + "\n"


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def results_frame(results: list[AnalysisResult]) -> pd.DataFrame:
    """All panels' rows in one tidy DataFrame."""
    return pd.concat([r.to_frame() for r in results], ignore_index=True)


def render_csv(results: list[AnalysisResult]) -> str:
    """Tidy CSV: one row per panel x benchmark."""
    return to_csv(results_frame(results), index=False)


def render_markdown(results: list[AnalysisResult]) -> str:
    """A Markdown table per panel, grouped by area (drops into a paper or README)."""
    out = []
    for res in results:
        has_ci = any("ci_low" in r.extra for r in res.results)
        out.append(
            f"### Panel `{res.panel}` ({res.n_models} models, {res.method}; "
            f"PC1 = {res.pc1_variance_explained:.1%} of capability variance)\n"
        )
        level = res.settings.get("ci") or 0.95
        head = "| Area | Benchmark | id | r |" + (f" {int(round(level * 100))}% CI |" if has_ci else "") + " n | verdict |"
        out.append(head)
        out.append("|" + "---|" * (head.count("|") - 1))
        for area, rows in grouped(res):
            for r in rows:
                ci = f" {_ci(r)} |" if has_ci else ""
                out.append(
                    f"| {area_label(area)} | {r.name} | `{r.benchmark}` | {_num(r.correlation)} |{ci} {r.n} | {r.verdict} |"
                )
        out.append("")
        for note in res.notes:
            out.append(f"- note: {note}")
        out.append("")
    return markdown_safe("\n".join(out))


def render(results: list[AnalysisResult], fmt: str) -> str:
    """Render in one of :data:`FORMATS`."""
    if fmt == "json":
        return render_json(results)
    if fmt == "csv":
        return render_csv(results)
    if fmt == "markdown":
        return render_markdown(results)
    return render_table(results)


SUMMARY_WIDTH = 80


def render_summary(results: list[AnalysisResult], *, top: int = 3, width: int = SUMMARY_WIDTH) -> str:
    """One screen, no line wider than ``width``: per panel the PC1 share, the count of each verdict among its
    safety benchmarks (all non-capability columns when none is a registry safety benchmark), the ``top`` that
    track capabilities most (highest r) and least (|r| nearest 0), then how to get the full table.

    Verdicts are counted as the analysis gave them (no band names here)."""
    import textwrap

    lines: list[str] = []
    for res in results:
        rows = [r for r in res.results if r.role == "safety"] or [r for r in res.results if r.role != "capability"]
        what = "safety benchmarks" if rows and rows[0].role == "safety" else "benchmarks"
        has_ci = any("ci_low" in r.extra for r in rows)
        level = res.settings.get("ci") or 0.95
        lines.append(
            _fit(f"Panel {res.panel!r}: {res.n_models} models; PC1 = {res.pc1_variance_explained:.1%} of the variance "
                 f"of {len(res.capability_benchmarks)} capability benchmarks", width)
        )
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        order = sorted(counts, key=lambda v: (-counts[v], v))
        items = ", ".join(f"{counts[v]} {v}".replace(" ", "\xa0") for v in order)  # keep "3 high negative" whole
        lines += [ln.replace("\xa0", " ") for ln in textwrap.wrap(
            f"verdicts of {len(rows)} {what}: {items}",
            width=width, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False,
        )]
        scored = [r for r in rows if r.correlation is not None]
        most = sorted(scored, key=lambda r: (-r.correlation, r.benchmark))[:top]
        least = sorted(scored, key=lambda r: (abs(r.correlation), r.benchmark))[:top]
        n_w = max([1] + [len(str(r.n)) for r in most + least])
        v_w = max([7] + [len(r.verdict) for r in most + least])
        ci_w = 14 if has_ci else 0
        name_w = max(12, width - 4 - 6 - (ci_w + 1 if has_ci else 0) - (n_w + 1) - (v_w + 2))
        ci_head = f" {f'{int(round(level * 100))}% CI':>{ci_w}}" if has_ci else ""
        for label, group in (("highest r (track capabilities most)", most), ("|r| nearest 0 (track them least)", least)):
            lines.append(f"  {label:<{name_w + 2}} {'r':>5}{ci_head} {'n':>{n_w}}  verdict" if group is most else f"  {label}")
            for r in group:
                ci = f" {_ci(r):>{ci_w}}" if has_ci else ""
                lines.append(f"    {_short(r.name, name_w):<{name_w}} {_num(r.correlation):>5}{ci} {r.n:>{n_w}}  {r.verdict}")
        lines.append("")
    res0 = results[0] if results else None
    if res0 is not None:
        boot = int(res0.settings.get("bootstrap") or 0)
        how = str(res0.settings.get("ci_method") or "bca").replace("bca", "BCa")
        ci_txt = f"CI: {how} bootstrap, {boot:,} resamples of models" if boot else "no intervals (--bootstrap 0)"
        lines += textwrap.wrap(
            f"r: {res0.method} correlation with the capabilities score (higher = rises with capabilities); "
            f"n: models behind r; {ci_txt}.", width=width,
        )
    lines.append("Every benchmark, grouped by area: --full. All fields (slopes, ranges, notes):")
    lines.append("--format json|csv|markdown. Write to a file: --output FILE.")
    return "\n".join(lines) + "\n"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
