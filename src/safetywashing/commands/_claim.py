"""Claim check: split a claimed change on a benchmark into the part capabilities predict and the rest.

A release note says "our method raised safety benchmark B by 6 points". With a
reference panel (models x benchmarks) this module answers: how much of those 6
points would the accompanying capability change alone have produced?

Method (all in the panel's coordinates):

1. capabilities score of a row ``x``: ``s(x) = sum_j w_j (x_j - mu_j) / sigma_j``
   with the panel's means ``mu``, population SDs ``sigma`` and PC1 loadings ``w``
   (:func:`~safetywashing.capability_direction`; higher = more capable);
2. ordinary least squares over the panel's models that have B:
   ``B = a + b * s`` (:func:`~safetywashing.inference._fit.fit_on_scores`);
3. observed change = ``B_after - B_before``; predicted change =
   ``b * (s_after - s_before)``; beyond capabilities = observed - predicted;
   share explained = predicted / observed;
4. prediction interval for the part beyond capabilities: both rows are single
   models that scatter around the panel's line like its models do, so
   ``beyond +- t_{n-2} * sigma * sqrt(2 + (s_after - s_before)^2 / Sxx)``
   (``sigma`` = residual SD, ``Sxx`` = sum of squared score deviations; the
   two rows' leverages minus their cross-leverage). The part beyond
   capabilities is *supported* only when this interval excludes 0;
5. percentile intervals by bootstrapping the panel's models: every resample
   recomputes ``mu``, ``sigma``, ``w`` (same sign rule), ``a`` and ``b`` in one
   batched numpy computation (the logistic model instead draws every score
   from N(estimate, SE^2) and refits ``a`` and ``b``: each capability model's
   ``claim_draws``, :mod:`safetywashing.capability._claim_draws`); degenerate
   resamples are skipped and counted.

Pure functions: no printing, no file I/O; deterministic given ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError, UnknownIdError, renamed_keywords
from .._util.limits import check_seed, check_work
from .._util.notebook import NotebookRepr, Summary, interval, num
from .._util.plotting import Plottable
from .._util.stats import top_components, zscore

# the bootstrap draws live with the capability models (each draws its own way); re-exported here for tests and benchmarks
from ..capability._claim_draws import ClaimDraws, _draws, _masked_corr, bootstrap_claim, bootstrap_claim_irt  # noqa: F401
from ..capability._model import AnyCapabilityModel, CapabilityFit, fit_capability_model
from ..inference._fit import LinearFit, difference_halfwidth, fit_on_scores
from ..inference._measurement import binomial_variance, normal_halfwidth, same_model_se
from ..sources._matrix import ScoreMatrix
from ..sources._registry import accuracy_from_stored, registry_conventions, scale_slope
from ._analyze import _f

DEFAULT_BOOTSTRAP = 2000
INTERVAL_QUANTITIES = (
    "predicted_change", "beyond_capabilities", "share_explained", "slope", "intercept", "capability_score_change",
)


@dataclass(frozen=True)
class PanelPoint:
    """One panel model in the claim view: its capabilities score and benchmark value."""

    model: str
    name: str
    capabilities_score: float
    value: float


@dataclass(frozen=True, repr=False)
class ClaimResult(NotebookRepr, Plottable):
    """A claimed change on ``benchmark`` split into capability-predicted and beyond-capabilities parts.

    Units: ``capability_score_*`` are in the panel's capabilities-score units
    (z-score-weighted PC1; higher = more capable); every change, ``slope``
    (per 1 unit of capabilities score) and ``intercept`` are in the benchmark's
    own units as published in the panel (higher = safer / better).
    ``share_explained`` is predicted / observed (``None`` when observed is 0).
    ``n`` is the number of panel models in the fit; intervals are bootstrap
    percentile intervals at ``level`` from ``n_bootstrap_used`` resamples of
    the panel's ``n_panel_models`` models (``None`` when no bootstrap was run);
    they cover the panel fit only. ``beyond_capabilities_pi_low``/``_high``:
    prediction interval at ``level`` for the part beyond capabilities that adds
    the scatter of the two single models around the fit (residual SD,
    t with ``n - 2`` df, SE ``beyond_capabilities_se``);
    ``beyond_capabilities_supported`` is True only when it excludes 0.
    ``resampling`` says what every bootstrap resample redid (from the
    capability model's draws; ``""`` without a bootstrap; not part of
    :meth:`to_dict`). ``pair`` is the kind of pair the prediction interval
    assumed: ``"different-models"`` (two models, each scattering around the
    panel's line: the interval above) or ``"same-model"`` (one model before
    and after an intervention: its own deviation from the line cancels and
    the interval is ``beyond +- z sqrt(measurement noise of both rows +
    slope^2 x the scores' measurement noise + (s_after - s_before)^2 x the
    slope's variance)``, :mod:`safetywashing.inference._measurement`);
    ``noise`` describes the same-model noise: ``source`` (where the
    benchmark's measurement noise came from), ``benchmark_se_before``/
    ``_after``, ``n_items``, the variance ``terms`` and
    ``score_noise_missing`` (capability benchmarks without an item count).
    """

    panel: str
    benchmark: str
    benchmark_name: str
    scale: str
    method: str
    before: str
    after: str
    capability_benchmarks: tuple[str, ...]
    capability_score_before: float
    capability_score_after: float
    benchmark_before: float
    benchmark_after: float
    observed_change: float
    predicted_change: float
    beyond_capabilities: float
    share_explained: float | None
    slope: float
    intercept: float
    resid_sd: float
    n: int
    n_panel_models: int
    level: float
    n_bootstrap: int
    n_bootstrap_used: int
    n_bootstrap_skipped: int
    seed: int | None
    intervals: dict[str, tuple[float | None, float | None]]
    panel_points: tuple[PanelPoint, ...]
    verdict: str
    notes: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    beyond_capabilities_pi_low: float | None = None
    beyond_capabilities_pi_high: float | None = None
    beyond_capabilities_se: float | None = None
    beyond_capabilities_supported: bool = False
    resampling: str = ""
    pair: str = "different-models"
    noise: dict[str, Any] = field(default_factory=dict)

    @property
    def share_identified(self) -> bool:
        """Whether the split is identified: the part beyond capabilities is supported (its interval excludes 0).

        Only then does "capabilities account for X%" mean something; otherwise
        the rest is within the noise and the share is not printed.
        """
        return self.beyond_capabilities_supported and self.share_explained is not None

    @property
    def capability_score_change(self) -> float:
        """``s_after - s_before`` (capabilities-score units; positive = the after row is more capable)."""
        return self.capability_score_after - self.capability_score_before

    def ci(self, quantity: str) -> tuple[float | None, float | None]:
        """``(low, high)`` bootstrap interval of ``predicted_change``, ``beyond_capabilities``, ``share_explained``,
        ``slope``, ``intercept`` or ``capability_score_change``; ``(None, None)`` without a bootstrap."""
        return self.intervals.get(quantity, (None, None))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the ``claim --format json`` contract (plus what a claim view needs)."""
        d: dict[str, Any] = {
            "panel": self.panel,
            "benchmark": self.benchmark,
            "benchmark_name": self.benchmark_name,
            "scale": self.scale,
            "method": self.method,
            "before": {"model": self.before, "capabilities_score": self.capability_score_before, "value": self.benchmark_before},
            "after": {"model": self.after, "capabilities_score": self.capability_score_after, "value": self.benchmark_after},
            "capability_benchmarks": list(self.capability_benchmarks),
            "capability_score_before": self.capability_score_before,
            "capability_score_after": self.capability_score_after,
            "capability_score_change": self.capability_score_change,
            "benchmark_before": self.benchmark_before,
            "benchmark_after": self.benchmark_after,
            "observed_change": self.observed_change,
            "predicted_change": self.predicted_change,
            "beyond_capabilities": self.beyond_capabilities,
            "beyond_capabilities_pi_low": self.beyond_capabilities_pi_low,
            "beyond_capabilities_pi_high": self.beyond_capabilities_pi_high,
            "beyond_capabilities_se": self.beyond_capabilities_se,
            "beyond_capabilities_supported": self.beyond_capabilities_supported,
            "pair": self.pair,
            "noise": dict(self.noise),
            "share_explained": self.share_explained,
            "share_identified": self.share_identified,
            "slope": self.slope,
            "intercept": self.intercept,
            "resid_sd": self.resid_sd,
            "n": self.n,
            "n_panel_models": self.n_panel_models,
            "level": self.level,
            "n_bootstrap": self.n_bootstrap,
            "n_bootstrap_used": self.n_bootstrap_used,
            "n_bootstrap_skipped": self.n_bootstrap_skipped,
            "seed": self.seed,
        }
        for q, (lo, hi) in self.intervals.items():
            d[f"{q}_ci_low"] = lo
            d[f"{q}_ci_high"] = hi
        d["verdict"] = self.verdict
        d["panel_points"] = [
            {"model": p.model, "name": p.name, "capabilities_score": p.capabilities_score, "value": p.value}
            for p in self.panel_points
        ]
        d["notes"] = list(self.notes)
        d["settings"] = dict(self.settings)
        return d

    def _summary(self) -> Summary:
        facts = (
            ("change", f"{self.before} -> {self.after}"),
            ("fit", f"n = {self.n} panel models, {self.n_bootstrap_used:,} bootstrap resamples used"),
            ("beyond capabilities supported", "yes" if self.beyond_capabilities_supported else "no"),
        )
        shown = ("observed_change", "predicted_change", "beyond_capabilities", "beyond_capabilities_pi", "share_explained",
                 "capability_score_change")
        rows = tuple((str(r.quantity), num(r.estimate, "+.4g"), interval(_f(r.ci_low), _f(r.ci_high), "+.4g"), str(r.units))
                     for r in self.to_frame().itertuples() if r.quantity in shown)
        return Summary(f"on {self.benchmark} ({self.benchmark_name}), panel {self.panel!r}", facts,
                       ("quantity", "estimate", f"{self.level:.0%} interval", "units"), rows,
                       ("estimate", f"{self.level:.0%} interval"), self.verdict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per quantity with ``estimate``, ``ci_low``, ``ci_high``, ``n`` and ``units``."""
        bu = f"benchmark units ({self.scale})" if self.scale else "benchmark units"
        rows = [
            ("capability_score_before", self.capability_score_before, "capabilities score"),
            ("capability_score_after", self.capability_score_after, "capabilities score"),
            ("capability_score_change", self.capability_score_change, "capabilities score"),
            ("benchmark_before", self.benchmark_before, bu),
            ("benchmark_after", self.benchmark_after, bu),
            ("observed_change", self.observed_change, bu),
            ("predicted_change", self.predicted_change, bu),
            ("beyond_capabilities", self.beyond_capabilities, f"{bu}, interval of the fit only"),
            ("share_explained", self.share_explained if self.share_identified else None,
             "share of observed change" if self.share_identified else
             "share of observed change: not identified (the part beyond capabilities is within the noise)"),
            ("slope", self.slope, "benchmark units per capabilities-score unit"),
            ("intercept", self.intercept, bu),
        ]
        recs = []
        for q, est, units in rows:
            lo, hi = self.ci(q) if q != "share_explained" or self.share_identified else (None, None)
            recs.append({"panel": self.panel, "benchmark": self.benchmark, "quantity": q, "estimate": est,
                         "ci_low": lo, "ci_high": hi, "n": self.n, "units": units})
            if q == "beyond_capabilities":
                recs.append({"panel": self.panel, "benchmark": self.benchmark, "quantity": "beyond_capabilities_pi",
                             "estimate": est, "ci_low": self.beyond_capabilities_pi_low,
                             "ci_high": self.beyond_capabilities_pi_high, "n": self.n,
                             "units": f"{bu}, prediction interval" if self.pair == "different-models"
                             else f"{bu}, interval vs measurement noise (same model)"})
        out = pd.DataFrame(recs)
        out["pair"] = self.pair
        return out


def leave_pair_out(
    matrix: ScoreMatrix,
    benchmarks: list[str] | None = None,
    *,
    capabilities: list[str] | None = None,
    method: str = "spearman",
    level: float = 0.95,
) -> pd.DataFrame:
    """Coverage check of the claim's prediction interval: every pair of panel models as a held-out claim.

    For each pair (before = model ``i``, after = model ``j``, ``i`` listed
    first in the panel) the two models are removed from the panel, the
    capability direction (means, SDs, PC1) and each benchmark's line are
    re-estimated on the other models, and the pair is treated as a claim:
    ``beyond = (y_j - y_i) - slope * (s_j - s_i)`` with the prediction-interval
    half-width of :func:`~safetywashing.inference._fit.difference_halfwidth`. The pair is
    ``covered`` when ``|beyond| <= halfwidth``, i.e. when ``claim`` would *not*
    call the part beyond capabilities supported. Vectorised over pairs and
    benchmarks (``n^2 / 2 x n x k`` floats).

    Returns one row per (benchmark, pair) where both models have the
    benchmark and every capability value: ``benchmark``, ``before``,
    ``after``, ``beyond``, ``halfwidth``, ``covered`` and ``n`` (models in the
    refit line). ``benchmarks`` defaults to every non-capability column.
    """
    from scipy.stats import t as tdist

    if not 0 < level < 1:
        raise InputError(f"level {level} must lie strictly between 0 and 1 (e.g. 0.95)")
    caps = matrix.resolve_capabilities(capabilities)
    if benchmarks is None:
        benchmarks = [b for b in matrix.scores.columns if b not in caps]
    x = matrix.scores[caps].to_numpy(dtype=float)
    y = matrix.scores[benchmarks].to_numpy(dtype=float)
    n = x.shape[0]
    pi, pj = np.triu_indices(n, 1)
    keep = np.ones((len(pi), n), dtype=bool)
    keep[np.arange(len(pi)), pi] = False
    keep[np.arange(len(pj)), pj] = False
    xp = np.where(keep[..., None], x[None], np.nan)  # (P, n, k): the panel without the pair
    z, mu, sd = zscore(xp)
    complete = ~np.isnan(xp).any(axis=-1)
    c, ok = _masked_corr(np.nan_to_num(z), complete, method)
    _, w = top_components(c)
    s = np.einsum("pnk,pk->pn", (x[None] - mu[:, None, :]) / np.where(sd > 0, sd, np.nan)[:, None, :], w)  # (P, n)
    fit = (keep & ~np.isnan(s))[..., None] & ~np.isnan(y)[None]  # (P, n, K)
    m = fit.sum(axis=1)
    cnt = np.maximum(m, 1)
    s3 = np.nan_to_num(s)[..., None]
    sm = np.where(fit, s3, 0.0).sum(axis=1) / cnt
    ym = np.where(fit, y[None], 0.0).sum(axis=1) / cnt
    ds = np.where(fit, s3 - sm[:, None, :], 0.0)
    dy = np.where(fit, y[None] - ym[:, None, :], 0.0)
    sxx = (ds * ds).sum(axis=1)
    good = ok[:, None] & (m >= 3) & (sxx > 1e-12)
    sxx = np.where(good, sxx, 1.0)
    slope = (ds * dy).sum(axis=1) / sxx
    sse = ((dy - slope[:, None, :] * ds) ** 2 * fit).sum(axis=1)
    rsd = np.sqrt(sse / np.maximum(m - 2, 1))
    rows = np.arange(len(pi))
    dsij = (s[rows, pj] - s[rows, pi])[:, None]
    beyond = (y[pj] - y[pi]) - slope * dsij
    q = tdist.ppf(0.5 + level / 2.0, np.maximum(m - 2, 1))
    hw = q * rsd * np.sqrt(2.0 + dsij**2 / sxx)
    use = good & np.isfinite(beyond) & np.isfinite(hw)
    p_idx, b_idx = np.nonzero(use)
    names = np.asarray(matrix.scores.index, dtype=object)
    return pd.DataFrame({
        "benchmark": np.asarray(benchmarks, dtype=object)[b_idx],
        "before": names[pi[p_idx]],
        "after": names[pj[p_idx]],
        "beyond": beyond[p_idx, b_idx],
        "halfwidth": hw[p_idx, b_idx],
        "covered": np.abs(beyond[p_idx, b_idx]) <= hw[p_idx, b_idx],
        "n": m[p_idx, b_idx],
    })


def _row(values: pd.Series | Mapping[str, float]) -> pd.Series:
    row = values if isinstance(values, pd.Series) else pd.Series(dict(values), dtype=object)
    return row[~row.index.duplicated()]


def _value(row: pd.Series, col: str, what: str) -> float:
    if col not in row.index:
        raise InputError(f"{what}: no value for column {col!r}")
    try:
        v = float(row[col])
    except (TypeError, ValueError):
        raise InputError(f"{what}, column {col!r}: {row[col]!r} is not a number") from None
    if math.isnan(v) or math.isinf(v):
        raise InputError(f"{what}, column {col!r}: value is missing or not finite; every capability benchmark and the "
                         "claimed benchmark need a number")
    return v


def fmt_value(x: float | None, scale: str, spread: float | None = None, sign: bool = True) -> str:
    """Format a benchmark-unit number: 1 decimal for percent, 3 for fraction, else by the spread."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if scale == "percent":
        nd = 1
    elif scale == "fraction":
        nd = 3
    else:
        nd = 2 if not spread or spread <= 0 else int(min(4, max(0, 2 - math.floor(math.log10(spread)))))
    return f"{x:+.{nd}f}" if sign else f"{x:.{nd}f}"


PAIR_CHOICES = ("different-models", "same-model")


def pair_sentence(r: ClaimResult) -> str:
    """Which kind of pair the interval assumed, and how to switch (for every output of a claim)."""
    if r.pair == "same-model":
        return ("Pair: same-model (one model before and after an intervention: its own deviation from the fit cancels, "
                f"and the interval holds measurement noise ({r.noise.get('source', '')}) and the fit's uncertainty); for "
                "two different models use --pair different-models.")
    return ("Pair: different-models (the two rows are treated as two different models, each scattering around the fit); "
            "for one model before and after an intervention use --pair same-model (with the benchmark's item count, "
            "--n-items, or standard errors in the file).")


def _lead(r: ClaimResult, f: Callable[[float | None], str], pct: int) -> str:
    """The verdict's first sentence: is the part beyond capabilities supported, against which noise."""
    b = f(r.beyond_capabilities)
    plo, phi = r.beyond_capabilities_pi_low, r.beyond_capabilities_pi_high
    if plo is None or phi is None:
        return f"The part beyond capabilities ({b}) has no interval (residual SD undefined)."
    same = r.pair == "same-model"
    against = ("the measurement noise of one model's two evaluations and the fit's uncertainty" if same
               else "the scatter of single models around the panel's fit")
    kind = "interval" if same else "prediction interval"
    if r.beyond_capabilities_supported:
        return (f"Part beyond capabilities supported: the {b} lies outside {against} ({pct}% {kind} {f(plo)} to "
                f"{f(phi)}, excludes 0).")
    obs = r.observed_change
    what = "change" if obs == 0 else ("gain" if obs > 0 else "drop")
    return (f"Part beyond capabilities not supported: the {b} is within {against} ({pct}% {kind} {f(plo)} to {f(phi)} "
            f"includes 0); the {what} is consistent with what the capability change predicts ({f(r.predicted_change)}) "
            f"plus that noise, and how much of it capabilities account for is not identified.")


def verdict_sentence(r: ClaimResult, spread: float | None = None) -> str:
    """The plain-language verdict of a claim (what the README calls the claim check).

    Leads with the decision on the part beyond capabilities; the capability
    share ("Capabilities account for X%") is given only when that part is
    supported (:attr:`ClaimResult.share_identified`); ends with the pair type.
    """
    f = lambda v: fmt_value(v, r.scale, spread)  # noqa: E731
    unit = "-point" if r.scale == "percent" else ""
    scale_note = " (fraction scale)" if r.scale == "fraction" else ""
    pct = int(round(r.level * 100))
    obs = r.observed_change
    kind = "gain" if obs > 0 else ("drop" if obs < 0 else "change")
    lo, hi = r.ci("predicted_change")
    pci = f" ({pct}% bootstrap interval {f(lo)} to {f(hi)})" if lo is not None else ""
    b = f(r.beyond_capabilities)
    lead = _lead(r, f, pct)
    if obs == 0:
        head = f" {r.benchmark_name} did not change{scale_note}; the capability change predicts {f(r.predicted_change)}{pci}."
    else:
        head = (f" Of the {f(obs)}{unit} {kind} on {r.benchmark_name}{scale_note}, {f(r.predicted_change)} is what the "
                f"capability change predicts{pci} and {b} is beyond capabilities.")
    rsd = fmt_value(r.resid_sd, r.scale, spread, False) if math.isfinite(r.resid_sd) else "-"
    tail = f" Panel models scatter around the fit line with a residual SD of {rsd}."
    if r.pair == "same-model" and r.beyond_capabilities_se is not None:
        tail += (f" One model's two evaluations differ by measurement noise alone with an SE of "
                 f"{fmt_value(r.beyond_capabilities_se, r.scale, spread, False)} (with the fit's uncertainty).")
    share = ""
    if r.share_identified and r.share_explained is not None:
        slo, shi = r.ci("share_explained")
        sci = f" ({pct}% bootstrap interval {slo:.0%} to {shi:.0%})" if slo is not None and shi is not None else ""
        share = f" Capabilities account for {r.share_explained:.0%} of the observed change{sci}."
    sc = (f" Capabilities score {r.capability_score_before:+.2f} -> {r.capability_score_after:+.2f} "
          f"(slope {f(r.slope)} per score unit, fit over n = {r.n} panel models).")
    return lead + head + tail + share + sc + " " + pair_sentence(r)


@renamed_keywords(n_bootstrap="bootstrap")
def claim(
    matrix: ScoreMatrix,
    before: pd.Series | Mapping[str, float],
    after: pd.Series | Mapping[str, float],
    benchmark: str,
    *,
    before_name: str = "before",
    after_name: str = "after",
    capabilities: list[str] | None = None,
    method: str = "spearman",
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int | None = 0,
    level: float = 0.95,
    source: str = "claim",
    progress: Callable[[int], None] | None = None,
    score_method: str | None = None,
    pair: str = "different-models",
    n_items: Mapping[str, float] | None = None,
    benchmark_se: tuple[float, float] | None = None,
    se_source: str = "standard errors given",
) -> ClaimResult:
    """Split the change ``after[benchmark] - before[benchmark]`` into capability-predicted and beyond parts.

    Parameters
    ----------
    matrix:
        Reference panel (``load_panel("chat")``), every column higher = better.
    before, after:
        Benchmark id -> value for the two rows of the claim: every capability
        benchmark of the panel and ``benchmark``, in the panel's units.
    benchmark:
        The benchmark the claim is about (must be a column of ``matrix``).
    capabilities, method:
        Capability set and correlation method of the capability direction
        (default: the registry's capability columns, Spearman; as ``analyze``).
    bootstrap, seed, level:
        Bootstrap resamples of the panel's models (0 = no intervals;
        ``n_bootstrap``, the former name, still works with a
        DeprecationWarning), random seed and interval level.
    source:
        Where ``before``/``after`` came from (used in error messages).
    score_method:
        The panel's capability model: ``"pca"`` (the rows need every
        capability benchmark) or ``"irt"`` (the logistic model: any 3 of
        them; each row's score has a standard error; intervals resample the
        panel's models with every score drawn from N(estimate, SE^2), the
        model's benchmark parameters fixed).
    pair:
        ``"different-models"`` (default: the rows are two models, the
        prediction interval adds both models' scatter around the fit) or
        ``"same-model"`` (one model before and after an intervention: the part
        beyond capabilities is judged against measurement noise plus the
        fit's uncertainty x the capability change; see
        :mod:`safetywashing.inference._measurement`).
    n_items, benchmark_se, se_source:
        The same-model measurement noise: item counts by benchmark id (over
        the registry's; binomial noise of the claimed benchmark and of the
        capability benchmarks) or the claimed benchmark's standard errors in
        the before and after rows (``se_source`` says where they came from).
        ``same-model`` without either raises :class:`InputError`.

    Returns
    -------
    ClaimResult
        Observed, predicted (= slope x capabilities-score difference) and
        beyond-capabilities change in benchmark units (higher = better), share
        explained, the fit, bootstrap intervals, the prediction interval of
        the part beyond capabilities (``beyond_capabilities_pi_low``/``_high``,
        at ``level``) with ``beyond_capabilities_supported`` (True only when it
        excludes 0), and a verdict sentence that leads with that decision.

    Raises
    ------
    InputError
        A capability value above 1 where the panel stores fractions, or more
        than one panel range outside the panel's minimum or maximum (the
        message names the columns); a missing or non-numeric value.
    """
    n_bootstrap = bootstrap
    _check_request(matrix, benchmark, level, n_bootstrap)
    check_seed(seed)
    if pair not in PAIR_CHOICES:
        raise InputError(f"--pair {pair!r}: choose one of {', '.join(PAIR_CHOICES)}")
    (b_row, conventions), (a_row, _) = (registry_conventions(_row(r).to_frame().T, scale_notes=True) for r in (before, after))
    cfit = fit_capability_model(matrix, capabilities, method, score_method)
    rows = _score_rows(matrix, cfit.model, benchmark, b_row.iloc[0], a_row.iloc[0], before_name, after_name, source)
    split = _split_change(matrix, benchmark, cfit.scores, rows, level)
    noise: dict[str, Any] = {}
    if pair == "same-model":
        split, noise = _same_model_split(matrix, benchmark, cfit, rows, split, level, n_items, benchmark_se, se_source)
    draws = None
    if n_bootstrap > 0:
        draws = _claim_draws(matrix, benchmark, cfit, rows, n_bootstrap=n_bootstrap, seed=seed, method=method,
                             progress=progress)
    res = _result(matrix, benchmark, cfit, rows, split, draws, method=method, n_bootstrap=n_bootstrap, seed=seed,
                  level=level)
    res = _with_pair(res, pair, noise)
    spread = float(np.nanstd(matrix.scores[benchmark].to_numpy(dtype=float)))
    res = replace(res, notes=(*res.notes, *conventions)) if conventions else res
    return _replace_verdict(res, verdict_sentence(res, spread))


@dataclass(frozen=True)
class _ClaimRows:
    """The two rows of a claim in the panel's coordinates.

    ``x_*``: capability values ``(k,)`` in the model's benchmark order (NaN =
    missing, allowed only for a model that scores incomplete rows); ``y_*``:
    the claimed benchmark's values (its units); ``s_*``/``se_*``: capabilities
    scores and their standard errors (NaN for the PCA score, which has none).
    """

    before_name: str
    after_name: str
    x_before: np.ndarray
    x_after: np.ndarray
    y_before: float
    y_after: float
    s_before: float
    s_after: float
    se_before: float
    se_after: float


@dataclass(frozen=True)
class _Split:
    """The claimed change split by the panel's fit (benchmark units), with the prediction interval of the rest.

    ``observed = y_after - y_before``; ``predicted = slope x (s_after -
    s_before)``; ``beyond = observed - predicted``; ``share = predicted /
    observed`` (None when observed is 0); ``pi_low``/``pi_high``: prediction
    interval of ``beyond`` (SE ``se``); ``supported``: it excludes 0.
    """

    fit: LinearFit
    observed: float
    predicted: float
    beyond: float
    share: float | None
    pi_low: float
    pi_high: float
    se: float
    supported: bool


def _check_request(matrix: ScoreMatrix, benchmark: str, level: float, n_bootstrap: int) -> None:
    """Refuse a benchmark the panel lacks, a level outside (0, 1) and a negative number of resamples."""
    if benchmark not in matrix.scores.columns:
        from ..sources._suggest import suggest

        raise UnknownIdError(
            f"benchmark {benchmark!r} is not in panel {matrix.name!r}{suggest(benchmark, list(matrix.scores.columns))}; "
            "list the ids with: safetywashing benchmarks"
        )
    if not 0 < level < 1:
        raise InputError(f"--ci: level {level} must lie strictly between 0 and 1 (e.g. 0.95)")
    if n_bootstrap < 0:
        raise InputError(f"--bootstrap: {n_bootstrap} must be >= 0")
    check_work("--bootstrap", n_bootstrap, rows=matrix.scores.shape[0], columns=matrix.scores.shape[1])


def _capability_values(
    model: AnyCapabilityModel, rb: pd.Series, ra: pd.Series, before_name: str, after_name: str, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """The two rows' capability values ``(k,)`` in the model's benchmark order.

    A model that needs complete rows refuses a row lacking a capability
    column or with a missing or non-numeric value there; any other model
    takes what is present (missing or non-numeric = NaN).
    """
    caps = list(model.benchmarks)
    if not model.needs_complete_rows:
        xb = pd.to_numeric(rb.reindex(caps), errors="coerce").to_numpy(dtype=float)
        xa = pd.to_numeric(ra.reindex(caps), errors="coerce").to_numpy(dtype=float)
        return xb, xa
    for what, r in ((before_name, rb), (after_name, ra)):
        missing = model.missing_for_score(r.index)
        if missing:
            raise InputError(
                f"{source}: row {what!r} lacks capability benchmark column(s) {', '.join(missing)}; the panel's "
                f"capabilities score needs all {len(caps)}: {', '.join(caps)}"
            )
    xb = np.array([_value(rb, c, f"{source}: row {before_name!r}") for c in caps])
    xa = np.array([_value(ra, c, f"{source}: row {after_name!r}") for c in caps])
    return xb, xa


def _score_rows(
    matrix: ScoreMatrix,
    model: AnyCapabilityModel,
    benchmark: str,
    rb: pd.Series,
    ra: pd.Series,
    before_name: str,
    after_name: str,
    source: str,
) -> _ClaimRows:
    """Read the two claim rows and place them in the panel's coordinates (capabilities score and SE of each).

    Refuses values in the wrong units or far outside the panel
    (:func:`check_units`) and a row the model cannot score (too few
    capability benchmarks).
    """
    caps = list(model.benchmarks)
    xb, xa = _capability_values(model, rb, ra, before_name, after_name, source)
    yb = _value(rb, benchmark, f"{source}: row {before_name!r}")
    ya = _value(ra, benchmark, f"{source}: row {after_name!r}")
    check_units(matrix, caps, benchmark, {before_name: (xb, yb), after_name: (xa, ya)}, source)
    sc = model.score_se(pd.DataFrame([xb, xa], columns=caps, index=[before_name, after_name]))
    s_b, s_a = float(sc["capabilities_score"].iloc[0]), float(sc["capabilities_score"].iloc[1])
    se_b, se_a = float(sc["capabilities_score_se"].iloc[0]), float(sc["capabilities_score_se"].iloc[1])
    for what, v, nb in ((before_name, s_b, sc["n_benchmarks"].iloc[0]), (after_name, s_a, sc["n_benchmarks"].iloc[1])):
        if not math.isfinite(v):
            raise InputError(
                f"{source}: row {what!r} has {int(nb)} of the panel's capability benchmarks; the capability model needs "
                f"at least {model.min_benchmarks} of: {', '.join(caps)}"
            )
    return _ClaimRows(before_name, after_name, xb, xa, yb, ya, s_b, s_a, se_b, se_a)


def _split_change(matrix: ScoreMatrix, benchmark: str, scores: pd.Series, rows: _ClaimRows, level: float) -> _Split:
    """Fit ``benchmark`` on the panel's capabilities scores and split the rows' change (see the module docstring, 2-4)."""
    yv = matrix.scores[benchmark]
    fit = fit_on_scores(scores.to_numpy(), yv.to_numpy(), what=f"panel {matrix.name!r}, benchmark {benchmark!r}")
    obs = rows.y_after - rows.y_before
    pred = fit.slope * (rows.s_after - rows.s_before)
    beyond = obs - pred
    share = pred / obs if obs != 0 else None
    hw, se = difference_halfwidth(fit, rows.s_before, rows.s_after, level)
    pi_lo, pi_hi = beyond - hw, beyond + hw
    # excludes 0, and is more than rounding noise (a perfect panel fit has a zero-width interval)
    supported = bool((pi_lo > 0 or pi_hi < 0) and abs(beyond) > 1e-9 * max(1.0, abs(obs), abs(pred)))
    return _Split(fit, obs, pred, beyond, share, pi_lo, pi_hi, se, supported)


def _with_pair(res: ClaimResult, pair: str, noise: dict[str, Any]) -> ClaimResult:
    """The result with its pair type and same-model noise (a note when capability benchmarks lack an item count)."""
    from dataclasses import replace

    extra = []
    miss = noise.get("score_noise_missing") or []
    if miss:
        more = f" and {len(miss) - 8} more" if len(miss) > 8 else ""
        extra.append(f"same-model interval: no item count for {len(miss)} capability benchmark(s) of the rows "
                     f"({', '.join(miss[:8])}{more}); their measurement noise in the capabilities score is left out "
                     "(the interval is too narrow by that much)")
    return replace(res, pair=pair, noise=noise, notes=res.notes + tuple(extra))


def _benchmark_noise(
    matrix: ScoreMatrix, benchmark: str, rows: _ClaimRows, items: Mapping[str, float],
    benchmark_se: tuple[float, float] | None, se_source: str,
) -> tuple[float, float, dict[str, Any]]:
    """The claimed benchmark's measurement variance in the before and after rows, and where it came from.

    Standard errors given win; else binomial from the item count (``items``:
    the caller's over the registry's) for values on the 0-1 scale; else an
    :class:`InputError` naming the ways to give one.
    """
    if benchmark_se is not None:
        seb, sea = (float(v) for v in benchmark_se)
        if not (math.isfinite(seb) and math.isfinite(sea) and seb >= 0 and sea >= 0):
            raise InputError(f"{se_source}: the standard errors of {benchmark!r} must be numbers >= 0 in both rows")
        return seb**2, sea**2, {"source": se_source, "benchmark_se_before": seb, "benchmark_se_after": sea}
    k = float(items.get(benchmark, math.nan))
    # binomial noise is the raw accuracy's, carried to the stored scale (WMDP: 1 - (acc - 0.25)/0.75, slope -1/0.75)
    vb, va = (binomial_variance(accuracy_from_stored(benchmark, y), k) * scale_slope(benchmark) ** 2
              for y in (rows.y_before, rows.y_after))
    if math.isfinite(k) and math.isfinite(vb) and math.isfinite(va):
        return vb, va, {"source": f"binomial, {int(k)} items", "n_items": int(k),
                        "benchmark_se_before": math.sqrt(vb), "benchmark_se_after": math.sqrt(va)}
    why = (f"its values are not accuracies on the 0-1 scale ({rows.y_before:g}, {rows.y_after:g})" if math.isfinite(k)
           else "no item count is known for it")
    raise InputError(
        f"--pair same-model: no measurement noise for {benchmark!r} ({why}); give --n-items {benchmark}=N (its number of "
        f"items), or standard errors in a column {benchmark}_se of both rows (or ingest's provenance file beside the "
        "file, from the harness logs), or use --pair different-models"
    )


def _same_model_split(
    matrix: ScoreMatrix, benchmark: str, cfit: CapabilityFit, rows: _ClaimRows, split: _Split, level: float,
    n_items: Mapping[str, float] | None, benchmark_se: tuple[float, float] | None, se_source: str,
) -> tuple[_Split, dict[str, Any]]:
    """The split judged as one model before and after: interval from measurement noise and the fit's uncertainty.

    See :mod:`safetywashing.inference._measurement`. The capabilities score's
    own measurement noise is propagated from the capability benchmarks' item
    counts (those without one are listed in ``score_noise_missing``).
    """
    from ..capability._claim_draws import score_measurement_variance
    from ..inference._reliability_fields import item_counts

    items = {**item_counts()["n_items"].to_dict(), **dict(n_items or {})}
    vb, va, noise = _benchmark_noise(matrix, benchmark, rows, items, benchmark_se, se_source)
    caps = list(cfit.model.benchmarks)
    k = np.array([float(items.get(c, math.nan)) for c in caps])
    x = np.vstack([rows.x_before, rows.x_after])
    wv = score_measurement_variance(cfit.model, x, binomial_variance(x, k[None, :]))
    fit = split.fit
    se, terms = same_model_se(vb, va, fit.slope, float(wv[0]), float(wv[1]), rows.s_after - rows.s_before,
                              fit.resid_sd, fit.sxx)
    hw = normal_halfwidth(se, level)
    lo, hi = split.beyond - hw, split.beyond + hw
    supported = bool((lo > 0 or hi < 0) and abs(split.beyond) > 1e-9 * max(1.0, abs(split.observed), abs(split.predicted)))
    given = ~np.isnan(x).all(axis=0)  # capability benchmarks either row has
    missing = [c for c, kk, g in zip(caps, k, given) if g and not math.isfinite(kk)]
    noise.update({"terms": terms, "score_noise_missing": missing, "interval": "normal"})
    from dataclasses import replace

    return replace(split, pi_low=lo, pi_high=hi, se=se, supported=supported), noise


def _claim_draws(
    matrix: ScoreMatrix,
    benchmark: str,
    cfit: CapabilityFit,
    rows: _ClaimRows,
    *,
    n_bootstrap: int,
    seed: int | None,
    method: str,
    progress: Callable[[int], None] | None,
) -> ClaimDraws:
    """Bootstrap the panel's models: the capability model draws the claim quantities its own way (``claim_draws``)."""
    yv = matrix.scores[benchmark]
    return cfit.model.claim_draws(
        matrix.scores[list(cfit.model.benchmarks)].to_numpy(dtype=float), cfit.scores.to_numpy(dtype=float),
        cfit.se.to_numpy(dtype=float), yv.to_numpy(dtype=float), rows.x_before, rows.x_after,
        (rows.s_before, rows.se_before), (rows.s_after, rows.se_after),
        n_bootstrap=n_bootstrap, seed=seed, method=method, progress=progress,
    )


def _intervals(draws: ClaimDraws | None, observed: float, level: float) -> dict[str, tuple[float | None, float | None]]:
    """Percentile intervals at ``level`` of every :data:`INTERVAL_QUANTITIES` over the used resamples (None without)."""
    intervals: dict[str, tuple[float | None, float | None]] = {q: (None, None) for q in INTERVAL_QUANTITIES}
    if draws is None or not len(draws.slope):
        return intervals
    q = [(1 - level) / 2, (1 + level) / 2]
    p = draws.predicted
    vals = {
        "predicted_change": p,
        "beyond_capabilities": observed - p,
        "share_explained": p / observed if observed != 0 else None,
        "slope": draws.slope,
        "intercept": draws.intercept,
        "capability_score_change": draws.score_after - draws.score_before,
    }
    for k, v in vals.items():
        if v is None:
            intervals[k] = (None, None)
        else:
            lo, hi = np.quantile(v, q)
            intervals[k] = (float(lo), float(hi))
    return intervals


def _claim_notes(
    matrix: ScoreMatrix, benchmark: str, cfit: CapabilityFit, rows: _ClaimRows, n_bootstrap: int, draws: ClaimDraws | None
) -> list[str]:
    """The claim's notes: the data's caveats, what the score is (models other than the paper's) and the bootstrap's."""
    model = cfit.model
    notes = list(_notes(matrix, benchmark, cfit.scores, matrix.scores[benchmark], rows.s_before, rows.s_after,
                        rows.y_before, rows.y_after, list(cfit.dropped), list(model.benchmarks)))
    if not model.paper_method:
        notes.append(f"capabilities score: {model.describe()}; before {rows.s_before:+.3f} (SE {rows.se_before:.3f}), "
                     f"after {rows.s_after:+.3f} (SE {rows.se_after:.3f})")
        notes.extend(cfit.notes)
    used, skipped = (len(draws.slope), draws.n_skipped) if draws is not None else (0, 0)
    if n_bootstrap > 0 and skipped:
        notes.append(f"{skipped} of {n_bootstrap} bootstrap resamples were degenerate and skipped")
    if n_bootstrap > 0 and not used:
        notes.append("no bootstrap resample was usable: no intervals")
    return notes


def _result(
    matrix: ScoreMatrix,
    benchmark: str,
    cfit: CapabilityFit,
    rows: _ClaimRows,
    split: _Split,
    draws: ClaimDraws | None,
    *,
    method: str,
    n_bootstrap: int,
    seed: int | None,
    level: float,
) -> ClaimResult:
    """Assemble the :class:`ClaimResult` (verdict still empty) from the scored rows, the split and the draws."""
    scores, yv, fit = cfit.scores, matrix.scores[benchmark], split.fit
    ok = scores.notna() & yv.notna()
    points = tuple(
        PanelPoint(model=str(m), name=matrix.display_name(m), capabilities_score=float(scores[m]), value=float(yv[m]))
        for m in matrix.scores.index[ok.to_numpy()]
    )
    meta = matrix.benchmarks.loc[benchmark]
    used, skipped = (len(draws.slope), draws.n_skipped) if draws is not None else (0, 0)
    return ClaimResult(
        panel=matrix.name, benchmark=benchmark, benchmark_name=str(meta.get("name", "") or benchmark),
        scale=str(meta.get("scale", "") or ""), method=method, before=rows.before_name, after=rows.after_name,
        capability_benchmarks=tuple(cfit.model.benchmarks), capability_score_before=rows.s_before,
        capability_score_after=rows.s_after, benchmark_before=rows.y_before, benchmark_after=rows.y_after,
        observed_change=split.observed, predicted_change=split.predicted, beyond_capabilities=split.beyond,
        share_explained=_f(split.share), slope=fit.slope, intercept=fit.intercept, resid_sd=fit.resid_sd, n=fit.n,
        n_panel_models=matrix.n_models, level=level, n_bootstrap=int(n_bootstrap), n_bootstrap_used=used,
        n_bootstrap_skipped=skipped, seed=seed, intervals=_intervals(draws, split.observed, level), panel_points=points,
        verdict="", notes=tuple(_claim_notes(matrix, benchmark, cfit, rows, n_bootstrap, draws)),
        settings={"method": method, "bootstrap": int(n_bootstrap), "seed": seed, "level": level,
                  "score_method": cfit.model.kind, "capability_score_se_before": _f(rows.se_before),
                  "capability_score_se_after": _f(rows.se_after)},
        beyond_capabilities_pi_low=_f(split.pi_low), beyond_capabilities_pi_high=_f(split.pi_high),
        beyond_capabilities_se=_f(split.se), beyond_capabilities_supported=split.supported,
        resampling=draws.resampling if draws is not None else "",
    )


FAR_OUTSIDE = 1.0  # refuse a capability value more than this many panel ranges beyond the panel's min or max


def check_units(
    matrix: ScoreMatrix, caps: list[str], benchmark: str, rows: Mapping[str, tuple[np.ndarray, float]], source: str
) -> None:
    """Refuse capability values in the wrong units or far outside the panel's range (one line naming the columns).

    A capability column is refused when the panel stores it as a fraction
    (0-1) and a row has a value above 1 (percent given for a fraction), or
    when a value lies more than ``FAR_OUTSIDE`` times the panel's range below
    its minimum or above its maximum. The claimed benchmark is refused only
    for the first reason (a far-off value there is a note, not an error).
    """
    scale = matrix.benchmarks["scale"] if "scale" in matrix.benchmarks.columns else pd.Series(dtype=object)
    bad: list[str] = []
    percent = False
    for j, c in enumerate(caps):
        col = matrix.scores[c].to_numpy(dtype=float)
        lo, hi = float(np.nanmin(col)), float(np.nanmax(col))
        rng = hi - lo
        frac = str(scale.get(c, "")) == "fraction"
        for name, (x, _) in rows.items():
            v = float(x[j])
            if frac and v > 1.0 + 1e-9:
                percent = True
                bad.append(f"{c} = {v:g} in row {name!r} (panel: fraction, {lo:.3g}-{hi:.3g})")
                break
            if v < lo - FAR_OUTSIDE * rng or v > hi + FAR_OUTSIDE * rng:
                bad.append(f"{c} = {v:g} in row {name!r} (panel range {lo:.3g}-{hi:.3g})")
                break
    if str(scale.get(benchmark, "")) == "fraction":
        for name, (_, y) in rows.items():
            if y > 1.0 + 1e-9:
                percent = True
                bad.append(f"{benchmark} = {y:g} in row {name!r} (panel: fraction 0-1)")
                break
    if bad:
        hint = "give fractions (0-1), not percent" if percent else "check the units and the columns' order"
        raise InputError(f"{source}: column(s) not in the panel's units or far outside its range: {'; '.join(bad)}; {hint}")


def _replace_verdict(r: ClaimResult, text: str) -> ClaimResult:
    from dataclasses import replace

    return replace(r, verdict=text)


def _notes(matrix, benchmark, scores, yv, s_b, s_a, yb, ya, dropped, caps) -> list[str]:
    notes: list[str] = []
    if matrix.benchmarks.loc[benchmark, "role"] == "capability" and benchmark in caps:
        notes.append(f"{benchmark!r} is itself one of the capability benchmarks: part of its change defines the score")
    if dropped:
        notes.append(f"{len(dropped)} panel model(s) lack a capability benchmark and are not in the fit: {', '.join(dropped)}")
    n_missing = int((scores.notna() & yv.isna()).sum())
    if n_missing:
        notes.append(f"{n_missing} panel model(s) have no {benchmark!r} value and are not in the fit")
    lo, hi = float(np.nanmin(scores)), float(np.nanmax(scores))
    for what, s in (("before", s_b), ("after", s_a)):
        if s < lo or s > hi:
            notes.append(f"the {what} row's capabilities score {s:+.2f} lies outside the panel's range "
                         f"[{lo:+.2f}, {hi:+.2f}]: the fit is extrapolated")
    ymin, ymax = float(np.nanmin(yv)), float(np.nanmax(yv))
    rng = max(ymax - ymin, 1e-12)
    for what, v in (("before", yb), ("after", ya)):
        if v < ymin - rng or v > ymax + rng:
            scale = matrix.benchmarks.loc[benchmark].get("scale", "")
            notes.append(f"the {what} value of {benchmark!r} ({v:g}) is far outside the panel's range "
                         f"[{ymin:g}, {ymax:g}]; check the units (registry scale: {scale or 'unknown'})")
    return notes


def claim_rows(
    frame: pd.DataFrame,
    *,
    before: str | None = None,
    after: str | None = None,
    columns: list[str] | None = None,
    source: str = "claim file",
) -> tuple[str, pd.Series, str, pd.Series]:
    """Pick the before and after rows of a claim table (index = model names, as read, strings allowed).

    Default: first row = before, second = after (the table must then have
    exactly two rows). ``before``/``after`` pick rows by model name. Returns
    ``(before_name, before_row, after_name, after_row)``; row values are
    converted to float, with a clear error naming the line and column of a
    cell that is not a number. ``columns`` restricts the check and the returned
    rows to those columns (others, e.g. metadata, are ignored). Line numbers
    count the header as line 1.
    """
    names = [str(i) for i in frame.index]
    if len(names) < 2:
        raise InputError(f"{source}: {len(names)} data row(s); a claim needs two rows (before, after) with a model column")

    def pick(name: str, opt: str) -> int:
        hits = [i for i, m in enumerate(names) if m == name]
        if not hits:
            from ..sources._suggest import suggest

            raise UnknownIdError(f"{source}: {opt} {name!r} is not a model in the file{suggest(name, names)}; "
                                 f"models: {', '.join(names[:10])}")
        if len(hits) > 1:
            raise InputError(f"{source}: model {name!r} appears on lines {', '.join(str(h + 2) for h in hits)}; "
                             "model names must be unique")
        return hits[0]

    if before is None and after is None:
        if len(names) != 2:
            raise InputError(f"{source}: {len(names)} data rows; with more than two rows name them with "
                             "--before NAME --after NAME")
        ib, ia = 0, 1
    else:
        ib = pick(before, "--before") if before is not None else None
        ia = pick(after, "--after") if after is not None else None
        if ib is None:
            ib = next(i for i in range(len(names)) if i != ia)
        if ia is None:
            ia = next(i for i in range(len(names)) if i != ib)
        if ib == ia:
            raise InputError(f"{source}: --before and --after name the same row ({names[ib]!r})")
    rows = []
    for i in (ib, ia):
        raw = frame.iloc[i]
        if columns is not None:
            raw = raw[[c for c in columns if c in raw.index]]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            col = str(bad[bad].index[0])
            raise InputError(f"{source}, line {i + 2} (model {names[i]!r}), column {col!r}: {raw[col]!r} is not a number")
        rows.append(num.astype(float))
    return names[ib], rows[0], names[ia], rows[1]
