"""Issue 23 (fast items): the faster item statistics give the values of plain, independent computations.

Each fast route is checked against a straightforward one written here: per-item Newton loops in float64 for the
batched logistic fits, row-indexed resamples for the count-vector bootstraps, one product per fold for the
cross-fitting. The speed itself is measured by benchmarks/items_scale.py, not here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from safetywashing._util.stats import pairwise_corr_masked
from safetywashing.commands._audit import bootstrap_corr_fixed
from safetywashing.inference import _item_stats as st
from safetywashing.sources._item_synth import draw_models, make_items


def _plain_newton(y: np.ndarray, x: np.ndarray, ridge: float = 0.05) -> tuple[np.ndarray, np.ndarray, float]:
    """One item's ridge logistic fit by a plain float64 Newton loop to a step below 1e-13: (beta, covariance, loglik)."""
    o = ~np.isnan(y)
    yo, xo = y[o], x[o]
    design = np.column_stack([np.ones(o.sum()), xo])
    pen = np.diag([0.0, ridge])
    mu = np.clip(yo.mean(), 1e-3, 1 - 1e-3)
    beta = np.array([np.log(mu / (1 - mu)), 0.0])
    for _ in range(200):
        p = special.expit(design @ beta)
        grad = design.T @ (yo - p) - pen @ beta
        hess = design.T @ (design * (p * (1 - p))[:, None]) + pen
        step = np.clip(np.linalg.solve(hess, grad), -2, 2)
        beta = beta + step
        if np.abs(step).max() < 1e-13:
            break
    p = special.expit(design @ beta)
    ll = float(np.sum(yo * np.log(p) + (1 - yo) * np.log1p(-p)))
    hess = design.T @ (design * (p * (1 - p))[:, None]) + pen
    return beta, np.linalg.inv(hess), ll


def _responses(seed: int = 3, n: int = 120, k: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """0/1 responses with missing cells, some fractional items and a separated item; and the capabilities score."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    a, b = rng.normal(size=k) * 1.5, rng.normal(size=k)
    y = (rng.random((n, k)) < special.expit(a * z[:, None] - b)).astype(float)
    y[:, :5] = np.round(0.5 * y[:, :5] + 0.5 * rng.random((n, 5)), 2)  # fractional scores (quasi-likelihood)
    y[:, 5] = (z > 0.3).astype(float)  # separated: only the ridge keeps the slope finite
    y[rng.random((n, k)) < 0.1] = np.nan
    return y, z


@pytest.mark.parametrize("own", [False, True])
def test_batched_fits_equal_plain_newton_per_item(own):
    """Float32 steps on the unconverged items, then float64: the float64 optimum of a plain loop, to 1e-9."""
    y, z = _responses()
    rng = np.random.default_rng(4)
    x = z[:, None] + 0.5 * rng.normal(size=y.shape) if own else z  # one covariate per item, or one shared
    beta, cov, ll = st._glm_batch(y, [x])
    for j in range(y.shape[1]):
        b_ref, c_ref, ll_ref = _plain_newton(y[:, j], x[:, j] if own else x)
        np.testing.assert_allclose(beta[j], b_ref, atol=1e-9, rtol=0)
        np.testing.assert_allclose(cov[j], c_ref, rtol=1e-8, atol=1e-12)
        assert ll[j] == pytest.approx(ll_ref, abs=1e-8)


def test_item_models_equal_plain_computation():
    """Discrimination, its Wald interval, the LR p and the conditional score test from plain per-item algebra."""
    y, s = _responses(seed=8, n=90, k=30)
    y = y[:, 6:]  # fitted items only (the separated one has a constant-free but extreme fit: covered above)
    im = st.item_models(y, s)
    z = (s - s.mean()) / s.std()
    obs = ~np.isnan(y)
    rows, cnt = np.where(obs, y, 0).sum(axis=1), obs.sum(axis=1)
    for j in range(y.shape[1]):
        o = obs[:, j]
        b_ref, c_ref, ll1 = _plain_newton(y[:, j], z)
        se = np.sqrt(c_ref[1, 1])
        mu = y[o, j].mean()
        ll0 = o.sum() * (mu * np.log(mu) + (1 - mu) * np.log(1 - mu))
        assert im.discrimination[j] == pytest.approx(b_ref[1], abs=1e-9)
        assert im.disc_low[j] == pytest.approx(b_ref[1] - 1.959964 * se, abs=1e-8)
        assert im.disc_high[j] == pytest.approx(b_ref[1] + 1.959964 * se, abs=1e-8)
        assert im.lr_p[j] == pytest.approx(stats.chi2.sf(2 * (ll1 - ll0), 1), rel=1e-6, abs=1e-9)
        # conditional test: score test of z in the fit on the rest score, with the information matrix inverted whole
        rest = (rows - np.where(o, y[:, j], 0)) / (cnt - o)
        rest = (rest - rest.mean()) / rest.std()
        b_rest, _, _ = _plain_newton(y[:, j], rest)
        design = np.column_stack([np.ones(o.sum()), rest[o], z[o]])
        p = special.expit(design[:, :2] @ b_rest)
        u = z[o] @ (y[o, j] - p)
        info = design.T @ (design * (p * (1 - p))[:, None])
        eff = 1.0 / np.linalg.inv(info)[2, 2]
        assert im.cond_discrimination[j] == pytest.approx(u / eff, rel=1e-7, abs=1e-9)
        assert im.cond_p[j] == pytest.approx(stats.chi2.sf(u * u / eff, 1), rel=1e-6, abs=1e-12)


def _old_interval(oof, s, method, n_boot, level, rng):
    """The bootstrap interval from row-indexed resamples (every resample copied and ranked)."""
    n, repeats = oof.shape
    chunk = max(1, 2_000_000 // max(1, n * repeats))
    means = []
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
        rb, _ = pairwise_corr_masked(oof[idx], s[idx], method)
        with _quiet():
            means.append(np.nanmean(rb, axis=1))
    mb = np.concatenate(means)
    a = (1 - level) / 2
    with _quiet():
        return np.nanquantile(mb, a), np.nanquantile(mb, 1 - a)


class _quiet:
    def __enter__(self):
        import warnings

        self.cm = warnings.catch_warnings()
        self.cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self.cm.__exit__(*exc)


@pytest.mark.parametrize("method", ["spearman", "pearson"])
@pytest.mark.parametrize("n,ties,missing", [(80, False, False), (61, True, True), (6, True, False)])
def test_counted_bootstraps_equal_indexed_resamples(method, n, ties, missing):
    """Resamples as count vectors: the same draws and correlations as copying the resampled rows (Spearman: exactly)."""
    rng = np.random.default_rng(n)
    s = rng.normal(size=n)
    oof = 0.4 * s[:, None] + rng.normal(size=(n, 4))
    if ties:
        s, oof = np.round(s, 1), np.round(oof, 1)
    if missing:
        oof[rng.random(oof.shape) < 0.1] = np.nan
        s[0] = np.nan
    tol = 0.0 if method == "spearman" else 1e-12
    got = st._interval(oof, s, method, 300, 0.9, np.random.default_rng(1))
    want = _old_interval(oof, s, method, 300, 0.9, np.random.default_rng(1))
    np.testing.assert_allclose(got, want, atol=tol, rtol=0)
    lo, hi, _ = bootstrap_corr_fixed(oof[:, :1], s, method=method, n_boot=300, level=0.9, rng=np.random.default_rng(2))
    got1 = st.bootstrap_corr_counted(oof[:, 0], s, method=method, n_boot=300, level=0.9, rng=np.random.default_rng(2))
    np.testing.assert_allclose(got1, (lo[0], hi[0]), atol=tol, rtol=0)


class _Counting(np.ndarray):
    """An array that counts the matrix products it takes part in (class-level counter)."""

    products = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul:
            type(self).products += 1
        inputs = tuple(np.asarray(x) if isinstance(x, _Counting) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)


def test_crossfit_reads_the_responses_a_few_times_whatever_the_repeats(monkeypatch):
    """Issue 23: the cross-fitting reuses work across folds and repeats: a handful of products with the responses
    (every repeat's fold keys in one batch, every fold's prefix means in one product), not one per fold and repeat."""
    d = draw_models(make_items({"capability": 30, "safety": 30}, seed=5), 60, seed=6, missing=0.05)
    init = st._Suff.__init__

    def counting_init(self, y):
        init(self, y)
        self.y0 = self.y0.view(_Counting)

    monkeypatch.setattr(st._Suff, "__init__", counting_init)
    _Counting.products = 0
    cf = st.crossfit_subset(d.y, d.score, size=30, max_correlation=None, repeats=10, n_boot=50)
    assert _Counting.products <= 6, _Counting.products  # 80 on the fold-by-fold code (8 per repeat)
    assert cf.folds == 5 and cf.repeats == 10 and cf.correlation is not None


def test_prefix_means_of_many_orders_equal_one_by_one():
    d = draw_models(make_items({"capability": 25, "safety": 25}, seed=9), 40, seed=10, missing=0.1)
    suff = st._Suff(d.y)
    rng = np.random.default_rng(0)
    orders = [rng.permutation(50) for _ in range(7)]
    sizes = np.array([1, 5, 20, 50])
    many = suff.prefix_means_many(orders, sizes)
    for c, o in enumerate(orders):
        np.testing.assert_array_equal(many[:, c, :], suff.prefix_means(o, sizes))


def test_reliability_fast_paths_equal_the_masked_route():
    """Complete blocks skip masks (alpha) and sum 0/1 in float32 (split-half): KR-20, and the masked float64 route."""
    d = draw_models(make_items({"capability": 40, "safety": 30}, seed=12), 50, seed=13)
    y32, y64 = d.y.astype(np.float32), d.y.astype(float)
    k = y32.shape[1]
    kr20 = k / (k - 1) * (1 - y64.var(axis=0, ddof=1).sum() / np.var(y64.sum(axis=1), ddof=1))
    assert st.cronbach_alpha(y32) == pytest.approx(kr20, rel=1e-12)
    assert st.split_half(y32, seed=3) == st.split_half(y64, seed=3)  # float64: the masked route


def test_items_blocks_reused_not_faulted_in_again():
    """After keep_freed_memory (M_TOP_PAD, which freezes glibc's mmap threshold at 128 KB) a 2 MB block freed and
    allocated again faults its pages in afresh each time; reuse_mid_blocks serves it from the heap instead."""
    import subprocess
    import sys

    code = (
        "import resource, sys, numpy as np\n"
        "from safetywashing._util.process import reuse_mid_blocks\n"
        "from safetywashing._util.process import keep_freed_memory\n"
        "if not keep_freed_memory(): print(-1); sys.exit()\n"
        "if sys.argv[1] == '1': assert reuse_mid_blocks()\n"
        "np.ones(262_144)\n"
        "f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "for _ in range(100): np.ones(262_144)\n"  # 2 MB each, freed at once
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)\n"
    )
    faults = [int(subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, check=True).stdout)
              for arg in ("0", "1")]
    if faults[0] < 0:
        pytest.skip("no glibc mallopt here")
    assert faults[0] > 100 * 400  # every block's 512 pages faulted in again
    assert faults[1] < 2_000


def test_item_fits_on_threads_equal_one_thread_bit_for_bit():
    """item_models(threads=2) fits its blocks on two threads: the same bits as one thread (several blocks, missing cells)."""
    rng = np.random.default_rng(11)
    n, k = 2000, 300  # 131 items per block at 2,000 models: three blocks
    z = rng.normal(size=n)
    y = (rng.random((n, k)) < special.expit(rng.normal(size=k) * z[:, None] - rng.normal(size=k))).astype(np.float32)
    y[rng.random((n, k)) < 0.05] = np.nan
    assert st._glm_block_size(n) < k
    one, two = st.item_models(y, z, threads=1), st.item_models(y, z, threads=2)
    for f in st.ItemModels.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(one, f), getattr(two, f), err_msg=f)
    assert np.isfinite(one.discrimination).sum() > k - 5


def test_audit_with_fits_in_background_equals_inline(monkeypatch):
    """The fits on their own thread beside the other statistics (the calling thread then takes the blocks left): the
    audit's dict is the inline one, value for value, and every block is fitted once."""
    import threading

    from safetywashing.commands import _items_audit as au

    y, s = _responses(seed=5, n=200, k=170)
    monkeypatch.setattr(st, "GLM_BLOCK_CELLS", 64 * 200)  # 64 items per block: 3 blocks
    items = [f"q{j}" for j in range(y.shape[1])]
    inline = au.audit_items(y, s, items, n_boot=100).to_dict()
    monkeypatch.setattr(au, "FIT_BACKGROUND_CELLS", 0)
    fitted_by = []
    real = st._fit_block
    monkeypatch.setattr(st, "_fit_block", lambda yb, *a: fitted_by.append(threading.current_thread().name) or real(yb, *a))
    threaded = au.audit_items(y, s, items, n_boot=100).to_dict()
    assert threaded == inline
    assert len(fitted_by) == 3 and any(name.startswith("item-fits") for name in fitted_by)


def test_fit_job_blocks_taken_once_by_any_number_of_threads(monkeypatch):
    """ItemFitJob: threads calling work() at once share its blocks (each fitted once): one thread's values, bit for bit."""
    import threading

    y, z = _responses(seed=12, n=200, k=640)
    monkeypatch.setattr(st, "GLM_BLOCK_CELLS", 64 * 200)  # 64 items per block: 10 blocks
    one = st.ItemFitJob(y, z)
    one.work()
    job = st.ItemFitJob(y, z)
    taken = []
    real = job._take
    job._take = lambda: taken.append(1) or real()
    threads = [threading.Thread(target=job.work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == len(job.blocks) + 3  # every block once, then one empty take per thread
    for f in st.ItemModels.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(one.result(), f), getattr(job.result(), f), err_msg=f)


def test_an_error_beside_the_fits_stops_their_remaining_blocks(monkeypatch):
    """Ctrl-C (or any error) in the other statistics sets the fits' stop event: blocks not yet started are skipped."""
    from safetywashing.commands import _items_audit as au

    y, s = _responses(seed=6, n=200, k=768)
    monkeypatch.setattr(st, "GLM_BLOCK_CELLS", 64 * 200)  # 64 items per block: 12 blocks
    jobs, started = [], []

    class Job(st.ItemFitJob):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            jobs.append(self)

    real = st._fit_block

    def fit_block(yb, *a):
        started.append(yb.shape[1])
        jobs[0].stop.wait(10)  # the fits' thread holds its first block until the error has stopped the job
        return real(yb, *a)

    monkeypatch.setattr(au, "ItemFitJob", Job)
    monkeypatch.setattr(st, "_fit_block", fit_block)
    monkeypatch.setattr(au, "FIT_BACKGROUND_CELLS", 0)

    def interrupted(*a, **kw):
        while not started:  # the fits have begun
            pass
        raise KeyboardInterrupt

    monkeypatch.setattr(au, "item_correlations", interrupted)
    with pytest.raises(KeyboardInterrupt):
        au.audit_items(y, s, [f"q{j}" for j in range(y.shape[1])])
    assert len(started) == 1 and jobs[0].stop.is_set()
    stop = __import__("threading").Event()
    stop.set()
    assert np.isnan(st.item_models(y, s, stop=stop).discrimination).all()  # stopped before any block


def test_crossfit_reads_a_complete_float32_matrix_without_copying_it():
    """A complete C-ordered float32 matrix is used as it is (no 4-bytes-per-cell copy); the selection statistics are
    those of the copied route, bit for bit."""
    rng = np.random.default_rng(2)
    n, k = 80, 50
    z = rng.normal(size=n)
    y = (rng.random((n, k)) < special.expit(rng.normal(size=k) * z[:, None])).astype(np.float32)
    own, copied = st._Suff(y), st._Suff(y.astype(float))  # float64 input: zero-filled float32 copy
    assert own.y0 is y and copied.y0 is not y
    train = (rng.random((n, 6)) < 0.8).astype(float)
    np.testing.assert_array_equal(own.keys_many(train, z), copied.keys_many(train, z))
    orders = [rng.permutation(k) for _ in range(3)]
    np.testing.assert_array_equal(own.prefix_means_many(orders, np.array([5, 20])),
                                  copied.prefix_means_many(orders, np.array([5, 20])))


def test_an_error_while_the_caller_helps_with_the_fits_stops_them(monkeypatch):
    """Ctrl-C while the calling thread fits blocks of its own (after its statistics) also stops the fits' thread."""
    import threading

    from safetywashing.commands import _items_audit as au

    y, s = _responses(seed=6, n=200, k=640)
    monkeypatch.setattr(st, "GLM_BLOCK_CELLS", 64 * 200)  # 64 items per block: 10 blocks
    started, helping = [], threading.Event()
    real = st._fit_block

    def fit_block(yb, *a):
        started.append(threading.current_thread().name)
        if threading.current_thread() is threading.main_thread():
            helping.set()
            raise KeyboardInterrupt
        helping.wait(10)  # the fits' thread holds its first block until the caller has begun helping
        return real(yb, *a)

    monkeypatch.setattr(st, "_fit_block", fit_block)
    monkeypatch.setattr(au, "FIT_BACKGROUND_CELLS", 0)
    with pytest.raises(KeyboardInterrupt):
        au.audit_items(y, s, [f"q{j}" for j in range(y.shape[1])], n_boot=100)
    assert "MainThread" in started and len(started) <= 2  # the caller's block and at most the thread's first
