"""Choosing nlist and nprobe: a grid around the usual rules, recall against work, the cheapest pair.

Also, for a single query, :func:`smallest_nprobe`: the smallest nprobe at which it reaches a
target recall, counted exactly as :meth:`IVFIndex.trace` and the Search page count it (the
worksheet asks for it).

Practitioners pick nlist from a rule of thumb and then raise nprobe until recall is good
enough. This module measures instead: for each nlist of a grid (the rules' values and the
learner's own), recall@k of held-out queries at every nprobe of a dense set, the work each
costs (``nlist`` centroid comparisons + the vectors scanned), the Pareto front over all
(nlist, nprobe) pairs, and the cheapest pair that reaches a target recall.

:func:`recall_curve` gives exactly what :func:`ivfcore.recall_sweep` gives (same tie rule,
same work) at every nprobe, from one exact pass over the index instead of one search per
nprobe: IVF-Flat search returns the k nearest vectors of the opened lists, so it finds
``min(k, c)`` vectors as near as the k-th true neighbour when the opened lists hold ``c``
of them (:meth:`IVFIndex.count_within`). That is what makes 70 nprobes per nlist affordable.
"""

import math
import time
from dataclasses import dataclass

import numpy as np

from ._validation import as_count, as_number, as_vectors
from .errors import InputError
from .ivf import _without
from .kmeans import MIN_POINTS_PER_CENTROID
from .knn import as_near

# FAISS trains an IVF coarse quantizer with these (IndexIVF's ClusteringParameters).
FAISS_NITER = 10
FAISS_MAX_POINTS_PER_CENTROID = 256
# pgvector's advice: lists = rows / 1000 up to 1M rows, sqrt(rows) above; probes = sqrt(lists).
PGVECTOR_ROWS_SWITCH = 1_000_000
# The grid: multiples of sqrt(n) (FAISS's guidance is 4 to 16 sqrt(n)).
SQRT_FACTORS = (0.25, 0.5, 1.0, 4.0, 16.0)


def max_nlist(n):
    """The largest nlist with at least 39 vectors per list (FAISS's warning), at least 1."""
    return max(1, as_count(n, "n", low=1) // MIN_POINTS_PER_CENTROID)


@dataclass(frozen=True)
class Rules:
    """Where the practitioners' rules of thumb put nlist and nprobe for ``n`` vectors.

    ``pgvector_lists`` = n / 1000 up to 1M rows, sqrt(n) above (at least 1), with
    ``pgvector_probes`` = sqrt(lists); FAISS's guidance is nlist from ``faiss_low`` = 4 sqrt(n)
    to ``faiss_high`` = 16 sqrt(n); a first nprobe is nlist / 16 (:meth:`first_nprobe`).
    Values are rounded to whole numbers; the grid clips nlist to [1, n / 39].
    """

    n: int
    pgvector_lists: int
    pgvector_probes: int
    faiss_low: int
    faiss_high: int

    @staticmethod
    def first_nprobe(nlist):
        """A first nprobe to try: nlist / 16, rounded, at least 1."""
        return max(1, int(round(nlist / 16)))


def rules(n):
    """The practitioners' rules for ``n`` vectors (see :class:`Rules`).

    Parameters
    ----------
    n : int

    Returns
    -------
    Rules
    """
    n = as_count(n, "n", low=1)
    lists = n / 1000 if n <= PGVECTOR_ROWS_SWITCH else math.sqrt(n)
    lists = max(1, int(round(lists)))
    return Rules(n=n, pgvector_lists=lists, pgvector_probes=max(1, int(round(math.sqrt(lists)))),
                 faiss_low=int(round(4 * math.sqrt(n))), faiss_high=int(round(16 * math.sqrt(n))))


def nlist_grid(n, extra=()):
    """The nlist values to try: sqrt(n)/4, sqrt(n)/2, sqrt(n), 4 sqrt(n), 16 sqrt(n), and ``extra``.

    The rules' values are rounded and clipped to [1, n / 39] (FAISS warns below 39 vectors
    per list); ``extra`` values are kept as asked (clipped to [1, n]); duplicates go.

    Parameters
    ----------
    n : int
        Vectors to index.
    extra : iterable of int
        More values to include (the learner's own nlist, pgvector's rule).

    Returns
    -------
    ndarray of int64, sorted ascending
    """
    top = max_nlist(n)
    ruled = {min(top, max(1, int(round(f * math.sqrt(n))))) for f in SQRT_FACTORS}
    asked = {min(n, as_count(e, "nlist", low=1)) for e in extra}
    return np.array(sorted(ruled | asked), dtype=np.int64)


def nprobe_grid(nlist, dense=64, steps=12, must=()):
    """Every nprobe 1..min(nlist, dense), then ``steps`` geometric steps up to nlist, plus ``must``.

    Parameters
    ----------
    nlist : int
    dense : int
        Every integer nprobe up to this one is included.
    steps : int
        Geometric steps from ``dense`` to ``nlist`` (when nlist > dense).
    must : iterable of int
        Values to include as well (e.g. where a rule lands), clipped to 1..nlist.

    Returns
    -------
    ndarray of int64, sorted ascending, ending at nlist
    """
    nlist = as_count(nlist, "nlist", low=1)
    dense = as_count(dense, "dense", low=1)
    out = set(range(1, min(nlist, dense) + 1))
    if nlist > dense:
        out |= {int(round(v)) for v in np.geomspace(dense, nlist, steps + 1)}
    out |= {min(nlist, max(1, int(p))) for p in must}
    out.add(nlist)
    return np.array(sorted(out), dtype=np.int64)


@dataclass(frozen=True)
class Curve:
    """Recall@k and work of one index (one nlist) at each nprobe, over held-out queries.

    ``recall`` and ``scanned`` average over the queries with ``weights`` (or plainly);
    ``work = nlist + scanned``, the distance computations per query (:class:`SearchResult`'s
    ``n_distance_computations``). ``per_query_recall`` / ``per_query_scanned`` are (p, m).
    """

    nlist: int
    k: int
    nprobes: np.ndarray  # (p,)
    recall: np.ndarray  # (p,)
    scanned: np.ndarray  # (p,) mean vectors scanned per query
    per_query_recall: np.ndarray  # (p, m)
    per_query_scanned: np.ndarray  # (p, m)
    n_total: int
    weights: np.ndarray | None = None

    @property
    def work(self):
        """Distance computations per query at each nprobe: nlist centroids + scanned vectors."""
        return self.nlist + self.scanned

    def at(self, nprobe):
        """Position of ``nprobe`` in :attr:`nprobes` (an InputError if it was not swept)."""
        where = np.flatnonzero(self.nprobes == nprobe)
        if not len(where):
            raise InputError(f"nprobe={nprobe} was not swept for nlist={self.nlist}")
        return int(where[0])


def recall_curve(index, xq, *, k=10, nprobes=None, true_ids=None, true_distances=None, weights=None):
    """Recall@k and work at many nprobes from one exact pass (equal to :func:`recall_sweep`).

    Parameters
    ----------
    index : IVFIndex
        IVF-Flat (the vectors themselves are scanned).
    xq : array-like, shape (m, d)
    k : int
    nprobes : sequence of int, optional
        Defaults to :func:`nprobe_grid`; each in 1..nlist.
    true_ids, true_distances : array-like, shape (m, k), optional
        Exact neighbours in ``index`` and their distances (else computed).
    weights : array-like, shape (m,), optional
        Per-query weights of the means (e.g. :func:`ivfcore.share_weights`).

    Returns
    -------
    Curve

    Notes
    -----
    A query's nearest lists come from :meth:`IVFIndex.coarse` (the order its search opens
    them), the count of vectors as near as its k-th true neighbour in each list from
    :meth:`IVFIndex.count_within` with :meth:`IVFIndex.tie_bounds`; its recall at nprobe p is
    ``min(n_true, c_p) / k`` with ``c_p`` the count in its p nearest lists.
    """
    xq = index.prepare_queries(xq)  # as the index compares them (unit rows under "cosine")
    k = as_count(k, "k", low=1)
    kk = min(k, index.ntotal)
    nprobes = nprobe_grid(index.nlist) if nprobes is None else nprobes
    nprobes = np.array(sorted({as_count(p, "nprobe", 1, index.nlist) for p in nprobes}), dtype=np.int64)
    if true_ids is None:
        true_distances, true_ids = index.exact(xq, kk)
    true_ids = np.atleast_2d(np.asarray(true_ids))
    if true_distances is None:
        true_distances = index.distances_to(xq, true_ids)
    n_true = (true_ids >= 0).sum(axis=1)
    order, _ = index.coarse(xq, index.nlist)  # each query's lists, nearest first
    within = index.count_within(xq, index.tie_bounds(xq, true_ids, true_distances))
    found = np.cumsum(np.take_along_axis(within, order, axis=1), axis=1)[:, nprobes - 1]  # (m, p)
    scanned = np.cumsum(index.list_sizes[order], axis=1)[:, nprobes - 1]
    per_recall = (np.minimum(found, n_true[:, None]) / true_ids.shape[1]).T
    per_scanned = scanned.T.astype(np.float64)
    if weights is None:
        w = np.full(xq.shape[0], 1.0 / xq.shape[0])
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (xq.shape[0],) or (w < 0).any() or w.sum() <= 0:
            raise InputError("weights must be one non-negative number per query, not all 0")
        w = w / w.sum()
    return Curve(nlist=index.nlist, k=kk, nprobes=nprobes, recall=per_recall @ w,
                 scanned=per_scanned @ w, per_query_recall=per_recall, per_query_scanned=per_scanned,
                 n_total=index.ntotal, weights=None if weights is None else w)


def time_search(index, xq, *, k=10, nprobes=(1,), repeats=1):
    """Measured milliseconds per query of ``index.search`` at each nprobe (the best of ``repeats``).

    Parameters
    ----------
    index : IVFIndex
    xq : array-like, shape (m, d)
    k : int
    nprobes : sequence of int
    repeats : int

    Returns
    -------
    ndarray of float64, shape (len(nprobes),)
    """
    xq = as_vectors(xq, "xq", dtype=index.xb.dtype)
    repeats = as_count(repeats, "repeats", low=1)
    out = np.empty(len(nprobes))
    for i, p in enumerate(nprobes):
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            index.search(xq, k=k, nprobe=int(p))
            best = min(best, time.perf_counter() - t0)
        out[i] = 1000.0 * best / xq.shape[0]
    return out


@dataclass(frozen=True)
class Choice:
    """One (nlist, nprobe) pair with its recall and work per query."""

    nlist: int
    nprobe: int
    recall: float
    scanned: float

    @property
    def work(self):
        return self.nlist + self.scanned


def choices(curves):
    """Every (nlist, nprobe) pair of the curves as a :class:`Choice`, by nlist then nprobe."""
    return [Choice(c.nlist, int(p), float(r), float(s))
            for c in curves for p, r, s in zip(c.nprobes, c.recall, c.scanned)]


def pareto_front(curves):
    """The pairs no other pair beats: none reaches as high a recall for less work.

    Parameters
    ----------
    curves : iterable of Curve

    Returns
    -------
    list of Choice, by increasing work (and increasing recall)
    """
    best = []
    # cheapest first; at equal work the higher recall first, so it shadows the rest
    for c in sorted(choices(curves), key=lambda c: (c.work, -c.recall, c.nlist)):
        if not best or c.recall > best[-1].recall:
            best.append(c)
    return best


def cheapest(curves, target):
    """The pair with the least work whose recall reaches ``target`` (None if no pair does).

    Ties in work go to the higher recall, then the smaller nlist.

    Parameters
    ----------
    curves : iterable of Curve
    target : float in [0, 1]

    Returns
    -------
    Choice or None
    """
    target = as_number(target, "target", low=0.0, high=1.0)
    ok = [c for c in choices(curves) if c.recall >= target - 1e-12]
    return min(ok, key=lambda c: (c.work, -c.recall, c.nlist)) if ok else None


def cheapest_per_nlist(curves, target):
    """For each curve, its smallest nprobe reaching ``target`` (None where none does).

    Returns
    -------
    dict nlist -> Choice or None
    """
    return {c.nlist: cheapest([c], target) for c in curves}


# --- one query: the smallest nprobe reaching a target recall ---------------------------------


@dataclass(frozen=True)
class NprobeForRecall:
    """The smallest nprobe reaching ``target`` recall@k for one query, and the recall there.

    ``nprobe`` is None when no nprobe up to nlist reaches the target (IVF-Flat always does
    at nprobe = nlist for a target of at most 1).
    """

    target: float
    k: int
    nprobe: int | None
    recall: float  # at ``nprobe`` (at nlist when it is None)


def smallest_nprobe(index, q, target, *, k=10, exclude_id=None):
    """The smallest nprobe at which ``index.trace(q, k, nprobe, exclude_id=...)`` has recall >= ``target``.

    Parameters
    ----------
    index : IVFIndex
    q : array-like, shape (d,) or (1, d)
        One query vector.
    target : float
        Recall to reach, in (0, 1].
    k : int
        Neighbours asked for.
    exclude_id : int, optional
        Id of the stored vector that is the query (left out of both answers, as in
        :meth:`IVFIndex.trace`).

    Returns
    -------
    NprobeForRecall

    Notes
    -----
    The exact neighbours and the tie bound are computed once. Only vectors within the bound
    can count, so the first nprobe whose lists hold enough of them is a lower bound; the
    searches then start there and go up until the recall reaches the target.
    """
    xq, k, _ = index._check_query(q, k, 1)
    if xq.shape[0] != 1:
        raise InputError(f"smallest_nprobe takes one query vector; got {xq.shape[0]}")
    target = float(target)
    if not (0.0 < target <= 1.0):
        raise InputError(f"target={target} must be a recall above 0 and at most 1")
    if exclude_id is not None:
        exclude_id = as_count(exclude_id, "exclude_id", low=0, high=index.ntotal - 1)
    extra = int(exclude_id is not None)
    td, ti = index.exact(xq, k + extra)
    true_ids, true_d = _without(ti[0], td[0], exclude_id, k)
    n_true = len(true_ids)
    if n_true == 0:  # nothing to find: every nprobe has recall 1 (as the trace says)
        return NprobeForRecall(target, k, 1, 1.0)
    bound = index.tie_bounds(xq, true_ids[None], true_d[None])
    need = math.ceil(target * n_true - 1e-9)

    # Lower bound: vectors within the bound, by list, counted with the distances the hits use.
    near = as_near(index.distances_to(xq, np.arange(index.ntotal)[None]), bound)[0]
    if exclude_id is not None:
        near[exclude_id] = False
    per_list = np.bincount(index.labels[near], minlength=index.nlist)
    _, dc = index.coarse(xq, 1)
    order = np.argsort(dc[0], kind="stable")  # as trace and search order the lists
    reached = np.flatnonzero(np.cumsum(per_list[order]) >= need)
    start = int(reached[0]) + 1 if len(reached) else index.nlist

    recall = 0.0
    for nprobe in range(start, index.nlist + 1):
        res = index.search(xq, k=k + extra, nprobe=nprobe)
        found, _ = _without(res.ids[0], res.distances[0], exclude_id, k)
        hits = int(as_near(index.distances_to(xq, found[None]), bound)[0].sum())
        recall = min(hits, n_true) / n_true
        if recall >= target:
            return NprobeForRecall(target, k, nprobe, recall)
    return NprobeForRecall(target, k, None, recall)
