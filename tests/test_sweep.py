"""recall_sweep against per-nprobe searches by hand, and holdout_split's partition."""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, build_ivf, holdout_split, recall_sweep, train_kmeans


@pytest.fixture(scope="module")
def setup():
    ds = ivfcore.make_dataset("imbalanced", seed=0, n=3000, d=16)
    keep, qids = holdout_split(ds.n, 40, seed=1, groups=ds.groups)
    km = train_kmeans(ds.x[keep], 20, seed=0)
    return ds, keep, qids, build_ivf(ds.x[keep], km.centroids)


def test_sweep_matches_individual_searches(setup):
    ds, keep, qids, index = setup
    xq = ds.x[qids]
    sw = recall_sweep(index, xq, k=5, nprobes=[1, 3, 20])
    _, true = ivfcore.brute_force_knn(index.xb, xq, 5)
    for i, p in enumerate([1, 3, 20]):
        res = index.search(xq, k=5, nprobe=p)
        assert sw.recall[i] == pytest.approx(ivfcore.recall_at_k(res.ids, true))
        assert sw.distance_computations[i] == pytest.approx(res.n_distance_computations.mean())
    assert sw.recall[-1] == 1.0  # every list probed: exact
    assert np.all(np.diff(sw.recall) >= 0) and np.all(np.diff(sw.distance_computations) > 0)


def test_per_group_subsets_average_back(setup):
    ds, keep, qids, index = setup
    sw = recall_sweep(index, ds.x[qids], k=10)
    g = ds.groups[qids]
    dense, sparse = sw.for_queries(g == 0), sw.for_queries(g == 1)
    w = (g == 0).mean()
    np.testing.assert_allclose(w * dense.recall + (1 - w) * sparse.recall, sw.recall)
    assert sw.nprobes[0] == 1 and sw.nprobes[-1] == index.nlist
    with pytest.raises(InputError):
        sw.for_queries(np.zeros(len(qids), dtype=bool))


def test_holdout_partitions_and_balances_groups():
    groups = np.repeat([0, 1], [900, 100])
    keep, q = holdout_split(1000, 30, seed=0, groups=groups)
    assert len(np.intersect1d(keep, q)) == 0 and len(keep) + len(q) == 1000
    assert np.bincount(groups[q]).tolist() == [30, 30]
    keep2, q2 = holdout_split(1000, 30, seed=0, groups=groups)
    np.testing.assert_array_equal(q, q2)
    _, q3 = holdout_split(10, 30, seed=0)
    assert len(q3) == 5  # capped at half


def test_bad_nprobes(setup):
    ds, keep, qids, index = setup
    with pytest.raises(InputError, match="nprobe"):
        recall_sweep(index, ds.x[qids], nprobes=[0, 5])
    with pytest.raises(InputError, match="nprobe"):
        recall_sweep(index, ds.x[qids], nprobes=[21])


def test_neighbour_spread_agrees_with_traces(setup):
    ds, keep, qids, index = setup
    xq = ds.x[qids[:15]]
    spread = ivfcore.neighbour_spread(index, xq, k=8)
    for j, q in enumerate(xq):
        tr = index.trace(q, k=8, nprobe=1)
        assert spread.n_lists[j] == len(np.unique(tr.true_lists))
        assert spread.nprobe_needed[j] == tr.true_list_rank.max()
        # and probing exactly that many lists finds every true neighbour
        assert index.trace(q, k=8, nprobe=int(spread.nprobe_needed[j])).recall == 1.0
