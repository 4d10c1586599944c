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

from dataclasses import dataclass

import numpy as np

from ._random import as_generator
from .errors import InputError
from .knn import tie_hits


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


STRATEGIES = ("post-filter", "over-fetch", "iterative")


@dataclass(frozen=True)
class FilteredRun:
    """One filtering strategy over ``m`` queries, judged against exact filtered search.

    ``recall[j]``: the share of query j's true filtered neighbours (the k nearest allowed
    vectors, or all of them when fewer are allowed) that it returned, equally near vectors
    counting alike (the tie rule of :func:`ivfcore.recall_at_k`); 1 when none is allowed.
    """

    strategy: str  # one of STRATEGIES
    k_fetch: int  # results asked of the index (over-fetch: k / selectivity; else k)
    returned: np.ndarray  # (m,) allowed results returned (at most k)
    recall: np.ndarray  # (m,)
    distance_computations: np.ndarray  # (m,) nlist + vectors scanned
    lists_opened: np.ndarray  # (m,)
    ids: np.ndarray  # (m, k) -1 padded


def over_fetch(index, xq, k, nprobe, allowed, k_fetch):
    """Ask for ``k_fetch`` unfiltered results, keep the allowed ones, then the first ``k``.

    What a client does in front of an index without filters (k' = k / selectivity): it
    can only get allowed vectors that are among the k' nearest of the probed lists.

    Returns
    -------
    ids : ndarray, shape (m, k), -1 padded
    result : SearchResult
        The unfiltered search of ``k_fetch`` (its work is the work done).
    """
    res = index.search(xq, k_fetch, nprobe)
    ok = (res.ids >= 0) & allowed[np.maximum(res.ids, 0)]
    ids = np.full((len(res.ids), k), -1, dtype=np.int64)
    for r in range(len(ids)):  # rows keep their nearest-first order
        kept = res.ids[r][ok[r]][:k]
        ids[r, : len(kept)] = kept
    return ids, res


def compare_strategies(index, xq, k, nprobe, allowed, *, max_nprobe=None):
    """Post-filtering, over-fetching and iterative probing of the same queries and filter.

    Parameters
    ----------
    index : IVFIndex
    xq : array-like, shape (m, d)
    k, nprobe : int
    allowed : ndarray of bool, shape (ntotal,)
    max_nprobe : int, optional
        The most lists iterative probing opens (default every list).

    Returns
    -------
    dict
        Strategy name (:data:`STRATEGIES`) -> :class:`FilteredRun`.
    """
    xq = index.prepare_queries(xq)
    allowed = check_allowed(allowed, index.ntotal)
    selectivity = float(allowed.mean())
    true_d, true_ids = index.exact(xq, k, allowed=allowed)
    n_true = (true_ids >= 0).sum(axis=1)
    bound = index.tie_bounds(xq, true_ids, true_d)
    k_fetch = min(index.ntotal, int(np.ceil(k / selectivity))) if selectivity > 0 else index.ntotal

    def judged(name, fetch, ids, res):
        hits = tie_hits(ids, index.distances_to(xq, ids), bound, n_true, index.metric)
        recall = np.where(n_true > 0, hits / np.maximum(n_true, 1), 1.0)
        return FilteredRun(name, fetch, (ids >= 0).sum(axis=1), recall, res.n_distance_computations,
                           (res.probed >= 0).sum(axis=1), ids)

    post = index.search(xq, k, nprobe, allowed=allowed)
    ids, over = over_fetch(index, xq, k, nprobe, allowed, k_fetch)
    it = index.search(xq, k, nprobe, allowed=allowed, iterative=True, max_nprobe=max_nprobe)
    return {
        "post-filter": judged("post-filter", k, post.ids, post),
        "over-fetch": judged("over-fetch", k_fetch, ids, over),
        "iterative": judged("iterative", k, it.ids, it),
    }


def category_mask(n, selectivity, *, seed=0):
    """A random attribute: each of ``n`` vectors matches with probability ``selectivity``.

    At least one vector matches (the filter always has an answer).
    """
    if not 0 < selectivity <= 1:
        raise InputError(f"selectivity={selectivity} must be above 0 and at most 1")
    rng = as_generator(seed)
    mask = rng.random(n) < selectivity
    if not mask.any():
        mask[rng.integers(n)] = True
    return mask
