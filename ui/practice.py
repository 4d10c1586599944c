"""The Choose page's grid for this learner: trainings and sweeps, shared by the cache, with progress.

As ``ui/current.py`` does for the other pages: settings become cache keys, a cache miss shows a
progress bar (one per training, then the sweep of that nlist), and an ``InputError`` becomes
a message (never a traceback).
"""

import streamlit as st

from ivfcore import tuning

from . import cache, state
from .current import shown_errors


def grid_key(nlist, overrides=None):
    """The grid training key of ``nlist`` with the learner's training settings and the page's own."""
    v = {**state.values(), **(overrides or {})}
    return (int(nlist), v["init"], v["empty"], v["ch_iter"], float(v["tol"]), v["train_seed"], v["ch_mpc"])


def rows_trained(n, nlist, mpc):
    """Rows k-means trains on: ``mpc * nlist`` when that is fewer than n (0 = every row)."""
    return n if not mpc or mpc * nlist >= n else mpc * nlist


def training(ds, gkey, label, slot=None):
    """One grid training (cached and shared); a progress bar follows its iterations on a miss."""
    spec = state.spec()
    done = cache.cached_grid_training(spec, gkey)
    if done is not None:
        return done
    nlist, mpc = gkey[0], gkey[-1]
    rows = rows_trained(len(ds.x), nlist, mpc)
    what = (f"{label}: training k-means, nlist = {nlist:,} on "
            + (f"{rows:,} sampled rows" if rows < len(ds.x) else f"all {rows:,} rows"))
    where = slot if slot is not None else st
    bar = where.progress(0.0, text=what + "…")

    def progress(step, total):
        bar.progress(min(1.0, step.iteration / max(1, total)),
                     text=f"{what}: iteration {step.iteration} of at most {total}")

    try:
        with shown_errors():
            return cache.grid_training(spec, gkey, ds.x, progress)
    finally:
        bar.empty()


def queries(ds, n_queries, k):
    with shown_errors():
        return cache.choose_queries(state.spec(), n_queries, k, ds.x, ds.groups)


def must_probes(nlist, rules):
    """nprobes every curve includes: nlist / 16, and pgvector's probes on pgvector's lists."""
    must = {tuning.Rules.first_nprobe(nlist)}
    if nlist == rules.pgvector_lists:
        must.add(rules.pgvector_probes)
    return tuple(sorted(must))


def grid(ds, nlists, n_queries, k, q, rules):
    """(GridTraining, GridPoint) for each nlist, computed once per setting on the server."""
    spec = state.spec()
    slot = st.empty()
    out = []
    for i, nlist in enumerate(nlists):
        label = f"nlist {i + 1} of {len(nlists)}"
        gkey = grid_key(nlist)
        tr = training(ds, gkey, label, slot)
        must = must_probes(int(nlist), rules)
        point = cache.cached_grid_point(spec, gkey, n_queries, k, must)
        if point is None:
            bar = slot.progress((i + 0.5) / len(nlists),
                                text=f"{label}: nlist = {int(nlist):,}, building the lists and "
                                     f"searching {len(q.xq)} held-out queries at every nprobe…")
            try:
                with shown_errors():
                    point = cache.grid_point(spec, gkey, n_queries, k, must, ds.x, q, tr.km.centroids)
            finally:
                bar.empty()
        out.append((tr, point))
    slot.empty()
    return out


def sample_recall(ds, gkey, n_queries, k, nprobe, q, centroids):
    """Recall@k at one nprobe for the index of one training (the sampling comparison)."""
    with shown_errors():
        return cache.sample_recall(state.spec(), gkey, n_queries, k, nprobe, ds.x, q, centroids)
