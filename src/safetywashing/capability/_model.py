"""The capability model: one concept, two implementations.

A *capability model* turns a models x capability-benchmarks table into one
capabilities score per model (higher = more capable). Every command uses it
through :func:`fit_capability_model`, which returns a :class:`CapabilityFit`:

* ``fit.model`` -- what places any row in the fitted coordinates:
  ``score(frame)``, ``score_se(frame)`` (score, standard error, number of
  benchmarks used), ``describe()`` (one sentence), ``to_dict()``, ``kind``
  (``"pca"`` or ``"irt"``), ``benchmarks`` and ``min_benchmarks`` (how many of
  them a row needs);
* ``fit.scores`` / ``fit.se`` -- every model of the table (NaN = unscored);
* ``fit.dropped`` / ``fit.drop_reasons`` -- the models without a score, and why;
  ``fit.analysis_notes()`` -- the notes an analysis states about the fit.

Everything that differs between the implementations is a member of the model
(see :class:`CapabilityModel`): commands, inference and presentation ask the
model and never compare its name (``kind`` is only written to outputs).

Implementations:

``"pca"`` (default, the paper's)
    :class:`~safetywashing.CapabilityDirection`: PC1 of the z-scored
    capability benchmarks over the models that have all of them. A score is an
    exact linear function of a complete row, so it has no standard error of
    its own (``se`` is NaN; the uncertainty of the direction is what the
    commands' bootstraps recompute).
``"irt"`` (sparse tables)
    :class:`~safetywashing.capability._irt.IRTModel`: the logistic item-response model
    ``score = sigmoid(slope_b (capability_m - difficulty_b))`` of
    :mod:`safetywashing.capability._irt`; a model needs any 3 of the benchmarks; every
    score has a standard error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, Union, runtime_checkable

import numpy as np
import pandas as pd

from .._util.errors import InputError
from ..sources._matrix import ScoreMatrix
from ._irt import IRTModel, fit_irt, unit_scales
from ._irt import draw_normal_scores as draw_scores  # the logistic model's draws, for callers holding arrays
from ._pca import CapabilityDirection, capability_direction

if TYPE_CHECKING:
    from ._claim_draws import ClaimDraws

SCORE_METHODS = ("pca", "irt")


@runtime_checkable
class CapabilityModel(Protocol):
    """What every fitted capability model offers (see the module docstring).

    Everything that differs between the implementations is asked of the model,
    never decided from its name: whether a row needs every benchmark
    (``needs_complete_rows``, ``missing_for_score``), whether gaps may be
    imputed (``can_impute``), whether it is the paper's own score
    (``paper_method``; any other states what it is in the notes), whether
    its scores carry standard errors (``has_score_se``), its principal-component shares
    (``component_shares``, empty for models without components), how a score
    varies inside a bootstrap resample with the model fixed (``draw_scores``)
    and which interval that gives (``fixed_interval``, ``resampling_text``),
    and how it is labelled (``label``, ``axis_label``, ``describe``).
    """

    kind: str
    benchmarks: tuple[str, ...]
    needs_complete_rows: bool
    can_impute: bool
    paper_method: bool
    has_score_se: bool
    short_description: str
    axis_label: str
    resampling_text: str
    fixed_interval: str

    @property
    def min_benchmarks(self) -> int: ...  # noqa: D102

    @property
    def component_shares(self) -> tuple[float, ...]: ...  # noqa: D102

    def label(self, n_scored: int) -> str: ...  # noqa: D102

    def far_from_panel(self, rows: pd.DataFrame, limit: float = 6.0) -> list[str]: ...  # noqa: D102

    def draw_scores(self, scores: np.ndarray, se: np.ndarray, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...  # noqa: D102
    def claim_draws(
        self, caps: np.ndarray, scores: np.ndarray, se: np.ndarray, y: np.ndarray, before: np.ndarray, after: np.ndarray,
        before_score: tuple[float, float], after_score: tuple[float, float], *, n_bootstrap: int, seed: int | None,
        method: str, progress: Callable[[int], None] | None = None,
    ) -> ClaimDraws:
        """Bootstrap draws of a claim's fit, the scores varying in each resample as this model does.

        Arguments (the same for every capability model; each uses what it needs): ``caps`` ``(n, k)`` the panel's
        capability columns, ``scores``/``se`` ``(n,)`` the panel's capabilities scores and their SEs, ``y`` ``(n,)``
        the claimed benchmark's values (NaN = missing), ``before``/``after`` ``(k,)`` the two claim rows' capability
        values and ``before_score``/``after_score`` their (score, SE); ``n_bootstrap`` resamples from ``seed``;
        ``method`` the correlation of a direction; ``progress(k)`` (or None) hears of resamples done. Returns a
        :class:`~safetywashing.capability._claim_draws.ClaimDraws`.
        """
        ...

    def missing_for_score(self, columns: Any) -> list[str]: ...  # noqa: D102

    def score(self, frame: pd.DataFrame) -> pd.Series: ...  # noqa: D102

    def score_se(self, frame: pd.DataFrame) -> pd.DataFrame: ...  # noqa: D102

    def describe(self) -> str: ...  # noqa: D102

    def to_dict(self) -> dict[str, Any]: ...  # noqa: D102


AnyCapabilityModel = Union[CapabilityDirection, IRTModel]

#: score-method name -> the model class that implements it (the only place a name picks an implementation)
MODELS: dict[str, type] = {"pca": CapabilityDirection, "irt": IRTModel}


def model_class(score_method: str) -> type:
    """The capability model class behind ``score_method`` (its class attributes say what it needs and allows)."""
    return MODELS[check_score_method(score_method)]


def axis_label(score_method: str | None) -> str:
    """Axis label of the capabilities score of ``score_method`` (the paper's PCA when None)."""
    return MODELS.get(score_method or "pca", CapabilityDirection).axis_label


@dataclass(frozen=True)
class CapabilityFit:
    """A capability model fitted to a table, with every model's score.

    ``scores`` and ``se`` are indexed like the table's rows (NaN = no score;
    ``se`` is NaN throughout for PCA); ``dropped`` names the unscored models
    and ``drop_reasons`` says why; ``notes`` are plain-language remarks
    (benchmarks left out, scale handling).
    """

    model: AnyCapabilityModel
    scores: pd.Series
    se: pd.Series
    dropped: tuple[str, ...] = ()
    drop_reasons: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    table_capabilities: tuple[str, ...] = ()

    def analysis_notes(self, imputed: bool = False) -> list[str]:
        """The fit's notes, what the score is (for a model other than the paper's) and which models it left unscored."""
        out = list(self.notes)
        if not self.model.paper_method:
            out.append(f"capabilities score: {self.model.describe()}")
        if self.dropped:
            out.append(self.model.dropped_sentence(list(self.dropped), self.drop_reasons, imputed))
        return out

    @property
    def kind(self) -> str:
        """``"pca"`` or ``"irt"``."""
        return self.model.kind

    @property
    def benchmarks(self) -> tuple[str, ...]:
        """The capability benchmarks the score is built from."""
        return tuple(self.model.benchmarks)

    def to_frame(self) -> pd.DataFrame:
        """One row per model: ``capabilities_score``, ``capabilities_score_se``, ``dropped_reason``."""
        return pd.DataFrame(
            {
                "capabilities_score": self.scores,
                "capabilities_score_se": self.se,
                "dropped_reason": pd.Series(self.drop_reasons, dtype=object).reindex(self.scores.index),
            }
        )


def default_score_method(panel: str | None) -> str:
    """``"irt"`` for a sparse embedded panel (``frontier``), else ``"pca"`` (the paper's)."""
    from ..sources._panels import is_sparse_panel

    return "irt" if panel is not None and is_sparse_panel(panel) else "pca"


def check_score_method(score_method: str) -> str:
    """Validate a ``score_method`` (raise :class:`InputError` listing the choices)."""
    if score_method not in SCORE_METHODS:
        raise InputError(f"--score-method: {score_method!r} is not one of: {', '.join(SCORE_METHODS)}")
    return score_method


def score_method_for(value: str | None, panel: str | None) -> str:
    """The capability model for ``--score-method value`` on embedded ``panel`` (None = a user's table).

    ``None`` takes the panel's default (:func:`default_score_method`); a model
    that needs complete rows is refused on a sparse panel, in one line saying
    which model to use instead.
    """
    from ..sources._panels import is_sparse_panel

    method = default_score_method(panel) if value is None else check_score_method(value)
    if MODELS[method].needs_complete_rows and panel is not None and is_sparse_panel(panel):
        raise InputError(
            f"--panel {panel}: this panel is sparse (each model has only some of its benchmarks), so the paper's PCA "
            f"score, which needs every capability benchmark, cannot be computed: use --score-method "
            f"{default_score_method(panel)} (its default)"
        )
    return method


def resolve_score_method(score_method: str | None, matrix: ScoreMatrix) -> str:
    """``score_method``, or when None the default the CLI takes: ``"irt"`` for a sparse embedded panel, else ``"pca"``."""
    if score_method is not None:
        return check_score_method(score_method)
    embedded = str(matrix.source).startswith("embedded panel")
    return default_score_method(matrix.name if embedded else None)


def fit_capability_model(
    matrix: ScoreMatrix,
    capabilities: list[str] | None = None,
    method: str = "spearman",
    score_method: str | None = None,
    *,
    anchor: str | None = None,
) -> CapabilityFit:
    """Fit the capability model ``score_method`` (``"pca"`` or ``"irt"``) to ``matrix``'s capability benchmarks.

    ``method`` is the correlation of the PCA direction (ignored by ``irt``);
    ``anchor`` the benchmark that fixes the ``irt`` scale (default: the one
    with the most models). ``score_method`` None: :func:`resolve_score_method`'s default (the CLI's).
    """
    score_method = resolve_score_method(score_method, matrix)
    if score_method == "irt":  # the one place a name picks a fit (capability/ owns the names)
        return _fit_irt_matrix(matrix, capabilities, anchor)
    return _fit_pca_matrix(matrix, capabilities, method)


def _fit_pca_matrix(matrix: ScoreMatrix, capabilities: list[str] | None, method: str) -> CapabilityFit:
    direction, scores, dropped = capability_direction(matrix, capabilities, method)
    reasons = {m: "lacks some capability benchmark (PCA needs all of them)" for m in dropped}
    return CapabilityFit(direction, scores, pd.Series(np.nan, index=scores.index, name="capabilities_score_se"),
                         tuple(dropped), reasons, table_capabilities=tuple(direction.benchmarks))


_IRT_CACHE: dict[tuple, Any] = {}


def _fit_irt_cached(y: np.ndarray, a_idx: int | None, caps: tuple, scales: tuple, src: str, chance: tuple) -> Any:
    """:func:`fit_irt` of this exact table, remembered (the last 4 tables): the fit is deterministic and its
    calibration (a parametric bootstrap) costs a few tenths of a second, and commands refit the same panel."""
    key = (y.tobytes(), y.shape, a_idx, caps, scales, src, chance)
    if key not in _IRT_CACHE:
        if len(_IRT_CACHE) >= 4:
            _IRT_CACHE.pop(next(iter(_IRT_CACHE)))
        _IRT_CACHE[key] = fit_irt(y, anchor=a_idx, names=list(caps), unit_scale=list(scales), source=src, chance=list(chance))
    return _IRT_CACHE[key]


def _fit_irt_matrix(matrix: ScoreMatrix, capabilities: list[str] | None, anchor: str | None) -> CapabilityFit:
    src = matrix.source or matrix.name
    caps = matrix.resolve_capabilities(capabilities)
    x = matrix.scores[caps].to_numpy(dtype=float)
    meta = matrix.benchmarks
    reg_scale = [str(meta.loc[c, "scale"]) if "scale" in meta.columns and isinstance(meta.loc[c, "scale"], str) else ""
                 for c in caps]
    scales = unit_scales(x, caps, reg_scale, source=src)
    from ._irt import _apply_unit

    y = np.column_stack([_apply_unit(x[:, j], s) for j, s in enumerate(scales)]) if caps else x
    a_idx = None
    if anchor is not None:
        if anchor not in caps:
            raise InputError(f"{src}: anchor {anchor!r} is not one of the capability benchmarks ({', '.join(caps)})")
        a_idx = caps.index(anchor)
    from ..sources._registry import chance_levels

    # guessing floor of multiple-choice benchmarks (registry/chance_levels.csv); none for a lower-is-better column
    chance = [c if not s.startswith("flipped") else 0.0 for c, s in zip(chance_levels(caps), scales)]
    fit = _fit_irt_cached(y, a_idx, tuple(caps), tuple(scales), src, tuple(chance))
    idx = matrix.scores.index
    scores = pd.Series(np.nan, index=idx, name="capabilities_score")
    se = pd.Series(np.nan, index=idx, name="capabilities_score_se")
    scores.iloc[fit.kept_rows] = fit.capabilities
    se.iloc[fit.kept_rows] = fit.se
    reasons = {str(idx[i]): r for i, r in fit.dropped_models.items()}
    notes = []
    if fit.dropped_benchmarks:
        notes.append(
            f"{len(fit.dropped_benchmarks)} benchmark(s) left out of the capability model: "
            + "; ".join(f"{caps[j]} ({r})" for j, r in fit.dropped_benchmarks.items())
        )
    conv = {s: [c for c, s2 in zip(caps, scales) if s2 == s] for s in set(scales) if s != "fraction"}
    for s, cols in conv.items():
        notes.append(f"read as {s} (mapped to 0-1 for the capability model): {', '.join(cols)}")
    if not fit.model.converged:
        notes.append("the capability model's fit stopped before converging; its scores are approximate")
    # a benchmark the fit left out (too few models) stays a capability benchmark of the table
    return CapabilityFit(fit.model, scores, se, tuple(reasons), reasons, tuple(notes), tuple(caps))


__all__ = [
    "SCORE_METHODS",
    "CapabilityFit",
    "CapabilityModel",
    "check_score_method",
    "default_score_method",
    "draw_scores",
    "fit_capability_model",
]
