"""IVF-Flat search against brute force, hand-computed toy cases, and index invariants."""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, brute_force_knn, build_ivf, recall_at_k, train_kmeans


@pytest.fixture(scope="module")
def trained():
    ds = ivfcore.make_dataset("imbalanced", seed=0, n=3000, d=16)
    km = train_kmeans(ds.x, 24, seed=0)
    rng = np.random.default_rng(5)
    xq = ds.x[rng.choice(ds.n, 60, replace=False)] + rng.normal(0, 0.05, (60, ds.d)).astype(np.float32)
    return ds, km, build_ivf(ds.x, km.centroids), xq


def _assert_same_neighbours(ids, dist, ref_ids, ref_dist):
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-4, atol=1e-3)
    # ids agree except where two candidates are tied within rounding
    differ = ids != ref_ids
    assert np.allclose(dist[differ], ref_dist[differ], rtol=1e-5, atol=1e-4)
    assert differ.mean() < 0.01


def test_brute_force_matches_numpy_reference():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 7))
    xq = rng.normal(size=(9, 7))
    d, i = brute_force_knn(x, xq, 5)
    full = ((xq[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.testing.assert_array_equal(i, np.argsort(full, axis=1)[:, :5])
    np.testing.assert_allclose(d, np.sort(full, axis=1)[:, :5], rtol=1e-9)


@pytest.mark.parametrize("k", [1, 10, 100, 400])
def test_smallest_k_on_wide_rows_equals_a_full_stable_sort(k):
    # Wide rows take the bounded path (a bound from every stride-th column); integer values
    # give many ties, which must go lowest column first, as a stable sort puts them.
    from ivfcore.distances import BOUNDED_MIN_COLS, smallest_k

    rng = np.random.default_rng(k)
    d = rng.integers(0, 50, size=(7, max(BOUNDED_MIN_COLS, 16 * k) + 1234)).astype(np.float32)
    d[1] = 7.0  # a row of one value: every column ties
    d[2, 1::2] = -1.0  # the smallest values avoid the sampled columns
    d[3] = np.arange(d.shape[1])[::-1]  # strictly decreasing: the best are at the very end
    got = smallest_k(d, k)
    np.testing.assert_array_equal(got, np.argsort(d, axis=1, kind="stable")[:, :k])


def test_brute_force_on_many_rows_with_duplicates_matches_numpy():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6000, 5)).astype(np.float32)
    x[3000:3050] = x[10]  # 51 identical vectors: ties at every k below 51
    xq = np.vstack([x[10], rng.normal(size=(4, 5)).astype(np.float32)])
    d, i = brute_force_knn(x, xq, 60)
    full = ((xq[:, None, :].astype(np.float64) - x[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(d, np.sort(full, axis=1)[:, :60], rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(i[0, :51], np.r_[10, np.arange(3000, 3050)])  # equal: lowest id first
    np.testing.assert_array_equal(i[1:], np.argsort(full[1:], axis=1, kind="stable")[:, :60])


def test_index_exact_equals_brute_force_knn():
    ds = ivfcore.make_dataset("imbalanced", seed=1, n=5000, d=8)
    index = build_ivf(ds.x, train_kmeans(ds.x, 10, seed=0).centroids)
    xq = ds.x[:25] + 0.01
    d, i = index.exact(xq, 7)
    ref_d, ref_i = brute_force_knn(ds.x, xq, 7)
    np.testing.assert_array_equal(i, ref_i)
    np.testing.assert_array_equal(d, ref_d)
    assert index.exact(xq[0], 10**6)[1].shape == (1, ds.n)  # k beyond n is capped, as in brute force


def test_full_probe_equals_brute_force(trained):
    ds, km, index, xq = trained
    res = index.search(xq, k=10, nprobe=index.nlist)
    ref_d, ref_i = brute_force_knn(ds.x, xq, 10)
    _assert_same_neighbours(res.ids, res.distances, ref_i, ref_d)
    assert (res.n_candidates == ds.n).all()
    assert (res.n_distance_computations == ds.n + index.nlist).all()


def test_partial_probe_is_exact_within_probed_lists(trained):
    ds, km, index, xq = trained
    res = index.search(xq, k=5, nprobe=3)
    for q in range(len(xq)):
        members = np.concatenate([index.list_members(l) for l in res.probed[q]])
        d, i = brute_force_knn(ds.x[members], xq[q], 5)
        _assert_same_neighbours(res.ids[q : q + 1], res.distances[q : q + 1], members[i], d)
        assert res.n_candidates[q] == len(members)
    # probed lists are the nearest centroids, nearest first
    cd, ci = brute_force_knn(km.centroids, xq, 3)
    np.testing.assert_array_equal(res.probed, ci)


def test_recall_grows_with_nprobe(trained):
    ds, km, index, xq = trained
    _, true = brute_force_knn(ds.x, xq, 10)
    recalls = [recall_at_k(index.search(xq, 10, p).ids, true) for p in (1, 4, 24)]
    assert recalls[0] <= recalls[1] <= recalls[2] == 1.0


def test_every_id_in_exactly_one_list_and_sizes_sum_to_n(trained):
    ds, km, index, _ = trained
    assert index.list_sizes.sum() == ds.n
    np.testing.assert_array_equal(np.sort(index.list_ids), np.arange(ds.n))
    for l in range(index.nlist):
        members = index.list_members(l)
        assert len(members) == index.list_sizes[l]
        # each vector sits in the list of its nearest centroid
        np.testing.assert_array_equal(km.labels[members], l)


def test_toy_case_by_hand():
    x = np.array([[0, 0], [0, 1], [10, 0], [10, 1], [5, 5]], dtype=np.float32)
    index = build_ivf(x, np.array([[0, 0.5], [10, 0.5]], dtype=np.float32))
    # [5, 5] is 4.5^2 + 5^2 from both: the tie goes to list 0
    np.testing.assert_array_equal(index.list_sizes, [3, 2])
    res = index.search(np.array([[9, 0.9]]), k=2, nprobe=1)
    np.testing.assert_array_equal(res.probed, [[1]])
    np.testing.assert_array_equal(res.ids, [[3, 2]])
    np.testing.assert_allclose(res.distances, [[1 + 0.01, 1 + 0.81]], rtol=1e-5)
    assert res.n_candidates[0] == 2 and res.n_distance_computations[0] == 4
    # k beyond the scanned candidates pads with -1 / inf
    wide = index.search(np.array([[9, 0.9]]), k=4, nprobe=1)
    np.testing.assert_array_equal(wide.ids[0, 2:], [-1, -1])
    assert np.isinf(wide.distances[0, 2:]).all()


def test_trace_tells_the_story_of_one_query(trained):
    ds, km, index, xq = trained
    t = index.trace(xq[0], k=10, nprobe=2)
    res = index.search(xq[:1], k=10, nprobe=2)
    np.testing.assert_array_equal(t.probed, res.probed[0])
    np.testing.assert_array_equal(t.result_ids, res.ids[0])
    assert t.n_candidates == res.n_candidates[0]
    assert t.n_distance_computations == index.nlist + t.n_candidates
    assert np.all(np.diff(t.centroid_distances) >= 0)
    _, true = brute_force_knn(ds.x, xq[:1], 10)
    np.testing.assert_array_equal(np.sort(t.true_ids), np.sort(true[0]))
    np.testing.assert_array_equal(t.true_lists, km.labels[t.true_ids])
    # a true neighbour is missed exactly when its list ranks beyond nprobe
    missed = set(t.missed_ids.tolist())
    for tid, rank in zip(t.true_ids, t.true_list_rank):
        assert (tid in missed) == (rank > 2)
    assert t.recall == pytest.approx(recall_at_k(res.ids, true))
    # probing up to the worst rank finds them all
    full = index.trace(xq[0], k=10, nprobe=int(t.true_list_rank.max()))
    assert full.recall == 1.0


def test_recall_at_k_by_hand():
    assert recall_at_k([[1, 2, 3]], [[3, 4, 5]]) == pytest.approx(1 / 3)
    assert recall_at_k([[1, -1], [7, 8]], [[1, 2], [8, 7]]) == pytest.approx(3 / 4)
    with pytest.raises(InputError):
        recall_at_k([[1]], [[1], [2]])


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda ix: ix.search(np.zeros((2, 16)), k=1, nprobe=25), "nprobe=25 is larger"),
        (lambda ix: ix.search(np.zeros((2, 16)), k=0), "k=0"),
        (lambda ix: ix.search(np.zeros((2, 3))), "d=3"),
        (lambda ix: ix.search(np.full((1, 16), np.nan)), "non-finite"),
        (lambda ix: ix.trace(np.zeros((2, 16))), "one query"),
    ],
)
def test_bad_queries_raise_input_error(trained, call, match):
    with pytest.raises(InputError, match=match):
        call(trained[2])


def test_search_handles_empty_lists_and_single_list():
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    c = np.vstack([x[:1], [[1e3, 1e3, 1e3]]])  # second list stays empty
    index = build_ivf(x, c)
    assert index.list_sizes.tolist() == [50, 0]
    res = index.search(x[:4], k=3, nprobe=2)
    _, ref = brute_force_knn(x, x[:4], 3)
    np.testing.assert_array_equal(res.ids, ref)
