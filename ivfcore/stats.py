"""How evenly the vectors fill the inverted lists, and what that costs a query."""

from dataclasses import dataclass

import numpy as np

from .errors import InputError


@dataclass(frozen=True)
class SizeStats:
    """Summary of list sizes.

    ``imbalance_factor`` is FAISS's ``k * sum(n_i^2) / n^2``: 1.0 for perfectly even
    lists, larger when a few lists hold most vectors. ``expected_scan`` is
    ``sum(n_i^2) / n``: the average size of the list that a query drawn from the data lands
    in, i.e. the vectors it scans per probed list (``imbalance_factor * mean``).
    """

    k: int
    n: int
    min: int
    max: int
    mean: float
    std: float
    n_empty: int
    imbalance_factor: float
    expected_scan: float
    largest: tuple  # the 5 largest sizes, descending
    largest_lists: tuple  # their list ids


def size_stats(sizes, top=5):
    """Summarise list sizes (the chapter's printout plus FAISS's imbalance factor).

    Parameters
    ----------
    sizes : array-like of int, shape (k,)
    top : int
        How many of the largest lists to report.

    Returns
    -------
    SizeStats
    """
    s = np.asarray(sizes)
    if s.ndim != 1 or s.size == 0:
        raise InputError(f"sizes must be a non-empty 1-D list of counts; got shape {s.shape}")
    if s.dtype.kind == "f" and not np.isfinite(s).all():
        raise InputError(f"sizes must be finite counts; got {s[~np.isfinite(s)][0]} "
                         f"at position {int(np.flatnonzero(~np.isfinite(s))[0])}")
    if s.dtype.kind not in "iu" and not (s.dtype.kind == "f" and np.all(s == np.round(s))):
        raise InputError("sizes must be whole numbers")
    s = s.astype(np.int64)
    if (s < 0).any():
        raise InputError("sizes cannot be negative")
    k, n = int(s.size), int(s.sum())
    sq = float(np.sum(s.astype(np.float64) ** 2))
    order = np.argsort(-s, kind="stable")[:top]
    return SizeStats(
        k=k,
        n=n,
        min=int(s.min()),
        max=int(s.max()),
        mean=float(s.mean()),
        std=float(s.std()),
        n_empty=int(np.count_nonzero(s == 0)),
        imbalance_factor=k * sq / n**2 if n else float("nan"),
        expected_scan=sq / n if n else 0.0,
        largest=tuple(int(v) for v in s[order]),
        largest_lists=tuple(int(i) for i in order),
    )


def group_occupancy(labels, groups, k, n_groups):
    """How many vectors of each generating group sit in each list.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        List of each vector.
    groups : array-like of int, shape (n,)
        Generating group of each vector.
    k, n_groups : int

    Returns
    -------
    ndarray of int64, shape (k, n_groups)
    """
    labels = np.asarray(labels, dtype=np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    if labels.shape != groups.shape:
        raise InputError(f"labels has shape {labels.shape} but groups has {groups.shape}")
    flat = np.bincount(labels * n_groups + groups, minlength=k * n_groups)
    return flat.reshape(k, n_groups)
