"""Filtered search: only vectors whose attribute matches may be returned.

A filter is a boolean mask ``allowed`` over vector ids (True: the vector may be a result).
An IVF index applies it in one of two ways, both used by real systems:

- **Post-filtering** (FAISS's ``IDSelector``, pgvector's default): probe the ``nprobe``
  nearest lists as usual and keep only allowed vectors. A query whose probed lists hold
  fewer than ``k`` allowed vectors returns fewer than ``k`` results (padded with -1), even
  when the index holds plenty of allowed vectors elsewhere.
- **Iterative probing** (pgvector's ``ivfflat.iterative_scan``, LanceDB's minimum /
  maximum nprobes): after the first ``nprobe`` lists, keep opening the next nearest lists,
  one at a time in centroid order, until they hold ``k`` allowed vectors or ``max_nprobe``
  lists are open. It stops as soon as ``k`` allowed vectors are *found*, not when they are
  the *nearest*: a nearer allowed vector in the next list is still missed.

Since the allowed vectors per list are known in advance, how many lists iterative probing
opens is decided before any vector is scanned (:func:`lists_to_open`); the scan is then
the ordinary one over those lists.
"""

import numpy as np

from .errors import InputError


def check_allowed(allowed, ntotal):
    """Return ``allowed`` as a 1-D bool array of length ``ntotal``, else raise InputError.

    Parameters
    ----------
    allowed : array-like of bool, shape (ntotal,)
    ntotal : int

    Returns
    -------
    ndarray of bool, shape (ntotal,)
    """
    arr = np.asarray(allowed)
    if arr.dtype != np.bool_:
        raise InputError(
            f"allowed must be a boolean mask (True for each vector a result may be), not "
            f"{arr.dtype} values"
        )
    if arr.shape != (ntotal,):
        raise InputError(
            f"allowed must have one entry per stored vector, shape ({ntotal},); it has shape {arr.shape}"
        )
    return arr


def check_max_nprobe(max_nprobe, nprobe, nlist):
    """The number of lists iterative probing may open: ``nlist`` when None, else checked.

    Raises InputError unless ``nprobe <= max_nprobe <= nlist``.
    """
    if max_nprobe is None:
        return nlist
    if isinstance(max_nprobe, bool) or not isinstance(max_nprobe, (int, np.integer)):
        raise InputError(f"max_nprobe={max_nprobe!r} must be a whole number of lists")
    max_nprobe = int(max_nprobe)
    if not nprobe <= max_nprobe <= nlist:
        raise InputError(
            f"max_nprobe={max_nprobe} must be between nprobe={nprobe} and the number of lists "
            f"nlist={nlist}"
        )
    return max_nprobe


def lists_to_open(scores, allowed_per_list, k, nprobe, max_nprobe):
    """The lists iterative probing opens for each query, nearest first, -1 padded.

    Parameters
    ----------
    scores : ndarray, shape (m, nlist)
        Each query's centroid scores, smaller is nearer.
    allowed_per_list : ndarray of int, shape (nlist,)
        Allowed vectors stored in each list.
    k, nprobe, max_nprobe : int
        Opens at least ``nprobe`` lists, then more until the open lists hold ``k`` allowed
        vectors, at most ``max_nprobe``.

    Returns
    -------
    ndarray of int64, shape (m, w)
        ``w`` is the most lists any query opened; a row that opened fewer ends in -1.
        Equally near centroids go lowest list id first (as :meth:`IVFIndex.coarse`).
    """
    m = scores.shape[0]
    order = np.argsort(scores, axis=1, kind="stable")[:, :max_nprobe]
    held = np.cumsum(allowed_per_list[order], axis=1)  # allowed vectors in the first j+1 lists
    enough = held >= k
    # lists opened: the first j+1 holding k allowed vectors, never fewer than nprobe
    first = np.where(enough.any(axis=1), enough.argmax(axis=1) + 1, max_nprobe)
    n_open = np.maximum(first, nprobe)
    width = int(n_open.max()) if m else nprobe
    probed = order[:, :width].astype(np.int64, copy=True)
    probed[np.arange(width)[None, :] >= n_open[:, None]] = -1
    return probed
