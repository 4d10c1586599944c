"""train_kmeans against scikit-learn's Lloyd, a hand-computed case, and its invariants."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

import ivfcore
from ivfcore import InputError, train_kmeans


def _same_init(x, k, seed):
    rng = np.random.default_rng(seed)
    return x[rng.choice(len(x), k, replace=False)].copy()


# digits are small integers: in float32 a few vectors sit within rounding of two centroids,
# so that set is compared in float64 only.
@pytest.mark.parametrize(
    "kind,params,k,dtype",
    [
        ("blobs", dict(n=2000, d=8, centers=6), 12, np.float32),
        ("blobs", dict(n=2000, d=8, centers=6), 12, np.float64),
        ("digits", {}, 10, np.float64),
        ("imbalanced", dict(n=3000, d=16), 25, np.float32),
        ("imbalanced", dict(n=3000, d=16), 25, np.float64),
        ("manifold", dict(n=1500, d=6, shape="spiral"), 15, np.float32),
    ],
)
def test_matches_sklearn_lloyd_with_same_init(kind, params, k, dtype):
    x = ivfcore.make_dataset(kind, seed=1, **params).x.astype(dtype)
    init = _same_init(x, k, seed=2)
    # scikit-learn relocates empty clusters to the farthest points: our "farthest" strategy.
    ours = train_kmeans(x, k, init=init, max_iter=300, tol=0.0, empty="farthest")
    ref = KMeans(k, init=init, n_init=1, max_iter=300, tol=0.0, algorithm="lloyd").fit(x)
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-4)
    np.testing.assert_allclose(ours.centroids, ref.cluster_centers_, rtol=1e-4, atol=1e-4)
    assert ours.converged


def test_hand_computed_toy_case():
    x = np.array([[0, 0], [0, 1], [10, 0], [10, 1]], dtype=np.float64)
    km = train_kmeans(x, 2, init=np.array([[0.0, 0.0], [10.0, 0.0]]), tol=1e-9)
    np.testing.assert_allclose(km.centroids, [[0, 0.5], [10, 0.5]])
    np.testing.assert_array_equal(km.labels, [0, 0, 1, 1])
    assert km.inertia == pytest.approx(4 * 0.25)
    # step 1 moves each centroid by 0.5: shift = sqrt(0.5^2 + 0.5^2); step 2 does not move.
    assert [s.iteration for s in km.history] == [0, 1, 2]
    assert km.history[0].inertia == pytest.approx(1.0 + 1.0)
    assert km.history[1].shift == pytest.approx(np.sqrt(0.5))
    assert km.history[2].shift == 0.0
    assert km.n_iter == 2 and km.converged


def test_same_seed_same_result_and_different_seed_differs():
    x = ivfcore.make_dataset("blobs", seed=0, n=1500, d=8).x
    for init in ("random", "k-means++"):
        a = train_kmeans(x, 16, init=init, seed=7)
        b = train_kmeans(x, 16, init=init, seed=7)
        c = train_kmeans(x, 16, init=init, seed=8)
        np.testing.assert_array_equal(a.centroids, b.centroids)
        np.testing.assert_array_equal(a.labels, b.labels)
        assert len(a.history) == len(b.history)
        assert not np.array_equal(a.history[0].centroids, c.history[0].centroids)


def test_random_init_picks_distinct_data_vectors():
    x = ivfcore.make_dataset("blobs", seed=0, n=500, d=4).x
    km = train_kmeans(x, 30, seed=3, max_iter=0)
    c0 = km.history[0].centroids
    assert len(np.unique(c0, axis=0)) == 30
    rows = {tuple(r) for r in x}
    assert all(tuple(r) in rows for r in c0)


def test_kmeans_plusplus_spreads_initial_centroids():
    # Two far-apart tight groups: k-means++ must seed both (random init often takes one).
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 0.01, (500, 3)), rng.normal(100, 0.01, (5, 3))])
    for s in range(5):
        c0 = train_kmeans(x, 2, init="k-means++", seed=s, max_iter=0).history[0].centroids
        assert (c0[:, 0] > 50).sum() == 1


def test_history_invariants():
    x = ivfcore.make_dataset("imbalanced", seed=0, n=2000, d=8).x
    km = train_kmeans(x, 20, seed=0)
    assert km.history[0].iteration == 0 and km.history[0].shift == 0.0
    assert len(km.history) == km.n_iter + 1
    assert km.history[0].labels.dtype == np.uint8
    for step in km.history:
        assert step.sizes.sum() == len(x)
        np.testing.assert_array_equal(np.bincount(step.labels, minlength=20), step.sizes)
    inertias = [s.inertia for s in km.history]
    assert all(b <= a * (1 + 1e-6) for a, b in zip(inertias, inertias[1:]))
    # the last step is the returned state; steps are copies, not views
    np.testing.assert_array_equal(km.history[-1].labels, km.labels)
    assert not np.shares_memory(km.history[-1].centroids, km.centroids)
    assert train_kmeans(x, 20, seed=0, record_history=False).history == ()


def test_label_dtype_grows_with_k():
    x = ivfcore.make_dataset("blobs", seed=0, n=600, d=4).x
    km = train_kmeans(x, 300, seed=0, max_iter=2)
    assert km.history[0].labels.dtype == np.uint16


def _duplicates():
    return ivfcore.make_dataset("duplicates", seed=0, n=1200, d=4, n_distinct=3).x


@pytest.mark.parametrize("empty", ["reinit", "split", "farthest", "keep"])
def test_empty_cluster_strategies_on_duplicates(empty):
    x = _duplicates()
    km = train_kmeans(x, 40, init="random", seed=0, empty=empty, max_iter=50)
    first = km.history[1]
    # Random init draws several identical copies: all but one of each copy-set start empty.
    assert km.history[0].n_empty > 0
    repaired = [r for s in km.history for r in s.repairs]
    if empty == "keep":
        # nothing is repaired: an empty cluster's centroid stays exactly where it was
        assert repaired == []
        empties = np.flatnonzero(km.history[0].sizes == 0)
        np.testing.assert_array_equal(
            km.history[1].centroids[empties], km.history[0].centroids[empties]
        )
    else:
        assert first.repaired.size > 0
        assert {r.strategy for r in repaired} == {empty}
        for s in km.history:
            np.testing.assert_array_equal(s.repaired, [r.cluster for r in s.repairs])
    if empty in ("reinit", "farthest"):
        # the first repairs put each empty centroid exactly on the data vector they name
        for r in first.repairs:
            np.testing.assert_array_equal(first.centroids[r.cluster], x[r.source])
    if empty == "farthest":
        # the chosen vectors are the ones farthest from their centroid at step 0
        d0 = ((x - km.history[0].centroids[km.history[0].labels]) ** 2).sum(axis=1)
        assert min(d0[r.source] for r in first.repairs) >= np.sort(d0)[-len(first.repairs)] - 1e-4


def test_split_copies_a_centroid_with_symmetric_perturbation():
    x = np.array([[0, 0], [0, 2], [10, 0], [10, 2]], dtype=np.float64)
    init = np.array([[0.0, 1.0], [10.0, 1.0], [100.0, 100.0]])  # the third starts empty
    km = train_kmeans(x, 3, init=init, empty="split", max_iter=1, seed=0)
    (r,) = km.history[1].repairs
    assert r.cluster == 2 and r.source in (0, 1)
    c = init[r.source]
    eps = np.array([1, -1]) / 1024
    np.testing.assert_allclose(km.history[1].centroids[2], c * (1 + eps))
    np.testing.assert_allclose(km.history[1].centroids[r.source], c * (1 - eps))


def test_warns_when_too_few_points_per_centroid_and_rejects_k_above_n():
    x = ivfcore.make_dataset("blobs", seed=0, n=200, d=4).x
    assert any("39" in w for w in train_kmeans(x, 10, seed=0).warnings)
    assert not any("39" in w for w in train_kmeans(x, 5, seed=0).warnings)
    with pytest.raises(InputError, match="k=201 is larger than the number of vectors n=200"):
        train_kmeans(x, 201)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(k=0), "k=0"),
        (dict(k=3, init="kmeans"), "init="),
        (dict(k=3, empty="drop"), "empty="),
        (dict(k=3, tol=-1.0), "tol="),
        (dict(k=3, init=np.zeros((2, 4))), "init has 2 rows"),
        (dict(k=3, init=np.zeros((3, 5))), "d=5"),
        (dict(k=3, seed="x"), "seed="),
    ],
)
def test_bad_settings_raise_input_error(kwargs, match):
    x = ivfcore.make_dataset("blobs", seed=0, n=100, d=4).x
    with pytest.raises(InputError, match=match):
        train_kmeans(x, **kwargs)


def test_max_iter_and_tol_decide_convergence():
    x = ivfcore.make_dataset("blobs", seed=0, n=2000, d=8).x
    short = train_kmeans(x, 20, seed=0, max_iter=2, tol=0.0)
    assert short.n_iter == 2 and not short.converged
    loose = train_kmeans(x, 20, seed=0, tol=1e6)
    assert loose.n_iter == 1 and loose.converged


def test_assignment_memory_stays_bounded():
    # The naive broadcast would allocate n * k * d * 4 bytes = 128 MB here.
    import tracemalloc

    rng = np.random.default_rng(0)
    x = rng.random((20_000, 32), dtype=np.float32)
    tracemalloc.start()
    train_kmeans(x, 50, seed=0, max_iter=3, record_history=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 30 * 2**20, f"peak {peak / 2**20:.1f} MB"


def test_exercise_preset_trains_in_bounded_memory():
    """k=100 on the 100k x 128 exercise data: training adds little to the process's peak."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import ivfcore

        def peak_mb():  # VmHWM is this process's own peak (ru_maxrss inherits the parent's)
            line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
            return int(line.split()[1]) // 1024

        ds = ivfcore.make_dataset("exercise", seed=0)
        before = peak_mb()
        km = ivfcore.train_kmeans(ds.x, 100, seed=0, max_iter=4)
        index = ivfcore.build_ivf(ds.x, km.centroids)
        print(before, peak_mb())
        """
    )
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert after < 450, f"process peak {after} MB (before training: {before} MB)"
    # the index keeps a list-ordered copy of x (51 MB); the naive code would need ~10 GB
    assert after - before < 120, f"training + index grew the peak by {after - before} MB"


def test_callback_sees_every_step_as_it_happens():
    x = ivfcore.make_dataset("blobs", seed=0, n=800, d=4).x
    seen = []
    km = train_kmeans(x, 8, seed=0, callback=lambda step, total: seen.append((step.iteration, total)))
    assert seen == [(s.iteration, 100) for s in km.history]
    seen.clear()
    train_kmeans(x, 8, seed=0, record_history=False, callback=lambda s, t: seen.append(s.iteration))
    assert seen == list(range(km.n_iter + 1))


def test_box_init_starts_inside_the_bounding_box_and_can_leave_lists_empty():
    x = ivfcore.make_dataset("blobs", seed=0, n=3000, d=8, centers=6).x
    c0 = ivfcore.box_init(x, 40, seed=0)
    assert c0.shape == (40, 8) and (c0 >= x.min(0)).all() and (c0 <= x.max(0)).all()
    np.testing.assert_array_equal(c0, ivfcore.box_init(x, 40, seed=0))
    keep = train_kmeans(x, 40, init=c0, empty="keep")
    reinit = train_kmeans(x, 40, init=c0, empty="reinit", seed=0)
    assert keep.history[0].n_empty > 0
    assert keep.history[-1].n_empty == keep.history[0].n_empty  # an empty list never moves
    assert reinit.history[-1].n_empty == 0
