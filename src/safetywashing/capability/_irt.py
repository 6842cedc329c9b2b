"""A logistic capability model for sparse tables ("benchmark stitching", an item-response model).

The paper's PCA direction needs every model to have every capability
benchmark. Current models are reported on a few of some forty benchmarks, so
for sparse tables the capabilities score comes from a latent-variable model
instead (the model Epoch AI fits for its Epoch Capabilities Index)::

    score[m, b] = sigmoid(slope_b * (capability_m - difficulty_b))

for scores on a bounded 0-1 scale (fractions; percentages are divided by 100).

Fit
    Maximum a posteriori of a quasi-binomial likelihood (fractional logit:
    a score's variance is ``dispersion * p (1 - p)``, as for the share of
    items a model gets right) with a weak Gaussian prior N(0, 10^2) on every
    capability, difficulty and log slope, i.e. minimise
    ``sum_cells [-y log p - (1 - y) log(1 - p)] + ridge/2 * |parameters|^2``
    with ``ridge = dispersion / 10^2`` (two stages: the dispersion is
    estimated from a nearly unregularised first fit). Solved by
    Levenberg-Marquardt (damped Fisher scoring) with the analytic Jacobian,
    using that the capabilities' block of the information matrix is diagonal
    (a Schur complement leaves a 2 x benchmarks system per step; cost grows
    as observed cells + models x benchmarks, never models^2).
    ``scipy.optimize.minimize`` with the analytic gradient reaches the same
    optimum (a test checks it) but slower. Slopes are parameterised as
    ``exp(log_slope)``, so every benchmark rises with capability. The prior
    only matters for a model at 100% (or 0%) on all its benchmarks, whose
    likelihood alone has no finite maximum.

Anchoring (the scale)
    The model is unchanged by shifting or stretching the capability axis, so
    one benchmark fixes it: the *anchor* (default: the benchmark with the most
    models) has difficulty 0 and slope 1. A capability of 0 is the level at
    which a model is expected to score 50% on the anchor benchmark, and one
    unit is one logit of the anchor's score. Higher = more capable.

Guessing floors
    A multiple-choice benchmark's chance level ``c`` (registry file
    ``chance_levels.csv``; 0 when unknown) is a floor:
    ``score = c + (1 - c) * sigmoid(slope * (capability - difficulty))``, so
    a model at chance is read as "below what the benchmark can tell", not as
    a precise low capability.

Bias correction and standard errors (``capabilities_score_se``)
    The joint fit's capabilities are biased toward the centre for models
    linked through few, saturated or chance-floored benchmarks (the
    incidental-parameter bias of fitting every model from a few scores: the
    benchmarks' slopes come out too steep, which compresses the scale), and
    its curvature SEs, ``dispersion * (Fisher information + ridge)^-1``, are
    too small there. So the fit is calibrated by a parametric bootstrap
    (``calibrate`` = 30 tables, seeded, warm-started refits): tables are drawn
    from the fit (binomial shares with each benchmark's fitted dispersion),
    refitted, and the mean shift of each capability is the bias; a second
    round drawn at the once-corrected parameters estimates the bias near the
    truth rather than at the (compressed) estimate. The reported capability
    is the estimate minus that bias, and its SE the root mean squared error
    ``sqrt(max(curvature SE, bootstrap SD)^2 + bias^2)`` (part of the bias
    always remains, so its size is counted as uncertainty). Coverage of +-1.96
    SE by simulation on frontier-shaped panels: ``benchmarks/irt_coverage.py``.
    A new row scored against the fitted benchmarks (:meth:`IRTModel.score_se`)
    gets the conditional estimate of its own fit and its SE plus, by the
    delta method, the part that comes from the benchmarks' parameter
    uncertainty (no bootstrap: a panel model rescored this way differs from
    its bias-corrected score by well under an SE).

Which models and benchmarks enter
    A model needs at least ``min_benchmarks`` (3) scores, a benchmark at least
    ``min_models`` (5) models; the two rules are applied until both hold; only
    the largest connected block of models and benchmarks (linked by shared
    cells) is kept, since separate blocks have no common scale. Every dropped
    model is listed with its reason.

Pure functions: no printing, no I/O, deterministic (the calibration's draws
are seeded; :func:`bootstrap_refits` takes a seed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from .._util.errors import InputError, InsufficientDataError

if TYPE_CHECKING:
    from ._claim_draws import ClaimDraws

MIN_BENCHMARKS = 3
MIN_MODELS_PER_BENCHMARK = 5
DEFAULT_PRIOR_SD = 10.0
MAX_BENCHMARKS = 500  # the benchmarks' block of the information matrix is (2k)^2: bounded memory and time
DEFAULT_RIDGE = 1e-6  # first-stage ridge, before the dispersion is known
CALIBRATION_REPLICATES = 30  # parametric-bootstrap refits that bias-correct the benchmarks' parameters (fit_irt)
CALIBRATION_SEED = 0
_CLIP = 30.0  # bound of the logit inside the sigmoid (exp overflow guard)


def _one_blas_thread(func):  # noqa: ANN001, ANN202
    """Run ``func`` with BLAS limited to one thread: its many small products lose more to thread hand-off than they gain
    (measured on a shared 2-core machine: 0.1 s wall with one thread vs 0.6-1.5 s with the default)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


def draw_normal_scores(scores: np.ndarray, se: np.ndarray, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scores of bootstrap resamples ``idx`` (``(B, n)`` row indices), each drawn from N(score, SE^2).

    The capability estimates' own uncertainty enters every resample (a row
    drawn twice gets two independent draws). NaN SEs count as 0.
    """
    s = np.asarray(scores, dtype=float)[idx]
    e = np.nan_to_num(np.asarray(se, dtype=float))[idx]
    return s + e * rng.standard_normal(idx.shape)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -_CLIP, _CLIP)))


@dataclass(frozen=True)
class IRTModel:
    """A fitted logistic capability model: each benchmark's difficulty and slope, in the anchor's frame.

    ``predicted score = sigmoid(slope_b * (capability - difficulty_b))`` on a
    0-1 scale; ``unit_scale[b]`` says how the benchmark's values were mapped
    to 0-1 (``"fraction"`` as is, ``"percent"`` divided by 100, and the
    ``"flipped ..."`` forms for lower-is-better columns stored negated).
    Capabilities: higher = more capable; 0 = 50% expected on the anchor
    benchmark; 1 unit = 1 logit of the anchor's score.
    """

    benchmarks: tuple[str, ...]
    difficulties: tuple[float, ...]
    slopes: tuple[float, ...]
    difficulty_se: tuple[float, ...]
    slope_se: tuple[float, ...]
    benchmark_dispersion: tuple[float, ...]
    unit_scale: tuple[str, ...]
    anchor: str
    dispersion: float
    n_obs: int
    n_models: int
    ridge: float
    prior_sd: float
    converged: bool
    min_benchmarks: int = MIN_BENCHMARKS
    chance: tuple[float, ...] = ()  # guessing floor per benchmark (0-1 scale; empty = none)
    calibrated: bool = False  # the fit's scores bias-corrected, SEs calibrated by a parametric bootstrap (fit_irt)
    kind: str = "irt"
    _item_cov: np.ndarray | None = field(default=None, repr=False, compare=False)

    #: any ``min_benchmarks`` of the capability benchmarks give a score; gaps are used as they are, never imputed
    needs_complete_rows: ClassVar[bool] = False
    can_impute: ClassVar[bool] = False
    #: not the paper's score: outputs state what it is (:meth:`describe`)
    paper_method: ClassVar[bool] = False
    #: every score has a standard error (``score_se``)
    has_score_se: ClassVar[bool] = True
    short_description: ClassVar[str] = "its logistic capability model (irt)"
    #: how an analysis bootstrap treats the model: fixed at the full fit, each score drawn from N(estimate, SE^2)
    resampling: ClassVar[str] = "draw"
    axis_label: ClassVar[str] = "Capabilities score (logistic model, anchor logits; higher = more capable)"
    resampling_text: ClassVar[str] = (
        "median-centred percentile bootstrap: models resampled and each model's capabilities score drawn from "
        "N(estimate, SE^2) in every resample (capability model's benchmark parameters fixed at the full fit)"
    )
    fixed_interval: ClassVar[str] = "centred percentile"

    @property
    def component_shares(self) -> tuple[float, ...]:
        """No principal components: empty."""
        return ()

    def label(self, n_scored: int) -> str:
        """A few words for a table's heading: the logistic model, how many models it scored, its anchor."""
        return (
            f"logistic capability model of {len(self.benchmarks)} capability benchmarks, {n_scored} models scored, "
            f"anchored on {self.anchor}"
        )

    def far_from_panel(self, rows: pd.DataFrame, limit: float = 6.0) -> list[str]:
        """No check: the model maps every benchmark to 0-1 itself (its unit scales refuse unbounded values)."""
        return []

    def draw_scores(self, scores: np.ndarray, se: np.ndarray, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Scores of the resampled rows ``idx`` (``(B, n)``), each drawn from N(score, SE^2) (NaN SEs count as 0).

        The capability estimates' own uncertainty enters every resample (a row
        drawn twice gets two independent draws).
        """
        return draw_normal_scores(scores, se, idx, rng)

    def missing_for_score(self, columns: Any) -> list[str]:
        """Nothing is required column by column: a row needs any ``min_benchmarks`` of the benchmarks."""
        return []

    def mean_intercorrelation(self, frame: pd.DataFrame, scored: np.ndarray, method: str) -> float:
        """Mean off-diagonal pairwise correlation of the fitted benchmarks' columns of ``frame`` (>= 5 models a pair).

        ``scored`` is unused: every pair of benchmarks is correlated over the
        models that have both. NaN when no pair has enough models.
        """
        k = len(self.benchmarks)
        cm = frame[list(self.benchmarks)].corr(method=method, min_periods=MIN_MODELS_PER_BENCHMARK).to_numpy()
        off = cm[~np.eye(k, dtype=bool)]
        return float(np.nanmean(off)) if np.isfinite(off).any() else float("nan")

    def dropped_sentence(self, dropped: list[str], reasons: dict[str, str], imputed: bool) -> str:
        """One note naming every model without a score, each with its reason."""
        return f"{len(dropped)} model(s) have no capabilities score: " + "; ".join(f"{m} ({reasons[m]})" for m in dropped)

    @property
    def method(self) -> str:
        """Name of the capability model (``"irt"``)."""
        return "irt"

    def describe(self) -> str:
        """One sentence: what the capabilities score is and what fixes its scale."""
        return (
            f"logistic capability model (score = sigmoid(slope * (capability - difficulty))) fitted to "
            f"{self.n_obs} scores of {self.n_models} models on {len(self.benchmarks)} benchmarks; scale anchored on "
            f"{self.anchor!r} (difficulty 0, slope 1: capability 0 = 50% expected there, 1 unit = 1 logit); "
            f"each benchmark weighted by 1 / its dispersion (median {float(np.median(self.benchmark_dispersion)):.3g})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no covariance matrix)."""
        return {
            "kind": self.kind,
            "benchmarks": list(self.benchmarks),
            "difficulties": list(self.difficulties),
            "slopes": list(self.slopes),
            "difficulty_se": [None if math.isnan(v) else v for v in self.difficulty_se],
            "slope_se": [None if math.isnan(v) else v for v in self.slope_se],
            "unit_scale": list(self.unit_scale),
            "anchor": self.anchor,
            "dispersion": self.dispersion,
            "benchmark_dispersion": list(self.benchmark_dispersion),
            "n_obs": self.n_obs,
            "n_models": self.n_models,
            "ridge": self.ridge,
            "prior_sd": self.prior_sd,
            "converged": self.converged,
            "min_benchmarks": self.min_benchmarks,
            "chance": list(self.chance) if self.chance else [0.0] * len(self.benchmarks),
        }

    def _unit_frame(self, frame: pd.DataFrame) -> np.ndarray:
        x = frame.reindex(columns=list(self.benchmarks)).to_numpy(dtype=float)
        out = np.empty_like(x)
        for j, how in enumerate(self.unit_scale):
            out[:, j] = _apply_unit(x[:, j], how)
        return out

    def score_se(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Capabilities and their SEs for the rows of ``frame`` (benchmarks fixed at this fit).

        ``frame``: rows = models, columns = benchmark ids in the same units as
        the fitted table (other columns are ignored). A row with fewer than
        ``min_benchmarks`` of the fitted benchmarks gets NaN. Returns columns
        ``capabilities_score``, ``capabilities_score_se`` and ``n_benchmarks``.
        """
        y = self._unit_frame(frame)
        theta, se, n = score_rows(
            y,
            np.asarray(self.difficulties),
            np.asarray(self.slopes),
            dispersion=self.dispersion,
            weights=1.0 / np.asarray(self.benchmark_dispersion),
            ridge=self.ridge,
            item_cov=self._item_cov,
            anchor=self.benchmarks.index(self.anchor),
            min_benchmarks=self.min_benchmarks,
            floor=np.asarray(self.chance) if self.chance else None,
        )
        return pd.DataFrame(
            {"capabilities_score": theta, "capabilities_score_se": se, "n_benchmarks": n}, index=frame.index
        )

    def score(self, frame: pd.DataFrame) -> pd.Series:
        """Capabilities of the rows of ``frame`` (NaN with fewer than ``min_benchmarks`` benchmarks)."""
        return self.score_se(frame)["capabilities_score"].rename("capabilities_score")

    def claim_draws(
        self,
        caps: np.ndarray,
        scores: np.ndarray,
        se: np.ndarray,
        y: np.ndarray,
        before: np.ndarray,
        after: np.ndarray,
        before_score: tuple[float, float],
        after_score: tuple[float, float],
        *,
        n_bootstrap: int,
        seed: int | None,
        method: str,
        progress: Callable[[int], None] | None = None,
    ) -> ClaimDraws:
        """Bootstrap draws of a claim's fit: every score drawn from N(estimate, SE^2) (:meth:`draw_scores`), fit redone.

        The benchmark parameters stay fixed; ``caps``, ``before``, ``after``, ``method`` and ``progress`` are unused.

        Arguments as :meth:`CapabilityModel.claim_draws <safetywashing.capability._model.CapabilityModel.claim_draws>`.
        """
        from ._claim_draws import bootstrap_claim_irt

        return bootstrap_claim_irt(scores, se, y, before_score, after_score, n_bootstrap=n_bootstrap, seed=seed,
                                   draw=self.draw_scores)


@dataclass(frozen=True)
class IRTFit:
    """Result of :func:`fit_irt`: the model, every kept model's capability and SE, and what was dropped."""

    model: IRTModel
    capabilities: np.ndarray  # (n_kept,)
    se: np.ndarray  # (n_kept,)
    kept_rows: np.ndarray  # indices of the kept models in the input
    kept_cols: np.ndarray  # indices of the kept benchmarks in the input
    dropped_models: dict[int, str]  # input row -> reason
    dropped_benchmarks: dict[int, str]  # input column -> reason
    iterations: int


# ----------------------------------------------------------------------------- scales


def _apply_unit(x: np.ndarray, how: str) -> np.ndarray:
    if how == "fraction":
        return x
    if how == "percent":
        return x / 100.0
    if how == "flipped fraction":
        return 1.0 + x
    if how == "flipped percent":
        return 1.0 + x / 100.0
    raise ValueError(how)


def unit_scales(x: np.ndarray, names: list[str], registry_scale: list[str] | None = None, *, source: str = "table") -> list[str]:
    """How each column maps to a 0-1 score: ``fraction``, ``percent`` or their ``flipped`` forms.

    Lower-is-better columns are stored negated (higher = better), so a
    fraction in [-1, 0] is read as ``1 + x``. The registry's ``percent``
    scale wins over the values. Raises :class:`InputError` naming the column
    when its values fit neither 0-1 nor 0-100.
    """
    out = []
    for j, b in enumerate(names):
        v = x[:, j]
        v = v[~np.isnan(v)]
        lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
        reg = (registry_scale[j] if registry_scale is not None else "") or ""
        if lo >= 0 and hi <= 1 and reg != "percent":
            out.append("fraction")
        elif lo >= -1 and hi <= 0 and reg != "percent":
            out.append("flipped fraction")
        elif lo >= 0 and hi <= 100:
            out.append("percent")
        elif lo >= -100 and hi <= 0:
            out.append("flipped percent")
        else:
            raise InputError(
                f"{source}: column {b!r} has values from {lo:g} to {hi:g}; the logistic capability model (--score-method irt) "
                "needs bounded scores: fractions 0-1 or percentages 0-100 (leave the column out with --capabilities)"
            )
    return out


# ----------------------------------------------------------------------------- selection


def select(
    obs: np.ndarray, min_benchmarks: int, min_models: int
) -> tuple[np.ndarray, np.ndarray, dict[int, str], dict[int, str]]:
    """Rows and columns of the boolean ``obs`` mask that enter the fit, and why the others do not."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n, k = obs.shape
    rows = np.ones(n, dtype=bool)
    cols = np.ones(k, dtype=bool)
    drop_m: dict[int, str] = {}
    drop_b: dict[int, str] = {}
    while True:
        sub = obs & rows[:, None] & cols[None, :]
        cnt_b = sub.sum(axis=0)
        bad_b = cols & (cnt_b < min_models)
        for j in np.flatnonzero(bad_b):
            drop_b[int(j)] = f"only {int(cnt_b[j])} model(s) with enough benchmarks have it ({min_models} needed)"
        cols &= ~bad_b
        sub = obs & rows[:, None] & cols[None, :]
        cnt_m = sub.sum(axis=1)
        bad_m = rows & (cnt_m < min_benchmarks)
        for i in np.flatnonzero(bad_m):
            drop_m[int(i)] = f"only {int(cnt_m[i])} usable benchmark score(s) ({min_benchmarks} needed)"
        rows &= ~bad_m
        if not bad_b.any() and not bad_m.any():
            break
    if rows.any() and cols.any():
        sub = obs & rows[:, None] & cols[None, :]
        ii, jj = np.nonzero(sub)
        g = coo_matrix((np.ones(ii.size), (ii, n + jj)), shape=(n + k, n + k))
        _, lab = connected_components(g, directed=False)
        ids, sizes = np.unique(lab[ii], return_counts=True)
        main = ids[np.argmax(sizes)]
        for i in np.flatnonzero(rows & (lab[:n] != main)):
            drop_m[int(i)] = "shares no benchmark with the main block of models (no common scale)"
        for j in np.flatnonzero(cols & (lab[n:] != main)):
            drop_b[int(j)] = "shares no model with the main block of benchmarks (no common scale)"
        rows &= lab[:n] == main
        cols &= lab[n:] == main
    return np.flatnonzero(rows), np.flatnonzero(cols), drop_m, drop_b


# ----------------------------------------------------------------------------- core fit


class _Problem:
    """Residuals and sparse Jacobian of the regularised least-squares fit (free parameters only)."""

    def __init__(
        self, y: np.ndarray, anchor: int, ridge: float, bench_weight: np.ndarray | None = None, floor: np.ndarray | None = None
    ):
        self.n, self.k = y.shape
        self.anchor = anchor
        ii, jj = np.nonzero(~np.isnan(y))
        self.ii, self.jj = ii, jj
        self.y = y[ii, jj]
        self.m = ii.size
        free = np.array([j for j in range(self.k) if j != anchor], dtype=int)
        self.free = free
        pos = np.full(self.k, -1, dtype=int)
        pos[free] = np.arange(free.size)
        self.pos = pos  # benchmark -> index among free benchmarks (-1 = anchor)
        self.n_par = self.n + 2 * free.size
        self.ridge = ridge
        # per-cell weight = 1 / the benchmark's dispersion (1 in the first stage)
        self.w = np.ones(self.m) if bench_weight is None else np.asarray(bench_weight, dtype=float)[jj]
        # per-cell guessing floor (the benchmark's chance level; 0 when unknown)
        self.floor = np.zeros(self.k) if floor is None else np.asarray(floor, dtype=float)
        self.c = self.floor[jj]
        yc = np.clip(self.y, 1e-15, 1 - 1e-15)
        sat = -(self.y * np.log(yc) + (1 - self.y) * np.log1p(-yc))
        self.saturated = float((self.w * sat).sum())  # so the objective is a (weighted) deviance / 2
        fj = pos[jj]
        self.has = fj >= 0  # cells of a free (non-anchor) benchmark
        self.fj = fj

    def with_y(self, y_obs: np.ndarray) -> _Problem:
        """The same problem (cells, weights, prior, floors) with new observed values (one per observed cell)."""
        import copy

        new = copy.copy(self)
        new.y = np.asarray(y_obs, dtype=float)
        yc = np.clip(new.y, 1e-15, 1 - 1e-15)
        new.saturated = float((self.w * -(new.y * np.log(yc) + (1 - new.y) * np.log1p(-yc))).sum())
        return new

    def unpack(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        theta = p[: self.n]
        d = np.zeros(self.k)
        logs = np.zeros(self.k)
        nf = self.free.size
        d[self.free] = p[self.n : self.n + nf]
        logs[self.free] = p[self.n + nf :]
        return theta, d, logs

    def pack(self, theta: np.ndarray, d: np.ndarray, logs: np.ndarray) -> np.ndarray:
        return np.concatenate([theta, d[self.free], logs[self.free]])

    def probabilities(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(predicted, slope per cell, capability - difficulty per cell)`` of the observed cells."""
        pr, a, u, _ = self.predicted(p)
        return pr, a, u

    def predicted(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(predicted, slope, capability - difficulty, d predicted / d logit)`` per observed cell.

        ``predicted = floor + (1 - floor) * sigmoid(slope * (capability - difficulty))``.
        """
        theta, d, logs = self.unpack(p)
        a = np.exp(logs)
        u = theta[self.ii] - d[self.jj]
        sg = _sigmoid(a[self.jj] * u)
        return self.c + (1.0 - self.c) * sg, a[self.jj], u, (1.0 - self.c) * sg * (1.0 - sg)

    def objective(self, p: np.ndarray) -> float:
        """Quasi-binomial negative log-likelihood of the observed cells + ridge/2 * |free parameters|^2."""
        pr, _, _ = self.probabilities(p)
        pr = np.clip(pr, 1e-15, 1 - 1e-15)
        nll = (self.w * -(self.y * np.log(pr) + (1 - self.y) * np.log1p(-pr))).sum() - self.saturated
        return float(nll + 0.5 * self.ridge * (p @ p))

    def gradient(self, p: np.ndarray) -> np.ndarray:
        """Analytic gradient of :meth:`objective` (for the independent scipy check)."""
        pr, a, u, dp = self.predicted(p)
        e = self.w * (pr - self.y) * dp / np.clip(pr * (1.0 - pr), 1e-12, None)
        n, nf = self.n, self.free.size
        g = np.zeros(self.n_par)
        g[:n] = np.bincount(self.ii, weights=a * e, minlength=n)
        h = self.has
        g[n : n + nf] = np.bincount(self.fj[h], weights=-(a * e)[h], minlength=nf)
        g[n + nf :] = np.bincount(self.fj[h], weights=(a * u * e)[h], minlength=nf)
        return g + self.ridge * p


def _initial(y: np.ndarray, anchor: int, floor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start values: an additive two-way fit of the logits above the floor (slopes 1), anchor's difficulty 0."""
    if floor is not None:
        y = (y - floor[None, :]) / (1.0 - floor[None, :])
    z = np.log(np.clip(y, 0.02, 0.98) / (1 - np.clip(y, 0.02, 0.98)))
    obs = ~np.isnan(z)
    theta = np.zeros(y.shape[0])
    d = np.zeros(y.shape[1])
    for _ in range(20):
        d = -np.nanmean(np.where(obs, z - theta[:, None], np.nan), axis=0)
        theta = np.nanmean(np.where(obs, z + d[None, :], np.nan), axis=1)
    shift = d[anchor]
    return theta - shift, d - shift, np.zeros(y.shape[1])


class _Solution:
    """What :func:`_solve` returns (the fields of scipy's ``OptimizeResult`` that are used)."""

    def __init__(self, x: np.ndarray, fun: np.ndarray, nfev: int, status: int):
        self.x, self.fun, self.nfev, self.status = x, fun, nfev, status


def _blocks(prob: _Problem, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pearson residuals and the blocks of the Fisher information and the score (ridge included).

    Fisher scoring for the quasi-binomial likelihood: with cell variance
    ``v = p (1 - p)``, the whitened Jacobian ``J = sqrt(v) * d(logit)/d(param)``
    and Pearson residuals ``r = (p - y) / sqrt(v)`` give ``J'J`` = Fisher
    information and ``J'r`` = gradient of the negative log-likelihood.
    ``J'J = [[A, B], [B', C]]`` with ``A`` diagonal (capabilities) and ``C``
    the benchmarks' parameters. Returns ``(r, A, B, C, g_theta, g_item)``.
    """
    pr, a, u, dp = prob.predicted(p)
    v = np.clip(pr * (1.0 - pr), 1e-12, None)
    sw_ = np.sqrt(prob.w)
    sv = np.sqrt(v)
    r = sw_ * (pr - prob.y) / sv  # (weighted) Pearson residuals
    jt = sw_ * (dp / sv) * a  # whitened Jacobian: J'J = Fisher information, J'r = score (dp = v without a floor)
    n, nf = prob.n, prob.free.size
    lam = prob.ridge
    amat = np.bincount(prob.ii, weights=jt * jt, minlength=n) + lam
    g_theta = np.bincount(prob.ii, weights=jt * r, minlength=n) + lam * p[:n]
    h = prob.has
    fj = prob.fj[h]
    jd = -jt[h]
    jl = (jt * u)[h]
    ih = prob.ii[h]
    q = 2 * nf
    bmat = np.zeros((n, q))
    np.add.at(bmat, (ih, fj), jt[h] * jd)
    np.add.at(bmat, (ih, nf + fj), jt[h] * jl)
    cdd = np.bincount(fj, weights=jd * jd, minlength=nf)
    cll = np.bincount(fj, weights=jl * jl, minlength=nf)
    cdl = np.bincount(fj, weights=jd * jl, minlength=nf)
    cmat = np.zeros((q, q))
    ar = np.arange(nf)
    cmat[ar, ar] = cdd + lam
    cmat[nf + ar, nf + ar] = cll + lam
    cmat[ar, nf + ar] = cmat[nf + ar, ar] = cdl
    g_item = np.concatenate(
        [np.bincount(fj, weights=jd * r[h], minlength=nf), np.bincount(fj, weights=jl * r[h], minlength=nf)]
    ) + lam * p[n:]
    return r, amat, bmat, cmat, g_theta, g_item


def _solve(prob: _Problem, p0: np.ndarray, max_iter: int = 500, tol: float = 1e-8) -> _Solution:
    """Levenberg-Marquardt (damped Fisher scoring) on the regularised likelihood, exploiting the block structure.

    Each step solves the damped normal equations by a Schur complement on the
    (diagonal) capability block: cost per step grows as observations +
    models x benchmarks + benchmarks^3, never models^2.
    """
    p = p0.copy()
    f = prob.objective(p)
    mu = 1e-3
    nfev = 1
    status = 0
    for _ in range(max_iter):
        _, amat, bmat, cmat, gt, gi = _blocks(prob, p)
        da = amat * (1.0 + mu)
        dc = cmat + mu * np.diag(np.diag(cmat))
        ab = bmat / da[:, None]
        schur = dc - bmat.T @ ab
        rhs = gi - ab.T @ gt
        try:
            dq = np.linalg.solve(schur, rhs)
        except np.linalg.LinAlgError:
            dq = np.linalg.lstsq(schur, rhs, rcond=None)[0]
        dt = (gt - bmat @ dq) / da
        step = -np.concatenate([dt, dq])
        new = p + step
        f_new = prob.objective(new)
        nfev += 1
        if f_new <= f:
            small = np.abs(step).max() < tol or (f - f_new) <= 1e-14 * max(f, 1e-300)
            p, f = new, f_new
            mu = max(mu / 3.0, 1e-12)
            if small:
                status = 1
                break
        else:
            mu *= 4.0
            if mu > 1e12:
                status = 2  # no further decrease possible: at a minimum up to rounding
                break
    else:
        status = 0
    return _Solution(p, _blocks(prob, p)[0], nfev, status)


def _solve_scipy(prob: _Problem, p0: np.ndarray):  # noqa: ANN202
    """The same fit by ``scipy.optimize.minimize`` (L-BFGS-B, analytic gradient): an independent check of :func:`_solve`."""
    from scipy.optimize import minimize

    opts = {"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-10}
    return minimize(prob.objective, p0, jac=prob.gradient, method="L-BFGS-B", options=opts)


@_one_blas_thread
def fit_irt(
    y: np.ndarray,
    *,
    anchor: int | None = None,
    prior_sd: float = DEFAULT_PRIOR_SD,
    min_benchmarks: int = MIN_BENCHMARKS,
    min_models: int = MIN_MODELS_PER_BENCHMARK,
    names: list[str] | None = None,
    unit_scale: list[str] | None = None,
    source: str = "table",
    with_se: bool = True,
    chance: list[float] | np.ndarray | None = None,
    calibrate: int = CALIBRATION_REPLICATES,
) -> IRTFit:
    """Fit the logistic capability model to ``y`` (``(n_models, n_benchmarks)``, 0-1 scores, NaN = missing).

    ``anchor``: column index of the anchor benchmark (default: the kept
    benchmark with the most models; ties -> the first). ``with_se=False``
    skips the covariance (faster; bootstrap refits). ``chance``: each
    benchmark's guessing floor on the 0-1 scale (NaN or 0 = none; the
    predicted score is ``chance + (1 - chance) * sigmoid(...)``).
    ``calibrate``: replicates of the parametric bootstrap that bias-corrects
    the capabilities and calibrates their SEs (0 = the joint fit's curvature
    SEs, no correction; see the module docstring). Raises
    :class:`InsufficientDataError` when fewer than 5 models or 2 benchmarks
    remain after the selection rules, naming why.
    """
    y = np.asarray(y, dtype=float)
    k0 = y.shape[1]
    names = names if names is not None else [f"b{j}" for j in range(k0)]
    unit_scale = unit_scale if unit_scale is not None else ["fraction"] * k0
    _check_fit_input(y, prior_sd, source)
    rows, cols, drop_m, drop_b = _entering(y, names, min_benchmarks, min_models, source)
    sub = y[np.ix_(rows, cols)]
    floor_all = np.zeros(k0) if chance is None else np.nan_to_num(np.asarray(chance, dtype=float))
    if floor_all.size != k0 or (floor_all < 0).any() or (floor_all >= 1).any():
        raise InputError(f"{source}: chance levels must be one per benchmark, each in [0, 1)")
    floor = floor_all[cols]
    a_local = _anchor_column(sub, cols, anchor, drop_b, names, source)
    prob, sol, bench_disp, df = _fit_two_stages(sub, a_local, prior_sd, source, floor)
    s2 = max(float(np.sum(sol.fun**2)) / df, 1e-12)  # remaining overall dispersion (about 1)
    theta, d, logs = prob.unpack(sol.x)
    a = np.exp(logs)
    se_theta, se_d, se_a, item_cov = _fit_standard_errors(prob, sol.x, s2, a, a_local, rows.size, with_se)
    if with_se and calibrate > 0:
        # bootstrap bias correction, and SE = root mean squared error: the refits' spread (at least the curvature
        # SE) and the estimated bias, which is estimated at the estimate, not at the truth, so part of it remains
        _, _, shift = _calibration(prob, sol.x, s2, bench_disp, calibrate)
        # second round drawn at the once-corrected parameters: the bias near the truth rather than at the estimate
        # (the estimate is compressed toward the centre, where the bias is smaller)
        sd_b, bias_b, _ = _calibration(prob, sol.x, s2, bench_disp, calibrate, at=sol.x - shift)
        # undoing a compression stretches the noise too: the spread is scaled by 1 - d bias / d capability (the slope
        # of the bias across models, clipped to [0, 0.5]); the bias estimate's own Monte Carlo error is added
        stretch = 1.0 - float(np.clip(np.polyfit(theta, bias_b, 1)[0], -0.5, 0.0)) if theta.size > 2 else 1.0
        theta = theta - bias_b
        se_theta = np.sqrt((np.maximum(se_theta, sd_b) * stretch) ** 2 + bias_b**2 + sd_b**2 / calibrate)
    model = IRTModel(
        benchmarks=tuple(names[j] for j in cols),
        difficulties=tuple(float(v) for v in d),
        slopes=tuple(float(v) for v in a),
        difficulty_se=tuple(float(v) for v in se_d),
        slope_se=tuple(float(v) for v in se_a),
        unit_scale=tuple(unit_scale[j] for j in cols),
        anchor=names[cols[a_local]],
        dispersion=s2,
        benchmark_dispersion=tuple(float(v) for v in bench_disp),
        n_obs=int(prob.m),
        n_models=int(rows.size),
        ridge=float(prob.ridge),
        prior_sd=float(prior_sd),
        converged=bool(sol.status > 0),
        min_benchmarks=min_benchmarks,
        chance=tuple(float(v) for v in floor),
        calibrated=bool(with_se and calibrate > 0),
        _item_cov=item_cov,
    )
    return IRTFit(model, theta.copy(), se_theta, rows, cols, drop_m, drop_b, int(sol.nfev))


def _check_fit_input(y: np.ndarray, prior_sd: float, source: str) -> None:
    """Refuse a non-positive prior SD and scores outside 0-1."""
    if not prior_sd > 0:
        raise InputError(f"prior_sd: {prior_sd!r} must be > 0")
    finite = y[~np.isnan(y)]
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        raise InputError(
            f"{source}: scores for the logistic capability model must lie in 0-1 (got {finite.min():g}..{finite.max():g})"
        )


def _entering(
    y: np.ndarray, names: list[str], min_benchmarks: int, min_models: int, source: str
) -> tuple[np.ndarray, np.ndarray, dict[int, str], dict[int, str]]:
    """The models and benchmarks that enter the fit (:func:`select`), refusing too few or too many of them."""
    rows, cols, drop_m, drop_b = select(~np.isnan(y), min_benchmarks, min_models)
    if rows.size < 5 or cols.size < 2:
        why = "; ".join(f"{names[j]}: {r}" for j, r in list(drop_b.items())[:5])
        raise InsufficientDataError(
            f"{source}: only {rows.size} model(s) with >= {min_benchmarks} benchmarks and {cols.size} benchmark(s) with >= "
            f"{min_models} such models remain; the capability model needs at least 5 models and 2 benchmarks"
            + (f" (dropped benchmarks: {why})" if why else "")
        )
    if cols.size > MAX_BENCHMARKS:
        raise InputError(
            f"{source}: {cols.size} benchmarks enter the capability model; at most {MAX_BENCHMARKS} are supported "
            "(name the capability benchmarks with --capabilities)"
        )
    return rows, cols, drop_m, drop_b


def _anchor_column(
    sub: np.ndarray, cols: np.ndarray, anchor: int | None, drop_b: dict[int, str], names: list[str], source: str
) -> int:
    """Position among the kept columns ``cols`` of the anchor benchmark (default: the one with most models, first on ties)."""
    if anchor is None:
        counts = (~np.isnan(sub)).sum(axis=0)
        return int(np.argmax(counts))
    if anchor not in cols:
        why = drop_b.get(anchor, "dropped")
        raise InputError(f"{source}: anchor benchmark {names[anchor]!r} does not enter the fit ({why})")
    return int(np.flatnonzero(cols == anchor)[0])


def _fit_two_stages(
    sub: np.ndarray, a_local: int, prior_sd: float, source: str, floor: np.ndarray | None = None
) -> tuple[_Problem, _Solution, np.ndarray, int]:
    """The two-stage MAP fit: ``(stage-2 problem, solution, each benchmark's dispersion, residual df)``.

    Stage 1 is nearly unregularised (``DEFAULT_RIDGE``) and estimates each
    benchmark's dispersion; stage 2, started at stage 1's optimum, weights
    each benchmark's cells by 1 / its dispersion with the ridge 1 / prior_sd^2.
    The solution's ``nfev`` counts both stages.
    """
    prob = _Problem(sub, a_local, DEFAULT_RIDGE, floor=floor)
    if prob.m <= prob.n_par:
        raise InsufficientDataError(
            f"{source}: {prob.m} observed scores for {prob.n_par} parameters; the capability model needs more scores than "
            "parameters (more benchmarks per model)"
        )
    theta0, d0, l0 = _initial(sub, a_local, floor)
    df = prob.m - prob.n_par
    sol = _solve(prob, prob.pack(theta0, d0, l0))
    # Stage 2: each benchmark's cells weighted by 1 / its dispersion (Pearson chi^2 per residual degree of
    # freedom, the df shared out in proportion to its cells), so the likelihood is on the scale of the data's
    # noise; the prior N(0, prior_sd^2) on every parameter is then a ridge of 1 / prior_sd^2.
    bench_disp = _bench_dispersion(sol.fun, prob.jj, sub.shape[1], df / prob.m)
    ridge = 1.0 / prior_sd**2
    prob = _Problem(sub, a_local, ridge, 1.0 / bench_disp, floor)
    sol2 = _solve(prob, sol.x)
    return prob, _Solution(sol2.x, sol2.fun, sol.nfev + sol2.nfev, sol2.status), bench_disp, df


def _fit_standard_errors(
    prob: _Problem, x: np.ndarray, s2: float, a: np.ndarray, a_local: int, n_rows: int, with_se: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """SEs of the capabilities, difficulties and slopes (anchor's 0), and the benchmarks' parameter covariance.

    The covariance is of every benchmark's (difficulty, log slope), anchor
    rows and columns 0 (for scoring new rows). Without ``with_se``: NaN SEs
    and no covariance.
    """
    kk = prob.k
    se_theta = np.full(n_rows, np.nan)
    se_d = np.full(kk, np.nan)
    se_a = np.full(kk, np.nan)
    if not with_se:
        return se_theta, se_d, se_a, None
    theta_var, icov = covariance(prob, x, s2)
    nf = prob.free.size
    se_theta = np.sqrt(np.clip(theta_var, 0, None))
    dg = np.sqrt(np.clip(np.diag(icov), 0, None))
    se_d[prob.free] = dg[:nf]
    se_a[prob.free] = dg[nf:] * a[prob.free]  # delta method: d slope = slope * d log_slope
    se_d[a_local] = se_a[a_local] = 0.0
    item_cov = np.zeros((2 * kk, 2 * kk))
    where = np.concatenate([prob.free, kk + prob.free])
    item_cov[np.ix_(where, where)] = icov
    return se_theta, se_d, se_a, item_cov


def _calibration(
    prob: _Problem, x: np.ndarray, s2: float, bench_disp: np.ndarray, reps: int, at: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A parametric bootstrap of the joint fit: ``(sd, bias, shift)``.

    ``reps`` tables are drawn from the parameters ``at`` (default: the fit
    ``x``; each observed cell the share of ``1 / dispersion`` binomial items
    right, so its variance is the fitted quasi-binomial one; floors included)
    and refitted, starting there, with the fit's weights, prior and floors
    (benchmark parameters refitted too, so their uncertainty enters).
    ``sd``: SD of each model's capability over the refits; ``bias``: their
    mean minus ``at``'s capability (the shrinkage and incidental-parameter
    bias of a model linked through few, saturated or chance-floored
    benchmarks); ``shift``: the same for every parameter. Refits whose slopes
    diverge are left out. Seeded (``CALIBRATION_SEED``): the fit stays
    deterministic.
    """
    at = x if at is None else at
    rng = np.random.default_rng(CALIBRATION_SEED)
    pr, _, _, _ = prob.predicted(at)
    phi = s2 * np.asarray(bench_disp)[prob.jj]
    items = np.clip(np.round(1.0 / np.maximum(phi, 1e-6)), 1, 100_000).astype(np.int64)
    nf = prob.free.size
    draws = np.full((reps, x.size), np.nan)
    for r in range(reps):
        yr = rng.binomial(items, pr) / items
        # warm-started at the truth: 8 damped Gauss-Newton steps reach the refit's optimum to ~0.01 logits
        sol = _solve(prob.with_y(yr), at, max_iter=8, tol=1e-3)
        if np.isfinite(sol.x).all() and np.abs(sol.x[prob.n + nf :]).max(initial=0.0) < 10:  # a diverged slope: left out
            draws[r] = sol.x
    draws = draws[np.isfinite(draws).all(axis=1)]
    if len(draws) < 2:
        return np.zeros(prob.n), np.zeros(prob.n), np.zeros(x.size)
    shift = draws.mean(axis=0) - at
    return draws[:, : prob.n].std(axis=0, ddof=1), shift[: prob.n], shift


def _bench_dispersion(pearson: np.ndarray, jj: np.ndarray, k: int, df_share: float) -> np.ndarray:
    """Each benchmark's dispersion: sum of its squared Pearson residuals / (its cells x residual df per cell)."""
    chi2 = np.bincount(jj, weights=pearson**2, minlength=k)
    cells = np.bincount(jj, minlength=k)
    disp = chi2 / np.maximum(cells * df_share, 1e-12)
    pooled = float(chi2.sum() / max(cells.sum() * df_share, 1e-12))
    return np.clip(disp, max(pooled * 1e-3, 1e-12), None)


def covariance(prob: _Problem, p: np.ndarray, s2: float) -> tuple[np.ndarray, np.ndarray]:
    """Dispersion x inverse (Fisher information + ridge): the capabilities' variances and the benchmarks' covariance.

    The capability block of the information matrix is diagonal, so a Schur
    complement leaves only the benchmarks' block (2 x free benchmarks square)
    to invert. Returns ``(theta_var (n,), item_cov (q, q))`` with ``q`` = 2 x
    free benchmarks (difficulties first, then log slopes): memory grows as
    models x benchmarks, never as models^2.
    """
    _, amat, bmat, cmat, _, _ = _blocks(prob, p)
    ainv_b = bmat / amat[:, None]
    s_inv = np.linalg.pinv(cmat - bmat.T @ ainv_b, hermitian=True)
    theta_var = 1.0 / amat + np.einsum("iq,qr,ir->i", ainv_b, s_inv, ainv_b)
    return s2 * theta_var, s2 * s_inv


def score_rows(
    y: np.ndarray,
    d: np.ndarray,
    a: np.ndarray,
    *,
    dispersion: float,
    weights: np.ndarray | None = None,
    ridge: float = DEFAULT_RIDGE,
    item_cov: np.ndarray | None = None,
    anchor: int = 0,
    min_benchmarks: int = MIN_BENCHMARKS,
    iterations: int = 200,
    floor: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capability and SE of each row of ``y`` (0-1 scores, NaN = missing) with the benchmarks fixed.

    Vectorised damped Fisher scoring over all rows at once (the fit's
    regularised quasi-binomial likelihood, one parameter per row). The SE is
    ``sqrt(dispersion / (sum v a^2 + ridge))`` plus, when ``item_cov``
    (covariance of the difficulties and log slopes, anchor entries 0) is
    given, the delta-method variance from the benchmarks' own uncertainty.
    ``floor``: each benchmark's guessing floor (0-1; default none). Rows
    with fewer than ``min_benchmarks`` scores get NaN. Returns ``(theta, se,
    n_benchmarks)``.
    """
    tol = 1e-10
    y = np.atleast_2d(np.asarray(y, dtype=float))
    obs = ~np.isnan(y)
    n_b = obs.sum(axis=1)
    wb = np.ones(y.shape[1]) if weights is None else np.asarray(weights, dtype=float)
    c = np.zeros(y.shape[1]) if floor is None else np.asarray(floor, dtype=float)
    yz = np.where(obs, y, 0.0)
    ya = (yz - c) / (1.0 - c)
    z = np.log(np.clip(ya, 0.02, 0.98) / (1 - np.clip(ya, 0.02, 0.98)))
    theta = np.where(n_b > 0, (np.where(obs, z / a + d, 0.0)).sum(axis=1) / np.maximum(n_b, 1), 0.0)

    def parts(th: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sg = _sigmoid(a * (th[:, None] - d[None, :]))
        pr = c + (1.0 - c) * sg
        dp = (1.0 - c) * sg * (1.0 - sg)
        return pr, dp, np.clip(pr * (1.0 - pr), 1e-12, None)

    active = np.arange(theta.size)
    for _ in range(iterations):  # Newton steps on the rows not yet converged
        th, ob = theta[active], obs[active]
        p, dp, v = parts(th)
        grad = np.where(ob, wb * a * (p - yz[active]) * dp / v, 0.0).sum(axis=1) + ridge * th
        hess = np.where(ob, wb * a * a * dp * dp / v, 0.0).sum(axis=1) + ridge
        step = np.clip(grad / hess, -1.0, 1.0)
        theta[active] = th - step
        active = active[np.abs(step) >= tol]
        if not active.size:
            break
    u = theta[:, None] - d[None, :]
    p, dp, v = parts(theta)
    w = np.where(obs, wb * a * a * dp * dp / v, 0.0)
    hess = w.sum(axis=1) + ridge
    var = dispersion / hess
    if item_cov is not None:
        # implicit function theorem on the score equation sum_b a_b (p_b - y_b) + ridge * theta = 0:
        # d theta / d difficulty_b = w_b / hess ; d theta / d log slope_b = -w_b u_b / hess
        g = np.concatenate([w, -w * u], axis=1) / hess[:, None]
        var = var + np.einsum("iq,qr,ir->i", g, item_cov, g)
    ok = n_b >= min_benchmarks
    return np.where(ok, theta, np.nan), np.where(ok, np.sqrt(var), np.nan), n_b


@_one_blas_thread
def bootstrap_refits(
    y: np.ndarray, n_boot: int, *, seed: int = 0, anchor: int | None = None, prior_sd: float = DEFAULT_PRIOR_SD
) -> np.ndarray:
    """Capabilities of the input rows in ``n_boot`` refits on models resampled with replacement.

    Each refit starts from the full fit (warm start) and keeps the full fit's
    anchor. Returns ``(n_boot, n_models)``: a model's capability in a
    resample (the mean over its copies; NaN when it was not drawn or did not
    enter the fit). Used to check the curvature SEs and to time refits.
    """
    y = np.asarray(y, dtype=float)
    full = fit_irt(y, anchor=anchor, prior_sd=prior_sd, with_se=False)
    ridge = full.model.ridge  # the full fit's prior strength and benchmark weights, kept in every refit
    wfull = np.ones(y.shape[1])
    wfull[full.kept_cols] = 1.0 / np.asarray(full.model.benchmark_dispersion)
    anchor_col = int(full.kept_cols[full.model.benchmarks.index(full.model.anchor)])
    rng = np.random.default_rng(seed)
    n = y.shape[0]
    out = np.full((n_boot, n), np.nan)
    theta_full = np.full(n, np.nan)
    theta_full[full.kept_rows] = full.capabilities
    for bi in range(n_boot):
        idx = rng.integers(0, n, size=n)
        yb = y[idx]
        try:
            rows, cols, _, _ = select(~np.isnan(yb), MIN_BENCHMARKS, MIN_MODELS_PER_BENCHMARK)
            if anchor_col not in cols or rows.size < 5:
                continue
            sub = yb[np.ix_(rows, cols)]
            a_local = int(np.flatnonzero(cols == anchor_col)[0])
            prob = _Problem(sub, a_local, ridge, wfull[cols])
            fd = dict(zip(full.kept_cols, full.model.difficulties))
            fl = dict(zip(full.kept_cols, np.log(full.model.slopes)))
            d0 = np.array([fd.get(c, 0.0) for c in cols])
            l0 = np.array([fl.get(c, 0.0) for c in cols])
            t0 = np.nan_to_num(theta_full[idx[rows]])
            sol = _solve(prob, prob.pack(t0, d0, l0))
        except (InsufficientDataError, ValueError):
            continue
        theta, _, _ = prob.unpack(sol.x)
        src = idx[rows]
        sums = np.bincount(src, weights=theta, minlength=n)
        cnt = np.bincount(src, minlength=n)
        out[bi] = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
    return out
