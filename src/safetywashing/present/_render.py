"""Renderers: terminal table, JSON, CSV and Markdown for analysis results."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .._util.jsonout import dumps
from ..commands._analyze import AnalysisResult
from ..inference._verdict import BANDS_SENTENCE
from ..sources._registry import area_label
from ._sheet import markdown_safe, to_csv

FORMATS = ("table", "json", "csv", "markdown", "html")
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


def shown_verdict(r) -> str:
    """The verdict as tables show it: with ``(noise-limited)`` when item noise alone could make it look low."""
    return r.verdict + (" (noise-limited)" if r.extra.get("noise_limited") else "")


def verdict_legend(res: AnalysisResult) -> str:
    """One line saying what the verdicts mean and which multiplicity adjustment their intervals carry."""
    st = res.settings
    text = (f"{BANDS_SENTENCE}; "
            "negative = capabilities work against it.")
    if st.get("bootstrap"):
        adj = st.get("adjust", "none")
        how = {"none": "not adjusted for multiplicity", "bonferroni": "Bonferroni-adjusted",
               "fcr": "FCR-adjusted (Benjamini-Yekutieli)"}.get(adj, adj)
        text += (f" A verdict names the bands its interval overlaps (one band only when one remains); intervals {how}"
                 f" (--adjust {adj}).")
    return text


def ci_header(res: AnalysisResult) -> str:
    """``95% CI``, or ``95% CI (fcr)`` when the intervals are multiplicity-adjusted."""
    level = res.settings.get("ci") or 0.95
    adj = res.settings.get("adjust", "none")
    return f"{int(round(level * 100))}% CI" + ("" if adj in (None, "none") else f" ({adj})")


def _short(name: str, width: int = 44) -> str:
    return name if len(name) <= width else name[: width - 3] + "..."


def console_width() -> int:
    """Width of text tables: ``COLUMNS`` if set, else the terminal's when stdout is one, else 80 (rich's rule)."""
    import os
    import shutil
    import sys

    cols = os.environ.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    return shutil.get_terminal_size((80, 24)).columns if tty else 80


def styled_table(title: str | None = None, **kw: Any) -> Any:
    """A rich table in the one style every command prints: a rule under the header, no box, title on the left.

    Titles and cells are plain text (markup off: callers pass :class:`rich.text.Text` or escaped strings)."""
    from rich.box import Box
    from rich.table import Table

    rule = Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)  # rich's SIMPLE_HEAD, in ASCII
    return Table(title=title, title_justify="left", box=rule, show_edge=False, pad_edge=False, collapse_padding=True, **kw)


def render_rich(*items: Any, width: int | None = None) -> str:
    """Plain text of rich renderables and strings, every line within ``width`` (default :func:`console_width`).

    Strings are printed as they are (no markup), wrapped at spaces with a hanging indent of their own indent + 4."""
    import io
    import textwrap

    from rich.console import Console

    width = width or console_width()
    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None,
                  highlight=False, emoji=False, soft_wrap=False)
    for item in items:
        if isinstance(item, str):
            for line in item.split("\n"):
                lead = " " * (len(line) - len(line.lstrip(" ")))
                wrapped = textwrap.wrap(line, width=width, subsequent_indent=lead + "    ", break_on_hyphens=False) or [""]
                con.file.write("\n".join(wrapped) + "\n")
        else:
            con.print(item)
    text = con.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in text.split("\n"))


def score_label(res: AnalysisResult) -> str:
    """What the capabilities score is, in a few words, as its model labels itself (PCA: PC1 share; irt: the
    logistic model, how many models it scored and its anchor)."""
    return res.direction.label(len(res.model_scores))


def _fitted_widths(natural: list[int], shrinkable: list[bool], width: int, gap: int = 2) -> list[int]:
    """Column widths that fit ``width``: the shrinkable (text) columns give up space in proportion to their width,
    none below 10 characters; the others (numbers) keep theirs."""
    widths = list(natural)
    excess = sum(widths) + gap * (len(widths) - 1) - width
    while excess > 0:
        room = [(w - 10 if s and w > 10 else 0) for w, s in zip(widths, shrinkable)]
        if not sum(room):
            break
        cut = [min(r, max(1, round(excess * r / sum(room)))) for r in room]
        widths = [w - c for w, c in zip(widths, cut)]
        excess -= sum(cut)
    return widths


def _columns(heads: list[str], widths: list[int], header: bool) -> Any:
    """An empty table with fixed column widths (text columns left, numbers right); ``header`` shows the names."""
    t = styled_table(show_header=header)
    for h, w in zip(heads, widths):
        t.add_column(h, width=w, justify="left" if h in ("area / benchmark", "id", "verdict") else "right", overflow="fold")
    return t


def render_table(results: list[AnalysisResult], width: int | None = None) -> str:
    """Every benchmark per panel, grouped by safety area (one heading line each), in columns of the same widths
    for every area that together fit ``width`` (default: the terminal's; long names wrap inside their cells)."""
    from rich.padding import Padding
    from rich.text import Text

    width = width or console_width()
    items: list[Any] = []
    for res in results:
        has_ci = any("ci_low" in r.extra for r in res.results)
        items.append(f"Panel {res.panel!r}: {res.n_models} models; {res.method} correlation with the capabilities "
                     f"score ({score_label(res)})")
        heads = ["area / benchmark", "id", "r"] + ([ci_header(res)] if has_ci else []) + ["n", "verdict"]
        rows = [[Text(r.name), Text(r.benchmark), _num(r.correlation), *([_ci(r)] if has_ci else []), str(r.n),
                 Text(shown_verdict(r))] for r in res.results]
        natural = [max(len(h), *(len(str(row[i])) for row in rows)) for i, h in enumerate(heads)]
        fitted = _fitted_widths(natural, [h in ("area / benchmark", "id", "verdict") for h in heads], width - 2)
        by_id = {r.benchmark: row for r, row in zip(res.results, rows)}

        items.append(Padding(_columns(heads, fitted, True), (0, 0, 0, 2)))  # the header once, then each area's heading and rows
        for area, group in grouped(res):
            t = _columns(heads, fitted, False)
            for r in group:
                t.add_row(*by_id[r.benchmark])
            items += [area_label(area), Padding(t, (0, 0, 0, 2))]
        items += ["", "r: correlation with the capabilities score (higher = the benchmark rises with general "
                      "capabilities); n: models behind r.", verdict_legend(res), *(f"note: {note}" for note in res.notes), ""]
    return render_rich(*items, width=width)


def render_json(results: list[AnalysisResult], extra: dict[str, Any] | None = None) -> str:
    """``{"panels": [...]}`` JSON (the documented contract)."""
    doc: dict[str, Any] = {"panels": [r.to_dict() for r in results]}
    if extra:
        doc.update(extra)
    return dumps(doc, default=_json_default)


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def results_frame(results: list[AnalysisResult]) -> pd.DataFrame:
    """All panels' rows in one tidy DataFrame."""
    return pd.concat([r.to_frame() for r in results], ignore_index=True)


def render_csv(results: list[AnalysisResult]) -> str:
    """Tidy CSV: one row per panel x benchmark (``verdict_bands`` as ``moderate;high``)."""
    df = results_frame(results)
    adjust = {r.panel: (r.settings.get("adjust") if r.settings.get("bootstrap") else "no interval") for r in results}
    df["adjust"] = df["panel"].map(adjust)  # last: the leading columns are a stable contract
    if "verdict_bands" in df.columns:  # a row without an interval: empty, not NaN
        df["verdict_bands"] = df["verdict_bands"].map(lambda v: v if isinstance(v, list) else "")
    return to_csv(df, index=False)  # lists joined with ";" as in every command's CSV


def render_markdown(results: list[AnalysisResult]) -> str:
    """A Markdown table per panel, grouped by area (drops into a paper or README)."""
    out = []
    for res in results:
        has_ci = any("ci_low" in r.extra for r in res.results)
        out.append(
            f"### Panel `{res.panel}` ({res.n_models} models, {res.method}; "
            + (
                f"PC1 = {res.pc1_variance_explained:.1%} of capability variance"
                if res.direction.component_shares  # a model with principal components states PC1's share
                else score_label(res)
            )
            + ")\n"
        )
        head = "| Area | Benchmark | id | r |" + (f" {ci_header(res)} |" if has_ci else "") + " n | verdict |"
        out.append(head)
        out.append("|" + "---|" * (head.count("|") - 1))
        for area, rows in grouped(res):
            for r in rows:
                ci = f" {_ci(r)} |" if has_ci else ""
                cells = f"| {area_label(area)} | {r.name} | `{r.benchmark}` | {_num(r.correlation)} |{ci}"
                out.append(f"{cells} {r.n} | {shown_verdict(r)} |")
        out.append("")
        out.append(verdict_legend(res))
        out.append("")
        for note in res.notes:
            out.append(f"- note: {note}")
        out.append("")
    return markdown_safe("\n".join(out))


def html_page(results: list[Any], title: str = "safetywashing") -> str:
    """A standalone HTML page: each result's notebook summary, then every row of its ``to_frame()`` (escaped;
    list cells joined with ``;``). The interactive report is ``safetywashing report``."""
    import html

    from ._sheet import flat_lists

    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"]
    for res in results:
        parts.append(res._repr_html_())
        parts.append(flat_lists(res.to_frame()).to_html(index=False, na_rep="", escape=True, border=0))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def render(results: list[AnalysisResult], fmt: str) -> str:
    """Render in one of :data:`FORMATS`."""
    if fmt == "html":
        return html_page(results)
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

    Verdicts are counted and shown as the analysis gave them (no band names here)."""
    import textwrap

    lines: list[str] = []
    for res in results:
        rows = [r for r in res.results if r.role == "safety"] or [r for r in res.results if r.role != "capability"]
        what = "safety benchmarks" if rows and rows[0].role == "safety" else "benchmarks"
        has_ci = any("ci_low" in r.extra for r in rows)
        if res.direction.component_shares and res.pc1_variance_explained is not None:
            lines += textwrap.wrap(
                f"Panel {res.panel!r}: {res.n_models} models; PC1 = {res.pc1_variance_explained:.1%} of the variance "
                f"of {len(res.capability_benchmarks)} capability benchmarks", width=width, subsequent_indent="  ",
            )
        else:
            lines += textwrap.wrap(f"Panel {res.panel!r}: {res.n_models} models; capabilities score: {score_label(res)}",
                                   width=width, subsequent_indent="  ")
        if not rows:
            lines.append("  every benchmark is a capability benchmark; --full lists their correlations")
            lines.append("")
            continue
        ns_all = {r.n for r in rows}
        each = f" (r over n = {rows[0].n} models each)" if len(ns_all) == 1 and rows else ""
        counts: dict[str, int] = {}
        for r in rows:
            v = shown_verdict(r)
            counts[v] = counts.get(v, 0) + 1
        order = sorted(counts, key=lambda v: (-counts[v], v))
        items = ", ".join(f"{counts[v]} {v}".replace(" ", "\xa0") for v in order)  # keep "3 high negative" whole
        lines += [ln.replace("\xa0", " ") for ln in textwrap.wrap(
            f"verdicts of {len(rows)} {what}{each}: {items}",
            width=width, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False,
        )]
        scored = [r for r in rows if r.correlation is not None]
        most = sorted(scored, key=lambda r: (-r.correlation, r.benchmark))[:top]
        least = sorted(scored, key=lambda r: (abs(r.correlation), r.benchmark))[:top]
        groups = [("track capabilities most", most), ("track capabilities least (|r| nearest 0)", least)]
        if len(scored) <= 2 * top:  # few benchmarks: all of them once, by r
            most = sorted(scored, key=lambda r: (-r.correlation, r.benchmark))
            least = []
            groups = [(f"all {len(most)}, highest r first", most)]
        shown = most + least
        ns = {r.n for r in shown}
        one_n = len(ns) == 1
        n_w = 0 if one_n else max(len(str(n)) for n in ns) + 1 if ns else 0
        v_w = max([7] + [len(shown_verdict(r)) for r in shown])
        ci_w = 14 if has_ci else 0
        name_w = max(16, width - 4 - 6 - (ci_w + 1 if has_ci else 0) - n_w - (v_w + 2))
        ci_head = f" {ci_header(res):>{ci_w}}" if has_ci else ""
        n_head = "" if one_n else f" {'n':>{n_w - 1}}"
        for label, group in groups:
            if group is most:
                cols = f" {'r':>5}{ci_head}{n_head}  verdict"
                if len(label) <= name_w + 2:
                    lines.append(f"  {label:<{name_w + 2}}{cols}")
                else:
                    lines += [f"  {label}", f"    {'':<{name_w}}{cols}"]
            else:
                lines.append(f"  {label}")
            for r in group:
                ci = f" {_ci(r):>{ci_w}}" if has_ci else ""
                n = "" if one_n else f" {r.n:>{n_w - 1}}"
                lines.append(f"    {_short(r.name, name_w):<{name_w}} {_num(r.correlation):>5}{ci}{n}  {shown_verdict(r)}")
        if one_n and not each:
            lines.append(f"  (the r above: n = {shown[0].n} models each)")
        lines.append("")
    res0 = results[0] if results else None
    if res0 is not None:
        boot = int(res0.settings.get("bootstrap") or 0)
        how = str(res0.settings.get("ci_method") or "bca").replace("bca", "BCa")
        adj = res0.settings.get("adjust")
        adj_txt = f", adjusted for multiplicity (--adjust {adj})" if adj not in (None, "none") else ""
        ci_txt = f"CI: {how} bootstrap, {boot:,} resamples of models{adj_txt}" if boot else "no intervals (--bootstrap 0)"
        lines += textwrap.wrap(
            f"r: {res0.method} correlation with the capabilities score (higher = rises with capabilities); {ci_txt}. "
            + ("More: --full (every benchmark by area), --format json|csv|markdown (all fields, notes), "
            "--output FILE.").replace("--format ", "--format\xa0"),
            width=width,
        )
        lines = [ln.replace("\xa0", " ") for ln in lines]
    return "\n".join(lines) + "\n"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
