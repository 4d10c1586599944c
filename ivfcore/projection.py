"""2-D views of high-dimensional vectors: PCA (linear, exact transform) or UMAP (neighbourhoods).

Only a sample of the vectors is displayed; the projection is fitted once and then places
anything else (centroids of every iteration, queries) into the same 2-D space.
"""

import os
from dataclasses import dataclass

import numpy as np

from ._random import as_generator
from ._validation import as_count, as_vectors
from .errors import InputError

METHODS = ("pca", "umap")
PCA_FIT_ROWS = 20_000


@dataclass
class Projection:
    """A fitted 2-D projection and the sample of vectors it displays.

    ``sample_ids`` (m,) index the original vectors; ``points`` (m, 2) float32 are their
    positions. ``transform`` places any (r, d) array in the same plane.
    """

    method: str
    sample_ids: np.ndarray
    points: np.ndarray
    model: object
    sample: np.ndarray = None  # (m, d) the displayed vectors, for placing new ones (UMAP)

    def transform(self, y):
        """Positions (r, 2) float32 of new vectors in this projection.

        PCA is exact. UMAP places each vector at the inverse-distance weighted mean of its
        nearest displayed vectors' positions: the starting point UMAP's own ``transform``
        refines, here without its per-call optimisation (which costs seconds, and a minute
        of compilation on first use), so every animation frame's centroids place instantly.
        """
        y = np.ascontiguousarray(y, dtype=np.float32)
        if y.shape[0] == 0:
            return np.empty((0, 2), dtype=np.float32)
        if self.method == "pca" or self.sample is None:
            return np.asarray(self.model.transform(y), dtype=np.float32)
        return _interpolate(self.sample, self.points, y)


def display_sample(n, size, seed=0):
    """Sorted ids of at most ``size`` vectors out of ``n``, chosen uniformly."""
    if n <= size:
        return np.arange(n)
    return np.sort(as_generator(seed).choice(n, size=size, replace=False))


def fit_projection(x, method="pca", *, sample_size=5000, seed=0, n_neighbors=15):
    """Fit a 2-D projection and return the positions of a displayed sample.

    Parameters
    ----------
    x : array-like, shape (n, d)
    method : {"pca", "umap"}
        PCA is fitted on up to 20,000 vectors; UMAP on the displayed sample only.
    sample_size : int
        Most vectors displayed.
    seed : int or numpy.random.Generator
    n_neighbors : int
        UMAP's neighbourhood size.

    Returns
    -------
    Projection
    """
    x = as_vectors(x, "x", min_rows=2)
    if method not in METHODS:
        raise InputError(f"method={method!r} must be one of {', '.join(METHODS)}")
    sample_size = as_count(sample_size, "sample_size", low=2)
    rng = as_generator(seed)
    ids = display_sample(x.shape[0], sample_size, rng)
    if x.shape[1] == 1:
        model = _Pad1D()
    elif method == "pca":
        # The top two directions of 20k vectors match those of all of them closely, at a
        # fraction of the time on large data.
        model = _PCA2(x[display_sample(x.shape[0], PCA_FIT_ROWS, rng)])
    else:
        model = _fit_umap(x[ids], rng, n_neighbors)
    if method == "pca" or x.shape[1] == 1:
        return Projection(method, ids, np.asarray(model.transform(x[ids]), dtype=np.float32), model)
    sample = np.ascontiguousarray(x[ids], dtype=np.float32)
    return Projection(method, ids, np.asarray(model.embedding_, dtype=np.float32), None, sample)


def _interpolate(sample, points, y, n_neighbors=8):
    """Inverse-distance weighted mean of the 2-D positions of each row's nearest sample rows."""
    from .knn import brute_force_knn

    d, i = brute_force_knn(sample, y, n_neighbors)
    w = 1.0 / (np.sqrt(d.astype(np.float64)) + 1e-6)
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("rk,rkc->rc", w, points[i].astype(np.float64)).astype(np.float32)


class _PCA2:
    """The two directions of largest variance (an SVD of the centred data), signs fixed."""

    def __init__(self, x):
        xf = x.astype(np.float64)
        self.mean = xf.mean(axis=0)
        _, _, vt = np.linalg.svd(xf - self.mean, full_matrices=False)
        comps = vt[:2]
        # make each direction's largest coordinate positive, so the picture is reproducible
        signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)])
        self.components = comps * signs[:, None]

    def transform(self, y):
        return (np.asarray(y, dtype=np.float64) - self.mean) @ self.components.T


class _Pad1D:
    """One-dimensional data drawn on a line (x = value, y = 0)."""

    def transform(self, y):
        return np.c_[y[:, 0], np.zeros(len(y))]


def _fit_umap(xs, rng, n_neighbors):
    """UMAP on the sample, with exact neighbours and numba's compiled code cached on disk.

    pynndescent's neighbour search compiles again in every process (~27 s) and cannot be
    cached, so the sample's exact neighbours come from :func:`brute_force_knn` instead; three
    umap-learn kernels compiled without ``cache=True`` are switched to caching; 200 layout
    epochs (UMAP's own default above 10,000 points). Measured in docs/benchmarks.md.
    """
    import warnings

    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.getcwd(), ".numba_cache"))
    os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")
    import umap  # slow import: kept off every path that does not ask for UMAP
    from umap import layouts, umap_

    from .knn import brute_force_knn

    for f in (umap_.smooth_knn_dist, umap_.compute_membership_strengths,
              getattr(layouts, "_nb_optimize_layout_euclidean_single_epoch", None)):
        if hasattr(f, "enable_caching"):
            f.enable_caching()
    n_neighbors = max(2, min(n_neighbors, xs.shape[0] - 1))
    dist, ids = brute_force_knn(xs, xs, n_neighbors)
    model = umap.UMAP(
        n_components=2,
        n_neighbors=n_neighbors,
        random_state=int(rng.integers(2**31 - 1)),
        transform_seed=0,
        n_epochs=200,
        n_jobs=1,  # a fixed random_state makes UMAP single-threaded anyway
        precomputed_knn=(ids, np.sqrt(dist.astype(np.float32)), None),
    )
    with warnings.catch_warnings():  # no search index kept: new vectors are placed by _interpolate
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        model.fit(xs)
    return model