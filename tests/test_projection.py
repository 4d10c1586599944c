"""Projections: PCA against scikit-learn's, UMAP placement of new vectors, sampling."""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, fit_projection


def test_pca_matches_sklearn_up_to_sign():
    from sklearn.decomposition import PCA

    x = ivfcore.make_dataset("blobs", seed=0, n=3000, d=10).x
    proj = fit_projection(x, "pca", sample_size=500, seed=0)
    ref = PCA(n_components=2).fit(x).transform(x[proj.sample_ids])
    for j in range(2):
        corr = np.corrcoef(proj.points[:, j], ref[:, j])[0, 1]
        assert abs(corr) > 0.9999
    # new vectors land where the same linear map puts them
    np.testing.assert_allclose(proj.transform(x[proj.sample_ids[:5]]), proj.points[:5], atol=1e-4)


def test_sample_is_seeded_sorted_and_capped():
    x = ivfcore.make_dataset("blobs", seed=0, n=2000, d=4).x
    a = fit_projection(x, "pca", sample_size=300, seed=1)
    b = fit_projection(x, "pca", sample_size=300, seed=1)
    np.testing.assert_array_equal(a.sample_ids, b.sample_ids)
    assert len(a.sample_ids) == 300 and np.all(np.diff(a.sample_ids) > 0)
    assert len(fit_projection(x[:100], "pca", sample_size=300).sample_ids) == 100


def test_one_dimensional_data_is_drawn_on_a_line():
    x = np.arange(10, dtype=np.float32)[:, None]
    proj = fit_projection(x, "pca")
    np.testing.assert_array_equal(proj.points[:, 1], 0)


def test_bad_method():
    with pytest.raises(InputError, match="method="):
        fit_projection(np.zeros((5, 3)), "tsne")


def test_umap_placement_interpolates_between_displayed_neighbours():
    from ivfcore.projection import Projection

    sample = np.array([[0, 0], [10, 0], [0, 10]], dtype=np.float32)
    points = np.array([[1, 1], [5, 1], [1, 5]], dtype=np.float32)
    proj = Projection("umap", np.arange(3), points, None, sample)
    np.testing.assert_allclose(proj.transform(sample[1:2]), points[1:2], atol=1e-3)
    mid = proj.transform(np.array([[5, 0]], dtype=np.float32))[0]
    assert points[:, 0].min() < mid[0] < points[:, 0].max()


def test_umap_fits_and_places_centroids_in_its_plane():
    x = ivfcore.make_dataset("blobs", seed=0, n=300, d=8, centers=3).x
    proj = fit_projection(x, "umap", sample_size=200, seed=0)
    assert proj.points.shape == (200, 2) and np.isfinite(proj.points).all()
    km = ivfcore.train_kmeans(x, 3, seed=0)
    placed = proj.transform(km.centroids)
    lo, hi = proj.points.min(axis=0), proj.points.max(axis=0)
    assert ((placed >= lo) & (placed <= hi)).all()
