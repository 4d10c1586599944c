"""Held-out queries a learner's file brings: ann-benchmarks ``test`` / ``neighbors``, or SIFT's
queries and ground-truth files.

The index then holds every base vector. The file's true ids are used as its truth, with their
distances computed here (so equally near stand-ins count, the tie rule of
``ivfcore.recall_at_k``); a sample is compared with brute force, because a ground truth
computed for another metric, or for other vectors, would make every recall number wrong.
Pure Python and numpy (no streamlit): ``ui.cache.file_held_out`` caches it per upload.
"""

from dataclasses import dataclass

import numpy as np

from ivfcore.knn import as_near

#: Most file queries searched (the first ones): a sweep over 10,000 queries at every nprobe
#: would keep a classroom server busy for minutes.
MAX_QUERIES = 1000
#: Queries whose file truth is compared with brute force.
CHECK_SAMPLE = 100


@dataclass(frozen=True)
class FileQueries:
    """The queries and truth of a file, as the Recall page uses them."""

    queries: np.ndarray  # (m, d) the queries searched (the file's first m)
    true_ids: np.ndarray  # (m, k) the file's true ids (or brute force's)
    true_distances: np.ndarray  # (m, k) their squared L2 distances, computed here
    k: int  # recall@k measured
    k_asked: int  # k the learner chose
    k_file: int  # true ids per query in the file; 0: none, found by brute force
    n_file: int  # queries in the file
    n_checked: int  # queries whose file truth was compared with brute force
    n_disagree: int  # of those, how many list a vector farther than brute force's k-th
    metric: str = None  # what the file says it is meant for


def file_truth(index, dataset, k, *, max_queries=MAX_QUERIES, sample=CHECK_SAMPLE, seed=0):
    """The file's queries and their true neighbours in ``index`` (which holds all of ``dataset.x``).

    Parameters
    ----------
    index : ivfcore.IVFIndex
        Over every vector of ``dataset.x``, in order (ids are row numbers).
    dataset : ivfcore.Dataset
        With ``queries`` (m, d) and optionally ``true_ids`` (m, k_file).
    k : int
        Neighbours asked for; capped at ``k_file`` and at the index's size.
    max_queries, sample, seed
        At most ``max_queries`` (the first) are used; ``sample`` of them, drawn with
        ``seed``, are checked against brute force.

    Returns
    -------
    FileQueries
    """
    xq = np.ascontiguousarray(dataset.queries[:max_queries], dtype=index.xb.dtype)
    if dataset.true_ids is None:
        kk = min(k, index.ntotal)
        td, ti = index.exact(xq, kk)
        return FileQueries(xq, ti, td, kk, k, 0, len(dataset.queries), 0, 0, dataset.metric)
    k_file = dataset.true_ids.shape[1]
    kk = min(k, k_file, index.ntotal)
    ti = np.ascontiguousarray(dataset.true_ids[:max_queries, :kk])
    td = index.distances_to(xq, ti)
    rng = np.random.default_rng(seed)
    checked = np.sort(rng.choice(len(xq), size=min(sample, len(xq)), replace=False))
    bd, bi = index.exact(xq[checked], kk)
    within = as_near(td[checked], index.tie_bounds(xq[checked], bi, bd))
    n_disagree = int((~within.all(axis=1)).sum())
    return FileQueries(xq, ti, td, kk, k, k_file, len(dataset.queries), len(checked), n_disagree,
                       dataset.metric)


def caption(given, n_total):
    """What the Recall page says about the queries (markdown; no file-derived text)."""
    m = len(given.queries)
    which = (f"{m:,} queries" if m == given.n_file
             else f"the first {m:,} of its {given.n_file:,} queries")
    if given.k_file:
        head = f"Queries and true neighbours from your file: {which}, k = {given.k}."
    else:
        head = (f"Queries from your file: {which}, k = {given.k}. The file lists no true "
                "neighbours, so brute force found them (every vector compared).")
    return (f"{head} Searched against all {n_total:,} vectors of the file (none is held out). "
            "The centroids come from the training on the Train page. A returned vector as near "
            "as the k-th true neighbour counts as found, even when the truth lists another "
            "vector at that same distance.")


def warnings(given):
    """Markdown lines the Recall page shows as warnings: k capped, truth that disagrees."""
    out = []
    if given.k_file and given.k_asked > given.k_file:
        out.append(f"Your file lists {given.k_file} true neighbours per query, fewer than "
                   f"k = {given.k_asked}: recall is measured at k = {given.k}.")
    if given.n_disagree:
        line = (f"For {given.n_disagree} of {given.n_checked} queries checked, the file's "
                f"{given.k} true neighbours are not the {given.k} nearest vectors by Euclidean "
                "distance (brute force finds nearer ones), so the recall below is measured "
                "against a truth this app's search does not aim for.")
        if given.metric and given.metric != "l2":
            line += (f" The file says its vectors are compared by {given.metric}; this app "
                     "searches by Euclidean (L2) distance.")
        else:
            line += " Was the ground truth computed for other vectors or another metric?"
        out.append(line)
    return out
