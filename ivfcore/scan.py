"""Compiled (numba) kernels of the search: scanning inverted lists and keeping a running top-k.

What they compute is exactly what the plain numpy code computes, score by score:

- the *score* of query ``q`` against stored vector ``x`` (smaller is nearer, as
  :func:`ivfcore.distances.pairwise_scores`): for "l2" ``max(-2 (q . x) + |q|^2 + |x|^2, 0)``
  in the data's float type, in that order of operations; for "ip" / "cosine" ``-(q . x)``;
- each query's ``k`` best (score, id) pairs, ascending, equal scores lowest id first, padded
  with ``(inf, -1)``; a vector whose score is ``inf`` (filtered out) is never kept.

:func:`scan_lists` does it per query (each query walks its probed lists; queries in parallel),
which wins when few queries share a list; :func:`push_block` folds one matrix product (the
queries that opened a list against the list, computed by BLAS) into the running top-k, which
wins when many queries share each list and for exact search. Tested against the numpy version
in ``tests/test_scan.py``. Compiled once and cached on disk (``cache=True``).
"""

import numpy as np
from numba import njit, prange

# Only reassociation (so the dot product runs in SIMD lanes) and fused multiply-add: no
# "no-infs" / "no-nans" flags, since inf marks padding and filtered vectors.
_FAST = {"reassoc", "contract"}

# Fewer rows (queries) than this run on the calling thread: waking a second thread costs
# more than a single query's scan, and on a loaded machine much more (measured: a one-query
# trace 1 ms on one thread, 50-70 ms through numba's thread pool at load 20 on 2 cores).
PARALLEL_MIN_ROWS = 32


@njit(fastmath=_FAST)
def _dot(a, b):
    s = a[0] * b[0]
    for t in range(1, a.shape[0]):
        s += a[t] * b[t]
    return s


@njit(nogil=True)
def _insert(bd, bi, v, vid):
    """Insert (v, vid), known to beat the last entry, into the sorted top-k (bd, bi).

    Callers test ``v < bd[-1] or (v == bd[-1] and vid < bi[-1])`` themselves: that test runs
    for every candidate and must stay in the caller's loop (an inlined call taking the arrays
    made the loop 20x slower with numba's reference counting).
    """
    pos = bd.shape[0] - 1
    while pos > 0 and (bd[pos - 1] > v or (bd[pos - 1] == v and bi[pos - 1] > vid)):
        bd[pos] = bd[pos - 1]
        bi[pos] = bi[pos - 1]
        pos -= 1
    bd[pos] = v
    bi[pos] = vid


@njit(nogil=True)
def _scan_one(qi, xq, q_norms, xs, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i):
    """One query of :func:`scan_lists`."""
    filt = allowed.shape[0] > 0
    q = xq[qi]
    qn = q_norms[qi] if l2 else q[0] * 0
    bd = out_d[qi]
    bi = out_i[qi]
    last = bd.shape[0] - 1
    for p in range(probed.shape[1]):
        lst = probed[qi, p]
        if lst < 0:
            continue
        for j in range(offsets[lst], offsets[lst + 1]):
            if filt and not allowed[j]:
                continue
            s = _dot(q, xs[j])
            if l2:
                v = s * -2
                v = v + qn
                v = v + xs_norms[j]
                if v < 0:
                    v = v * 0
            else:
                v = -s
            if v < bd[last] or (v == bd[last] and list_ids[j] < bi[last]):
                _insert(bd, bi, v, list_ids[j])


@njit(nogil=True, cache=True)
def _scan_serial(xq, q_norms, xs, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i):
    for qi in range(xq.shape[0]):
        _scan_one(qi, xq, q_norms, xs, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i)


@njit(parallel=True, cache=True)
def _scan_parallel(xq, q_norms, xs, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i):
    for qi in prange(xq.shape[0]):
        _scan_one(qi, xq, q_norms, xs, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i)


def scan_lists(xq, q_norms, xs, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i):
    """Each query's top-k over the stored vectors of its probed lists, into ``out_d`` / ``out_i``.

    ``xs`` / ``xs_norms`` / ``allowed`` are in list order (CSR ``offsets``; ``list_ids`` maps
    a position to the vector's id); ``probed`` (m, w) may hold -1 (no list). ``allowed`` of
    length 0 means no filter; ``q_norms`` is used for "l2" (``l2`` True) only. ``out_d`` /
    ``out_i`` (m, k) are filled (inf, -1) by the caller. Queries run in parallel from
    :data:`PARALLEL_MIN_ROWS` queries on (one query, the app's click, stays on its thread).
    """
    kernel = _scan_parallel if xq.shape[0] >= PARALLEL_MIN_ROWS else _scan_serial
    kernel(xq, q_norms, xs, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i)


@njit(nogil=True)
def _fold_row(row, qn, b_norms, ids, l2, allowed, bd, bi):
    filt = allowed.shape[0] > 0
    last = bd.shape[0] - 1
    if l2:
        for j in range(row.shape[0]):
            if filt and not allowed[j]:
                continue
            v = row[j] * -2
            v = v + qn
            v = v + b_norms[j]
            if v < 0:
                v = v * 0
            if v < bd[last] or (v == bd[last] and ids[j] < bi[last]):
                _insert(bd, bi, v, ids[j])
    else:
        for j in range(row.shape[0]):
            if filt and not allowed[j]:
                continue
            v = -row[j]
            if v < bd[last] or (v == bd[last] and ids[j] < bi[last]):
                _insert(bd, bi, v, ids[j])


@njit(nogil=True, cache=True)
def push_block(ip, rows, q_norms, b_norms, ids, l2, allowed, out_d, out_i):
    """Fold a block of inner products ``ip`` (r, n) into the running top-k of queries ``rows``.

    Row ``i`` of ``ip`` is query ``rows[i]`` against the vectors ``ids`` (n,) whose squared
    norms are ``b_norms`` (used for "l2"; ``q_norms`` indexed by query). ``allowed`` (n,)
    masks the columns (length 0: no filter). Serial: called once per list, where starting
    threads would cost more than it saves.
    """
    for r in range(ip.shape[0]):
        qi = rows[r]
        qn = q_norms[qi] if l2 else ip[r, 0] * 0
        _fold_row(ip[r], qn, b_norms, ids, l2, allowed, out_d[qi], out_i[qi])


@njit(nogil=True)
def _push_row(r, ip, q_norms, b_norms, ids, l2, out_d, out_i):
    qn = q_norms[r] if l2 else ip[r, 0] * 0
    _fold_row(ip[r], qn, b_norms, ids, l2, np.empty(0, dtype=np.bool_), out_d[r], out_i[r])


@njit(nogil=True, cache=True)
def push_rows(ip, q_norms, b_norms, ids, l2, out_d, out_i):
    """:func:`push_block` for consecutive rows (row ``i`` is query ``i``, no filter): exact search.

    On the calling thread (exact search runs its own threads, one per block of queries).
    """
    for r in range(ip.shape[0]):
        _push_row(r, ip, q_norms, b_norms, ids, l2, out_d, out_i)




@njit(nogil=True)
def _smallest_row(r, d, out_d, out_i):
    k = out_d.shape[1]
    bd = out_d[r]
    bi = out_i[r]
    for j in range(k):  # the first k columns, sorted, seed the top-k
        bd[j] = d[r, j]
        bi[j] = j
        pos = j
        while pos > 0 and bd[pos - 1] > bd[pos]:
            bd[pos - 1], bd[pos] = bd[pos], bd[pos - 1]
            bi[pos - 1], bi[pos] = bi[pos], bi[pos - 1]
            pos -= 1
    last = k - 1
    for j in range(k, d.shape[1]):
        v = d[r, j]
        if v < bd[last] or (v == bd[last] and j < bi[last]):
            _insert(bd, bi, v, j)


@njit(nogil=True, cache=True)
def _smallest_serial(d, out_d, out_i):
    for r in range(d.shape[0]):
        _smallest_row(r, d, out_d, out_i)


@njit(parallel=True, cache=True)
def _smallest_parallel(d, out_d, out_i):
    for r in prange(d.shape[0]):
        _smallest_row(r, d, out_d, out_i)


def smallest_per_row(d, k):
    """Column indices of the ``k`` smallest entries of each row of ``d`` (k <= its width), ascending.

    Equal values go lowest column first: the first ``k`` columns of a stable argsort.
    """
    out_d = np.empty((d.shape[0], k), dtype=d.dtype)
    out_i = np.empty((d.shape[0], k), dtype=np.int64)
    kernel = _smallest_parallel if d.shape[0] >= PARALLEL_MIN_ROWS else _smallest_serial
    kernel(np.ascontiguousarray(d), out_d, out_i)
    return out_i
