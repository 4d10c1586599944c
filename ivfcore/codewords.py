"""Nearest codeword of each sub-vector, compiled: the inner loop of PQ training and encoding.

For a sub-vector ``x`` (``dsub`` numbers) and a codebook ``c`` (``ksub`` codewords), the
score of codeword ``j`` is ``|c_j|^2 - 2 x . c_j`` (``|x - c_j|^2`` less ``|x|^2``, which
is the same for every codeword), computed in the data's dtype as::

    s = |c_j|^2;  for t in 0 .. dsub-1:  s = s + x[t] * (-2 c_j[t])

with fused multiply-adds where the CPU has them (one rounding per step), and the nearest
codeword is the one of smallest score, the lowest index among equals (what ``np.argmin``
picks). Two kernels:

- :func:`assign_and_sum`: one Lloyd pass of one sub-space's k-means: every row's nearest
  codeword, and per codeword the count and the float64 sum of its rows, added in row order.
- :func:`encode`: the PQ code of every vector, ``m`` nearest codewords per row, of the
  residual ``x - centroids[labels]`` (subtracted in the data's dtype) or of ``x`` itself.

Each row's answer depends on that row alone and every sum is added in row order, so the
results do not depend on how many threads call the kernels. Rows go in blocks of
:data:`BLOCK_ROWS`, with the loop over codewords outside and the block's rows innermost: the
compiler turns the sums and the compare-and-keep of a block into vector instructions.
:func:`numpy_nearest`, :func:`assign_and_sum_numpy` and :func:`encode_numpy` are the same
computations in plain numpy (a product and a sum rounded separately): the references of the
tests, which agree except between codewords whose scores differ by a rounding. Compiled by
numba (``cache=True``: once per checkout).
"""

import numpy as np
from numba import njit

BLOCK_ROWS = 64  # rows compared at once: their best scores stay in vector registers / L1
FASTMATH = {"contract"}  # fused multiply-adds: the sums round once per step, not twice
LANES = 8  # sub-vector dimensions summed per step; dsub is padded with zeros to a multiple


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def _nearest_block(xt, ct2, cn, best, arg, s):
    """Nearest codeword of each column of ``xt`` (dims, BLOCK_ROWS) into ``arg`` (int32).

    ``xt`` and ``ct2`` (dims, k) are zero-padded to a multiple of :data:`LANES` dimensions
    (adding ``0 * 0`` changes no sum); ``best`` and ``s`` are scratch rows. The rows are the
    innermost loop, and with a fixed number of dimensions per step the compiler keeps each
    row's running sum in a vector register.
    """
    p, k = ct2.shape
    for r in range(BLOCK_ROWS):
        best[r] = np.inf
        arg[r] = 0
    for j in range(k):
        c = cn[j]
        if p == LANES:  # the common case (dsub <= 8): sum and compare in one pass
            for r in range(BLOCK_ROWS):
                v = c
                for t in range(LANES):
                    v = v + xt[t, r] * ct2[t, j]
                keep = v < best[r]
                best[r] = v if keep else best[r]
                arg[r] = np.int32(j) if keep else arg[r]
        else:
            for r in range(BLOCK_ROWS):
                v = c
                for t in range(LANES):
                    v = v + xt[t, r] * ct2[t, j]
                s[r] = v
            for t0 in range(LANES, p, LANES):
                for r in range(BLOCK_ROWS):
                    v = s[r]
                    for t in range(t0, t0 + LANES):
                        v = v + xt[t, r] * ct2[t, j]
                    s[r] = v
            for r in range(BLOCK_ROWS):
                keep = s[r] < best[r]
                best[r] = s[r] if keep else best[r]
                arg[r] = np.int32(j) if keep else arg[r]


@njit(nogil=True, cache=True)
def _assign_and_sum(x, ct2, cn, labels, sums, counts):
    n, dsub = x.shape
    xt = np.zeros((ct2.shape[0], BLOCK_ROWS), dtype=x.dtype)
    best = np.empty(BLOCK_ROWS, dtype=x.dtype)
    s = np.empty(BLOCK_ROWS, dtype=x.dtype)
    arg = np.empty(BLOCK_ROWS, dtype=np.int32)
    sums[:] = 0.0
    counts[:] = 0
    for start in range(0, n, BLOCK_ROWS):
        nb = min(BLOCK_ROWS, n - start)
        for r in range(nb):
            for t in range(dsub):
                xt[t, r] = x[start + r, t]
        _nearest_block(xt, ct2, cn, best, arg, s)
        for r in range(nb):
            lab = arg[r]
            labels[start + r] = lab
            counts[lab] += 1
            for t in range(dsub):
                sums[lab, t] += x[start + r, t]


@njit(nogil=True, cache=True)
def _encode(x, centroids, labels, ct2, cn, by_residual, codes, start, stop):
    m, p, k = ct2.shape
    dsub = x.shape[1] // m
    xt = np.zeros((p, BLOCK_ROWS), dtype=x.dtype)
    best = np.empty(BLOCK_ROWS, dtype=x.dtype)
    s = np.empty(BLOCK_ROWS, dtype=x.dtype)
    arg = np.empty(BLOCK_ROWS, dtype=np.int32)
    for b0 in range(start, stop, BLOCK_ROWS):
        nb = min(BLOCK_ROWS, stop - b0)
        for j in range(m):
            for r in range(nb):
                i = b0 + r
                for t in range(dsub):
                    v = x[i, j * dsub + t]
                    if by_residual:
                        v = v - centroids[labels[i], j * dsub + t]
                    xt[t, r] = v
            _nearest_block(xt, ct2[j], cn[j], best, arg, s)
            for r in range(nb):
                codes[b0 + r, j] = arg[r]


def _tables(c):
    """``-2 c^T`` (dims, k), zero-padded to a multiple of LANES dims, and ``|c|^2`` (k,)."""
    k, dsub = c.shape
    ct2 = np.zeros((-(-dsub // LANES) * LANES, k), dtype=c.dtype)
    ct2[:dsub] = c.T * c.dtype.type(-2)
    return ct2, np.einsum("kd,kd->k", c, c)


def assign_and_sum(x, c):
    """One Lloyd pass of one sub-space: nearest codewords, and counts and sums per codeword.

    Parameters
    ----------
    x : ndarray, shape (n, dsub), C-contiguous, float32 or float64
        Training sub-vectors.
    c : ndarray, shape (k, dsub), same dtype
        Current codewords.

    Returns
    -------
    labels : ndarray of int64, shape (n,)
        Nearest codeword of each row (lowest index among equal scores).
    sums : ndarray of float64, shape (k, dsub)
        Sum of the rows of each codeword, added in row order.
    counts : ndarray of int64, shape (k,)
    """
    ct2, cn = _tables(c)
    labels = np.empty(x.shape[0], dtype=np.int64)
    sums = np.empty(c.shape, dtype=np.float64)
    counts = np.empty(c.shape[0], dtype=np.int64)
    _assign_and_sum(x, ct2, cn, labels, sums, counts)
    return labels, sums, counts


def encode(x, centroids, labels, codebooks, by_residual, codes, start, stop):
    """PQ codes of rows ``start:stop`` of ``x``, written into ``codes[start:stop]``.

    Parameters
    ----------
    x : ndarray, shape (n, d), C-contiguous
    centroids : ndarray, shape (nlist, d), same dtype
        Coarse centroids; ``labels`` (int64, (n,)) is each row's list. Read only when
        ``by_residual``.
    codebooks : ndarray, shape (m, ksub, dsub), same dtype, ``m * dsub == d``
    by_residual : bool
        Encode ``x - centroids[labels]`` instead of ``x``.
    codes : ndarray of uint8, shape (n, m)
        Output; rows outside ``start:stop`` are left alone (callers split rows over threads).
    """
    tables = [_tables(c) for c in codebooks]
    ct2 = np.stack([t[0] for t in tables])
    cn = np.stack([t[1] for t in tables])
    _encode(x, centroids, labels, ct2, cn, bool(by_residual), codes, int(start), int(stop))


def numpy_nearest(x, c):
    """:func:`assign_and_sum`'s labels in plain numpy, with the same rounding: the reference."""
    ct2, cn = _tables(c)
    s = np.broadcast_to(cn, (x.shape[0], c.shape[0])).copy()
    for t in range(c.shape[1]):  # the padded dimensions add exactly 0
        s += x[:, t : t + 1] * ct2[t]
    return np.argmin(s, axis=1)


def assign_and_sum_numpy(x, c):
    """:func:`assign_and_sum` in plain numpy: the reference for the tests."""
    labels = numpy_nearest(x, c)
    sums = np.zeros(c.shape, dtype=np.float64)
    np.add.at(sums, labels, x.astype(np.float64))
    return labels, sums, np.bincount(labels, minlength=c.shape[0]).astype(np.int64)


def encode_numpy(x, centroids, labels, codebooks, by_residual):
    """All of :func:`encode`'s codes, (n, m) uint8, in plain numpy: the reference for the tests."""
    m, ksub, dsub = codebooks.shape
    r = x - centroids[labels] if by_residual else x
    return np.stack([numpy_nearest(r[:, j * dsub : (j + 1) * dsub], codebooks[j]) for j in range(m)],
                    axis=1).astype(np.uint8)
