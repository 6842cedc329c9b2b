"""Precision and recall of the item flags on two-trait synthetic data (``safetywashing items``).

Run from the repository root:  python benchmarks/item_flags.py [--reps 10] [--models 50]

Each replicate draws a bank of 180 items (60 capability, 60 safety, 30 mixed,
30 noise; discriminations log-normal around 1 with log-SD 0.5, so many items
discriminate weakly) and ``--models`` models whose safety trait correlates
0.3 with capability; the capabilities score is capability plus noise of SD
0.3 (passed to the audit as the score's SE). Items "loaded on capability"
are the capability and mixed kinds. Prints, for the old flag (BH q < 0.05 on
the Spearman correlation, positive) and the new one (likelihood-ratio test
of a per-item logistic regression on capability, BH q < 0.05, discrimination
>= DISCRIMINATION_MIN) and the conditional (DIF-style) test: precision,
recall, and recall by the item's true discrimination. Targets (issue 22):
precision >= 0.80 and recall >= 0.60 for the new flag.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from safetywashing.commands._items_audit import audit_items  # noqa: E402
from safetywashing.sources._item_synth import ItemBank, draw_models  # noqa: E402

BINS = ((0.0, 0.7), (0.7, 1.4), (1.4, np.inf))


def bank(seed: int) -> ItemBank:
    """180 items with weakly to strongly discriminating ones (log-normal around 1, log-SD 0.5)."""
    rng = np.random.default_rng(seed)
    kind = np.repeat(["capability", "safety", "mixed", "noise"], [60, 60, 30, 30])
    return ItemBank(kind, np.exp(rng.normal(0.0, 0.5, kind.size)), rng.normal(0.0, 1.0, kind.size))


def run(reps: int, n_models: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Flags and truths stacked over replicates: ``truth``, ``a`` (true discrimination), ``old``, ``new``, ``cond``."""
    out: dict[str, list] = {k: [] for k in ("truth", "a", "old", "new", "cond")}
    for r in range(reps):
        b = bank(seed + r)
        d = draw_models(b, n_models, seed=1000 + seed + r, rho=0.3, score_noise=0.3)
        names = [f"i{j}" for j in range(b.kind.size)]
        res = audit_items(d.y, d.score, names, score_se=np.full(n_models, 0.3), n_boot=100, repeats=2,
                          subset_size=10)
        out["truth"].append(b.capability_driven)
        out["a"].append(b.a)
        out["old"].append((res.q_value < 0.05) & (res.correlation_items > 0))
        out["new"].append(res.capability_driven)
        out["cond"].append(res.conditional_flag)
    return {k: np.concatenate(v) for k, v in out.items()}


def scores(flag: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """``(precision, recall)`` of ``flag`` for ``truth``."""
    tp = float((flag & truth).sum())
    return tp / max(float(flag.sum()), 1.0), tp / max(float(truth.sum()), 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--models", type=int, default=50)
    a = ap.parse_args()
    t = time.perf_counter()
    res = run(a.reps, a.models)
    w = time.perf_counter() - t
    truth = res["truth"]
    print(f"{a.reps} replicates x 180 items, {a.models} models, capability-safety correlation 0.3, score SE 0.3 "
          f"({w:.1f} s wall, shared machine)")
    head = f"{'flag':<44} {'precision':>9} {'recall':>7}" + "".join(f" {f'a {lo:g}-{hi:g}':>10}" for lo, hi in BINS)
    print(head)
    labels = {"old": "old: Spearman r, BH q < 0.05", "new": "new: logistic LR test, BH q < 0.10, slope >= 0.5",
              "cond": "conditional on rest score, BH q < 0.10"}
    for key, label in labels.items():
        p, r = scores(res[key], truth)
        by = [scores(res[key][m], truth[m])[1] for m in ((res["a"] >= lo) & (res["a"] < hi) for lo, hi in BINS)]
        print(f"{label:<44} {p:>9.3f} {r:>7.3f}" + "".join(f" {x:>10.3f}" for x in by))
    n_by = [int((truth & (res["a"] >= lo) & (res["a"] < hi)).sum()) for lo, hi in BINS]
    print(f"(recall by true discrimination a of the capability-loaded items; items per bin: {n_by})")


if __name__ == "__main__":
    main()
