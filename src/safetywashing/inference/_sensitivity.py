"""Uncertainty and sensitivity of a capabilities analysis (beyond the paper).

:func:`extend` computes, for every benchmark of a panel, the fields that
:func:`safetywashing.analyze` adds to ``BenchmarkResult.extra``:

* ``ci_low``, ``ci_high``, ``n_boot_used``: bootstrap interval of the
  correlation (models resampled; z-scores, capability correlation matrix,
  PC1 with its sign rule, scores and every correlation recomputed inside
  each resample; see :mod:`safetywashing.inference._bootstrap`);
* ``p_value``: permutation p-value (two-sided);
* ``slope``, ``slope_sd``, ``spread``: see :func:`safetywashing.inference._effects.slopes`;
* ``compute_correlation``, ``compute_n``: correlation with log10 training
  compute;
* ``loo_benchmark_min/max``: range of the correlation when each capability
  benchmark is left out of the capabilities score in turn;
* ``loo_model_min/max``: range when each model is left out in turn;
* ``partial_compute_correlation``, ``partial_compute_n``,
  ``score_compute_correlation``: the correlation controlling for log10
  compute (:func:`safetywashing.inference._effects.partial_compute_correlations`);
* ``ci_level``, ``ci_low_unadjusted``, ``ci_high_unadjusted`` with an
  ``adjust`` other than ``none`` (:mod:`safetywashing.inference._multiplicity`);
  ``q_value`` (Benjamini-Hochberg) beside ``p_value``.

Pure functions: no printing, no I/O; random draws only from the given seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._util.errors import InputError, SafetywashingError
from .._util.stats import column_order, pairwise_corr_masked
from ..capability._pca import capability_direction
from ..capability._pca_engine import Engine, make_engine, run_chunks
from ..sources._matrix import ScoreMatrix
from ._bootstrap import (
    CI_METHODS,
    JACKKNIFE_EXACT_MAX,
    bootstrap_count_chunks,
    check_bootstrap_size,
    intervals,
    jackknife_plan,
    permutation_pvalues,
)
from ._effects import SCALE_COLLINEAR, compute_correlations, log_compute, partial_compute_correlations, slopes
from ._multiplicity import ADJUST_CHOICES, adjusted_levels, bh_qvalues

MIN_BOOTSTRAP = 100


def check_options(bootstrap: int, ci: float, ci_method: str, permutations: int, compute: str | None, seed: int | None) -> None:
    """Validate the uncertainty options (raise :class:`InputError` saying how to fix)."""
    if not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise InputError(f"bootstrap: {bootstrap!r} must be a whole number >= 0 (0 = no intervals)")
    if 0 < bootstrap < MIN_BOOTSTRAP:
        raise InputError(
            f"bootstrap: {bootstrap} resamples are too few for an interval; use 0 (off) or >= {MIN_BOOTSTRAP}, e.g. 2000"
        )
    if not (isinstance(ci, (float, int)) and 0.5 <= float(ci) < 1.0):
        raise InputError(f"ci: {ci!r} must be a confidence level in [0.5, 1), e.g. 0.95")
    if ci_method not in CI_METHODS:
        raise InputError(f"ci_method: {ci_method!r} is not one of: {', '.join(CI_METHODS)}")
    if not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise InputError(f"permutations: {permutations!r} must be a whole number >= 0 (0 = no p-values)")
    if compute is not None and compute not in ("flop", "params"):
        raise InputError(f"compute: {compute!r} is not one of: flop, params")
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise InputError(f"seed: {seed!r} must be a whole number >= 0")


def _range(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise (min, max) ignoring NaN; NaN where a column has no value."""
    has = (~np.isnan(v)).any(axis=0)
    lo = np.where(has, np.min(np.where(np.isnan(v), np.inf, v), axis=0), np.nan)
    hi = np.where(has, np.max(np.where(np.isnan(v), -np.inf, v), axis=0), np.nan)
    return lo, hi


def effect_fields(
    x: np.ndarray,
    scores: np.ndarray,
    is_cap: np.ndarray,
    matrix: ScoreMatrix,
    compute: str | None,
    method: str,
    fields: dict[str, np.ndarray],
    settings: dict[str, Any],
    notes: list[str],
) -> None:
    """Fill in what the correlation hides, for any capabilities score: slope, slope_sd and spread over each
    row's own models, and (``compute`` = ``flop`` or ``params``) the correlation with log10 compute, the partial
    correlation controlling for it, and a note when score and compute are collinear. ``x``: ``(n, p)`` scores;
    ``scores``: ``(n,)`` capabilities scores (NaN = unscored); ``is_cap``: ``(p,)`` capability columns."""
    eff = slopes(x, scores)
    fields["slope"], fields["slope_sd"], fields["spread"] = eff["slope"], eff["slope_sd"], eff["spread"]
    settings["capabilities_score_sd"] = float(np.nanstd(scores))

    if compute is not None:
        lc = log_compute(matrix.models, compute)
        rc, nc = compute_correlations(x, lc, method)
        fields["compute_correlation"], fields["compute_n"] = rc, nc.astype(float)
        r_s, n_s = pairwise_corr_masked(scores[:, None], lc, method)
        settings["compute"] = compute
        settings["capabilities_compute_correlation"] = None if np.isnan(r_s[0]) else float(r_s[0])
        settings["capabilities_compute_n"] = int(n_s[0])
        known = int((~np.isnan(lc)).sum())
        if known == 0:
            col = "--flop-column" if compute == "flop" else "--params-column"
            notes.append(
                f"no compute correlation: no model has a known {compute} count (name the column with {col}, "
                "or --compute none)"
            )
        elif known < 3:
            notes.append(f"no compute correlation: only {known} model(s) have a known {compute} count (3 needed)")
        part = partial_compute_correlations(x, scores, lc, method)
        part["partial"][is_cap] = np.nan
        fields["partial_compute_correlation"] = part["partial"]
        fields["partial_compute_n"] = np.where(is_cap, np.nan, part["n"].astype(float))
        fields["score_compute_correlation"] = np.where(is_cap, np.nan, part["score_compute"])
        sc = settings["capabilities_compute_correlation"]
        collinear = ~is_cap & (np.abs(part["score_compute"]) >= SCALE_COLLINEAR)
        if (sc is not None and abs(sc) >= SCALE_COLLINEAR) or collinear.any():
            notes.append(
                f"capabilities score and log10 {compute} correlate at {_fmt(sc)} over the "
                f"{settings['capabilities_compute_n']} models with a known {compute} count (>= {SCALE_COLLINEAR} on the "
                f"models of {int(collinear.sum())} benchmark(s)): "
                "this panel cannot separate capabilities from scale; see partial_compute_correlation (controlling for "
                "log compute)"
            )


def extend(
    matrix: ScoreMatrix,
    caps: list[str],
    method: str,
    scores: np.ndarray,
    r_point: np.ndarray,
    pc_shares: tuple[float, ...],
    *,
    bootstrap: int = 0,
    ci: float = 0.95,
    ci_method: str = "bca",
    seed: int | None = None,
    permutations: int = 0,
    compute: str | None = None,
    sensitivity: bool = False,
    progress: Callable[[int], None] | None = None,
    adjust: str = "none",
    cluster_codes: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any], list[str]]:
    """Per-benchmark extra fields, run settings and notes for one panel.

    ``scores``: ``(n,)`` point capabilities scores (NaN = unscored);
    ``r_point``: ``(p,)`` point correlations (NaN = undefined), columns in
    ``matrix.scores`` order; ``pc_shares``: the point direction's variance
    shares (PC1 first). ``adjust``: ``none``, ``bonferroni`` or ``fcr`` (the
    level of the intervals behind the verdicts); ``cluster_codes``: ``(n,)``
    family codes to resample families instead of models. Returns
    ``(fields, settings, notes)`` where every field is an array of length
    ``p`` (NaN = not available).
    """
    x = matrix.scores.to_numpy(dtype=float)
    n, p = x.shape
    cols = list(matrix.scores.columns)
    cap_idx = [cols.index(c) for c in caps]
    is_cap = np.zeros(p, dtype=bool)
    is_cap[cap_idx] = True
    fields: dict[str, np.ndarray] = {}
    settings: dict[str, Any] = {}
    notes: list[str] = []

    effect_fields(x, scores, is_cap, matrix, compute, method, fields, settings, notes)

    need_jack = sensitivity or (bootstrap > 0 and ci_method == "bca")
    if bootstrap:
        check_bootstrap_size(bootstrap, p)
    random = bootstrap or permutations or (need_jack and n > JACKKNIFE_EXACT_MAX)  # the grouped jackknife draws groups
    if seed is None and random:
        seed = int(np.random.SeedSequence().entropy)  # recorded so the run can be repeated
    if random:
        settings["seed"] = seed
    jack = jackknife_plan(n, seed) if need_jack else None

    loo = None
    if bootstrap > 0 or sensitivity:
        engine = make_engine(x, cap_idx, method)
    if jack is not None:
        loo = run_chunks(engine, jack.count_chunks(), jack.groups)
        settings["jackknife"] = jack.to_dict()
        if not jack.exact:
            notes.append(
                f"{jack.describe()}: the leave-one-model-out range (loo_model_min/max) is a leave-one-group-out range "
                f"and BCa's acceleration comes from these groups (above {JACKKNIFE_EXACT_MAX} models the exact "
                "jackknife would cost one re-analysis per model)"
            )

    if sensitivity:
        settings["pc_shares"] = [float(v) for v in pc_shares[:3]]
        lo_m, hi_m = _range(loo.r[loo.ok]) if loo.ok.any() else (np.full(p, np.nan), np.full(p, np.nan))
        fields["loo_model_min"], fields["loo_model_max"] = lo_m, hi_m
        if len(caps) >= 3:
            rows = []
            xo = column_order(x) if method == "spearman" else None  # one sort of each column for every re-run
            for c in caps:
                try:
                    _, sc, _ = capability_direction(matrix, [b for b in caps if b != c], method)
                except SafetywashingError:
                    continue
                rows.append(pairwise_corr_masked(x, sc.to_numpy(), method, x_order=xo)[0])
            lo_b, hi_b = _range(np.array(rows)) if rows else (np.full(p, np.nan), np.full(p, np.nan))
        else:
            lo_b = hi_b = np.full(p, np.nan)
            notes.append("leave-one-capability-benchmark-out needs at least 3 capability benchmarks; not computed")
        fields["loo_benchmark_min"], fields["loo_benchmark_max"] = lo_b, hi_b

    if bootstrap > 0:
        jack_run = loo
        if cluster_codes is None:
            count_chunks = bootstrap_count_chunks(n, bootstrap, seed)  # streamed: memory bounded whatever N
            unit = "models"
        else:
            from ._cluster import cluster_bootstrap_counts, leave_one_cluster_out_counts

            counts = cluster_bootstrap_counts(cluster_codes, bootstrap, seed)
            _check_exact(engine, counts)
            count_chunks = [counts]
            jack_run = engine.run(leave_one_cluster_out_counts(cluster_codes))
            unit = "families"
            settings["n_families"] = int(np.max(cluster_codes)) + 1
        run = run_chunks(engine, count_chunks, bootstrap, progress)
        skipped = int((~run.ok).sum())
        boot = run.r if skipped == 0 else run.r[run.ok]
        iv = intervals(r_point, boot, None if jack_run is None else jack_run.r, ci, ci_method)
        fields["ci_low"], fields["ci_high"], fields["n_boot_used"] = iv.low, iv.high, iv.used.astype(float)
        settings.update(bootstrap=int(bootstrap), ci=float(ci), ci_method=ci_method, n_boot_skipped=skipped)
        jpc = None if jack_run is None else jack_run.pc1[:, None]
        pc = intervals(np.array([pc_shares[0]]), run.pc1[run.ok][:, None], jpc, ci, ci_method)
        settings["pc1_ci_low"], settings["pc1_ci_high"] = (None if np.isnan(v) else float(v) for v in (pc.low[0], pc.high[0]))
        has = ~np.isnan(iv.low)
        outside = has & ((r_point < iv.low - 1e-12) | (r_point > iv.high + 1e-12))
        settings["n_ci_excluding_estimate"] = int(outside.sum())
        settings["n_ci_percentile_fallback"] = int(iv.fallback.sum())
        label = "BCa" if ci_method == "bca" else "percentile"
        what = f"the {n} models"
        if cluster_codes is not None:
            what = f"the {settings['n_families']} model families of the {n} models"
        notes.append(
            f"{ci:.0%} {label} bootstrap intervals: {bootstrap} resamples of {what} (seed {seed}); z-scores, PC1 and "
            f"every correlation recomputed in each resample; {skipped} degenerate resample(s) skipped"
        )
        settings["cluster"] = None if cluster_codes is None else "family"
        if cluster_codes is not None and settings["n_families"] < FEW_CLUSTERS:
            notes.append(
                f"only {settings['n_families']} families: with fewer than ~{FEW_CLUSTERS} clusters a cluster bootstrap "
                "tends to understate the uncertainty (its intervals can come out narrower than the model bootstrap's); "
                "read --cluster family as a sensitivity check, not as a sharper verdict"
            )
        settings["resampled_units"] = unit
        jr = None if jack_run is None else jack_run.r
        notes += _adjust(fields, settings, r_point, boot, jr, is_cap, ci, ci_method, adjust, bootstrap)
        if outside.any():
            ids = [cols[j] for j in np.flatnonzero(outside)]
            notes.append(
                f"{len(ids)} interval(s) exclude their point estimate (bootstrap values almost all on one side of it): "
                + ", ".join(ids[:10])
                + ("..." if len(ids) > 10 else "")
            )
        if iv.fallback.any():
            ids = [cols[j] for j in np.flatnonzero(iv.fallback)]
            notes.append(
                f"{len(ids)} BCa interval(s) fell back to percentile (estimate outside every resample): {', '.join(ids[:10])}"
            )

    if permutations > 0:
        permutation_fields(x, scores, r_point, is_cap, method, permutations, seed, fields, settings)
    return fields, settings, notes


def permutation_fields(
    x: np.ndarray,
    scores: np.ndarray,
    r_point: np.ndarray,
    is_cap: np.ndarray,
    method: str,
    permutations: int,
    seed: int | None,
    fields: dict[str, np.ndarray],
    settings: dict[str, Any],
) -> None:
    """Permutation ``p_value`` of every non-capability benchmark against ``scores`` (any capability model) and its
    Benjamini-Hochberg ``q_value``; capability columns and undefined correlations get NaN."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    pv = permutation_pvalues(x, scores, method, permutations, rng)
    pv[is_cap | np.isnan(r_point)] = np.nan
    fields["p_value"] = pv
    fields["q_value"] = bh_qvalues(pv)
    settings["permutations"] = int(permutations)
    settings["q_value"] = "Benjamini-Hochberg over the non-capability benchmarks with a p-value"


FEW_CLUSTERS = 20  # Cameron, Gelbach & Miller (2008): cluster-robust inference needs more clusters than this
MIN_TAIL = 10  # resamples beyond each end below which an extreme quantile is poorly resolved


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.2f}"


def _check_exact(engine: Engine, counts: np.ndarray) -> None:
    """The engine's float32 Spearman route is exact only while 4 N^3 < 2**24 (N = models in a resample)."""
    if getattr(engine, "dtype", np.float64) == np.float32 and 4 * float(counts.sum(axis=1).max()) ** 3 >= 2**24:
        raise InputError(
            "--cluster family: a family resample holds more models than the exact single-precision route allows "
            "(about 160); use the model bootstrap (no --cluster) for this table"
        )


def _adjust(
    fields: dict[str, np.ndarray],
    settings: dict[str, Any],
    r_point: np.ndarray,
    boot: np.ndarray,
    jack: np.ndarray | None,
    is_cap: np.ndarray,
    ci: float,
    ci_method: str,
    adjust: str,
    bootstrap: int,
) -> list[str]:
    """Replace the intervals of the adjusted benchmarks by intervals at their adjusted level; say what was done."""
    if adjust not in ADJUST_CHOICES:
        raise InputError(f"adjust: {adjust!r} is not one of: {', '.join(ADJUST_CHOICES)}")
    lv = adjusted_levels(fields["ci_low"], fields["ci_high"], ~is_cap, ci, adjust)
    fields["ci_level"] = lv.levels
    settings.update(adjust=adjust, adjust_family_size=lv.m, adjust_selected=lv.r_selected)
    if adjust == "none":
        return [f"intervals not adjusted for multiplicity (--adjust none): each of the {lv.m} non-capability intervals "
                f"holds {ci:.0%} on its own; about {(1 - ci) * lv.m:.0f} of them may miss"]
    fields["ci_low_unadjusted"], fields["ci_high_unadjusted"] = fields["ci_low"].copy(), fields["ci_high"].copy()
    notes = []
    if lv.r_selected:
        level = float(np.nanmin(lv.levels[lv.selected]))
        sel = np.flatnonzero(lv.selected)
        iv = intervals(r_point[sel], boot[:, sel], None if jack is None else jack[:, sel], level, ci_method)
        fields["ci_low"][sel], fields["ci_high"][sel] = iv.low, iv.high
        settings["adjusted_level"] = level
        tail = (1.0 - level) / 2.0 * bootstrap
        if tail < MIN_TAIL:
            notes.append(
                f"the {level:.4%} intervals rest on about {tail:.1f} resample(s) beyond each end: raise --bootstrap to "
                f"at least {int(np.ceil(MIN_TAIL * 2 / (1 - level)))} for stable ends"
            )
    if adjust == "bonferroni":
        notes.insert(
            0,
            f"intervals Bonferroni-adjusted (--adjust bonferroni): the {lv.m} non-capability benchmarks at level "
            f"1 - {1 - ci:.2g}/{lv.m} = {1 - (1 - ci) / max(lv.m, 1):.4%}, so that all hold at once with probability "
            f">= {ci:.0%}; verdicts use these intervals",
        )
    else:
        lvl = settings.get("adjusted_level")
        notes.insert(
            0,
            f"intervals FCR-adjusted (--adjust fcr, Benjamini-Yekutieli): {lv.r_selected} of {lv.m} non-capability "
            f"benchmarks have a {ci:.0%} interval excluding 0 and get level 1 - {lv.r_selected} x {1 - ci:.2g}/{lv.m}"
            + (f" = {lvl:.2%}" if lvl is not None else "")
            + f"; the others keep {ci:.0%}; verdicts use these intervals (ci_low_unadjusted / ci_high_unadjusted "
            "keep the unadjusted ones)",
        )
    return notes
