"""The uncertainty stage: resample as the capability model says, then intervals, their adjustment and sensitivity ranges.

The capability model names how it behaves inside a bootstrap resample
(``model.resampling``); :data:`RESAMPLINGS` maps that name to a procedure:

``"refit"`` (the paper's PCA score)
    The model is refitted inside every resample: z-scores, the capability
    correlation matrix, PC1 with its sign rule, the scores and every
    correlation (``model.resample_engine``). Intervals are BCa (default; the
    jackknife is leave-one-model-out, or leave-one-group-out above
    ``JACKKNIFE_EXACT_MAX`` models) or percentile, optionally resampling model
    families, then adjusted for multiplicity (``adjust``). ``sensitivity``
    adds leave-one-model-out and leave-one-capability-benchmark-out ranges
    (``model.refit_without``).
``"draw"`` (the logistic model)
    Refitting thousands of times is too slow, so the model stays at the full
    fit and every resampled model's score is drawn from its sampling
    distribution (``model.draw_scores``, N(estimate, SE^2)); the interval is
    the model's ``fixed_interval`` (median-centred percentile). Not
    multiplicity-adjusted or family-clustered; a note says so.

Pure functions: no printing, no I/O; random draws only from the given seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._util.errors import InputError, SafetywashingError
from .._util.stats import ColumnCorrelator
from ._bootstrap import (
    CI_METHODS,
    JACKKNIFE_EXACT_MAX,
    bootstrap_count_chunks,
    check_bootstrap_size,
    intervals,
    jackknife_plan,
)
from ._draws import interval_from_draws, resampled_correlations
from ._multiplicity import ADJUST_CHOICES, adjusted_levels
from ._stages import Panel, Step

MIN_BOOTSTRAP = 100
FEW_CLUSTERS = 20  # Cameron, Gelbach & Miller (2008): cluster-robust inference needs more clusters than this
MIN_TAIL = 10  # resamples beyond each end below which an extreme quantile is poorly resolved


@dataclass(frozen=True)
class Options:
    """What the user asked of the uncertainty stage (validated by :func:`check_options`).

    ``bootstrap``: resamples (0 = none); ``ci``: confidence level;
    ``ci_method``: ``bca`` or ``percentile``; ``seed``: None = fresh entropy
    (recorded); ``permutations``: for p-values (0 = none); ``sensitivity``:
    leave-one-out ranges; ``adjust``: ``none``, ``bonferroni`` or ``fcr``;
    ``cluster``/``cluster_codes``: resample families (codes ``(n,)``) instead of
    models; ``progress``: callback after every ``k`` resamples.
    """

    bootstrap: int = 0
    ci: float = 0.95
    ci_method: str = "bca"
    seed: int | None = None
    permutations: int = 0
    sensitivity: bool = False
    adjust: str = "none"
    cluster: str | None = None
    cluster_codes: np.ndarray | None = None
    progress: Callable[[int], None] | None = None


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


def uncertainty(panel: Panel, opts: Options) -> Step:
    """Intervals, adjustment and sensitivity ranges by the resampling the capability model names.

    The step's settings carry the ``seed`` actually used (drawn from fresh
    entropy when None and anything random runs), for the permutation stage.
    """
    return RESAMPLINGS[panel.fit.model.resampling](panel, opts)


def _fresh(seed: int | None, random: bool) -> int | None:
    """``seed``, or a recorded fresh one when something random runs without it."""
    return int(np.random.SeedSequence().entropy) if seed is None and random else seed


# ----------------------------------------------------------------------------- refit (PCA)


def refit(panel: Panel, opts: Options) -> Step:
    """The ``"refit"`` resampling: the model refitted in every resample; BCa/percentile intervals, adjusted."""
    n, p = panel.x.shape
    need_jack = opts.sensitivity or (opts.bootstrap > 0 and opts.ci_method == "bca")
    if opts.bootstrap:
        check_bootstrap_size(opts.bootstrap, p)
    random = bool(opts.bootstrap or opts.permutations or (need_jack and n > JACKKNIFE_EXACT_MAX))
    seed = _fresh(opts.seed, random)
    step = Step(settings={"seed": seed} if random else {})
    engine = loo = None
    if opts.bootstrap > 0:
        engine = _engine(panel)
    if need_jack:
        loo, jack_step = _jackknife(panel, engine, seed)
        step = step.then(jack_step)
    if opts.sensitivity:
        step = step.then(_loo_ranges(panel, loo))
    if opts.bootstrap > 0:
        step = step.then(_bootstrap_intervals(panel, opts, engine, loo, seed))
    return step


def _engine(panel: Panel) -> Any:
    """The capability model's resample engine for the panel (``model.resample_engine``)."""
    return panel.fit.model.resample_engine(panel.x, [panel.cols.index(c) for c in panel.caps], panel.method)


def _jackknife(panel: Panel, engine: Any, seed: int | None) -> tuple[Any, Step]:
    """The jackknife run (exact, or grouped above ``JACKKNIFE_EXACT_MAX`` models) and its settings/note.

    A grouped jackknife goes through the model's ``leave_groups_out`` when it offers one (the same values without
    re-ranking the table per group), else through ``engine`` (built here when None).
    """
    from ..capability._pca_engine import run_chunks

    jack = jackknife_plan(panel.x.shape[0], seed)
    loo = None
    fast = getattr(panel.fit.model, "leave_groups_out", None)
    if not jack.exact and fast is not None:
        loo = fast(panel.x, [panel.cols.index(c) for c in panel.caps], panel.method, jack.labels(), jack.groups,
                   panel.x_order)
    if loo is None:
        loo = run_chunks(engine if engine is not None else _engine(panel), jack.count_chunks(), jack.groups)
    step = Step(settings={"jackknife": jack.to_dict()})
    if not jack.exact:
        step.notes.append(
            f"{jack.describe()}: the leave-one-model-out range (loo_model_min/max) is a leave-one-group-out range "
            f"and BCa's acceleration comes from these groups (above {JACKKNIFE_EXACT_MAX} models the exact "
            "jackknife would cost one re-analysis per model)"
        )
    return loo, step


def _range(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise (min, max) ignoring NaN; NaN where a column has no value."""
    has = (~np.isnan(v)).any(axis=0)
    lo = np.where(has, np.min(np.where(np.isnan(v), np.inf, v), axis=0), np.nan)
    hi = np.where(has, np.max(np.where(np.isnan(v), -np.inf, v), axis=0), np.nan)
    return lo, hi


def _loo_ranges(panel: Panel, loo: Any) -> Step:
    """Leave-one-model-out range (from the jackknife run) and leave-one-capability-benchmark-out range (refits)."""
    p = panel.p
    model = panel.fit.model
    step = Step(settings={"pc_shares": [float(v) for v in model.component_shares[:3]]})
    lo_m, hi_m = _range(loo.r[loo.ok]) if loo.ok.any() else (np.full(p, np.nan), np.full(p, np.nan))
    step.columns["loo_model_min"], step.columns["loo_model_max"] = lo_m, hi_m
    if len(panel.caps) >= 3:
        rows = []
        correlate = panel.correlator or ColumnCorrelator(panel.x, panel.method, panel.x_order)  # ranked once for all
        for sc in _refits_without(model, panel).values():
            if sc is not None:
                rows.append(correlate(sc)[0])
        lo_b, hi_b = _range(np.array(rows)) if rows else (np.full(p, np.nan), np.full(p, np.nan))
    else:
        lo_b = hi_b = np.full(p, np.nan)
        step.notes.append("leave-one-capability-benchmark-out needs at least 3 capability benchmarks; not computed")
    step.columns["loo_benchmark_min"], step.columns["loo_benchmark_max"] = lo_b, hi_b
    return step


def _refits_without(model: Any, panel: Panel) -> dict[str, np.ndarray | None]:
    """Scores refitted without each capability benchmark (None where the refit fails), in one batch when the model
    offers it (``refit_without_each``), else one ``refit_without`` each."""
    batch = getattr(model, "refit_without_each", None)
    if batch is not None:
        return batch(panel.matrix)
    out: dict[str, np.ndarray | None] = {}
    for c in panel.caps:
        try:
            out[c] = model.refit_without(panel.matrix, c)
        except SafetywashingError:
            out[c] = None
    return out


def _resample(panel: Panel, opts: Options, engine: Any, loo: Any, seed: int | None) -> tuple[Any, Any, Step]:
    """Run the bootstrap (models, or families with ``cluster_codes``); returns ``(run, jackknife run, step)``."""
    from ..capability._pca_engine import run_chunks

    n = panel.x.shape[0]
    step = Step()
    codes = opts.cluster_codes
    if codes is None:
        count_chunks = bootstrap_count_chunks(n, opts.bootstrap, seed)  # streamed: memory bounded whatever N
        jack_run = loo
    else:
        from ._cluster import cluster_bootstrap_counts, leave_one_cluster_out_counts

        counts = cluster_bootstrap_counts(codes, opts.bootstrap, seed)
        _check_exact(engine, counts)
        count_chunks = [counts]
        jack_run = engine.run(leave_one_cluster_out_counts(codes))
        step.settings["n_families"] = int(np.max(codes)) + 1
    run = run_chunks(engine, count_chunks, opts.bootstrap, opts.progress)
    return run, jack_run, step


def _bootstrap_intervals(panel: Panel, opts: Options, engine: Any, loo: Any, seed: int | None) -> Step:
    """BCa or percentile intervals of every correlation and of PC1's share, then the multiplicity adjustment."""
    n = panel.x.shape[0]
    r_point, ci, ci_method = panel.r, opts.ci, opts.ci_method
    run, jack_run, step = _resample(panel, opts, engine, loo, seed)
    skipped = int((~run.ok).sum())
    boot = run.r if skipped == 0 else run.r[run.ok]
    jr = None if jack_run is None else jack_run.r
    iv = intervals(r_point, boot, jr, ci, ci_method)
    step.columns.update(ci_low=iv.low, ci_high=iv.high, n_boot_used=iv.used.astype(float))
    st = step.settings
    st.update(bootstrap=int(opts.bootstrap), ci=float(ci), ci_method=ci_method, n_boot_skipped=skipped)
    st["pc1_ci_low"], st["pc1_ci_high"] = _pc1_interval(panel, run, jack_run, ci, ci_method)
    has = ~np.isnan(iv.low)
    outside = has & ((r_point < iv.low - 1e-12) | (r_point > iv.high + 1e-12))
    st["n_ci_excluding_estimate"] = int(outside.sum())
    st["n_ci_percentile_fallback"] = int(iv.fallback.sum())
    what = f"the {n} models" if opts.cluster_codes is None else f"the {st['n_families']} model families of the {n} models"
    step.notes.append(
        f"{ci:.0%} {'BCa' if ci_method == 'bca' else 'percentile'} bootstrap intervals: {opts.bootstrap} resamples of "
        f"{what} (seed {seed}); z-scores, PC1 and every correlation recomputed in each resample; {skipped} degenerate "
        "resample(s) skipped"
    )
    st["cluster"] = None if opts.cluster_codes is None else "family"
    if opts.cluster_codes is not None and st["n_families"] < FEW_CLUSTERS:
        step.notes.append(
            f"only {st['n_families']} families: with fewer than ~{FEW_CLUSTERS} clusters a cluster bootstrap "
            "tends to understate the uncertainty (its intervals can come out narrower than the model bootstrap's); "
            "read --cluster family as a sensitivity check, not as a sharper verdict"
        )
    st["resampled_units"] = "models" if opts.cluster_codes is None else "families"
    step.notes += _adjust(step.columns, st, r_point, boot, jr, panel.is_cap, opts)
    step.notes += _odd_intervals(panel.cols, outside, iv.fallback)
    return step


def _pc1_interval(panel: Panel, run: Any, jack_run: Any, ci: float, ci_method: str) -> tuple[float | None, float | None]:
    """Interval of PC1's share of the capability variance (None, None for a model without components)."""
    shares = panel.fit.model.component_shares
    if not shares:
        return None, None
    jpc = None if jack_run is None else jack_run.pc1[:, None]
    pc = intervals(np.array([shares[0]]), run.pc1[run.ok][:, None], jpc, ci, ci_method)
    lo, hi = (None if np.isnan(v) else float(v) for v in (pc.low[0], pc.high[0]))
    return lo, hi


def _odd_intervals(cols: list[str], outside: np.ndarray, fallback: np.ndarray) -> list[str]:
    """Notes naming intervals that exclude their estimate, and BCa intervals that fell back to percentile."""
    notes = []
    if outside.any():
        ids = [cols[j] for j in np.flatnonzero(outside)]
        notes.append(
            f"{len(ids)} interval(s) exclude their point estimate (bootstrap values almost all on one side of it): "
            + ", ".join(ids[:10])
            + ("..." if len(ids) > 10 else "")
        )
    if fallback.any():
        ids = [cols[j] for j in np.flatnonzero(fallback)]
        notes.append(
            f"{len(ids)} BCa interval(s) fell back to percentile (estimate outside every resample): {', '.join(ids[:10])}"
        )
    return notes


def _check_exact(engine: Any, counts: np.ndarray) -> None:
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
    opts: Options,
) -> list[str]:
    """Replace the intervals of the adjusted benchmarks by intervals at their adjusted level; say what was done."""
    ci, adjust = opts.ci, opts.adjust
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
        iv = intervals(r_point[sel], boot[:, sel], None if jack is None else jack[:, sel], level, opts.ci_method)
        fields["ci_low"][sel], fields["ci_high"][sel] = iv.low, iv.high
        settings["adjusted_level"] = level
        tail = (1.0 - level) / 2.0 * opts.bootstrap
        if tail < MIN_TAIL:
            notes.append(
                f"the {level:.4%} intervals rest on about {tail:.1f} resample(s) beyond each end: raise --bootstrap to "
                f"at least {int(np.ceil(MIN_TAIL * 2 / (1 - level)))} for stable ends"
            )
    return [_adjust_sentence(adjust, lv, ci, settings.get("adjusted_level")), *notes]


def _adjust_sentence(adjust: str, lv: Any, ci: float, level: float | None) -> str:
    """What the Bonferroni or FCR adjustment did, in one note."""
    if adjust == "bonferroni":
        return (
            f"intervals Bonferroni-adjusted (--adjust bonferroni): the {lv.m} non-capability benchmarks at level "
            f"1 - {1 - ci:.2g}/{lv.m} = {1 - (1 - ci) / max(lv.m, 1):.4%}, so that all hold at once with probability "
            f">= {ci:.0%}; verdicts use these intervals"
        )
    return (
        f"intervals FCR-adjusted (--adjust fcr, Benjamini-Yekutieli): {lv.r_selected} of {lv.m} non-capability "
        f"benchmarks have a {ci:.0%} interval excluding 0 and get level 1 - {lv.r_selected} x {1 - ci:.2g}/{lv.m}"
        + (f" = {level:.2%}" if level is not None else "")
        + f"; the others keep {ci:.0%}; verdicts use these intervals (ci_low_unadjusted / ci_high_unadjusted "
        "keep the unadjusted ones)"
    )


# ----------------------------------------------------------------------------- draw (logistic model)


def draw(panel: Panel, opts: Options) -> Step:
    """The ``"draw"`` resampling: models resampled, each score drawn around its estimate; the model's interval."""
    model = panel.fit.model
    random = bool(opts.bootstrap or opts.permutations)
    seed = _fresh(opts.seed, random)
    step = Step(settings={"seed": seed} if random else {})
    if opts.sensitivity:
        step.notes.append("leave-one-out ranges are computed for the PCA score only (--score-method pca); not for this model")
    if opts.bootstrap > 0:
        keep = ~np.isnan(panel.scores)
        r_b = resampled_correlations(panel.x[keep], panel.scores[keep], panel.se[keep], draw=model.draw_scores,
                                     method=panel.method, n_boot=opts.bootstrap, rng=np.random.default_rng(seed),
                                     progress=opts.progress)
        lo, hi, used = interval_from_draws(model.fixed_interval, panel.r, r_b, opts.ci)
        undefined = np.isnan(panel.r)
        lo[undefined] = hi[undefined] = np.nan
        step.columns.update(ci_low=lo, ci_high=hi, n_boot_used=used.astype(float))
        step.settings.update(bootstrap=int(opts.bootstrap), ci=float(opts.ci), ci_method=model.fixed_interval,
                             n_boot_skipped=0, adjust="none", interval_method=model.resampling_text)
        step.notes.append(f"{opts.ci:.0%} intervals: {model.resampling_text}; {opts.bootstrap} resamples of the "
                          f"{int(keep.sum())} scored models (seed {seed})")
        step.notes += _not_applied(model.kind, opts)
    return step


def _not_applied(kind: str, opts: Options) -> list[str]:
    """Notes for the options that do not apply to drawn-score intervals (--ci-method, --adjust, --cluster)."""
    notes = []
    if opts.ci_method != "percentile":
        notes.append(f"--ci-method {opts.ci_method} does not apply: the {kind} score's intervals are median-centred percentile")
    if opts.adjust != "none" or opts.cluster is not None:
        notes.append(
            f"the {kind} score's intervals are not multiplicity-adjusted and resample models, not families "
            f"(--adjust {opts.adjust}{'' if opts.cluster is None else ', --cluster ' + opts.cluster} apply to the PCA score)"
        )
    return notes


#: resampling name (``model.resampling``) -> the uncertainty procedure
RESAMPLINGS: dict[str, Callable[[Panel, Options], Step]] = {"refit": refit, "draw": draw}
