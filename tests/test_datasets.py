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
