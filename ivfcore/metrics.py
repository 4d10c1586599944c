"""The three ways of comparing vectors, with FAISS's semantics, and the helpers every search uses.

- ``"l2"``: squared Euclidean distance, smaller is nearer (FAISS ``METRIC_L2``).
- ``"ip"``: inner product ``x . q``, larger is nearer (FAISS ``METRIC_INNER_PRODUCT``); the
  vectors are used as they are, so long vectors win.
- ``"cosine"``: the inner product of unit vectors. The index normalises what it stores and
  every query (:func:`prepare`), then searches by inner product, as one does with FAISS
  (``faiss.normalize_L2`` + ``IndexFlatIP``). A zero vector has no direction: refused.

Inside the engine every comparison is a *score* where smaller is nearer for every metric
(:func:`ivfcore.distances.pairwise_scores`: squared L2, or the negated inner product), so one
``argmin`` / :func:`ivfcore.distances.smallest_k` serves all three. What a result reports
(``SearchResult.distances``) is the metric's own value, :func:`to_reported`: squared L2
ascending, or inner products / cosine similarities descending.

How a search wires these in (build, query, rank, report)::

    metric = check_metric(metric)
    xb = prepare(xb, metric, "xb")            # cosine: unit rows; l2/ip: unchanged
    xq = prepare(xq, metric, "xq")
    scores = pairwise_scores(xq, xb, metric)  # (m, n), smaller is nearer
    ids = smallest_k(scores, k)
    distances = to_reported(np.take_along_axis(scores, ids, 1), metric)
"""

import numpy as np

from .errors import InputError

METRICS = ("l2", "ip", "cosine")

# Rows normalised per block in prepare(): bounds the temporaries on 400k-row data.
NORMALISE_BLOCK_ROWS = 65536

# What each metric's reported value is called on screen and in docstrings.
VALUE_NAMES = {"l2": "squared L2 distance", "ip": "inner product", "cosine": "cosine similarity"}


def check_metric(metric):
    """Return ``metric`` if it is one of :data:`METRICS`, else raise :class:`InputError`.

    Parameters
    ----------
    metric : str

    Returns
    -------
    str
    """
    if not isinstance(metric, str) or metric not in METRICS:
        raise InputError(f"metric={metric!r} is not one of {', '.join(METRICS)}")
    return metric


def is_similarity(metric):
    """True when larger is nearer (``"ip"``, ``"cosine"``), False for ``"l2"``."""
    return check_metric(metric) != "l2"


def is_spherical(metric):
    """True when k-means for this metric keeps its centroids at unit length (FAISS's spherical)."""
    return check_metric(metric) != "l2"


def prepare(x, metric, name="x"):
    """The vectors as the metric compares them: unit rows for ``"cosine"``, ``x`` otherwise.

    Parameters
    ----------
    x : ndarray, shape (n, d), float32 or float64
        Already checked vectors (e.g. by the public function that calls this).
    metric : {"l2", "ip", "cosine"}
    name : str
        What to call ``x`` in an error message.

    Returns
    -------
    ndarray, shape (n, d)
        ``x`` itself for ``"l2"`` and ``"ip"`` (no copy); for ``"cosine"`` a new C-contiguous
        array of ``x``'s float dtype (float32 unless ``x`` is float64) whose rows have unit
        length.

    Raises
    ------
    InputError
        For an unknown metric, or under ``"cosine"`` for a row that is all zeros (naming it).
    """
    metric = check_metric(metric)
    if metric != "cosine":
        return x
    return normalise_rows(x, name)


def normalise_rows(x, name="x"):
    """A unit-length copy of every row of ``x``; a zero row is an :class:`InputError` naming it.

    Each row is first divided by its largest absolute value, so rows of 1e-30 or 1e18 are
    normalised without underflow or overflow in float32.

    Parameters
    ----------
    x : array-like, shape (n, d)
    name : str

    Returns
    -------
    ndarray, shape (n, d), float64 if ``x`` is float64 else float32, C-contiguous
    """
    x = np.asarray(x)
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    out = np.empty(x.shape, dtype=dtype)
    for start in range(0, x.shape[0], NORMALISE_BLOCK_ROWS):
        stop = min(x.shape[0], start + NORMALISE_BLOCK_ROWS)
        block = np.asarray(x[start:stop], dtype=dtype)
        peak = np.abs(block).max(axis=1) if block.shape[1] else np.zeros(len(block), dtype)
        zero = np.flatnonzero(~(peak > 0))
        if len(zero):
            row = start + int(zero[0])
            raise InputError(
                f"{name} row {row} is a zero vector: it has no direction, so its cosine "
                f"similarity is undefined. Remove it, or use metric='l2' or 'ip'."
            )
        scaled = block / peak[:, None]
        scaled /= np.sqrt(np.einsum("ij,ij->i", scaled, scaled))[:, None]
        out[start:stop] = scaled
    return out


def to_reported(scores, metric):
    """Scores (smaller is nearer) -> the values a result reports for ``metric``.

    ``"l2"``: the squared distances themselves; ``"ip"`` / ``"cosine"``: the inner products /
    cosine similarities (the scores negated). Ranks are kept: ascending scores become
    descending similarities. A new array is returned for ip/cosine; l2 scores are returned as
    they are.
    """
    if is_similarity(metric):
        return -scores
    return scores


def to_scores(values, metric):
    """Reported values -> scores where smaller is nearer (the inverse of :func:`to_reported`)."""
    return to_reported(values, metric)


def padding_value(metric, dtype=np.float32):
    """What a result reports in a slot with no vector (id -1): +inf for l2, -inf otherwise.

    Padding sorts after every real result in either order, as FAISS does (its IP search pads
    with -FLT_MAX; with ``np.inf`` the pad is unmistakable on screen).
    """
    return dtype(-np.inf) if is_similarity(metric) else dtype(np.inf)
