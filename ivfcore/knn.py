"""Exact search (the reference every approximate answer is judged against) and recall."""

import numpy as np

from ._validation import as_count, as_vectors, check_same_dim
from .distances import chunk_rows, pairwise_sq_l2, smallest_k, squared_norms
from .errors import InputError


def brute_force_knn(x, xq, k):
    """Exact ``k`` nearest rows of ``x`` for every query, by squared L2.

    Parameters
    ----------
    x : array-like, shape (n, d)
    xq : array-like, shape (m, d) or (d,)
    k : int
        1 <= k; capped at n.

    Returns
    -------
    distances : ndarray, shape (m, min(k, n))
    ids : ndarray of int64, shape (m, min(k, n))
    """
    x = as_vectors(x, "x")
    xq = np.asarray(xq)
    if xq.ndim == 1:
        xq = xq[None, :]
    xq = as_vectors(xq, "xq", dtype=x.dtype)
    check_same_dim(x, xq, "x", "xq")
    return exact_knn(x, xq, as_count(k, "k", low=1))


def exact_knn(x, xq, k, x_norms=None):
    """:func:`brute_force_knn` on arrays already checked (same dtype and width, k >= 1).

    ``x_norms`` (``|x_i|^2``) may be passed by a caller that keeps them, such as an index.
    """
    k = min(k, x.shape[0])
    if x_norms is None:
        x_norms = squared_norms(x)
    q_norms = squared_norms(xq)
    m = xq.shape[0]
    ids = np.empty((m, k), dtype=np.int64)
    dist = np.empty((m, k), dtype=x.dtype)
    step = chunk_rows(x.shape[0])
    for start in range(0, m, step):
        stop = min(m, start + step)
        d = pairwise_sq_l2(xq[start:stop], x, q_norms[start:stop], x_norms)
        top = smallest_k(d, k)
        ids[start:stop] = top
        dist[start:stop] = np.take_along_axis(d, top, axis=1)
    return dist, ids


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
ABS_TOL = 1e-3
REL_TOL = 1e-5


def tie_bound(true_distances, true_ids=None, scale=None):
    """The largest distance that still counts as one of each query's k nearest.

    Parameters
    ----------
    true_distances : ndarray, shape (m, k)
        Exact distances of the true neighbours, nearest first.
    true_ids : ndarray, shape (m, k), optional
        -1 entries (no neighbour) are left out of the k-th distance.
    scale : float or ndarray, shape (m,), optional
        ``|q|^2 + |x|^2`` for each query and its k-th true neighbour: what the float32
        rounding of a distance scales with. Default: the k-th true distance itself.

    Returns
    -------
    ndarray, shape (m,)
        The k-th true distance plus ``ABS_TOL + REL_TOL * scale``; ``-inf`` for a query with
        no true neighbour.
    """
    td = np.asarray(true_distances, dtype=np.float64)
    valid = np.isfinite(td) if true_ids is None else (np.asarray(true_ids) >= 0) & np.isfinite(td)
    kth = np.where(valid, td, -np.inf).max(axis=1)
    if scale is None:
        scale = np.abs(np.where(np.isfinite(kth), kth, 0.0))
    return kth + ABS_TOL + REL_TOL * np.asarray(scale, dtype=np.float64)


def as_near(distances, bound):
    """Which distances (m, j) are within each query's ``bound`` (m,): the tie rule's one comparison.

    Smaller is nearer for squared L2; a similarity metric (larger is nearer) would flip
    this comparison and the sign of the tolerance in :func:`tie_bound`, and nothing else.
    """
    return np.asarray(distances) <= np.asarray(bound)[:, None]


def tie_hits(found_ids, found_distances, bound, n_true):
    """Per query, how many returned vectors count as true neighbours, capped at ``n_true``.

    -1 (padding) ids never count.
    """
    ok = (np.asarray(found_ids) >= 0) & as_near(found_distances, bound)
    return np.minimum(ok.sum(axis=1), n_true)


def recall_at_k(found_ids, true_ids, *, distances=None, true_distances=None, scale=None):
    """Mean fraction of each query's k true neighbours that the search found.

    Without distances, a true neighbour is found when its id was returned. With
    ``distances`` and ``true_distances``, equally near vectors are interchangeable
    (ann-benchmarks' rule): a returned vector counts when its distance is within the k-th
    true distance plus a tolerance (see :func:`tie_bound`), and each query counts at most
    as many hits as it has true neighbours.

    Parameters
    ----------
    found_ids : array-like, shape (m, k1) or (k1,)
        Returned ids; -1 entries (padding) never count.
    true_ids : array-like, shape (m, k) or (k,)
        Exact neighbours; -1 entries are neighbours that do not exist and are never found.
    distances : array-like, shape like ``found_ids``, optional
        Exact distances of the returned vectors (for IVF-PQ: recomputed, not the estimates).
    true_distances : array-like, shape like ``true_ids``, optional
        Distances of the exact neighbours, nearest first. Give both or neither.
    scale : float or array-like, shape (m,), optional
        ``|q|^2 + |x|^2`` of each query and its k-th true neighbour, for the float32 part of
        the tolerance (see :func:`tie_bound`).

    Returns
    -------
    float in [0, 1]
    """
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
    bound = tie_bound(td, true, scale)
    hits = tie_hits(found, fd, bound, (true >= 0).sum(axis=1))
    return float(hits.sum() / true.size)
