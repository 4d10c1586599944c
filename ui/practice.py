"""The Choose page's grid for this learner: trainings and sweeps, shared by the cache, with progress.

As ``ui/current.py`` does for the other pages: settings become cache keys, a cache miss shows a
progress bar (one per training, then the sweep of that nlist), and an ``InputError`` becomes
a message (never a traceback).
"""

import streamlit as st

from ivfcore import tuning

from . import cache, state
from .current import shown_errors
from ivfcore.blas import one_thread as one_blas_thread

#: How the page says what "nearest" means for each metric.
METRIC_WORDS = {"l2": "nearest by squared L2 distance", "ip": "nearest by largest inner product",
                "cosine": "nearest by cosine similarity"}


def current_metric(ds):
    """The metric of the Choose page's indexes, exact neighbours and exports (one of ivfcore.METRICS).

    The one place it is read: the learner's metric setting (``auto``: the data's own, e.g.
    GloVe's cosine, else squared L2), as on the Train, Search and Recall pages.
    """
    return state.metric()


def inertia_text(inertia):
    """An inertia as a learner reads it: 12,837,212 rather than 1.28372e+07; 6 digits below."""
    return f"{inertia:,.0f}" if abs(inertia) >= 1e5 else f"{inertia:,.6g}"


def grid_key(nlist, metric, n, overrides=None):
    """The grid training key (:class:`ui.cache.GridKey`) of ``nlist`` with the learner's settings.

    A sample as large as the data (``mpc * nlist >= n``) is no sample: such keys say 0 (every
    row), so the trainings they name are one training, computed and cached once.
    """
    v = {**state.values(), **(overrides or {})}
    mpc = 0 if rows_trained(n, nlist, v["ch_mpc"]) == n else v["ch_mpc"]
    return cache.GridKey(int(nlist), v["init"], v["empty"], v["ch_iter"], float(v["tol"]),
                         v["train_seed"], mpc, metric)


def rows_trained(n, nlist, mpc):
    """Rows k-means trains on: ``mpc * nlist`` when that is fewer than n (0 = every row)."""
    return n if not mpc or mpc * nlist >= n else mpc * nlist


def training(ds, gkey, label, slot=None):
    """One grid training (cached and shared); a progress bar follows its iterations on a miss."""
    spec = state.spec()
    done = cache.cached_grid_training(spec, gkey)
    if done is not None:
        return done
    nlist = gkey.nlist
    rows = rows_trained(len(ds.x), nlist, gkey.mpc)
    what = (f"{label}: training k-means, nlist = {nlist:,} on "
            + (f"{rows:,} sampled rows" if rows < len(ds.x) else f"all {rows:,} rows"))
    where = slot if slot is not None else st
    bar = where.progress(0.0, text=what + "…")

    def progress(step, total):
        bar.progress(min(1.0, step.iteration / max(1, total)),
                     text=f"{what}: iteration {step.iteration} of at most {total}")

    try:
        with shown_errors(), one_blas_thread():
            return cache.grid_training(spec, gkey, ds.x, progress)
    finally:
        bar.empty()


def queries(ds, n_queries, k, metric):
    """The held-out queries and their exact neighbours (:class:`ui.cache.ChooseQueries`)."""
    with shown_errors(), one_blas_thread():
        return cache.choose_queries(state.spec(), n_queries, k, metric, ds.x, ds.groups)


def must_probes(nlist, rules):
    """nprobes every curve includes: nlist / 16, and pgvector's probes on pgvector's lists."""
    must = {tuning.Rules.first_nprobe(nlist)}
    if nlist == rules.pgvector_lists:
        must.add(rules.pgvector_probes)
    return tuple(sorted(must))


def grid(ds, nlists, n_queries, k, q, rules, metric):
    """(GridTraining, GridPoint) for each nlist, computed once per setting on the server."""
    spec = state.spec()
    slot = st.empty()
    out = []
    for i, nlist in enumerate(nlists):
        label = f"nlist {i + 1} of {len(nlists)}"
        gkey = grid_key(nlist, metric, len(ds.x))
        tr = training(ds, gkey, label, slot)
        must = must_probes(int(nlist), rules)
        point = cache.cached_grid_point(spec, gkey, n_queries, k, must)
        if point is None:
            bar = slot.progress((i + 0.5) / len(nlists),
                                text=f"{label}: nlist = {int(nlist):,}, building the lists and "
                                     f"searching {len(q.xq)} held-out queries at every nprobe…")
            try:
                with shown_errors(), one_blas_thread():
                    point = cache.grid_point(spec, gkey, n_queries, k, must, ds.x, q, tr.km.centroids)
            finally:
                bar.empty()
        out.append((tr, point))
    slot.empty()
    return out


def sample_recall(ds, gkey, n_queries, k, nprobe, q, centroids):
    """Recall@k at one nprobe for the index of one training (the sampling comparison)."""
    with shown_errors(), one_blas_thread():
        return cache.sample_recall(state.spec(), gkey, n_queries, k, nprobe, ds.x, q, centroids)
