"""ivfcore.tuning: the nlist grid, recall curves equal to recall_sweep, the Pareto front, the cheapest pair;
and the smallest nprobe reaching a target recall for one query, against a loop over every nprobe
calling IVFIndex.trace (the recall the Search page shows)."""

import math

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, tuning
from ivfcore.tuning import smallest_nprobe


def test_rules_of_thumb():
    r = tuning.rules(100_000)
    assert (r.pgvector_lists, r.pgvector_probes) == (100, 10)
    assert (r.faiss_low, r.faiss_high) == (1265, 5060)
    big = tuning.rules(4_000_000)  # above 1M rows pgvector switches to sqrt(rows)
    assert big.pgvector_lists == 2000 and big.pgvector_probes == 45
    assert tuning.rules(1_000_000).pgvector_lists == 1000
    assert tuning.rules(300).pgvector_lists == 1  # at least one list
    assert [tuning.Rules.first_nprobe(n) for n in (1, 16, 100, 316)] == [1, 1, 6, 20]


def test_nlist_grid_on_the_exercise_has_six_values():
    grid = tuning.nlist_grid(100_000, extra=[100])
    assert grid.tolist() == [79, 100, 158, 316, 1265, 2564]  # 16 sqrt(n) clipped to n / 39
    assert tuning.nlist_grid(100_000, extra=[100, tuning.rules(100_000).pgvector_lists]).tolist() == grid.tolist()
    assert tuning.nlist_grid(50).tolist() == [1] and tuning.max_nlist(50) == 1  # clipped to n / 39
    assert tuning.nlist_grid(10_000).max() == 10_000 // 39
    assert tuning.nlist_grid(10_000, extra=[5000, 20_000]).max() == 10_000  # asked for: kept, up to n


def test_nprobe_grid_is_dense_then_geometric():
    p = tuning.nprobe_grid(2564)
    assert p[:64].tolist() == list(range(1, 65))
    assert p[-1] == 2564 and (np.diff(p) > 0).all() and len(p) <= 64 + 13
    assert tuning.nprobe_grid(10).tolist() == list(range(1, 11))
    assert 160 in tuning.nprobe_grid(2564, must=[160, 5000])


@pytest.mark.parametrize("kind,params,groups", [
    ("blobs", dict(n=3000, d=8), False),
    ("duplicates", dict(n=2000, d=4), False),  # exact copies: many ties at the k-th distance
    ("imbalanced", dict(n=4000, d=16), True),
])
def test_recall_curve_equals_recall_sweep(kind, params, groups):
    ds = ivfcore.make_dataset(kind, seed=0, **params)
    keep, qids = ivfcore.holdout_split(len(ds.x), 60, seed=0, groups=ds.groups if groups else None)
    w = ivfcore.share_weights(ds.groups[qids], ds.groups) if groups else None
    for nlist in (7, 40):
        km = ivfcore.train_kmeans(ds.x, nlist, seed=0, max_iter=10)
        index = ivfcore.build_ivf(ds.x[keep], km.centroids)
        xq = ds.x[qids]
        curve = tuning.recall_curve(index, xq, k=10, weights=w)
        sweep = ivfcore.recall_sweep(index, xq, k=10, nprobes=curve.nprobes)
        if w is not None:
            sweep = sweep.weighted(w)
        np.testing.assert_array_equal(curve.per_query_recall, sweep.per_query_recall)
        np.testing.assert_allclose(curve.recall, sweep.recall, rtol=1e-12)
        np.testing.assert_allclose(curve.work, sweep.distance_computations, rtol=1e-12)
        assert curve.recall[-1] == pytest.approx(1.0) and curve.scanned[-1] == pytest.approx(len(keep))


@pytest.mark.parametrize("metric", ["cosine", "ip"])
def test_recall_curve_equals_recall_sweep_for_every_metric(metric):
    # GloVe words are not unit vectors: under "cosine" the queries must be normalised as
    # the index normalised its vectors, or the lists and the counts are those of raw vectors
    ds = ivfcore.make_dataset("glove", n=3000)
    keep, qids = ivfcore.holdout_split(len(ds.x), 40, seed=0, groups=ds.groups)
    xq = ds.x[qids]
    w = ivfcore.share_weights(ds.groups[qids], ds.groups)
    km = ivfcore.train_kmeans(ds.x, 30, seed=0, max_iter=5, metric=metric)
    index = ivfcore.build_ivf(ds.x[keep], km.centroids, metric=metric)
    td, ti = ivfcore.brute_force_knn(ds.x[keep], xq, 10, metric=metric)  # as the Choose page does
    curve = tuning.recall_curve(index, xq, k=10, true_ids=ti, true_distances=td, weights=w)
    sweep = ivfcore.recall_sweep(index, xq, k=10, nprobes=curve.nprobes).weighted(w)
    np.testing.assert_array_equal(curve.per_query_recall, sweep.per_query_recall)
    np.testing.assert_allclose(curve.recall, sweep.recall, rtol=1e-12)
    np.testing.assert_allclose(curve.work, sweep.distance_computations, rtol=1e-12)
    np.testing.assert_array_equal(tuning.recall_curve(index, xq, k=10).per_query_recall,
                                  curve.per_query_recall)
    assert curve.recall[0] < 1.0 and curve.recall[-1] == pytest.approx(1.0)


def _curve(nlist, nprobes, recall, scanned):
    p = len(nprobes)
    return tuning.Curve(nlist, 10, np.array(nprobes), np.array(recall, float), np.array(scanned, float),
                        np.zeros((p, 1)), np.zeros((p, 1)), 1000)


def test_pareto_front_and_cheapest_on_a_hand_made_case():
    a = _curve(10, [1, 2, 3], [0.5, 0.8, 0.95], [100, 200, 300])  # work 110, 210, 310
    b = _curve(50, [1, 2, 3], [0.7, 0.85, 0.97], [20, 40, 60])  # work 70, 90, 110
    front = tuning.pareto_front([a, b])
    # (10, 1) has work 110 like (50, 3) but lower recall: dominated; so is all of a
    assert [(c.nlist, c.nprobe) for c in front] == [(50, 1), (50, 2), (50, 3)]
    best = tuning.cheapest([a, b], 0.9)
    assert (best.nlist, best.nprobe, best.work) == (50, 3, 110)
    assert tuning.cheapest([a, b], 0.99) is None
    per = tuning.cheapest_per_nlist([a, b], 0.9)
    assert (per[10].nprobe, per[50].nprobe) == (3, 3)
    with pytest.raises(InputError):
        tuning.cheapest([a], 1.5)


def test_front_is_never_beaten_by_brute_force_search():
    ds = ivfcore.make_dataset("blobs", seed=1, n=2000, d=8)
    keep, qids = ivfcore.holdout_split(2000, 50, seed=0)
    curves = []
    for nlist in tuning.nlist_grid(len(keep)):
        km = ivfcore.train_kmeans(ds.x, int(nlist), seed=0, max_iter=10)
        curves.append(tuning.recall_curve(ivfcore.build_ivf(ds.x[keep], km.centroids), ds.x[qids]))
    front = tuning.pareto_front(curves)
    every = tuning.choices(curves)
    for c in every:  # nothing on the grid is cheaper than a front point and at least as good
        for f in front:
            assert not (c.work < f.work and c.recall >= f.recall)
    assert all(np.diff([f.work for f in front]) > 0) and all(np.diff([f.recall for f in front]) > 0)


def test_time_search_gives_positive_milliseconds():
    ds = ivfcore.make_dataset("blobs", seed=1, n=1000, d=8)
    km = ivfcore.train_kmeans(ds.x, 10, seed=0, max_iter=5)
    ms = tuning.time_search(ivfcore.build_ivf(ds.x, km.centroids), ds.x[:20], nprobes=[1, 10])
    assert ms.shape == (2,) and (ms > 0).all() and all(math.isfinite(v) for v in ms)


def _loop(index, q, target, k, exclude_id):
    """Brute reference: trace at nprobe = 1, 2, ... until the recall reaches the target."""
    for p in range(1, index.nlist + 1):
        r = index.trace(q, k=k, nprobe=p, exclude_id=exclude_id).recall
        if r >= target:
            return p, r
    return None, r


@pytest.mark.parametrize("kind, params", [
    ("blobs", dict(n=1500, d=8, centers=6, spread=1.0)),
    ("duplicates", dict(n=800, d=4, duplicate_fraction=0.6, n_distinct=5)),  # ties everywhere
    ("imbalanced", dict(n=1500, d=16)),
])
def test_equals_a_loop_over_trace(kind, params):
    ds = ivfcore.make_dataset(kind, seed=3, **params)
    km = ivfcore.train_kmeans(ds.x, 24, seed=1, record_history=False)
    index = ivfcore.build_ivf(ds.x, km.centroids)
    rng = np.random.default_rng(0)
    checked = 0
    for qid in rng.choice(ds.n, 12, replace=False):
        for k, target in ((10, 0.9), (10, 1.0), (5, 0.5), (1, 1.0)):
            for exclude in (int(qid), None):
                got = smallest_nprobe(index, ds.x[qid], target, k=k, exclude_id=exclude)
                want = _loop(index, ds.x[qid], target, k, exclude)
                assert (got.nprobe, got.recall) == want, (qid, k, target, exclude)
                checked += got.nprobe > 1
    assert checked, "some queries need more than one list"


def test_fresh_query_and_every_list_reaches_full_recall():
    ds = ivfcore.make_dataset("blobs", seed=0, n=1000, d=8, centers=4, spread=2.0)
    km = ivfcore.train_kmeans(ds.x, 10, seed=0, record_history=False)
    index = ivfcore.build_ivf(ds.x, km.centroids)
    q = np.full(8, 0.3, dtype=np.float32)
    got = smallest_nprobe(index, q, 1.0, k=20)
    assert got.nprobe is not None and got.nprobe <= index.nlist and got.recall == 1.0
    assert got.nprobe == _loop(index, q, 1.0, 20, None)[0]


def test_hand_made_case():
    # two lists: query at 0; its 2 nearest vectors sit in the farther list
    x = np.array([[1.0], [1.1], [-2.0], [-2.1], [-2.2]], dtype=np.float32)
    index = ivfcore.build_ivf(x, np.array([[0.9], [-0.5]], dtype=np.float32))
    # the centroid at -0.5 is nearer to q = 0 than 0.9: list 1 is opened first
    q = np.zeros(1, dtype=np.float32)
    assert smallest_nprobe(index, q, 1.0, k=2).nprobe == 2
    assert smallest_nprobe(index, q, 0.5, k=2).nprobe == 2
    assert smallest_nprobe(index, np.array([-2.05], np.float32), 1.0, k=2).nprobe == 1


def test_checks_its_inputs():
    x = np.eye(4, dtype=np.float32)
    index = ivfcore.build_ivf(x, x[:2])
    with pytest.raises(InputError, match="target"):
        smallest_nprobe(index, x[0], 1.5)
    with pytest.raises(InputError, match="target"):
        smallest_nprobe(index, x[0], 0)
    with pytest.raises(InputError, match="one query"):
        smallest_nprobe(index, x[:2], 0.9)
