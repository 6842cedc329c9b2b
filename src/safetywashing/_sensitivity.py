"""Uncertainty and sensitivity of a capabilities analysis (beyond the paper).

:func:`extend` computes, for every benchmark of a panel, the fields that
:func:`safetywashing.analyze` adds to ``BenchmarkResult.extra``:

* ``ci_low``, ``ci_high``, ``n_boot_used``: bootstrap interval of the
  correlation (models resampled; z-scores, capability correlation matrix,
  PC1 with its sign rule, scores and every correlation recomputed inside
  each resample; see :mod:`safetywashing._bootstrap`);
* ``p_value``: permutation p-value (two-sided);
* ``slope``, ``slope_sd``, ``spread``: see :func:`safetywashing._effects.slopes`;
* ``compute_correlation``, ``compute_n``: correlation with log10 training
  compute;
* ``loo_benchmark_min/max``: range of the correlation when each capability
  benchmark is left out of the capabilities score in turn;
* ``loo_model_min/max``: range when each model is left out in turn.

Pure functions: no printing, no I/O; random draws only from the given seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._bootstrap import (
    CI_METHODS,
    JACKKNIFE_EXACT_MAX,
    bootstrap_count_chunks,
    check_bootstrap_size,
    intervals,
    jackknife_plan,
    make_engine,
    permutation_pvalues,
    run_chunks,
)
from ._effects import compute_correlations, log_compute, slopes
from ._errors import InputError, SafetywashingError
from ._matrix import ScoreMatrix
from ._stats import column_order, pairwise_corr_masked

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
) -> tuple[dict[str, np.ndarray], dict[str, Any], list[str]]:
    """Per-benchmark extra fields, run settings and notes for one panel.

    ``scores``: ``(n,)`` point capabilities scores (NaN = unscored);
    ``r_point``: ``(p,)`` point correlations (NaN = undefined), columns in
    ``matrix.scores`` order; ``pc_shares``: the point direction's variance
    shares (PC1 first). Returns ``(fields, settings, notes)`` where every
    field is an array of length ``p`` (NaN = not available).
    """
    from ._analysis import capability_direction  # late import: _analysis imports this module

    x = matrix.scores.to_numpy(dtype=float)
    n, p = x.shape
    cols = list(matrix.scores.columns)
    cap_idx = [cols.index(c) for c in caps]
    is_cap = np.zeros(p, dtype=bool)
    is_cap[cap_idx] = True
    fields: dict[str, np.ndarray] = {}
    settings: dict[str, Any] = {}
    notes: list[str] = []

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
        run = run_chunks(engine, bootstrap_count_chunks(n, bootstrap, seed), bootstrap, progress)
        skipped = int((~run.ok).sum())
        boot = run.r if skipped == 0 else run.r[run.ok]
        iv = intervals(r_point, boot, None if loo is None else loo.r, ci, ci_method)
        fields["ci_low"], fields["ci_high"], fields["n_boot_used"] = iv.low, iv.high, iv.used.astype(float)
        settings.update(bootstrap=int(bootstrap), ci=float(ci), ci_method=ci_method, n_boot_skipped=skipped)
        jpc = None if loo is None else loo.pc1[:, None]
        pc = intervals(np.array([pc_shares[0]]), run.pc1[run.ok][:, None], jpc, ci, ci_method)
        settings["pc1_ci_low"], settings["pc1_ci_high"] = (None if np.isnan(v) else float(v) for v in (pc.low[0], pc.high[0]))
        has = ~np.isnan(iv.low)
        outside = has & ((r_point < iv.low - 1e-12) | (r_point > iv.high + 1e-12))
        settings["n_ci_excluding_estimate"] = int(outside.sum())
        settings["n_ci_percentile_fallback"] = int(iv.fallback.sum())
        label = "BCa" if ci_method == "bca" else "percentile"
        notes.append(
            f"{ci:.0%} {label} bootstrap intervals: {bootstrap} resamples of the {n} models (seed {seed}); z-scores, PC1 and "
            f"every correlation recomputed in each resample; {skipped} degenerate resample(s) skipped; "
            "verdict 'uncertain' when the interval reaches two bands away from the estimate's (e.g. 'high' needs ci_low >= 0.4)"
        )
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
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        pv = permutation_pvalues(x, scores, method, permutations, rng)
        pv[is_cap | np.isnan(r_point)] = np.nan
        fields["p_value"] = pv
        settings["permutations"] = int(permutations)
    return fields, settings, notes
