"""Compiled (numba) kernels of the search: scanning inverted lists and keeping a running top-k.

What they compute is exactly what the plain numpy code computes, score by score:

- the *score* of query ``q`` against stored vector ``x`` (smaller is nearer, as
  :func:`ivfcore.distances.pairwise_scores`): for "l2" ``max(-2 (q . x) + |q|^2 + |x|^2, 0)``
  in the data's float type, in that order of operations; for "ip" / "cosine" ``-(q . x)``;
- each query's ``k`` best (score, id) pairs, ascending, equal scores lowest id first, padded
  with ``(inf, -1)``; a vector whose score is ``inf`` (filtered out) is never kept.

The index stores each list's vectors *transposed*, as one (d, n) block (:func:`list_blocks`):
one query's inner products with a whole list are then d passes of a multiply-add over the
list's columns, which run in SIMD lanes at any d (a row-by-row dot product of d = 50 left most
of each row to a scalar tail), each sum taken in the order of the dimensions.

:func:`scan_lists` goes list by list: every query that opened a list is scanned while the list
is in the core's cache (at nprobe 5 on GloVe 400k each list is read once instead of five
times, which halved the time), the lists split between the threads by work, each thread with
its own top-k per query, merged at the end; the answer does not depend on the split.
:func:`push_block` folds one matrix product (the queries that opened a list against the list,
computed by BLAS) into the running top-k, which wins when many queries share each list of
wide vectors, and for exact search. Tested against the numpy version in ``tests/test_scan.py``.
Compiled once and cached on disk (``cache=True``).
"""

import numpy as np
import numba
from numba import njit, prange

# Fused multiply-add only: no reassociation (each sum runs in the order of the dimensions,
# the SIMD lanes run over vectors), no "no-infs" / "no-nans", since inf marks padding and
# filtered vectors.
_FMA = {"contract"}

# Fewer rows (queries) than this run on the calling thread: waking a second thread costs
# more than a single query's scan, and on a loaded machine much more (measured: a one-query
# trace 1 ms on one thread, 50-70 ms through numba's thread pool at load 20 on 2 cores).
PARALLEL_MIN_ROWS = 32


def list_blocks(xs, offsets):
    """Each list's vectors as one transposed (d, n_list) block, blocks in list order, flat.

    ``xs`` (n, d) holds the vectors in list order (CSR ``offsets``); list ``l`` becomes
    ``out[offsets[l] * d : offsets[l + 1] * d].reshape(d, n_l)``, whose column ``j`` is
    ``xs[offsets[l] + j]``. What :func:`scan_lists` and the index's per-list products read.
    """
    d = xs.shape[1]
    out = np.empty(xs.shape[0] * d, dtype=xs.dtype)
    for lst in range(len(offsets) - 1):
        lo, hi = int(offsets[lst]), int(offsets[lst + 1])
        if hi > lo:
            out[lo * d : hi * d].reshape(d, hi - lo)[...] = xs[lo:hi].T
    return out


def list_block(xt, offsets, lst, d):
    """The (d, n_l) block of list ``lst`` in :func:`list_blocks`' layout (a view)."""
    lo, hi = int(offsets[lst]), int(offsets[lst + 1])
    return xt[lo * d : hi * d].reshape(d, hi - lo)


@njit(fastmath=_FMA)
def _list_dots(q, xt, lo, hi, acc):
    """``acc[j] = q . x_j`` for the vectors ``lo <= j < hi`` of one list block, in order of t."""
    d = q.shape[0]
    n = hi - lo
    blk = xt[lo * d : hi * d].reshape((d, n))
    q0 = q[0]
    row = blk[0]
    for j in range(n):
        acc[j] = q0 * row[j]
    for t in range(1, d):
        qt = q[t]
        row = blk[t]
        for j in range(n):
            acc[j] += qt * row[j]


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
def _fold_list(acc, lo, hi, qn, xs_norms, list_ids, l2, allowed, bd, bi):
    """Fold one query's inner products ``acc`` with the vectors ``lo:hi`` into its top-k (bd, bi)."""
    filt = allowed.shape[0] > 0
    last = bd.shape[0] - 1
    for j in range(hi - lo):
        if filt and not allowed[lo + j]:
            continue
        s = acc[j]
        if l2:
            v = s * -2
            v = v + qn
            v = v + xs_norms[lo + j]
            if v < 0:
                v = v * 0
        else:
            v = -s
        vid = list_ids[lo + j]
        if v < bd[last] or (v == bd[last] and vid < bi[last]):
            _insert(bd, bi, v, vid)


@njit(nogil=True)
def _group(probed, nlist):
    """Who opened each list: ``who[starts[l]:starts[l + 1]]`` are the queries (ascending) that probe ``l``."""
    starts = np.zeros(nlist + 1, dtype=np.int64)
    for i in range(probed.shape[0]):
        for p in range(probed.shape[1]):
            if probed[i, p] >= 0:
                starts[probed[i, p] + 1] += 1
    for lst in range(nlist):
        starts[lst + 1] += starts[lst]
    who = np.empty(starts[nlist], dtype=np.int64)
    fill = starts[:nlist].copy()
    for i in range(probed.shape[0]):
        for p in range(probed.shape[1]):
            lst = probed[i, p]
            if lst >= 0:
                who[fill[lst]] = i
                fill[lst] += 1
    return starts, who


@njit(nogil=True)
def _widest(offsets, starts):
    """The most vectors in any opened list (the size of a scratch row of inner products)."""
    widest = 1
    for lst in range(offsets.shape[0] - 1):
        if starts[lst + 1] > starts[lst]:
            widest = max(widest, offsets[lst + 1] - offsets[lst])
    return widest


@njit(nogil=True)
def _scan_range(l0, l1, xq, q_norms, xt, xs_norms, offsets, list_ids, starts, who, l2, allowed,
                out_d, out_i, acc):
    """Lists ``l0 <= l < l1``: each scanned for every query that opened it, while it is in cache."""
    for lst in range(l0, l1):
        lo = offsets[lst]
        hi = offsets[lst + 1]
        if hi == lo:
            continue
        for w in range(starts[lst], starts[lst + 1]):
            qi = who[w]
            _list_dots(xq[qi], xt, lo, hi, acc)
            qn = q_norms[qi] if l2 else acc[0] * 0
            _fold_list(acc, lo, hi, qn, xs_norms, list_ids, l2, allowed, out_d[qi], out_i[qi])


@njit(nogil=True, cache=True)
def _scan_serial(xq, q_norms, xt, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i):
    nlist = offsets.shape[0] - 1
    starts, who = _group(probed, nlist)
    acc = np.empty(_widest(offsets, starts), dtype=xq.dtype)
    _scan_range(0, nlist, xq, q_norms, xt, xs_norms, offsets, list_ids, starts, who, l2, allowed,
                out_d, out_i, acc)


@njit(nogil=True)
def _cuts(offsets, starts, parts):
    """Split the lists into ``parts`` consecutive ranges of about equal work (vectors x queries)."""
    nlist = offsets.shape[0] - 1
    run = np.zeros(nlist + 1, dtype=np.float64)
    for lst in range(nlist):
        run[lst + 1] = run[lst] + (offsets[lst + 1] - offsets[lst]) * (starts[lst + 1] - starts[lst])
    cuts = np.empty(parts + 1, dtype=np.int64)
    cuts[0] = 0
    cuts[parts] = nlist
    lst = 0
    for t in range(1, parts):
        goal = run[nlist] * t / parts
        while lst < nlist and run[lst + 1] <= goal:
            lst += 1
        cuts[t] = lst
    return cuts


@njit(parallel=True, cache=True)
def _scan_parallel(xq, q_norms, xt, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i, parts):
    nlist = offsets.shape[0] - 1
    starts, who = _group(probed, nlist)
    cuts = _cuts(offsets, starts, parts)
    widest = _widest(offsets, starts)
    m, k = out_d.shape
    part_d = np.full((parts, m, k), np.inf, dtype=out_d.dtype)
    part_i = np.full((parts, m, k), -1, dtype=np.int64)
    for t in prange(parts):
        acc = np.empty(widest, dtype=xq.dtype)
        _scan_range(cuts[t], cuts[t + 1], xq, q_norms, xt, xs_norms, offsets, list_ids, starts, who, l2,
                    allowed, part_d[t], part_i[t], acc)
    for qi in prange(m):  # each part's top-k is the top-k of its lists: merge them into the answer
        bd = out_d[qi]
        bi = out_i[qi]
        last = k - 1
        for t in range(parts):
            for e in range(k):
                v = part_d[t, qi, e]
                vid = part_i[t, qi, e]
                if vid < 0:
                    break
                if v < bd[last] or (v == bd[last] and vid < bi[last]):
                    _insert(bd, bi, v, vid)


def scan_lists(xq, q_norms, xt, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i):
    """Each query's top-k over the stored vectors of its probed lists, into ``out_d`` / ``out_i``.

    ``xt`` holds the lists' transposed blocks (:func:`list_blocks`); ``xs_norms`` / ``allowed``
    are in list order (CSR ``offsets``; ``list_ids`` maps a position to the vector's id);
    ``probed`` (m, w) may hold -1 (no list). ``allowed`` of length 0 means no filter;
    ``q_norms`` is used for "l2" (``l2`` True) only. ``out_d`` / ``out_i`` (m, k) hold each
    query's running top-k (filled (inf, -1) by the caller for a fresh search). From
    :data:`PARALLEL_MIN_ROWS` queries on the lists are split between numba's threads (one
    query, the app's click, stays on its thread).
    """
    if xq.shape[0] >= PARALLEL_MIN_ROWS:
        _scan_parallel(xq, q_norms, xt, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i,
                       numba.get_num_threads())
    else:
        _scan_serial(xq, q_norms, xt, xs_norms, offsets, list_ids, probed, l2, allowed, out_d, out_i)


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
    if k == 1:  # argmin keeps the first of equal values too; no thread to wake (nprobe 1)
        return np.argmin(d, axis=1).astype(np.int64)[:, None]
    out_d = np.empty((d.shape[0], k), dtype=d.dtype)
    out_i = np.empty((d.shape[0], k), dtype=np.int64)
    kernel = _smallest_parallel if d.shape[0] >= PARALLEL_MIN_ROWS else _smallest_serial
    kernel(np.ascontiguousarray(d), out_d, out_i)
    return out_i
