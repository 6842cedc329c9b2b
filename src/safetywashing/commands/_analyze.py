"""The paper's capabilities analysis, as pure functions returning frozen results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError
from .._util.stats import corr_matrix, pairwise_corr_masked, zscore
from .._util.stats import finite_or_none as _f
from ..capability._pca import MIN_MODELS, CapabilityDirection, capability_direction
from ..inference._reliability import NOISE_LIMITED
from ..inference._verdict import is_single_band, verdict, verdict_bands
from ..sources._matrix import ScoreMatrix

__all__ = ["MIN_MODELS", "AnalysisResult", "BenchmarkResult", "CapabilityDirection", "analyze", "capability_direction"]

@dataclass(frozen=True)
class BenchmarkResult:
    """One benchmark's capabilities correlation.

    ``correlation`` is Spearman or Pearson r with the capabilities score
    (higher = the benchmark rises with capabilities) over the ``n`` models that
    have both; ``None`` when undefined.
    """

    benchmark: str
    name: str
    role: str
    area: str
    correlation: float | None
    n: int
    verdict: str
    metric: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the contract keys first, then any extra fields."""
        d = {
            "benchmark": self.benchmark,
            "name": self.name,
            "role": self.role,
            "area": self.area,
            "correlation": self.correlation,
            "n": self.n,
            "verdict": self.verdict,
            "metric": self.metric,
        }
        d.update(self.extra)
        return d


class ResultLookup:
    """``result(benchmark)`` for result objects holding ``results`` rows (analysis, audit)."""

    results: tuple[BenchmarkResult, ...]

    def result(self, benchmark: str) -> BenchmarkResult:
        """The row of one benchmark id (KeyError if absent)."""
        for r in self.results:
            if r.benchmark == benchmark:
                return r
        raise KeyError(benchmark)


@dataclass(frozen=True)
class AnalysisResult(ResultLookup):
    """Result of :func:`analyze` for one score matrix (panel)."""

    panel: str
    method: str
    n_models: int
    capability_benchmarks: tuple[str, ...]
    direction: CapabilityDirection
    pc1_variance_explained: float
    mean_capability_intercorrelation: float
    model_scores: dict[str, float]
    results: tuple[BenchmarkResult, ...]
    dropped_models: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    score_method: str = "pca"
    model_score_se: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``analyze --format json`` contract for one panel)."""
        return {
            "panel": self.panel,
            "method": self.method,
            "score_method": self.score_method,
            "capability_model": self.direction.describe(),
            "n_models": self.n_models,
            "n_models_scored": len(self.model_scores),
            "capability_benchmarks": list(self.capability_benchmarks),
            "pc1_variance_explained": _f(self.pc1_variance_explained),
            "mean_capability_intercorrelation": _f(self.mean_capability_intercorrelation),
            "variance_explained": list(getattr(self.direction, "variance_explained", ())),
            "direction": self.direction.to_dict(),
            "model_scores": dict(self.model_scores),
            "model_score_se": dict(self.model_score_se),
            "dropped_models": list(self.dropped_models),
            "notes": list(self.notes),
            "settings": dict(self.settings),
            "results": [r.to_dict() for r in self.results],
        }

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per benchmark, with ``panel`` and ``method`` columns."""
        df = pd.DataFrame([r.to_dict() for r in self.results])
        df.insert(0, "method", self.method)
        df.insert(0, "panel", self.panel)
        return df



def analyze(
    matrix: ScoreMatrix,
    capabilities: list[str] | None = None,
    method: str = "spearman",
    *,
    bootstrap: int = 0,
    ci: float = 0.95,
    ci_method: str = "bca",
    seed: int | None = None,
    permutations: int = 0,
    compute: str | None = None,
    sensitivity: bool = False,
    impute: bool = False,
    progress: Callable[[int], None] | None = None,
    adjust: str = "none",
    cluster: str | None = None,
    n_items: dict[str, float] | None = None,
    score_method: str = "pca",
) -> AnalysisResult:
    """Capabilities correlation of every benchmark of ``matrix`` (the paper's method), with uncertainty.

    Parameters
    ----------
    matrix:
        A :class:`ScoreMatrix` (``load_panel("chat")`` or a user's table), every
        column oriented higher = better.
    capabilities:
        Capability benchmark ids; default the registry's capability columns
        (the paper's 12).
    method:
        ``"spearman"`` (default, the paper's) or ``"pearson"``.
    bootstrap:
        Number of bootstrap resamples of models (0 = none, else >= 100).
        Inside every resample the z-scores, the capability correlation matrix,
        PC1 (same sign rule), the scores and every benchmark's pairwise-deletion
        correlation are recomputed. Rows gain ``ci_low``, ``ci_high``,
        ``n_boot_used``, and the verdict uses the interval. Resamples are
        streamed in chunks; the kept values (resamples x benchmarks) are capped
        at 2**25 (InputError above, naming the largest accepted value). Above
        1,000 models the jackknife (BCa acceleration, ``loo_model_*``) leaves
        out 100 seeded groups of models instead of each model
        (``settings["jackknife"]``).
    ci:
        Confidence level of the intervals (default 0.95).
    ci_method:
        ``"bca"`` (default: bias-corrected and accelerated; corrects the bias
        and skew of correlations near +-1 that a percentile interval keeps;
        its jackknife is the leave-one-model-out analysis) or ``"percentile"``.
    seed:
        Seed of the resampling and permutations (None = fresh entropy, recorded
        in ``settings["seed"]``). Same seed -> same result.
    permutations:
        Number of permutations for a two-sided permutation p-value per
        benchmark (``p_value``; None for capability benchmarks, whose score
        contains them). 0 = none.
    compute:
        ``"flop"`` or ``"params"``: add each benchmark's correlation with log10
        training FLOP (or parameter count), ``compute_correlation`` and
        ``compute_n``. None = skip.
    sensitivity:
        Add leave-one-capability-benchmark-out and leave-one-model-out ranges
        (``loo_benchmark_min/max``, ``loo_model_min/max``) and
        ``settings["pc_shares"]`` (PC1, PC2, PC3 shares).
    impute:
        Fill missing capability scores by iterative rank-2 PCA (models with at
        least half of the capability benchmarks) instead of dropping those
        models; a note says what changed.
    progress:
        Optional callback ``progress(k)`` after every ``k`` bootstrap resamples.
    score_method:
        The capability model: ``"pca"`` (default, the paper's PC1; needs
        models with every capability benchmark) or ``"irt"`` (the logistic
        model of :mod:`safetywashing.capability._irt` for sparse tables: any 3
        capability benchmarks per model, a standard error per score; its
        intervals resample models and draw each score from its sampling
        distribution; percentile intervals; no leave-one-out ranges).
    adjust:
        Multiplicity adjustment of the intervals behind the verdicts:
        ``"none"`` (API default), ``"bonferroni"`` or ``"fcr"`` (Benjamini-
        Yekutieli false-coverage-rate intervals for the benchmarks whose
        interval excludes 0; the CLI's default). Rows gain ``ci_level`` and,
        when adjusted, ``ci_low_unadjusted`` / ``ci_high_unadjusted``.
    cluster:
        ``"family"``: the bootstrap resamples model families (the matrix's
        ``models["family"]``; shipped for the panels) instead of models;
        ``settings["n_families"]`` says how many.
    n_items:
        Item counts per benchmark id, overriding the registry's
        (``data/registry/benchmark_items.csv``). For fraction-scale accuracies
        with an item count, rows gain ``n_items``, ``reliability``,
        ``noise_ceiling`` and ``disattenuated_correlation``
        (:mod:`safetywashing.inference._reliability`).

    With an interval, every row carries ``verdict_bands`` (the bands the
    interval overlaps, negative to positive) and the verdict names one band
    only when one remains, else the range (``"low to high"``). A verdict that
    includes ``low`` on a benchmark whose noise ceiling is below 0.7 is
    flagged ``noise_limited``.

    Rows always carry ``slope`` (benchmark units per 1 SD of the capabilities
    score), ``slope_sd`` (benchmark SDs per capabilities SD) and ``spread``
    (benchmark SD), over the row's ``n`` models.

    Returns
    -------
    AnalysisResult
        PC1 share, each model's capabilities score (higher = more capable) and
        one row per benchmark with its correlation (higher = the benchmark
        rises with capabilities), ``n``, verdict and the extra fields above.
        Without ``bootstrap``/``impute`` the figures are exactly the paper's.
    """
    from ..capability._model import check_score_method, fit_capability_model
    from ..inference._sensitivity import check_options, extend

    check_options(bootstrap, ci, ci_method, permutations, compute, seed)
    check_score_method(score_method)
    extra_notes: list[str] = []
    if impute and score_method == "irt":
        raise InputError("--impute fills gaps for the PCA score; --score-method irt uses incomplete models as they are")
    if impute:
        from ..capability._impute import impute_capabilities

        matrix, extra_notes = impute_capabilities(matrix, matrix.resolve_capabilities(capabilities), method)
    codes = None
    if cluster is not None:
        from ..inference._cluster import CLUSTER_CHOICES, family_codes

        if cluster not in CLUSTER_CHOICES:
            raise InputError(f"cluster: {cluster!r} is not one of: {', '.join(CLUSTER_CHOICES)}")
        if bootstrap:
            codes, _ = family_codes(matrix.models, "family", matrix.source or matrix.name)
    cfit = fit_capability_model(matrix, capabilities, method, score_method)
    direction, scores, dropped = cfit.model, cfit.scores, list(cfit.dropped)
    caps = list(direction.benchmarks)
    # irt may leave a benchmark out of the score (too few models); it stays a capability benchmark of the table
    m = matrix.with_capabilities(caps if score_method == "pca" else matrix.resolve_capabilities(capabilities))
    x = m.scores.to_numpy(dtype=float)
    r, n = pairwise_corr_masked(x, scores.to_numpy(), method)
    k = len(caps)
    if score_method == "irt":
        from ..inference._irt_uncertainty import extend_irt

        cm = m.scores[caps].corr(method=method, min_periods=MIN_MODELS).to_numpy()
        off = cm[~np.eye(k, dtype=bool)]
        mean_ic = float(np.nanmean(off)) if np.isfinite(off).any() else float("nan")
        fields, settings, unc_notes = extend_irt(
            m, caps, method, scores.to_numpy(), cfit.se.to_numpy(), r, bootstrap=bootstrap, ci=ci, seed=seed,
            permutations=permutations, compute=compute, sensitivity=sensitivity, progress=progress,
        )
        if bootstrap and ci_method != "percentile":
            unc_notes.append(f"--ci-method {ci_method} does not apply: the irt score's intervals are median-centred percentile")
        if bootstrap and (adjust != "none" or cluster is not None):
            unc_notes.append(
                "the irt score's intervals are not multiplicity-adjusted and resample models, not families "
                f"(--adjust {adjust}{'' if cluster is None else ', --cluster ' + cluster} apply to the PCA score)"
            )
    else:
        c = corr_matrix(zscore(m.scores[caps].to_numpy(dtype=float))[0][scores.notna().to_numpy()], method)
        mean_ic = float((c.sum() - k) / (k * (k - 1)))
        fields, settings, unc_notes = extend(
            m,
            caps,
            method,
            scores.to_numpy(),
            r,
            direction.variance_explained,
            bootstrap=bootstrap,
            ci=ci,
            ci_method=ci_method,
            seed=seed,
            permutations=permutations,
            compute=compute,
            sensitivity=sensitivity,
            progress=progress,
            adjust=adjust,
            cluster_codes=codes,
        )
    from ..inference._reliability_fields import reliability_fields

    rel_fields, rel_notes = reliability_fields(m, scores.to_numpy(), r, n_items)
    fields.update(rel_fields)
    rows = []
    meta = m.benchmarks
    for j, bid in enumerate(m.scores.columns):
        rr = _f(r[j])
        extra = {key: (_int(v[j]) if key in _INT_FIELDS else _f(v[j])) for key, v in fields.items()}
        if "ci_low" in fields:
            bands = verdict_bands(extra.get("ci_low"), extra.get("ci_high")) if rr is not None else []
            extra["verdict_bands"] = bands
            ceiling = extra.get("noise_ceiling")
            extra["noise_limited"] = bool("low" in bands and ceiling is not None and ceiling < NOISE_LIMITED)
        elif extra.get("noise_ceiling") is not None:
            extra["noise_limited"] = bool(rr is not None and abs(rr) < 0.4 and extra["noise_ceiling"] < NOISE_LIMITED)
        rows.append(
            BenchmarkResult(
                benchmark=bid,
                name=str(meta.loc[bid, "name"]),
                role=str(meta.loc[bid, "role"]),
                area=str(meta.loc[bid, "area"]),
                correlation=rr,
                n=int(n[j]),
                verdict=verdict(rr, extra.get("ci_low"), extra.get("ci_high")),
                metric=str(meta.loc[bid, "metric"]),
                extra=extra,
            )
        )
    notes = list(matrix.notes) + extra_notes + list(cfit.notes)
    if score_method == "irt":
        notes.append(f"capabilities score: {direction.describe()}")
        if dropped:
            notes.append(
                f"{len(dropped)} model(s) have no capabilities score: "
                + "; ".join(f"{mm} ({cfit.drop_reasons[mm]})" for mm in dropped)
            )
    if all(matrix.benchmarks.loc[b, "role"] == "capability" for b in matrix.scores.columns):
        notes.append(
            "every benchmark here is one of the capability benchmarks the score is built from: each correlation "
            "is of a part with the whole it belongs to (inflated), a check of the score, not of a separate property"
        )
    if dropped and score_method == "pca":
        notes.append(
            f"{len(dropped)} model(s) lack some capability benchmark and have no capabilities score: "
            + ", ".join(dropped[:20])
            + (f" ... and {len(dropped) - 20} more (all in dropped_models)" if len(dropped) > 20 else "")
            + ("" if impute else " (--impute fills them by low-rank PCA)")
        )
    undefined = [row.benchmark for row in rows if row.correlation is None]
    if undefined:
        notes.append(f"{len(undefined)} benchmark(s) have no correlation (constant or < 3 models): {', '.join(undefined)}")
    notes += unc_notes + rel_notes
    if "ci_low" in fields:
        tested = [row for row in rows if row.role != "capability" and row.correlation is not None]
        single = [row for row in tested if is_single_band(row.verdict)]
        adj = settings.get("adjust", "none")
        counts = ", ".join(f"{b} {c}" for b, c in _band_counts(single))
        if tested:
            notes.append(
                f"verdicts name only the bands the {settings.get('ci', ci):.0%} interval"
                + ("" if adj == "none" else f" ({adj}-adjusted)")
                + f" overlaps: {len(single)} of {len(tested)} non-capability benchmarks get a single band"
                + (f" ({counts})" if counts else "")
                + "; the others a range such as 'low to high'"
            )
        limited = [row.benchmark for row in rows if row.extra.get("noise_limited")]
        if limited:
            notes.append(
                f"noise-limited: {len(limited)} verdict(s) include 'low' on a benchmark whose noise ceiling is below "
                f"{NOISE_LIMITED} (item noise alone could make it look low): {', '.join(limited)}"
            )
    settings_extra = {"adjust": settings.get("adjust", adjust if bootstrap else "none"), "cluster": cluster}
    if sensitivity and score_method == "pca":
        sh = direction.variance_explained
        pcs = " / ".join(f"{v:.1%}" for v in sh[:3])
        ci_txt = ""
        if settings.get("pc1_ci_low") is not None:
            ci_txt = f" (PC1 {settings['ci']:.0%} CI {settings['pc1_ci_low']:.1%}-{settings['pc1_ci_high']:.1%})"
        notes.append(f"PC1 / PC2 / PC3 explain {pcs} of the capability benchmarks' variance{ci_txt}")
    return AnalysisResult(
        panel=matrix.name,
        method=method,
        n_models=matrix.n_models,
        capability_benchmarks=tuple(caps),
        direction=direction,
        pc1_variance_explained=direction.variance_explained[0] if score_method == "pca" else float("nan"),
        mean_capability_intercorrelation=mean_ic,
        model_scores={k2: float(v) for k2, v in scores.dropna().items()},
        results=tuple(rows),
        dropped_models=tuple(dropped),
        notes=tuple(notes),
        settings={
            "method": method,
            "bootstrap": int(bootstrap),
            "permutations": int(permutations),
            "compute": compute,
            "sensitivity": bool(sensitivity),
            "impute": bool(impute),
            "score_method": score_method,
            **settings_extra,
            **settings,
        },
        score_method=score_method,
        model_score_se={k2: float(v) for k2, v in cfit.se.dropna().items()},
    )


_INT_FIELDS = ("n_boot_used", "compute_n", "partial_compute_n", "n_items")


def _band_counts(rows: list[BenchmarkResult]) -> list[tuple[str, int]]:
    from ..inference._verdict import BANDS

    counts = {b: sum(1 for r in rows if r.verdict == b) for b in BANDS}
    return [(b, c) for b, c in counts.items() if c]


def _int(x: Any) -> int | None:
    """int or None for NaN."""
    v = _f(x)
    return None if v is None else int(v)
