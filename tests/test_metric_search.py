"""Search by inner product and cosine (issue 12): IVF-Flat, exact search, IVF-PQ, traces, sweeps.

References: FAISS (``IndexIVFFlat`` over an ``IndexFlatIP`` quantizer holding our centroids,
``METRIC_INNER_PRODUCT``; ``IndexFlatIP``; ``IndexIVFPQ``), float64 brute force, and tiny
2-D cases whose every number is worked out by hand below.
"""

import numpy as np
import pytest

import ivfcore
from ivfcore import (
    InputError, brute_force_knn, build_ivf, build_ivfpq, neighbour_spread, recall_at_k, recall_sweep,
    train_kmeans,
)


def _varied_norms(n=3000, d=16, seed=0):
    """12 Gaussian clusters in every direction around 0, rows scaled by 0.2..4: inner product
    and cosine then disagree, and cosine similarities are spread (not all near 1)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(12, d))
    x = centers[rng.integers(0, 12, n)] + rng.normal(0, 0.6, (n, d))
    return np.ascontiguousarray(x * rng.uniform(0.2, 4.0, (n, 1)), dtype=np.float32)


def _unit(x):
    x = np.array(x, dtype=np.float32)
    return x / np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True).astype(np.float32)


@pytest.fixture(scope="module")
def faiss():
    faiss = pytest.importorskip("faiss")
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # small data: threads only contend on a shared machine
    yield faiss
    faiss.omp_set_num_threads(threads)


@pytest.fixture(scope="module", params=["ip", "cosine"])
def ip_case(request):
    """(metric, xb, xq, centroids): 2,800 stored and 200 held-out rows, 20 spherical k-means lists."""
    metric = request.param
    x = _varied_norms()
    xb, xq = x[:2800], x[2800:]
    c = train_kmeans(xb, 20, metric=metric, seed=0, max_iter=10, record_history=False).centroids
    return metric, xb, xq, c


def _faiss_ivf_ip(faiss, xb, c, metric):
    """FAISS IndexIVFFlat, inner product, whose quantizer holds exactly ``c`` (no training)."""
    d, nlist = xb.shape[1], c.shape[0]
    quantizer = faiss.IndexFlatIP(d)
    quantizer.add(np.ascontiguousarray(c, dtype=np.float32))
    index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    stored = xb.copy()
    if metric == "cosine":
        faiss.normalize_L2(stored)
    index.add(stored)
    return index, quantizer


def _faiss_queries(faiss, xq, metric):
    q = np.ascontiguousarray(xq, dtype=np.float32).copy()
    if metric == "cosine":
        faiss.normalize_L2(q)
    return q


def _same_answers(ids, dist, ref_ids, ref_dist, tol=1e-5):
    """Values within ``tol`` (relative, and absolute near 0: float32 sums in another order);
    ids equal wherever the next result is not that close (an exchangeable near-tie)."""
    np.testing.assert_allclose(dist, ref_dist, rtol=tol, atol=tol)
    tie = np.zeros_like(ids, dtype=bool)
    close = np.abs(np.diff(ref_dist, axis=1)) <= 2 * tol * (1 + np.abs(ref_dist[:, 1:]))
    tie[:, 1:] |= close
    tie[:, :-1] |= close
    assert (ids[~tie] == ref_ids[~tie]).all()
    assert (ids == ref_ids).mean() > 0.99  # near-ties are rare, and most of them keep their order


def test_ivf_flat_equals_faiss_index_ivf_flat_inner_product(faiss, ip_case):
    metric, xb, xq, c = ip_case
    ours = build_ivf(xb, c, metric=metric)
    ref, quantizer = _faiss_ivf_ip(faiss, xb, c, metric)
    assert ours.metric == metric
    # the same lists, member for member
    invlists = ref.invlists
    for lst in range(ours.nlist):
        members = faiss.rev_swig_ptr(invlists.get_ids(lst), invlists.list_size(lst)).copy()
        np.testing.assert_array_equal(np.sort(members), ours.list_members(lst))
    q = _faiss_queries(faiss, xq, metric)
    for nprobe in (1, 3, 7, ours.nlist):
        ref.nprobe = nprobe
        ref_dist, ref_ids = ref.search(q, 10)
        res = ours.search(xq, k=10, nprobe=nprobe)
        assert res.metric == metric
        _, ref_probed = quantizer.search(q, nprobe)
        np.testing.assert_array_equal(res.probed, ref_probed)
        _same_answers(res.ids, res.distances, ref_ids, ref_dist)
        assert (np.diff(res.distances, axis=1) <= 0).all()  # similarities, descending


def test_exact_search_equals_faiss_index_flat_ip(faiss, ip_case):
    metric, xb, xq, _ = ip_case
    flat = faiss.IndexFlatIP(xb.shape[1])
    stored = xb.copy()
    if metric == "cosine":
        faiss.normalize_L2(stored)
    flat.add(stored)
    ref_dist, ref_ids = flat.search(_faiss_queries(faiss, xq, metric), 10)
    dist, ids = brute_force_knn(xb, xq, 10, metric=metric)
    _same_answers(ids, dist, ref_ids, ref_dist)
    # the index's own exact search is the same computation
    d2, i2 = build_ivf(xb, xb[:5], metric=metric).exact(xq, 10)
    np.testing.assert_array_equal(i2, ids)
    np.testing.assert_allclose(d2, dist, rtol=0, atol=1e-6)


def test_exact_search_against_float64_brute_force(ip_case):
    metric, xb, xq, _ = ip_case
    a, b = xb.astype(np.float64), xq.astype(np.float64)
    if metric == "cosine":
        a = a / np.linalg.norm(a, axis=1, keepdims=True)
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
    sims = b @ a.T
    want = -np.sort(-sims, axis=1)[:, :10]
    dist, ids = brute_force_knn(xb, xq, 10, metric=metric)
    np.testing.assert_allclose(dist, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(sims, ids, 1), want, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------------------
# Hand-checked 2-D cases. Centroids c0 = (1, 0) and c1 = (0, 1); query q = (0.6, 0.8), a unit
# vector, so q . c0 = 0.6 and q . c1 = 0.8: list 1 is probed first under ip and cosine.
#
#   id  vector      list ip (x.c0, x.c1)   q . x   |x|     cosine(q, x)   list cosine
#   0   (1, 0)      0  (1, 0)              0.6     1       0.6            0
#   1   (0, 1)      1  (0, 1)              0.8     1       0.8            1
#   2   (0.1, 0.5)  1  (0.1, 0.5)          0.46    0.5099  0.9021         1
#   3   (5, 1)      0  (5, 1)              3.8     5.0990  0.7452         0
#   4   (0.6, 0.8)  1  (0.6, 0.8)          1.0     1       1.0            1
#
# The long vector 3 is the nearest of all by inner product, though four others point closer
# to q: ip ranks 3, 4, 1, 0, 2; cosine ranks 4, 2, 1, 3, 0; squared L2 (0.8, 0.4, 0.34, 19.4,
# 0) ranks 4, 2, 1, 0, 3.

TOY_X = np.array([[1, 0], [0, 1], [0.1, 0.5], [5, 1], [0.6, 0.8]], dtype=np.float32)
TOY_C = np.array([[1, 0], [0, 1]], dtype=np.float32)
TOY_Q = np.array([0.6, 0.8], dtype=np.float32)


def test_toy_ip_lists_and_the_long_vector_pulling_the_results():
    index = build_ivf(TOY_X, TOY_C, metric="ip")
    np.testing.assert_array_equal(index.labels, [0, 1, 1, 0, 1])
    one = index.search(TOY_Q, k=2, nprobe=1)  # list 1 only: vectors 1, 2, 4
    np.testing.assert_array_equal(one.probed, [[1]])
    np.testing.assert_array_equal(one.ids, [[4, 1]])
    np.testing.assert_allclose(one.distances, [[1.0, 0.8]], atol=1e-6)
    both = index.search(TOY_Q, k=2, nprobe=2)  # the long vector 3 comes first
    np.testing.assert_array_equal(both.ids, [[3, 4]])
    np.testing.assert_allclose(both.distances, [[3.8, 1.0]], atol=1e-6)
    # fewer candidates than k: padded with -1 and -inf, after every result
    pad = index.search(TOY_Q, k=5, nprobe=1)
    np.testing.assert_array_equal(pad.ids, [[4, 1, 2, -1, -1]])
    np.testing.assert_allclose(pad.distances[0, :3], [1.0, 0.8, 0.46], atol=1e-6)
    assert (pad.distances[0, 3:] == -np.inf).all()
    d, i = brute_force_knn(TOY_X, TOY_Q, 5, metric="ip")
    np.testing.assert_array_equal(i, [[3, 4, 1, 0, 2]])
    np.testing.assert_allclose(d, [[3.8, 1.0, 0.8, 0.6, 0.46]], atol=1e-6)


def test_toy_ip_trace_spread_and_tie_rule():
    index = build_ivf(TOY_X, TOY_C, metric="ip")
    tr = index.trace(TOY_Q, k=2, nprobe=1)
    assert tr.metric == "ip"
    np.testing.assert_array_equal(tr.centroid_order, [1, 0])
    np.testing.assert_allclose(tr.centroid_distances, [0.8, 0.6], atol=1e-6)
    np.testing.assert_array_equal(tr.true_ids, [3, 4])
    np.testing.assert_allclose(tr.true_distances, [3.8, 1.0], atol=1e-6)
    np.testing.assert_array_equal(tr.true_lists, [0, 1])
    np.testing.assert_array_equal(tr.true_list_rank, [2, 1])
    np.testing.assert_array_equal(tr.result_ids, [4, 1])
    # 4 (1.0) is as near as the 2nd true neighbour (1.0); 1 (0.8) is not
    np.testing.assert_array_equal(tr.result_hits, [True, False])
    np.testing.assert_array_equal(tr.missed_ids, [3])
    assert tr.recall == 0.5
    np.testing.assert_array_equal(tr.candidate_ids, [1, 2, 4])
    spread = neighbour_spread(index, TOY_Q[None], k=2)
    np.testing.assert_array_equal(spread.n_lists, [2])
    np.testing.assert_array_equal(spread.nprobe_needed, [2])
    sw = recall_sweep(index, TOY_Q[None], k=2, nprobes=[1, 2])
    np.testing.assert_allclose(sw.recall, [0.5, 1.0])
    # a stored vector as the query: 3 under ip finds itself (25 + 1 = 26) first; excluded,
    # its nearest are 0 (5) and 4 (3.8)
    own = index.trace(TOY_X[3], k=2, nprobe=2, exclude_id=3)
    np.testing.assert_array_equal(own.true_ids, [0, 4])
    np.testing.assert_allclose(own.true_distances, [5.0, 3.8], atol=1e-6)
    np.testing.assert_array_equal(own.result_ids, [0, 4])
    assert own.recall == 1.0 and own.excluded_id == 3


def test_toy_cosine_ignores_lengths():
    index = build_ivf(TOY_X, TOY_C, metric="cosine")
    np.testing.assert_array_equal(index.labels, [0, 1, 1, 0, 1])
    np.testing.assert_allclose(np.linalg.norm(index.xb, axis=1), 1.0, rtol=1e-6)
    # the query need not be unit length: it is normalised like the stored vectors
    res = index.search(3 * TOY_Q, k=3, nprobe=2)
    np.testing.assert_array_equal(res.ids, [[4, 2, 1]])
    np.testing.assert_allclose(res.distances, [[1.0, 0.46 / np.hypot(0.1, 0.5), 0.8]], atol=1e-6)
    tr = index.trace(TOY_Q, k=2, nprobe=1)  # both true neighbours in list 1
    np.testing.assert_array_equal(tr.true_ids, [4, 2])
    np.testing.assert_array_equal(tr.true_list_rank, [1, 1])
    assert tr.recall == 1.0 and tr.metric == "cosine"
    d, i = brute_force_knn(TOY_X, 10 * TOY_Q, 5, metric="cosine")
    np.testing.assert_array_equal(i, [[4, 2, 1, 3, 0]])
    np.testing.assert_allclose(d, [[1.0, 0.46 / np.hypot(0.1, 0.5), 0.8, 3.8 / np.hypot(5, 1), 0.6]],
                               atol=1e-6)


def test_toy_l2_default_is_unchanged():
    index = build_ivf(TOY_X, TOY_C)
    assert index.metric == "l2"
    d, i = brute_force_knn(TOY_X, TOY_Q, 5)
    np.testing.assert_array_equal(i, [[4, 2, 1, 0, 3]])
    np.testing.assert_allclose(d, [[0.0, 0.34, 0.4, 0.8, 19.4]], atol=1e-5)
    res = index.search(TOY_Q, k=5, nprobe=1)
    assert res.metric == "l2" and (res.distances[0, 3:] == np.inf).all()


def test_toy_a_long_centroid_pulls_a_list_under_ip_only():
    # centroid 1 is 6x longer. Under ip, (1, 0.2) has x.c0 = 1 < x.c1 = 1.2 and joins it, as
    # does (0.1, 1) (0.1 < 6); (1, -0.1) stays (1 > -0.6). By L2 all three are nearer c0
    # (squared distances 0.04 / 0.01 / 1.81 against 34.64 / 37.21 / 25.01).
    x = np.array([[1, 0.2], [1, -0.1], [0.1, 1]], dtype=np.float32)
    c = np.array([[1, 0], [0, 6]], dtype=np.float32)
    np.testing.assert_array_equal(build_ivf(x, c, metric="ip").labels, [1, 0, 1])
    np.testing.assert_array_equal(build_ivf(x, c, metric="l2").labels, [0, 0, 0])


# ------------------------------------------------------------------------------------------
# The tie rule mirrored for similarities


def test_recall_at_k_with_similarities_by_hand():
    true_ids, true_sim = [[1, 2]], [[5.0, 3.0]]
    # another vector as similar as the 2nd true one (within 1e-3) counts; a less similar one not
    just_in = 3.0 - 0.9e-3
    just_out = 3.0 - 1.2e-3 - 1e-5 * 3.0
    assert recall_at_k([[1, 7]], true_ids, distances=[[5.0, just_in]], true_distances=true_sim,
                       metric="ip") == 1.0
    assert recall_at_k([[1, 7]], true_ids, distances=[[5.0, just_out]], true_distances=true_sim,
                       metric="ip") == 0.5
    # more similar than the k-th always counts; read as L2 distances it would not
    assert recall_at_k([[8, 9]], true_ids, distances=[[9.0, 6.0]], true_distances=true_sim,
                       metric="ip") == 1.0
    assert recall_at_k([[8, 9]], true_ids, distances=[[9.0, 6.0]], true_distances=true_sim) == 0.0
    # padding (-1, -inf) never counts
    assert recall_at_k([[1, -1]], true_ids, distances=[[5.0, -np.inf]], true_distances=true_sim,
                       metric="cosine") == 0.5
    with pytest.raises(InputError, match="metric"):
        recall_at_k([[1]], [[1]], distances=[[1.0]], true_distances=[[1.0]], metric="dot")


def test_tie_bound_flips_for_similarities():
    from ivfcore.knn import ABS_TOL, REL_TOL, as_near, tie_bound

    b = tie_bound(np.array([[4.0, 2.0]]), scale=np.array([10.0]), metric="ip")
    assert b[0] == pytest.approx(2.0 - ABS_TOL - REL_TOL * 10.0)
    np.testing.assert_array_equal(as_near(np.array([[2.0, 1.9]]), b, "ip"), [[True, False]])
    # no true neighbour: nothing counts, either way round
    assert tie_bound(np.array([[np.inf]]), np.array([[-1]]))[0] == -np.inf
    assert tie_bound(np.array([[-np.inf]]), np.array([[-1]]), metric="ip")[0] == np.inf


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_duplicates_with_every_list_open_have_recall_one(metric):
    rng = np.random.default_rng(3)
    base = rng.normal(size=(60, 8)).astype(np.float32) * rng.uniform(0.5, 3, (60, 1)).astype(np.float32)
    x = np.vstack([base, base, base])  # every vector three times, equally similar
    c = train_kmeans(x, 6, metric=metric, seed=0, record_history=False).centroids
    index = build_ivf(x, c, metric=metric)
    xq = base[:30] + rng.normal(0, 0.01, (30, 8)).astype(np.float32)
    sw = recall_sweep(index, xq, k=5, nprobes=[1, index.nlist])
    assert sw.recall[-1] == 1.0
    spread = neighbour_spread(index, xq, k=5)
    # at its nprobe_needed, every query finds all its neighbours (ties counted), one less does not
    for j in range(len(xq)):
        p = int(spread.nprobe_needed[j])
        assert recall_sweep(index, xq[j : j + 1], k=5, nprobes=[p]).recall[0] == 1.0
        if p > 1:
            assert recall_sweep(index, xq[j : j + 1], k=5, nprobes=[p - 1]).recall[0] < 1.0


def test_sweep_recall_equals_recall_at_k_with_similarities(ip_case):
    metric, xb, xq, c = ip_case
    index = build_ivf(xb, c, metric=metric)
    sw = recall_sweep(index, xq, k=10, nprobes=[1, 4, index.nlist])
    td, ti = brute_force_knn(xb, xq, 10, metric=metric)
    for p, r in zip(sw.nprobes, sw.recall):
        res = index.search(xq, k=10, nprobe=int(p))
        want = recall_at_k(res.ids, ti, distances=res.distances, true_distances=td, metric=metric)
        assert r == pytest.approx(want)
    assert sw.recall[-1] == 1.0 and (np.diff(sw.recall) >= 0).all()
    # recall at nprobe_needed is 1 for every query, and nprobe_needed is at most nlist
    spread = neighbour_spread(index, xq[:40], k=10)
    per = recall_sweep(index, xq[:40], k=10, nprobes=np.arange(1, index.nlist + 1))
    first_full = np.argmax(per.per_query_recall == 1.0, axis=0) + 1
    np.testing.assert_array_equal(spread.nprobe_needed, first_full)


# ------------------------------------------------------------------------------------------
# Errors


def test_unknown_metric_is_an_input_error_everywhere():
    for call in (
        lambda: build_ivf(TOY_X, TOY_C, metric="euclidean"),
        lambda: build_ivfpq(np.tile(TOY_X, (4, 1)), TOY_C, m=1, nbits=1, metric="IP"),
        lambda: brute_force_knn(TOY_X, TOY_Q, 2, metric=None),
    ):
        with pytest.raises(InputError, match="l2, ip, cosine"):
            call()


def test_cosine_names_a_zero_row_of_the_data_or_the_query():
    x = TOY_X.copy()
    x[3] = 0
    with pytest.raises(InputError, match="x row 3 is a zero vector"):
        build_ivf(x, TOY_C, metric="cosine")
    with pytest.raises(InputError, match="x row 3 is a zero vector"):
        brute_force_knn(x, TOY_Q, 2, metric="cosine")
    index = build_ivf(TOY_X, TOY_C, metric="cosine")
    xq = np.array([[1, 1], [0, 0]], dtype=np.float32)
    with pytest.raises(InputError, match="xq row 1 is a zero vector"):
        index.search(xq, k=2, nprobe=1)
    with pytest.raises(InputError, match="xq row 1 is a zero vector"):
        recall_sweep(index, xq, k=2)
    # under ip a zero vector is an ordinary one (inner product 0 with everything)
    res = build_ivf(x, TOY_C, metric="ip").search(np.zeros(2), k=5, nprobe=2)
    assert (res.distances == 0).all()


# ------------------------------------------------------------------------------------------
# IVF-PQ by inner product


@pytest.mark.parametrize("by_residual", [True, False])
@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_pq_adc_is_the_inner_product_with_the_reconstruction(metric, by_residual):
    x = _varied_norms(n=1200, d=8, seed=1)
    xb, xq = x[:1100], x[1100:]
    c = train_kmeans(xb, 6, metric=metric, seed=0, max_iter=5, record_history=False).centroids
    index = build_ivfpq(xb, c, m=4, nbits=4, by_residual=by_residual, metric=metric, seed=0)
    assert index.metric == metric
    res = index.search(xq, k=10, nprobe=3)
    assert res.metric == metric and (np.diff(res.distances, axis=1) <= 0).all()
    q = index.prepare_queries(xq).astype(np.float64)
    for i in range(len(xq)):
        rec = index.reconstruct(res.ids[i]).astype(np.float64)
        np.testing.assert_allclose(res.distances[i], rec @ q[i], rtol=1e-5, atol=1e-5)
        assert np.isin(index.labels[res.ids[i]], res.probed[i]).all()
    # the tables: one per list, summed over a code, plus q . c for residual codes
    lst = int(res.probed[0, 0])
    tables = index.lookup_tables(xq[0], lst)[0]  # (m, ksub)
    member = index.list_members(lst)[0]
    adc = tables[np.arange(index.m), index.codes[member]].sum()
    if by_residual:
        adc += float(q[0] @ index.centroids[lst])
    assert adc == pytest.approx(float(index.reconstruct([member])[0] @ q[0]), abs=1e-4)


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_pq_with_a_lossless_code_gives_ivf_flat_answers(metric):
    # 64 vectors, 2**6 = 64 codewords per sub-space: k-means puts one codeword on each
    # training sub-vector, every code is lossless, and ADC is the exact inner product:
    # IVF-Flat's answers at every nprobe
    x = _varied_norms(n=100, d=8, seed=2)
    xb, xq = x[:64], x[64:]
    c = train_kmeans(xb, 6, metric=metric, seed=0, max_iter=5, record_history=False).centroids
    pq = build_ivfpq(xb, c, m=4, nbits=6, metric=metric, seed=0)
    flat = build_ivf(xb, c, metric=metric)
    np.testing.assert_allclose(pq.reconstruct(np.arange(64)), flat.xb, atol=1e-5)
    np.testing.assert_array_equal(pq.labels, flat.labels)
    for nprobe in (1, 3, 6):
        a, b = pq.search(xq, k=10, nprobe=nprobe), flat.search(xq, k=10, nprobe=nprobe)
        np.testing.assert_array_equal(a.probed, b.probed)
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_allclose(a.distances, b.distances, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_pq_a_huge_code_approximates_exact_search(metric):
    # m = d, nbits = 8 on 1,900 vectors: measured recall@10 (every list open) 0.93 (ip) and
    # 0.99 (cosine), against 0.89 / 0.92 with nbits = 6 and 0.5-0.7 with nbits = 4
    x = _varied_norms(n=2000, d=8, seed=2)
    xb, xq = x[:1900], x[1900:]
    c = train_kmeans(xb, 8, metric=metric, seed=0, max_iter=5, record_history=False).centroids
    recall = {}
    for nbits in (8, 4):
        pq = build_ivfpq(xb, c, m=8, nbits=nbits, metric=metric, seed=0)
        recall[nbits] = recall_sweep(pq, xq, k=10, nprobes=[8]).recall[0]
    assert recall[8] > 0.9 and recall[8] > recall[4] + 0.1, recall


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_pq_recall_close_to_faiss_ivfpq_inner_product(faiss, ip_case, metric):
    # Same data, same coarse centroids, same m and nbits; the codebooks come from different
    # k-means runs, so only the lists must match and the recall be alike.
    _, xb, xq, _ = ip_case
    c = train_kmeans(xb, 8, metric=metric, seed=0, max_iter=10, record_history=False).centroids
    d, nlist, m, nbits = xb.shape[1], 8, 8, 6
    quantizer = faiss.IndexFlatIP(d)
    quantizer.add(c)
    ref = faiss.IndexIVFPQ(quantizer, d, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT)
    stored = _faiss_queries(faiss, xb, metric)
    ref.train(stored)  # the quantizer already holds nlist centroids: only the PQ is trained
    ref.add(stored)
    ours = build_ivfpq(xb, c, m=m, nbits=nbits, metric=metric, seed=0)
    sizes = [ref.invlists.list_size(l) for l in range(nlist)]
    np.testing.assert_array_equal(ours.list_sizes, sizes)
    td, ti = brute_force_knn(xb, xq, 10, metric=metric)
    q = _faiss_queries(faiss, xq, metric)
    for nprobe in (2, nlist):
        ref.nprobe = nprobe
        _, ref_ids = ref.search(q, 10)
        ours_recall = recall_at_k(ours.search(xq, k=10, nprobe=nprobe).ids, ti)
        ref_recall = recall_at_k(ref_ids, ti)
        assert ours_recall > ref_recall - 0.05, (nprobe, ours_recall, ref_recall)
