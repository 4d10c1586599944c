"""Recall against work: how many true neighbours a query set finds as nprobe grows."""

from dataclasses import dataclass

import numpy as np

from ._random import as_generator
from ._validation import as_count, as_vectors
from .errors import InputError
from .knn import tie_hits
from .metrics import to_scores


@dataclass(frozen=True)
class RecallSweep:
    """Recall@k and work per nprobe over a set of ``m`` queries.

    ``per_query_recall[i, j]`` is query j's recall at ``nprobes[i]`` (equally near vectors
    count alike, the tie rule of :func:`ivfcore.recall_at_k`); the ``recall`` and
    ``distance_computations`` rows average over the queries, weighted by ``weights`` when
    given (see :meth:`weighted`), else plainly. ``n_total`` is the number of indexed
    vectors: the distance computations of brute force.
    """

    k: int
    nprobes: np.ndarray  # (p,)
    recall: np.ndarray  # (p,)
    distance_computations: np.ndarray  # (p,) mean per query
    per_query_recall: np.ndarray  # (p, m)
    per_query_computations: np.ndarray  # (p, m)
    n_total: int
    weights: np.ndarray | None = None  # (m,) summing to 1; None: every query weighs the same

    def weighted(self, weights):
        """The same sweep with its means weighted per query.

        Parameters
        ----------
        weights : array-like, shape (m,)
            Non-negative, not all zero; normalised to sum 1. :func:`share_weights` makes the
            average stand for data whose groups were sampled unevenly as queries.

        Returns
        -------
        RecallSweep
        """
        w = np.asarray(weights, dtype=np.float64)
        m = self.per_query_recall.shape[1]
        if w.shape != (m,):
            raise InputError(f"weights has shape {w.shape}; the sweep has {m} queries")
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise InputError("weights must be finite, >= 0 and not all 0")
        return self._averaged(self.per_query_recall, self.per_query_computations, w / w.sum())

    def for_queries(self, mask):
        """The same sweep averaged over a subset of the queries (a boolean mask or ids).

        A weighted sweep stays weighted within the subset.
        """
        sel = np.asarray(mask)
        pr, pc = self.per_query_recall[:, sel], self.per_query_computations[:, sel]
        if pr.shape[1] == 0:
            raise InputError("no queries selected")
        w = None
        if self.weights is not None:
            w = self.weights[sel]
            w = w / w.sum() if w.sum() > 0 else None
        return self._averaged(pr, pc, w)

    def _averaged(self, pr, pc, w):
        """A sweep over these per-query rows, averaged with weights ``w`` (summing to 1) or plainly."""
        if w is None:
            return RecallSweep(self.k, self.nprobes, pr.mean(axis=1), pc.mean(axis=1), pr, pc,
                               self.n_total)
        return RecallSweep(self.k, self.nprobes, pr @ w, pc @ w, pr, pc, self.n_total, w)


def share_weights(query_groups, data_groups):
    """Per-query weights that make an average over queries stand for the data's groups.

    Query ``j`` of group ``g`` weighs ``share(g) / queries(g)``, where ``share(g)`` is the
    fraction of the data in group ``g``: each group then weighs in the mean as much as it
    fills the data, however many queries were drawn from it. A group with no query (too
    small to hold any out) cannot be represented; the others are scaled up to sum 1.

    Parameters
    ----------
    query_groups : array-like of int, shape (m,)
    data_groups : array-like of int, shape (n,)

    Returns
    -------
    ndarray, shape (m,), summing to 1
    """
    qg = np.asarray(query_groups)
    dg = np.asarray(data_groups)
    if qg.ndim != 1 or dg.ndim != 1 or len(qg) == 0 or len(dg) == 0:
        raise InputError("query_groups and data_groups must be non-empty 1-D arrays of group numbers")
    groups, data_count = np.unique(dg, return_counts=True)
    pos = np.searchsorted(groups, qg)
    if (pos >= len(groups)).any() or (groups[np.minimum(pos, len(groups) - 1)] != qg).any():
        raise InputError("a query's group does not occur in the data")
    query_count = np.bincount(pos, minlength=len(groups))
    w = (data_count[pos] / len(dg)) / query_count[pos]
    return w / w.sum()


def default_nprobes(nlist):
    """Round nprobe values from 1 up to nlist (1, 2, 3, 5, 10, 20, 30, 50, 100, ...)."""
    steps = [m * 10**e for e in range(7) for m in (1, 2, 3, 5)]
    return np.array(sorted({s for s in steps if s < nlist} | {nlist}), dtype=np.int64)


def recall_sweep(index, xq, *, k=10, nprobes=None, true_ids=None, true_distances=None, refine=1):
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
    true_distances : array-like, shape (m, k), optional
        Their distances, or similarities under "ip" / "cosine" (else computed).
    refine : int
        IVF-PQ only: re-rank the ``k * refine`` best by exact distance
        (:meth:`ivfcore.IVFPQIndex.search`); 1 searches as the index does by default.

    Returns
    -------
    RecallSweep

    Notes
    -----
    A returned vector counts as a true neighbour when its exact distance is within the k-th
    true distance plus a tolerance (:func:`ivfcore.recall_at_k`'s tie rule), so a search
    that returns another of several equally near vectors is not marked down. For IVF-PQ
    the returned vectors' exact distances are recomputed: its search ranks by estimates.
    Everything follows the index's metric (``index.metric``): under "ip" and "cosine" the
    true neighbours are those of the largest inner product, ``true_distances`` are inner
    products (cosine similarities), and a returned vector counts when its similarity is at
    least the k-th true one minus the tolerance.
    """
    xq, k, kk, nprobes, true_ids, true_distances, bound, n_true = _setup(
        index, xq, k, nprobes, true_ids, true_distances)
    metric = getattr(index, "metric", "l2")
    rec = np.empty((len(nprobes), xq.shape[0]))
    work = np.empty((len(nprobes), xq.shape[0]))
    for i, p in enumerate(nprobes):
        res = index.search(xq, k=kk, nprobe=int(p), **({"refine": refine} if refine != 1 else {}))
        hits = tie_hits(res.ids, index.distances_to(xq, res.ids), bound, n_true, metric)
        rec[i] = hits / true_ids.shape[1]
        work[i] = res.n_distance_computations
    return RecallSweep(kk, nprobes, rec.mean(axis=1), work.mean(axis=1), rec, work, index.ntotal)


def _setup(index, xq, k, nprobes, true_ids, true_distances):
    """A sweep's checked inputs: (xq, k, k capped at the index's size, sorted unique nprobes,
    exact ids and distances, each query's tie bound, each query's number of true neighbours)."""
    xq = _queries(index, xq)
    k = as_count(k, "k", low=1)
    kk = min(k, index.ntotal)
    if nprobes is None:
        nprobes = default_nprobes(index.nlist)
    nprobes = np.array(sorted({as_count(p, "nprobe", 1, index.nlist) for p in nprobes}), dtype=np.int64)
    true_ids, true_distances = _truth(index, xq, kk, true_ids, true_distances)
    bound = index.tie_bounds(xq, true_ids, true_distances)
    return xq, k, kk, nprobes, true_ids, true_distances, bound, (true_ids >= 0).sum(axis=1)


def _queries(index, xq):
    """``xq`` checked against the index, and normalised as it compares them (cosine)."""
    xq = as_vectors(xq, "xq", dtype=index.xb.dtype)
    return index.prepare_queries(xq) if hasattr(index, "prepare_queries") else xq


def _truth(index, xq, k, true_ids, true_distances):
    """Exact neighbours (m, k) and their distances: as given, or computed (brute force)."""
    if true_ids is None:
        true_distances, true_ids = index.exact(xq, k)
    true_ids = np.atleast_2d(np.asarray(true_ids))
    if true_ids.shape[0] != xq.shape[0]:
        raise InputError(f"true_ids has {true_ids.shape[0]} rows but xq has {xq.shape[0]} queries")
    if true_distances is None:
        true_distances = index.distances_to(xq, true_ids)
    return true_ids, np.atleast_2d(np.asarray(true_distances))


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

    ``n_lists[j]``: how many different lists hold query j's k true neighbours (the ones
    exact search returns).
    ``nprobe_needed[j]``: the smallest nprobe at which IVF-Flat search returns k results all
    as near as the k-th true neighbour (the tie rule of :func:`ivfcore.recall_at_k`): the
    smallest number of nearest lists that hold k vectors within the k-th true distance plus
    the tolerance (under "ip" / "cosine": nearest by inner product, at least the k-th true
    similarity minus the tolerance). Without ties, the rank of the farthest list holding a
    true neighbour; with equally near vectors in several lists, the nearest lists that hold
    enough of them.
    (IVF-PQ may still rank a neighbour out after its list is opened.)
    """

    n_lists: np.ndarray  # (m,)
    nprobe_needed: np.ndarray  # (m,)


def neighbour_spread(index, xq, *, k=10, true_ids=None, true_distances=None):
    """How scattered each query's true neighbours are over the lists.

    Parameters
    ----------
    index : IVFIndex
    xq : array-like, shape (m, d)
    k : int
    true_ids : array-like, shape (m, k), optional
    true_distances : array-like, shape (m, k), optional

    Returns
    -------
    NeighbourSpread
        In the index's metric (``index.metric``).
    """
    xq = _queries(index, xq)
    k = min(as_count(k, "k", low=1), index.ntotal)
    true_ids, true_distances = _truth(index, xq, k, true_ids, true_distances)
    lists = index.labels[true_ids]  # (m, k)
    _, dc = index.coarse(xq, 1)
    dc = to_scores(dc, index.metric)  # smaller is nearer, whatever the metric
    order = np.argsort(dc, axis=1, kind="stable")  # each query's lists, nearest centroid first
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(1, index.nlist + 1)[None, :], axis=1)
    all_true = np.take_along_axis(rank, lists, axis=1).max(axis=1)  # opens every true one
    within = index.count_within(xq, index.tie_bounds(xq, true_ids, true_distances))
    reached = np.cumsum(np.take_along_axis(within, order, axis=1), axis=1) >= (true_ids >= 0).sum(axis=1)[:, None]
    # equally near stand-ins can only lower it (the min guards against rounding at the bound)
    needed = np.where(reached.any(axis=1), 1 + np.argmax(reached, axis=1), all_true)
    needed = np.minimum(needed, all_true)
    srt = np.sort(lists, axis=1)
    n_lists = 1 + (np.diff(srt, axis=1) != 0).sum(axis=1)
    return NeighbourSpread(n_lists=n_lists, nprobe_needed=needed)
