"""Exact search (the reference every approximate answer is judged against) and recall.

Every function takes ``metric`` (:data:`ivfcore.METRICS`): squared L2 distances, smaller is
nearer, or inner products / cosine similarities, larger is nearer (see :mod:`ivfcore.metrics`).
"""

import numpy as np

from ._validation import as_count, as_vectors, check_same_dim
from . import blas
from .distances import squared_norms
from .errors import InputError
from .metrics import check_metric, is_similarity, prepare, to_reported
from .scan import push_rows

# Exact search works in blocks of EXACT_QUERY_BLOCK queries x EXACT_BASE_BLOCK stored vectors:
# one single-threaded BLAS product each (2 MB of scores in float32, which stay in cache while
# they are folded into the running top-k), the query blocks shared by one Python thread per
# core. Measured against FAISS's IndexFlatL2 in one process (1,000 queries of the exercise,
# 100,000 x 128, 2 cores, quiet): 0.75x its qps, against 0.40x with 1,024 x 4,096 blocks and
# two BLAS threads alternating with numba's (their threads then wait for each other).
EXACT_QUERY_BLOCK = 256
EXACT_BASE_BLOCK = 2048


def brute_force_knn(x, xq, k, *, metric="l2"):
    """Exact ``k`` nearest rows of ``x`` for every query.

    Parameters
    ----------
    x : array-like, shape (n, d)
    xq : array-like, shape (m, d) or (d,)
    k : int
        1 <= k; capped at n.
    metric : {"l2", "ip", "cosine"}
        "l2": by squared Euclidean distance; "ip": by inner product, larger is nearer;
        "cosine": by the inner product of the unit-length rows of ``x`` and ``xq``.

    Returns
    -------
    distances : ndarray, shape (m, min(k, n))
        Squared L2 distances, ascending ("l2"), or inner products / cosine similarities,
        descending ("ip", "cosine"): nearest first either way.
    ids : ndarray of int64, shape (m, min(k, n))

    Raises
    ------
    InputError
        For an unknown metric, bad shapes or values, or under "cosine" a zero row of ``x``
        or ``xq`` (named).
    """
    metric = check_metric(metric)
    x = as_vectors(x, "x")
    xq = np.asarray(xq)
    if xq.ndim == 1:
        xq = xq[None, :]
    xq = as_vectors(xq, "xq", dtype=x.dtype)
    check_same_dim(x, xq, "x", "xq")
    k = as_count(k, "k", low=1)
    return exact_knn(prepare(x, metric, "x"), prepare(xq, metric, "xq"), k, metric=metric)


def exact_knn(x, xq, k, x_norms=None, *, metric="l2"):
    """:func:`brute_force_knn` on arrays already checked (same dtype and width, k >= 1).

    ``x_norms`` (``|x_i|^2``, used by "l2" only) may be passed by a caller that keeps them,
    such as an index. For "cosine", ``x`` and ``xq`` are already unit rows.
    """
    k = min(k, x.shape[0])
    l2 = metric == "l2"
    if l2 and x_norms is None:
        x_norms = squared_norms(x)
    q_norms = squared_norms(xq) if l2 else np.empty(0, dtype=xq.dtype)
    b_norms = x_norms if l2 else np.empty(0, dtype=xq.dtype)
    m, n = xq.shape[0], x.shape[0]
    dist = np.full((m, k), np.inf, dtype=x.dtype)
    ids = np.full((m, k), -1, dtype=np.int64)
    if k == 0:
        return to_reported(dist, metric), ids
    # Blocks of queries x blocks of stored vectors: one BLAS product each, folded into every
    # query's running top-k (no (m, n) matrix, no partition of whole rows).
    q_step, x_step = EXACT_QUERY_BLOCK, EXACT_BASE_BLOCK
    col_ids = np.arange(n, dtype=np.int64)

    def fold(qs):
        qe = min(m, qs + q_step)
        qn = q_norms[qs:qe] if l2 else q_norms
        for xs in range(0, n, x_step):
            xe = min(n, xs + x_step)
            ip = xq[qs:qe] @ x[xs:xe].T
            bn = b_norms[xs:xe] if l2 else b_norms
            push_rows(ip, qn, bn, col_ids[xs:xe], l2, dist[qs:qe], ids[qs:qe])

    starts = range(0, m, q_step)
    threads = min(blas.n_threads(), len(starts))
    with blas.one_thread():
        if threads == 1:
            for qs in starts:
                fold(qs)
        else:
            list(blas.pool(threads).map(fold, starts))
    return to_reported(dist, metric), ids


# --- Recall, and when a returned vector counts as a true neighbour --------------------------
#
# Ids are the wrong thing to compare when several vectors are equally near: brute force keeps
# the lowest ids among them, a search may return others, and both answers are right. As in
# ann-benchmarks, a returned vector counts when its distance is within the k-th true distance
# plus a tolerance. ann-benchmarks adds 1e-3. Distances here are float32 squared L2 computed
# as |q|^2 - 2 q.x + |x|^2, whose rounding error grows with the norms, not with the distance:
# an exact copy comes out a little above 0 (measured on copies of Gaussian vectors with large
# offsets: up to 5e-7 of |q|^2 + |x|^2 at d = 128, 1e-6 at d = 4096, i.e. 57,344 for norms
# of 1e10). So the tolerance is 1e-3 plus REL_TOL (10x the worst measured) times those norms.
# For a similarity ("ip", "cosine") the rule is mirrored: a returned vector counts when its
# similarity is at least the k-th true similarity minus the tolerance, whose float32 part
# scales with |q| |x| (the rounding of a dot product q.x grows with the magnitudes; 1 for
# unit vectors).
ABS_TOL = 1e-3
REL_TOL = 1e-5


def tie_bound(true_distances, true_ids=None, scale=None, *, metric="l2"):
    """The farthest value that still counts as one of each query's k nearest.

    Parameters
    ----------
    true_distances : ndarray, shape (m, k)
        Exact distances (or similarities) of the true neighbours, nearest first.
    true_ids : ndarray, shape (m, k), optional
        -1 entries (no neighbour) are left out of the k-th value.
    scale : float or ndarray, shape (m,), optional
        What the float32 rounding of a value scales with, for each query and its k-th true
        neighbour: ``|q|^2 + |x|^2`` for "l2", ``|q| |x|`` for "ip" (1 for "cosine").
        Default: the magnitude of the k-th true value itself.
    metric : {"l2", "ip", "cosine"}

    Returns
    -------
    ndarray, shape (m,)
        "l2": the k-th true distance plus ``ABS_TOL + REL_TOL * scale`` (``-inf`` for a query
        with no true neighbour); "ip" / "cosine": the k-th true similarity minus it (``+inf``
        for a query with no true neighbour). Either way nothing counts past it (:func:`as_near`).
    """
    sim = is_similarity(metric)
    td = np.asarray(true_distances, dtype=np.float64)
    valid = np.isfinite(td) if true_ids is None else (np.asarray(true_ids) >= 0) & np.isfinite(td)
    if sim:
        kth = np.where(valid, td, np.inf).min(axis=1)
    else:
        kth = np.where(valid, td, -np.inf).max(axis=1)
    if scale is None:
        scale = np.abs(np.where(np.isfinite(kth), kth, 0.0))
    tol = ABS_TOL + REL_TOL * np.asarray(scale, dtype=np.float64)
    return kth - tol if sim else kth + tol


def as_near(distances, bound, metric="l2"):
    """Which values (m, j) are within each query's ``bound`` (m,): the tie rule's one comparison.

    ``distances <= bound`` for "l2" (smaller is nearer), ``>= bound`` for "ip" and "cosine"
    (larger is nearer); ``bound`` from :func:`tie_bound` with the same metric.
    """
    if is_similarity(metric):
        return np.asarray(distances) >= np.asarray(bound)[:, None]
    return np.asarray(distances) <= np.asarray(bound)[:, None]


def tie_hits(found_ids, found_distances, bound, n_true, metric="l2"):
    """Per query, how many returned vectors count as true neighbours, capped at ``n_true``.

    -1 (padding) ids never count.
    """
    ok = (np.asarray(found_ids) >= 0) & as_near(found_distances, bound, metric)
    return np.minimum(ok.sum(axis=1), n_true)


def recall_at_k(found_ids, true_ids, *, distances=None, true_distances=None, scale=None, metric="l2"):
    """Mean fraction of each query's k true neighbours that the search found.

    Without distances, a true neighbour is found when its id was returned. With
    ``distances`` and ``true_distances``, equally near vectors are interchangeable
    (ann-benchmarks' rule): a returned vector counts when its distance is within the k-th
    true distance plus a tolerance (for a similarity metric: its similarity at least the k-th
    true similarity minus the tolerance; see :func:`tie_bound`), and each query counts at
    most as many hits as it has true neighbours.

    Parameters
    ----------
    found_ids : array-like, shape (m, k1) or (k1,)
        Returned ids; -1 entries (padding) never count.
    true_ids : array-like, shape (m, k) or (k,)
        Exact neighbours; -1 entries are neighbours that do not exist and are never found.
    distances : array-like, shape like ``found_ids``, optional
        Exact distances (or similarities) of the returned vectors (for IVF-PQ: recomputed,
        not the estimates).
    true_distances : array-like, shape like ``true_ids``, optional
        Those of the exact neighbours, nearest first. Give both or neither.
    scale : float or array-like, shape (m,), optional
        ``|q|^2 + |x|^2`` ("l2") or ``|q| |x|`` ("ip") of each query and its k-th true
        neighbour, for the float32 part of the tolerance (see :func:`tie_bound`).
    metric : {"l2", "ip", "cosine"}
        What ``distances`` are: squared L2 (smaller is nearer) or inner products / cosine
        similarities (larger is nearer). Only used with distances.

    Returns
    -------
    float in [0, 1]
    """
    metric = check_metric(metric)
    found = np.atleast_2d(np.asarray(found_ids))
    true = np.atleast_2d(np.asarray(true_ids))
    if found.ndim > 2 or true.ndim > 2:
        raise InputError(
            f"found_ids and true_ids must be 1-D or 2-D (m, k); got shapes {found.shape} and {true.shape}"
        )
    if found.shape[0] != true.shape[0]:
        raise InputError(
            f"found_ids has {found.shape[0]} queries but true_ids has {true.shape[0]}"
        )
    if true.shape[1] == 0 or true.shape[0] == 0:
        raise InputError("true_ids is empty: there is nothing to recall")
    if (distances is None) != (true_distances is None):
        raise InputError("give both distances and true_distances, or neither")
    if distances is None:
        hits = (found[:, :, None] == true[:, None, :]) & (true[:, None, :] >= 0)
        return float(hits.any(axis=1).sum() / true.size)
    fd = np.atleast_2d(np.asarray(distances, dtype=np.float64))
    td = np.atleast_2d(np.asarray(true_distances, dtype=np.float64))
    if fd.shape != found.shape or td.shape != true.shape:
        raise InputError(
            f"distances {fd.shape} and true_distances {td.shape} must have the shapes of "
            f"found_ids {found.shape} and true_ids {true.shape}"
        )
    if np.isnan(fd).any() or np.isnan(td).any():
        raise InputError("distances and true_distances must not contain NaN")
    if scale is not None:
        scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), (true.shape[0],))
        if not np.isfinite(scale).all() or (scale < 0).any():
            raise InputError("scale must be finite and >= 0")
    bound = tie_bound(td, true, scale, metric=metric)
    hits = tie_hits(found, fd, bound, (true >= 0).sum(axis=1), metric)
    return float(hits.sum() / true.size)
