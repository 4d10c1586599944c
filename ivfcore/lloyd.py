"""One fused Lloyd pass: every vector's nearest centroid, and every cluster's sum and count.

What it computes is exactly two plain numpy steps (:func:`lloyd_pass_numpy`, the reference
the tests compare with):

1. the assignment of :func:`ivfcore.distances.nearest`: for "l2" the label
   ``argmin_j (x_i . (-2 c_j) + |c_j|^2)`` and the squared distance ``|x_i|^2 +`` that minimum
   (clipped at 0); for "ip" / "cosine" ``argmax_j x_i . c_j`` and that inner product. Ties go
   to the lowest j, as with ``argmin`` / ``argmax``; the same float32 (or float64) sums are
   compared, so the labels are the same;
2. the update's raw material: ``sums[j] = sum of the x_i labelled j`` and ``counts[j]`` = how
   many there are. The sums are accumulated in ``x``'s dtype, as FAISS and scikit-learn do
   (float64 sums moved one near-tied vector away from FAISS's spherical k-means in a test).

How: rows go in blocks. For each block BLAS computes the (rows, k) score block; a small numba
kernel then finds each row's best column while the block is still in cache and adds the row to
its cluster's sum, so the data is read once per iteration and the scores never leave the
cache. Blocks are shared out to one Python thread per core (BLAS and the kernel both release
the interpreter lock), each with one BLAS thread and its own sums, added up at the end: the
way scikit-learn's Lloyd runs (256-row chunks, one thread each), without a second pass for the
sums.
"""


import numba
import numpy as np

from . import blas

# Rows per block: the (k, rows) score block stays near this many floats (256 KB in float32,
# inside a core's L2 cache), between MIN and MAX rows (smaller blocks make BLAS and Python
# slow). Measured, one thread, CPU time per pass: 100k x 128, k = 100: 39 / 38 / 41 / 45 ms at
# 256 / 512 / 1024 / 2048 rows; GloVe 200k x 50, k = 1000: 326 / 296 / 284 / 288 / 360 ms at
# 64 / 128 / 256 / 512 / 1024 rows.
BLOCK_ELEMENTS = 1 << 16
MIN_BLOCK_ROWS = 256
MAX_BLOCK_ROWS = 512
# Below this many rows a second thread is not worth starting.
MIN_ROWS_PER_THREAD = 8192
# Runs of blocks summed separately (see lloyd_pass): at most this many threads share a pass.
SLOTS = 4


@numba.njit(nogil=True, cache=True)
def _block(scores_t, rows, c_norms, l2, x_norms, x, labels, values, best, sums, counts):
    """One block: the best centroid of each row, and the rows added to their clusters' sums.

    The first ``rows`` columns of ``scores_t`` (k, >= rows) hold ``-2 C @ X_block.T`` for
    "l2" (``l2`` True, ``c_norms`` = ``|c_j|^2``, ``x_norms`` = ``|x_i|^2``) or
    ``-C @ X_block.T`` for inner products (``c_norms`` zeros, ``x_norms`` unused), so the
    smallest ``scores_t[j, i] + c_norms[j]`` wins either way. The loop over centroids is
    outermost and the one over rows innermost, so the comparisons run on whole SIMD vectors;
    ``<`` keeps the lowest index on ties, as ``argmin`` does. ``best`` is scratch (rows,);
    ``counts`` of length 0 skips the sums. (Taking the whole buffer, not a view of ``rows``
    columns, keeps one compiled signature.)
    """
    k = scores_t.shape[0]
    for i in range(rows):
        best[i] = scores_t[0, i] + c_norms[0]
        labels[i] = 0
    for j in range(1, k):
        cj = c_norms[j]
        for i in range(rows):
            v = scores_t[j, i] + cj
            if v < best[i]:
                best[i] = v
                labels[i] = j
    for i in range(rows):
        if l2:
            dist = best[i] + x_norms[i]
            values[i] = dist if dist > 0 else 0
        else:
            values[i] = -best[i]
    if counts.shape[0]:
        d = x.shape[1]
        for i in range(rows):
            a = labels[i]
            counts[a] += 1
            for t in range(d):
                sums[a, t] += x[i, t]


def block_rows(k):
    """Rows per block when each row has ``k`` scores (see ``BLOCK_ELEMENTS``)."""
    return int(min(MAX_BLOCK_ROWS, max(MIN_BLOCK_ROWS, BLOCK_ELEMENTS // max(1, k))))


def lloyd_pass(x, c, x_norms=None, *, metric="l2", with_sums=True, threads=None):
    """Nearest centroid of every row of ``x`` and, optionally, every cluster's sum and count.

    Parameters
    ----------
    x : ndarray, shape (n, d), float32 or float64, C-contiguous
    c : ndarray, shape (k, d)
        Centroids (unit rows for "cosine").
    x_norms : ndarray, shape (n,), optional
        ``|x_i|^2`` in ``x``'s dtype ("l2" only; computed when missing).
    metric : {"l2", "ip", "cosine"}
    with_sums : bool
        Also return the sums and counts (False: only the assignment).
    threads : int, optional
        Python threads to share the blocks between (default: one per core).

    Returns
    -------
    labels : ndarray, shape (n,), int64
    values : ndarray, shape (n,), ``x``'s dtype
        Squared distance ("l2") or inner product ("ip", "cosine") to the chosen centroid, as
        :func:`ivfcore.distances.nearest` returns.
    sums : ndarray, shape (k, d), ``x``'s dtype, or None without ``with_sums``
    counts : ndarray, shape (k,), int64, or None without ``with_sums``
    """
    x = np.ascontiguousarray(x)
    n, d = x.shape
    k = c.shape[0]
    l2 = metric == "l2"
    if l2:
        if x_norms is None:
            x_norms = np.einsum("ij,ij->i", x, x)
        cm = np.ascontiguousarray(-2 * c, dtype=x.dtype)  # the -2 folded into the centroids
        c_norms = np.einsum("ij,ij->i", c, c).astype(x.dtype)
    else:
        cm = np.ascontiguousarray(-c, dtype=x.dtype)  # largest inner product = smallest negated
        c_norms = np.zeros(k, dtype=x.dtype)
        x_norms = np.zeros(0, dtype=x.dtype)
    labels = np.empty(n, dtype=np.int64)
    values = np.empty(n, dtype=x.dtype)
    step = block_rows(k)
    starts = range(0, n, step)
    # The blocks are cut into runs of consecutive blocks (their number set by n alone), each
    # summed on its own in block order and the runs added in order: the float sums (so the
    # centroids) are the same whatever the number of threads and however they are scheduled.
    slots = max(1, min(SLOTS, n // MIN_ROWS_PER_THREAD, len(starts)))
    threads = blas.n_threads() if threads is None else max(1, int(threads))
    threads = min(threads, slots)
    cuts = np.linspace(0, len(starts), slots + 1).astype(int)

    def work(slot):
        sums = np.zeros((k, d) if with_sums else (0, 0), dtype=x.dtype)
        counts = np.zeros(k if with_sums else 0, dtype=np.int64)
        buf = np.empty((k, step), dtype=x.dtype)
        best = np.empty(step, dtype=x.dtype)
        for b in range(cuts[slot], cuts[slot + 1]):
            start = starts[b]
            stop = min(n, start + step)
            rows = slice(start, stop)
            np.matmul(cm, x[rows].T, out=buf[:, : stop - start])
            _block(buf, stop - start, c_norms, l2, x_norms[rows] if l2 else x_norms, x[rows],
                   labels[rows], values[rows], best, sums, counts)
        return sums, counts

    with blas.one_thread():
        if threads == 1:
            parts = [work(slot) for slot in range(slots)]
        else:
            parts = list(blas.pool(threads).map(work, range(slots)))
    if not with_sums:
        return labels, values, None, None
    sums, counts = parts[0]
    for s, cnt in parts[1:]:
        sums += s
        counts += cnt
    return labels, values, sums, counts


def lloyd_pass_numpy(x, c, x_norms=None, *, metric="l2"):
    """:func:`lloyd_pass` in plain numpy (the reference): ``nearest``, then one-hot sums."""
    from .distances import nearest

    labels, values = nearest(x, c, x_norms, metric=metric)
    k = c.shape[0]
    counts = np.bincount(labels, minlength=k).astype(np.int64)
    sums = np.zeros((k, x.shape[1]), dtype=x.dtype)
    np.add.at(sums, labels, x)
    return labels, values, sums, counts


