"""The inference stages of a capabilities analysis, each a small function over one panel's tidy inputs.

``analyze`` composes them in this order (each returns a :class:`Step`: new
per-benchmark columns, run settings and notes, all built by the stage that
knows them)::

    estimate -> compute -> uncertainty (sensitivity, interval, adjustment) -> permutation
             -> reliability -> verdict -> components

* :func:`estimate`: slope, slope in SD units and spread of every benchmark
  over its own models (the correlations themselves are the panel's ``r``);
* :func:`compute`: correlation with log10 compute and the partial correlation
  controlling for it (its interval: :func:`partial_compute_interval`, after
  the uncertainty stage, from the seed it recorded);
* uncertainty: :func:`safetywashing.inference._uncertainty.uncertainty`, the
  resampling the capability model names (refit PC1 in every resample, or draw
  each score from its standard error), then intervals and their adjustment;
* :func:`permutation`: permutation p-values and BH q-values;
* :func:`reliability`: item-count reliability, noise ceiling, disattenuated r;
* :func:`verdict`: bands the interval overlaps, the verdict, ``noise_limited``;
* :func:`components`: the principal-component shares note.

Pure functions: no printing, no I/O; random draws only from the given seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._util.stats import ColumnCorrelator, column_order, finite_or_none, pairwise_corr_masked
from ..capability._model import CapabilityFit
from ..sources._matrix import ScoreMatrix
from ._effects import SCALE_COLLINEAR, log_compute, partial_compute_correlations, slopes
from ._reliability import NOISE_LIMITED
from ._schema import ABSENT
from ._verdict import BANDS, is_single_band, verdict_bands
from ._verdict import verdict as verdict_of


@dataclass
class Step:
    """What one stage adds: ``columns`` (name -> ``(p,)`` array, NaN = not available), ``settings`` and ``notes``."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def then(self, other: Step) -> Step:
        """This step's output followed by ``other``'s (later settings of the same name win; order kept)."""
        return Step({**self.columns, **other.columns}, {**self.settings, **other.settings}, self.notes + other.notes)


@dataclass(frozen=True)
class Panel:
    """The tidy inputs every stage reads: one score matrix and its fitted capability model.

    ``x``: ``(n, p)`` benchmark values (higher = better, NaN = missing) in the
    order of ``cols``; ``is_cap``: ``(p,)`` capability columns; ``scores`` /
    ``se``: ``(n,)`` capabilities scores and their SEs (NaN = unscored / none);
    ``r``, ``n``: ``(p,)`` point correlation with the score and its model count.
    """

    matrix: ScoreMatrix
    fit: CapabilityFit
    method: str
    x: np.ndarray
    cols: list[str]
    caps: list[str]
    is_cap: np.ndarray
    scores: np.ndarray
    se: np.ndarray
    r: np.ndarray
    n: np.ndarray
    #: Spearman: :func:`~safetywashing._util.stats.column_order` of ``x`` (each column sorted once for every stage)
    x_order: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: the :class:`~safetywashing._util.stats.ColumnCorrelator` of ``x`` that gave ``r`` (reused by the sensitivity refits)
    correlator: ColumnCorrelator | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, matrix: ScoreMatrix, fit: CapabilityFit, method: str) -> Panel:
        """Arrays of ``matrix`` (capability columns = the fit's table capabilities) and the point estimates."""
        m = matrix.with_capabilities(list(fit.table_capabilities))
        x = m.scores.to_numpy(dtype=float)
        cols = list(m.scores.columns)
        caps = list(fit.model.benchmarks)
        scores = fit.scores.to_numpy()
        order = column_order(x) if method == "spearman" else None
        correlate = ColumnCorrelator(x, method, order)  # pairwise_corr_masked's values, its ranks kept for the refits
        r, n = correlate(scores)
        return cls(m, fit, method, x, cols, caps, np.isin(cols, caps), scores, fit.se.to_numpy(), r, n, order, correlate)

    @property
    def p(self) -> int:
        """Number of benchmarks (columns)."""
        return len(self.cols)


def estimate(panel: Panel) -> Step:
    """Slope (benchmark units per score SD), ``slope_sd`` and ``spread`` over each row's own models.

    Notes the benchmarks whose correlation is undefined (constant or < 3 models).
    """
    eff = slopes(panel.x, panel.scores)
    step = Step({"slope": eff["slope"], "slope_sd": eff["slope_sd"], "spread": eff["spread"]},
                {"capabilities_score_sd": float(np.nanstd(panel.scores))})
    undefined = [c for c, v in zip(panel.cols, panel.r) if finite_or_none(v) is None]
    if undefined:
        step.notes.append(f"{len(undefined)} benchmark(s) have no correlation (constant or < 3 models): {', '.join(undefined)}")
    return step


def compute(panel: Panel, what: str | None) -> Step:
    """With ``what`` = ``flop`` or ``params``: correlation with log10 compute, the partial correlation controlling for
    it, and a note when score and compute are collinear (>= ``SCALE_COLLINEAR``). None = nothing."""
    if what is None:
        return Step()
    x, scores, is_cap, method = panel.x, panel.scores, panel.is_cap, panel.method
    lc = log_compute(panel.matrix.models, what)
    known = int((~np.isnan(lc)).sum())
    if known < 3:  # every correlation with compute is undefined: only the pair counts (as the routes below give them)
        return _compute_unknown(panel, what, lc, known)
    rc, nc = pairwise_corr_masked(x, lc, method, x_order=panel.x_order)  # compute_correlations, each column's sort reused
    r_s, n_s = pairwise_corr_masked(scores[:, None], lc, method)
    sc = None if np.isnan(r_s[0]) else float(r_s[0])
    step = Step({"compute_correlation": rc, "compute_n": nc.astype(float)},
                {"compute": what, "capabilities_compute_correlation": sc, "capabilities_compute_n": int(n_s[0])})
    part = partial_compute_correlations(x, scores, lc, method)
    part["partial"][is_cap] = np.nan
    step.columns["partial_compute_correlation"] = part["partial"]
    step.columns["partial_compute_n"] = np.where(is_cap, np.nan, part["n"].astype(float))
    step.columns["score_compute_correlation"] = np.where(is_cap, np.nan, part["score_compute"])
    collinear = ~is_cap & (np.abs(part["score_compute"]) >= SCALE_COLLINEAR)
    if (sc is not None and abs(sc) >= SCALE_COLLINEAR) or collinear.any():
        step.notes.append(
            f"capabilities score and log10 {what} correlate at {'n/a' if sc is None else f'{sc:+.2f}'} over the "
            f"{int(n_s[0])} models with a known {what} count (>= {SCALE_COLLINEAR} on the "
            f"models of {int(collinear.sum())} benchmark(s)): "
            "this panel cannot separate capabilities from scale; see partial_compute_correlation (controlling for "
            "log compute)"
        )
    return step


def _compute_unknown(panel: Panel, what: str, lc: np.ndarray, known: int) -> Step:
    """:func:`compute` when fewer than 3 models have a known compute count: every correlation NaN (fewer than 3
    pairs; the partial correlation needs 4), the pair counts as they are, and a note saying why. Skips ranking
    every column against a compute column with no values (2 s at 100,000 models)."""
    has = ~np.isnan(lc)
    pairs = (~np.isnan(panel.x) & has[:, None]).sum(axis=0)
    scored = has & ~np.isnan(panel.scores)
    nan = np.full(panel.p, np.nan)
    part_n = (~np.isnan(panel.x) & scored[:, None]).sum(axis=0)
    step = Step({"compute_correlation": nan.copy(), "compute_n": pairs.astype(float)},
                {"compute": what, "capabilities_compute_correlation": None, "capabilities_compute_n": int(scored.sum())})
    if known == 0:
        col = "--flop-column" if what == "flop" else "--params-column"
        step.notes.append(
            f"no compute correlation: no model has a known {what} count (name the column with {col}, or --compute none)"
        )
    else:
        step.notes.append(f"no compute correlation: only {known} model(s) have a known {what} count (3 needed)")
    step.columns["partial_compute_correlation"] = nan.copy()
    step.columns["partial_compute_n"] = np.where(panel.is_cap, np.nan, part_n.astype(float))
    step.columns["score_compute_correlation"] = nan.copy()
    return step


# Resamples of the partial-compute interval, whatever --bootstrap asks for the main intervals: a percentile interval of
# this secondary figure is stable at 2,000 (Monte Carlo error of its ends about 0.01), and each resample costs a
# re-ranking of every column (n^2 p), so 10,000 would multiply the analysis' time several-fold.
PARTIAL_COMPUTE_MAX_BOOT = 2000
PARTIAL_COMPUTE_MAX_CELLS = 2**26  # n x n x (columns + 2) comparison cells (256 MiB in float32); beyond: no interval


def partial_compute_interval(panel: Panel, what: str | None, n_boot: int, seed: int | None, level: float) -> Step:
    """Percentile bootstrap interval of ``partial_compute_correlation`` (``partial_compute_ci_low``/``_high``).

    Models resampled ``min(n_boot, PARTIAL_COMPUTE_MAX_BOOT)`` times with their capabilities scores held
    fixed (:func:`~safetywashing.inference._effects.bootstrap_partial_compute`),
    from a stream of ``seed`` of its own (the bootstrap's and the
    permutations' stay as they were); unadjusted, at ``level``. Capability
    columns get NaN. Nothing without ``what`` or a bootstrap.
    """
    if what is None or n_boot <= 0:
        return Step()
    from ._effects import bootstrap_partial_compute

    n_boot = min(n_boot, PARTIAL_COMPUTE_MAX_BOOT)
    n, cols = panel.x.shape[0], int((~panel.is_cap).sum())
    if panel.method == "spearman" and n * n * (cols + 2) > PARTIAL_COMPUTE_MAX_CELLS:
        return Step(notes=[f"partial_compute_ci_low/high not computed: its resamples re-rank {n} models x {cols} "
                           f"benchmarks through n x n comparisons (limit {PARTIAL_COMPUTE_MAX_CELLS:,} cells)"])

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    lc = log_compute(panel.matrix.models, what)
    keep = ~panel.is_cap
    lo, hi = np.full(panel.p, np.nan), np.full(panel.p, np.nan)
    if keep.any():
        from ..capability._pca_engine import single_blas_thread

        with single_blas_thread():  # many small products: BLAS threads cost more than they save (as in the engine)
            lo[keep], hi[keep], _ = bootstrap_partial_compute(panel.x[:, keep], panel.scores, lc, panel.method,
                                                              n_boot=n_boot, level=level, rng=rng)
    return Step({"partial_compute_ci_low": lo, "partial_compute_ci_high": hi},
                {"partial_compute_interval": f"percentile bootstrap, {n_boot} resamples of the models, scores held fixed"})


def permutation(panel: Panel, permutations: int, seed: int | None) -> Step:
    """Permutation ``p_value`` of every non-capability benchmark against the score, and its BH ``q_value``.

    Capability columns and undefined correlations get NaN. 0 permutations = nothing.
    """
    if permutations <= 0:
        return Step()
    from ._bootstrap import permutation_pvalues
    from ._multiplicity import bh_qvalues

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    pv = permutation_pvalues(panel.x, panel.scores, panel.method, permutations, rng)
    pv[panel.is_cap | np.isnan(panel.r)] = np.nan
    return Step({"p_value": pv, "q_value": bh_qvalues(pv)},
                {"permutations": int(permutations),
                 "q_value": "Benjamini-Hochberg over the non-capability benchmarks with a p-value"})


def reliability(panel: Panel, n_items: dict[str, float] | None) -> Step:
    """``n_items``, ``reliability``, ``noise_ceiling``, ``disattenuated_correlation`` (fraction-scale accuracies)."""
    from ._reliability_fields import reliability_fields

    cols, notes = reliability_fields(panel.matrix, panel.scores, panel.r, n_items)
    return Step(cols, {}, notes)


def verdict(panel: Panel, table: dict[str, np.ndarray], settings: dict[str, Any], level: float) -> tuple[list[str], Step]:
    """Each row's verdict, and ``verdict_bands`` / ``noise_limited`` columns with their summary notes.

    With an interval (``ci_low`` in ``table``) a verdict names one band only
    when the interval overlaps one, else the range; ``noise_limited`` flags a
    verdict including ``low`` on a benchmark whose noise ceiling is below
    ``NOISE_LIMITED``. Without an interval the verdict is the point estimate's
    band and ``noise_limited`` (|r| < 0.4 on a noise-limited benchmark) is
    given only where a noise ceiling is known. ``settings``: the run's so far
    (``ci``, ``adjust``); ``level``: the requested confidence level.
    Returns ``(verdicts, step)``.
    """
    has_ci = "ci_low" in table
    ceiling = table.get("noise_ceiling", np.full(panel.p, np.nan))
    verdicts, bands_col, limited = [], [], []
    for j in range(panel.p):
        rr = finite_or_none(panel.r[j])
        lo, hi = (finite_or_none(table["ci_low"][j]), finite_or_none(table["ci_high"][j])) if has_ci else (None, None)
        c = finite_or_none(ceiling[j])
        bands = verdict_bands(lo, hi) if has_ci and rr is not None else []
        bands_col.append(bands)
        if has_ci:
            limited.append(bool("low" in bands and c is not None and c < NOISE_LIMITED))
        elif c is not None:
            limited.append(bool(rr is not None and abs(rr) < 0.4 and c < NOISE_LIMITED))
        else:
            limited.append(ABSENT)
        verdicts.append(verdict_of(rr, lo, hi))
    step = Step({"noise_limited": _objects(limited)})
    if has_ci:
        step.columns = {"verdict_bands": _objects(bands_col), **step.columns}
        step.notes += _verdict_notes(panel, verdicts, limited, settings.get("ci", level), settings.get("adjust", "none"))
    return verdicts, step


def _objects(values: list[Any]) -> np.ndarray:
    """A ``(p,)`` object array holding ``values`` as they are (lists stay lists)."""
    out = np.empty(len(values), dtype=object)
    for j, v in enumerate(values):
        out[j] = v
    return out


def _verdict_notes(panel: Panel, verdicts: list[str], limited: list[Any], level: float, adjust: str) -> list[str]:
    """How many non-capability benchmarks got a single band, and which verdicts are noise-limited."""
    notes = []
    roles = panel.matrix.benchmarks["role"]
    tested = [j for j, c in enumerate(panel.cols) if roles[c] != "capability" and finite_or_none(panel.r[j]) is not None]
    single = [verdicts[j] for j in tested if is_single_band(verdicts[j])]
    counts = ", ".join(f"{b} {single.count(b)}" for b in BANDS if single.count(b))
    if tested:
        notes.append(
            f"verdicts name only the bands the {level:.0%} interval"
            + ("" if adjust == "none" else f" ({adjust}-adjusted)")
            + f" overlaps: {len(single)} of {len(tested)} non-capability benchmarks get a single band"
            + (f" ({counts})" if counts else "")
            + "; the others a range such as 'low to high'"
        )
    hit = [c for c, flag in zip(panel.cols, limited) if flag is True]
    if hit:
        notes.append(
            f"noise-limited: {len(hit)} verdict(s) include 'low' on a benchmark whose noise ceiling is below "
            f"{NOISE_LIMITED} (item noise alone could make it look low): {', '.join(hit)}"
        )
    return notes


def components(panel: Panel, settings: dict[str, Any], sensitivity: bool) -> Step:
    """With ``sensitivity`` and a model with principal components: a note of the PC1-PC3 shares (and PC1's interval)."""
    shares = panel.fit.model.component_shares
    if not (sensitivity and shares):
        return Step()
    pcs = " / ".join(f"{v:.1%}" for v in shares[:3])
    ci_txt = ""
    if settings.get("pc1_ci_low") is not None:
        ci_txt = f" (PC1 {settings['ci']:.0%} CI {settings['pc1_ci_low']:.1%}-{settings['pc1_ci_high']:.1%})"
    return Step(notes=[f"PC1 / PC2 / PC3 explain {pcs} of the capability benchmarks' variance{ci_txt}"])
