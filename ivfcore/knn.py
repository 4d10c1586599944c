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


def recall_at_k(found_ids, true_ids):
    """Mean fraction of each query's true neighbours that appear in its found ids.

    Parameters
    ----------
    found_ids : array-like, shape (m, k1) or (k1,)
        Returned ids; -1 entries (padding) never count.
    true_ids : array-like, shape (m, k2) or (k2,)
        Exact neighbours.

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
    hits = (found[:, :, None] == true[:, None, :]) & (true[:, None, :] >= 0)
    return float(hits.any(axis=1).sum() / true.size)
