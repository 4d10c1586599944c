"""The inverted-file index: vectors grouped into lists by their nearest centroid.

A query compares itself with every centroid (``nlist`` distance computations), opens the
``nprobe`` nearest lists, and computes exact distances to the vectors stored there (the
candidates). Everything outside the probed lists is never looked at, which is both the
speed-up and the reason true neighbours can be missed.

"Nearest" is the index's metric (:mod:`ivfcore.metrics`), as in FAISS: smallest squared L2
distance ("l2"), or largest inner product ("ip"; "cosine" on unit-length vectors and queries).
Inside, every comparison is a score where smaller is nearer (the negated inner product for a
similarity), so one ranking code serves all three; results report the metric's own values.
"""

from dataclasses import dataclass

import numpy as np

from ._validation import as_count, as_vectors, check_same_dim
from .distances import (
    CHUNK_ELEMENTS, chunk_rows, nearest, pairwise_scores, squared_norms,
)
from .errors import InputError
from .filtering import check_allowed, check_max_nprobe, lists_to_open
from .knn import as_near, exact_knn, tie_bound
from .metrics import check_metric, padding_value, prepare, to_reported
from . import blas
from .scan import list_block, list_blocks, push_block, scan_lists, smallest_per_row

# From PER_LIST_WORK / d queries per opened list (on average) a search computes each list's
# distances as one matrix product (BLAS, one thread) for all its queries; below, the compiled
# scan goes list by list (every query of a list while the list is in cache, lists split
# between the cores). A product pays for its call sooner on wide vectors. Measured side by
# side at load 20 on 2 cores (ratios to FAISS's qps): exercise (d = 128, 10+ queries per
# list) products 5-8x, the scan 2-3x; GloVe 400k (d = 50, nlist 1000) at 1.6 / 5 / 20
# queries per list the scan 1.6x / 1.9x / 2.5x, products 1.3x / 2.2x / 2.7x: near the
# threshold both routes are about even.
PER_LIST_WORK = 512


@dataclass(frozen=True)
class SearchResult:
    """Results of a batch of ``m`` queries.

    ``distances`` are in ``metric``'s own terms, nearest first: squared L2 distances,
    ascending ("l2"), or inner products / cosine similarities, descending ("ip", "cosine").
    When fewer than ``k`` candidates were scanned, ``ids`` are padded with -1 and
    ``distances`` with ``inf`` ("l2") or ``-inf`` ("ip", "cosine"; FAISS pads with -FLT_MAX):
    padding sorts after every result either way.
    ``n_distance_computations = nlist + n_candidates``.

    With a filter (``search(..., allowed=...)``) the results are allowed vectors only, and
    ``n_candidates`` still counts every vector of the opened lists (each was looked at).
    Iterative probing opens a different number of lists per query: ``probed`` is then as
    wide as the most lists any query opened, each row nearest first and padded with -1.
    """

    ids: np.ndarray  # (m, k) int64
    distances: np.ndarray  # (m, k) squared L2, or inner products / cosine similarities
    probed: np.ndarray  # (m, nprobe) list ids, nearest first (iterative: (m, widest), -1 padded)
    n_candidates: np.ndarray  # (m,)
    n_distance_computations: np.ndarray  # (m,)
    metric: str = "l2"  # what the distances are (ivfcore.METRICS)


@dataclass(frozen=True)
class QueryTrace:
    """Everything that happened for one query, for pictures and tables.

    ``true_list_rank[j]`` is the rank (1 = nearest centroid) of the list holding the j-th
    true neighbour: the smallest nprobe that would have found it.

    Every distance is in ``metric``'s terms (see :class:`SearchResult`); for "cosine",
    ``query`` is the unit-length query the search used.

    Equally near vectors are interchangeable (the tie rule of :func:`ivfcore.recall_at_k`):
    ``result_hits[i]`` says whether the i-th result is within the k-th true distance plus the
    tolerance (for a similarity: at least the k-th true similarity minus it), and counts as a true neighbour found even when brute force kept another vector
    at the same distance. ``missed_ids`` lists only as many true neighbours as the results
    fall short of k, nearest first, among those not returned: a true neighbour for which an
    equally near result stands in is not missed. On IVF-Flat every missed neighbour then sits
    in a list that was not probed (``true_list_rank > nprobe``); on IVF-PQ quantization can
    also out-rank it.
    """

    query: np.ndarray  # (d,)
    k: int
    nprobe: int
    nlist: int
    centroid_order: np.ndarray  # (nlist,) list ids, nearest centroid first
    centroid_distances: np.ndarray  # (nlist,) distances (or similarities) in that order
    probed: np.ndarray  # (nprobe,)
    candidate_ids: np.ndarray  # every scanned vector
    result_ids: np.ndarray  # (<=k,)
    result_distances: np.ndarray  # as the search computed them (IVF-PQ: ADC estimates)
    true_ids: np.ndarray  # (k,) exact neighbours
    true_distances: np.ndarray
    true_lists: np.ndarray  # list of each true neighbour
    true_list_rank: np.ndarray  # 1-based rank of that list
    missed_ids: np.ndarray  # true neighbours not returned and not stood in for, nearest first
    n_total: int  # vectors in the index (brute-force work)
    result_hits: np.ndarray  # (<=k,) bool: the result counts as a true neighbour (tie rule)
    excluded_id: int = -1  # the stored vector used as the query, left out of both answers (-1: none)
    metric: str = "l2"  # what the distances are (ivfcore.METRICS)

    @property
    def n_candidates(self):
        return int(len(self.candidate_ids))

    @property
    def n_distance_computations(self):
        return self.nlist + self.n_candidates

    @property
    def recall(self):
        n = len(self.true_ids)
        return (n - len(self.missed_ids)) / n if n else 1.0

    @property
    def speedup(self):
        return self.n_total / max(1, self.n_distance_computations)


class IVFIndex:
    """Inverted lists over ``xb`` in CSR form: ``list_ids[list_offsets[l]:list_offsets[l+1]]``.

    Built by :func:`build_ivf`; stores the vectors themselves (IVF-Flat). ``metric`` is what
    it searches by; under "cosine" ``xb`` holds the unit-length vectors, and every query is
    normalised the same way.
    """

    # IVF-Flat keeps the vectors themselves, list by list; IVF-PQ keeps codes instead.
    _stores_vectors = True

    def __init__(self, xb, centroids, labels, metric="l2"):
        self.xb = xb
        self.centroids = centroids
        self.labels = labels
        self.metric = check_metric(metric)
        self.nlist = centroids.shape[0]
        self.list_sizes = np.bincount(labels, minlength=self.nlist).astype(np.int64)
        self.list_offsets = np.zeros(self.nlist + 1, dtype=np.int64)
        np.cumsum(self.list_sizes, out=self.list_offsets[1:])
        self.list_ids = np.argsort(labels, kind="stable").astype(np.int64)
        self._c_norms = squared_norms(centroids)
        self._xb_norms_by_id = squared_norms(xb)  # for exact search (the reference answers)
        if self._stores_vectors:
            # Vectors stored list by list, each list one contiguous transposed (d, n) block
            # (ivfcore.scan.list_blocks): a list scan reads one block, in SIMD lanes.
            self._xb_lists = list_blocks(xb[self.list_ids], self.list_offsets)
            self._xb_norms = self._xb_norms_by_id[self.list_ids]

    @property
    def ntotal(self):
        return self.xb.shape[0]

    @property
    def d(self):
        return self.xb.shape[1]

    def list_members(self, list_id):
        """Ids of the vectors stored in one list."""
        return self.list_ids[self.list_offsets[list_id] : self.list_offsets[list_id + 1]]

    def _check_query(self, xq, k, nprobe):
        xq = np.asarray(xq) if not isinstance(xq, np.ndarray) else xq
        if xq.ndim == 1:
            xq = xq[None, :]
        xq = as_vectors(xq, "xq", dtype=self.xb.dtype)
        check_same_dim(self.xb, xq, "the index", "xq")
        k = as_count(k, "k", low=1)
        nprobe = as_count(nprobe, "nprobe", low=1)
        if nprobe > self.nlist:
            raise InputError(f"nprobe={nprobe} is larger than the number of lists nlist={self.nlist}")
        return prepare(xq, self.metric, "xq"), k, nprobe

    def prepare_queries(self, xq):
        """Queries as this index compares them: checked (m, d), unit rows under "cosine".

        What :meth:`distances_to`, :meth:`tie_bounds` and :meth:`count_within` take.
        """
        return self._check_query(xq, 1, 1)[0]

    def exact(self, xq, k=10, *, allowed=None):
        """Exact k nearest stored vectors (brute force over all of ``xb``): the reference answer.

        Same result as ``brute_force_knn(index.xb, xq, k, metric=index.metric)`` without
        re-checking ``xb`` or recomputing its norms on every call. With ``allowed`` (a bool
        mask over ids): the k nearest allowed vectors (exact filtered search), ids padded
        with -1 and distances as :class:`SearchResult` pads them when fewer are allowed.
        """
        xq, k, _ = self._check_query(xq, k, 1)
        if allowed is None:
            return exact_knn(self.xb, xq, k, self._xb_norms_by_id, metric=self.metric)
        keep = np.flatnonzero(check_allowed(allowed, self.ntotal))
        dist = np.full((xq.shape[0], k), padding_value(self.metric, self.xb.dtype.type), dtype=self.xb.dtype)
        ids = np.full((xq.shape[0], k), -1, dtype=np.int64)
        if len(keep):
            d, i = exact_knn(self.xb[keep], xq, k, self._xb_norms_by_id[keep], metric=self.metric)
            dist[:, : d.shape[1]], ids[:, : i.shape[1]] = d, keep[i]
        return dist, ids

    def distances_to(self, xq, ids):
        """Exact distances (or similarities) (m, j) from each query to the stored vectors ``ids``.

        "l2": squared distances computed from the difference itself, ``sum((x - q)^2)``, so an
        exact copy is at 0; ``inf`` where an id is -1 (padding). "ip" / "cosine": the inner
        products ``x . q``; ``-inf`` for padding. For IVF-PQ these are the true values of what
        the search returned, not its ADC estimates. ``xq`` as :meth:`prepare_queries` gives it.
        """
        ids = np.atleast_2d(np.asarray(ids))
        l2 = self.metric == "l2"
        pad = padding_value(self.metric, self.xb.dtype.type)
        out = np.full(ids.shape, pad, dtype=self.xb.dtype)
        step = max(1, CHUNK_ELEMENTS // max(1, ids.shape[1] * self.d))
        for start in range(0, ids.shape[0], step):
            blk = ids[start : start + step]
            valid = blk >= 0
            rows = self.xb[np.where(valid, blk, 0)]
            q = xq[start : start + step]
            if l2:
                diff = rows - q[:, None, :]
                val = np.einsum("ijk,ijk->ij", diff, diff)
            else:
                val = np.einsum("ijk,ik->ij", rows, q)
            out[start : start + step] = np.where(valid, val, pad)
        return out

    def tie_bounds(self, xq, true_ids, true_distances):
        """Per query (m,), the farthest distance (or similarity) that still counts among its k nearest.

        :func:`ivfcore.knn.tie_bound` with the index's metric: the k-th true distance plus the
        tolerance (a similarity: minus it), whose float32 part scales with ``|q|^2 + |x|^2``
        ("l2") or ``|q| |x|`` ("ip", "cosine") of the query and its k-th true neighbour.
        """
        true_ids = np.atleast_2d(np.asarray(true_ids))
        if true_ids.shape[1] == 0:  # nothing to find (a one-vector index without its query)
            return np.full(true_ids.shape[0], np.inf if self.metric != "l2" else -np.inf)
        last = np.maximum((true_ids >= 0).sum(axis=1) - 1, 0)
        kth = np.maximum(true_ids[np.arange(len(true_ids)), last], 0)
        qn = squared_norms(xq).astype(np.float64)
        xn = self._xb_norms_by_id[kth].astype(np.float64)
        scale = qn + xn if self.metric == "l2" else np.sqrt(qn * xn)
        return tie_bound(np.atleast_2d(true_distances), true_ids, scale, metric=self.metric)

    def count_within(self, xq, bound):
        """How many stored vectors of each list lie within each query's ``bound``: (m, nlist).

        The lists that hold a query's equally near vectors, for "the smallest nprobe that
        finds k of them". Exact values over all of ``xb``, in chunks of bounded memory;
        ``bound`` from :meth:`tie_bounds` (a similarity counts when at least its bound).
        """
        m = xq.shape[0]
        counts = np.zeros((m, self.nlist), dtype=np.int64)
        l2 = self.metric == "l2"
        q_norms = squared_norms(xq) if l2 else None
        # columns in list order, so each list's count is a difference of running sums
        xs = self.xb[self.list_ids]
        xn = self._xb_norms_by_id[self.list_ids]
        step = chunk_rows(self.ntotal)
        for start in range(0, m, step):
            stop = min(m, start + step)
            qn = q_norms[start:stop] if l2 else None
            d = to_reported(pairwise_scores(xq[start:stop], xs, self.metric, qn, xn), self.metric)
            run = np.zeros((stop - start, self.ntotal + 1), dtype=np.int32)
            np.cumsum(as_near(d, bound[start:stop], self.metric), axis=1, out=run[:, 1:])
            counts[start:stop] = run[:, self.list_offsets[1:]] - run[:, self.list_offsets[:-1]]
        return counts

    def coarse(self, xq, nprobe):
        """The ``nprobe`` nearest lists of each query, nearest first, and all centroid values.

        ``xq`` as :meth:`prepare_queries` gives it. Returns ``probed`` (m, nprobe) and the
        squared distances ("l2") or inner products ("ip", "cosine") to every centroid (m, nlist).
        Under "ip" and "cosine" the nearest lists are those of the largest inner product with
        the centroids as given (FAISS's ``IndexFlatIP`` quantizer; spherical k-means gives
        unit centroids, so the values are then cosine similarities).
        """
        probed, dc = self._coarse(xq, nprobe)
        return probed, to_reported(dc, self.metric)

    def _coarse(self, xq, nprobe):
        """:meth:`coarse` with the centroid scores (smaller is nearer) instead of reported values.

        Equally near centroids go lowest list id first, as when vectors were assigned to lists:
        a duplicate centroid's list is empty, and probing it instead would miss every vector there.
        """
        dc = pairwise_scores(xq, self.centroids, self.metric, b_norms=self._c_norms)
        probed = smallest_per_row(dc, nprobe)
        return probed, dc

    def search(self, xq, k=10, nprobe=1, *, allowed=None, iterative=False, max_nprobe=None):
        """Find the ``k`` nearest stored vectors of each query among its ``nprobe`` nearest lists.

        Parameters
        ----------
        xq : array-like, shape (m, d) or (d,)
        k : int
            Neighbours per query.
        nprobe : int
            Lists opened per query, 1 <= nprobe <= nlist.
        allowed : array-like of bool, shape (ntotal,), optional
            A filter: only vectors ``i`` with ``allowed[i]`` may be results
            (:mod:`ivfcore.filtering`). Without ``iterative`` this is post-filtering: the k
            nearest allowed vectors of the probed lists, -1 padded when they hold fewer.
        iterative : bool
            Open the next nearest lists, one at a time, until the open lists hold ``k``
            allowed vectors (every vector when there is no filter) or ``max_nprobe`` lists
            are open (pgvector's iterative scan). ``probed`` then shows every list opened.
        max_nprobe : int, optional
            The most lists iterative probing opens, nprobe <= max_nprobe <= nlist (default nlist).

        Returns
        -------
        SearchResult
            ``distances`` in the index's metric (see :class:`SearchResult`).
        """
        xq, k, nprobe = self._check_query(xq, k, nprobe)
        if allowed is not None:
            allowed = check_allowed(allowed, self.ntotal)
        if not iterative:
            if max_nprobe is not None:
                raise InputError("max_nprobe only applies to iterative probing (iterative=True)")
            return self._search(xq, k, nprobe, allowed)
        return self._search(xq, k, nprobe, allowed, check_max_nprobe(max_nprobe, nprobe, self.nlist))

    def _search(self, xq, k, nprobe, allowed=None, max_nprobe=None):
        """:meth:`search` on checked (and, for cosine, normalised) queries.

        ``max_nprobe`` (not None) switches on iterative probing.
        """
        m = xq.shape[0]
        ids = np.full((m, k), -1, dtype=np.int64)
        dist = np.full((m, k), np.inf, dtype=xq.dtype)
        plan = None
        if max_nprobe is not None:
            per_list = self.list_sizes if allowed is None else np.bincount(
                self.labels[allowed], minlength=self.nlist).astype(np.int64)
            plan = (per_list, k, max_nprobe)
        width = nprobe if max_nprobe is None else max_nprobe
        # in list order, so a list's slice of the mask is contiguous like its vectors
        allowed_sorted = None if allowed is None else allowed[self.list_ids]
        blocks = []
        # Bound memory for big batches: the (m, nprobe * k) candidate buffers and list blocks.
        step = max(1, chunk_rows(width * k) // 4)
        # One BLAS thread throughout: the compiled scans run their own threads, and OpenBLAS
        # threads left spinning after the centroid product took the cores from them (GloVe
        # 400k, 1,000 queries at nprobe 1: 8 ms instead of 16-21 ms; FAISS 10-13 ms).
        with blas.one_thread():
            for start in range(0, m, step):
                stop = min(m, start + step)
                blocks.append(self._search_block(xq[start:stop], k, nprobe, ids[start:stop], dist[start:stop],
                                                 allowed_sorted, plan))
        probed = _stack_padded(blocks, nprobe) if plan is not None else (
            np.concatenate(blocks) if blocks else np.empty((0, nprobe), dtype=np.int64))
        if plan is None:
            n_cand = self.list_sizes[probed].sum(axis=1)
        else:
            n_cand = np.where(probed >= 0, self.list_sizes[np.maximum(probed, 0)], 0).sum(axis=1)
        if self.metric != "l2":  # scores back to similarities; +inf padding becomes -inf
            np.negative(dist, out=dist)
        return SearchResult(
            ids=ids,
            distances=dist,
            probed=probed,
            n_candidates=n_cand,
            n_distance_computations=n_cand + self.nlist,
            metric=self.metric,
        )

    def _plan(self, xq, nprobe, plan):
        """The lists each query opens and its centroid scores: the nprobe nearest, or iterative.

        ``plan`` is None, or ``(allowed_per_list, k, max_nprobe)`` for iterative probing, whose
        rows may end in -1 (:func:`ivfcore.filtering.lists_to_open`); -1 is never scanned.
        """
        if plan is None:
            return self._coarse(xq, nprobe)
        dc = pairwise_scores(xq, self.centroids, self.metric, b_norms=self._c_norms)
        return lists_to_open(dc, plan[0], plan[1], nprobe, plan[2]), dc

    def _search_block(self, xq, k, nprobe, out_ids, out_dist, allowed=None, plan=None):
        """Search a block of queries into ``out_ids`` / ``out_dist`` (filled with -1 / inf).

        Two ways to the same answer (:mod:`ivfcore.scan`): when many queries open each list
        (few lists, wide probes), one BLAS product per list folded into a running top-k;
        otherwise each query walks its own probed lists in a compiled loop, queries in
        parallel. ``allowed``: the filter in list order (``allowed[list_ids]``), or None.
        """
        probed, _ = self._plan(xq, nprobe, plan)
        l2 = self.metric == "l2"
        q_norms = squared_norms(xq) if l2 else np.empty(0, dtype=xq.dtype)
        filt = allowed is not None
        mask = allowed if filt else np.empty(0, dtype=np.bool_)
        if _queries_per_list(probed, self.nlist) * self.d < PER_LIST_WORK:
            scan_lists(xq, q_norms, self._xb_lists, self._xb_norms, self.list_offsets, self.list_ids,
                       probed, l2, mask, out_dist, out_ids)
            return probed
        width = probed.shape[1]
        for lst, lo, hi, who in self._by_list(probed):  # on one BLAS thread (see _search)
            qi = who // width  # distinct: a query opens a list at most once
            ip = xq[qi] @ list_block(self._xb_lists, self.list_offsets, lst, self.d)
            push_block(ip, qi, q_norms, self._xb_norms[lo:hi], self.list_ids[lo:hi], l2,
                       mask[lo:hi] if filt else mask, out_dist, out_ids)
        return probed

    def _by_list(self, probed):
        """Group a block's probes by list: ``(list, lo, hi, who)`` for each non-empty probed list.

        ``lo:hi`` is the list's range in CSR order; ``who`` are positions in ``probed.ravel()``
        (query ``who // nprobe``, probe slot ``who % nprobe``) that open this list.
        """
        flat = probed.ravel()
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(self.nlist + 1))
        for lst in np.flatnonzero(np.diff(bounds)):
            lo, hi = self.list_offsets[lst], self.list_offsets[lst + 1]
            if hi > lo:
                yield lst, lo, hi, order[bounds[lst] : bounds[lst + 1]]

    def trace(self, q, k=10, nprobe=1, *, exclude_id=None):
        """Search one query and record every step of it (see :class:`QueryTrace`).

        Parameters
        ----------
        q : array-like, shape (d,) or (1, d)
        k, nprobe : int
        exclude_id : int, optional
            Id of the stored vector that is the query (a data vector used as a query). It is
            neither its own result nor its own true neighbour: the search and the exact
            search both ask for ``k + 1`` and drop it. It is still scanned with its list, so it
            stays in ``candidate_ids`` and in the work counted.
        """
        xq, k, nprobe = self._check_query(q, k, nprobe)
        if xq.shape[0] != 1:
            raise InputError(f"trace takes one query vector; got {xq.shape[0]}")
        if exclude_id is not None:
            exclude_id = as_count(exclude_id, "exclude_id", low=0, high=self.ntotal - 1)
        extra = int(exclude_id is not None)
        q = xq[0]
        _, dc = self._coarse(xq, nprobe)
        corder = np.argsort(dc[0], kind="stable")
        probed = corder[:nprobe]
        cand = np.concatenate([self.list_members(l) for l in probed])
        res = self._search(xq, k + extra, nprobe)
        found, found_d = _without(res.ids[0], res.distances[0], exclude_id, k)
        td, ti = exact_knn(self.xb, xq, k + extra, self._xb_norms_by_id, metric=self.metric)
        true_ids, true_d = _without(ti[0], td[0], exclude_id, k)
        rank_of_list = np.empty(self.nlist, dtype=np.int64)
        rank_of_list[corder] = np.arange(1, self.nlist + 1)
        true_lists = self.labels[true_ids].astype(np.int64)
        bound = self.tie_bounds(xq, true_ids[None], true_d[None])
        hits = as_near(self.distances_to(xq, found[None]), bound, self.metric)[0]
        short = len(true_ids) - min(len(true_ids), int(hits.sum()))
        return QueryTrace(
            query=q.copy(),
            k=k,
            nprobe=nprobe,
            nlist=self.nlist,
            centroid_order=corder,
            centroid_distances=to_reported(dc[0][corder], self.metric),
            probed=probed,
            candidate_ids=np.sort(cand),
            result_ids=found,
            result_distances=found_d,
            true_ids=true_ids,
            true_distances=true_d,
            true_lists=true_lists,
            true_list_rank=rank_of_list[true_lists],
            missed_ids=true_ids[~np.isin(true_ids, found)][:short],
            n_total=self.ntotal,
            result_hits=hits,
            excluded_id=-1 if exclude_id is None else exclude_id,
            metric=self.metric,
        )


def _queries_per_list(probed, nlist):
    """How many queries open each opened list, on average: which scan pays (see PER_LIST_WORK)."""
    opened = probed[probed >= 0]
    if not len(opened):
        return 0.0
    return len(opened) / np.count_nonzero(np.bincount(opened, minlength=nlist))


def _stack_padded(blocks, nprobe):
    """Rows of per-block ``probed`` arrays of different widths, stacked and padded with -1."""
    width = max([b.shape[1] for b in blocks] + [nprobe])
    out = np.full((sum(len(b) for b in blocks), width), -1, dtype=np.int64)
    row = 0
    for b in blocks:
        out[row : row + len(b), : b.shape[1]] = b
        row += len(b)
    return out


def _without(ids, distances, exclude_id, k):
    """The first ``k`` real (not -1) entries of a ranked answer, leaving ``exclude_id`` out."""
    keep = ids >= 0
    if exclude_id is not None:
        keep &= ids != exclude_id
    return ids[keep][:k], distances[keep][:k]


def build_ivf(x, centroids, *, metric="l2"):
    """Build an IVF-Flat index: each vector goes to the list of its nearest centroid.

    Parameters
    ----------
    x : array-like, shape (n, d)
        Vectors to store (``xb``).
    centroids : array-like, shape (nlist, d)
        Coarse quantizer, usually ``train_kmeans(..., metric=metric).centroids``. Used as
        given, as FAISS's quantizer does (not normalised, even under "cosine").
    metric : {"l2", "ip", "cosine"}
        "l2": lists and results by squared Euclidean distance. "ip": by inner product, larger
        is nearer (each vector to the list of the centroid with the largest ``x . c``).
        "cosine": the vectors are stored at unit length and every query is normalised, then
        as "ip". The index remembers it (``index.metric``) and searches by it.

    Returns
    -------
    IVFIndex

    Raises
    ------
    InputError
        For an unknown metric, bad shapes or values, or under "cosine" a zero row of ``x``.
    """
    metric = check_metric(metric)
    xb = as_vectors(x, "x")
    c = as_vectors(centroids, "centroids", dtype=xb.dtype)
    check_same_dim(xb, c, "x", "centroids")
    xb = prepare(xb, metric, "x")
    labels, _ = nearest(xb, c, metric=metric)
    return IVFIndex(xb, np.ascontiguousarray(c), labels, metric)
