"""Tuning one query: the smallest nprobe at which it reaches a target recall.

The recall is the one :meth:`IVFIndex.trace` reports (and the Search page shows): equally
near vectors count alike (the tie rule of :func:`ivfcore.recall_at_k`), and a data vector
used as a query is left out of its own results and true neighbours (``exclude_id``).
"""

import math
from dataclasses import dataclass

import numpy as np

from ._validation import as_count
from .errors import InputError
from .ivf import _without
from .knn import as_near


@dataclass(frozen=True)
class NprobeForRecall:
    """The smallest nprobe reaching ``target`` recall@k for one query, and the recall there.

    ``nprobe`` is None when no nprobe up to nlist reaches the target (IVF-Flat always does
    at nprobe = nlist for a target of at most 1).
    """

    target: float
    k: int
    nprobe: int | None
    recall: float  # at ``nprobe`` (at nlist when it is None)


def smallest_nprobe(index, q, target, *, k=10, exclude_id=None):
    """The smallest nprobe at which ``index.trace(q, k, nprobe, exclude_id=...)`` has recall >= ``target``.

    Parameters
    ----------
    index : IVFIndex
    q : array-like, shape (d,) or (1, d)
        One query vector.
    target : float
        Recall to reach, in (0, 1].
    k : int
        Neighbours asked for.
    exclude_id : int, optional
        Id of the stored vector that is the query (left out of both answers, as in
        :meth:`IVFIndex.trace`).

    Returns
    -------
    NprobeForRecall

    Notes
    -----
    The exact neighbours and the tie bound are computed once. Only vectors within the bound
    can count, so the first nprobe whose lists hold enough of them is a lower bound; the
    searches then start there and go up until the recall reaches the target.
    """
    xq, k, _ = index._check_query(q, k, 1)
    if xq.shape[0] != 1:
        raise InputError(f"smallest_nprobe takes one query vector; got {xq.shape[0]}")
    target = float(target)
    if not (0.0 < target <= 1.0):
        raise InputError(f"target={target} must be a recall above 0 and at most 1")
    if exclude_id is not None:
        exclude_id = as_count(exclude_id, "exclude_id", low=0, high=index.ntotal - 1)
    extra = int(exclude_id is not None)
    td, ti = index.exact(xq, k + extra)
    true_ids, true_d = _without(ti[0], td[0], exclude_id, k)
    n_true = len(true_ids)
    if n_true == 0:  # nothing to find: every nprobe has recall 1 (as the trace says)
        return NprobeForRecall(target, k, 1, 1.0)
    bound = index.tie_bounds(xq, true_ids[None], true_d[None])
    need = math.ceil(target * n_true - 1e-9)

    # Lower bound: vectors within the bound, by list, counted with the distances the hits use.
    near = as_near(index.distances_to(xq, np.arange(index.ntotal)[None]), bound)[0]
    if exclude_id is not None:
        near[exclude_id] = False
    per_list = np.bincount(index.labels[near], minlength=index.nlist)
    _, dc = index.coarse(xq, 1)
    order = np.argsort(dc[0], kind="stable")  # as trace and search order the lists
    reached = np.flatnonzero(np.cumsum(per_list[order]) >= need)
    start = int(reached[0]) + 1 if len(reached) else index.nlist

    recall = 0.0
    for nprobe in range(start, index.nlist + 1):
        res = index.search(xq, k=k + extra, nprobe=nprobe)
        found, _ = _without(res.ids[0], res.distances[0], exclude_id, k)
        hits = int(as_near(index.distances_to(xq, found[None]), bound)[0].sum())
        recall = min(hits, n_true) / n_true
        if recall >= target:
            return NprobeForRecall(target, k, nprobe, recall)
    return NprobeForRecall(target, k, None, recall)
