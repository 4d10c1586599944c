"""The compiled search kernels (ivfcore.scan) against plain numpy, and both search regimes against FAISS."""

import numpy as np
import pytest

import ivfcore
from ivfcore import ivf as ivf_module
from ivfcore import scan as scan_module
from ivfcore.distances import pairwise_scores, squared_norms
from ivfcore.scan import list_block, list_blocks, push_block, push_rows, scan_lists, smallest_per_row


@pytest.fixture(params=["serial", "parallel"])
def threads(request, monkeypatch):
    """Run the kernels on the calling thread, or on numba's threads whatever the row count."""
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_ROWS", 10**9 if request.param == "serial" else 1)
    return request.param


def _reference_topk(scores, ids, k):
    """Plain numpy: per row the k best (score, id), ascending, equal scores lowest id first; inf never kept."""
    m = scores.shape[0]
    out_d = np.full((m, k), np.inf, dtype=scores.dtype)
    out_i = np.full((m, k), -1, dtype=np.int64)
    for r in range(m):
        keep = np.isfinite(scores[r])
        s, i = scores[r][keep], ids[keep]
        order = np.lexsort((i, s))[:k]
        out_d[r, : len(order)], out_i[r, : len(order)] = s[order], i[order]
    return out_d, out_i


def _data(seed=0, n=600, d=12, nlist=7, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(dtype)
    x[100:130] = x[5]  # exact copies: ties at equal scores
    xq = np.r_[rng.normal(size=(20, d)), x[5:6]].astype(dtype)
    c = x[rng.choice(n, nlist, replace=False)]
    return x, xq, c


@pytest.mark.parametrize("metric", ivfcore.METRICS)
@pytest.mark.parametrize("filtered", [False, True])
def test_scan_lists_equals_numpy_over_the_probed_lists(metric, filtered, threads):
    x, xq, c = _data()
    index = ivfcore.build_ivf(x, c, metric=metric)
    xq = index.prepare_queries(xq)
    k, l2 = 15, metric == "l2"
    probed = np.random.default_rng(1).permuted(np.tile(np.arange(index.nlist), (len(xq), 1)), axis=1)[:, :3]
    probed[0, 2] = -1  # no list in that slot
    allowed = np.random.default_rng(2).random(index.ntotal) < 0.6 if filtered else None
    q_norms = squared_norms(xq) if l2 else np.empty(0, xq.dtype)
    mask = allowed[index.list_ids] if filtered else np.empty(0, bool)
    got_d = np.full((len(xq), k), np.inf, np.float32)
    got_i = np.full((len(xq), k), -1, np.int64)
    scan_lists(xq, q_norms, index._xb_lists, index._xb_norms, index.list_offsets, index.list_ids,
               probed, l2, mask, got_d, got_i)
    scores = pairwise_scores(xq, index.xb, metric)
    for r in range(len(xq)):  # what the query may see: its probed lists, allowed vectors
        seen = np.isin(index.labels, probed[r][probed[r] >= 0])
        if filtered:
            seen &= allowed
        scores[r, ~seen] = np.inf
    want_d, want_i = _reference_topk(scores, np.arange(index.ntotal), k)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-5, atol=1e-5)


def test_list_blocks_hold_each_list_transposed():
    x, _, c = _data(seed=7, d=5)
    index = ivfcore.build_ivf(x, c)
    assert index._xb_lists.shape == (x.size,)
    for lst in range(index.nlist):
        np.testing.assert_array_equal(list_block(index._xb_lists, index.list_offsets, lst, x.shape[1]),
                                      x[index.list_members(lst)].T)
    # an empty list is an empty block
    offsets = np.array([0, 0, 2], dtype=np.int64)
    xt = list_blocks(np.arange(6, dtype=np.float32).reshape(2, 3), offsets)
    assert list_block(xt, offsets, 0, 3).shape == (3, 0)
    np.testing.assert_array_equal(list_block(xt, offsets, 1, 3), [[0, 3], [1, 4], [2, 5]])


@pytest.mark.parametrize("metric", ivfcore.METRICS)
@pytest.mark.parametrize("parts", [1, 2, 3, 7, 40])
def test_lists_split_between_threads_give_the_serial_answer(metric, parts):
    """However the lists are cut between threads (more parts than lists too), the merged top-k is the serial one."""
    x, xq, c = _data(seed=8, nlist=9)
    index = ivfcore.build_ivf(x, c, metric=metric)
    xq = index.prepare_queries(xq)
    probed, _ = index._coarse(xq, 4)
    l2 = metric == "l2"
    q_norms = squared_norms(xq) if l2 else np.empty(0, xq.dtype)
    args = (xq, q_norms, index._xb_lists, index._xb_norms, index.list_offsets, index.list_ids, probed, l2,
            np.empty(0, bool))
    want_d, want_i = np.full((len(xq), 10), np.inf, np.float32), np.full((len(xq), 10), -1, np.int64)
    scan_module._scan_serial(*args, want_d, want_i)
    got_d, got_i = np.full((len(xq), 10), np.inf, np.float32), np.full((len(xq), 10), -1, np.int64)
    scan_module._scan_parallel(*args, got_d, got_i, parts)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_array_equal(got_d, want_d)
    assert (want_i[:, -1] >= 0).all()


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_push_block_and_push_rows_equal_numpy(metric, threads):
    x, xq, _ = _data(seed=3)
    l2 = metric == "l2"
    qn = squared_norms(xq) if l2 else np.empty(0, xq.dtype)
    xn = squared_norms(x) if l2 else np.empty(0, xq.dtype)
    ids = np.arange(len(x), dtype=np.int64)
    want_d, want_i = _reference_topk(pairwise_scores(xq, x, metric), ids, 10)
    # push_rows in two column blocks, as exact search does
    d = np.full((len(xq), 10), np.inf, np.float32)
    i = np.full((len(xq), 10), -1, np.int64)
    for lo, hi in ((0, 250), (250, len(x))):
        push_rows(xq @ x[lo:hi].T, qn, xn[lo:hi] if l2 else xn, ids[lo:hi], l2, d, i)
    np.testing.assert_array_equal(i, want_i)
    # push_block on a subset of rows, with a filter
    rows = np.array([3, 0, 7], dtype=np.int64)
    allowed = np.arange(len(x)) % 3 != 0
    d2 = np.full((len(xq), 10), np.inf, np.float32)
    i2 = np.full((len(xq), 10), -1, np.int64)
    push_block(xq[rows] @ x.T, rows, qn, xn, ids, l2, allowed, d2, i2)
    s = pairwise_scores(xq[rows], x, metric)
    s[:, ~allowed] = np.inf
    _, want_rows = _reference_topk(s, ids, 10)
    np.testing.assert_array_equal(i2[rows], want_rows)
    assert (i2[np.setdiff1d(np.arange(len(xq)), rows)] == -1).all()


def test_smallest_per_row_is_the_head_of_a_stable_argsort(threads):
    rng = np.random.default_rng(4)
    d = rng.integers(0, 5, size=(50, 40)).astype(np.float32)  # many ties
    for k in (1, 3, 40):
        np.testing.assert_array_equal(smallest_per_row(d, k), np.argsort(d, axis=1, kind="stable")[:, :k])


@pytest.fixture(params=["scan", "blas"])
def regime(request, monkeypatch):
    """Force one of the two IVF-Flat search paths (per-query scan, or one product per list)."""
    monkeypatch.setattr(ivf_module, "PER_LIST_WORK", 10**12 if request.param == "scan" else 0)
    return request.param


@pytest.mark.parametrize("metric", ivfcore.METRICS)
def test_both_search_regimes_return_faiss_ids(metric, regime):
    faiss = pytest.importorskip("faiss")
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(3000, 16)) * rng.uniform(0.5, 3, size=(3000, 1))).astype(np.float32)
    xq = rng.normal(size=(40, 16)).astype(np.float32)
    c = x[rng.choice(len(x), 20, replace=False)]
    if metric == "cosine":
        c = ivfcore.prepare(c, "cosine")
    index = ivfcore.build_ivf(x, c, metric=metric)
    stored = index.xb.copy()
    q = index.prepare_queries(xq)
    quantizer = faiss.IndexFlatL2(16) if metric == "l2" else faiss.IndexFlatIP(16)
    quantizer.add(c)
    theirs = faiss.IndexIVFFlat(quantizer, 16, 20, faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT)
    theirs.is_trained = True
    theirs.add(stored)
    for nprobe in (1, 4, 20):
        theirs.nprobe = nprobe
        fd, fi = theirs.search(q, 10)
        res = index.search(xq, 10, nprobe)
        np.testing.assert_array_equal(res.ids, fi)
        np.testing.assert_allclose(res.distances, fd, rtol=1e-4, atol=1e-4)
    flat = faiss.IndexFlatL2(16) if metric == "l2" else faiss.IndexFlatIP(16)
    flat.add(stored)
    fd, fi = flat.search(q, 10)
    d, i = ivfcore.brute_force_knn(x, xq, 10, metric=metric)
    np.testing.assert_array_equal(i, fi)
    np.testing.assert_allclose(d, fd, rtol=1e-4, atol=1e-4)


def test_both_regimes_agree_with_filters_and_iterative_probing(regime):
    x, xq, c = _data(seed=6)
    index = ivfcore.build_ivf(x, c)
    allowed = np.arange(len(x)) % 4 == 0
    res = index.search(xq, 12, 2, allowed=allowed, iterative=True)
    want_d, want_i = index.exact(xq, 12, allowed=allowed)
    # iterative probing with every list allowed to open finds k allowed vectors; check they are allowed
    assert allowed[res.ids[res.ids >= 0]].all()
    post = index.search(xq, 12, index.nlist, allowed=allowed)  # every list open: exact filtered search
    np.testing.assert_array_equal(post.ids, want_i)
    np.testing.assert_allclose(post.distances, want_d, rtol=1e-5, atol=1e-4)
