"""Speed and accuracy of the logistic capability model (``--score-method irt``): prints a scaling table.

Run from the repository root:  python benchmarks/irt_fit.py [--refits 1000] [--repeat 3]

Targets (issue 13): the fit of a frontier-size table (~300 models x ~40
benchmarks, each model with 3-12 of them) <= 2 s on 2 cores; 1,000 bootstrap
refits <= 60 s. Tables are synthetic, drawn from known parameters (share of
300 binomial items right), so the same run prints how well the fit recovers
the capabilities and how often capability +- 1.96 SE covers the truth.
Every time is reported as wall and CPU (user + system) seconds: on a shared
machine wall time includes waiting for other processes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from safetywashing.capability._irt import _sigmoid, bootstrap_refits, fit_irt  # noqa: E402


def synth(n: int, k: int, per: tuple[int, int], seed: int, items: int = 300) -> tuple[np.ndarray, ...]:
    """A sparse table from known parameters; returns (y, capability, difficulty, slope)."""
    rng = np.random.default_rng(seed)
    th = rng.normal(0, 1.5, n)
    d = rng.normal(0, 1.5, k)
    a = np.exp(rng.normal(0, 0.3, k))
    y = rng.binomial(items, _sigmoid(a * (th[:, None] - d))) / items
    mask = np.zeros((n, k), bool)
    for i in range(n):
        mask[i, rng.choice(k, min(k, int(rng.integers(per[0], per[1] + 1))), replace=False)] = True
    y[~mask] = np.nan
    return y, th, d, a


def timed(fn):  # noqa: ANN001, ANN201
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refits", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()}; other processes slow wall times)")
    print()
    print(f"{'models':>6} {'bench':>5} {'cells':>6} {'wall s':>7} {'cpu s':>6} {'r(true)':>8} {'cover95':>8} {'median SE':>9}")
    for n, k in ((50, 10), (150, 20), (300, 40), (1000, 40), (3000, 60)):
        walls, cpus, covs, rs, ses = [], [], [], [], []
        for rep in range(a.repeat):
            y, th, d, sl = synth(n, k, (3, 12), seed=rep)
            fit, w, c = timed(lambda y=y: fit_irt(y))
            j = int(fit.model.anchor[1:])
            truth = sl[j] * (th[fit.kept_rows] - d[j])
            walls.append(w)
            cpus.append(c)
            rs.append(np.corrcoef(truth, fit.capabilities)[0, 1])
            covs.append(np.mean(np.abs(fit.capabilities - truth) <= 1.96 * fit.se))
            ses.append(np.median(fit.se))
        cells = int((~np.isnan(y)).sum())
        print(f"{n:>6} {k:>5} {cells:>6} {np.median(walls):>7.3f} {np.median(cpus):>6.3f} {np.mean(rs):>8.4f} "
              f"{np.mean(covs):>8.3f} {np.median(ses):>9.3f}")
    print("(median of", a.repeat, "tables per row; cover95 = share of models whose true capability is within 1.96 SE)")
    print()
    y, *_ = synth(300, 40, (3, 12), seed=0)
    _, w, c = timed(lambda: bootstrap_refits(y, a.refits, seed=0))
    print(f"{a.refits} bootstrap refits (300 models x 40 benchmarks, warm start): wall {w:.1f} s, cpu {c:.1f} s "
          f"({1000 * w / a.refits:.0f} ms wall per refit)")
    print()
    epoch_style_agreement()


def epoch_style_agreement() -> None:
    """Spearman between this fit and a plain least-squares fit of the same model (Epoch AI's formulation) on ``frontier``.

    The plain fit: residual = sigmoid(slope (capability - difficulty)) - score
    on every observed cell, a 0.01 ridge, the same anchor, solved by
    ``scipy.optimize.least_squares`` with a sparse Jacobian pattern
    (finite differences): an independent implementation and a different
    loss (unweighted squares instead of the weighted quasi-likelihood).
    """
    from scipy.optimize import least_squares
    from scipy.sparse import lil_matrix
    from scipy.stats import spearmanr

    import safetywashing as sw
    from safetywashing.capability._model import fit_capability_model

    m = sw.load_panel("frontier")
    f = fit_capability_model(m, score_method="irt")
    caps = list(f.model.benchmarks)
    keep = f.scores.notna()
    y = m.scores.loc[keep, caps].to_numpy()
    n, k = y.shape
    ii, jj = np.nonzero(~np.isnan(y))
    obs = y[ii, jj]
    a_idx = caps.index(f.model.anchor)
    free = [j for j in range(k) if j != a_idx]
    pos = {j: q for q, j in enumerate(free)}

    def unpack(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = np.insert(p[n : n + k - 1], a_idx, 0.0)
        la = np.insert(p[n + k - 1 :], a_idx, 0.0)
        return p[:n], d, np.exp(la)

    def res(p: np.ndarray) -> np.ndarray:
        th, d, a = unpack(p)
        return np.concatenate([_sigmoid(a[jj] * (th[ii] - d[jj])) - obs, 0.01 * p])

    npar = n + 2 * (k - 1)
    pat = lil_matrix((obs.size + npar, npar), dtype=int)
    for r, (i, j) in enumerate(zip(ii, jj)):
        pat[r, i] = 1
        if j != a_idx:
            pat[r, n + pos[j]] = 1
            pat[r, n + k - 1 + pos[j]] = 1
    for q in range(npar):
        pat[obs.size + q, q] = 1
    _, w0, c0 = timed(lambda: fit_capability_model(m, score_method="irt"))
    print(f"fit of the frontier panel itself (with SEs): wall {w0:.3f} s, cpu {c0:.3f} s")
    sol, w, c = timed(lambda: least_squares(res, np.zeros(npar), jac_sparsity=pat, method="trf"))
    th, _, _ = unpack(sol.x)
    rho = spearmanr(th, f.scores[keep]).statistic
    print(f"frontier panel ({n} models, {k} benchmarks): Spearman with a plain least-squares fit (Epoch's loss, "
          f"scipy least_squares, {w:.1f} s wall / {c:.1f} s cpu) = {rho:.4f}")


if __name__ == "__main__":
    main()
