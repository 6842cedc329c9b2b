"""Audit new benchmarks against an embedded panel, without re-running the panel.

"I scored my new safety benchmark on a dozen public models: is it just
capabilities?" The user's models are matched to the panel by name (exact
rules only; fuzzy candidates are suggestions) or, for models the panel does
not have, placed in the panel's coordinates from their capability benchmark
scores. Each new benchmark is then correlated with the panel's capabilities
score over those models, with a bootstrap interval that resamples the models
while the panel's capability direction stays fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError, InsufficientDataError, renamed_keywords, warn_all
from .._util.limits import check_seed, check_work
from .._util.notebook import NotebookRepr, Summary, interval, more, num
from .._util.plotting import Plottable
from .._util.stats import _check_method, pairwise_corr_masked
from ..capability._model import AnyCapabilityModel, CapabilityFit, fit_capability_model
from ..capability._pca import CapabilityDirection
from ..inference._draws import interval_from_draws, percentile_interval, resampled_correlations
from ..inference._schema import RowFields
from ..inference._verdict import verdict, verdict_bands
from ..sources._match import ModelMatch, match_to_panel
from ..sources._matrix import ScoreMatrix
from ..sources._registry import conform_to_registry
from ._analyze import MIN_MODELS, BenchmarkResult, ResultLookup, _f, direction_of

WIDE_BELOW = 10  # fewer usable models than this: warn that the interval is wide
# capability_sd_ratio below this: warn of a restricted range. benchmarks/audit_range.py simulates audits on
# subsets of both panels: below 0.8 the mean correlation falls short of the panel-wide one by 0.1 or more
# (0.53 against 0.64 at 0.7-0.8 on chat), in line with Thorndike's case II; above 0.8 by about 0.05 or less.
RESTRICTED_BELOW = 0.8
WIDER_ABOVE = 1.25  # capability_sd_ratio above this: note that the correlation is not comparable to the panel's
INTERVAL_METHOD = CapabilityDirection.resampling_text  # the paper's PCA score's fixed-direction bootstrap
# Capability tasks of Inspect's evals (log task name) -> the panel benchmark id their accuracy is, when the panel has it
# (``run --anchors`` runs them to place models outside the panel; a folder of their logs reads the same way).
ANCHOR_BENCHMARKS = {
    "gpqa_diamond": "epoch_gpqa_diamond", "mmlu_0_shot": "epoch_mmlu", "math": "epoch_math_level_5",
    "gsm8k": "epoch_gsm8k", "arc_challenge": "epoch_arc_ai2", "winogrande": "epoch_winogrande",
    "hellaswag": "epoch_hellaswag",
}
# Written by ``run`` beside its logs when a logged model name does not itself name its panel model (a reasoning
# variant: the log says ``openai/o3-2025-04-16``, the panel id is ``o3-2025-04-16_high``): logged name -> panel id.
MODEL_MAP_FILE = "safetywashing_models.json"
HARNESS_SUFFIXES = (".eval", ".json")  # a single SCORES file with one of these is a harness output, not a table


@dataclass(frozen=True, repr=False)
class AuditResult(ResultLookup, NotebookRepr, Plottable):
    """Result of :func:`audit`.

    Attributes
    ----------
    panel, method:
        Embedded panel audited against and correlation method.
    matched:
        Input model name -> panel model id (``match_rules`` says which rule).
    placed:
        Input models not in the panel but carrying its capability benchmarks:
        name -> capabilities score in the panel's coordinates.
    unmatched:
        Input names neither matched nor placed (``suggestions``: fuzzy
        candidates, never applied).
    results:
        One row per new benchmark, the ``analyze`` row shape; ``extra`` holds
        ``ci_low``/``ci_high`` (fixed-model bootstrap: the capability model's
        ``fixed_interval``, percentile for PCA), ``ci_level``, ``n_boot``,
        ``n_boot_valid``, ``interval_method`` and ``capability_correlations``
        (correlation with each capability benchmark over the same models).
    points:
        Per usable model: ``input_name``, ``model`` (panel id or None when
        placed), ``capabilities_score`` (higher = more capable) and the new
        benchmarks' values (higher = better): what an audit scatter plot draws.
    capability_sd_ratio:
        SD of the usable models' capabilities scores / SD over the
        ``n_panel_scored`` panel models (both ddof = 0). Below 1 the audited
        models span a narrower range of capability than the panel and their
        correlation is biased toward 0 (attenuation); a warning is given below
        ``RESTRICTED_BELOW``. Each result's ``extra`` carries the ratio over
        that benchmark's own models.
    """

    panel: str
    method: str
    matched: dict[str, str]
    match_rules: dict[str, str]
    placed: dict[str, float]
    unmatched: tuple[str, ...]
    suggestions: dict[str, list[str]]
    results: tuple[BenchmarkResult, ...]
    points: tuple[dict[str, Any], ...]
    direction: AnyCapabilityModel
    n_boot: int
    seed: int
    level: float
    source: str = ""
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    score_method: str = "pca"
    interval_method: str = INTERVAL_METHOD
    capability_sd_ratio: float | None = None
    n_panel_scored: int = 0

    @property
    def n_usable(self) -> int:
        """Models with a capabilities score and at least one new benchmark value."""
        return len(self.points)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``panel``, ``matched``, ``unmatched``, ``results`` (analyze row shape), ``points``, ..."""
        return {
            "panel": self.panel,
            "source": self.source,
            "method": self.method,
            "score_method": self.score_method,
            "capability_model": self.direction.describe(),
            "n_usable": self.n_usable,
            "matched": dict(self.matched),
            "match_rules": dict(self.match_rules),
            "placed": dict(self.placed),
            "unmatched": list(self.unmatched),
            "suggestions": {k: list(v) for k, v in self.suggestions.items()},
            "capability_benchmarks": list(self.direction.benchmarks),
            "interval": {"method": self.interval_method, "level": self.level, "n_boot": self.n_boot, "seed": self.seed},
            "results": [r.to_dict() for r in self.results],
            "points": [dict(p) for p in self.points],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "capability_sd_ratio": self.capability_sd_ratio,
            "n_panel_scored": self.n_panel_scored,
        }

    def _summary(self) -> Summary:
        facts = (
            ("usable models", f"{self.n_usable} ({len(self.matched)} matched, {len(self.placed)} placed, "
                              f"{len(self.unmatched)} unmatched)"),
            ("interval", f"{self.level:.0%}, {self.n_boot:,} bootstrap resamples, seed {self.seed}"),
            ("capability range", "-" if self.capability_sd_ratio is None else f"SD ratio {self.capability_sd_ratio:.2f}"),
        )
        rows = tuple((r.benchmark, num(r.correlation), interval(r.extra.get("ci_low"), r.extra.get("ci_high")), str(r.n),
                      r.verdict) for r in self.results)
        return Summary(f"of {self.source or 'a table'} against panel {self.panel!r} ({self.method})", facts,
                       ("benchmark", "r", "interval", "n", "verdict"), rows, ("r", "interval", "n"),
                       more(len(rows), "benchmarks"), self.warnings)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per new benchmark (``panel``, ``method``, ``benchmark``, ``correlation``, ``n``, CI, ...)."""
        rows = []
        for r in self.results:
            d = r.to_dict()
            caps = d.pop("capability_correlations", {})
            ns = d.pop("capability_correlations_n", {})
            d.update({f"r_{k}": v for k, v in caps.items()})
            d.update({f"n_{k}": v for k, v in ns.items()})
            rows.append(d)
        df = pd.DataFrame(rows)
        df.insert(0, "method", self.method)
        df.insert(0, "panel", self.panel)
        return df



def harness_matrix(
    paths: list[str] | list[Path], panel: ScoreMatrix, *, source: str, lower_is_better: list[str] | None = None
) -> ScoreMatrix:
    """Harness outputs (folders or files of Inspect logs, lm-eval results, HELM runs) read as ``ingest`` reads
    them, as a table to audit against ``panel``.

    Anchor tasks' scores (:data:`ANCHOR_BENCHMARKS`) become the panel's benchmark ids when the panel has them, so
    models outside the panel can be placed from them; a ``run`` model map (:data:`MODEL_MAP_FILE`) in a folder
    renames logged names to panel ids. Skipped files and the ingest's notes become the table's notes.
    """
    import json

    from ..sources.ingest import ingest

    res = ingest([str(p) for p in paths])
    prov = res.provenance.copy()
    task = prov["task"].astype(str).str.rsplit("/", n=1).str[-1]
    ids = task.map(ANCHOR_BENCHMARKS)
    use = ids.notna() & ids.isin(list(panel.scores.columns))
    prov.loc[use, "benchmark"] = ids[use]
    renames: dict[str, str] = {}
    for p in paths:
        f = Path(p) / MODEL_MAP_FILE
        if f.is_file():
            try:
                renames.update({str(k): str(v) for k, v in json.loads(f.read_text(encoding="utf-8")).items()})
            except (OSError, ValueError, AttributeError):
                raise InputError(f"{f}: not a model map written by safetywashing run (JSON object name -> panel id)") from None
    prov["model"] = prov["model"].map(lambda m: renames.get(m, m))
    dup = prov.duplicated(["model", "benchmark"], keep=False)
    if dup.any():
        m, b = prov.loc[dup, ["model", "benchmark"]].iloc[0]
        raise InputError(f"{source}: model {m!r} has several {b!r} scores after renaming; keep one log per model")
    scores = prov.pivot(index="model", columns="benchmark", values="value").astype(float)
    scores.columns.name = None
    flip = list(lower_is_better or [])
    bad = [c for c in flip if c not in scores.columns]
    if bad:
        raise InputError(f"--lower-is-better: {', '.join(bad)} not among the benchmarks read: {', '.join(scores.columns)}")
    scores[flip] = -scores[flip]
    notes = [f"skipped {f}: {why}" for f, why in res.skipped]
    notes += list(res.notes)
    if use.any():
        done = sorted(set(zip(task[use], ids[use])))
        notes.append("anchor task(s) read as panel capability benchmarks: " + ", ".join(f"{t} -> {i}" for t, i in done))
    if renames:
        notes.append(f"model names from {MODEL_MAP_FILE}: " + ", ".join(f"{k} -> {v}" for k, v in renames.items()))
    return ScoreMatrix.from_frame(scores, name=source, notes=tuple(notes), source=source)


def restricted_range_r(r: float, u: float) -> float:
    """Correlation expected over a range-restricted sample (Thorndike's case II, bivariate normal, selection on x).

    ``r``: correlation over the full range; ``u``: SD of the selected models'
    capabilities scores / SD over all (the ``capability_sd_ratio``). Returns
    ``r u / sqrt(1 - r^2 + r^2 u^2)``: for ``u < 1`` closer to 0 than ``r``
    (attenuation), for ``u > 1`` farther from 0.
    """
    return float(r * u / np.sqrt(1.0 - r * r + r * r * u * u))


def _exact_scores(scores: np.ndarray, se: np.ndarray, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scores of the resampled rows ``idx`` held fixed per model (no draw, ``se`` and ``rng`` unused)."""
    return np.asarray(scores, dtype=float)[idx]


def bootstrap_corr_fixed(
    y: np.ndarray, s: np.ndarray, *, method: str, n_boot: int, level: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of corr(y[:, j], s), resampling rows with ``s`` held fixed per model.

    ``y``: ``(n, k)`` benchmark values (NaN = missing); ``s``: ``(n,)``
    capabilities scores from a fixed direction. The fixed-model bootstrap of
    :mod:`safetywashing.inference._draws` with exact scores (``n_boot`` row
    resamples drawn from ``rng``, batched). Returns ``(low, high, n_valid)``
    per column; resamples whose correlation is undefined (constant, < 3
    pairs) are left out and ``n_valid`` counts the rest.
    """
    r_b = resampled_correlations(y, s, np.full(len(s), np.nan), draw=_exact_scores, method=method, n_boot=n_boot, rng=rng)
    lo, hi = percentile_interval(r_b, level)
    return lo, hi, (~np.isnan(r_b)).sum(axis=0)


@dataclass(frozen=True)
class _Placed:
    """The input models the panel lacks, placed from their own capability benchmark values.

    ``scores``/``se``: input name -> capabilities score and its SE (NaN for
    PCA) in the panel's coordinates; ``unmatched``: names neither matched nor
    placed (input order); ``has_caps``: the table carries enough capability
    columns to place anything.
    """

    scores: dict[str, float]
    se: dict[str, float]
    unmatched: tuple[str, ...]
    has_caps: bool


@dataclass(frozen=True)
class _Usable:
    """The usable models (a capabilities score and at least one new benchmark value), in input order.

    ``s``/``s_se``: ``(n,)`` capabilities scores and SEs; ``y``: ``(n, k)``
    new benchmark values (NaN = missing); ``inputs``: input names;
    ``cap_vals``: ``(n, n_caps)`` capability benchmark values (the panel's
    for matched models, the user's for placed ones).
    """

    s: np.ndarray
    s_se: np.ndarray
    y: np.ndarray
    inputs: list[str]
    cap_vals: np.ndarray


def _check_options(method: str, level: float, n_boot: int) -> None:
    """Refuse an unknown correlation method, an interval level outside (0, 1) and fewer than 100 resamples."""
    _check_method(method)
    if not 0.0 < level < 1.0:
        raise InputError(f"--ci: level {level} must be between 0 and 1 (e.g. 0.95)")
    if n_boot < 100:
        raise InputError(f"--bootstrap: {n_boot} resamples are too few for a percentile interval; use at least 100")


def _new_benchmarks(scores: ScoreMatrix, caps: list[str], panel: ScoreMatrix, src: str) -> list[str]:
    """The columns of ``scores`` to audit: every one that is not a capability benchmark (at least one, else an error)."""
    new = [c for c in scores.scores.columns if c not in caps]
    if not new:
        raise InputError(
            f"{src}: no new benchmark column to audit (every score column is a capability benchmark of panel "
            f"{panel.name!r}); add a column with your benchmark's scores"
        )
    return new


def _match_inputs(scores: ScoreMatrix, panel: ScoreMatrix, src: str, notes: list[str]) -> ModelMatch:
    """Match the input names to ``panel``'s models; refuse two names on one panel model; note loose matches."""
    mm: ModelMatch = match_to_panel(list(scores.scores.index), panel)
    by_model: dict[str, list[str]] = {}
    for inp, mid in mm.matched.items():
        by_model.setdefault(mid, []).append(inp)
    dup = {k: v for k, v in by_model.items() if len(v) > 1}
    if dup:
        mid, inps = next(iter(dup.items()))
        raise InputError(
            f"{src}: input names {', '.join(repr(i) for i in inps)} all match panel model {mid!r}; "
            "each model must appear once: remove or rename the duplicates"
        )
    if mm.loose:
        notes.append(
            f"{len(mm.loose)} name(s) matched by filling in a snapshot date or reasoning variant (the only panel model "
            f"that fits; check them): {mm.describe_loose()}"
        )
    return mm


def _place_unmatched(
    scores: ScoreMatrix, panel: ScoreMatrix, mm: ModelMatch, direction: AnyCapabilityModel, src: str,
    notes: list[str], warns: list[str],
) -> _Placed:
    """Place the unmatched input models in the panel's coordinates from their capability benchmark columns.

    Possible when the table has at least ``direction.min_benchmarks`` of them
    (all, for PCA); a model is placed when its own row has enough values.
    Notes say who was placed, who was short, and that matched models' own
    capability values are ignored; a warning names placed rows whose values
    look like other units (``direction.far_from_panel``).
    """
    caps = list(direction.benchmarks)
    has_caps = sum(c in scores.scores.columns for c in caps) >= min(direction.min_benchmarks, len(caps))
    if not has_caps:
        part = [c for c in caps if c in scores.scores.columns]
        if part and mm.unmatched:
            notes.append(
                f"only {len(part)} of the panel's {len(caps)} capability benchmarks are in {src}; unmatched models "
                f"cannot be placed (missing: {', '.join(c for c in caps if c not in part)})"
            )
        return _Placed({}, {}, tuple(mm.unmatched), False)
    rows = scores.scores.reindex(index=list(mm.unmatched), columns=caps)
    s_new = direction.score_se(rows)
    placed: dict[str, float] = {}
    placed_se: dict[str, float] = {}
    still: list[str] = []
    for inp, v, e in zip(s_new.index, s_new["capabilities_score"], s_new["capabilities_score_se"]):
        if np.isfinite(v):
            placed[str(inp)] = float(v)
            placed_se[str(inp)] = float(e)
        else:
            still.append(str(inp))
    short = [f"{inp} ({int(nb)})" for inp, nb in zip(s_new.index, s_new["n_benchmarks"]) if str(inp) in still and nb > 0]
    if short:
        notes.append(
            f"not placed, fewer than {direction.min_benchmarks} of the panel's capability benchmarks (number given): "
            + ", ".join(short)
        )
    far = direction.far_from_panel(rows.loc[list(placed)]) if placed else []
    if far:
        warns.append(
            "capability scores more than 6 panel SDs from the panel mean for "
            f"{', '.join(far)}: check that they use the panel's units (e.g. fractions 0-1, not percent)"
        )
    if placed:
        notes.append(
            f"{len(placed)} model(s) not in panel {panel.name!r} placed in its coordinates from their capability scores: "
            f"{', '.join(placed)}"
        )
    given = (
        scores.scores.reindex(index=list(mm.matched), columns=caps).notna().any(axis=1) if mm.matched else pd.Series(dtype=bool)
    )
    if given.any():
        notes.append(
            f"{int(given.sum())} matched model(s) also carry capability scores in {src}; the panel's own values are used for them"
        )
    return _Placed(placed, placed_se, tuple(still), True)


def _usable_models(
    scores: ScoreMatrix, panel: ScoreMatrix, new: list[str], caps: list[str], mm: ModelMatch, placed: _Placed,
    panel_fit: CapabilityFit, src: str, notes: list[str],
) -> _Usable:
    """Score arrays of the usable models: matched ones take the panel's score, placed ones their own.

    Notes matched models the panel could not score; raises
    :class:`InsufficientDataError` (naming the unmatched inputs) below
    ``MIN_MODELS`` usable models.
    """
    s_all = pd.Series(np.nan, index=scores.scores.index, dtype=float)
    se_all = pd.Series(np.nan, index=scores.scores.index, dtype=float)
    for inp, mid in mm.matched.items():
        s_all[inp] = panel_fit.scores.get(mid, np.nan)
        se_all[inp] = panel_fit.se.get(mid, np.nan)
    for inp, v in placed.scores.items():
        s_all[inp] = v
        se_all[inp] = placed.se[inp]
    no_score = [inp for inp in mm.matched if not np.isfinite(s_all[inp])]
    if no_score:
        notes.append(
            f"matched model(s) without a capabilities score in panel {panel.name!r} (missing capability benchmarks): "
            f"{', '.join(f'{i} -> {mm.matched[i]}' for i in no_score)}"
        )
    y_all = scores.scores[new]
    usable = s_all.notna() & y_all.notna().any(axis=1)
    n_use = int(usable.sum())
    if n_use < MIN_MODELS:
        um = mm.describe_unmatched(placed.unmatched) if placed.unmatched else "none"
        head = (
            f"no model in {src} matches panel {panel.name!r}"
            if not mm.matched and not placed.scores
            else f"{src}: only {n_use} usable model(s) ({len(mm.matched)} matched to panel {panel.name!r}, "
            f"{len(placed.scores)} placed)"
        )
        raise InsufficientDataError(
            f"{head}; at least {MIN_MODELS} are needed. Unmatched: {um}. Use the panel's model ids "
            f"(safetywashing models --panel {panel.name}) or add the capability benchmark columns"
        )
    keep = usable.to_numpy()
    inputs = [str(i) for i in scores.scores.index[keep]]
    is_matched = np.array([inp in mm.matched for inp in inputs])
    cap_vals = panel.scores.reindex([mm.matched.get(inp, "") for inp in inputs])[caps].to_numpy(float)
    if placed.has_caps:
        cap_vals = np.where(is_matched[:, None], cap_vals, scores.scores.reindex(index=inputs, columns=caps).to_numpy(float))
    return _Usable(s_all.to_numpy(float)[keep], se_all.to_numpy(float)[keep], y_all.to_numpy(float)[keep], inputs, cap_vals)


def _capability_range(
    s: np.ndarray, panel_scores: pd.Series, notes: list[str], warns: list[str]
) -> tuple[float | None, float, int]:
    """``(capability_sd_ratio, sd_panel, n_panel_scored)``: the audited models' SD of capabilities scores / the panel's.

    Both SDs ddof = 0. Warns below ``RESTRICTED_BELOW`` (restricted range,
    correlation attenuated) and notes above ``WIDER_ABOVE``.
    """
    ps = panel_scores.to_numpy(dtype=float)
    ps = ps[~np.isnan(ps)]
    sd_panel = float(ps.std())
    ratio = _f(float(s.std()) / sd_panel) if sd_panel > 0 else None
    if ratio is not None and ratio < RESTRICTED_BELOW:
        warns.append(
            f"the {len(s)} audited models span a restricted range of capability: capability_sd_ratio {ratio:.2f} (SD of "
            f"their capabilities scores / SD over the {len(ps)} panel models); a restricted range biases the correlation "
            f"toward 0 (attenuation): for a bivariate-normal benchmark a panel-wide r of 0.70 would appear as about "
            f"{restricted_range_r(0.7, ratio):.2f}. Add weaker and stronger models to cover the panel's range"
        )
    elif ratio is not None and ratio > WIDER_ABOVE:
        notes.append(
            f"the audited models span a wider range of capability than the panel (capability_sd_ratio {ratio:.2f}): "
            "their correlation is inflated relative to the panel's (a wider range pushes it away from 0)"
        )
    return ratio, sd_panel, len(ps)


def _fixed_model_interval(
    u: _Usable, r: np.ndarray, direction: AnyCapabilityModel, *, method: str, n_boot: int, level: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(low, high, n_valid)`` per new benchmark: the fixed-model bootstrap of the correlation with the score.

    Models resampled (``n_boot`` times, seeded) with the panel's capability
    model fixed; each resampled score comes from ``direction.draw_scores``
    (exact for PCA, N(score, SE^2) for the logistic model) and the interval
    is ``direction.fixed_interval`` around the point correlations ``r``.
    """
    rng = np.random.default_rng(seed)
    r_b = resampled_correlations(u.y, u.s, u.s_se, draw=direction.draw_scores, method=method, n_boot=n_boot, rng=rng)
    return interval_from_draws(direction.fixed_interval, r, r_b, level)


def _audit_row(
    meta: pd.DataFrame, bid: str, rr: float | None, nj: int, ci: tuple[float | None, float | None], extra: dict[str, Any]
) -> BenchmarkResult:
    """One new benchmark's result row: its registry fields, correlation ``rr`` over ``nj`` models, verdict, and the
    typed audit fields ``extra`` (documented in :data:`safetywashing.inference._schema.AUDIT_COLUMNS`)."""
    return BenchmarkResult(
        benchmark=bid,
        name=str(meta.loc[bid, "name"]),
        role=str(meta.loc[bid, "role"]) if bool(meta.loc[bid, "registered"]) else "safety",
        area=str(meta.loc[bid, "area"]),
        correlation=rr,
        n=nj,
        verdict=verdict(rr, *ci),
        metric=str(meta.loc[bid, "metric"]),
        extra=RowFields.audit(extra),
        direction=direction_of(meta, bid),
    )


def _result_rows(
    scores: ScoreMatrix, new: list[str], u: _Usable, caps: list[str], *, method: str, n_boot: int, level: float,
    corr: tuple[np.ndarray, np.ndarray], interval: tuple[np.ndarray, np.ndarray, np.ndarray], interval_method: str,
    sd_panel: float, notes: list[str], warns: list[str],
) -> list[BenchmarkResult]:
    """One result row per new benchmark: correlation with the score, interval, verdict, per-capability correlations.

    ``corr``: ``(r, n)`` per new benchmark (correlation with the capabilities
    score, models with a value); ``interval``: :func:`_fixed_model_interval`.
    A benchmark with fewer than ``MIN_MODELS`` values gets no correlation (a
    note); one with fewer than ``WIDE_BELOW`` a warning that its interval is wide.
    """
    r, n = corr
    lo, hi, n_valid = interval
    r_caps, n_caps = pairwise_corr_masked(np.broadcast_to(u.y, (len(caps), *u.y.shape)), u.cap_vals.T, method)  # (n_caps, k)
    results = []
    for j, bid in enumerate(new):
        nj = int(n[j])
        rr = _f(r[j]) if nj >= MIN_MODELS else None
        lo_j, hi_j = (_f(lo[j]), _f(hi[j])) if rr is not None else (None, None)
        if nj < MIN_MODELS:
            notes.append(f"{bid}: only {nj} usable model(s) have a value; at least {MIN_MODELS} are needed, no correlation")
        elif nj < WIDE_BELOW and lo_j is not None and hi_j is not None:
            warns.append(
                f"{bid}: only {nj} models, so the {level:.0%} interval is wide: "
                f"[{lo_j:+.2f}, {hi_j:+.2f}], width {hi_j - lo_j:.2f}; score more panel models to narrow it"
            )
        extra = {
            "ci_low": lo_j,
            "ci_high": hi_j,
            "ci_level": level,
            "n_boot": int(n_boot),
            "n_boot_valid": int(n_valid[j]),
            "interval_method": interval_method,
            "verdict_bands": verdict_bands(lo_j, hi_j) if rr is not None else [],
            "capability_sd_ratio": _f(float(u.s[~np.isnan(u.y[:, j])].std()) / sd_panel) if nj and sd_panel > 0 else None,
            # each with its n; hidden (None) below MIN_MODELS models with both values
            "capability_correlations": {c: _f(r_caps[i, j]) if n_caps[i, j] >= MIN_MODELS else None for i, c in enumerate(caps)},
            "capability_correlations_n": {c: int(n_caps[i, j]) for i, c in enumerate(caps)},
        }
        results.append(_audit_row(scores.benchmarks, bid, rr, nj, (lo_j, hi_j), extra))
    return results


def _points(u: _Usable, new: list[str], mm: ModelMatch, placed: _Placed, direction: AnyCapabilityModel) -> list[dict[str, Any]]:
    """Per usable model: input name, panel id (None when placed), capabilities score (its SE when the model has one), values."""
    points = []
    for i, inp in enumerate(u.inputs):
        pt: dict[str, Any] = {
            "input_name": inp,
            "model": mm.matched.get(inp),
            "placed": inp in placed.scores,
            "capabilities_score": float(u.s[i]),
        }
        if direction.has_score_se:
            pt["capabilities_score_se"] = _f(u.s_se[i])
        pt.update({b: _f(u.y[i, j]) for j, b in enumerate(new)})
        points.append(pt)
    return points


@renamed_keywords(n_boot="bootstrap")
def audit(
    scores: ScoreMatrix,
    panel: ScoreMatrix,
    *,
    method: str = "spearman",
    capabilities: list[str] | None = None,
    bootstrap: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    score_method: str | None = None,
) -> AuditResult:
    """Audit the new benchmark columns of ``scores`` against an embedded ``panel``.

    Parameters
    ----------
    scores:
        The user's table (:func:`read_table`): index = model names as the user
        wrote them (Hugging Face ids, display names, ...), columns = new
        benchmarks (higher = better; flip lower-is-better columns when reading)
        and, optionally, the panel's capability benchmark columns for models
        the panel does not have (in the panel's units, e.g. MMLU as a 0-1
        fraction).
    panel:
        ``load_panel("chat")`` or ``load_panel("base")``.
    method:
        ``"spearman"`` (default) or ``"pearson"``.
    capabilities:
        Capability benchmark ids of the panel (default: the paper's 12).
    bootstrap, seed, level:
        Bootstrap resamples (at least 100; ``n_boot``, the former name, still works with a DeprecationWarning),
        random seed and interval level (0.95 = 95%).
    score_method:
        The panel's capability model: ``"pca"`` (the paper's PC1; a placed
        model needs every capability benchmark) or ``"irt"`` (the logistic
        model for sparse panels: any 3 of them; every score has a standard
        error, and the interval then also draws each model's score from
        N(estimate, SE^2) inside every resample, so it carries the capability
        estimates' own uncertainty as well as the resampling of models).

    Returns
    -------
    AuditResult
        Per new benchmark: correlation with the panel's capabilities score
        (higher = rises with capabilities) over the usable models, ``n``, a
        bootstrap interval (models resampled, capability model fixed),
        correlation with each capability benchmark, and the verdict.

    Raises
    ------
    InsufficientDataError
        Fewer than 5 usable models (the message lists the unmatched names).
    InputError
        Two input names matching the same panel model; no new benchmark column.
    """
    n_boot = bootstrap
    _check_options(method, level, n_boot)
    check_seed(seed)
    check_work("--bootstrap", n_boot, rows=scores.scores.shape[0] + panel.scores.shape[0], columns=scores.scores.shape[1])
    scores, conventions = conform_to_registry(scores)  # registry corrections (discrim_eval: -|x|) on the user's rows
    src = scores.source or scores.name
    cfit = fit_capability_model(panel, capabilities, method, score_method)
    direction = cfit.model
    caps = list(direction.benchmarks)
    new = _new_benchmarks(scores, caps, panel, src)
    notes: list[str] = [*scores.notes, *conventions]
    warns: list[str] = []
    mm = _match_inputs(scores, panel, src, notes)
    placed = _place_unmatched(scores, panel, mm, direction, src, notes, warns)
    u = _usable_models(scores, panel, new, caps, mm, placed, cfit, src, notes)
    ratio, sd_panel, n_panel_scored = _capability_range(u.s, cfit.scores, notes, warns)
    r, n = pairwise_corr_masked(u.y, u.s, method)
    interval = _fixed_model_interval(u, r, direction, method=method, n_boot=n_boot, level=level, seed=seed)
    if not direction.paper_method:
        notes.append(f"capabilities score: {direction.describe()}")
    results = _result_rows(
        scores, new, u, caps, method=method, n_boot=n_boot, level=level, corr=(r, n), interval=interval,
        interval_method=direction.resampling_text, sd_panel=sd_panel, notes=notes, warns=warns,
    )
    if placed.unmatched:
        notes.append(
            f"{len(placed.unmatched)} input model(s) not in panel {panel.name!r} and not placed: "
            f"{mm.describe_unmatched(placed.unmatched)}"
        )
    res = AuditResult(
        panel=panel.name, method=method, matched=dict(mm.matched), match_rules=dict(mm.rule), placed=placed.scores,
        unmatched=placed.unmatched,
        suggestions={k: v for k, v in {**mm.suggestions, **mm.ambiguous}.items() if k in placed.unmatched},
        results=tuple(results), points=tuple(_points(u, new, mm, placed, direction)), direction=direction,
        n_boot=int(n_boot), seed=int(seed), level=float(level), source=src, notes=tuple(notes), warnings=tuple(warns),
        score_method=direction.kind, interval_method=direction.resampling_text, capability_sd_ratio=ratio,
        n_panel_scored=n_panel_scored,
    )
    warn_all(warns, stacklevel=4)
    return res
