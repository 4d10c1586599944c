"""The inverted-file index: vectors grouped into lists by their nearest centroid.

A query compares itself with every centroid (``nlist`` distance computations), opens the
``nprobe`` nearest lists, and computes exact distances to the vectors stored there (the
candidates). Everything outside the probed lists is never looked at, which is both the
speed-up and the reason true neighbours can be missed.
"""

from dataclasses import dataclass

import numpy as np

from ._validation import as_count, as_vectors, check_same_dim
from .distances import chunk_rows, nearest, pairwise_sq_l2, smallest_k, squared_norms
from .errors import InputError
from .knn import exact_knn


@dataclass(frozen=True)
class SearchResult:
    """Results of a batch of ``m`` queries.

    ``ids`` and ``distances`` are padded with -1 and ``inf`` when fewer than ``k``
    candidates were scanned. ``n_distance_computations = nlist + n_candidates``.
    """

    ids: np.ndarray  # (m, k) int64
    distances: np.ndarray  # (m, k) squared L2
    probed: np.ndarray  # (m, nprobe) list ids, nearest first
    n_candidates: np.ndarray  # (m,)
    n_distance_computations: np.ndarray  # (m,)


@dataclass(frozen=True)
class QueryTrace:
    """Everything that happened for one query, for pictures and tables.

    ``true_list_rank[j]`` is the rank (1 = nearest centroid) of the list holding the j-th
    true neighbour: the smallest nprobe that would have found it.
    """

    query: np.ndarray  # (d,)
    k: int
    nprobe: int
    nlist: int
    centroid_order: np.ndarray  # (nlist,) list ids, nearest centroid first
    centroid_distances: np.ndarray  # (nlist,) squared distances in that order
    probed: np.ndarray  # (nprobe,)
    candidate_ids: np.ndarray  # every scanned vector
    result_ids: np.ndarray  # (<=k,)
    result_distances: np.ndarray
    true_ids: np.ndarray  # (k,) exact neighbours
    true_distances: np.ndarray
    true_lists: np.ndarray  # list of each true neighbour
    true_list_rank: np.ndarray  # 1-based rank of that list
    missed_ids: np.ndarray  # true neighbours not returned
    n_total: int  # vectors in the index (brute-force work)

    @property
    def n_candidates(self):
        return int(len(self.candidate_ids))

    @property
    def n_distance_computations(self):
        return self.nlist + self.n_candidates

    @property
    def recall(self):
        return 1.0 - len(self.missed_ids) / max(1, len(self.true_ids))

    @property
    def speedup(self):
        return self.n_total / max(1, self.n_distance_computations)


class IVFIndex:
    """Inverted lists over ``xb`` in CSR form: ``list_ids[list_offsets[l]:list_offsets[l+1]]``.

    Built by :func:`build_ivf`; stores the vectors themselves (IVF-Flat).
    """

    # IVF-Flat keeps the vectors themselves, list by list; IVF-PQ keeps codes instead.
    _stores_vectors = True

    def __init__(self, xb, centroids, labels):
        self.xb = xb
        self.centroids = centroids
        self.labels = labels
        self.nlist = centroids.shape[0]
        self.list_sizes = np.bincount(labels, minlength=self.nlist).astype(np.int64)
        self.list_offsets = np.zeros(self.nlist + 1, dtype=np.int64)
        np.cumsum(self.list_sizes, out=self.list_offsets[1:])
        self.list_ids = np.argsort(labels, kind="stable").astype(np.int64)
        self._c_norms = squared_norms(centroids)
        self._xb_norms_by_id = squared_norms(xb)  # for exact search (the reference answers)
        if self._stores_vectors:
            # Vectors stored list by list, so a list scan reads one contiguous block.
            self._xb_sorted = np.ascontiguousarray(xb[self.list_ids])
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
        return xq, k, nprobe

    def exact(self, xq, k=10):
        """Exact k nearest stored vectors (brute force over all of ``xb``): the reference answer.

        Same result as ``brute_force_knn(index.xb, xq, k)`` without re-checking ``xb`` or
        recomputing its norms on every call.
        """
        xq, k, _ = self._check_query(xq, k, 1)
        return exact_knn(self.xb, xq, k, self._xb_norms_by_id)

    def coarse(self, xq, nprobe):
        """The ``nprobe`` nearest lists of each query, nearest first, and all centroid distances.

        Equally near centroids go lowest list id first, as when vectors were assigned to lists:
        a duplicate centroid's list is empty, and probing it instead would miss every vector there.
        """
        dc = pairwise_sq_l2(xq, self.centroids, b_norms=self._c_norms)
        probed = smallest_k(dc, nprobe)  # breaks ties arbitrarily; rare, so redo only those rows
        near = np.take_along_axis(dc, probed, axis=1)
        tied = ((dc <= near[:, -1:]).sum(axis=1) > nprobe) | (np.diff(near, axis=1) == 0).any(axis=1)
        if tied.any():
            rows = np.flatnonzero(tied)
            probed[rows] = np.argsort(dc[rows], axis=1, kind="stable")[:, :nprobe]
        return probed, dc

    def search(self, xq, k=10, nprobe=1):
        """Find the ``k`` nearest stored vectors of each query among its ``nprobe`` nearest lists.

        Parameters
        ----------
        xq : array-like, shape (m, d) or (d,)
        k : int
            Neighbours per query.
        nprobe : int
            Lists opened per query, 1 <= nprobe <= nlist.

        Returns
        -------
        SearchResult
        """
        xq, k, nprobe = self._check_query(xq, k, nprobe)
        m = xq.shape[0]
        ids = np.full((m, k), -1, dtype=np.int64)
        dist = np.full((m, k), np.inf, dtype=xq.dtype)
        probed = np.empty((m, nprobe), dtype=np.int64)
        # Bound memory for big batches: the (m, nprobe * k) candidate buffers and list blocks.
        step = max(1, chunk_rows(nprobe * k) // 4)
        for start in range(0, m, step):
            stop = min(m, start + step)
            p = self._search_block(xq[start:stop], k, nprobe, ids[start:stop], dist[start:stop])
            probed[start:stop] = p
        n_cand = self.list_sizes[probed].sum(axis=1)
        return SearchResult(
            ids=ids,
            distances=dist,
            probed=probed,
            n_candidates=n_cand,
            n_distance_computations=n_cand + self.nlist,
        )

    def _search_block(self, xq, k, nprobe, out_ids, out_dist):
        """Search a block of queries, grouping the work by list: one matrix product per list."""
        m = xq.shape[0]
        probed, _ = self.coarse(xq, nprobe)
        q_norms = squared_norms(xq)
        # Top-k per (query, probe slot), merged at the end.
        cand_d = np.full((m, nprobe, k), np.inf, dtype=xq.dtype)
        cand_i = np.full((m, nprobe, k), -1, dtype=np.int64)
        for lst, lo, hi, who in self._by_list(probed):
            qi, slot = who // nprobe, who % nprobe
            block = pairwise_sq_l2(xq[qi], self._xb_sorted[lo:hi], q_norms[qi], self._xb_norms[lo:hi])
            keep_top(cand_d, cand_i, qi, slot, block, self.list_ids[lo:hi], k)
        merge_top(cand_d, cand_i, k, out_ids, out_dist)
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

    def trace(self, q, k=10, nprobe=1):
        """Search one query and record every step of it (see :class:`QueryTrace`)."""
        xq, k, nprobe = self._check_query(q, k, nprobe)
        if xq.shape[0] != 1:
            raise InputError(f"trace takes one query vector; got {xq.shape[0]}")
        q = xq[0]
        _, dc = self.coarse(xq, nprobe)
        corder = np.argsort(dc[0], kind="stable")
        probed = corder[:nprobe]
        cand = np.concatenate([self.list_members(l) for l in probed])
        res = self.search(xq, k=k, nprobe=nprobe)
        found = res.ids[0][res.ids[0] >= 0]
        td, ti = exact_knn(self.xb, xq, k, self._xb_norms_by_id)
        true_ids = ti[0]
        rank_of_list = np.empty(self.nlist, dtype=np.int64)
        rank_of_list[corder] = np.arange(1, self.nlist + 1)
        true_lists = self.labels[true_ids].astype(np.int64)
        return QueryTrace(
            query=q.copy(),
            k=k,
            nprobe=nprobe,
            nlist=self.nlist,
            centroid_order=corder,
            centroid_distances=dc[0][corder],
            probed=probed,
            candidate_ids=np.sort(cand),
            result_ids=found,
            result_distances=res.distances[0][: len(found)],
            true_ids=true_ids,
            true_distances=td[0],
            true_lists=true_lists,
            true_list_rank=rank_of_list[true_lists],
            missed_ids=np.setdiff1d(true_ids, found, assume_unique=True),
            n_total=self.ntotal,
        )


def keep_top(cand_d, cand_i, qi, slot, block, ids, k):
    """Store the k best of each row of ``block`` (queries ``qi`` against one list) in its probe slot."""
    top = smallest_k(block, k)
    kk = top.shape[1]
    cand_d[qi, slot, :kk] = np.take_along_axis(block, top, axis=1)
    cand_i[qi, slot, :kk] = ids[top]


def merge_top(cand_d, cand_i, k, out_ids, out_dist):
    """Merge the per-slot candidates (m, nprobe, k) into each query's k best; -1 where none."""
    m = cand_d.shape[0]
    cand_d = cand_d.reshape(m, -1)
    cand_i = cand_i.reshape(m, -1)
    best = smallest_k(cand_d, k)
    out_dist[:] = np.take_along_axis(cand_d, best, axis=1)
    out_ids[:] = np.take_along_axis(cand_i, best, axis=1)
    out_ids[~np.isfinite(out_dist)] = -1


def build_ivf(x, centroids):
    """Build an IVF-Flat index: each vector goes to the list of its nearest centroid.

    Parameters
    ----------
    x : array-like, shape (n, d)
        Vectors to store (``xb``).
    centroids : array-like, shape (nlist, d)
        Coarse quantizer, usually ``train_kmeans(...).centroids``.

    Returns
    -------
    IVFIndex
    """
    xb = as_vectors(x, "x")
    c = as_vectors(centroids, "centroids", dtype=xb.dtype)
    check_same_dim(xb, c, "x", "centroids")
    labels, _ = nearest(xb, c)
    return IVFIndex(xb, np.ascontiguousarray(c), labels)
