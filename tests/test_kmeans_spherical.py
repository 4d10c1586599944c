"""Spherical k-means (metric "ip" / "cosine") against FAISS, hand-computed toy cases, properties.

FAISS reference: ``faiss.Kmeans(d, k, spherical=True)`` assigns with an ``IndexFlatIP`` (largest
inner product) and renormalises the centroids after every update, exactly what FAISS's
inner-product IVF training (``IndexIVFFlat(..., METRIC_INNER_PRODUCT)``, ``cp.spherical``) runs.
Started from the same centroids, both must reach the same clusters: labels equal, centroids
equal to float32 rounding. The data sets are chosen without float32 near-ties: on data whose
directions crowd together (e.g. blobs shifted to +3, normalised) two centroids can be within
one float32 ulp of a vector, the two libraries' summation orders then pick different ones
(measured: a gap of 6e-8 at iteration 1) and the runs drift apart by a few vectors.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ivfcore
from ivfcore import InputError, train_kmeans
from ivfcore.metrics import prepare
from test_properties import FAST, TOO_LARGE_FLOOR, _call, matrices

faiss = pytest.importorskip("faiss")


def _data(name):
    if name == "blobs":
        return ivfcore.make_dataset("blobs", seed=1, n=3000, d=16, centers=8).x
    if name == "shifted blobs":  # every vector off the origin: raw inner products favour length
        return ivfcore.make_dataset("blobs", seed=1, n=3000, d=16, centers=8).x + np.float32(3)
    if name == "imbalanced":
        return ivfcore.make_dataset("imbalanced", seed=1, n=3000, d=16).x
    return ivfcore.make_dataset(name).x.astype(np.float32)


def _faiss_kmeans(xx, init, niter):
    km = faiss.Kmeans(xx.shape[1], len(init), spherical=True, niter=niter, seed=1,
                      max_points_per_centroid=10**6)  # no FAISS subsampling
    km.train(xx, init_centroids=init.copy())
    assert isinstance(km.index, faiss.IndexFlatIP)  # spherical=True assigns by inner product
    _, assign = km.index.search(xx, 1)
    return km, assign[:, 0]


@pytest.mark.parametrize(
    "name,metric,seed",
    [
        ("blobs", "ip", 2), ("blobs", "cosine", 2), ("blobs", "cosine", 4),
        ("shifted blobs", "ip", 2), ("shifted blobs", "ip", 3),
        ("imbalanced", "ip", 3), ("imbalanced", "cosine", 2),
        ("digits", "ip", 2), ("digits", "cosine", 3),
    ],
)
def test_matches_faiss_spherical_kmeans_from_the_same_centroids(name, metric, seed):
    x = _data(name)
    k, niter = 20, 20
    rng = np.random.default_rng(seed)
    init = x[rng.choice(len(x), k, replace=False)].copy()  # raw rows: both normalise them
    ours = train_kmeans(x, k, init=init, max_iter=niter, tol=0.0, metric=metric, empty="keep")
    assert all(step.n_empty == 0 for step in ours.history)  # FAISS's split repair is random
    xx = prepare(x, metric)  # raw vectors for ip, unit vectors for cosine
    km, assign = _faiss_kmeans(xx, init, niter)
    np.testing.assert_array_equal(ours.labels, assign)
    np.testing.assert_allclose(ours.centroids, km.centroids, rtol=0, atol=1e-6)
    assert ours.metric == metric and ours.history[-1].metric == metric
    # FAISS's objective (sum of inner products, per iteration before its update) is ours
    # turned around: sum |x_i| - inertia
    lengths = float(np.linalg.norm(xx.astype(np.float64), axis=1).sum())
    objs = [s["obj"] for s in km.iteration_stats]
    mine = [lengths - step.inertia for step in ours.history[:niter]]
    np.testing.assert_allclose(mine, objs, rtol=1e-5)


def test_matches_faiss_inner_product_ivf_training():
    """The coarse quantizer of IndexIVFFlat(METRIC_INNER_PRODUCT) is our ip k-means."""
    x = _data("shifted blobs")
    d, k, niter = x.shape[1], 20, 10

    def faiss_ivf_centroids(n_iter):
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFFlat(quantizer, d, k, faiss.METRIC_INNER_PRODUCT)
        assert index.cp.spherical
        index.cp.niter = n_iter
        index.train(x)
        return faiss.rev_swig_ptr(quantizer.get_xb(), k * d).reshape(k, d).copy()

    # with no iterations FAISS keeps its (normalised) random start: find those rows
    start = faiss_ivf_centroids(0)
    unit = prepare(x, "cosine")
    rows = (start @ unit.T).argmax(axis=1)
    np.testing.assert_allclose(unit[rows], start, atol=1e-6)
    ours = train_kmeans(x, k, init=x[rows], max_iter=niter, tol=0.0, metric="ip", empty="keep")
    np.testing.assert_allclose(ours.centroids, faiss_ivf_centroids(niter), rtol=0, atol=1e-6)


def test_ip_hand_computed_toy_case():
    # inner products with the start (1,0), (0,1): rows 0, 1 -> first; rows 2, 3 -> second
    x = np.array([[3, 0], [2, 1], [0, 1], [0, 3]], dtype=np.float64)
    km = train_kmeans(x, 2, init=np.array([[1.0, 0.0], [0.0, 1.0]]), metric="ip", tol=1e-12)
    # means (2.5, 0.5) and (0, 2), put back on the unit circle
    c0 = np.array([2.5, 0.5]) / np.sqrt(6.5)
    np.testing.assert_allclose(km.centroids, [c0, [0.0, 1.0]])
    np.testing.assert_array_equal(km.labels, [0, 0, 1, 1])
    # inertia = sum |x_i| - x_i . c_i
    want = (3 - 7.5 / np.sqrt(6.5)) + (np.sqrt(5) - 5.5 / np.sqrt(6.5)) + 0 + 0
    assert km.inertia == pytest.approx(want)
    assert km.history[0].inertia == pytest.approx(np.sqrt(5) - 2)  # only row 1 is off-axis
    assert km.converged and km.n_iter == 2


def test_ip_lets_a_long_vector_pull_a_centroid_that_cosine_does_not():
    # three unit rows along x, one along y, and a long row L = (10, 9) nearer x in angle
    x = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [10, 9]], dtype=np.float64)
    init = np.array([[1.0, 0.0], [0.0, 1.0]])
    ip = train_kmeans(x, 2, init=init, metric="ip", tol=1e-12)
    cos = train_kmeans(x, 2, init=init, metric="cosine", tol=1e-12)
    # both assign L to the x-centroid (ip 10 vs 9; cosine 0.743 vs 0.669) and keep it there
    np.testing.assert_array_equal(ip.labels, [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(cos.labels, [0, 0, 0, 1, 0])
    # ip: the mean of the raw rows, (13, 9) / 4, is pulled 34.7 degrees towards L;
    # cosine: L counts as one unit vector, (3 + 10/|L|, 9/|L|), only 10.1 degrees
    np.testing.assert_allclose(ip.centroids[0], np.array([13, 9]) / np.hypot(13, 9))
    u = np.array([3 + 10 / np.hypot(10, 9), 9 / np.hypot(10, 9)])
    np.testing.assert_allclose(cos.centroids[0], u / np.linalg.norm(u))
    np.testing.assert_allclose(ip.centroids[1], [0, 1])
    np.testing.assert_allclose(cos.centroids[1], [0, 1])
    assert np.degrees(np.arctan2(9, 13)) == pytest.approx(34.7, abs=0.05)
    assert np.degrees(np.arctan2(u[1], u[0])) == pytest.approx(10.1, abs=0.05)


def test_cosine_hand_computed_toy_case_ignores_lengths():
    x = np.array([[10, 0], [0, 0.5], [3, 3.1], [0.1, 0]], dtype=np.float64)
    init = np.array([[1.0, 0.0], [0.0, 1.0]])
    km = train_kmeans(x, 2, init=init, metric="cosine", tol=1e-12)
    # unit rows (1,0), (0,1), (3,3.1)/|.|, (1,0): row 2 is nearer (0,1) in angle (3.1 > 3)
    u2 = np.array([3, 3.1]) / np.hypot(3, 3.1)
    c1 = (np.array([0, 1]) + u2) / np.linalg.norm(np.array([0, 1]) + u2)
    np.testing.assert_array_equal(km.labels, [0, 1, 1, 0])
    np.testing.assert_allclose(km.centroids, [[1, 0], c1])
    assert km.inertia == pytest.approx((1 - c1[1]) + (1 - u2 @ c1))
    # scaling any row by a positive number changes nothing
    again = train_kmeans(x * np.array([[0.01], [7], [2], [1e3]]), 2, init=init * 5, metric="cosine",
                         tol=1e-12)
    np.testing.assert_array_equal(again.labels, km.labels)
    np.testing.assert_allclose(again.centroids, km.centroids)


def test_cosine_refuses_a_zero_vector_and_a_zero_start():
    x = np.eye(4)
    x[2] = 0
    with pytest.raises(InputError, match="x row 2 is a zero vector"):
        train_kmeans(x, 2, metric="cosine")
    with pytest.raises(InputError, match="init row 1 is a zero vector"):
        train_kmeans(np.eye(4), 2, init=np.array([[1.0, 0, 0, 0], [0, 0, 0, 0]]), metric="ip")
    with pytest.raises(InputError, match="metric='dot' is not one of l2, ip, cosine"):
        train_kmeans(np.eye(4), 2, metric="dot")


def test_ip_accepts_zero_vectors_and_keeps_unit_centroids():
    x = np.zeros((20, 3))
    x[:5] = np.random.default_rng(0).normal(size=(5, 3))
    for empty in ivfcore.EMPTY_STRATEGIES:
        km = train_kmeans(x, 6, metric="ip", empty=empty, seed=1)
        np.testing.assert_allclose(np.linalg.norm(km.centroids, axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("metric", ["ip", "cosine"])
@pytest.mark.parametrize("empty", ivfcore.EMPTY_STRATEGIES)
def test_every_repair_stays_on_the_sphere(metric, empty):
    # positive data; half the start points into the negative orthant, where nothing is
    rng = np.random.default_rng(0)
    x = (rng.random((600, 4)) + 0.1).astype(np.float32)
    init = np.vstack([x[:10], -rng.random((10, 4)) - 0.1])
    km = train_kmeans(x, 20, init=init, metric=metric, empty=empty, seed=0, max_iter=10)
    assert km.history[0].n_empty == 10
    assert sum(len(s.repairs) for s in km.history) > 0 or empty == "keep"
    for step in km.history:
        np.testing.assert_allclose(np.linalg.norm(step.centroids.astype(np.float64), axis=1), 1.0,
                                   rtol=2e-6)


def test_l2_is_the_default_and_unchanged():
    x = _data("blobs")
    a = train_kmeans(x, 12, seed=3, max_iter=30)
    b = train_kmeans(x, 12, seed=3, max_iter=30, metric="l2")
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centroids, b.centroids)
    assert a.inertia == b.inertia and a.metric == "l2"


# ------------------------------------------------------------------------------- properties


@FAST
@given(
    data=matrices(huge=True),
    metric=st.sampled_from(ivfcore.METRICS),
    k_extra=st.integers(0, 70),
    init=st.sampled_from(["random", "k-means++", "array"]),
    empty=st.sampled_from(ivfcore.EMPTY_STRATEGIES),
    max_iter=st.integers(0, 10),
    seed=st.integers(0, 2**31),
)
def test_kmeans_invariants_for_every_metric(data, metric, k_extra, init, empty, max_iter, seed):
    x, peak = data
    n, d = x.shape
    k = 1 + k_extra % (n + 3)
    if init == "array":
        init = np.random.default_rng(seed).normal(size=(k, d)) * max(peak, 1e-30)
    km, err = _call(train_kmeans, x, k, init=init, empty=empty, max_iter=max_iter, seed=seed,
                    metric=metric)
    if err is not None and "too large" in str(err):
        assert max(peak, float(np.abs(np.asarray(init, dtype=float)).max())
                   if not isinstance(init, str) else peak) > TOO_LARGE_FLOOR, str(err)
        return
    x64 = np.asarray(x, dtype=np.float64)
    if metric == "cosine" and (x64 == 0).all(axis=1).any():
        row = int(np.flatnonzero((x64 == 0).all(axis=1))[0])
        assert err is not None and f"x row {row} is a zero vector" in str(err)
        return
    if k > n:
        assert err is not None and f"k={k}" in str(err)
        return
    assert err is None, str(err)
    assert km.metric == metric
    sizes = km.sizes
    assert sizes.shape == (k,) and sizes.sum() == n
    assert km.labels.min() >= 0 and km.labels.max() < k
    assert np.isfinite(km.centroids).all() and np.isfinite(km.inertia) and km.inertia >= 0
    if metric == "l2":
        return  # the Euclidean invariants are tests/test_properties.py's
    c64 = km.centroids.astype(np.float64)
    for step in km.history:
        np.testing.assert_allclose(np.linalg.norm(step.centroids.astype(np.float64), axis=1), 1.0,
                                   rtol=1e-5)
    xs = prepare(np.ascontiguousarray(x, dtype=km.centroids.dtype), metric).astype(np.float64)
    ip = xs @ c64.T
    lengths = np.linalg.norm(xs / np.maximum(np.abs(xs).max(1, keepdims=True), 1e-300), axis=1) \
        * np.abs(xs).max(1)
    # labels are the argmax of the inner product with the final centroids (to float32 rounding
    # at each row's own scale)
    mine = ip[np.arange(n), km.labels]
    assert np.all(mine >= ip.max(axis=1) - 1e-5 * lengths - 1e-300)
    want = np.maximum(lengths - mine, 0).sum()
    assert km.inertia == pytest.approx(want, rel=1e-4, abs=1e-5 * lengths.sum() + 1e-300)
