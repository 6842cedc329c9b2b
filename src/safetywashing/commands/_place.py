"""Place new models in a panel's coordinates: capabilities score, percentile, residuals.

"Safety beyond what its capabilities predict": a model's capabilities score
is computed with the panel's means, SDs and PC1 loadings
(:meth:`CapabilityDirection.score`); for each non-capability benchmark the
model has, the panel's OLS fit of that benchmark on the capabilities score
(:func:`_fit.fit_on_scores`) gives the predicted value, the residual and a
prediction interval for a new model, and the studentized residual (residual
over its prediction SE, leverage included: Student's t with ``n - 2`` df
under the linear model). How heavy the tails really are is measured on the
panel itself (leave-one-out studentized residuals of its own models) and
reported beside every placement.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError, InsufficientDataError, warn_all
from .._util.notebook import NotebookRepr, Summary, more, num
from .._util.stats import finite_or_none as _f
from ..capability._model import AnyCapabilityModel, fit_capability_model
from ..inference._fit import fit_on_scores, leverage, studentized_loo, tail_summary
from ..sources._matrix import ScoreMatrix
from ..sources._registry import conform_to_registry


@dataclass(frozen=True)
class ModelPlacement:
    """One model in the panel's coordinates.

    ``capabilities_score`` is in the panel's PC1 units (higher = more capable;
    the panel's own scores have mean ~0); ``percentile`` is the share of the
    ``n_panel`` panel models scoring below it (ties count half), 0-100.
    ``missing`` lists capability benchmarks the model lacks (with PCA, then
    no score; with the logistic model a score needs any 3 of them).
    ``capabilities_score_se`` is the score's standard error (logistic model;
    None for PCA, whose score is an exact function of the row).
    ``panel_model`` is the panel model the name matched (the rules of
    :func:`~safetywashing.sources._match.match_to_panel`, as ``audit``; None
    for a model the panel lacks) and ``match_rule`` the rule that matched it;
    ``score_source`` says where the score came from: ``"row"`` (the model's
    own capability benchmark values) or ``"panel"`` (a panel model whose row
    lacks them: the panel's own score for it).
    """

    model: str
    capabilities_score: float | None
    percentile: float | None
    n_panel: int
    missing: tuple[str, ...] = ()
    in_panel: bool = False
    capabilities_score_se: float | None = None
    panel_model: str | None = None
    match_rule: str | None = None
    score_source: str = "row"


@dataclass(frozen=True)
class BenchmarkPlacement:
    """One model's score on one benchmark against what its capabilities predict.

    Units are the benchmark's own (as in the panel, higher = safer / better).
    ``residual`` = value - predicted (positive = better than its capabilities
    predict); ``residual_sd`` = residual / the fit's residual SD;
    ``pi_low``/``pi_high`` = prediction interval of a new model's value at its
    capabilities score; ``n`` = panel models in the fit; ``slope`` in
    benchmark units per 1 unit of capabilities score. ``leverage`` =
    ``1/n + (s - mean s)^2 / Sxx`` of the model's score in the fit;
    ``studentized_residual`` = residual / (residual SD x sqrt(1 + leverage)),
    Student's t with ``n - 2`` df if the panel's scatter were normal (the
    panel's real tails are in :attr:`PlacementResult.tails`). For a model
    that is itself in the panel every field (``predicted``, the residuals,
    the interval, ``leverage``, ``n``, ``slope``, ``fit_resid_sd``,
    ``outside_interval`` and the studentized residual: the externally
    studentized one) comes from one fit, the panel's fit without that model,
    so ``outside_interval`` is exactly ``|studentized_residual| >`` the t
    quantile with ``n - 2`` df.
    """

    model: str
    benchmark: str
    name: str
    role: str
    area: str
    value: float
    predicted: float
    residual: float
    residual_sd: float
    pi_low: float
    pi_high: float
    n: int
    slope: float
    fit_resid_sd: float
    outside_interval: bool
    leverage: float = math.nan
    studentized_residual: float = math.nan


@dataclass(frozen=True, repr=False)
class PlacementResult(NotebookRepr):
    """Result of :func:`place`: models in a panel's coordinates and their residuals."""

    panel: str
    method: str
    level: float
    capability_benchmarks: tuple[str, ...]
    direction: AnyCapabilityModel
    models: tuple[ModelPlacement, ...]
    benchmarks: tuple[BenchmarkPlacement, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    tails: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> Summary:
        outside = sum(b.outside_interval for b in self.benchmarks)
        facts = (
            ("models", f"{len(self.models)} ({sum(m.capabilities_score is not None for m in self.models)} placed)"),
            ("comparisons", f"{len(self.benchmarks)} (model, benchmark), {outside} outside the {self.level:.0%} "
                            "prediction interval"),
        )
        rows = tuple((m.model, num(m.capabilities_score, "+.3f"), num(m.percentile, ".0f"),
                      str(sum(b.model == m.model for b in self.benchmarks)),
                      str(sum(b.model == m.model and b.outside_interval for b in self.benchmarks)))
                     for m in self.models)
        return Summary(f"in panel {self.panel!r} coordinates ({self.method})", facts,
                       ("model", "capabilities score", "percentile", "benchmarks", "outside PI"), rows,
                       ("capabilities score", "percentile", "benchmarks", "outside PI"),
                       more(len(rows), "models", ".to_frame()"), self.warnings)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (model, benchmark), model score and percentile repeated.

        A placed model without any comparable benchmark still gets one row with
        an empty ``benchmark``.
        """
        rows = []
        for m in self.models:
            own = [b for b in self.benchmarks if b.model == m.model]
            base = {
                "panel": self.panel,
                "model": m.model,
                "panel_model": m.panel_model,
                "score_source": m.score_source,
                "capabilities_score": m.capabilities_score,
                "capabilities_score_se": m.capabilities_score_se,
                "percentile": m.percentile,
                "n_panel": m.n_panel,
            }
            if not own:
                rows.append({**base, "benchmark": ""})
            for b in own:
                d = asdict(b)
                d.pop("model")
                rows.append({**base, **d})
        cols = [
            "panel",
            "model",
            "panel_model",
            "score_source",
            "capabilities_score",
            "capabilities_score_se",
            "percentile",
            "n_panel",
            "benchmark",
            "name",
            "role",
            "area",
            "value",
            "predicted",
            "residual",
            "residual_sd",
            "pi_low",
            "pi_high",
            "n",
            "slope",
            "fit_resid_sd",
            "outside_interval",
            "leverage",
            "studentized_residual",
        ]
        return pd.DataFrame(rows, columns=cols)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "panel": self.panel,
            "method": self.method,
            "score_method": self.direction.kind,
            "capability_model": self.direction.describe(),
            "level": self.level,
            "capability_benchmarks": list(self.capability_benchmarks),
            "direction": self.direction.to_dict(),
            "models": [{**asdict(m), "missing": list(m.missing)} for m in self.models],
            "benchmarks": [{k: (_f(v) if isinstance(v, float) else v) for k, v in asdict(b).items()} for b in self.benchmarks],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "tails": {k: (_f(v) if isinstance(v, float) else v) for k, v in self.tails.items()},
        }


def percentile_of(scores: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Percentile (0-100) of each of ``scores`` among ``among``: share below, ties counted half."""
    s = np.asarray(scores, dtype=float)[:, None]
    a = np.asarray(among, dtype=float)[None, :]
    a = a[:, ~np.isnan(a[0])]
    pct = 100.0 * ((a < s).sum(axis=1) + 0.5 * (a == s).sum(axis=1)) / a.shape[1]
    return np.where(np.isnan(s[:, 0]), np.nan, pct)


def settings_warnings(provenance: pd.DataFrame | None, models: list[str], capabilities: list[str]) -> tuple[list[str], list[str]]:
    """Warnings where capability benchmarks were run with settings unlike the panel's.

    The reference is the lm-eval mapping (``data/registry/lm_eval_tasks.csv``):
    the metric, filter and n-shot the panels' values correspond to.
    """
    from ..sources.ingest import lm_eval_mapping

    if provenance is None:
        return [], ["no provenance file: the run settings (shots, metric) of the capability benchmarks were not checked"]
    ref = lm_eval_mapping().drop_duplicates("benchmark").set_index("benchmark")
    need = {"model", "benchmark", "harness", "metric", "filter", "n_shot"}
    if not need <= set(provenance.columns):
        return [], [f"provenance lacks column(s) {', '.join(sorted(need - set(provenance.columns)))}: settings not checked"]
    prov = provenance[provenance["model"].isin(models) & provenance["benchmark"].isin(capabilities)]
    warns: list[str] = []
    for model, grp in prov.groupby("model", sort=True):
        diffs = []
        for _, r in grp.iterrows():
            b = r["benchmark"]
            if b not in ref.index:
                continue
            want = ref.loc[b]
            ns = pd.to_numeric(pd.Series([r["n_shot"]]), errors="coerce").iloc[0]
            want_metric = f"{want['metric']},{want['filter']}"
            if r["harness"] == "lm-eval":
                got_metric = f"{r['metric']},{r['filter']}"
                bits = []
                if got_metric != want_metric:
                    bits.append(f"metric {got_metric} (panel: {want_metric})")
                if not pd.isna(ns) and not pd.isna(want["n_shot"]) and float(ns) != float(want["n_shot"]):
                    bits.append(f"{int(ns)}-shot (panel: {int(want['n_shot'])}-shot)")
                if bits:
                    diffs.append(f"{b}: {', '.join(bits)}")
            else:
                shot = "n-shot unknown" if pd.isna(ns) else f"{int(ns)}-shot"
                diffs.append(
                    f"{b}: {r['harness']} {r['metric']}, {shot} (panel: lm-eval {want_metric}, {int(want['n_shot'])}-shot)"
                )
        if diffs:
            warns.append(f"{model}: capability benchmark(s) run with settings unlike the panel's: {'; '.join(diffs)}")
    return warns, []


@dataclass(frozen=True)
class _Scored:
    """Every model of the table in the panel's coordinates.

    ``s``/``s_se``: ``(n,)`` capabilities scores and SEs (NaN = not placed;
    SE NaN for PCA); ``ps``: the panel models' own scores (NaN = unscored);
    ``models``: one :class:`ModelPlacement` per row; ``panel_ids``: ``(n,)``
    the panel model each row matched (None = not a panel model).
    """

    s: np.ndarray
    s_se: np.ndarray
    ps: np.ndarray
    models: list[ModelPlacement]
    panel_ids: list[str | None]


def _panel_ids(matrix: ScoreMatrix, panel: ScoreMatrix, src: str, notes: list[str]) -> tuple[list[str | None], dict[str, str]]:
    """The panel model each row names (``audit``'s matching rules; None = not in the panel) and the rule per match.

    Two input names on one panel model are refused (:class:`InputError`);
    matches that filled in a date or a reasoning variant are noted.
    """
    from ._audit import _match_inputs

    mm = _match_inputs(matrix, panel, src, notes)
    return [mm.matched.get(m) for m in matrix.scores.index], dict(mm.rule)


def _score_models(
    matrix: ScoreMatrix, panel: ScoreMatrix, direction: AnyCapabilityModel, pscores: pd.Series, pse: pd.Series, src: str,
    notes: list[str],
) -> _Scored:
    """Score every model of ``matrix`` with the panel's capability model; its percentile among the panel's models.

    A row that names a panel model (:func:`_panel_ids`) and lacks the
    capability benchmarks a score needs is placed at the panel's own score
    for that model (``pscores``/``pse``); any other row is scored from its own
    capability values. Notes each model that cannot be placed (what it lacks)
    and each panel model (which id, which score); raises
    :class:`InsufficientDataError` when no model is placed.
    """
    caps = list(direction.benchmarks)
    need = direction.min_benchmarks
    pids, rules = _panel_ids(matrix, panel, src, notes)
    frame = matrix.scores.reindex(columns=caps)
    scored = direction.score_se(frame)
    s = scored["capabilities_score"].to_numpy(dtype=float).copy()
    s_se = scored["capabilities_score_se"].to_numpy(dtype=float).copy()
    source = ["row"] * len(s)
    for i, pid in enumerate(pids):
        if pid is not None and np.isnan(s[i]) and np.isfinite(pscores.get(pid, np.nan)):
            s[i], s_se[i], source[i] = float(pscores[pid]), float(pse.get(pid, np.nan)), "panel"
    ps = pscores.to_numpy()
    n_panel = int((~np.isnan(ps)).sum())
    pct = percentile_of(s, ps)
    models: list[ModelPlacement] = []
    for i, m in enumerate(matrix.scores.index):
        miss = tuple(c for c in caps if pd.isna(frame.iloc[i][c]))
        pid = pids[i]
        models.append(ModelPlacement(str(m), _f(s[i]), _f(pct[i]), n_panel, miss, pid is not None, _f(s_se[i]), pid,
                                     rules.get(m) if pid is not None else None, source[i]))
        if np.isnan(s[i]):
            have = len(caps) - len(miss)
            notes.append(
                f"{m}: not placed, lacks {len(miss)} of {len(caps)} capability benchmark(s)"
                + (f" (has {have}, needs {need})" if need < len(caps) else "")
                + f": {', '.join(miss)}"
            )
    in_panel = [m for m in models if m.panel_model is not None and m.capabilities_score is not None]
    if in_panel:
        k = sum(m.score_source == "panel" for m in in_panel)
        notes.append(
            f"{len(in_panel)} model(s) matched to models of panel {panel.name!r} by name ({k} placed at the panel's own "
            f"capabilities score, their rows lacking the capability benchmarks; {len(in_panel) - k} from their own "
            "capability values); each one's residuals, interval and t come from the panel's fits without it"
        )
    if not any(c in matrix.scores.columns for c in caps) and all(p is None for p in pids):
        raise InputError(
            f"{src}: no capability benchmark column of panel {panel.name!r} and no model of the panel; a model needs "
            f"{'all' if need == len(caps) else f'any {need}'} of: {', '.join(caps)}, or a panel model's name"
        )
    if np.isnan(s).all():
        lacks = "; ".join(f"{m.model} lacks {', '.join(m.missing)}" for m in models[:3])
        raise InsufficientDataError(
            f"{src}: no model has {'all' if need == len(caps) else f'at least {need} of the'} {len(caps)} capability "
            f"benchmarks of panel {panel.name!r} or is a model of the panel ({lacks}"
            f"{'; ...' if len(models) > 3 else ''}); run the missing tasks, add their columns or use the panel's model names"
        )
    return _Scored(s, s_se, ps, models, pids)


def _range_and_unit_warnings(matrix: ScoreMatrix, panel: ScoreMatrix, sc: _Scored) -> list[str]:
    """Warnings: placed models outside the panel's range of scores (extrapolation); percentages where the panel has fractions."""
    out: list[str] = []
    lo, hi = float(np.nanmin(sc.ps)), float(np.nanmax(sc.ps))
    for m in sc.models:
        if m.capabilities_score is not None and not lo <= m.capabilities_score <= hi:
            out.append(
                f"{m.model}: capabilities score {m.capabilities_score:+.2f} is outside the panel's range "
                f"[{lo:+.2f}, {hi:+.2f}]; its predictions extrapolate the panel's linear fits"
            )
    scale = panel.benchmarks["scale"]
    for b in matrix.scores.columns:
        if b in scale.index and scale[b] == "fraction":
            v = matrix.scores[b].to_numpy(dtype=float)
            if np.nanmax(np.abs(v), initial=0.0) > 1.5:
                out.append(
                    f"{b}: values up to {np.nanmax(v):.4g} but the panel stores fractions (0-1); divide percentages by 100"
                )
    return out


def _one_fit_placement(fit, sv: float, yv: float, level: float) -> dict[str, float]:  # noqa: ANN001
    """Prediction, residuals, interval, leverage and studentized residual of one row against one fit (benchmark units)."""
    rsd = fit.resid_sd
    pred = float(fit.predict(sv))
    res = yv - pred
    hw = float(fit.prediction_halfwidth(sv, level))
    lev = float(leverage(fit, sv))
    return {
        "predicted": pred, "residual": res, "residual_sd": res / rsd if rsd > 0 else math.nan,
        "pi_low": pred - hw, "pi_high": pred + hw, "n": fit.n, "slope": fit.slope, "fit_resid_sd": rsd,
        "outside_interval": bool(abs(res) > hw), "leverage": lev,
        "studentized_residual": res / (rsd * math.sqrt(1.0 + lev)) if rsd > 0 else math.nan,
    }


def _placements_on(
    matrix: ScoreMatrix, panel: ScoreMatrix, sc: _Scored, b: str, level: float, notes: list[str]
) -> list[BenchmarkPlacement]:
    """Each placed model's value on benchmark ``b`` against the panel's linear fit of ``b`` on the capabilities score.

    Prediction, residual (in units and residual SDs), ``level`` prediction
    interval, leverage and studentized residual, all from one fit: the
    panel's, or for a panel model the panel's without it (leave-one-out, so
    the flag and the studentized residual agree). No fit (a note) when the
    panel has too few models on ``b``.
    """
    y_new = matrix.scores[b].to_numpy(dtype=float)
    use = ~np.isnan(sc.s) & ~np.isnan(y_new)
    if not use.any():
        return []
    yp = panel.scores[b].to_numpy(dtype=float)
    try:
        fit = fit_on_scores(sc.ps, yp, what=f"panel {panel.name!r} / {b}")
    except InsufficientDataError as exc:
        notes.append(f"{b}: no fit ({exc})")
        return []
    meta = panel.benchmarks
    pos = {m: k for k, m in enumerate(panel.scores.index)}
    rows = []
    for i in np.flatnonzero(use):
        m, pid = matrix.scores.index[i], sc.panel_ids[i]
        f = fit
        if pid is not None and not np.isnan(yp[pos[pid]]):  # its own row is in the fit: use the fit without it
            y_loo = yp.copy()
            y_loo[pos[pid]] = np.nan
            try:
                f = fit_on_scores(sc.ps, y_loo, what=f"panel {panel.name!r} / {b} without {pid}")
            except InsufficientDataError:
                continue
        rows.append(BenchmarkPlacement(
            model=str(m), benchmark=b, name=str(meta.loc[b, "name"]), role=str(meta.loc[b, "role"]),
            area=str(meta.loc[b, "area"]), value=float(y_new[i]), **_one_fit_placement(f, float(sc.s[i]), float(y_new[i]), level),
        ))
    return rows


def place(
    matrix: ScoreMatrix,
    panel: ScoreMatrix,
    *,
    provenance: pd.DataFrame | None = None,
    method: str = "spearman",
    level: float = 0.95,
    score_method: str | None = None,
) -> PlacementResult:
    """Place every model of ``matrix`` in ``panel``'s capability coordinates.

    Parameters
    ----------
    matrix:
        New models x benchmarks (same ids and units as the panel: fractions
        for accuracies, every column higher = better).
    panel:
        The reference panel (``load_panel("chat")``).
    provenance:
        Optional provenance table written by ``ingest``: used to warn when a
        capability benchmark was run with other settings than the panel's.
    method, level:
        Correlation used for the panel's PC1 (``spearman``, the paper's) and the
        prediction-interval level (0.95).
    score_method:
        The panel's capability model: ``"pca"`` (a model needs every
        capability benchmark) or ``"irt"`` (the logistic model: any 3 of the
        panel's capability benchmarks give a score with its standard error).

    Returns
    -------
    PlacementResult
        One :class:`ModelPlacement` per model and one
        :class:`BenchmarkPlacement` per (placed model, non-capability benchmark
        in both the model's row and the panel).
    """
    if not 0 < level < 1:
        raise InputError(f"--level {level}: must be between 0 and 1, e.g. 0.95")
    cfit = fit_capability_model(panel, method=method, score_method=score_method)
    direction = cfit.model
    caps = list(direction.benchmarks)
    matrix, conventions = conform_to_registry(matrix)  # the registry's corrections (discrim_eval: -|x|) on the user's rows
    notes: list[str] = [*matrix.notes, *conventions]  # how the table was read (directions, metadata, scales) and corrected
    sc = _score_models(matrix, panel, direction, cfit.scores, cfit.se, matrix.source or matrix.name, notes)
    warns = _range_and_unit_warnings(matrix, panel, sc)
    rows: list[BenchmarkPlacement] = []
    for b in [b for b in matrix.scores.columns if b in panel.scores.columns and b not in caps]:
        rows += _placements_on(matrix, panel, sc, b, level, notes)
    unknown = [b for b in matrix.scores.columns if b not in panel.scores.columns]
    if unknown:
        notes.append(f"{len(unknown)} column(s) not in panel {panel.name!r}, not compared: {', '.join(unknown)}")
    tails = panel_tails(panel, sc.ps, caps)
    w2, n2 = settings_warnings(provenance, [m.model for m in sc.models if m.capabilities_score is not None], caps)
    warn_all(warns + w2)
    return PlacementResult(
        panel=panel.name,
        method=method,
        level=level,
        capability_benchmarks=tuple(caps),
        direction=direction,
        models=tuple(sc.models),
        benchmarks=tuple(rows),
        warnings=tuple(warns + w2),
        notes=tuple(notes + n2),
        tails=tails,
    )


def panel_tails(panel: ScoreMatrix, scores: np.ndarray, caps: list[str]) -> dict[str, Any]:
    """How heavy the tails of the residuals are on ``panel`` itself.

    Leave-one-out (externally) studentized residuals of every panel model on
    every non-capability benchmark (:func:`_fit.studentized_loo`, capability
    direction of the full panel) and their share beyond ``|2|`` and ``|3|``
    against Student's t (:func:`_fit.tail_summary`), plus ``panel``.
    """
    others = [b for b in panel.scores.columns if b not in caps]
    t, df = studentized_loo(scores, panel.scores[others].to_numpy(dtype=float))
    return {"panel": panel.name, "residuals": "leave-one-out studentized, panel models x non-capability benchmarks",
            **tail_summary(t, df)}


def tails_sentence(tails: dict[str, Any]) -> str:
    """One plain sentence on the panel's tails (for table output and the README)."""
    if not tails or not tails.get("n_residuals"):
        return ""
    return (
        f"Tails on panel {tails['panel']!r} ({tails['n_residuals']} leave-one-out studentized residuals of its own models "
        f"on {tails['n_benchmarks']} benchmarks): |t| > 2 in {tails['share_abs_gt_2']:.1%} (Student's t: "
        f"{tails['expected_abs_gt_2']:.1%}), |t| > 3 in {tails['share_abs_gt_3']:.1%} (t: {tails['expected_abs_gt_3']:.1%}, "
        f"{tails['ratio_abs_gt_3']:.1f}x as often): beyond |3|, t's tail probabilities are too small by about that factor."
        if tails["ratio_abs_gt_3"] > 1.2 else
        f"Tails on panel {tails['panel']!r} ({tails['n_residuals']} leave-one-out studentized residuals of its own models "
        f"on {tails['n_benchmarks']} benchmarks): |t| > 2 in {tails['share_abs_gt_2']:.1%} (Student's t: "
        f"{tails['expected_abs_gt_2']:.1%}), |t| > 3 in {tails['share_abs_gt_3']:.1%} (t: {tails['expected_abs_gt_3']:.1%})."
    )


def read_matrix_csv(path: str | Path) -> ScoreMatrix:
    """Read a score table for ``place`` (e.g. the wide CSV that ``ingest`` writes).

    The same reader as ``analyze --data``: wide or long, text columns kept as
    metadata, a stray text cell in a numeric column is an error naming file,
    line and column.
    """
    from ..sources._table import read_table

    return read_table(path)


def read_provenance_csv(path: str | Path) -> pd.DataFrame:
    """Read a provenance CSV written by ``ingest``."""
    import io

    import numpy as np

    from .._util.io import open_regular
    from .._util.limits import MAX_TABLE_BYTES

    p = Path(path)
    raw = open_regular(p, max_bytes=MAX_TABLE_BYTES, what="provenance")  # regular file, sensible size, recorded as read
    try:
        df = pd.read_csv(
            io.BytesIO(raw),
            dtype={"model": str, "benchmark": str, "metric": str, "filter": str, "harness": str, "n_shot": str,
                   "value": str, "stderr": str, "raw_value": str},
            keep_default_na=False,
            na_values=[""],
        )
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: provenance file not readable ({exc.__class__.__name__})") from None
    for col in ("n_shot", "value", "stderr", "raw_value"):  # numbers or empty; never inf or text
        if col not in df.columns:
            continue
        vals = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
        bad = (np.isnan(vals) & df[col].notna().to_numpy()) | np.isinf(vals)
        if col == "n_shot":
            bad |= np.isfinite(vals) & ((vals < 0) | (vals != np.round(vals)) | (vals > 10**6))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{p}, line {i + 2}, column {col}: {df[col].iloc[i]!r} is not a finite number"
                             + (" of shots (a whole number >= 0)" if col == "n_shot" else ""))
        df[col] = vals
    return df


__all__ = [
    "BenchmarkPlacement",
    "ModelPlacement",
    "PlacementResult",
    "panel_tails",
    "place",
    "percentile_of",
    "read_matrix_csv",
    "read_provenance_csv",
    "settings_warnings",
    "tails_sentence",
]
