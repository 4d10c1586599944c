"""Equally near vectors count alike, a data vector is not its own neighbour, and averages over
queries stand for the data: the three ways a recall figure can be wrong (issue 11, items 1-3).

References: hand-made toy cases whose distances are known exactly, brute force, and group
means computed by hand.
"""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, build_ivf, recall_at_k, train_kmeans
from ivfcore.knn import ABS_TOL, REL_TOL


# ------------------------------------------------------------------------------------------
# recall_at_k with distances: the hand-made tie case

def _square():
    """The query at the origin; four vectors at distance 1 (a square), two farther away."""
    x = np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [2, 0], [0, 3]], dtype=np.float32)
    return x, np.zeros((1, 2), dtype=np.float32)


def test_equally_near_vectors_count_as_found():
    x, q = _square()
    true_d, true_ids = ivfcore.brute_force_knn(x, q, 2)
    np.testing.assert_array_equal(true_ids, [[0, 1]])  # brute force keeps the lowest ids
    np.testing.assert_array_equal(true_d, [[1, 1]])
    found, found_d = np.array([[2, 3]]), np.array([[1.0, 1.0]])  # the other two, as near
    assert recall_at_k(found, true_ids) == 0.0  # ids differ...
    assert recall_at_k(found, true_ids, distances=found_d, true_distances=true_d) == 1.0  # ...ties
    # one as near and one farther: half; the farther one (distance 4) never counts
    assert recall_at_k([[2, 4]], true_ids, distances=[[1.0, 4.0]], true_distances=true_d) == 0.5
    # padding never counts, even with a distance that would
    assert recall_at_k([[2, -1]], true_ids, distances=[[1.0, 0.0]], true_distances=true_d) == 0.5
    # more returned than k, all as near: capped at k
    assert recall_at_k([[0, 1, 2, 3]], true_ids, distances=[[1.0] * 4], true_distances=true_d) == 1.0


def test_tolerance_is_ann_benchmarks_epsilon_on_small_distances():
    true_d = np.array([[0.5, 1.0]])
    just_in = 1.0 + 0.9 * ABS_TOL
    just_out = 1.0 + 1.1 * ABS_TOL + REL_TOL  # beyond the absolute and relative parts
    ids = [[7, 8]]
    assert recall_at_k(ids, [[1, 2]], distances=[[0.5, just_in]], true_distances=true_d) == 1.0
    assert recall_at_k(ids, [[1, 2]], distances=[[0.5, just_out]], true_distances=true_d) == 0.5


def test_without_distances_the_id_rule_is_unchanged():
    assert recall_at_k([[1, 2, 3]], [[3, 4, 5]]) == pytest.approx(1 / 3)
    assert recall_at_k([[1, -1], [7, 8]], [[1, 2], [8, 7]]) == pytest.approx(3 / 4)


def test_recall_with_distances_checks_its_inputs():
    with pytest.raises(InputError, match="both"):
        recall_at_k([[1]], [[1]], distances=[[0.0]])
    with pytest.raises(InputError, match="shape"):
        recall_at_k([[1, 2]], [[1]], distances=[[0.0]], true_distances=[[0.0]])
    with pytest.raises(InputError, match="NaN"):
        recall_at_k([[1]], [[1]], distances=[[np.nan]], true_distances=[[0.0]])


def test_exact_copies_of_large_norm_float32_vectors_count():
    # |q|^2 - 2 q.x + |x|^2 in float32: an exact copy of a vector with norm^2 ~ 1e10 comes
    # out thousands above 0, far beyond ann-benchmarks' 1e-3.
    rng = np.random.default_rng(0)
    base = (rng.normal(0, 100, (50, 128)) + 1e4).astype(np.float32)
    x = np.vstack([base, base, base])  # every vector three times
    index = build_ivf(x, x[:4])
    xq = base[:20]
    td, ti = index.exact(xq, 3)
    assert (td[:, -1] > 100 * ABS_TOL).any()  # the rounding this test is about
    res = index.search(xq, k=3, nprobe=index.nlist)
    scale = (xq.astype(np.float64) ** 2).sum(axis=1) * 2
    found_d = index.distances_to(xq, res.ids)
    assert recall_at_k(res.ids, ti, distances=found_d, true_distances=td, scale=scale) == 1.0
    # the engine's sweep (norms from the index) agrees, every list open or not
    sw = ivfcore.recall_sweep(index, xq, k=3, nprobes=[1, index.nlist])
    assert sw.recall[-1] == 1.0
    # and copies sit in one list: at any nprobe the query's own copies are found
    assert sw.recall[0] == 1.0


# ------------------------------------------------------------------------------------------
# Traces and sweeps on the near-duplicates data (the issue's numbers)

@pytest.fixture(scope="module")
def duplicates():
    ds = ivfcore.make_dataset("duplicates", seed=0)
    keep, qids = ivfcore.holdout_split(ds.n, 100, seed=0, groups=ds.groups)
    km = train_kmeans(ds.x[keep], 50, empty="keep", max_iter=50, seed=0)
    return ds, keep, qids, build_ivf(ds.x[keep], km.centroids)


def test_duplicates_with_every_list_open_have_recall_one(duplicates):
    ds, keep, qids, index = duplicates
    sw = ivfcore.recall_sweep(index, ds.x[qids], k=10)
    assert sw.nprobes[-1] == index.nlist
    assert sw.recall[-1] == 1.0  # was 0.5: copies returned instead of brute force's copies
    copies = sw.for_queries(ds.groups[qids] == 0)
    assert copies.recall.min() == 1.0  # an exact copy's copies share its list (was 0.03)


def test_sweep_recall_equals_recall_at_k_with_distances(duplicates):
    ds, keep, qids, index = duplicates
    xq = ds.x[qids]
    td, ti = index.exact(xq, 10)
    sw = ivfcore.recall_sweep(index, xq, k=10, nprobes=[1, 2, 5])
    scale = ivfcore.distances.squared_norms(xq) + ivfcore.distances.squared_norms(index.xb[ti[:, -1]])
    for i, p in enumerate([1, 2, 5]):
        res = index.search(xq, k=10, nprobe=p)
        expect = recall_at_k(res.ids, ti, distances=index.distances_to(xq, res.ids),
                             true_distances=td, scale=scale)
        assert sw.recall[i] == pytest.approx(expect)


@pytest.mark.parametrize("nprobe", [1, 3, 10])
def test_trace_lists_no_missed_neighbour_its_lists_found(duplicates, nprobe):
    ds, keep, qids, index = duplicates
    for q in ds.x[qids[::5]]:
        tr = index.trace(q, k=10, nprobe=nprobe)
        # IVF-Flat misses a neighbour only when its list was not opened
        assert (tr.true_list_rank[np.isin(tr.true_ids, tr.missed_ids)] > nprobe).all()
        assert tr.recall == pytest.approx(min(1.0, tr.result_hits.sum() / len(tr.true_ids)))


def test_the_issue_search_shows_no_missed_copy_at_distance_zero():
    # /search?kind=duplicates&empty=keep&nlist=200&nprobe=3 on the default query (vector 0)
    ds = ivfcore.make_dataset("duplicates", seed=0)
    km = train_kmeans(ds.x, 200, init="random", empty="keep", max_iter=50, tol=1e-4, seed=0)
    tr = build_ivf(ds.x, km.centroids).trace(ds.x[0], k=10, nprobe=3, exclude_id=0)
    assert (tr.true_distances == 0).all()  # ten copies of it are its true neighbours
    assert len(tr.missed_ids) == 0 and tr.recall == 1.0
    assert tr.result_hits.all() and 0 not in tr.result_ids


def test_nprobe_needed_is_where_the_search_first_finds_k_as_near(duplicates):
    ds, keep, qids, index = duplicates
    xq = ds.x[qids[::4]]
    spread = ivfcore.neighbour_spread(index, xq, k=10)
    for q, needed in zip(xq, spread.nprobe_needed):
        assert index.trace(q, k=10, nprobe=int(needed)).recall == 1.0
        if needed > 1:
            assert index.trace(q, k=10, nprobe=int(needed) - 1).recall < 1.0


def test_nprobe_needed_by_hand_with_ties_in_two_lists():
    # query at 0; two equally near vectors, one per list; k = 1. Brute force keeps id 0
    # (list of the farther centroid), but opening the nearest list already finds id 1.
    x = np.array([[-1.0, 0], [1.0, 0], [-5, 0], [5, 0]], dtype=np.float32)
    index = build_ivf(x, np.array([[-3.0, 0], [2.0, 0]], dtype=np.float32))
    q = np.zeros((1, 2), dtype=np.float32)
    spread = ivfcore.neighbour_spread(index, q, k=1)
    assert spread.nprobe_needed.tolist() == [1]
    tr = index.trace(q[0], k=1, nprobe=1)
    assert tr.true_ids.tolist() == [0] and tr.result_ids.tolist() == [1]
    assert tr.recall == 1.0 and len(tr.missed_ids) == 0


# ------------------------------------------------------------------------------------------
# A data vector used as a query is not its own neighbour

@pytest.fixture(scope="module")
def one_per_list():
    # /search?blobs.n=1000&nlist=1000&topk=1&q=id:5: a list per vector
    ds = ivfcore.make_dataset("blobs", seed=0, n=1000, d=16, centers=8, spread=1.0)
    return ds, build_ivf(ds.x, ds.x)


def test_a_query_is_neither_its_own_result_nor_its_own_true_neighbour(one_per_list):
    ds, index = one_per_list
    tr = index.trace(ds.x[5], k=1, nprobe=1, exclude_id=5)
    assert 5 not in tr.true_ids and 5 not in tr.result_ids
    _, ref = ivfcore.brute_force_knn(np.delete(ds.x, 5, axis=0), ds.x[5:6], 1)
    assert tr.true_ids.tolist() == [ref[0, 0] + (ref[0, 0] >= 5)]
    # its one list holds only itself: nothing else found (it said 100% before)
    assert tr.recall == 0.0 and len(tr.result_ids) == 0
    # the vector itself is still scanned, and counted in the work
    assert tr.candidate_ids.tolist() == [5] and tr.n_distance_computations == 1001
    assert tr.excluded_id == 5


def test_excluding_the_query_equals_searching_k_plus_one_and_dropping_it(one_per_list):
    ds, index = one_per_list
    for qid, nprobe in ((5, 40), (123, 200), (999, 1000)):
        tr = index.trace(ds.x[qid], k=10, nprobe=nprobe, exclude_id=qid)
        res = index.search(ds.x[qid], k=11, nprobe=nprobe)
        np.testing.assert_array_equal(tr.result_ids, [i for i in res.ids[0] if i != qid][:10])
        _, ti = index.exact(ds.x[qid], 11)
        np.testing.assert_array_equal(tr.true_ids, [i for i in ti[0] if i != qid][:10])
    assert index.trace(ds.x[7], k=10, nprobe=1000, exclude_id=7).recall == 1.0


def test_exclude_id_is_checked(one_per_list):
    ds, index = one_per_list
    with pytest.raises(InputError, match="exclude_id"):
        index.trace(ds.x[0], k=1, nprobe=1, exclude_id=1000)
    with pytest.raises(InputError, match="exclude_id"):
        index.trace(ds.x[0], k=1, nprobe=1, exclude_id=-1)


# ------------------------------------------------------------------------------------------
# Averages over queries weighted as the data is

def test_weighted_all_equals_the_data_weighted_group_means():
    # 90% dense / 10% sparse, the same number of queries from each (as the Recall page holds out)
    ds = ivfcore.make_dataset("imbalanced", seed=0, n=3000, d=16)
    keep, qids = ivfcore.holdout_split(ds.n, 40, seed=0, groups=ds.groups)
    km = train_kmeans(ds.x[keep], 20, seed=0)
    sw = ivfcore.recall_sweep(build_ivf(ds.x[keep], km.centroids), ds.x[qids], k=10)
    qg = ds.groups[qids]
    w = ivfcore.share_weights(qg, ds.groups)
    assert w.sum() == pytest.approx(1.0)
    share = np.bincount(ds.groups) / ds.n
    assert share[0] == pytest.approx(0.9, abs=0.01)
    all_ = sw.weighted(w)
    dense, sparse = all_.for_queries(qg == 0), all_.for_queries(qg == 1)
    np.testing.assert_allclose(all_.recall, share[0] * dense.recall + share[1] * sparse.recall)
    np.testing.assert_allclose(all_.distance_computations,
                               share[0] * dense.distance_computations
                               + share[1] * sparse.distance_computations)
    # ...which is not the plain mean over the (half dense, half sparse) queries
    assert np.abs(all_.recall - sw.recall).max() > 0.05
    # the per-group curves are the plain means of their queries
    np.testing.assert_allclose(dense.recall, sw.for_queries(qg == 0).recall)


def test_share_weights_by_hand():
    w = ivfcore.share_weights([0, 0, 1, 1], [0] * 9 + [1])
    np.testing.assert_allclose(w, [0.45, 0.45, 0.05, 0.05])
    # a group with no queries cannot be represented: the others take its share
    np.testing.assert_allclose(ivfcore.share_weights([0, 0], [0, 0, 0, 1]), [0.5, 0.5])
    with pytest.raises(InputError):
        ivfcore.share_weights([2], [0, 1])


def test_weighted_checks_its_weights():
    sw = ivfcore.RecallSweep(1, np.array([1]), np.array([0.5]), np.array([3.0]),
                             np.array([[0.0, 1.0]]), np.array([[2.0, 4.0]]), 10)
    assert sw.weighted([3, 1]).recall.tolist() == [0.25]
    for bad in ([1], [-1, 2], [0, 0], [np.nan, 1]):
        with pytest.raises(InputError):
            sw.weighted(bad)
