"""IVF-PQ: inverted lists that store short codes instead of the vectors themselves.

Each vector still goes to the list of its nearest coarse centroid, exactly as in IVF-Flat.
What the list stores is a product-quantization (PQ) code: the vector (or, by default, its
*residual* ``x - centroid``) is cut into ``m`` sub-vectors of ``d / m`` dimensions, and each
sub-vector is replaced by the index of its nearest codeword in that sub-space's codebook of
``2**nbits`` codewords. A vector then costs ``m * nbits / 8`` bytes instead of ``4 d``.

Search uses asymmetric distance computation (ADC): the query stays exact; for each probed
list it fills a lookup table ``(m, 2**nbits)`` of squared distances between its (residual)
sub-vectors and every codeword, and the distance to a coded vector is the sum of its ``m``
table entries. That sum is exactly the squared distance from the query to the vector's
reconstruction, so the answers are approximate in two ways: the lists not probed (as in
IVF-Flat) and the quantization of the vectors in the lists that were.

Under the metrics "ip" and "cosine" (:mod:`ivfcore.metrics`; "cosine" stores unit-length
vectors and normalises queries) the lists are those of the largest inner product, and ADC
uses FAISS's decomposition for inner products: with residual codes,
``q . (c + r) = q . c + q . r``, so the table holds ``q``'s sub-vectors' inner products with
every codeword (the same table for every list) and each list adds its ``q . c``, which the
coarse step has already computed. The codebooks are trained by squared L2 on the residuals,
as FAISS's ``ProductQuantizer`` does whatever the index's metric.

The codebooks are trained by Lloyd's k-means, one run per sub-space (in parallel threads), on
at most 256 vectors per codeword, as FAISS's ``ProductQuantizer`` does with its own k-means;
its passes and the encoding of every vector are the compiled loops of :mod:`ivfcore.codewords`.
For L2 with residuals the search splits each table as FAISS does (``use_precomputed_table``):
a part per list, computed once with the index, plus a part per query; the scan itself, table
look-ups summed over the codes of every probed list, is the compiled loop of
:mod:`ivfcore.adc`.
"""

import os
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np

from ._random import as_generator
from ._validation import as_count, as_vectors, check_same_dim
from .distances import chunk_rows, nearest
from .errors import InputError
from .ivf import IVFIndex, _stack_padded
from .kmeans import INITS, MIN_POINTS_PER_CENTROID, train_kmeans
from .metrics import check_metric, prepare, to_reported

MAX_NBITS = 8  # codes are stored one uint8 per sub-vector
# FAISS's default cap on training points per centroid (ClusteringParameters.max_points_per_centroid):
# more adds time, not accuracy.
MAX_POINTS_PER_CODEWORD = 256
KMEANS_TOL = 1e-4  # train_kmeans's default: stop once the codebook moves less than this
# Threads that train codebooks (one sub-space each) and encode row chunks: numpy's matrix
# products and argmin release the interpreter lock.
BUILD_THREADS = max(1, min(4, os.cpu_count() or 1))
ENCODE_ROWS = 8192  # rows per encoding task (tasks shared by the threads)
ID_BYTES = 8  # an inverted list also stores one int64 id per vector (as FAISS)
# Largest (nlist, m, ksub) per-list table kept with an index (FAISS's precomputed table): 32 MB
# in float32; above it, each search block computes the tables of the lists it opens.
LIST_TABLE_ELEMENTS = 1 << 23


class IVFPQIndex(IVFIndex):
    """Inverted lists of PQ codes, searched with asymmetric distance computation (ADC).

    ``search`` and ``trace`` are inherited: their ``distances`` / ``result_distances`` are
    ADC estimates (the exact squared distance from the query to each candidate's
    reconstruction, see :meth:`reconstruct`; under "ip" / "cosine" the exact inner product
    of the query with it), while ``trace``'s true neighbours are exact,
    found by brute force over the original vectors ``xb``, which the index keeps a reference
    to for that purpose only. ``missed_ids`` then counts both losses: neighbours in lists not
    probed, and neighbours out-ranked because of quantization.

    Built by :func:`build_ivfpq`. The list structure (``nlist``, ``list_sizes``,
    ``list_offsets``, ``list_ids``, ``labels``, ``centroids``, :meth:`list_members`) and the
    coarse step (:meth:`coarse`) are those of :class:`~ivfcore.IVFIndex`: the same vectors
    and centroids give the same lists. Only the scan of a list differs.

    Attributes
    ----------
    m : int
        Sub-quantizers (sub-vectors per vector).
    nbits : int
        Bits per sub-vector code; each codebook holds ``ksub = 2**nbits`` codewords.
    dsub : int
        Dimensions per sub-vector, ``d // m``.
    by_residual : bool
        Whether the codes encode ``x - centroids[labels]`` (True) or ``x`` itself.
    codebooks : ndarray, shape (m, ksub, dsub)
        Codeword ``c`` of sub-space ``j`` is ``codebooks[j, c]``.
    codes : ndarray of uint8, shape (ntotal, m)
        Code of every vector, by vector id.
    n_train : int
        Vectors the codebooks were trained on (by default at most ``256 * ksub``, sampled with
        the seed; see :func:`build_ivfpq`'s ``max_points_per_centroid``).
    warnings : tuple of str
        Messages from training the codebooks (e.g. few training vectors per codeword).
    xb : ndarray, shape (ntotal, d)
        A reference to the original vectors. Plain search never reads it; it is kept so that
        :meth:`trace` can report the exact neighbours (and recall),
        :meth:`reconstruction_error` can compare, and ``search(..., refine=r)`` can re-rank
        (FAISS's ``IndexRefineFlat`` keeps them for that, at :attr:`refine_bytes`).
    """

    _stores_vectors = False  # IVF-Flat's list-ordered copy of the vectors is what codes replace

    def __init__(self, xb, centroids, labels, codebooks, codes, by_residual, nbits, n_train, warnings=(),
                 metric="l2"):
        super().__init__(xb, centroids, labels, metric)
        self.codebooks = codebooks
        self.codes = codes
        self.by_residual = bool(by_residual)
        self.nbits = int(nbits)
        self.m, self.ksub, self.dsub = codebooks.shape
        self.n_train = int(n_train)
        self.warnings = tuple(warnings)
        # Codes in list order, (ntotal, m): a list scan reads one contiguous run.
        self._codes_sorted = np.ascontiguousarray(codes[self.list_ids])
        self._cb_t = np.ascontiguousarray(codebooks.transpose(0, 2, 1))  # (m, dsub, ksub)
        self._cb_norms = np.einsum("jkd,jkd->jk", codebooks, codebooks)  # (m, ksub)
        # FAISS's precomputed table: every list's part of the L2 residual tables, when small
        self._all_list_tables = None
        if self.by_residual and self.metric == "l2" and self.nlist * self.m * self.ksub <= LIST_TABLE_ELEMENTS:
            self._all_list_tables = self._list_tables(np.arange(self.nlist))

    @property
    def bytes_per_vector(self):
        """Bytes of one code, ``ceil(m * nbits / 8)`` (FAISS's ``code_size``).

        Codes only: the inverted list also stores an 8-byte id per vector (see
        :attr:`bytes_per_vector_with_id`). This is the bit-packed size FAISS reports; this
        teaching index keeps one uint8 per sub-vector in memory (``m`` bytes) for simplicity.
        """
        return -(-self.m * self.nbits // 8)

    @property
    def bytes_per_vector_with_id(self):
        """Code plus the int64 id an inverted list stores next to it."""
        return self.bytes_per_vector + ID_BYTES

    @property
    def refine_bytes(self):
        """Extra memory re-ranking needs: the raw vectors, ``ntotal * d * 4`` bytes (float32).

        What FAISS's ``IndexRefineFlat`` (or LanceDB's ``refine_factor``) keeps beside the
        codes so that the ``k * refine`` PQ candidates can be re-ranked by exact distance.
        """
        return self.ntotal * self.d * self.xb.itemsize

    def search(self, xq, k=10, nprobe=1, *, refine=1, allowed=None, iterative=False, max_nprobe=None):
        """Search by PQ distance, optionally re-ranking the best ``k * refine`` exactly.

        Parameters
        ----------
        xq : array-like, shape (m, d) or (d,)
        k, nprobe : int
            As :meth:`IVFIndex.search`.
        refine : int
            1: plain IVF-PQ, distances are ADC estimates. Above 1: take the ``k * refine``
            best candidates by ADC, compute their exact distances from the raw vectors
            ``xb`` and return the ``k`` nearest of them (FAISS's ``IndexRefineFlat``, LanceDB's
            ``refine_factor``); the returned ``distances`` are then exact, in the metric's
            terms. A refine large enough to keep every candidate gives IVF-Flat's answer at the
            same nprobe.
        allowed, iterative, max_nprobe :
            The filter and iterative probing of :meth:`IVFIndex.search` (iterative probing
            then looks for ``k * refine`` allowed vectors).

        Returns
        -------
        SearchResult
            ``n_candidates`` counts the scanned codes; re-ranking adds ``k * refine`` exact
            distances per query (not counted there).
        """
        refine = as_count(refine, "refine", low=1)
        if refine == 1:
            return super().search(xq, k, nprobe, allowed=allowed, iterative=iterative, max_nprobe=max_nprobe)
        xq, k, nprobe = self._check_query(xq, k, nprobe)
        res = super().search(xq, k * refine, nprobe, allowed=allowed, iterative=iterative,
                             max_nprobe=max_nprobe)
        exact = self.distances_to(xq, res.ids)  # inf / -inf where the id is -1 (padding)
        near = exact if self.metric == "l2" else -exact
        top = np.argsort(near, axis=1, kind="stable")[:, :k]
        ids = np.take_along_axis(res.ids, top, axis=1)
        dist = np.take_along_axis(exact, top, axis=1)
        ids[~np.isfinite(dist)] = -1
        return type(res)(ids=ids, distances=dist, probed=res.probed, n_candidates=res.n_candidates,
                         n_distance_computations=res.n_distance_computations, metric=res.metric)

    def lookup_tables(self, xq, list_id):
        """ADC lookup tables of queries against one list.

        Parameters
        ----------
        xq : array-like, shape (nq, d) or (d,)
        list_id : int
            The list whose centroid the residuals are taken from (ignored when
            ``by_residual`` is False, and under "ip" / "cosine": the tables are then the same
            for every list).

        Returns
        -------
        ndarray, shape (nq, m, ksub)
            "l2": ``tables[i, j, c]`` = squared distance between sub-vector ``j`` of query
            ``i``'s residual and codeword ``c`` of sub-space ``j``; the ADC distance of a
            vector with code ``s`` is ``tables[i, arange(m), s].sum()``. "ip" / "cosine":
            the inner product of sub-vector ``j`` of query ``i`` itself with codeword ``c``;
            the ADC inner product is that sum plus ``q . centroids[list_id]`` when
            ``by_residual`` (FAISS's ``q . (c + r) = q . c + q . r``).
        """
        xq, _, _ = self._check_query(xq, 1, 1)
        list_id = as_count(list_id, "list_id", low=0, high=self.nlist - 1)
        tables = to_reported(self._tables(self._residuals(xq, list_id)), self.metric)
        return np.ascontiguousarray(tables.transpose(1, 0, 2))

    def reconstruct(self, ids):
        """Decode stored vectors from their codes.

        Parameters
        ----------
        ids : array-like of int, shape (r,)
            Vector ids, 0 <= id < ntotal.

        Returns
        -------
        ndarray, shape (r, d)
            ``centroid + decoded residual`` when ``by_residual``, else the decoded vector;
            float32 (float64 if the index was built from float64 vectors).
        """
        ids = self._check_ids(ids)
        return self._decode(ids)

    def reconstruction_error(self, ids=None):
        """Mean squared reconstruction error, ``mean_i |x_i - reconstruct(i)|^2``.

        Same units as the search distances; divide by the data's total variance
        (``((x - x.mean(0))**2).sum(1).mean()``) for a relative error.

        Parameters
        ----------
        ids : array-like of int, shape (r,), optional
            Vectors to average over; all ``ntotal`` by default.

        Returns
        -------
        float
        """
        ids = np.arange(self.ntotal) if ids is None else self._check_ids(ids)
        if len(ids) == 0:
            raise InputError("ids is empty: there is no vector to measure the error of")
        total = 0.0
        step = chunk_rows(self.d)
        for start in range(0, len(ids), step):
            chunk = ids[start : start + step]
            diff = self.xb[chunk] - self._decode(chunk)
            total += float(np.einsum("ij,ij->", diff, diff, dtype=np.float64))
        return total / len(ids)

    def _check_ids(self, ids):
        """Validated 1-D int64 vector ids."""
        arr = np.asarray(ids)
        if arr.ndim == 0:
            arr = arr[None]
        if arr.ndim != 1:
            raise InputError(f"ids must be a 1-D list of vector ids; it has shape {arr.shape}")
        if arr.size and arr.dtype.kind not in "iu":
            raise InputError(f"ids must be whole numbers, not {arr.dtype} values")
        arr = arr.astype(np.int64)
        bad = (arr < 0) | (arr >= self.ntotal)
        if bad.any():
            raise InputError(
                f"id {arr[bad][0]} is out of range: the index holds ids 0..{self.ntotal - 1}"
            )
        return arr

    def _decode(self, ids):
        """Reconstructions of the given (valid) ids, (len(ids), d)."""
        parts = self.codebooks[np.arange(self.m), self.codes[ids]]  # (r, m, dsub)
        out = parts.reshape(len(ids), self.d)
        if self.by_residual:
            out += self.centroids[self.labels[ids]]
        return out

    def _residuals(self, xq, list_id):
        """What the codes of ``list_id`` are compared with: ``xq - centroid`` or ``xq``.

        Always ``xq`` under "ip" / "cosine": the centroid's part is ``q . c``, added per list.
        """
        return xq - self.centroids[list_id] if self.by_residual and self.metric == "l2" else xq

    def _tables(self, r):
        """ADC tables (m, len(r), ksub) of scores (smaller is nearer) of each sub-vector and codeword.

        Squared distances ("l2"), or negated inner products ("ip", "cosine").
        """
        rs = r.reshape(len(r), self.m, self.dsub).transpose(1, 0, 2)  # (m, nr, dsub)
        t = np.matmul(rs, self._cb_t)  # one small matrix product per sub-space
        if self.metric != "l2":
            return np.negative(t, out=t)
        t *= -2
        t += np.einsum("mid,mid->mi", rs, rs)[:, :, None]
        t += self._cb_norms[:, None, :]
        return np.maximum(t, 0, out=t)  # rounding can make tiny negatives

    def _query_tables(self, xq):
        """Each query's own ADC table (m, nq, ksub), with the part added per list (see below).

        "l2" with residuals: FAISS's decomposition ``|q - c - r|^2 = |q - c|^2 +
        sum_j (|r_j|^2 + 2 c_j . r_j) - 2 sum_j q_j . r_j``: the query's table holds
        ``-2 q_j . codeword``, each list's table (:meth:`_list_tables`) ``|codeword|^2 + 2 c_j .
        codeword`` and the coarse step gives ``|q - c|^2``. "l2" on raw vectors: the squared
        distances themselves. "ip" / "cosine": ``-q_j . codeword`` (the list adds ``-q . c``).
        """
        if self.metric == "l2" and self.by_residual:
            rs = xq.reshape(len(xq), self.m, self.dsub).transpose(1, 0, 2)  # (m, nq, dsub)
            t = np.matmul(rs, self._cb_t)
            t *= -2
        else:
            t = self._tables(xq)
        return t

    def _list_tables(self, lists):
        """Per-list ADC tables ``|codeword|^2 + 2 c_j . codeword``, (len(lists), m, ksub)."""
        cs = self.centroids[lists].reshape(len(lists), self.m, self.dsub).transpose(1, 0, 2)
        t = np.matmul(cs, self._cb_t)  # (m, lists, ksub)
        t *= 2
        t += self._cb_norms[:, None, :]
        return np.ascontiguousarray(t.transpose(1, 0, 2))

    def _search_block(self, xq, k, nprobe, out_ids, out_dist, allowed=None, plan=None):
        """Search a block of queries with the compiled ADC scan (:mod:`ivfcore.adc`).

        Sub-blocks keep the (queries, m, ksub) tables bounded. ``allowed`` and ``plan`` as in
        :meth:`IVFIndex._search_block` (filter in list order, iterative probing).
        """
        from .adc import adc_topk  # imports numba (about a second): only once an IVF-PQ index searches

        residual_l2 = self.by_residual and self.metric == "l2"
        step = chunk_rows(self.m * self.ksub * (nprobe if residual_l2 and self._all_list_tables is None else 1))
        parts = []
        for start in range(0, xq.shape[0], step):
            rows = slice(start, start + step)
            q = xq[rows]
            probed, dc = self._plan(q, nprobe, plan)
            safe = np.maximum(probed, 0)
            base = np.take_along_axis(dc, safe, axis=1) if self.by_residual else np.zeros(probed.shape, dc.dtype)
            list_tables, lists = None, probed
            if residual_l2:
                if self._all_list_tables is not None:
                    list_tables = self._all_list_tables
                else:  # too many lists to keep every table: those this sub-block opens
                    used, where = np.unique(safe, return_inverse=True)
                    list_tables = self._list_tables(used)
                    lists = np.where(probed >= 0, where.reshape(probed.shape), -1)
            d, i = adc_topk(self._query_tables(q), list_tables, base.astype(q.dtype), lists,
                            self._codes_sorted, self.list_offsets, self.list_ids, allowed, k,
                            clip=self.metric == "l2")
            out_dist[rows], out_ids[rows] = d, i
            parts.append(probed)
        return parts[0] if len(parts) == 1 else _stack_padded(parts, nprobe)


def build_ivfpq(x, centroids, *, m, nbits=8, by_residual=True, seed=0, init="random", max_iter=25,
                callback=None, metric="l2", max_points_per_centroid=MAX_POINTS_PER_CODEWORD):
    """Build an IVF-PQ index: coarse lists as :func:`build_ivf`, vectors stored as PQ codes.

    Parameters
    ----------
    x : array-like, shape (n, d)
        Vectors to store (``xb``); also the training set of the codebooks.
    centroids : array-like, shape (nlist, d)
        Coarse quantizer, usually ``train_kmeans(...).centroids``. Not retrained.
    m : int
        Sub-quantizers: each vector is cut into ``m`` sub-vectors of ``d / m`` dimensions.
        ``d`` must be divisible by ``m``.
    nbits : int
        Bits per sub-vector code, 1..8; each sub-space gets ``2**nbits`` codewords.
    by_residual : bool
        Encode ``x - centroid of its list`` (FAISS's default, usually far more accurate on
        clustered data) instead of ``x`` itself.
    seed : int or numpy.random.Generator
        Source of the training sample and every k-means random choice.
    init : {"random", "k-means++"}
        Codebook k-means initialisation. ``"random"`` is FAISS's choice and the fast one.
        ``"k-means++"`` often lowers the reconstruction error (measured 10-70% on 3k-20k
        blobs and imbalanced vectors, m = 8 or 16) but seeds with 2**nbits sequential passes
        over the training sample per sub-space: on the chapter's exercise recipe (m=16,
        nbits=8) it took 148 s against 24 s, for an error of 0.115 against 0.130.
    max_iter : int
        k-means iterations per sub-space (FAISS's PQ uses 25).
    callback : callable, optional
        ``callback(done, total)`` after each of the ``m`` codebooks is trained and once more
        (``done == total == m + 1``) when every vector is encoded: progress for a slow build.
    metric : {"l2", "ip", "cosine"}
        As :func:`~ivfcore.build_ivf`: the lists and the search go by squared L2 or by inner
        product ("cosine": unit-length vectors and queries). ADC then estimates inner
        products (see the module notes); the codebooks are trained by L2 either way.
    max_points_per_centroid : int or None
        Train the codebooks on at most this many vectors per codeword,
        ``max_points_per_centroid * 2**nbits`` in all, sampled with ``seed`` (FAISS's
        ``ClusteringParameters.max_points_per_centroid``, 256 there too: more adds time, not
        accuracy). None trains on every vector. ``n_train`` says how many were used.

    Returns
    -------
    IVFPQIndex

    Raises
    ------
    InputError
        If ``d`` is not divisible by ``m``, ``nbits`` is outside 1..8, or there are fewer
        vectors than the ``2**nbits`` codewords each sub-space needs (no silent capping);
        for an unknown metric, or under "cosine" a zero row of ``x``.

    Notes
    -----
    The training sample is the first draw from the seed's Generator,
    ``np.sort(rng.choice(n, n_train, replace=False))``; each sub-space's k-means then draws
    from its own child Generator, ``rng.spawn(m)[j]``, so the sub-spaces train in parallel
    threads with the same result whatever their order. Every vector is then encoded, in
    chunks of bounded memory.
    """
    metric = check_metric(metric)
    xb = as_vectors(x, "x")
    c = as_vectors(centroids, "centroids", dtype=xb.dtype)
    check_same_dim(xb, c, "x", "centroids")
    n, d = xb.shape
    m = as_count(m, "m", low=1)
    if d % m:
        divisors = [v for v in range(1, d + 1) if d % v == 0]
        raise InputError(
            f"d={d} is not divisible by m={m}: each of the m sub-vectors needs d/m whole "
            f"dimensions; choose m from {divisors}"
        )
    nbits = as_count(nbits, "nbits", low=1)
    if nbits > MAX_NBITS:
        raise InputError(
            f"nbits={nbits} must be between 1 and {MAX_NBITS}: each sub-vector code is stored "
            "in one byte"
        )
    if not isinstance(by_residual, (bool, np.bool_)):
        raise InputError(f"by_residual={by_residual!r} must be True or False")
    if init not in INITS:
        raise InputError(f"init={init!r} must be one of {', '.join(INITS)}")
    max_iter = as_count(max_iter, "max_iter", low=0)
    ksub = 1 << nbits
    if n < ksub:
        most = int(np.log2(n))
        raise InputError(
            f"nbits={nbits} asks for 2**nbits={ksub} codewords per sub-space, but there are "
            f"only n={n} vectors to train them on; use nbits <= {most} or more vectors"
        )
    rng = as_generator(seed)

    xb = prepare(xb, metric, "x")
    labels, _ = nearest(xb, c, metric=metric)
    c = np.ascontiguousarray(c)
    if max_points_per_centroid is None:
        n_train = n
    else:
        n_train = min(n, as_count(max_points_per_centroid, "max_points_per_centroid", low=1) * ksub)
    train_ids = np.arange(n) if n_train == n else np.sort(rng.choice(n, size=n_train, replace=False))
    train = xb[train_ids] - c[labels[train_ids]] if by_residual else xb[train_ids]
    codebooks, warnings = _train_codebooks(train, m, ksub, init, max_iter, rng.spawn(m), callback)
    codes = _encode(xb, c, labels, codebooks, by_residual)
    if callback is not None:
        callback(m + 1, m + 1)
    return IVFPQIndex(xb, c, labels, codebooks, codes, by_residual, nbits, n_train, warnings, metric)


def _train_codebooks(train, m, ksub, init, max_iter, rngs, callback=None):
    """One k-means per sub-space, in threads: codebooks (m, ksub, dsub) and de-duplicated warnings.

    Sub-space ``j`` draws from ``rngs[j]`` alone, so the result does not depend on which
    thread finishes first. ``callback`` runs in the calling thread, once per finished codebook.
    """
    dsub = train.shape[1] // m
    codebooks = np.empty((m, ksub, dsub), dtype=train.dtype)
    subs = [np.ascontiguousarray(train[:, j * dsub : (j + 1) * dsub]) for j in range(m)]
    where = {}  # message -> sub-spaces that raised it (most are the same in every sub-space)
    with ThreadPoolExecutor(BUILD_THREADS) as pool:
        jobs = {pool.submit(_train_one, subs[j], ksub, init, max_iter, rngs[j]): j for j in range(m)}
        for done, job in enumerate(as_completed(jobs), start=1):
            j = jobs[job]
            codebooks[j], warnings = job.result()
            for w in warnings:
                where.setdefault(w, []).append(j)
            if callback is not None:
                callback(done, m + 1)
    warnings = tuple(
        f"{'Every sub-space' if len(js) == m else 'Sub-spaces ' + str(sorted(js))}: {w}"
        for w, js in where.items()
    )
    return codebooks, warnings


def _train_one(x, k, init, max_iter, rng):
    """The codebook of one sub-space, ``(k, dsub)``, and warnings.

    ``init="random"``: Lloyd's k-means as :func:`~ivfcore.train_kmeans` runs it (k distinct
    random rows to start, an empty cluster moved to a random row, stop after ``max_iter``
    updates or once the shift is below 1e-4). Each pass is one compiled loop that finds the
    nearest codewords and adds up their rows (:func:`ivfcore.codewords.assign_and_sum`): the
    codebook needs no inertia, and sub-vectors of a few dimensions make a distance block cheap
    to compute but costly to pass over. Other inits go through :func:`~ivfcore.train_kmeans`.
    """
    if init != "random":
        km = train_kmeans(x, k, init=init, max_iter=max_iter, seed=rng, record_history=False)
        return km.centroids, km.warnings
    from .codewords import assign_and_sum  # imports numba: only once a codebook is trained

    n, dsub = x.shape
    warnings = []
    if n < MIN_POINTS_PER_CENTROID * k:
        warnings.append(f"Only {n} training vectors for {k} codewords: fewer than "
                        f"{MIN_POINTS_PER_CENTROID} per codeword, so the codewords are poorly estimated.")
    c = x[np.sort(rng.choice(n, size=k, replace=False))].copy()
    counts = None
    for _ in range(max_iter):  # a pass, then the update: max_iter passes, as FAISS's k-means
        _, sums, counts = assign_and_sum(x, c)
        new = c.copy()
        full = counts > 0
        new[full] = (sums[full] / counts[full, None]).astype(x.dtype)
        for e in np.flatnonzero(~full):
            new[e] = x[int(rng.integers(n))]
        shift = float(np.linalg.norm((new - c).astype(np.float64)))
        c = new
        if shift < KMEANS_TOL or shift == 0.0:
            break
    n_empty = 0 if counts is None else int(np.count_nonzero(counts == 0))
    if n_empty:
        warnings.append(f"{n_empty} of the {k} codewords had no training vector in the last iteration "
                        "(each was moved to a random training vector).")
    return c, warnings


def _encode(xb, centroids, labels, codebooks, by_residual):
    """Nearest codeword of every sub-vector (of the residual if ``by_residual``): (n, m) uint8.

    Row chunks encoded in threads by the compiled loop of :mod:`ivfcore.codewords` (each row's
    code depends on that row alone: the same codes whatever the number of threads).
    """
    from .codewords import encode

    n = xb.shape[0]
    codes = np.empty((n, codebooks.shape[0]), dtype=np.uint8)
    step = ENCODE_ROWS
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    with ThreadPoolExecutor(BUILD_THREADS) as pool:
        list(pool.map(lambda start: encode(xb, centroids, labels, codebooks, by_residual, codes, start,
                                           min(n, start + step)), range(0, n, step)))
    return codes


def refine_sweeps(index, xq, *, k=10, refines=(1,), nprobes=None, true_ids=None, true_distances=None):
    """:func:`~ivfcore.recall_sweep` of an IVF-PQ index at several refine factors, one scan each nprobe.

    ``search(xq, k, nprobe, refine=r)`` takes the ``k * r`` best codes by ADC and re-ranks
    them exactly; the ``k * r`` best are the first ``k * r`` of the ``k * max(refines)`` best
    (the scan keeps its candidates in one order, ties by the order they were met). So one
    search per nprobe with ``k * max(refines)`` candidates, re-ranked once per factor, gives
    every factor's sweep: the same ids, recall and work as separate sweeps, for one scan
    instead of ``len(refines)``.

    Parameters
    ----------
    index : IVFPQIndex
    xq : array-like, shape (m, d)
    k : int
    refines : sequence of int
        Factors >= 1; 1 is the plain IVF-PQ search.
    nprobes, true_ids, true_distances :
        As :func:`~ivfcore.recall_sweep`.

    Returns
    -------
    dict
        ``{refine: RecallSweep}``, each equal to ``recall_sweep(index, xq, k=k, refine=refine, ...)``.
    """
    from .knn import tie_hits
    from .sweep import RecallSweep, _setup

    refines = sorted({as_count(r, "refine", low=1) for r in refines})
    if not refines:
        raise InputError("refines is empty: give at least one refine factor (1 = no re-ranking)")
    xq, k, kk, nprobes, true_ids, true_distances, bound, n_true = _setup(
        index, xq, k, nprobes, true_ids, true_distances)
    rec = {r: np.empty((len(nprobes), xq.shape[0])) for r in refines}
    work = np.empty((len(nprobes), xq.shape[0]))
    near_sign = 1 if index.metric == "l2" else -1
    for i, p in enumerate(nprobes):
        res = IVFIndex.search(index, xq, kk * refines[-1], int(p))  # plain ADC, k * max(refines) best
        exact = index.distances_to(xq, res.ids)  # inf / -inf where the id is -1
        work[i] = res.n_distance_computations
        for r in refines:
            ids, dist = res.ids[:, : kk * r], exact[:, : kk * r]
            if r > 1:  # as IVFPQIndex.search(refine=r): the k nearest of them by exact distance
                top = np.argsort(near_sign * dist, axis=1, kind="stable")[:, :kk]
                ids = np.take_along_axis(ids, top, axis=1)
                dist = np.take_along_axis(dist, top, axis=1)
                ids = np.where(np.isfinite(dist), ids, -1)
            else:
                ids, dist = ids[:, :kk], dist[:, :kk]
            rec[r][i] = tie_hits(ids, dist, bound, n_true, index.metric) / true_ids.shape[1]
    return {r: RecallSweep(kk, nprobes, rec[r].mean(axis=1), work.mean(axis=1), rec[r], work, index.ntotal)
            for r in refines}
