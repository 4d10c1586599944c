"""Recall against work: how many true neighbours a query set finds as nprobe grows."""

from dataclasses import dataclass

import numpy as np

from ._random import as_generator
from ._validation import as_count, as_vectors
from .errors import InputError


@dataclass(frozen=True)
class RecallSweep:
    """Recall@k and work per nprobe over a set of ``m`` queries.

    ``per_query_recall[i, j]`` is query j's recall at ``nprobes[i]``; the ``recall`` and
    ``distance_computations`` rows are means over the queries. ``n_total`` is the number
    of indexed vectors: the distance computations of brute force.
    """

    k: int
    nprobes: np.ndarray  # (p,)
    recall: np.ndarray  # (p,)
    distance_computations: np.ndarray  # (p,) mean per query
    per_query_recall: np.ndarray  # (p, m)
    per_query_computations: np.ndarray  # (p, m)
    n_total: int

    def for_queries(self, mask):
        """The same sweep averaged over a subset of the queries (a boolean mask or ids)."""
        sel = np.asarray(mask)
        pr, pc = self.per_query_recall[:, sel], self.per_query_computations[:, sel]
        if pr.shape[1] == 0:
            raise InputError("no queries selected")
        return RecallSweep(self.k, self.nprobes, pr.mean(axis=1), pc.mean(axis=1), pr, pc,
                           self.n_total)


def default_nprobes(nlist):
    """Round nprobe values from 1 up to nlist (1, 2, 3, 5, 10, 20, 30, 50, 100, ...)."""
    steps = [m * 10**e for e in range(7) for m in (1, 2, 3, 5)]
    return np.array(sorted({s for s in steps if s < nlist} | {nlist}), dtype=np.int64)


def recall_sweep(index, xq, *, k=10, nprobes=None, true_ids=None):
    """Search ``xq`` at each nprobe and measure recall@k against exact search.

    Parameters
    ----------
    index : IVFIndex (or anything with ``search``, ``xb`` and ``nlist``)
    xq : array-like, shape (m, d)
    k : int
    nprobes : sequence of int, optional
        Defaults to :func:`default_nprobes`; each must be in 1..nlist.
    true_ids : array-like, shape (m, k), optional
        Exact neighbours if already known (else computed by brute force).

    Returns
    -------
    RecallSweep
    """
    xq = as_vectors(xq, "xq", dtype=index.xb.dtype)
    k = as_count(k, "k", low=1)
    kk = min(k, index.ntotal)
    if nprobes is None:
        nprobes = default_nprobes(index.nlist)
    nprobes = np.array(sorted({as_count(p, "nprobe", 1, index.nlist) for p in nprobes}), dtype=np.int64)
    if true_ids is None:
        _, true_ids = index.exact(xq, kk)
    true_ids = np.asarray(true_ids)
    rec = np.empty((len(nprobes), xq.shape[0]))
    work = np.empty((len(nprobes), xq.shape[0]))
    for i, p in enumerate(nprobes):
        res = index.search(xq, k=kk, nprobe=int(p))
        hits = (res.ids[:, :, None] == true_ids[:, None, :]).any(axis=1)
        rec[i] = hits.mean(axis=1)
        work[i] = res.n_distance_computations
    return RecallSweep(kk, nprobes, rec.mean(axis=1), work.mean(axis=1), rec, work, index.ntotal)


def holdout_split(n, n_queries, *, seed=0, groups=None):
    """Choose query vectors to hold out of the index.

    Parameters
    ----------
    n : int
        Vectors in the dataset.
    n_queries : int
        Queries to hold out in all, or per group when ``groups`` is given (capped at half
        of each group, so the index keeps most of every group).
    seed : int or numpy.random.Generator
    groups : array-like of int, shape (n,), optional

    Returns
    -------
    keep_ids, query_ids : sorted int64 arrays partitioning range(n)
    """
    n = as_count(n, "n", low=2)
    n_queries = as_count(n_queries, "n_queries", low=1)
    rng = as_generator(seed)
    if groups is None:
        pools = [np.arange(n)]
    else:
        groups = np.asarray(groups)
        pools = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    chosen = [rng.choice(p, size=min(n_queries, len(p) // 2), replace=False) for p in pools if len(p) >= 2]
    query_ids = np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)
    if len(query_ids) == 0:
        raise InputError("too few vectors to hold any out as queries")
    keep = np.ones(n, dtype=bool)
    keep[query_ids] = False
    return np.flatnonzero(keep), query_ids.astype(np.int64)


@dataclass(frozen=True)
class NeighbourSpread:
    """Where each query's true neighbours live in the index.

    ``n_lists[j]``: how many different lists hold query j's k true neighbours.
    ``nprobe_needed[j]``: the rank of the farthest of those lists among the query's
    nearest centroids, i.e. the smallest nprobe that finds all k.
    """

    n_lists: np.ndarray  # (m,)
    nprobe_needed: np.ndarray  # (m,)


def neighbour_spread(index, xq, *, k=10, true_ids=None):
    """How scattered each query's true neighbours are over the lists.

    Parameters
    ----------
    index : IVFIndex
    xq : array-like, shape (m, d)
    k : int
    true_ids : array-like, shape (m, k), optional

    Returns
    -------
    NeighbourSpread
    """
    xq = as_vectors(xq, "xq", dtype=index.xb.dtype)
    k = min(as_count(k, "k", low=1), index.ntotal)
    if true_ids is None:
        _, true_ids = index.exact(xq, k)
    lists = index.labels[np.asarray(true_ids)]  # (m, k)
    _, dc = index.coarse(xq, 1)
    order = np.argsort(dc, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(1, index.nlist + 1)[None, :], axis=1)
    needed = np.take_along_axis(rank, lists, axis=1).max(axis=1)
    srt = np.sort(lists, axis=1)
    n_lists = 1 + (np.diff(srt, axis=1) != 0).sum(axis=1)
    return NeighbourSpread(n_lists=n_lists, nprobe_needed=needed)
