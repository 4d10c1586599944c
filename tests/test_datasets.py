"""Generated datasets: shapes, groups, the exercise recipe exactly, and reproducibility."""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, make_dataset


@pytest.mark.parametrize("kind", [k for k in ivfcore.KINDS if k != "exercise"])
def test_every_kind_has_float32_vectors_and_groups(kind):
    ds = make_dataset(kind, seed=0)
    assert ds.x.dtype == np.float32 and ds.x.flags.c_contiguous and ds.x.ndim == 2
    assert ds.groups.shape == (ds.n,)
    assert set(np.unique(ds.groups)) <= set(range(len(ds.group_names)))
    assert ds.group_counts().sum() == ds.n and ds.description
    again = make_dataset(kind, seed=0)
    np.testing.assert_array_equal(ds.x, again.x)


def test_blobs_are_equal_gaussian_blobs_around_separate_centres():
    ds = make_dataset("blobs", seed=4, n=3001, d=6, centers=7, spread=0.3)
    counts = ds.group_counts()
    assert counts.max() - counts.min() <= 1 and counts.sum() == 3001
    means = np.stack([ds.x[ds.groups == g].mean(axis=0) for g in range(7)])
    assert np.all(np.abs(means) <= 10.0 + 0.1)  # centres drawn in [-10, 10]^d
    resid = ds.x - means[ds.groups]
    np.testing.assert_allclose(resid.std(axis=0), 0.3, rtol=0.1)
    # tight blobs: every vector is nearest to its own blob's mean
    own = ((ds.x[:, None, :] - means[None]) ** 2).sum(-1).argmin(axis=1)
    assert np.mean(own == ds.groups) > 0.99


def test_the_first_page_dataset_does_not_import_scikit_learn():
    # importing sklearn.datasets takes over a second on the app's start-up path
    import subprocess
    import sys

    code = "import sys, ivfcore; ivfcore.make_dataset('blobs'); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_exercise_is_the_chapters_recipe():
    ds = make_dataset("exercise", seed=3)
    assert ds.x.shape == (100_000, 128) and ds.x.dtype == np.float32
    assert ds.group_names == ["dense", "sparse"]
    np.testing.assert_array_equal(ds.group_counts(), [90_000, 10_000])
    rng = np.random.default_rng(3)
    dense = rng.standard_normal((90_000, 128)) * 0.5 + rng.random((90_000, 128))
    sparse = rng.random((10_000, 128)) * 10
    np.testing.assert_array_equal(ds.x, np.vstack([dense, sparse]).astype(np.float32))
    with pytest.raises(InputError, match="no settings"):
        make_dataset("exercise", n=10)


def test_imbalanced_fractions_and_seeds():
    ds = make_dataset("imbalanced", seed=0, n=1000, d=8, dense_fraction=0.75)
    np.testing.assert_array_equal(ds.group_counts(), [750, 250])
    assert not np.array_equal(ds.x, make_dataset("imbalanced", seed=1, n=1000, d=8, dense_fraction=0.75).x)


@pytest.mark.parametrize("shape", ["moons", "rings", "spiral", "filaments"])
def test_manifold_shapes_lie_near_a_low_dimensional_subspace(shape):
    ds = make_dataset("manifold", seed=0, n=800, d=20, shape=shape, noise=0.01)
    sv = np.linalg.svd(ds.x - ds.x.mean(0), compute_uv=False)
    assert (sv[3:] ** 2).sum() / (sv**2).sum() < 0.01


def test_duplicates_repeat_few_vectors():
    ds = make_dataset("duplicates", seed=0, n=1000, duplicate_fraction=0.5, n_distinct=4)
    copies = ds.x[ds.groups == 0]
    assert len(copies) == 500 and len(np.unique(copies, axis=0)) <= 4


def test_digits_ship_offline():
    ds = make_dataset("digits")
    assert ds.x.shape == (1797, 64) and len(ds.group_names) == 10


@pytest.mark.parametrize(
    "kind,params,match",
    [
        ("nope", {}, "kind="),
        ("blobs", dict(n=1), "n=1"),
        ("blobs", dict(colour=3), "does not take colour"),
        ("imbalanced", dict(dense_fraction=1.5), "dense_fraction"),
        ("manifold", dict(shape="cube"), "shape="),
        ("manifold", dict(shape="filaments", d=2), "d >= 3"),
        ("blobs", dict(spread=0), "spread"),
    ],
)
def test_bad_params(kind, params, match):
    with pytest.raises(InputError, match=match):
        make_dataset(kind, **params)
