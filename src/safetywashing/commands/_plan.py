"""Which panel models to evaluate a new benchmark on, and how many (``safetywashing plan``).

A plan picks ``n`` distinct models of an embedded panel that (1) spread capability at least as widely as the
whole panel (a restricted range biases a correlation toward 0), (2) never holds two variants of one family
released the same day (reasoning-effort or thinking-budget variants of one model), and (3) prefers models whose
capabilities score has a small standard error. How many: given, or the smallest ``n`` whose expected interval
(the power model of :mod:`safetywashing.inference._power`) is narrow enough or tells two bands apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError
from ..capability._model import fit_capability_model
from ..inference._power import interval_width, models_needed, separation_power
from ..inference._verdict import BANDS, HIGH, MODERATE
from ..sources._match import inspect_model_for, match_to_panel
from ..sources._matrix import ScoreMatrix

MIN_PLAN = 5  # the audit needs at least this many models
SE_WEIGHT = 1.0  # cost of one unit of score SE, in capability units of distance from a target (see _select)
# The centre of each verdict band: the correlation assumed for a benchmark "in" that band.
BAND_CENTRES = {"high negative": -(1 + HIGH) / 2, "moderate negative": -(HIGH + MODERATE) / 2, "low": 0.0,
                "moderate": (HIGH + MODERATE) / 2, "high": (1 + HIGH) / 2}
PLAN_COLUMNS = ["model", "name", "capabilities_score", "capabilities_score_se", "family", "organisation",
                "release_date", "open_weights", "hf_id", "inspect_model", "inspect_config"]


@dataclass(frozen=True)
class PlanResult:
    """Result of :func:`plan`.

    Attributes
    ----------
    models:
        The chosen panel models, most capable first: a frame with :data:`PLAN_COLUMNS` (``capabilities_score``:
        higher = more capable; ``inspect_model``: the Inspect model string that evaluates it;
        ``inspect_config``: generate settings the panel id implies, e.g. ``{"reasoning_effort": "high"}``).
    n, how:
        Number of models and how it was chosen (``"--n"``, ``"--resolution W"``, ``"--separate a,b"``).
    rho, level, method, expected_width:
        The true correlation assumed, interval level and correlation method of the power model, and the expected
        width of that interval at ``n`` (correlation units; an ideal interval with known scores).
    sd_ratio:
        SD of the chosen models' capabilities scores / SD over the ``n_panel_scored`` panel models (ddof 0).
    n_eligible:
        Candidates after the filters and one model per family and release date.
    """

    panel: str
    score_method: str
    models: pd.DataFrame
    n: int
    how: str
    rho: float
    level: float
    method: str
    expected_width: float
    sd_ratio: float
    n_eligible: int
    n_panel_scored: int
    power: float | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per chosen model (:data:`PLAN_COLUMNS`; ``inspect_config`` as ``key=value;...`` text)."""
        df = self.models.copy()
        df["inspect_config"] = [";".join(f"{k}={v}" for k, v in c.items()) for c in df["inspect_config"]]
        return df[PLAN_COLUMNS].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``models`` (one dict per chosen model, panel id as ``model``), ``n``, widths, notes."""
        rows = []
        for _, r in self.models.iterrows():
            d = {c: r[c] for c in PLAN_COLUMNS}
            d["capabilities_score"] = float(d["capabilities_score"])
            d["capabilities_score_se"] = float(d["capabilities_score_se"])
            d["open_weights"] = bool(d["open_weights"])
            d["inspect_config"] = dict(d["inspect_config"])
            rows.append(d)
        return {
            "panel": self.panel, "score_method": self.score_method, "n": self.n, "how": self.how,
            "assumed_correlation": self.rho, "level": self.level, "method": self.method,
            "expected_interval_width": self.expected_width, "separation_power": self.power,
            "capability_sd_ratio": self.sd_ratio, "n_eligible": self.n_eligible, "n_panel_scored": self.n_panel_scored,
            "models": rows, "notes": list(self.notes), "warnings": list(self.warnings),
        }

    def inspect_models(self) -> list[str]:
        """The chosen models as Inspect model strings, one per model (the ``--format inspect`` lines)."""
        return [str(x) for x in self.models["inspect_model"]]


def _candidates(panel: ScoreMatrix, score_method: str) -> tuple[pd.DataFrame, pd.Series]:
    """Every panel model with a capabilities score, with its metadata and Inspect string; and all panel scores."""
    missing = [c for c in ("organisation", "hf_id", "release_date") if c not in panel.models.columns]
    if missing:
        raise InputError(
            f"--panel {panel.name}: plan needs each model's organisation, release date and Hugging Face id to name "
            "Inspect models; only the frontier panel has them (use --panel frontier)"
        )
    fit = fit_capability_model(panel, score_method=score_method)
    scores = fit.scores.dropna()
    meta = panel.models.reindex(scores.index)
    df = pd.DataFrame(index=scores.index.rename(None))
    df["model"] = scores.index.to_numpy()
    df["name"] = [panel.display_name(m) for m in scores.index]
    df["capabilities_score"] = scores.to_numpy(float)
    df["capabilities_score_se"] = fit.se.reindex(scores.index).to_numpy(float)
    for c in ("family", "organisation", "release_date", "open_weights", "hf_id"):
        df[c] = meta[c].to_numpy()
    df["hf_id"] = df["hf_id"].fillna("").astype(str)
    df["family"] = [f if isinstance(f, str) and f else m for f, m in zip(df["family"], df.index)]
    pairs = [inspect_model_for(m, str(o), h) for m, o, h in zip(df.index, df["organisation"], df["hf_id"])]
    df["inspect_model"] = [p[0] for p in pairs]
    df["inspect_config"] = [p[1] for p in pairs]
    return df, fit.scores


def _resolve(names: list[str] | None, panel: ScoreMatrix, option: str) -> list[str]:
    """Panel ids for the names of ``--include`` / ``--exclude`` (matched as audit matches; unmatched: an error)."""
    if not names:
        return []
    mm = match_to_panel(names, panel)
    if mm.unmatched:
        raise InputError(f"{option}: not a model of panel {panel.name!r}: {mm.describe_unmatched()}")
    return list(dict.fromkeys(mm.matched[n] for n in names))


def _filter(
    df: pd.DataFrame, *, open_weights: bool, providers: list[str] | None, exclude: list[str], include: list[str],
    notes: list[str],
) -> pd.DataFrame:
    """Candidates that pass the filters (included models always do), one per family and release date."""
    keep = df["inspect_model"] != ""
    n_unrunnable = int((~keep).sum())
    if n_unrunnable:
        notes.append(f"{n_unrunnable} panel model(s) without a known Inspect model string left out (e.g. PaLM 2, "
                     "open models without a Hugging Face id)")
    if open_weights:
        keep &= df["hf_id"] != ""
    if providers:
        have = sorted({s.split("/", 1)[0] for s in df["inspect_model"] if s})
        bad = [p for p in providers if p not in have]
        if bad:
            raise InputError(f"--providers: {', '.join(bad)} not among the panel's providers: {', '.join(have)}")
        keep &= df["inspect_model"].str.split("/", n=1).str[0].isin(providers)
    keep &= ~df.index.isin(exclude)
    keep |= df.index.isin(include)
    cand = df[keep].copy()
    cand["_included"] = cand.index.isin(include)
    key = cand["family"].astype(str) + "|" + cand["release_date"].astype(str)
    inc_groups = key[cand["_included"]]
    dup = inc_groups[inc_groups.duplicated(keep=False)]
    if len(dup):
        raise InputError(
            f"--include: {', '.join(dup.index)} are variants of one family released the same day; include one of them"
        )
    cand["_key"] = key
    cand = cand.sort_values(["_included", "capabilities_score_se", "model"], ascending=[False, True, True], kind="stable")
    out = cand[~cand["_key"].duplicated(keep="first")]
    if len(out) < len(cand):
        notes.append(f"{len(cand) - len(out)} variant(s) of a family released the same day as another candidate left out "
                     "(one per family and release date: the one with the smallest score SE)")
    return out


def _targets(s: np.ndarray, n: int, stretch: float) -> np.ndarray:
    """``n`` capability targets: the candidates' quantiles at evenly spaced levels ``(i + 0.5) / n``, moved away from
    their mean by the factor ``stretch`` and clipped to the candidates' range."""
    q = np.quantile(s, (np.arange(n) + 0.5) / n)
    return np.clip(s.mean() + stretch * (q - s.mean()), s.min(), s.max())


def _select(cand: pd.DataFrame, n: int, sd_panel: float) -> tuple[pd.DataFrame, float]:
    """``n`` candidates nearest ``n`` capability targets (an optimal assignment), spread like the panel.

    Targets follow the candidates' own distribution (quantiles), so the set is shaped like the panel and its
    correlation is not pushed away from the panel's; they are stretched in steps of 5% only until the set's SD
    ratio reaches 1 (a narrower set biases r toward 0, a much wider one away from it). Cost of candidate j at
    target i: ``|target_i - score_j| + SE_WEIGHT * se_j`` (capability units); included models are forced in.
    Returns the chosen rows and their SD ratio (ddof 0, against ``sd_panel``).
    """
    from scipy.optimize import linear_sum_assignment

    s = cand["capabilities_score"].to_numpy(float)
    se = np.nan_to_num(cand["capabilities_score_se"].to_numpy(float), nan=0.0)
    forced = cand["_included"].to_numpy(bool)
    best: tuple[pd.DataFrame, float] | None = None
    for stretch in np.arange(1.0, 2.51, 0.05):
        t = _targets(s, n, float(stretch))
        cost = np.abs(t[:, None] - s[None, :]) + SE_WEIGHT * se[None, :] - 1e6 * forced[None, :]
        _, cols = linear_sum_assignment(cost)
        chosen = cand.iloc[np.sort(cols)]
        ratio = float(chosen["capabilities_score"].std(ddof=0)) / sd_panel if sd_panel > 0 else math.nan
        if best is None or ratio > best[1]:
            best = (chosen, ratio)
        if ratio >= 1.0:
            return chosen, ratio
    assert best is not None
    return best


def _how_many(
    n: int | None, resolution: float | None, separate: tuple[str, str] | None, rho: float | None, level: float,
    method: str,
) -> tuple[int, str, float, float | None]:
    """``(n, how, rho, boundary)`` from exactly one of ``n``, ``resolution`` and ``separate``."""
    given = [x is not None for x in (n, resolution, separate)]
    if sum(given) != 1:
        raise InputError("give exactly one of --n, --resolution and --separate")
    if n is not None:
        return int(n), "--n", 0.0 if rho is None else rho, None
    if resolution is not None:
        r = 0.0 if rho is None else rho
        if not 0.0 < resolution < 2.0:
            raise InputError(f"--resolution: {resolution} must be an interval width between 0 and 2 (correlation units)")
        k = MIN_PLAN
        while interval_width(k, r, level, method) > resolution and k < 100000:
            k += 1
        return k, f"--resolution {resolution:g}", r, None
    assert separate is not None
    a, b = separate
    for x in (a, b):
        if x not in BANDS:
            raise InputError(f"--separate: {x!r} is not a band; bands: {', '.join(BANDS)}")
    ia, ib = BANDS.index(a), BANDS.index(b)
    if abs(ia - ib) != 1:
        raise InputError(f"--separate {a},{b}: name two adjacent bands (e.g. low,moderate)")
    bounds = (-HIGH, -MODERATE, MODERATE, HIGH)
    boundary = bounds[min(ia, ib)]
    r = BAND_CENTRES[a] if rho is None else rho
    if (r - boundary) * (BAND_CENTRES[a] - boundary) <= 0:
        raise InputError(f"--rho {r:g} must lie inside band {a!r} (the band the benchmark is assumed to be in)")
    return max(models_needed(r, boundary, level, 0.8, method), MIN_PLAN), f"--separate {a},{b}", r, boundary


def plan(
    panel: ScoreMatrix,
    *,
    n: int | None = None,
    resolution: float | None = None,
    separate: tuple[str, str] | None = None,
    rho: float | None = None,
    level: float = 0.95,
    method: str = "spearman",
    open_weights: bool = False,
    providers: list[str] | None = None,
    exclude: list[str] | None = None,
    include: list[str] | None = None,
    score_method: str = "irt",
) -> PlanResult:
    """Choose which models of ``panel`` to evaluate a new benchmark on.

    Exactly one of ``n`` (how many), ``resolution`` (target width of the ``level`` interval, correlation units,
    for a benchmark whose true correlation is ``rho``, default 0: the widest case) and ``separate`` (two adjacent
    verdict bands ``(a, b)``: enough models that a benchmark at the centre of band ``a``, or at ``rho``, gets an
    interval excluding band ``b`` with probability 0.8). Filters: ``open_weights`` (a Hugging Face id),
    ``providers`` (Inspect providers: openai, anthropic, google, grok, mistral, bedrock, vllm), ``exclude``;
    ``include`` names models that must be in the plan. Raises :class:`InputError` for bad options and when fewer
    than 5 candidates remain.
    """
    notes: list[str] = []
    warns: list[str] = []
    k, how, r, boundary = _how_many(n, resolution, separate, rho, level, method)
    if k < MIN_PLAN:
        raise InputError(f"--n {k}: an audit needs at least {MIN_PLAN} models")
    df, all_scores = _candidates(panel, score_method)
    inc = _resolve(include, panel, "--include")
    exc = _resolve(exclude, panel, "--exclude")
    unscored = [m for m in inc if m not in df.index]
    if unscored:
        raise InputError(f"--include: {', '.join(unscored)} has no capabilities score in panel {panel.name!r}")
    cand = _filter(df, open_weights=open_weights, providers=providers, exclude=exc, include=inc, notes=notes)
    if len(inc) > k:
        raise InputError(f"--include names {len(inc)} models, more than the {k} planned; raise --n")
    if len(cand) < MIN_PLAN:
        raise InputError(f"only {len(cand)} panel model(s) pass the filters; an audit needs at least {MIN_PLAN}")
    if k > len(cand):
        warns.append(f"{how} asks for {k} models but only {len(cand)} distinct panel models pass the filters: all "
                     f"{len(cand)} are planned, and the expected interval is that of {len(cand)} models")
        k = len(cand)
    sd_panel = float(np.nanstd(all_scores.to_numpy(float)))
    chosen, ratio = _select(cand, k, sd_panel)
    if ratio < 1.0:
        warns.append(f"the {k} planned models span less capability than the panel (SD ratio {ratio:.2f} < 1): the filters "
                     "leave too few weak or strong models; a restricted range biases the correlation toward 0")
    chosen = chosen.sort_values("capabilities_score", ascending=False)[PLAN_COLUMNS]
    power = None if boundary is None else separation_power(k, r, boundary, level, method)
    width = interval_width(k, r, level, method) if -1 < r < 1 else math.nan
    n_cfg = sum(1 for c in chosen["inspect_config"] if c)
    if n_cfg:
        notes.append(f"{n_cfg} planned model(s) need generate settings an Inspect model string cannot carry "
                     "(inspect_config: reasoning effort or thinking budget); `safetywashing run --models PLAN.json` applies them")
    return PlanResult(
        panel=panel.name, score_method=score_method, models=chosen.reset_index(drop=True), n=k, how=how, rho=r,
        level=level, method=method, expected_width=width, sd_ratio=ratio, n_eligible=len(cand),
        n_panel_scored=int(all_scores.notna().sum()), power=power, notes=tuple(notes), warnings=tuple(warns),
    )
