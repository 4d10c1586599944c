"""Lloyd's k-means, the training step of an IVF index, with every iteration recorded.

Each iteration assigns every vector to its nearest centroid and moves each centroid to the
mean of its vectors. Both come from one pass over the data in bounded-memory blocks
(:mod:`ivfcore.lloyd`: the distances of a block, its labels and its clusters' sums). A
cluster that ends up with no vectors is repaired by one of four strategies, so a learner can
compare them.

For the metrics "ip" and "cosine" (see :mod:`ivfcore.metrics`) the k-means is *spherical*, as
``faiss.Kmeans(spherical=True)`` and FAISS's inner-product IVF training: every vector goes to
the centroid with the largest inner product, and every centroid is put back on the unit sphere
(at the start, after each update and after each empty-cluster repair). For "cosine" the
vectors are normalised first.

Inertia, one number per assignment that never increases while training:

- "l2": the sum of squared distances to the assigned centroid (scikit-learn's inertia).
- "ip", "cosine": ``sum_i (|x_i| - x_i . c_i)``, which is ``sum_i (1 - cos(x_i, c_i))`` for
  "cosine" (unit vectors). FAISS reports the objective it maximises, ``sum_i x_i . c_i``;
  since ``sum_i |x_i|`` is fixed, both rank centroids alike, and FAISS's objective is
  ``sum_i |x_i| - inertia``. We show the inertia: >= 0, 0 only when every vector points
  exactly along its centroid, falling as training improves, like the L2 one.
"""

from dataclasses import dataclass, field

import numpy as np

from ._random import as_generator
from ._validation import as_count, as_number, as_vectors, check_same_dim
from .distances import squared_norms
from .errors import InputError
from .metrics import check_metric, is_spherical, prepare

INITS = ("random", "k-means++")
EMPTY_STRATEGIES = ("reinit", "split", "farthest", "keep")

# FAISS's rule of thumb: fewer than 39 training vectors per centroid estimates them poorly.
MIN_POINTS_PER_CENTROID = 39
# Relative size of the symmetric perturbation used when splitting a cluster (as FAISS).
SPLIT_EPS = 1.0 / 1024


@dataclass(frozen=True)
class Repair:
    """How one empty cluster was given a new centroid in one iteration.

    ``source`` is the data vector copied (``reinit``, ``farthest``) or the cluster split
    (``split``).
    """

    cluster: int
    strategy: str
    source: int


@dataclass(frozen=True)
class KMeansStep:
    """The state after one iteration; step 0 is the initial centroids and their assignment.

    ``labels`` and ``inertia`` belong to ``centroids`` (the assignment to these centroids).
    ``shift`` is the Frobenius norm of the centroid move that produced them (0 at step 0).
    ``repaired`` lists the clusters that were empty and got a new centroid in this step.
    """

    iteration: int
    centroids: np.ndarray  # (k, d)
    labels: np.ndarray  # (n,) smallest integer dtype
    sizes: np.ndarray  # (k,) int64
    inertia: float
    shift: float
    n_empty: int
    repaired: np.ndarray  # cluster ids, int64
    repairs: tuple = ()
    metric: str = "l2"


@dataclass(frozen=True)
class KMeansResult:
    """A trained k-means: final centroids with the assignment that belongs to them."""

    centroids: np.ndarray  # (k, d)
    labels: np.ndarray  # (n,) int64
    inertia: float
    n_iter: int
    converged: bool
    history: tuple = ()
    warnings: tuple = ()
    init: str = "random"
    empty: str = "reinit"
    metric: str = "l2"
    n_train: int = None  # rows trained on (n when not sampled); set by train_kmeans
    train_ids: np.ndarray = None  # (n_train,) sorted ids of the sampled rows; None: all rows

    @property
    def sampled(self):
        """Whether training ran on a sample of the rows (``max_points_per_centroid``)."""
        return self.train_ids is not None

    @property
    def k(self):
        return self.centroids.shape[0]

    @property
    def sizes(self):
        return np.bincount(self.labels, minlength=self.k)


def label_dtype(k):
    """Smallest unsigned integer dtype that holds labels 0..k-1."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if k - 1 <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.int64)


def train_kmeans(
    x,
    k,
    *,
    init="random",
    max_iter=100,
    tol=1e-4,
    empty="reinit",
    seed=0,
    record_history=True,
    callback=None,
    metric="l2",
    max_points_per_centroid=None,
):
    """Train k-means centroids with Lloyd's algorithm (spherical for "ip" and "cosine").

    Parameters
    ----------
    x : array-like, shape (n, d)
        Training vectors. float64 input is kept in float64, anything else becomes float32.
    k : int
        Number of clusters (``nlist`` of the IVF index), 1 <= k <= n.
    init : {"random", "k-means++"} or array-like of shape (k, d)
        ``"random"`` picks k distinct data vectors; ``"k-means++"`` seeds with probability
        proportional to squared distance; an array is used as the initial centroids.
    max_iter : int
        Most update steps to run.
    tol : float
        Stop once the centroid shift ``||C_new - C_old||_F`` is below ``tol``.
    empty : {"reinit", "split", "farthest", "keep"}
        What to do with a cluster that has no vectors: move it to a random data vector;
        split a large cluster in two (FAISS); move it to the vectors farthest from their
        centroid (scikit-learn); or leave it empty.
    seed : int or numpy.random.Generator
        Source of every random choice.
    record_history : bool
        Keep a :class:`KMeansStep` per iteration (step 0 = the initial state).
    callback : callable, optional
        Called as ``callback(step, max_iter)`` with each :class:`KMeansStep` as it is made
        (also without history), e.g. to draw the first frame or advance a progress bar.
    metric : {"l2", "ip", "cosine"}
        "l2": Lloyd's k-means on squared distances (the default). "ip": spherical k-means on
        the vectors as given: assignment by largest inner product, centroids renormalised to
        unit length at the start and after every update and repair (FAISS
        ``Kmeans(spherical=True)``). "cosine": the same on the vectors normalised to unit
        length (a zero vector is an InputError naming its row). A centroid that would have
        no direction (its vectors sum to zero) keeps its previous position; a random or
        k-means++ start on a zero vector is replaced by a random unit vector. k-means++
        seeds by squared distance between the (normalised, for cosine) vectors.
    max_points_per_centroid : int, optional
        FAISS's training sample (``ClusteringParameters.max_points_per_centroid``, 256 by
        default there): with more than ``max_points_per_centroid * k`` rows, train on a
        random sample of exactly that many rows. The sample is the first draw from the seed's
        Generator, ``np.sort(rng.choice(n, size, replace=False))`` (rows kept in their
        order); training then goes on with the same Generator, so it equals training on
        ``x[sample]`` by hand with that Generator. None (the default): train on every row.

    Returns
    -------
    KMeansResult
        ``labels`` (n,) are the nearest final centroid of each vector (largest inner product
        for "ip" / "cosine") and ``inertia`` their summed squared distances ("l2") or
        ``sum_i (|x_i| - x_i . c_i)`` ("ip"; ``sum_i (1 - cos)`` for "cosine"), see the
        module docstring. For "cosine" the labels refer to the rows of ``x`` as given.
        With a sample, ``labels`` and ``inertia`` are still for ALL rows, assigned to the
        final centroids (what an index built on them holds), while every ``history`` step
        (its labels, sizes and inertia) and the callback's steps refer to the sample only:
        assigning every row at every iteration is the cost sampling avoids. ``n_train`` is
        the number of rows trained on (n when not sampled), ``train_ids`` their ids (None
        when not sampled). The fewer-than-39-per-centroid warning counts the rows trained on.
    """
    x = as_vectors(x, "x")
    metric = check_metric(metric)
    spherical = is_spherical(metric)
    if metric == "cosine":
        x = prepare(x, metric, "x")
    n, d = x.shape
    k = as_count(k, "k", low=1)
    if k > n:
        raise InputError(f"k={k} is larger than the number of vectors n={n}")
    max_iter = as_count(max_iter, "max_iter", low=0)
    tol = as_number(tol, "tol", low=0.0)
    if empty not in EMPTY_STRATEGIES:
        raise InputError(f"empty={empty!r} must be one of {', '.join(EMPTY_STRATEGIES)}")
    rng = as_generator(seed)
    x_all, train_ids = x, None
    if max_points_per_centroid is not None:
        cap = as_count(max_points_per_centroid, "max_points_per_centroid", low=1) * k
        if n > cap:
            train_ids = np.sort(rng.choice(n, size=cap, replace=False))
            x = x[train_ids]
            n = cap

    warnings = []
    if n < MIN_POINTS_PER_CENTROID * k:
        warnings.append(
            f"Only {n} vectors for k={k} clusters: fewer than {MIN_POINTS_PER_CENTROID} per "
            f"centroid (you need about {MIN_POINTS_PER_CENTROID * k}), so the centroids are "
            "poorly estimated."
        )
    if isinstance(init, str):
        if init not in INITS:
            raise InputError(f"init={init!r} must be one of {', '.join(INITS)} or a (k, d) array")
        init_name = init
        x_norms = squared_norms(x)
        if init == "random":
            centroids = x[np.sort(rng.choice(n, size=k, replace=False))].copy()
        else:
            centroids = _kmeans_plusplus(x, k, rng, x_norms)
    else:
        init_name = "given"
        centroids = as_vectors(init, "init", dtype=x.dtype)
        check_same_dim(x, centroids, "x", "init")
        if centroids.shape[0] != k:
            raise InputError(f"init has {centroids.shape[0]} rows but k={k}")
        centroids = centroids.astype(x.dtype, copy=True)
        x_norms = squared_norms(x)
        if spherical:
            zero = np.flatnonzero(~(np.abs(centroids).max(axis=1) > 0))
            if len(zero):
                raise InputError(
                    f"init row {int(zero[0])} is a zero vector: a centroid for metric={metric!r} "
                    "needs a direction (it is kept at unit length)"
                )
    if spherical:
        # rows with no direction (a zero data vector picked at random) get a random one
        bad = ~(np.abs(centroids).max(axis=1) > 0)
        fallback = np.zeros_like(centroids)
        if bad.any():
            fallback[bad] = rng.standard_normal((int(bad.sum()), d))
        centroids = _unit_rows(centroids, fallback)

    state = _Lloyd(x, x_norms, k, empty, rng, metric)
    labels, dist, totals = state.assign(centroids, with_sums=max_iter > 0)
    inertia = float(dist.sum(dtype=np.float64))
    history = []
    if record_history or callback:
        step = state.step(0, centroids, labels, inertia, 0.0, [], totals[1])
        if record_history:
            history.append(step)
        if callback:
            callback(step, max_iter)

    converged = False
    n_iter = 0
    for it in range(1, max_iter + 1):
        new_centroids, repairs = state.update(centroids, labels, dist, totals)
        shift = float(np.linalg.norm((new_centroids - centroids).astype(np.float64)))
        centroids = new_centroids
        labels, dist, totals = state.assign(centroids, with_sums=it < max_iter)
        inertia = float(dist.sum(dtype=np.float64))
        n_iter = it
        if record_history or callback:
            step = state.step(it, centroids, labels, inertia, shift, repairs, totals[1])
            if record_history:
                history.append(step)
            if callback:
                callback(step, max_iter)
        if shift < tol or shift == 0.0:
            converged = True
            break

    if train_ids is not None:  # the result describes every row, as the index will hold them
        full = _Lloyd(x_all, squared_norms(x_all) if not spherical else None, k, empty, rng, metric)
        labels, dist, _ = full.assign(centroids, with_sums=False)
        inertia = float(dist.sum(dtype=np.float64))
    n_empty = int(np.count_nonzero(np.bincount(labels, minlength=k) == 0))
    if n_empty:
        warnings.append(f"{n_empty} of the {k} clusters are empty at the end of training.")
    if not converged and max_iter > 0:
        warnings.append(f"Stopped at max_iter={max_iter} before the shift fell below tol={tol:g}.")
    return KMeansResult(
        centroids=centroids,
        labels=labels,
        inertia=inertia,
        n_iter=n_iter,
        converged=converged,
        history=tuple(history),
        warnings=tuple(warnings),
        init=init_name,
        empty=empty,
        metric=metric,
        n_train=n,
        train_ids=train_ids,
    )


def box_init(x, k, *, seed=0):
    """k points drawn uniformly from the bounding box of ``x``: a deliberately poor start.

    Unlike data vectors, such points can sit where there is no data at all, so some lists
    start (and, with ``empty="keep"``, stay) empty. Pass the result as ``init``.

    Parameters
    ----------
    x : array-like, shape (n, d)
    k : int
    seed : int or numpy.random.Generator

    Returns
    -------
    ndarray, shape (k, d), the dtype of the checked ``x``
    """
    x = as_vectors(x, "x")
    k = as_count(k, "k", low=1)
    rng = as_generator(seed)
    return rng.uniform(x.min(axis=0), x.max(axis=0), size=(k, x.shape[1])).astype(x.dtype)


def _unit_rows(c, fallback):
    """Rows of ``c`` scaled to unit length; a row with no direction becomes ``fallback``'s row.

    Computed in float64 after dividing each row by its largest absolute value (no underflow
    for tiny rows); returned in ``c``'s dtype. ``fallback`` rows are normalised the same way
    and must not be zero where they are used.
    """
    c64 = np.asarray(c, dtype=np.float64)
    peak = np.abs(c64).max(axis=1)
    ok = peak > 0
    out = np.array(fallback, dtype=np.float64, copy=True)
    if not ok.all():
        bad = ~ok
        fp = np.abs(out[bad]).max(axis=1)[:, None]
        out[bad] = out[bad] / fp
        out[bad] /= np.sqrt(np.einsum("ij,ij->i", out[bad], out[bad]))[:, None]
    scaled = c64[ok] / peak[ok, None]
    scaled /= np.sqrt(np.einsum("ij,ij->i", scaled, scaled))[:, None]
    out[ok] = scaled
    return out.astype(np.asarray(c).dtype)


def _row_lengths(x, block=65536):
    """``|x_i|`` in float64, in row blocks (squares of tiny float32 values would underflow)."""
    out = np.empty(x.shape[0], dtype=np.float64)
    for start in range(0, x.shape[0], block):
        b = x[start:start + block].astype(np.float64)
        out[start:start + block] = np.sqrt(np.einsum("ij,ij->i", b, b))
    return out


def _kmeans_plusplus(x, k, rng, x_norms):
    """k-means++ seeding (one candidate per step): next centre ~ squared distance to the chosen."""
    n = x.shape[0]
    centres = np.empty((k, x.shape[1]), dtype=x.dtype)
    first = int(rng.integers(n))
    centres[0] = x[first]
    closest = _sq_dist_to(x, x_norms, centres[0])
    for i in range(1, k):
        total = float(closest.sum(dtype=np.float64))
        if total <= 0.0:  # every vector sits on a centre already (duplicates)
            pick = int(rng.integers(n))
        else:
            p = closest.astype(np.float64) / total
            pick = int(rng.choice(n, p=p))
        centres[i] = x[pick]
        np.minimum(closest, _sq_dist_to(x, x_norms, centres[i]), out=closest)
    return centres


def _sq_dist_to(x, x_norms, c):
    """Squared distance of every row of x to one vector c."""
    d = x_norms - 2 * (x @ c) + c @ c
    return np.maximum(d, 0, out=d)


class _Lloyd:
    """One training run's fixed inputs, with the assignment and update steps."""

    def __init__(self, x, x_norms, k, empty, rng, metric="l2"):
        self.x, self.x_norms, self.k, self.empty, self.rng = x, x_norms, k, empty, rng
        self.metric = metric
        self.spherical = is_spherical(metric)
        self.n = x.shape[0]
        self.dtype = label_dtype(k)
        if metric == "ip":
            self.lengths = _row_lengths(x)
        elif metric == "cosine":
            self.lengths = 1.0  # the vectors were normalised

    def assign(self, centroids, with_sums=True):
        """Nearest centroid, each vector's share of the inertia, and the clusters' sums.

        Share of the inertia: "l2": the squared distance; "ip" / "cosine": ``|x_i| - x_i . c_i``
        (>= 0, clipped); see the module docstring. One fused pass
        (:func:`ivfcore.lloyd.lloyd_pass`) also returns ``(sums, counts)`` of the vectors per
        cluster, the next update's input (``(None, None)`` without ``with_sums``).
        """
        from .lloyd import lloyd_pass  # numba: compiled (or loaded from its cache) on first use

        labels, values, sums, counts = lloyd_pass(
            self.x, centroids, self.x_norms, metric=self.metric, with_sums=with_sums
        )
        if not self.spherical:
            return labels, values, (sums, counts)
        cost = self.lengths - values.astype(np.float64)
        np.maximum(cost, 0, out=cost)
        return labels, cost, (sums, counts)

    def update(self, centroids, labels, dist, totals):
        """Means of the clusters, with empty clusters repaired by the chosen strategy.

        ``totals`` = ``(sums, counts)`` of the vectors per cluster under ``labels``, from
        :meth:`assign`.
        """
        x, k = self.x, self.k
        sums, counts = totals
        empties = np.flatnonzero(counts == 0)
        repairs = []
        if len(empties) and self.empty == "farthest":
            sums, counts = self._take_farthest(sums, counts, labels, dist, empties, repairs)
        nonzero = counts > 0
        new = centroids.copy()
        new[nonzero] = (sums[nonzero] / counts[nonzero, None]).astype(x.dtype)
        if len(empties) and self.empty == "reinit":
            for c in empties:
                src = int(self.rng.integers(self.n))
                new[c] = x[src]
                repairs.append(Repair(int(c), "reinit", src))
        elif len(empties) and self.empty == "split":
            self._split(new, counts, empties, repairs)
        if self.spherical:
            # back on the sphere; a mean of vectors that cancel out keeps its old centroid
            new = _unit_rows(new, centroids)
        return new, repairs

    def _take_farthest(self, sums, counts, labels, dist, empties, repairs):
        """Move each empty centroid onto one of the vectors farthest from its own centroid."""
        far = np.argsort(dist, kind="stable")[::-1][: len(empties)]
        sums, counts = sums.copy(), counts.copy()
        for c, idx in zip(empties, far):
            old = labels[idx]
            if counts[old] > 1:  # never empty the donor cluster
                sums[old] -= self.x[idx]
                counts[old] -= 1
                sums[c] = self.x[idx]
                counts[c] = 1
                repairs.append(Repair(int(c), "farthest", int(idx)))
        return sums, counts

    def _split(self, new, counts, empties, repairs):
        """FAISS's repair: split a big cluster, chosen with probability ~ (size - 1)."""
        counts = counts.astype(np.float64).copy()
        sign = np.where(np.arange(new.shape[1]) % 2 == 0, 1.0, -1.0)
        for c in empties:
            weight = np.maximum(counts - 1, 0)
            if weight.sum() <= 0:
                continue  # every cluster is a single vector; nothing to split
            donor = int(self.rng.choice(self.k, p=weight / weight.sum()))
            base = new[donor].astype(np.float64)
            new[c] = (base * (1 + SPLIT_EPS * sign)).astype(new.dtype)
            new[donor] = (base * (1 - SPLIT_EPS * sign)).astype(new.dtype)
            counts[c] = counts[donor] / 2
            counts[donor] -= counts[c]
            repairs.append(Repair(int(c), "split", donor))

    def step(self, it, centroids, labels, inertia, shift, repairs, sizes=None):
        """A frozen snapshot of one iteration (copies, small label dtype).

        ``sizes``: the vectors per cluster when :meth:`assign` counted them already.
        """
        sizes = np.bincount(labels, minlength=self.k) if sizes is None else sizes.copy()
        return KMeansStep(
            iteration=it,
            centroids=centroids.copy(),
            labels=labels.astype(self.dtype),
            sizes=sizes,
            inertia=inertia,
            shift=shift,
            n_empty=int(np.count_nonzero(sizes == 0)),
            repaired=np.array([r.cluster for r in repairs], dtype=np.int64),
            repairs=tuple(repairs),
            metric=self.metric,
        )
