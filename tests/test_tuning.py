"""ivfcore.tuning: the nlist grid, recall curves equal to recall_sweep, the Pareto front, the cheapest pair."""

import math

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, tuning


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
