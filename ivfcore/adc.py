"""The ADC scan of IVF-PQ as one compiled loop: table look-ups summed over uint8 codes, top k kept.

For each query ``i`` and each list ``l = probed[i, p]`` it opens (``-1``: none), the score of
the stored vector at list-ordered position ``e`` is::

    base[i, p] + sum_j (query_tables[j, i, codes[e, j]] + list_tables[l, j, codes[e, j]])

(the ``list_tables`` term only when they are given, the terms added in that order in the
tables' dtype), and the ``k`` smallest scores of each query are kept with their ``ids[e]``,
then clipped at 0 when ``clip``. Smaller is nearer. Equal scores
keep the one met first: lower probe slot, then earlier in the list (what sorting the
per-list blocks stably and merging them by slot gives). ``allowed`` (list-ordered, empty for
no filter) skips vectors that may not be results.

:meth:`ivfcore.IVFPQIndex._search_block` fills the tables (see :mod:`ivfcore.pq`); this
module only scans. :func:`adc_topk_numpy` is the same computation in plain numpy, for the
tests. Compiled with numba (cached on disk), one thread per block of queries.
"""

import numpy as np
from numba import njit, prange

_QUERIES_PER_TASK = 8  # queries one thread scans in a row (their tables stay in cache)


@njit(nogil=True, cache=True, parallel=True)
def _scan(query_tables, list_tables, base, probed, codes, offsets, ids, allowed, k, out_d, out_i):
    nq, nprobe = probed.shape
    m, ksub = query_tables.shape[0], query_tables.shape[2]
    per_list = list_tables.shape[0] > 0
    filtered = allowed.shape[0] > 0
    n_tasks = (nq + _QUERIES_PER_TASK - 1) // _QUERIES_PER_TASK
    for task in prange(n_tasks):
        tab = np.empty((m, ksub), dtype=query_tables.dtype)
        best_d = np.empty(k, dtype=out_d.dtype)
        best_i = np.empty(k, dtype=np.int64)
        for i in range(task * _QUERIES_PER_TASK, min(nq, (task + 1) * _QUERIES_PER_TASK)):
            best_d[:] = np.inf
            best_i[:] = -1
            for p in range(nprobe):
                lst = probed[i, p]
                if lst < 0:
                    continue
                if per_list:
                    for j in range(m):
                        for c in range(ksub):
                            tab[j, c] = query_tables[j, i, c] + list_tables[lst, j, c]
                else:
                    tab[:, :] = query_tables[:, i]
                b = base[i, p]
                for e in range(offsets[lst], offsets[lst + 1]):
                    if filtered and not allowed[e]:
                        continue
                    s = b
                    for j in range(m):
                        s += tab[j, codes[e, j]]
                    if s < best_d[k - 1]:
                        pos = k - 1
                        while pos > 0 and best_d[pos - 1] > s:
                            best_d[pos] = best_d[pos - 1]
                            best_i[pos] = best_i[pos - 1]
                            pos -= 1
                        best_d[pos] = s
                        best_i[pos] = ids[e]
            out_d[i, :] = best_d
            out_i[i, :] = best_i


def adc_topk(query_tables, list_tables, base, probed, codes, offsets, ids, allowed, k, clip):
    """The ``k`` best ADC scores of each query over its probed lists (see the module docstring).

    Parameters
    ----------
    query_tables : ndarray, shape (m, nq, ksub)
        Each query's own table (sub-space first: how one matrix product per sub-space makes them).
    list_tables : ndarray, shape (nlist, m, ksub) or None
        A table per list added to the query's (FAISS's precomputed residual terms).
    base : ndarray, shape (nq, nprobe)
        Score added once per (query, probed list).
    probed : ndarray of int64, shape (nq, nprobe)
        Lists to scan; -1 is skipped.
    codes : ndarray of uint8, shape (ntotal, m)
        Codes in list order (list ``l`` holds rows ``offsets[l]:offsets[l + 1]``).
    offsets : ndarray of int64, shape (nlist + 1,)
    ids : ndarray of int64, shape (ntotal,)
        Vector id of each list-ordered row.
    allowed : ndarray of bool, shape (ntotal,) or None
        List-ordered filter; None scans every vector.
    k : int
    clip : bool
        Clip the kept scores at 0 (squared distances whose sum of terms rounds below 0).

    Returns
    -------
    scores : ndarray, shape (nq, k), ``query_tables``' dtype; ``inf`` where fewer than k
    ids : ndarray of int64, shape (nq, k); -1 where fewer than k
    """
    nq = probed.shape[0]
    dtype = query_tables.dtype
    m, ksub = query_tables.shape[0], query_tables.shape[2]
    out_d = np.empty((nq, k), dtype=dtype)
    out_i = np.empty((nq, k), dtype=np.int64)
    lt = np.empty((0, m, ksub), dtype=dtype) if list_tables is None else np.ascontiguousarray(list_tables, dtype=dtype)
    al = np.empty(0, dtype=np.bool_) if allowed is None else np.ascontiguousarray(allowed, dtype=np.bool_)
    _scan(np.ascontiguousarray(query_tables), lt, np.ascontiguousarray(base, dtype=dtype),
          np.ascontiguousarray(probed, dtype=np.int64), codes, offsets, ids, al, int(k), out_d, out_i)
    if clip:
        np.maximum(out_d, 0, out=out_d)
    return out_d, out_i


def adc_topk_numpy(query_tables, list_tables, base, probed, codes, offsets, ids, allowed, k, clip):
    """:func:`adc_topk` in plain numpy, one (query, list) at a time: the reference for tests."""
    nq, nprobe = probed.shape
    m = codes.shape[1]
    out_d = np.full((nq, k), np.inf, dtype=query_tables.dtype)
    out_i = np.full((nq, k), -1, dtype=np.int64)
    for i in range(nq):
        scores, found = [], []
        for p in range(nprobe):
            lst = probed[i, p]
            if lst < 0:
                continue
            tab = query_tables[:, i] + (0 if list_tables is None else list_tables[lst])
            rows = np.arange(offsets[lst], offsets[lst + 1])
            if allowed is not None:
                rows = rows[allowed[rows]]
            s = np.full(len(rows), base[i, p], dtype=query_tables.dtype)
            for j in range(m):  # term by term, in the compiled loop's order
                s += tab[j, codes[rows, j]]
            scores.append(s)
            found.append(ids[rows])
        if scores:
            s, f = np.concatenate(scores), np.concatenate(found)
            top = np.argsort(s, kind="stable")[:k]
            out_d[i, : len(top)], out_i[i, : len(top)] = s[top], f[top]
    if clip:
        np.maximum(out_d, 0, out=out_d)
    return out_d, out_i
