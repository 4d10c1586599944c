"""The Search page's tables of one query's results and missed neighbours, from a ``QueryTrace``.

Pure (no streamlit): columns as dicts, named in the metric's own terms, with each vector's
name (e.g. its GloVe word) when the data has names. ``st.dataframe`` shows names as text,
never as markup.
"""

import numpy as np

from .settings import VALUE_LABELS


def value_label(metric):
    """What a search reports under ``metric``: "distance²", "inner product" or "cosine similarity"."""
    return VALUE_LABELS[metric]


def _rounded(values):
    return np.round(np.asarray(values, dtype=np.float64), 4)


def _name_column(ids, names):
    return {"word": [str(names[i]) for i in ids]} if names is not None else {}


def returned(tr, list_of, names=None):
    """One row per returned vector, nearest first.

    Parameters
    ----------
    tr : ivfcore.QueryTrace
    list_of : ndarray of int, shape (n,)
        The list each indexed vector is stored in (``index.labels``).
    names : sequence of str, optional
        A name per vector (e.g. words).

    Returns
    -------
    dict of columns
        rank, word (with names), vector id, the score in the metric's terms, its list, true
        rank (text: the vector's place among the exact neighbours, "–" when it is not one of
        them) and found: "yes", "yes (a tie)" for a vector as near as the k-th that brute
        force did not keep, or "no".
    """
    ids = np.asarray(tr.result_ids, dtype=np.int64)
    true_rank = {int(v): j + 1 for j, v in enumerate(tr.true_ids)}
    return {
        "rank": np.arange(1, len(ids) + 1),
        **_name_column(ids, names),
        "vector id": ids,
        value_label(tr.metric): _rounded(tr.result_distances[: len(ids)]),
        "its list": np.asarray(list_of)[ids].astype(np.int64),
        "true rank": [str(true_rank[int(v)]) if int(v) in true_rank else "–" for v in ids],
        "found": ["no" if not h else "yes" if int(v) in true_rank else "yes (a tie)"
                  for v, h in zip(ids, tr.result_hits)],
    }


def missed(tr, names=None):
    """One row per true neighbour the search missed, nearest first (see :func:`returned`).

    Returns
    -------
    dict of columns
        word (with names), vector id, true rank, the score in the metric's terms, its list,
        and nprobe needed: the rank of its list among the query's nearest centroids.
    """
    pos = {int(v): j for j, v in enumerate(tr.true_ids)}
    rows = np.array([pos[int(v)] for v in tr.missed_ids], dtype=np.int64)
    ids = np.asarray(tr.true_ids, dtype=np.int64)[rows]
    return {
        **_name_column(ids, names),
        "vector id": ids,
        "true rank": rows + 1,
        value_label(tr.metric): _rounded(np.asarray(tr.true_distances)[rows]),
        "its list": np.asarray(tr.true_lists)[rows],
        "nprobe needed": np.asarray(tr.true_list_rank)[rows],
    }
