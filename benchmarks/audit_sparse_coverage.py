"""Coverage of audit intervals against a sparse panel: do they cover the correlation with the TRUE capability?

Run from the repository root:  python benchmarks/audit_sparse_coverage.py [--panels 4] [--audits 50] [--boot 500]

Simulation: a sparse panel is drawn from known parameters (150 models x 20
benchmarks, each model 3-8 of them, share of 100 binomial items right) and
fitted with the logistic capability model. An audit takes 20 panel models at
random and a new benchmark y = true capability + N(0, sigma^2); its target is
the population Pearson correlation of y with the true capability,
rho = sd(theta) / sqrt(sd(theta)^2 + sigma^2). Two 95% intervals for
corr(y, estimated score) are compared:

* ``fixed``: percentile bootstrap over the audited models, scores held at their
  estimates (what the PCA path does);
* ``with SE``: the audit's interval for ``--score-method irt`` -- models
  resampled and each score drawn from N(estimate, SE^2), median-centred.

Prints coverage (share of audits whose interval contains rho) and the mean
width for several noise levels. Machine-load note: timings are not the point here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from safetywashing._util.stats import pairwise_corr_masked  # noqa: E402
from safetywashing.capability._irt import _sigmoid, fit_irt  # noqa: E402
from safetywashing.inference._draws import bootstrap_correlations, centred_interval  # noqa: E402


def panel(seed: int, n: int = 150, k: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    th = rng.normal(0, 1.5, n)
    d = rng.normal(0, 1.5, k)
    a = np.exp(rng.normal(0, 0.3, k))
    y = rng.binomial(100, _sigmoid(a * (th[:, None] - d))) / 100
    mask = np.zeros((n, k), bool)
    for i in range(n):
        mask[i, rng.choice(k, int(rng.integers(3, 9)), replace=False)] = True
    y[~mask] = np.nan
    return y, th


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panels", type=int, default=4)
    ap.add_argument("--audits", type=int, default=50)
    ap.add_argument("--boot", type=int, default=500)
    ap.add_argument("--models", type=int, default=20)
    a = ap.parse_args()
    head = ("sigma", "rho", "cover fixed", "cover w/ SE", "width fixed", "width w/ SE", "audits")
    print(" ".join(h.rjust(w) for h, w in zip(head, (5, 6, 11, 11, 11, 11, 6))))
    for sigma in (0.5, 1.0, 2.0):
        cov = {"fixed": [], "se": []}
        wid = {"fixed": [], "se": []}
        for ps in range(a.panels):
            yp, th = panel(ps)
            fit = fit_irt(yp)
            j = int(fit.model.anchor[1:])
            del j  # the target is scale-free (a correlation): no anchor transform needed
            theta_true = th[fit.kept_rows]
            s_hat, se = fit.capabilities, fit.se
            rho = np.std(th) / np.sqrt(np.var(th) + sigma**2)
            rng = np.random.default_rng(1000 + ps)
            for _ in range(a.audits):
                pick = rng.choice(len(s_hat), a.models, replace=False)
                y = (theta_true[pick] + rng.normal(0, sigma, a.models))[:, None]
                r_pt = pairwise_corr_masked(y, s_hat[pick], "pearson")[0]
                for key, e in (("fixed", np.zeros(a.models)), ("se", se[pick])):
                    rb = bootstrap_correlations(y, s_hat[pick], e, method="pearson", n_boot=a.boot,
                                                rng=np.random.default_rng(rng.integers(2**32)))
                    if key == "fixed":
                        lo, hi = np.nanquantile(rb[:, 0], [0.025, 0.975])
                    else:
                        lo, hi = (v[0] for v in centred_interval(r_pt, rb, 0.95))
                    cov[key].append(lo <= rho <= hi)
                    wid[key].append(hi - lo)
        print(f"{sigma:>5.1f} {rho:>6.3f} {np.mean(cov['fixed']):>11.3f} {np.mean(cov['se']):>11.3f} "
              f"{np.mean(wid['fixed']):>11.3f} {np.mean(wid['se']):>11.3f} {len(cov['se']):>6}")
    print(f"({a.models} audited models per audit; {a.boot} resamples; panels of 150 models x 20 benchmarks, 3-8 each)")


if __name__ == "__main__":
    main()
