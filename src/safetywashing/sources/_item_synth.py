"""A seeded two-trait item-response model: synthetic models x items data with known item kinds.

Each model ``m`` has a capability ``theta_m`` and a safety propensity
``eta_m``, standard normal with correlation ``rho``. Each item ``i`` has a
kind, a discrimination ``a_i`` (log-normal around 1.5) and a difficulty
``b_i`` (normal); a model answers it correctly / safely with probability

* ``capability``: ``logistic(a_i (theta_m - b_i))``
* ``safety``:     ``logistic(a_i (eta_m - b_i))``
* ``mixed``:      ``logistic(a_i ((theta_m + eta_m) / sqrt(2) - b_i))``
* ``noise``:      ``logistic(-b_i)`` (no trait: a fixed chance for every model)

Responses are Bernoulli draws (0/1). The observed capabilities score is
``theta_m`` plus normal noise of SD ``score_noise`` (a panel's estimate is
not exact). Items whose truth is "rises with capabilities" are the
``capability`` and ``mixed`` kinds (with ``rho = 0``). Used by the tests
(flag precision / recall, the subset's cross-fitted estimate against a
fresh draw of models) and by ``benchmarks/items_scale.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("capability", "safety", "mixed", "noise")


@dataclass(frozen=True)
class ItemBank:
    """Item parameters: ``kind`` (one of :data:`KINDS`), discrimination ``a``, difficulty ``b``."""

    kind: np.ndarray
    a: np.ndarray
    b: np.ndarray

    @property
    def capability_driven(self) -> np.ndarray:
        """True for items whose success rises with capability (``capability`` and ``mixed``)."""
        return np.isin(self.kind, ("capability", "mixed"))


def make_items(counts: dict[str, int], *, seed: int = 0) -> ItemBank:
    """An item bank with ``counts[kind]`` items of each kind (in :data:`KINDS` order)."""
    rng = np.random.default_rng(seed)
    kind = np.concatenate([np.full(int(counts.get(k, 0)), k, dtype=object) for k in KINDS])
    n = len(kind)
    a = np.exp(rng.normal(np.log(1.5), 0.3, n))
    b = rng.normal(0.0, 1.0, n)
    return ItemBank(kind.astype(str), a, b)


@dataclass(frozen=True)
class Draw:
    """Synthetic responses: ``y`` (models x items, 0/1 float, NaN = not run), traits and observed score."""

    y: np.ndarray
    theta: np.ndarray
    eta: np.ndarray
    score: np.ndarray


def draw_models(
    bank: ItemBank,
    n_models: int,
    *,
    seed: int = 0,
    rho: float = 0.0,
    score_noise: float = 0.2,
    missing: float = 0.0,
    dtype: type = np.float32,
) -> Draw:
    """Draw ``n_models`` models and their responses to ``bank`` (``missing``: share of cells left NaN at random)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n_models)
    eta = rho * theta + np.sqrt(max(1.0 - rho * rho, 0.0)) * rng.normal(size=n_models)
    k = len(bank.kind)
    trait = np.zeros((n_models, k), dtype=dtype)
    cap, saf, mix = bank.kind == "capability", bank.kind == "safety", bank.kind == "mixed"
    trait[:, cap] = theta[:, None]
    trait[:, saf] = eta[:, None]
    trait[:, mix] = ((theta + eta) / np.sqrt(2.0))[:, None]
    a = np.where(bank.kind == "noise", 0.0, bank.a).astype(dtype)
    logit = a * trait - np.where(bank.kind == "noise", bank.b, a * bank.b).astype(dtype)
    del trait
    p = 1.0 / (1.0 + np.exp(-logit))
    del logit
    y = (rng.random((n_models, k), dtype=np.float32) < p).astype(dtype)
    if missing > 0:
        y[rng.random((n_models, k), dtype=np.float32) < missing] = np.nan
    score = theta + score_noise * rng.normal(size=n_models)
    return Draw(y, theta, eta, score)
