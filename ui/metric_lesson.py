"""What the wrong metric costs: numbers read off three indexes of the same data (l2, ip, cosine).

Pure numpy over ivfcore's results (no streamlit): :func:`compare` measures every index
against the neighbours of one metric (the data's own, e.g. GloVe's cosine), with the same
held-out queries; :func:`neighbour_words` lists one query's exact neighbours under each metric.
The Recall page's last section (``ui.metric_section``) words and draws what they say.
"""

from dataclasses import dataclass

import numpy as np

import ivfcore

LESSON_METRICS = ("l2", "ip", "cosine")


@dataclass(frozen=True)
class MetricComparison:
    """Each metric's index judged by the neighbours of ``truth``, on the same held-out queries.

    ``sweeps[m]``: recall@k of index m against ``truth``'s exact top-k, per nprobe (a
    returned id counts when it is one of them), weighted as the Recall page's curves are.
    ``overlap[m]``: the share of ``truth``'s exact top-k that m's exact top-k holds: index
    m can never do better, however many lists it opens. ``list_sizes[m]``: the sizes of
    index m's lists over the whole data; ``list_lengths[m]``: the mean length |x| of the
    vectors in each list. ``long_share[m]``: the share of m's exact neighbours (of the
    held-out queries) that are among the longest 10% of the indexed vectors (10% if length
    played no part).
    """

    truth: str
    k: int
    sweeps: dict
    overlap: dict
    list_sizes: dict
    list_lengths: dict
    mean_length: float
    long_share: dict


def _per_query_overlap(found, truth):
    """(m,) share of each row of ``truth`` (m, k) found in the same row of ``found`` (m, k')."""
    return np.array([np.isin(t, f[f >= 0]).mean() for f, t in zip(found, truth)], dtype=np.float64)


def compare(held, full, x, truth):
    """Judge each metric's index by ``truth``'s exact neighbours.

    Parameters
    ----------
    held : dict of str -> ui.cache.HeldOut
        For every metric of :data:`LESSON_METRICS`, the held-out queries and index of a
        training by that metric (same data, same held-out queries: ``holdout_split`` with
        seed 0 and the data's groups).
    full : dict of str -> ivfcore.IVFIndex
        Each metric's index over all the data (the one the Sizes page measures).
    x : ndarray, shape (n, d)
        The data, for the vectors' lengths.
    truth : {"l2", "ip", "cosine"}
        The metric whose exact neighbours are "the true neighbours".

    Returns
    -------
    MetricComparison
    """
    ref = held[truth]
    true_ids, weights = ref.true_ids, ref.sweep.weights
    k = ref.sweep.k
    sweeps, overlap, sizes, lengths = {}, {}, {}, {}
    norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64))
    raw = held["l2"].index.xb  # the held-out indexes share ids; the L2 one stores raw vectors
    indexed = np.sqrt(np.einsum("ij,ij->i", raw, raw, dtype=np.float64))
    is_long = indexed >= np.quantile(indexed, 0.9)
    long_share = {}
    for m in LESSON_METRICS:
        ho = held[m]
        per = np.vstack([
            _per_query_overlap(ho.index.search(ho.queries, k=k, nprobe=int(p)).ids, true_ids)
            for p in ref.sweep.nprobes
        ])
        comp = ho.sweep.per_query_computations
        sw = ivfcore.RecallSweep(k, ref.sweep.nprobes, per.mean(axis=1), comp.mean(axis=1), per, comp,
                                 ho.sweep.n_total)
        sweeps[m] = sw.weighted(weights) if weights is not None else sw
        long_share[m] = float(is_long[ho.true_ids].mean())
        per_exact = _per_query_overlap(ho.true_ids, true_ids)
        overlap[m] = float(per_exact @ weights if weights is not None else per_exact.mean())
        index = full[m]
        sizes[m] = np.asarray(index.list_sizes)
        total = np.bincount(index.labels, weights=norms, minlength=index.nlist)
        lengths[m] = np.divide(total, sizes[m], out=np.zeros(index.nlist), where=sizes[m] > 0)
    return MetricComparison(truth, k, sweeps, overlap, sizes, lengths, float(norms.mean()), long_share)


def largest_lists(comparison, metric, count=5):
    """(share of the vectors, mean vector length) of ``metric``'s ``count`` largest lists."""
    sizes, lengths = comparison.list_sizes[metric], comparison.list_lengths[metric]
    top = np.argsort(-sizes, kind="stable")[:count]
    share = float(sizes[top].sum() / sizes.sum())
    return share, float((lengths[top] * sizes[top]).sum() / max(1, sizes[top].sum()))


def neighbour_words(x, names, qid, k):
    """One data vector's exact k nearest under each metric, as names (itself left out).

    Parameters
    ----------
    x : ndarray, shape (n, d)
    names : sequence of str, shape (n,)
    qid : int
        The query's row.
    k : int

    Returns
    -------
    dict of str -> list of str
        For each metric of :data:`LESSON_METRICS`, the k nearest names, nearest first.
    """
    out = {}
    for m in LESSON_METRICS:
        _, ids = ivfcore.brute_force_knn(x, x[qid], k + 1, metric=m)
        out[m] = [str(names[i]) for i in ids[0] if i != qid][:k]
    return out
