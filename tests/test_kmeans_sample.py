"""train_kmeans(max_points_per_centroid=...): FAISS's training sample, checked by hand."""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, brute_force_knn, train_kmeans
from ivfcore.distances import nearest


@pytest.fixture(scope="module")
def x():
    return ivfcore.make_dataset("blobs", seed=3, n=3000, d=8, centers=5).x


def _inertia_by_hand(x, c, labels):
    return float(((x.astype(np.float64) - c[labels].astype(np.float64)) ** 2).sum())


def test_trains_on_exactly_that_many_rows_and_labels_every_row_by_its_nearest_centroid(x):
    k, mpc = 12, 40
    km = train_kmeans(x, k, max_points_per_centroid=mpc, seed=5)
    assert km.n_train == mpc * k and km.sampled
    assert len(km.train_ids) == mpc * k == len(np.unique(km.train_ids))
    assert (np.diff(km.train_ids) > 0).all()
    # history steps describe the sample only
    assert all(len(s.labels) == mpc * k for s in km.history)
    assert int(km.history[-1].sizes.sum()) == mpc * k
    # the result describes every row: brute-force nearest centroid of each
    assert km.labels.shape == (len(x),)
    _, nn = brute_force_knn(km.centroids, x, 1)
    d_chosen = ((x - km.centroids[km.labels]) ** 2).sum(axis=1)
    d_best = ((x - km.centroids[nn[:, 0]]) ** 2).sum(axis=1)
    np.testing.assert_allclose(d_chosen, d_best, rtol=1e-5, atol=1e-5)
    assert (km.labels == nn[:, 0]).mean() > 0.999  # (a float tie may go either way)
    assert km.inertia == pytest.approx(_inertia_by_hand(x, km.centroids, km.labels), rel=1e-5)
    assert km.sizes.sum() == len(x)


@pytest.mark.parametrize("init", ["random", "k-means++"])
def test_same_as_sampling_by_hand_then_assigning(x, init):
    k, mpc, seed = 10, 39, 11
    km = train_kmeans(x, k, init=init, max_points_per_centroid=mpc, seed=seed, max_iter=30)
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(len(x), size=mpc * k, replace=False))
    by_hand = train_kmeans(x[ids], k, init=init, seed=rng, max_iter=30)
    np.testing.assert_array_equal(km.train_ids, ids)
    np.testing.assert_array_equal(km.centroids, by_hand.centroids)
    assert km.n_iter == by_hand.n_iter and km.converged == by_hand.converged
    labels, dist = nearest(x, by_hand.centroids)
    np.testing.assert_array_equal(km.labels, labels)
    assert km.inertia == pytest.approx(float(dist.sum(dtype=np.float64)), rel=1e-9)
    for a, b in zip(km.history, by_hand.history):
        np.testing.assert_array_equal(a.labels, b.labels)
        assert a.inertia == b.inertia


def test_default_and_large_cap_train_on_every_row(x):
    plain = train_kmeans(x, 8, seed=2)
    assert plain.n_train == len(x) and not plain.sampled and plain.train_ids is None
    roomy = train_kmeans(x, 8, seed=2, max_points_per_centroid=len(x) // 8)  # exactly n: no sample
    assert roomy.n_train == len(x) and not roomy.sampled
    np.testing.assert_array_equal(roomy.labels, plain.labels)
    np.testing.assert_array_equal(roomy.centroids, plain.centroids)
    assert roomy.inertia == plain.inertia


def test_warning_counts_the_rows_trained_on(x):
    km = train_kmeans(x, 10, max_points_per_centroid=20, seed=0)
    assert km.n_train == 200
    assert any("Only 200 vectors" in w for w in km.warnings)
    big = train_kmeans(x, 10, max_points_per_centroid=256, seed=0)
    assert big.n_train == 2560 and not any("Only" in w for w in big.warnings)


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_sampling_with_spherical_metrics(x, metric):
    k, mpc, seed = 9, 50, 4
    xs = x - x.mean(axis=0)  # directions that differ
    km = train_kmeans(xs, k, metric=metric, max_points_per_centroid=mpc, seed=seed, max_iter=20)
    assert km.n_train == k * mpc and km.metric == metric
    np.testing.assert_allclose(np.linalg.norm(km.centroids, axis=1), 1.0, rtol=1e-5)
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(len(xs), size=mpc * k, replace=False))
    by_hand = train_kmeans(xs[ids], k, metric=metric, seed=rng, max_iter=20)
    np.testing.assert_array_equal(km.centroids, by_hand.centroids)
    rows = xs / np.linalg.norm(xs, axis=1, keepdims=True) if metric == "cosine" else xs
    ip = rows.astype(np.float64) @ km.centroids.astype(np.float64).T
    best = ip.max(axis=1)
    np.testing.assert_allclose(ip[np.arange(len(xs)), km.labels], best, rtol=1e-5, atol=1e-5)
    lengths = np.linalg.norm(rows.astype(np.float64), axis=1)
    assert km.inertia == pytest.approx(float((lengths - best).sum()), rel=1e-4)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "many"])
def test_bad_cap_is_an_input_error(x, bad):
    with pytest.raises(InputError, match="max_points_per_centroid"):
        train_kmeans(x, 4, max_points_per_centroid=bad)
