"""The paper's capability direction: PC1 of the capability benchmarks (one implementation of the capability model).

Kept apart from :mod:`safetywashing.commands._analyze` so that imputation, the
sensitivity analysis and every command can use it without importing the
analysis (no import cycle). The sparse-table alternative is
:mod:`safetywashing.capability._irt`; :mod:`safetywashing.capability._model` puts both behind
one interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from .._util.errors import InputError, InsufficientDataError
from .._util.stats import _check_method, corr_matrix, top_components, zscore
from ..sources._matrix import ScoreMatrix

if TYPE_CHECKING:
    from ._claim_draws import ClaimDraws

MIN_MODELS = 5


@dataclass(frozen=True)
class CapabilityDirection:
    """The capability direction of a panel: what places any model in its coordinates.

    A model's capabilities score is ``s(x) = sum_j w_j (x_j - mu_j) / sigma_j``
    over the capability benchmarks ``j``, with the panel means ``mu``,
    population SDs ``sigma`` (ddof=0, over every model that has the benchmark)
    and PC1 loadings ``w`` (unit length, largest-magnitude entry positive).
    Higher score = more capable; the panel's scores have mean about 0.
    """

    benchmarks: tuple[str, ...]
    means: tuple[float, ...]
    sds: tuple[float, ...]
    loadings: tuple[float, ...]
    eigenvalues: tuple[float, ...]
    method: str
    n_complete: int
    kind: str = "pca"

    #: a row needs every capability benchmark (missing cells can be filled first by ``impute``)
    needs_complete_rows: ClassVar[bool] = True
    can_impute: ClassVar[bool] = True
    #: the paper's own score: outputs need not restate what it is
    paper_method: ClassVar[bool] = True
    #: scores carry no standard error of their own (NaN): the direction's uncertainty is what bootstraps recompute
    has_score_se: ClassVar[bool] = False
    short_description: ClassVar[str] = "PC1 of its capability benchmarks"
    #: how an analysis bootstrap treats the model: PC1 is refitted inside every resample (:meth:`resample_engine`)
    resampling: ClassVar[str] = "refit"
    axis_label: ClassVar[str] = "Capabilities score (PC1, z units; higher = more capable)"
    #: how an audit's fixed-direction bootstrap treats each model's score: an exact function of its row
    resampling_text: ClassVar[str] = "percentile bootstrap over the audited models, panel capability direction fixed"
    #: the interval the fixed-direction resamples give (see :func:`safetywashing.inference.interval_from_draws`)
    fixed_interval: ClassVar[str] = "percentile"

    @property
    def component_shares(self) -> tuple[float, ...]:
        """Share of the capability benchmarks' variance of each principal component (PC1 first)."""
        return self.variance_explained

    def label(self, n_scored: int) -> str:
        """A few words for a table's heading: PC1 and its share of the variance."""
        return f"PC1 of {len(self.benchmarks)} capability benchmarks, {self.variance_explained[0]:.1%} of their variance"

    def far_from_panel(self, rows: pd.DataFrame, limit: float = 6.0) -> list[str]:
        """Rows (with their most extreme benchmark) whose capability values lie more than ``limit`` panel SDs away.

        A sign of other units (percent where the panel has fractions).
        """
        z = (rows[list(self.benchmarks)].to_numpy(float) - np.asarray(self.means)) / np.asarray(self.sds)
        return [f"{n} ({self.benchmarks[int(np.argmax(np.abs(zz)))]})" for n, zz in zip(rows.index, z)
                if np.abs(zz).max() > limit]

    def draw_scores(self, scores: np.ndarray, se: np.ndarray, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Scores of the resampled rows ``idx`` (``(B, n)``) with the direction fixed: exact, no draw (``rng`` unused)."""
        return np.asarray(scores, dtype=float)[idx]

    def missing_for_score(self, columns: Any) -> list[str]:
        """Capability benchmarks a table with ``columns`` lacks that every row needs for a score."""
        return [c for c in self.benchmarks if c not in set(columns)]

    def resample_engine(self, x: np.ndarray, cap_idx: list[int], method: str) -> Any:
        """The engine that refits this model inside weighted resamples of the rows of ``x`` (``(n, p)``).

        ``cap_idx``: the capability columns of ``x``. Its ``run(counts)`` gives
        every column's correlation with the resample's own PC1 score
        (:mod:`safetywashing.capability._pca_engine`).
        """
        from ._pca_engine import make_engine

        return make_engine(x, cap_idx, method)

    def leave_groups_out(self, x: np.ndarray, cap_idx: list[int], method: str, labels: np.ndarray, groups: int,
                         x_order: np.ndarray | None = None) -> Any:
        """The grouped jackknife of :meth:`resample_engine`'s analysis: each group of ``labels`` (``(n,)``, values
        ``0..groups-1``) left out in turn, as its ``run`` on the weight vectors ``labels != g`` gives it
        (:mod:`safetywashing.capability._pca_groups`: the full ranks downdated, no re-ranking). None for Pearson
        (the caller runs the engine). ``x_order``: the columns' sort, if already done."""
        if method != "spearman":
            return None
        from ._pca_groups import leave_groups_out

        return leave_groups_out(x, cap_idx, labels, groups, x_order)

    def refit_without(self, matrix: ScoreMatrix, left_out: str) -> np.ndarray:
        """Scores ``(n,)`` of ``matrix``'s models from the direction refitted without capability benchmark ``left_out``.

        Raises the fit's own errors (e.g. too few complete models) for the caller to skip.
        """
        _, scores, _ = capability_direction(matrix, [b for b in self.benchmarks if b != left_out], self.method)
        return scores.to_numpy()

    def refit_without_each(self, matrix: ScoreMatrix) -> dict[str, np.ndarray | None]:
        """:meth:`refit_without` for every capability benchmark in turn: left-out id -> scores ``(n,)``, None where
        the fit fails (the errors :meth:`refit_without` raises).

        When leaving a benchmark out changes no model's completeness (no model lacks that benchmark alone), the
        refit's z-scores and complete models are the full fit's, so its correlation matrix is the full matrix
        without that row and column: the capability columns are ranked once for all refits instead of once per
        refit. Otherwise the plain refit. Equal to :meth:`refit_without` up to floating-point rounding.
        """
        from .._util.errors import SafetywashingError

        caps = list(self.benchmarks)
        x = matrix.scores[caps].to_numpy(dtype=float)
        absent = np.isnan(x)
        complete = ~absent.any(axis=1)
        alone = absent & (absent.sum(axis=1) == 1)[:, None]  # models lacking exactly this one benchmark
        full = None
        if len(caps) > 1 and complete.sum() >= MIN_MODELS:
            z, _, sd = zscore(x)
            if (sd > 0).all():
                full = (z, corr_matrix(z[complete], self.method))
        out: dict[str, np.ndarray | None] = {}
        for j, c in enumerate(caps):
            if full is not None and not alone[:, j].any():
                keep = [i for i in range(len(caps)) if i != j]
                sub = full[1][np.ix_(keep, keep)]
                if not np.isnan(sub).any():
                    _, w = top_components(sub)
                    out[c] = np.where(complete, np.nan_to_num(full[0][:, keep]) @ w, np.nan)
                    continue
            try:
                out[c] = self.refit_without(matrix, c)
            except SafetywashingError:
                out[c] = None
        return out

    def mean_intercorrelation(self, frame: pd.DataFrame, scored: np.ndarray, method: str) -> float:
        """Mean off-diagonal correlation of the capability columns of ``frame`` over the scored (complete) rows."""
        k = len(self.benchmarks)
        c = corr_matrix(zscore(frame[list(self.benchmarks)].to_numpy(dtype=float))[0][scored], method)
        return float((c.sum() - k) / (k * (k - 1)))

    def dropped_sentence(self, dropped: list[str], reasons: dict[str, str], imputed: bool) -> str:
        """One note naming the models without a score (at most 20 by name; all are in ``dropped_models``)."""
        return (
            f"{len(dropped)} model(s) lack some capability benchmark and have no capabilities score: "
            + ", ".join(dropped[:20])
            + (f" ... and {len(dropped) - 20} more (all in dropped_models)" if len(dropped) > 20 else "")
            + ("" if imputed else " (--impute fills them by low-rank PCA)")
        )

    @property
    def min_benchmarks(self) -> int:
        """A row needs every capability benchmark to get a score."""
        return len(self.benchmarks)

    def describe(self) -> str:
        """One sentence: what the capabilities score is."""
        return (
            f"PC1 of {len(self.benchmarks)} z-scored capability benchmarks ({self.method} correlation matrix over "
            f"{self.n_complete} complete models; {self.variance_explained[0]:.1%} of their variance)"
        )

    def score_se(self, capability_scores: pd.DataFrame) -> pd.DataFrame:
        """:meth:`score` with the capability-model interface's columns.

        ``capabilities_score_se`` is NaN: a PCA score is an exact linear
        function of the row; ``n_benchmarks`` counts the row's capability
        benchmarks.
        """
        s = self.score(capability_scores.reindex(columns=list(self.benchmarks)))
        n = capability_scores.reindex(columns=list(self.benchmarks)).notna().sum(axis=1)
        return pd.DataFrame({"capabilities_score": s, "capabilities_score_se": np.nan, "n_benchmarks": n})

    @property
    def variance_explained(self) -> tuple[float, ...]:
        """Share of the total variance of each component (eigenvalue / sum)."""
        ev = np.asarray(self.eigenvalues)
        return tuple(float(v) for v in ev / ev.sum())

    def score(self, capability_scores: pd.DataFrame) -> pd.Series:
        """Capabilities scores of the rows of ``capability_scores`` in these coordinates.

        The frame must carry every capability benchmark column (in the panel's
        units and orientation); a row with any of them missing gets NaN.
        """
        missing = [b for b in self.benchmarks if b not in capability_scores.columns]
        if missing:
            raise InputError(f"missing capability benchmark column(s): {', '.join(missing)}")
        x = capability_scores[list(self.benchmarks)].to_numpy(dtype=float)
        z = (x - np.asarray(self.means)) / np.asarray(self.sds)
        return pd.Series(z @ np.asarray(self.loadings), index=capability_scores.index, name="capabilities_score")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["variance_explained"] = list(self.variance_explained)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

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
        """Bootstrap draws of a claim's fit: the direction (mu, sigma, w), scores and fit recomputed in every resample.

        Arguments as :meth:`CapabilityModel.claim_draws <safetywashing.capability._model.CapabilityModel.claim_draws>`.
        """
        from ._claim_draws import bootstrap_claim

        return bootstrap_claim(caps, y, before, after, n_bootstrap=n_bootstrap, seed=seed, method=method, progress=progress,
                               min_models=MIN_MODELS)



def capability_direction(
    matrix: ScoreMatrix, capabilities: list[str] | None = None, method: str = "spearman"
) -> tuple[CapabilityDirection, pd.Series, list[str]]:
    """Extract the capability direction and every model's capabilities score.

    Steps (the paper's): z-score every capability column over all models with
    a value (ddof=0); take the correlation matrix of those columns over models
    with all of them; its top eigenvector (largest-magnitude entry positive) is
    the direction; score = z-scored row . eigenvector.

    Returns ``(direction, scores, dropped)``: ``scores`` has NaN for models
    missing any capability benchmark, listed in ``dropped``.
    """
    _check_method(method)
    caps = matrix.resolve_capabilities(capabilities)
    src = matrix.source or matrix.name
    if matrix.n_models < MIN_MODELS:
        raise InsufficientDataError(
            f"{src}: {matrix.n_models} model(s); at least {MIN_MODELS} are needed for a capabilities analysis"
        )
    x = matrix.scores[caps].to_numpy(dtype=float)
    z, mean, sd = zscore(x)
    const = [c for c, s in zip(caps, sd) if not s > 0]
    if const:
        raise InputError(
            f"{src}: capability column(s) {', '.join(repr(c) for c in const)} are constant; "
            "a constant benchmark carries no capability signal: drop it from --capabilities"
        )
    complete = ~np.isnan(x).any(axis=1)
    dropped = matrix.scores.index[~complete].tolist()
    if complete.sum() < MIN_MODELS:
        raise InsufficientDataError(
            f"{src}: only {int(complete.sum())} model(s) have all {len(caps)} capability benchmarks; "
            f"at least {MIN_MODELS} are needed (incomplete: {', '.join(dropped[:8])}{'...' if len(dropped) > 8 else ''}); "
            "for a sparse table use the logistic capability model (--score-method irt; score_method=\"irt\" in Python), "
            "which needs any 3 capability benchmarks per model"
        )
    c = corr_matrix(z[complete], method)
    if np.isnan(c).any():
        raise InputError(f"{src}: a capability column is constant over the complete models; drop it from --capabilities")
    vals, w = top_components(c)
    direction = CapabilityDirection(
        benchmarks=tuple(caps),
        means=tuple(float(v) for v in mean),
        sds=tuple(float(v) for v in sd),
        loadings=tuple(float(v) for v in w),
        eigenvalues=tuple(float(v) for v in vals),
        method=method,
        n_complete=int(complete.sum()),
    )
    scores = pd.Series(np.where(complete, np.nan_to_num(z) @ w, np.nan), index=matrix.scores.index, name="capabilities_score")
    return direction, scores, dropped
