"""The compiled nearest-codeword kernels of IVF-PQ against their plain numpy references.

The kernels sum with fused multiply-adds, the references round each product and sum apart,
so a row may pick a different codeword only where two codewords' scores differ by a rounding:
everywhere else the labels and codes must be the references', and everywhere the picked
codeword must be a nearest one up to that rounding. Sums and counts must be exactly those of
the picked labels (added in row order). Thread counts must not change a result.
"""

import numpy as np
import pytest

import ivfcore
from ivfcore import codewords, pq


def _exact_sq(x, c):
    """Squared distances in float64, (n, k)."""
    x64, c64 = x.astype(np.float64), c.astype(np.float64)
    return (x64 ** 2).sum(1)[:, None] - 2 * x64 @ c64.T + (c64 ** 2).sum(1)[None, :]


def _check_labels(labels, ref, x, c):
    d = _exact_sq(x, c)
    scale = np.abs(d).max() + 1.0
    tol = 16 * np.finfo(x.dtype).eps * scale  # a few roundings of the largest term
    picked = d[np.arange(len(x)), labels]
    assert np.all(picked <= d.min(1) + tol)  # a nearest codeword, up to rounding
    srt = np.sort(d, axis=1)
    clear = (srt[:, 1] - srt[:, 0]) > tol  # rows whose nearest codeword is not a near-tie
    assert clear.mean() > 0.8  # the comparison below is not vacuous
    np.testing.assert_array_equal(labels[clear], ref[clear])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dsub", [1, 3, 8, 12, 16])
def test_assign_and_sum_matches_numpy(dtype, dsub):
    # n = 1000 is not a multiple of BLOCK_ROWS (the last block is partial); dsub 12 and 16
    # take the multi-step path, 1 and 3 the zero padding.
    rng = np.random.default_rng(dsub)
    x = rng.standard_normal((1000, dsub)).astype(dtype)
    c = x[rng.choice(1000, 40, replace=False)] + dtype(0.01)
    labels, sums, counts = codewords.assign_and_sum(x, c)
    ref_labels, _, _ = codewords.assign_and_sum_numpy(x, c)
    assert labels.dtype == np.int64 and sums.dtype == np.float64 and counts.dtype == np.int64
    _check_labels(labels, ref_labels, x, c)
    want = np.zeros(c.shape)
    np.add.at(want, labels, x.astype(np.float64))  # row order, as the kernel adds
    np.testing.assert_array_equal(sums, want)
    np.testing.assert_array_equal(counts, np.bincount(labels, minlength=len(c)))


def test_equal_codewords_go_to_the_lowest_index():
    # Codewords 1 and 3 are the same point; every row sitting on it must get 1, as np.argmin.
    c = np.array([[5, 5], [1, 1], [9, 0], [1, 1]], dtype=np.float32)
    x = np.array([[1, 1]] * 70 + [[5, 5], [9, 0]], dtype=np.float32)
    labels, _, counts = codewords.assign_and_sum(x, c)
    np.testing.assert_array_equal(labels, [1] * 70 + [0, 2])
    np.testing.assert_array_equal(counts, [1, 70, 1, 0])


@pytest.mark.parametrize("by_residual", [True, False])
def test_encode_matches_numpy_and_does_not_depend_on_how_rows_are_split(by_residual):
    ds = ivfcore.make_dataset("imbalanced", seed=1, n=700, d=16)
    x = ds.x
    rng = np.random.default_rng(0)
    cents = x[rng.choice(700, 5, replace=False)]
    labels = ivfcore.brute_force_knn(cents, x, 1)[1][:, 0].astype(np.int64)
    books = rng.standard_normal((4, 32, 4)).astype(np.float32)
    whole = np.zeros((700, 4), dtype=np.uint8)
    codewords.encode(x, cents, labels, books, by_residual, whole, 0, 700)
    split = np.zeros((700, 4), dtype=np.uint8)
    for start, stop in ((0, 65), (65, 300), (300, 700)):
        codewords.encode(x, cents, labels, books, by_residual, split, start, stop)
    np.testing.assert_array_equal(split, whole)
    ref = codewords.encode_numpy(x, cents, labels, books, by_residual)
    r = x - cents[labels] if by_residual else x
    for j in range(4):
        sub = np.ascontiguousarray(r[:, 4 * j : 4 * j + 4])
        _check_labels(whole[:, j].astype(np.int64), ref[:, j].astype(np.int64), sub, books[j])


def test_build_does_not_depend_on_the_number_of_threads(monkeypatch):
    ds = ivfcore.make_dataset("blobs", seed=3, n=3000, d=16, centers=6)
    c = ivfcore.train_kmeans(ds.x, 6, seed=0, record_history=False).centroids
    built = []
    for threads in (1, 3):
        monkeypatch.setattr(pq, "BUILD_THREADS", threads)
        monkeypatch.setattr(pq, "ENCODE_ROWS", 256)
        built.append(ivfcore.build_ivfpq(ds.x, c, m=4, nbits=6, seed=0, max_points_per_centroid=32))
    np.testing.assert_array_equal(built[0].codebooks, built[1].codebooks)
    np.testing.assert_array_equal(built[0].codes, built[1].codes)
