"""Filtered search (post-filtering, iterative probing) and IVF-PQ re-ranking, against brute force.

References: brute force over the allowed vectors (float64), a hand filter of the probed
lists, IVF-Flat at the same nprobe (for a re-rank that keeps every PQ candidate), and a 2-D
case worked out by hand where iterative probing stops too early.
"""

import numpy as np
import pytest

from ivfcore import InputError, build_ivf, build_ivfpq, recall_sweep, train_kmeans
from ivfcore.filtering import STRATEGIES, category_mask, compare_strategies, over_fetch

METRICS = ("l2", "ip", "cosine")
K = 5


def _data(n=900, d=8, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (10, d))
    x = centers[rng.integers(0, 10, n)] + rng.normal(0, 1, (n, d))
    return np.ascontiguousarray(x * rng.uniform(0.5, 2.0, (n, 1)), dtype=np.float32)


@pytest.fixture(scope="module", params=METRICS)
def setup(request):
    metric = request.param
    x = _data()
    km = train_kmeans(x, 12, metric=metric, seed=0, record_history=False)
    index = build_ivf(x, km.centroids, metric=metric)
    rng = np.random.default_rng(1)
    xq = _data(n=40, seed=2)
    allowed = rng.random(len(x)) < 0.03  # about 3% selectivity: ~2 allowed per list
    return metric, x, km.centroids, index, xq, allowed


def _ref_knn(xb, xq, ids, k, metric):
    """float64 brute force restricted to ``ids``: (ids, values) nearest first, -1 padded."""
    out_i = np.full((len(xq), k), -1, dtype=np.int64)
    out_d = np.full((len(xq), k), np.nan)
    for r, q in enumerate(xq.astype(np.float64)):
        cand = np.asarray(ids[r] if isinstance(ids, list) else ids, dtype=np.int64)
        v = xb[cand].astype(np.float64)
        score = ((v - q) ** 2).sum(1) if metric == "l2" else -(v @ q)
        order = np.argsort(score, kind="stable")[:k]
        out_i[r, : len(order)] = cand[order]
        out_d[r, : len(order)] = score[order] if metric == "l2" else -score[order]
    return out_i, out_d


def _queries(index, xq):
    return index.prepare_queries(xq)


def test_all_true_mask_equals_unfiltered_search(setup):
    _, x, _, index, xq, _ = setup
    for nprobe in (1, 3, 12):
        plain = index.search(xq, K, nprobe)
        masked = index.search(xq, K, nprobe, allowed=np.ones(index.ntotal, bool))
        np.testing.assert_array_equal(masked.ids, plain.ids)
        np.testing.assert_array_equal(masked.distances, plain.distances)
        np.testing.assert_array_equal(masked.probed, plain.probed)
        np.testing.assert_array_equal(masked.n_candidates, plain.n_candidates)


@pytest.mark.parametrize("nprobe", [1, 2, 4])
def test_post_filtering_equals_a_hand_filter_of_the_probed_lists(setup, nprobe):
    metric, _, _, index, xq, allowed = setup
    res = index.search(xq, K, nprobe, allowed=allowed)
    plain = index.search(xq, K, nprobe)
    np.testing.assert_array_equal(res.probed, plain.probed)  # the same lists are opened
    np.testing.assert_array_equal(res.n_candidates, plain.n_candidates)  # and all scanned
    cand = [[i for l in row for i in index.list_members(l) if allowed[i]] for row in res.probed]
    ref_i, ref_d = _ref_knn(index.xb, _queries(index, xq), cand, K, metric)
    np.testing.assert_array_equal(res.ids, ref_i)
    got = np.where(res.ids >= 0, res.distances, np.nan)
    np.testing.assert_allclose(got, ref_d, rtol=1e-4, atol=1e-3)
    if nprobe == 1:  # at 3% selectivity a query comes back short
        assert (res.ids >= 0).sum(1).min() < K
    pad = np.inf if metric == "l2" else -np.inf
    assert (res.distances[res.ids < 0] == pad).all()


def test_post_filtering_over_every_list_is_exact_filtered_search(setup):
    metric, _, _, index, xq, allowed = setup
    res = index.search(xq, K, index.nlist, allowed=allowed)
    ref_i, ref_d = _ref_knn(index.xb, _queries(index, xq), np.flatnonzero(allowed), K, metric)
    np.testing.assert_array_equal(res.ids, ref_i)
    ex_d, ex_i = index.exact(xq, K, allowed=allowed)
    np.testing.assert_array_equal(ex_i, ref_i)
    np.testing.assert_allclose(ex_d, ref_d, rtol=1e-4, atol=1e-3)


def test_exact_filtered_search_pads_when_fewer_vectors_are_allowed(setup):
    metric, _, _, index, xq, _ = setup
    allowed = np.zeros(index.ntotal, bool)
    allowed[[3, 70]] = True
    d, i = index.exact(xq[:4], K, allowed=allowed)
    assert (np.sort(i[:, :2], axis=1) == [3, 70]).all() and (i[:, 2:] == -1).all()
    assert (d[:, 2:] == (np.inf if metric == "l2" else -np.inf)).all()


@pytest.mark.parametrize("nprobe", [1, 3])
def test_iterative_probing_returns_k_nearest_allowed_of_the_lists_it_opened(setup, nprobe):
    metric, _, _, index, xq, allowed = setup
    res = index.search(xq, K, nprobe, allowed=allowed, iterative=True)
    plain = index.search(xq, K, index.nlist)
    assert allowed.sum() >= K
    assert ((res.ids >= 0).sum(1) == K).all()  # k allowed vectors exist: k results, always
    per_list = np.bincount(index.labels[allowed], minlength=index.nlist)
    for r, row in enumerate(res.probed):
        opened = row[row >= 0]
        assert (row[len(opened):] == -1).all()  # -1 only pads the end of a row
        # lists opened nearest first, starting with the usual nprobe
        np.testing.assert_array_equal(opened, plain.probed[r, : len(opened)])
        assert len(opened) >= nprobe
        assert per_list[opened].sum() >= K
        if len(opened) > nprobe:  # it stopped at the first list that made k
            assert per_list[opened[:-1]].sum() < K
        assert res.n_candidates[r] == index.list_sizes[opened].sum()
        cand = [i for l in opened for i in index.list_members(l) if allowed[i]]
        ref_i, _ = _ref_knn(index.xb, _queries(index, xq[r : r + 1]), [cand], K, metric)
        np.testing.assert_array_equal(res.ids[r], ref_i[0])
    assert res.probed.shape[1] == (res.probed >= 0).sum(1).max()  # as wide as the widest row


def test_iterative_probing_stops_at_max_nprobe(setup):
    _, _, _, index, xq, _ = setup
    allowed = np.zeros(index.ntotal, bool)
    allowed[index.list_members(int(np.argmax(index.list_sizes)))[:2]] = True  # 2 allowed, k = 5
    res = index.search(xq, K, 1, allowed=allowed, iterative=True, max_nprobe=4)
    assert res.probed.shape == (len(xq), 4) and (res.probed >= 0).all()
    full = index.search(xq, K, 1, allowed=allowed, iterative=True)
    assert full.probed.shape[1] == index.nlist  # nothing makes 5: every list gets opened
    assert ((full.ids >= 0).sum(1) == 2).all()


def test_iterative_without_a_filter_opens_lists_until_k_vectors():
    x = np.array([[0, 0], [0.1, 0], [10, 0], [10.1, 0], [10.2, 0]], np.float32)
    index = build_ivf(x, np.array([[0, 0], [10, 0]], np.float32))
    res = index.search(np.array([[0.05, 0]]), 3, 1, iterative=True)
    assert list(res.probed[0]) == [0, 1]
    assert list(res.ids[0]) == [0, 1, 2]
    assert list(index.search(np.array([[0.05, 0]]), 3, 1).ids[0]) == [0, 1, -1]  # the ceiling


def test_stopping_at_k_allowed_can_miss_a_nearer_one():
    # Lists around (0, 0) and (4, 0); the query at (1.9, 0) is nearer list 0's centroid.
    # List 0 holds one allowed vector at (-1.5, 0) (3.4 away); list 1 holds one at (2.2, 0)
    # (0.3 away). With k = 1 iterative probing has its one result after list 0 and stops.
    x = np.array([[-1.5, 0], [0.5, 0], [2.2, 0], [4.5, 0]], np.float32)
    allowed = np.array([True, False, True, False])
    index = build_ivf(x, np.array([[0, 0], [4, 0]], np.float32))
    np.testing.assert_array_equal(index.labels, [0, 0, 1, 1])
    q = np.array([[1.9, 0]], np.float32)
    res = index.search(q, 1, 1, allowed=allowed, iterative=True)
    assert list(res.probed[0]) == [0] and list(res.ids[0]) == [0]
    assert res.distances[0, 0] == pytest.approx(3.4**2, rel=1e-5)
    _, true = index.exact(q, 1, allowed=allowed)
    assert list(true[0]) == [2]  # the true filtered neighbour, in the list it never opened


@pytest.mark.parametrize("bad, match", [
    (np.ones(5, bool), "one entry per stored vector"),
    (np.ones(900, int), "boolean mask"),
])
def test_bad_masks_raise_input_error(setup, bad, match):
    _, _, _, index, xq, _ = setup
    with pytest.raises(InputError, match=match):
        index.search(xq, K, 1, allowed=bad)


def test_bad_max_nprobe_raises_input_error(setup):
    _, _, _, index, xq, allowed = setup
    with pytest.raises(InputError, match="between nprobe"):
        index.search(xq, K, 3, allowed=allowed, iterative=True, max_nprobe=2)
    with pytest.raises(InputError, match="iterative"):
        index.search(xq, K, 3, allowed=allowed, max_nprobe=5)


# --- IVF-PQ re-ranking ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def pq_setup(setup):
    metric, x, centroids, index, xq, allowed = setup
    pq = build_ivfpq(x, centroids, m=4, nbits=4, seed=0, max_iter=10, metric=metric)
    return metric, index, pq, xq, allowed


@pytest.mark.parametrize("nprobe", [1, 3])
def test_huge_refine_equals_ivf_flat_at_the_same_nprobe(pq_setup, nprobe):
    _, flat, pq, xq, _ = pq_setup
    want = flat.search(xq, K, nprobe)
    got = pq.search(xq, K, nprobe, refine=pq.ntotal)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_allclose(got.distances, want.distances, rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(got.probed, want.probed)


def test_refine_returns_exact_distances_of_the_best_pq_candidates(pq_setup):
    metric, _, pq, xq, _ = pq_setup
    wide = pq.search(xq, 2 * K, 2)
    got = pq.search(xq, K, 2, refine=2)
    xqp = pq.prepare_queries(xq)
    np.testing.assert_allclose(got.distances, pq.distances_to(xqp, got.ids), rtol=1e-6)
    ref_i, _ = _ref_knn(pq.xb, xqp, [list(r[r >= 0]) for r in wide.ids], K, metric)
    np.testing.assert_array_equal(got.ids, ref_i)
    plain = pq.search(xq, K, 2)
    assert not np.allclose(plain.distances, got.distances)  # plain PQ: ADC estimates


def test_refine_with_a_filter_equals_filtered_ivf_flat(pq_setup):
    _, flat, pq, xq, allowed = pq_setup
    want = flat.search(xq, K, 3, allowed=allowed)
    got = pq.search(xq, K, 3, allowed=allowed, refine=pq.ntotal)
    np.testing.assert_array_equal(got.ids, want.ids)
    it_want = flat.search(xq, K, 1, allowed=allowed, iterative=True)
    it_pq = pq.search(xq, K, 1, allowed=allowed, iterative=True)
    np.testing.assert_array_equal(it_pq.probed, it_want.probed)  # the same lists opened


def test_refine_memory_is_the_raw_vectors(pq_setup):
    _, _, pq, _, _ = pq_setup
    assert pq.refine_bytes == pq.ntotal * pq.d * 4


def test_refine_must_be_a_positive_count(pq_setup):
    _, _, pq, xq, _ = pq_setup
    with pytest.raises(InputError):
        pq.search(xq, K, 1, refine=0)


# --- the three strategies the Filtered search page compares ---------------------------------

def test_over_fetching_everything_equals_post_filtering(setup):
    _, _, _, index, xq, allowed = setup
    ids, res = over_fetch(index, xq, K, 2, allowed, index.ntotal)
    np.testing.assert_array_equal(ids, index.search(xq, K, 2, allowed=allowed).ids)
    few, _ = over_fetch(index, xq, K, 2, allowed, K)  # k' = k: only allowed among the k nearest
    plain = index.search(xq, K, 2).ids
    for r in range(len(xq)):
        assert list(few[r][few[r] >= 0]) == [i for i in plain[r] if allowed[i]]


def test_compare_strategies_against_exact_filtered_search(setup):
    _, _, _, index, xq, allowed = setup
    runs = compare_strategies(index, xq, K, index.nlist, allowed)
    assert set(runs) == set(STRATEGIES)
    np.testing.assert_array_equal(runs["post-filter"].recall, 1.0)  # every list: exact
    np.testing.assert_array_equal(runs["iterative"].recall, 1.0)
    one = compare_strategies(index, xq, K, 1, allowed)
    post, over, it = one["post-filter"], one["over-fetch"], one["iterative"]
    assert over.k_fetch == int(np.ceil(K / allowed.mean()))
    np.testing.assert_array_equal(it.returned, K)
    assert (post.returned <= K).all() and post.returned.mean() < K
    np.testing.assert_array_equal(post.lists_opened, 1)
    assert (it.lists_opened >= 1).all() and it.lists_opened.max() > 1
    # recall by hand for post-filtering: hits among the true filtered neighbours
    _, true = index.exact(xq, K, allowed=allowed)
    by_hand = [len(set(post.ids[r][post.ids[r] >= 0]) & set(true[r])) / K for r in range(len(xq))]
    np.testing.assert_allclose(post.recall, by_hand)
    np.testing.assert_array_equal(post.distance_computations,
                                  index.nlist + index.list_sizes[index.search(xq, K, 1).probed[:, 0]])


def test_category_mask_has_the_asked_share_and_never_nothing():
    m = category_mask(100_000, 0.05, seed=3)
    assert abs(m.mean() - 0.05) < 0.005
    np.testing.assert_array_equal(m, category_mask(100_000, 0.05, seed=3))
    assert category_mask(10, 1e-9).sum() == 1
    with pytest.raises(InputError):
        category_mask(10, 0)


def test_recall_sweep_with_a_huge_refine_equals_ivf_flat(pq_setup):
    _, flat, pq, xq, _ = pq_setup
    want = recall_sweep(flat, xq, k=K, nprobes=[1, 2, 4])
    got = recall_sweep(pq, xq, k=K, nprobes=[1, 2, 4], refine=pq.ntotal)
    np.testing.assert_allclose(got.recall, want.recall)
    plain = recall_sweep(pq, xq, k=K, nprobes=[1, 2, 4])
    assert (got.recall >= plain.recall - 1e-12).all()
