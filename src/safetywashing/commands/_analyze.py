"""The paper's capabilities analysis, as pure functions returning frozen results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError, renamed_keywords, warn_all
from .._util.limits import check_work
from .._util.notebook import NotebookRepr, Summary, interval, more, num
from .._util.plotting import Plottable
from .._util.stats import finite_or_none as _f
from ..capability._model import fit_capability_model, model_class, resolve_score_method
from ..capability._pca import MIN_MODELS, CapabilityDirection, capability_direction
from ..inference import _stages as stages
from ..inference._schema import RowFields, row_values
from ..inference._stages import Panel
from ..inference._uncertainty import Options, check_options, uncertainty
from ..sources._matrix import ScoreMatrix
from ..sources._registry import conform_to_registry

__all__ = ["MIN_MODELS", "AnalysisResult", "BenchmarkResult", "CapabilityDirection", "analyze", "capability_direction"]

@dataclass(frozen=True, repr=False)
class BenchmarkResult(NotebookRepr):
    """One benchmark's capabilities correlation.

    ``correlation`` is Spearman or Pearson r with the capabilities score
    (higher = the benchmark rises with capabilities) over the ``n`` models that
    have both; ``None`` when undefined. ``extra`` holds the typed fields the
    inference stages added (intervals, slope, compute, reliability, ...): a
    read-only :class:`~safetywashing.inference._schema.RowFields` whose every
    field is documented, with its type and stage, in
    :mod:`safetywashing.inference._schema` (a plain dict given here is checked
    and converted: the ``analyze`` schema, or the ``audit`` one when the keys
    are an audit row's). ``direction`` says how a user's column was oriented
    (``"lower = better in the file (negated: higher = better)"``, ``"higher =
    better (assumed: no direction given)"``, ...; empty for an embedded panel,
    whose every column is stored higher = better).
    """

    benchmark: str
    name: str
    role: str
    area: str
    correlation: float | None
    n: int
    verdict: str
    metric: str = ""
    extra: RowFields = field(default_factory=RowFields.analysis)
    direction: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.extra, RowFields):
            object.__setattr__(self, "extra", RowFields.of(self.extra))

    @property
    def fields(self) -> RowFields:
        """The row's typed stage fields (same object as ``extra``)."""
        return self.extra

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the contract keys first, then the stage fields (schema order)."""
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
        if self.direction:
            d["direction"] = self.direction
        d.update(self.extra)
        return d

    def _summary(self) -> Summary:
        ci = interval(self.extra.get("ci_low"), self.extra.get("ci_high"))
        facts = (("r", num(self.correlation)), ("interval", ci), ("n", str(self.n)), ("verdict", self.verdict))
        return Summary(f"{self.benchmark} ({self.name}; {self.role}{', ' + self.area if self.area else ''})", facts)


class ResultLookup:
    """``result(benchmark)`` for result objects holding ``results`` rows (analysis, audit)."""

    results: tuple[BenchmarkResult, ...]

    def result(self, benchmark: str) -> BenchmarkResult:
        """The row of one benchmark id (KeyError if absent)."""
        for r in self.results:
            if r.benchmark == benchmark:
                return r
        raise KeyError(benchmark)


@dataclass(frozen=True, repr=False)
class AnalysisResult(ResultLookup, NotebookRepr, Plottable):
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
    warnings: tuple[str, ...] = ()

    def _summary(self) -> Summary:
        """Title, the score's description, verdict counts and the benchmarks that track capabilities most."""
        rows = [r for r in self.results if r.role == "safety"] or [r for r in self.results if r.role != "capability"]
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4])
        boot = int(self.settings.get("bootstrap") or 0)
        facts = (
            ("models", f"{self.n_models} ({len(self.model_scores)} scored)"),
            ("capabilities score", self.direction.label(len(self.model_scores))),
            ("benchmarks", f"{len(rows)} {'safety' if rows and rows[0].role == 'safety' else 'non-capability'}"),
            ("intervals", f"{boot:,} bootstrap resamples, adjust {self.settings.get('adjust', 'none')}" if boot else "none"),
            ("verdicts", verdicts + (", ..." if len(counts) > 4 else "")),
        )
        top = sorted((r for r in rows if r.correlation is not None), key=lambda r: (-r.correlation, r.benchmark))
        table = tuple((r.name, r.benchmark, num(r.correlation), interval(r.extra.get("ci_low"), r.extra.get("ci_high")),
                       str(r.n), r.verdict) for r in top)
        return Summary(
            f"panel {self.panel!r}, {self.method} correlation with the capabilities score", facts,
            ("benchmark", "id", "r", "interval", "n", "verdict"), table, ("r", "interval", "n"),
            more(len(table), "benchmarks, highest r first", ".to_frame(); one row: .result(id)"), self.warnings,
        )

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
            "warnings": list(self.warnings),
            "settings": dict(self.settings),
            "results": [r.to_dict() for r in self.results],
        }

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per benchmark, with ``panel`` and ``method`` columns."""
        df = pd.DataFrame([r.to_dict() for r in self.results])
        df.insert(0, "method", self.method)
        df.insert(0, "panel", self.panel)
        return df



@renamed_keywords(ci="level")
def analyze(
    matrix: ScoreMatrix,
    capabilities: list[str] | None = None,
    method: str = "spearman",
    *,
    bootstrap: int = 2000,
    level: float = 0.95,
    ci_method: str = "bca",
    seed: int | None = 0,
    permutations: int = 0,
    compute: str | None = "flop",
    sensitivity: bool = True,
    impute: bool = False,
    progress: Callable[[int], None] | None = None,
    adjust: str = "fcr",
    cluster: str | None = None,
    n_items: dict[str, float] | None = None,
    score_method: str | None = None,
) -> AnalysisResult:
    """Capabilities correlation of every benchmark of ``matrix`` (the paper's method), with uncertainty.

    Defaults = the CLI's (2,000 BCa resamples, seed 0, FCR, compute, sensitivity): ``sw.analyze(m)`` gives the verdicts
    the CLI prints; ``bootstrap=0, adjust="none"`` the paper's bare point estimates (verdict = the point's band).

    Parameters (every row field named here is documented in :mod:`safetywashing.inference._schema`)
    ----------
    matrix: a :class:`ScoreMatrix` (``load_panel("chat")`` or a user's table), every column higher = better.
    capabilities: capability benchmark ids; default the registry's capability columns (the paper's 12).
    method: ``"spearman"`` (default, the paper's) or ``"pearson"``.
    bootstrap: resamples of models (0 = none, else >= 100). Whatever the capability model refits or draws inside
        a resample (PCA: z-scores, correlation matrix, PC1 with its sign rule, scores), every benchmark's
        pairwise-deletion correlation is recomputed; rows gain ``ci_low``, ``ci_high``, ``n_boot_used`` and the
        verdict uses the interval. Streamed in chunks; resamples x benchmarks is capped at 2**25 (InputError above,
        naming the largest accepted value). Above 1,000 models the jackknife (BCa acceleration, ``loo_model_*``)
        leaves out 100 seeded groups (``settings["jackknife"]``).
    level: confidence level of the intervals (default 0.95; ``ci``, its former name, still works, with a
        DeprecationWarning).
    ci_method: ``"bca"`` (default: corrects the bias and skew of correlations near +-1 that a percentile interval
        keeps; its jackknife is the leave-one-model-out analysis) or ``"percentile"``.
    seed: seed of the resampling and permutations (None = fresh entropy, recorded in ``settings["seed"]``).
    permutations: permutations for a two-sided ``p_value`` per non-capability benchmark (and BH ``q_value``).
    compute: ``"flop"`` (default) or ``"params"``: correlation with log10 training FLOP (or parameters), ``compute_n``, and the
        partial correlation controlling for it. None = skip.
    sensitivity: leave-one-capability-benchmark-out and leave-one-model-out ranges (``loo_benchmark_min/max``,
        ``loo_model_min/max``) and ``settings["pc_shares"]``.
    impute: fill missing capability scores by iterative rank-2 PCA (models with at least half of the capability
        benchmarks) instead of dropping those models; a note says what changed.
    progress: optional callback ``progress(k)`` after every ``k`` bootstrap resamples.
    score_method: None (the CLI's choice: ``"irt"`` on the sparse frontier panel, else ``"pca"``), ``"pca"`` (the
        paper's PC1; models need every capability benchmark) or ``"irt"`` (the logistic model: any 3 capability
        benchmarks, an SE per score; intervals draw each score from N(estimate, SE^2); no leave-one-out ranges).
    adjust: multiplicity adjustment behind the verdicts: ``"fcr"`` (Benjamini-Yekutieli, for the benchmarks whose
        interval excludes 0), ``"bonferroni"`` or ``"none"``. Rows gain ``ci_level`` and ``ci_low/high_unadjusted``.
    cluster: ``"family"``: resample model families (``models["family"]``, shipped for the panels) instead of
        models; ``settings["n_families"]`` says how many.
    n_items: item counts per benchmark id over the registry's; fraction-scale accuracies gain ``n_items``,
        ``reliability``, ``noise_ceiling`` and ``disattenuated_correlation``.

    With an interval every row carries ``verdict_bands`` (the bands it overlaps, negative to positive) and the
    verdict names one band only when one remains, else the range (``"low to high"``); ``noise_limited`` flags a
    verdict including ``low`` on a benchmark whose noise ceiling is below 0.7. Rows always carry ``slope``
    (benchmark units per 1 SD of the score), ``slope_sd`` and ``spread`` over the row's ``n`` models.

    Returns
    -------
    AnalysisResult
        Each model's capabilities score (higher = more capable) and one row per benchmark with its correlation
        (higher = the benchmark rises with capabilities), ``n``, verdict and the fields above. Without
        ``bootstrap``/``impute`` the figures are exactly the paper's.
    """
    score_method = resolve_score_method(score_method, matrix)  # None: the CLI's default for this matrix
    opts = _options(matrix, bootstrap, level, ci_method, seed, permutations, compute, sensitivity, progress, adjust, cluster,
                    score_method, impute)
    matrix, conventions = conform_to_registry(matrix)  # a user's table: registry corrections (discrim_eval: -|x|)
    matrix, impute_notes = _impute(matrix, capabilities, method, impute)
    cfit = fit_capability_model(matrix, capabilities, method, score_method)
    panel = Panel.build(matrix, cfit, method)
    step, verdicts = _run_stages(panel, opts, compute, n_items, level)
    notes = list(matrix.notes) + conventions + impute_notes + cfit.analysis_notes(impute) + _part_whole_note(matrix) + step.notes
    warns = [cfit.model.dropped_sentence(list(cfit.dropped), cfit.drop_reasons, impute)] if cfit.dropped else []
    warn_all(warns, stacklevel=4)  # the caller of analyze (through the keyword-renaming wrapper)
    return AnalysisResult(
        panel=matrix.name,
        method=method,
        n_models=matrix.n_models,
        capability_benchmarks=tuple(panel.caps),
        direction=cfit.model,
        pc1_variance_explained=(cfit.model.component_shares or (float("nan"),))[0],
        mean_capability_intercorrelation=cfit.model.mean_intercorrelation(panel.matrix.scores, cfit.scores.notna().to_numpy(),
                                                                          method),
        model_scores={k2: float(v) for k2, v in cfit.scores.dropna().items()},
        results=tuple(_rows(panel, step.columns, verdicts)),
        dropped_models=tuple(cfit.dropped),
        notes=tuple(notes),
        settings=_settings(opts, method, compute, impute, score_method, step.settings),
        score_method=score_method,
        model_score_se={k2: float(v) for k2, v in cfit.se.dropna().items()},
        warnings=tuple(warns),
    )


def _run_stages(panel: Panel, opts: Options, compute: str | None, n_items: dict[str, float] | None,
                level: float) -> tuple[Any, list[str]]:
    """The analysis' stages in order (estimate, compute, uncertainty, partial-compute interval, permutations,
    reliability, verdicts, components): their combined step and the verdicts."""
    step = stages.estimate(panel).then(stages.compute(panel, compute)).then(uncertainty(panel, opts))
    step = step.then(stages.partial_compute_interval(panel, compute, opts.bootstrap, step.settings.get("seed"), opts.ci))
    step = step.then(stages.permutation(panel, opts.permutations, step.settings.get("seed")))
    step = step.then(stages.reliability(panel, n_items))
    verdicts, verdict_step = stages.verdict(panel, step.columns, step.settings, level)
    return step.then(verdict_step).then(stages.components(panel, step.settings, opts.sensitivity)), verdicts


def _options(
    matrix: ScoreMatrix, bootstrap: int, ci: float, ci_method: str, seed: int | None, permutations: int,
    compute: str | None, sensitivity: bool, progress: Callable[[int], None] | None, adjust: str, cluster: str | None,
    score_method: str, impute: bool,
) -> Options:
    """Validate the options (one clear :class:`InputError` each) and read the family codes a clustered bootstrap needs."""
    check_options(bootstrap, ci, ci_method, permutations, compute, seed)
    n_models, n_cols = matrix.scores.shape
    check_work("--bootstrap", bootstrap, rows=n_models, columns=n_cols)
    check_work("--permutations", permutations, rows=n_models, columns=n_cols)
    if impute and not model_class(score_method).can_impute:
        raise InputError(f"--impute fills gaps for the PCA score; --score-method {score_method} uses incomplete models "
                         "as they are")
    codes = None
    if cluster is not None:
        from ..inference._cluster import CLUSTER_CHOICES, family_codes

        if cluster not in CLUSTER_CHOICES:
            raise InputError(f"cluster: {cluster!r} is not one of: {', '.join(CLUSTER_CHOICES)}")
        if bootstrap:
            codes, _ = family_codes(matrix.models, "family", matrix.source or matrix.name)
    return Options(bootstrap=bootstrap, ci=ci, ci_method=ci_method, seed=seed, permutations=permutations,
                   sensitivity=sensitivity, adjust=adjust, cluster=cluster, cluster_codes=codes, progress=progress)


def _impute(matrix: ScoreMatrix, capabilities: list[str] | None, method: str, impute: bool) -> tuple[ScoreMatrix, list[str]]:
    """With ``impute``: the matrix with missing capability scores filled by rank-2 PCA, and a note of what moved."""
    if not impute:
        return matrix, []
    from ..capability._impute import impute_capabilities

    return impute_capabilities(matrix, matrix.resolve_capabilities(capabilities), method)


def _part_whole_note(matrix: ScoreMatrix) -> list[str]:
    """A note when every benchmark is a capability benchmark (each r is then a part with its own whole)."""
    if all(matrix.benchmarks.loc[b, "role"] == "capability" for b in matrix.scores.columns):
        return ["every benchmark here is one of the capability benchmarks the score is built from: each correlation "
                "is of a part with the whole it belongs to (inflated), a check of the score, not of a separate property"]
    return []


def direction_of(meta: pd.DataFrame, bid: str) -> str:
    """A column's ``direction`` text from a matrix's benchmark metadata (set by the table reader; "" for a panel)."""
    if "direction" not in meta.columns or bid not in meta.index:
        return ""
    v = meta.loc[bid, "direction"]
    return v if isinstance(v, str) else ""


def _rows(panel: Panel, columns: dict[str, np.ndarray], verdicts: list[str]) -> list[BenchmarkResult]:
    """One :class:`BenchmarkResult` per benchmark, with the stage columns as its typed fields."""
    meta = panel.matrix.benchmarks.reindex(panel.cols)  # columns read once, not one .loc per benchmark and field
    text = {c: [str(v) for v in meta[c].tolist()] for c in ("name", "role", "area", "metric")}
    return [
        BenchmarkResult(
            benchmark=bid,
            name=text["name"][j],
            role=text["role"][j],
            area=text["area"][j],
            correlation=_f(panel.r[j]),
            n=int(panel.n[j]),
            verdict=verdicts[j],
            metric=text["metric"][j],
            extra=RowFields.analysis(row_values(columns, j)),
            direction=direction_of(meta, bid),
        )
        for j, bid in enumerate(panel.cols)
    ]


def _settings(opts: Options, method: str, compute: str | None, impute: bool, score_method: str,
              stage_settings: dict[str, Any]) -> dict[str, Any]:
    """The run's settings: the options asked for, then what the stages recorded (seed, interval method, ...)."""
    return {
        "method": method,
        "bootstrap": int(opts.bootstrap),
        "permutations": int(opts.permutations),
        "compute": compute,
        "sensitivity": bool(opts.sensitivity),
        "impute": bool(impute),
        "score_method": score_method,
        "adjust": stage_settings.get("adjust", opts.adjust if opts.bootstrap else "none"),
        "cluster": opts.cluster,
        **stage_settings,
    }
