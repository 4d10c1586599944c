"""An index that ages: centroids trained on the first rows, every later row added without retraining.

IVF indexes are trained once. Rows inserted afterwards go to the list of their nearest
*old* centroid, however different they are from the data the centroids were trained on.
When the new rows come from elsewhere (a drifted distribution, a new group) a few lists
swallow them: the lists become uneven, a query scans more, and recall at a fixed nprobe
falls, because the new rows' neighbourhoods are split over lists whose centroids do not
describe them. pgvector's documentation warns of the extreme case: an index created on a
nearly empty table (``lists = 100`` on 200 rows) and filled afterwards.

The cure is to retrain ("REINDEX"); the check practitioners run to know when is the one
:func:`health_check` computes: the recall of sampled stored rows at the nprobe in use,
against the same search with every list opened (``nprobe = nlist``, exact for IVF-Flat).
"""

from dataclasses import dataclass

import numpy as np

from ._random import as_generator
from ._validation import as_count
from .errors import InputError
from .ivf import build_ivf
from .stats import size_stats
from .sweep import recall_sweep

CASES = ("shift", "group", "empty")
EMPTY_TABLE_ROWS = 200  # pgvector's example: the index is created on 200 rows ...
EMPTY_TABLE_LISTS = 100  # ... with lists = 100
SHIFT_SPREADS = 2.0  # the drifted rows move this many times the data's RMS spread (per dimension)


@dataclass(frozen=True)
class AgingScenario:
    """Rows in arrival order: the first ``n_initial`` train the index, the rest arrive later.

    ``queries`` are held out (never indexed), drawn from the initial and the arriving
    distributions in proportion to their rows; ``query_new[j]`` says which.
    """

    case: str
    x: np.ndarray  # (n, d) float32, arrival order
    n_initial: int
    queries: np.ndarray  # (m, d)
    query_new: np.ndarray  # (m,) bool: drawn from the arriving rows
    nlist: int  # lists of the index (the case's own for "empty")

    @property
    def n_arriving(self):
        return len(self.x) - self.n_initial

    def n_indexed(self, fraction):
        """Rows in the index once ``fraction`` of the arriving rows are inserted."""
        return self.n_initial + int(round(fraction * self.n_arriving))


def make_scenario(case, x, groups, nlist, *, n_queries=100, seed=0):
    """Split (and for "shift", move) a dataset into initial rows, arriving rows and queries.

    Parameters
    ----------
    case : {"shift", "group", "empty"}
        "shift": a random half trains; the other half arrives moved by ``SHIFT_SPREADS``
        times the data's RMS spread in one random direction (a drifted distribution).
        "group": every group but the last trains; the last group arrives (needs two groups).
        "empty": pgvector's case: ``EMPTY_TABLE_ROWS`` random rows train
        ``EMPTY_TABLE_LISTS`` lists (``nlist`` is ignored); every other row arrives.
    x : ndarray, shape (n, d)
    groups : ndarray of int, shape (n,)
    nlist : int
    n_queries : int
        Held-out queries, shared between the initial and the arriving rows as they are.
    seed : int or numpy.random.Generator

    Returns
    -------
    AgingScenario
    """
    if case not in CASES:
        raise InputError(f"case={case!r} is not one of {', '.join(CASES)}")
    rng = as_generator(seed)
    x = np.asarray(x, dtype=np.float32)
    n = len(x)
    n_queries = as_count(n_queries, "n_queries", low=1)
    perm = rng.permutation(n)
    if case == "group":
        last = np.max(groups)
        if len(np.unique(groups)) < 2:
            raise InputError("this dataset has a single group: no group can arrive later "
                             "(choose a dataset with groups, or another case)")
        new = np.asarray(groups)[perm] == last
    elif case == "shift":
        new = np.zeros(n, bool)
        new[n // 2 :] = True
    else:
        if n < EMPTY_TABLE_ROWS + n_queries + 1:
            raise InputError(f"pgvector's case needs more than {EMPTY_TABLE_ROWS + n_queries} rows; "
                             f"this dataset has {n}")
        new = np.ones(n, bool)
        new[:EMPTY_TABLE_ROWS] = False
        nlist = EMPTY_TABLE_LISTS
    old_rows, new_rows = perm[~new], perm[new]
    xs = x.copy()
    if case == "shift":
        direction = rng.normal(size=x.shape[1])
        direction /= np.linalg.norm(direction)
        rms = float(np.sqrt(np.mean((x - x.mean(axis=0)) ** 2)))
        xs[new_rows] += (SHIFT_SPREADS * rms * np.sqrt(x.shape[1]) * direction).astype(np.float32)
    # queries: held out of both parts in proportion (at least one of each), never of the 200
    share_new = len(new_rows) / n
    q_new = min(len(new_rows) // 2, max(1, int(round(n_queries * share_new))))
    q_old = n_queries - q_new if case != "empty" else 0
    q_new = n_queries - q_old
    if q_old > len(old_rows) // 2 or q_new > len(new_rows) // 2:
        raise InputError(f"too few rows ({n}) to hold {n_queries} queries out")
    old_keep, old_q = old_rows[q_old:], old_rows[:q_old]
    new_keep, new_q = new_rows[q_new:], new_rows[:q_new]
    nlist = as_count(nlist, "nlist", low=1)
    if nlist > len(old_keep):
        raise InputError(f"nlist = {nlist} lists is more than the {len(old_keep)} rows the index is "
                         "trained on")
    return AgingScenario(
        case=case,
        x=np.ascontiguousarray(np.concatenate([xs[old_keep], xs[new_keep]])),
        n_initial=len(old_keep),
        queries=np.ascontiguousarray(np.concatenate([xs[old_q], xs[new_q]])),
        query_new=np.r_[np.zeros(len(old_q), bool), np.ones(len(new_q), bool)],
        nlist=nlist,
    )


@dataclass(frozen=True)
class AgingPoint:
    """An index over the first ``n_indexed`` rows of a scenario, with fixed centroids."""

    n_indexed: int
    list_sizes: np.ndarray  # (nlist,)
    imbalance_factor: float
    scanned: float  # mean vectors scanned per held-out query at nprobe
    recall: float  # recall@k of the held-out queries at nprobe (against exact search)
    recall_new: float  # the same for the queries drawn from the arriving rows (nan if none)
    check: float  # health check: sampled stored rows, nprobe against nprobe = nlist


def measure(scenario, centroids, fraction, *, nprobe, k=10, n_check=100, seed=0):
    """How an index with ``centroids`` does once ``fraction`` of the arriving rows are in.

    Parameters
    ----------
    scenario : AgingScenario
    centroids : ndarray, shape (nlist, d)
        Trained on the initial rows (an aged index) or on every indexed row (a rebuilt one).
    fraction : float in [0, 1]
    nprobe, k : int
    n_check : int
        Stored rows sampled for :func:`health_check`.

    Returns
    -------
    AgingPoint
    """
    if not 0 <= fraction <= 1:
        raise InputError(f"fraction={fraction} must be between 0 and 1")
    n_idx = scenario.n_indexed(fraction)
    index = build_ivf(scenario.x[:n_idx], centroids)
    nprobe = min(as_count(nprobe, "nprobe", low=1), index.nlist)
    sw = recall_sweep(index, scenario.queries, k=k, nprobes=[nprobe])
    new = scenario.query_new
    return AgingPoint(
        n_indexed=n_idx,
        list_sizes=index.list_sizes,
        imbalance_factor=size_stats(index.list_sizes).imbalance_factor,
        scanned=float(sw.distance_computations[0] - index.nlist),
        recall=float(sw.recall[0]),
        recall_new=float(sw.per_query_recall[0, new].mean()) if new.any() else float("nan"),
        check=health_check(index, nprobe, k=k, n_sample=n_check, seed=seed),
    )


def health_check(index, nprobe, *, k=10, n_sample=100, seed=0):
    """Recall@k of sampled stored rows at ``nprobe`` against the same search over every list.

    The check a practitioner can run on a live index without a held-out set: pick stored
    rows, search each at the nprobe in use and at ``nprobe = nlist`` (exact for IVF-Flat),
    and count the shared results. Each row is left out of its own answers.

    Returns
    -------
    float in [0, 1]
    """
    rng = as_generator(seed)
    n = index.ntotal
    ids = np.sort(rng.choice(n, size=min(n_sample, n), replace=False))
    xq = index.xb[ids]
    kk = min(k + 1, n)
    approx = index.search(xq, kk, nprobe).ids
    exact = index.search(xq, kk, index.nlist).ids
    total = found = 0
    for r, i in enumerate(ids):
        truth = [j for j in exact[r] if j >= 0 and j != i][:k]
        got = set(j for j in approx[r] if j >= 0 and j != i)
        total += len(truth)
        found += len(got.intersection(truth))
    return found / total if total else 1.0
