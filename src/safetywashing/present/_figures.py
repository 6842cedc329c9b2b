"""Static publication figures (matplotlib, Agg), sized for one paper column.

The same charts as the HTML report, from the same data (``_chartdata``):
capabilities correlation per area (Figure-1 style), benchmark vs capabilities
scatter, scree plot, capability inter-correlation heatmap (PCA score only), model
ranking, capabilities over time (panels with release dates), and the audit /
claim views. Every function returns a
:class:`matplotlib.figure.Figure` (no pyplot global state, nothing shown or
written); :func:`figure_bytes` serialises one to PNG, SVG or PDF with fixed
metadata so the same input gives the same file. matplotlib is imported
lazily: importing this module is cheap.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._util.errors import InputError, UnknownIdError
from ..commands._analyze import AnalysisResult
from ..sources._matrix import ScoreMatrix
from ..sources._registry import area_label
from . import _chartdata as cd

FORMATS = ("png", "svg", "pdf")
COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper (e.g. ICML 3.25 in, ACL 3.3 in)

_RC = {
    "font.size": 7,
    "axes.titlesize": 7.5,
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
}


def _mt(s: Any, width: int = 0) -> str:
    """Make a user string literal for matplotlib (``$`` would start mathtext); wrap at ``width`` chars."""
    s = str(s)
    if width:
        import textwrap

        s = "\n".join(textwrap.wrap(s, width, break_long_words=True)) or s
    return s.replace("$", r"\$")


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def _new(height: float, width: float = COLUMN_WIDTH) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _bands(ax: Any, axis: str = "x") -> None:
    for lo, hi, _label, color in cd.BANDS:
        (ax.axvspan if axis == "x" else ax.axhspan)(lo, hi, color=color, zorder=0, lw=0)


def plot_correlations(result: AnalysisResult) -> Any:
    """Figure-1 style: each benchmark's capabilities correlation as a dot in its area's row.

    x = correlation with the capabilities score (higher = rises with
    capabilities), whiskers = bootstrap interval when present, shaded verdict bands.
    """
    rows = cd.correlation_rows(result)
    areas = list(dict.fromkeys(rows["area"]))
    with _style():
        fig = _new(0.2 * len(areas) + 0.9)
        ax = fig.add_subplot()
        _bands(ax)
        rng = np.random.default_rng(0)  # fixed jitter: same figure every time
        for i, area in enumerate(areas):
            g = rows[rows["area"] == area]
            y = i + rng.uniform(-0.18, 0.18, len(g))
            col = cd.area_color(area)
            if g["ci_low"].notna().any():
                ax.errorbar(g["r"], y, xerr=[g["r"] - g["ci_low"], g["ci_high"] - g["r"]], fmt="none", ecolor=col,
                            elinewidth=0.6, alpha=0.7, zorder=2)
            ax.scatter(g["r"], y, s=9, color=col, edgecolors="#333", linewidths=0.3, zorder=3)
        ax.set_yticks(range(len(areas)), [_mt(area_label(a).split(" (")[0]) for a in areas])
        ax.set_ylim(len(areas) - 0.5, -0.5)
        ax.set_xlim(-1, 1)
        meth = "Spearman" if result.method == "spearman" else "Pearson"
        st = result.settings
        whisk = ""
        if st.get("bootstrap"):
            adj = st.get("adjust", "none")
            whisk = f"; bars: {int(round((st.get('ci') or 0.95) * 100))}% CI"
            whisk += "" if adj in (None, "none") else f", {adj}-adjusted"
        ax.set_xlabel(f"{meth} r with capabilities score \u2192\n(higher = tracks general capabilities{whisk})")
        ax.set_title(_mt(f"Capabilities correlation by area, panel '{result.panel}'", 50), loc="right")
        ax.tick_params(axis="y", length=0)
    return fig


def plot_scatter(result: AnalysisResult, matrix: ScoreMatrix, benchmark: str, *, label_extremes: int = 2) -> Any:
    """Benchmark score vs capabilities score with the OLS line; r (and interval) and n in the title."""
    d = cd.scatter_data(result, matrix, benchmark)
    row = next((r for r in result.results if r.benchmark == benchmark), None)
    rtxt = f"r = {row.correlation:+.2f}" if row is not None and row.correlation is not None else "r undefined"
    if row is not None:
        rtxt += cd.interval_text(row.extra.get("ci_low"), row.extra.get("ci_high"), result.settings.get("ci"))
    with _style():
        fig = _new(2.5)
        ax = fig.add_subplot()
        ax.scatter(d["x"], d["y"], s=12, color=cd.area_color(row.area if row else ""), edgecolors="#333", linewidths=0.3,
                   zorder=3)
        if d["fit"] is not None:
            f = d["fit"]
            xs = np.array([f["x0"], f["x1"]])
            ax.plot(xs, f["intercept"] + f["slope"] * xs, ls="--", color="#555", lw=0.8, zorder=2)
        if label_extremes and d["n"]:
            order = np.argsort(d["x"])
            for k in list(order[:label_extremes]) + list(order[-label_extremes:]):
                ax.annotate(_mt(d["names"][k]), (d["x"][k], d["y"][k]), fontsize=5, xytext=(3, 2),
                            textcoords="offset points", color="#444")
        name = row.name if row is not None else benchmark
        vtxt = f"; {row.verdict}" if row is not None and row.extra.get("verdict_bands") else ""
        ax.set_title(_mt(f"{name}: {rtxt}, n = {d['n']}{vtxt}", 60), loc="left")
        ax.set_xlabel(cd.capability_axis(result) + " \u2192")
        head, _, tail = cd.benchmark_label(matrix, benchmark).partition("; ")
        ax.set_ylabel(_mt(f"{head}\n{tail} \u2192"))
        ax.grid(alpha=0.3, lw=0.4)
    return fig


def plot_scree(result: AnalysisResult) -> Any:
    """Eigenvalues of the capability correlation matrix with the cumulative share of variance."""
    s = cd.scree(result)
    with _style():
        fig = _new(2.2)
        ax = fig.add_subplot()
        ax.bar(s["component"], s["eigenvalue"], color="#4477AA", width=0.7)
        ax.set_xticks(s["component"])
        ax.set_xlabel("Principal component (1 = capabilities score)")
        ax.set_ylabel("Eigenvalue")
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        ax2.plot(s["component"], s["cumulative"], marker="o", ms=2.5, color="#EE6677")
        ax2.set_ylim(0, 1.05)
        ax2.set_ylabel("Cumulative share of variance", color="#EE6677")
        ax2.yaxis.set_major_formatter(_percent())
        ax.set_title(_mt(f"Scree plot, panel '{result.panel}': PC1 = {result.pc1_variance_explained:.1%}", 60), loc="left")
    return fig


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def plot_heatmap(result: AnalysisResult, matrix: ScoreMatrix) -> Any:
    """Inter-correlations of the capability benchmarks (over the models that have all of them)."""
    c = cd.capability_intercorrelation(result, matrix)
    names = [_mt(matrix.benchmarks.loc[b, "name"]) if b in matrix.benchmarks.index else _mt(b) for b in c.index]
    with _style():
        fig = _new(3.2)
        ax = fig.add_subplot()
        im = ax.imshow(c.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
        k = len(names)
        ax.set_xticks(range(k), names, rotation=60, ha="right", fontsize=5.5)
        ax.set_yticks(range(k), names, fontsize=5.5)
        if k <= 16:
            for i in range(k):
                for j in range(k):
                    v = c.iat[i, j]
                    if not math.isnan(v):
                        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=4,
                                color="white" if abs(v) > 0.6 else "black")
        fig.colorbar(im, ax=ax, shrink=0.8, label=f"{result.method} r")
        ax.set_title(_mt(f"Capability benchmarks, panel '{result.panel}' (n = {result.direction.n_complete})", 60), loc="left")
        ax.spines[:].set_visible(False)
    return fig


def plot_ranking(result: AnalysisResult, matrix: ScoreMatrix) -> Any:
    """Models by capabilities score (most capable at the top)."""
    rk = cd.ranking(result, matrix)
    with _style():
        fig = _new(0.115 * len(rk) + 0.8)
        ax = fig.add_subplot()
        ax.barh(range(len(rk)), rk["capabilities_score"], color="#4477AA", height=0.7)
        ax.set_yticks(range(len(rk)), [_mt(n) for n in rk["name"]], fontsize=5.5)
        ax.set_ylim(len(rk) - 0.5, -0.5)
        ax.axvline(0, color="#333", lw=0.5)
        ax.set_xlabel(cd.capability_axis(result) + " \u2192")
        ax.set_title(_mt(f"Models by capabilities score, panel '{result.panel}' (n = {len(rk)})", 50), loc="right")
        ax.tick_params(axis="y", length=0)
    return fig


def plot_over_time(result: AnalysisResult, matrix: ScoreMatrix, *, label_top: int = 3) -> Any:
    """Capabilities score against release date, one dot per model; whiskers = 95% intervals (+-1.96 SE) when known."""
    d = cd.over_time(result, matrix)
    if d.empty:
        raise InputError(f"panel '{result.panel}': no model has a release date and a capabilities score")
    orgs = d["organisation"].value_counts()
    top = [o for o in orgs.index[:7] if o]
    with _style():
        fig = _new(2.8, width=2 * COLUMN_WIDTH)
        ax = fig.add_subplot()
        has_se = d["se"].notna().any()
        for k, org in enumerate([*top, "other"]):
            g = d[d["organisation"].isin(top) == (org != "other")] if org == "other" else d[d["organisation"] == org]
            if g.empty:
                continue
            col = "#999999" if org == "other" else cd._PALETTE[k % len(cd._PALETTE)]
            if has_se:
                ax.errorbar(g["release_date"], g["capabilities_score"],
                            yerr=[g["capabilities_score"] - g["low"], g["high"] - g["capabilities_score"]],
                            fmt="none", ecolor=col, elinewidth=0.5, alpha=0.6, zorder=2)
            ax.scatter(g["release_date"], g["capabilities_score"], s=8, color=col, edgecolors="#333", linewidths=0.25,
                       zorder=3, label=_mt(f"{org} ({len(g)})"))
        for _, r in d.nlargest(label_top, "capabilities_score").iterrows():
            ax.annotate(_mt(r["name"]), (r["release_date"], r["capabilities_score"]), fontsize=4.5, xytext=(2, 2),
                        textcoords="offset points", color="#444")
        ax.set_xlabel("Release date →")
        ax.set_ylabel(_mt(cd.capability_axis(result) + " →", 40))
        unc = "; whiskers: 95% intervals (estimate +- 1.96 SE)" if has_se else ""
        ax.set_title(_mt(f"Capabilities over time, panel '{result.panel}' (n = {len(d)} models{unc})", 90), loc="left")
        ax.legend(loc="upper left", frameon=False, ncol=2, fontsize=5)
        ax.grid(alpha=0.3, lw=0.4)
    return fig


def plot_claim(claim: dict[str, Any], result: AnalysisResult | None = None, matrix: ScoreMatrix | None = None) -> Any:
    """Claim view: panel models, capabilities fit, before/after and the change split into predicted + beyond."""
    g = cd.claim_geometry(claim)
    with _style():
        fig = _new(2.6)
        ax = fig.add_subplot()
        xs = [g["xb"], g["xa"]]
        bench = str(claim.get("benchmark", ""))
        pts = cd.claim_panel_points(claim, result, matrix)
        if pts is not None:
            ax.scatter(pts["x"], pts["y"], s=9, color="#BBBBBB", edgecolors="#555", linewidths=0.3, zorder=2,
                       label=_mt(f"panel '{pts['panel']}' models"))
            xs += pts["x"]
        if g["slope"] is not None and g["intercept"] is not None:
            xx = np.array([min(xs), max(xs)])
            ax.plot(xx, g["intercept"] + g["slope"] * xx, ls="--", color="#555", lw=0.8, label="capabilities fit")
        ax.annotate("", (g["xa"], g["ypred"]), (g["xb"], g["yb"]), arrowprops={"arrowstyle": "->", "color": "#228833", "lw": 1.2})
        ax.annotate("", (g["xa"], g["ya"]), (g["xa"], g["ypred"]), arrowprops={"arrowstyle": "->", "color": "#AA3377", "lw": 1.2})
        ax.scatter([g["xb"], g["xa"]], [g["yb"], g["ya"]], s=22, c=["#4477AA", "#EE6677"], edgecolors="k", linewidths=0.5,
                   zorder=4)
        ax.text(g["xa"], (g["ya"] + g["ypred"]) / 2, f"  beyond {g['beyond']:+.3g}", color="#AA3377", fontsize=6, va="center")
        ax.text((g["xa"] + g["xb"]) / 2, (g["ypred"] + g["yb"]) / 2, f"predicted {g['pred']:+.3g}  ", color="#228833", fontsize=6,
                ha="right", va="bottom")
        ax.set_title(_mt(f"Claim on {claim.get('benchmark_name') or bench}: observed {g['obs']:+.3g}", 60), loc="left")
        ax.set_xlabel(cd.capability_axis(result) + " \u2192")
        ax.set_ylabel(_mt(f"{bench}\nhigher = safer / better \u2192"))
        ax.legend(loc="best", frameon=False)
    return fig


def plot_audit(audit: dict[str, Any], benchmark: str) -> Any:
    """Audit view: the user's models on their benchmark vs their capabilities score."""
    pts = [p for p in audit.get("points", []) if _fin(p.get("capabilities_score")) and _fin(p.get(benchmark))]
    row = next((r for r in audit.get("results", []) if r.get("benchmark") == benchmark), {})
    x = np.array([float(p["capabilities_score"]) for p in pts])
    y = np.array([float(p[benchmark]) for p in pts])
    with _style():
        fig = _new(2.5)
        ax = fig.add_subplot()
        ax.scatter(x, y, s=14, color="#EE6677", edgecolors="#333", linewidths=0.3, zorder=3)
        if len(x) >= 3 and np.ptp(x) > 0:
            b, a = np.polyfit(x, y, 1)
            xx = np.array([x.min(), x.max()])
            ax.plot(xx, a + b * xx, ls="--", color="#555", lw=0.8)
        for p, xi, yi in zip(pts, x, y):
            ax.annotate(_mt(p.get("input_name", p.get("model", ""))), (xi, yi), fontsize=5, xytext=(3, 2),
                        textcoords="offset points", color="#444")
        r = row.get("correlation")
        rtxt = f"r = {r:+.2f}" if _fin(r) else "r undefined"
        rtxt += cd.interval_text(row.get("ci_low"), row.get("ci_high"))
        ax.set_title(_mt(f"Audit: {row.get('name', benchmark)}: {rtxt}, n = {row.get('n', len(x))}", 60), loc="left")
        ax.set_xlabel(cd.capability_axis(audit) + " \u2192")
        ax.set_ylabel(_mt(f"{row.get('name', benchmark)}\nhigher = safer / better \u2192"))
        ax.grid(alpha=0.3, lw=0.4)
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
) -> list[tuple[str, Any]]:
    """The figures to draw: ``[(file stem, zero-argument function returning the Figure), ...]``.

    ``benchmarks``: scatter plots for these ids (``["all"]`` = every benchmark);
    default :func:`default_scatter_benchmarks` per panel. Unknown ids raise
    :class:`UnknownIdError` before anything is drawn.
    """
    plan: list[tuple[str, Any]] = []
    if audit is not None:
        for r in audit.get("results", []):
            b = str(r.get("benchmark", ""))
            plan.append((f"audit_{safe_filename(b)}", lambda b=b: plot_audit(audit, b)))
    if claim is not None:
        pr = {r.panel: (r, m) for r, m in zip(results, matrices)}
        rm = pr.get(str(claim.get("panel", ""))) or ((results[0], matrices[0]) if results else (None, None))
        plan.append((f"claim_{safe_filename(str(claim.get('benchmark', '')))}", lambda: plot_claim(claim, *rm)))
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
        plan.append((f"{p}_correlations", lambda res=res: plot_correlations(res)))
        if res.direction.component_shares:  # PC shares and complete-row inter-correlations belong to a PCA score
            plan.append((f"{p}_scree", lambda res=res: plot_scree(res)))
            plan.append((f"{p}_heatmap", lambda res=res, m=m: plot_heatmap(res, m)))
        plan.append((f"{p}_ranking", lambda res=res, m=m: plot_ranking(res, m)))
        if not cd.over_time(res, m).empty:
            plan.append((f"{p}_over_time", lambda res=res, m=m: plot_over_time(res, m)))
        if benchmarks is None:
            ids = default_scatter_benchmarks(res)
        elif list(benchmarks) == ["all"]:
            ids = [r.benchmark for r in res.results]
        else:
            ids = [b for b in benchmarks if b in m.scores.columns]
        for b in ids:
            plan.append((f"{p}_scatter_{safe_filename(b)}", lambda res=res, m=m, b=b: plot_scatter(res, m, b)))
    return plan


def render_figures(
    results: Sequence[AnalysisResult],
    matrices: Sequence[ScoreMatrix],
    *,
    formats: Sequence[str] = ("png",),
    benchmarks: Sequence[str] | None = None,
    audit: dict[str, Any] | None = None,
    claim: dict[str, Any] | None = None,
    dpi: int = 300,
    progress: Callable[[str], None] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Draw every figure of :func:`figure_plan` and yield ``(file name, bytes)`` per format.

    A generator so a caller can write (and report progress) file by file; no
    file is written here. ``progress`` receives each file name once its bytes
    are ready.
    """
    for f in formats:
        if f not in FORMATS:
            raise InputError(f"--format: {f!r} is not one of: {', '.join(FORMATS)}")
    for stem, make in figure_plan(results, matrices, benchmarks=benchmarks, audit=audit, claim=claim):
        fig = make()
        for f in formats:
            data = figure_bytes(fig, f, dpi=dpi)
            if progress:
                progress(f"{stem}.{f}")
            yield f"{stem}.{f}", data


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
