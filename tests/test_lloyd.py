"""The fused Lloyd pass (numba kernel, threads) against its plain numpy reference.

:func:`ivfcore.lloyd.lloyd_pass_numpy` is ``distances.nearest`` followed by ``np.add.at`` sums:
the fused pass must give the same labels and values, and the same sums up to the order in
which float additions happen (blocks are shared between threads).
"""

import numpy as np
import pytest

import ivfcore
from ivfcore import lloyd


@pytest.fixture
def small_blocks(monkeypatch):
    """Many blocks and two threads on test-sized data, so sharing the work is exercised."""
    monkeypatch.setattr(lloyd, "MIN_BLOCK_ROWS", 16)
    monkeypatch.setattr(lloyd, "BLOCK_ELEMENTS", 16 * 40)
    monkeypatch.setattr(lloyd, "MIN_ROWS_PER_THREAD", 64)


def _data(dtype, n=1500, d=12, k=17, seed=0):
    x = ivfcore.make_dataset("imbalanced", seed=seed, n=n, d=d).x.astype(dtype)
    c = x[np.random.default_rng(seed).choice(n, k, replace=False)] + dtype(0.01)
    return np.ascontiguousarray(x), np.ascontiguousarray(c)


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2])
def test_matches_numpy_reference(small_blocks, metric, dtype, threads):
    x, c = _data(dtype)
    if metric == "cosine":
        x, c = ivfcore.prepare(x, "cosine"), ivfcore.prepare(c, "cosine")
    norms = np.einsum("ij,ij->i", x, x) if metric == "l2" else None
    labels, values, sums, counts = lloyd.lloyd_pass(x, c, norms, metric=metric, threads=threads)
    ref = lloyd.lloyd_pass_numpy(x, c, norms, metric=metric)
    ref_labels, ref_values, ref_sums, ref_counts = ref
    assert labels.dtype == np.int64 and values.dtype == dtype and sums.dtype == dtype
    np.testing.assert_array_equal(labels, ref_labels)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(values, ref_values, rtol=tol, atol=tol)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_allclose(sums, ref_sums, rtol=tol, atol=tol * np.abs(x).sum(axis=0).max())
    assert counts.sum() == len(x)


def test_without_sums_and_norms_computed(small_blocks):
    x, c = _data(np.float32)
    labels, values, sums, counts = lloyd.lloyd_pass(x, c, with_sums=False, threads=2)
    ref_labels, ref_values, _, _ = lloyd.lloyd_pass_numpy(x, c)
    assert sums is None and counts is None
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_allclose(values, ref_values, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_ties_go_to_the_lowest_index(small_blocks, metric):
    """Duplicate centroids and a vector exactly between two: argmin / argmax's first index."""
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, 0.0], [3.0, 3.0]] * 50, dtype=np.float32)
    c = np.array([[2.0, 2.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [2.0, 2.0]], dtype=np.float32)
    labels, _, _, counts = lloyd.lloyd_pass(x, c, metric=metric, threads=2)
    ref = lloyd.lloyd_pass_numpy(x, c, metric=metric)
    np.testing.assert_array_equal(labels, ref[0])
    if metric == "l2":
        np.testing.assert_array_equal(labels[:4], [1, 2, 1, 0])  # (0.5, 0): 1 and 2 tie -> 1
    np.testing.assert_array_equal(counts, np.bincount(ref[0], minlength=len(c)))


def test_one_centroid_and_one_row_blocks(monkeypatch):
    monkeypatch.setattr(lloyd, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(lloyd, "BLOCK_ELEMENTS", 1)
    x, c = _data(np.float32, n=40, k=1)
    labels, values, sums, counts = lloyd.lloyd_pass(x, c)
    assert (labels == 0).all() and counts.tolist() == [40]
    np.testing.assert_allclose(sums[0], x.sum(axis=0), rtol=1e-5)
    np.testing.assert_allclose(values, ((x - c[0]) ** 2).sum(axis=1), rtol=1e-4, atol=1e-4)


def test_blas_thread_limit_is_restored():
    from threadpoolctl import threadpool_info

    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    x, c = _data(np.float32, n=20000, d=8, k=5)
    lloyd.lloyd_pass(x, c, threads=2)
    after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert before == after


def test_sums_do_not_depend_on_the_number_of_threads():
    """The same float sums (so the same centroids) on 1, 2 or 3 threads, run after run: the
    order of the float additions is fixed (a class quotes the cluster sizes that follow)."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((40_000, 16)) * 50 + 1000).astype(np.float32)  # large values: rounding shows
    c = x[rng.choice(len(x), 30, replace=False)]
    ref = lloyd.lloyd_pass(x, c, threads=1)
    for threads in (2, 3, 2):
        got = lloyd.lloyd_pass(x, c, threads=threads)
        assert np.array_equal(got[0], ref[0])
        assert np.array_equal(got[2], ref[2]), threads  # bit for bit
        assert np.array_equal(got[3], ref[3])
