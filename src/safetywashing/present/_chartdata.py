"""Chart data shared by the HTML report and the static figures.

Pure functions over an :class:`AnalysisResult` and the :class:`ScoreMatrix` it
came from: what each chart shows, in plain numpy/pandas, with no drawing,
printing or file I/O. ``_report`` turns these into plotly figures and
``_figures`` into matplotlib ones, so the two always show the same numbers.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InsufficientDataError, UnknownIdError
from .._util.stats import corr_matrix, zscore
from .._util.stats import finite_or_none as _f
from ..capability._irt import IRTModel
from ..capability._model import axis_label
from ..capability._pca import CapabilityDirection
from ..commands._analyze import AnalysisResult
from ..inference._fit import fit_on_scores
from ..inference._verdict import BANDS_SENTENCE, HIGH, MODERATE
from ..sources._matrix import ScoreMatrix
from ..sources._registry import area_label
from ._render import grouped

# Okabe & Ito's colour-blind-safe qualitative palette (Okabe & Ito 2008, "Color Universal Design"): eight colours that
# stay distinct under protanopia, deuteranopia and tritanopia.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
NEUTRAL = "#999999"  # "other" / unassigned
_PALETTE = OKABE_ITO  # organisations in the over-time chart take these in order (the rest: NEUTRAL)

# One (colour, marker) pair per safety area: 16 areas need more than the 8 colours a colour-blind-safe palette has, so
# the marker shape tells apart two areas of one colour (circle / square). Every chart also separates the areas and
# labels them (rows in the static figure, labelled groups in the report), so colour is never the only cue.
_B, _V, _G, _P, _O, _S, _Y, _K = OKABE_ITO
AREA_STYLE: dict[str, tuple[str, str]] = {
    "machine_ethics": (_B, "circle"),
    "jailbreak_robustness": (_V, "circle"),
    "adversarial_robustness": (_G, "circle"),
    "bias": (_P, "circle"),
    "calibration": (_O, "circle"),
    "alignment": (_S, "circle"),
    "truthfulness": (_Y, "circle"),
    "weaponization": (_K, "circle"),
    "power_seeking": (_G, "square"),
    "scalable_oversight": (_O, "square"),
    "toxicity": (_B, "square"),
    "safety_knowledge": (_Y, "square"),
    "rationality": (_P, "square"),
    "sycophancy": (_V, "square"),
    "general_capability_other": (_S, "square"),
    "capabilities": (_K, "square"),
    "": (NEUTRAL, "circle"),
}
MARKERS_MPL = {"circle": "o", "square": "s", "diamond": "D"}  # plotly symbol -> matplotlib marker
_AREA_ORDER = list(AREA_STYLE)

# Verdict bands on r for shading: (low, high, label, colour). Higher r = tracks capabilities more.
BANDS: tuple[tuple[float, float, str, str], ...] = (
    (-1.0, -HIGH, "high negative", "#d6e4f0"),
    (-HIGH, -MODERATE, "moderate negative", "#e8eff6"),
    (-MODERATE, MODERATE, "low", "#eef6ee"),
    (MODERATE, HIGH, "moderate", "#fbf0dc"),
    (HIGH, 1.0, "high", "#f8dcdc"),
)

def capability_axis(source: Any, matrix: ScoreMatrix | None = None) -> str:
    """Axis label of the capabilities score for an analysis result, an audit/claim dict or a score method name.

    The label is the capability model's own (:func:`~safetywashing.capability._model.axis_label`); a source that
    names no score method gets the paper's PCA score's. A result whose model is anchored on one benchmark (the
    logistic model's ``anchor``: its score 0 = 50% expected there) gets that benchmark named, by its display name
    when ``matrix`` knows it.
    """
    if isinstance(source, str):
        kind: str | None = source
    elif isinstance(source, dict):
        kind = source.get("score_method") or (source.get("settings") or {}).get("score_method")
    else:
        kind = getattr(source, "score_method", None)
    label = axis_label(kind)
    anchor = getattr(getattr(source, "direction", None), "anchor", None)
    if isinstance(anchor, str) and anchor:
        name = anchor
        if matrix is not None and anchor in matrix.benchmarks.index:
            name = str(matrix.benchmarks.loc[anchor, "name"])
        label += f"; 0 = 50% expected on {name}"
    return label


def area_style(area: str) -> tuple[str, str]:
    """Fixed ``(colour, plotly marker symbol)`` of a safety area, the same in the report and the figures.

    Known areas take :data:`AREA_STYLE`; another area id (a user's own) a pair chosen from its name (diamonds, so it
    never takes a known area's pair).
    """
    if area in AREA_STYLE:
        return AREA_STYLE[area]
    return OKABE_ITO[sum(map(ord, area)) % len(OKABE_ITO)], "diamond"


def area_color(area: str) -> str:
    """Fixed colour of a safety area (same in the report and the figures); see :func:`area_style`."""
    return area_style(area)[0]


def area_marker(area: str) -> str:
    """Matplotlib marker of a safety area (``o`` circle, ``s`` square, ``D`` diamond); see :func:`area_style`."""
    return MARKERS_MPL[area_style(area)[1]]


def correlation_rows(result: AnalysisResult, *, include_capabilities: bool = False) -> pd.DataFrame:
    """The Figure-1 rows: one per benchmark, grouped by area, sorted by r (descending) within an area.

    Columns: ``area``, ``area_label``, ``color``, ``benchmark``, ``name``,
    ``role``, ``r`` (correlation with the capabilities score; higher = tracks
    capabilities more), ``ci_low``, ``ci_high`` (NaN without a bootstrap), ``n``,
    ``verdict``. Capability benchmarks are left out unless asked (they define
    the score, so their correlation is high by construction) -- or unless every
    benchmark is one (the ``frontier`` panel), when they are all there is to show.
    """
    rows = []
    only_caps = all(a == "capabilities" for a, _ in grouped(result))
    for area, group in grouped(result):
        if area == "capabilities" and not (include_capabilities or only_caps):
            continue
        for r in group:
            rows.append(
                {
                    "area": area,
                    "area_label": area_label(area),
                    "color": area_color(area),
                    "benchmark": r.benchmark,
                    "name": r.name,
                    "role": r.role,
                    "r": np.nan if r.correlation is None else r.correlation,
                    "ci_low": _f(r.extra.get("ci_low")) if r.extra.get("ci_low") is not None else np.nan,
                    "ci_high": _f(r.extra.get("ci_high")) if r.extra.get("ci_high") is not None else np.nan,
                    "n": r.n,
                    "verdict": r.verdict,
                }
            )
    cols = ["area", "area_label", "color", "benchmark", "name", "role", "r", "ci_low", "ci_high", "n", "verdict"]
    return pd.DataFrame(rows, columns=cols).astype({"r": float, "ci_low": float, "ci_high": float})


def capability_scores(result: AnalysisResult, matrix: ScoreMatrix) -> pd.Series:
    """Capabilities score of every model of ``matrix`` (NaN where it has none); higher = more capable."""
    return pd.Series(result.model_scores, dtype=float).reindex(matrix.scores.index)


def over_time(result: AnalysisResult, matrix: ScoreMatrix, level: float = 0.95) -> pd.DataFrame:
    """Capabilities score against release date: one row per scored model with a release date.

    Columns ``model``, ``name``, ``organisation``, ``release_date`` (pandas
    Timestamp), ``capabilities_score`` (higher = more capable), ``se`` and
    ``low``/``high`` (score -+ z * SE at ``level``; NaN for PCA, whose score
    has no SE), ``family`` and ``variants`` (the group number of same-family
    variants released the same day, e.g. a model's reasoning-effort settings;
    -1 for a model without such siblings), sorted by date. Empty when the
    matrix has no ``release_date``.
    """
    from statistics import NormalDist

    cols = ["model", "name", "organisation", "release_date", "capabilities_score", "se", "low", "high"]
    if "release_date" not in matrix.models.columns:
        return pd.DataFrame(columns=[*cols, "family", "variants"])
    s = capability_scores(result, matrix)
    se = pd.Series(result.model_score_se, dtype=float).reindex(matrix.scores.index)
    date = pd.to_datetime(matrix.models["release_date"].replace("", None), errors="coerce")
    ok = s.notna() & date.notna()
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    org = matrix.models["organisation"] if "organisation" in matrix.models.columns else pd.Series("", index=s.index)
    df = pd.DataFrame({
        "model": [str(m) for m in s.index[ok]],
        "name": [matrix.display_name(m) for m in s.index[ok]],
        "organisation": org[ok].fillna("").astype(str).to_numpy(),
        "release_date": date[ok].to_numpy(),
        "capabilities_score": s[ok].to_numpy(),
        "se": se[ok].to_numpy(),
    })
    df["low"] = df["capabilities_score"] - z * df["se"]
    df["high"] = df["capabilities_score"] + z * df["se"]
    fam = matrix.models["family"] if "family" in matrix.models.columns else pd.Series("", index=s.index)
    df["family"] = fam[ok].fillna("").astype(str).to_numpy()
    df = df.sort_values(["release_date", "model"], kind="mergesort").reset_index(drop=True)
    df["variants"] = _same_day_variants(df)
    return df[[*cols, "family", "variants"]]


def _same_day_variants(df: pd.DataFrame) -> np.ndarray:
    """Group number of each row among the same-family, same-release-day variants (2 or more models), else -1.

    Groups are numbered 0, 1, ... in order of first appearance (``df`` sorted by date); a model with no family
    is never grouped.
    """
    out = np.full(len(df), -1, dtype=int)
    key = list(zip(df["family"], df["release_date"]))
    counts: dict[tuple, int] = {}
    for k in key:
        counts[k] = counts.get(k, 0) + 1
    ids: dict[tuple, int] = {}
    for i, k in enumerate(key):
        if k[0] and counts[k] > 1:
            out[i] = ids.setdefault(k, len(ids))
    return out


def scatter_data(result: AnalysisResult, matrix: ScoreMatrix, benchmark: str) -> dict[str, Any]:
    """Benchmark score vs capabilities score for one benchmark.

    Returns ``{"x", "y", "models", "names", "n", "fit"}``: ``x`` capabilities
    scores, ``y`` benchmark scores (its own units, higher = better/safer),
    over the models that have both; ``fit`` is the OLS line
    ``{"intercept", "slope", "x0", "x1"}`` or None with fewer than 3 models.
    """
    if benchmark not in matrix.scores.columns:
        raise UnknownIdError(f"benchmark {benchmark!r} is not a column of {matrix.source or matrix.name}")
    s = capability_scores(result, matrix).to_numpy()
    y = matrix.scores[benchmark].to_numpy(dtype=float)
    ok = ~np.isnan(s) & ~np.isnan(y)
    models = matrix.scores.index[ok]
    fit = None
    if ok.sum() >= 3:
        try:
            lf = fit_on_scores(s, y, what=benchmark)
            fit = {"intercept": lf.intercept, "slope": lf.slope, "x0": float(s[ok].min()), "x1": float(s[ok].max())}
        except InsufficientDataError:
            fit = None
    return {
        "x": s[ok].tolist(),
        "y": y[ok].tolist(),
        "models": [str(m) for m in models],
        "names": _display_names(matrix, models),
        "n": int(ok.sum()),
        "fit": fit,
    }


def _display_names(matrix: ScoreMatrix, models: Any) -> list[str]:
    """``matrix.display_name`` of each model, looked up in one step (a report asks for every benchmark's models)."""
    info = matrix.models
    if "name" not in info.columns or not info.index.is_unique:
        return [matrix.display_name(m) for m in models]
    names = info["name"].reindex(models)
    return [n if isinstance(n, str) and n else m for m, n in zip(models, names)]


def capability_intercorrelation(result: AnalysisResult, matrix: ScoreMatrix) -> pd.DataFrame:
    """Correlation matrix (same method as the analysis) of the capability benchmarks.

    Over the models that have all of them (the rows PC1 is extracted from);
    a square DataFrame indexed and labelled by benchmark id.
    """
    caps = list(result.capability_benchmarks)
    x = matrix.scores[caps].to_numpy(dtype=float)
    z = zscore(x)[0]
    complete = ~np.isnan(x).any(axis=1)
    c = corr_matrix(z[complete], result.method)
    return pd.DataFrame(c, index=caps, columns=caps)


def _methods_text_irt(result: AnalysisResult, st: dict[str, Any]) -> str:
    """The methods paragraph of an analysis scored by the logistic capability model (irt)."""
    meth = "Spearman rank" if result.method == "spearman" else "Pearson"
    txt = (
        f"Panel '{result.panel}' has {result.n_models} models; {len(result.model_scores)} have a capabilities score. "
        f"The capabilities score comes from a {result.direction.describe()}: every model with at least "
        f"{result.direction.min_benchmarks} of the {len(result.capability_benchmarks)} capability benchmarks gets a "
        f"score with a standard error (from the curvature of the fit; higher = more capable). Each benchmark's "
        f"capabilities correlation is the {meth} correlation between the benchmark and the score over the models that "
        f"have both (n is given per benchmark). {BANDS_SENTENCE}."
    )
    if st.get("bootstrap"):
        level = _f(st.get("ci")) or 0.95
        txt += (
            f" Intervals are {int(round(level * 100))}% {st.get('interval_method', 'bootstrap intervals')}; "
            f"{st.get('bootstrap')} resamples (seed {st.get('seed', 'unset')})."
        )
    else:
        txt += " No bootstrap was run, so correlations are point estimates without intervals."
    return txt


def scree(result: AnalysisResult) -> pd.DataFrame:
    """Eigenvalues of the capability correlation matrix with share and cumulative share of variance."""
    ev = np.asarray(result.direction.eigenvalues, dtype=float)
    share = ev / ev.sum()
    return pd.DataFrame(
        {"component": np.arange(1, len(ev) + 1), "eigenvalue": ev, "share": share, "cumulative": np.cumsum(share)}
    )


def ranking(result: AnalysisResult, matrix: ScoreMatrix) -> pd.DataFrame:
    """Models ranked by capabilities score (rank 1 = most capable); models without a score are left out."""
    s = capability_scores(result, matrix).dropna().sort_values(ascending=False, kind="mergesort")
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(s) + 1),
            "model": [str(m) for m in s.index],
            "name": [matrix.display_name(m) for m in s.index],
            "capabilities_score": s.to_numpy(),
        }
    )


def benchmark_label(matrix: ScoreMatrix, benchmark: str) -> str:
    """Axis label of a benchmark: display name, metric and direction."""
    meta = matrix.benchmarks.loc[benchmark] if benchmark in matrix.benchmarks.index else None
    name = str(meta["name"]) if meta is not None else benchmark
    metric = str(meta["metric"]) if meta is not None and isinstance(meta["metric"], str) else ""
    role = str(meta["role"]) if meta is not None else "other"
    better = "more capable" if role == "capability" else "safer / better"
    metric = metric.replace("(↑)", "").strip()
    return f"{name}{f' ({metric})' if metric else ''}; higher = {better}"


def claim_geometry(claim: dict[str, Any]) -> dict[str, Any]:
    """Where a claim's before/after points and arrows go (benchmark units vs capabilities score).

    ``xb``/``xa``: capabilities score before/after; ``yb``: benchmark score
    before (``benchmark_before`` or ``score_before`` when given, else the fit's
    prediction at ``xb``);
    ``ya = yb + observed``; ``ypred = yb + predicted`` (the end of the
    capabilities-predicted part); ``beyond = observed - predicted`` unless the
    claim gives ``beyond_capabilities``.
    """
    from .._util.errors import InputError

    slope, icpt = _f(claim.get("slope")), _f(claim.get("intercept"))
    xb, xa = _f(claim.get("capability_score_before")), _f(claim.get("capability_score_after"))
    obs, pred = _f(claim.get("observed_change")), _f(claim.get("predicted_change"))
    if xb is None or xa is None or obs is None:
        raise InputError("claim: needs capability_score_before, capability_score_after and observed_change")
    if pred is None:
        pred = slope * (xa - xb) if slope is not None else 0.0
    yb = _f(claim.get("benchmark_before", claim.get("score_before")))
    if yb is None:
        yb = (icpt + slope * xb) if (icpt is not None and slope is not None) else 0.0
    beyond = _f(claim.get("beyond_capabilities"))
    if beyond is None:
        beyond = obs - pred
    return {"slope": slope, "intercept": icpt, "xb": xb, "xa": xa, "yb": yb, "ya": yb + obs, "ypred": yb + pred,
            "obs": obs, "pred": pred, "beyond": beyond}


def claim_panel_points(claim: dict[str, Any], result: AnalysisResult | None, matrix: ScoreMatrix | None) -> dict | None:
    """The panel models behind a claim's fit: the claim's own ``panel_points`` when present, else the matrix's."""
    pp = claim.get("panel_points")
    if pp:
        ok = [p for p in pp if _f(p.get("capabilities_score")) is not None and _f(p.get("value")) is not None]
        return {"panel": str(claim.get("panel", "")), "x": [float(p["capabilities_score"]) for p in ok],
                "y": [float(p["value"]) for p in ok], "names": [str(p.get("name") or p.get("model", "")) for p in ok]}
    bench = str(claim.get("benchmark", ""))
    if result is not None and matrix is not None and bench in matrix.scores.columns:
        d = scatter_data(result, matrix, bench)
        return {"panel": result.panel, "x": d["x"], "y": d["y"], "names": d["names"]}
    return None


def n_text(ns: Any) -> str:
    """``"n = 26"`` when every benchmark has the same number of models, else ``"n = 20-26 models per benchmark"``."""
    ns = [int(n) for n in ns]
    if not ns:
        return "n = 0"
    return f"n = {min(ns)}" if min(ns) == max(ns) else f"n = {min(ns)}-{max(ns)} models per benchmark"


def interval_text(lo: Any, hi: Any, level: Any = None) -> str:
    """``" [0.70, 0.90]"`` style interval text, or ``""`` when absent."""
    lo, hi = _f(lo), _f(hi)
    if lo is None or hi is None:
        return ""
    pct = f"{int(round(float(level) * 100))}% CI " if _f(level) is not None else ""
    return f" ({pct}[{lo:+.2f}, {hi:+.2f}])"


def methods_text(result: AnalysisResult) -> str:
    """A methods paragraph generated from the actual parameters of ``result`` (plain text), written for the kind
    of capability model behind its score (``result.direction``)."""
    return _methods_for(result.direction, result, result.settings or {})


@singledispatch
def _methods_for(model: Any, result: AnalysisResult, st: dict[str, Any]) -> str:
    """The methods paragraph for ``result``, chosen by the type of its capability ``model`` (one per model class)."""
    raise TypeError(f"no methods text for capability model {type(model).__name__}")


@_methods_for.register
def _methods_for_irt(model: IRTModel, result: AnalysisResult, st: dict[str, Any]) -> str:
    """The logistic capability model's paragraph."""
    return _methods_text_irt(result, st)


@_methods_for.register
def _methods_for_pca(model: CapabilityDirection, result: AnalysisResult, st: dict[str, Any]) -> str:
    """The paper's PC1 score's paragraph."""
    return _methods_text_pca(result, st)


def _methods_text_pca(result: AnalysisResult, st: dict[str, Any]) -> str:
    """The methods paragraph of a PCA-scored analysis: the paper's PC1 score, the correlations, the bootstrap."""
    caps = ", ".join(result.capability_benchmarks)
    meth = "Spearman rank" if result.method == "spearman" else "Pearson"
    txt = (
        f"Panel '{result.panel}' has {result.n_models} models; {len(result.model_scores)} have all "
        f"{len(result.capability_benchmarks)} capability benchmarks ({caps}). Every benchmark column was z-scored "
        f"over the models that have it (population SD, ddof = 0). The capabilities score is the first principal "
        f"component of the {meth} correlation matrix of the capability benchmarks over the "
        f"{result.direction.n_complete} complete models (eigenvector signed so its largest-magnitude loading is "
        f"positive); it explains {result.pc1_variance_explained:.1%} of their variance, and the mean pairwise "
        f"correlation among them is {result.mean_capability_intercorrelation:.2f}. A model's capabilities score is "
        f"its z-scored capability row projected on that eigenvector (higher = more capable). Each benchmark's "
        f"capabilities correlation is the {meth} correlation between the benchmark and the capabilities score over "
        f"the models that have both (pairwise deletion; n is given per benchmark). Every benchmark is oriented so "
        f"that higher = better (safer or more capable). {BANDS_SENTENCE}."
    )
    if st.get("bootstrap"):
        level = _f(st.get("ci")) or 0.95
        txt += (
            f" Intervals are {int(round(level * 100))}% bootstrap confidence intervals "
            f"({st.get('ci_method', 'percentile')}) from {st.get('bootstrap')} resamples of models, recomputing the "
            f"capability direction inside every resample (seed {st.get('seed', 'unset')}"
            + (f"; model families resampled, {st.get('n_families')} families" if st.get("n_families") else "")
            + "). A verdict is a test against the bands: it names one band only when the interval lies inside "
            "it, otherwise the range of bands the interval overlaps (e.g. 'low to high'). Intervals "
            + {"none": "are not adjusted for multiplicity (--adjust none).",
               "bonferroni": "are Bonferroni-adjusted over the non-capability benchmarks (--adjust bonferroni).",
               "fcr": "are false-coverage-rate adjusted (Benjamini-Yekutieli; --adjust fcr): benchmarks whose "
                      "interval excludes 0 get level 1 - R alpha / m."}.get(st.get("adjust", "none"), "")
        )
    else:
        txt += " No bootstrap was run, so correlations are point estimates without intervals."
    return txt
