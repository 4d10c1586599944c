"""The current dataset, training, index and projection for this learner, with progress shown.

Pages call these instead of the caches directly: each turns the session's settings into
cache keys, shows a spinner or progress bar while work runs, and turns an ``InputError``
into an on-screen message that stops the page (never a traceback).
"""

import contextlib

import numpy as np
import streamlit as st

import ivfcore

from . import cache, state


@contextlib.contextmanager
def shown_errors():
    """Show a learner's bad input as a message and stop the page."""
    try:
        yield
    except ivfcore.InputError as exc:
        st.error(f"**These settings do not work:** {state.escape(exc)}")  # may quote a file
        st.stop()


@contextlib.contextmanager
def _progress_bar(where, text, show=True):
    """A progress bar in ``where`` for the duration of a computation (None if not shown).

    Emptied also when the computation fails, before ``shown_errors`` shows why: no bar is
    left standing above the message.
    """
    bar = where.progress(0.0, text=text) if show else None
    try:
        yield bar
    finally:
        if bar is not None:
            bar.empty()


def dataset():
    upload = st.session_state.get("_upload")
    if state.get("kind") == "upload" and not upload:
        st.info("You chose to use your own vectors, but no file is uploaded yet: upload one on "
                "the **1 · Dataset** page (or pick a generated dataset there).")
        st.stop()
    with shown_errors():
        return cache.dataset(state.spec(), upload)


def training(overrides=None, show_progress=True, on_first_step=None, progress_slot=None):
    """The k-means result for the current (or overridden) settings.

    On a cache miss a progress bar follows the iterations (in ``progress_slot``, an
    ``st.empty()``, if given); ``on_first_step(step, total)`` is called once with step 0 so
    a page can draw the first frame before training ends.
    """
    ds = dataset()
    return training_for(state.spec(), state.training_key(overrides), ds.x,
                        show_progress=show_progress, on_first_step=on_first_step,
                        progress_slot=progress_slot)


def training_for(spec, tkey, x, show_progress=True, on_first_step=None, init=None, progress_slot=None):
    """k-means for an explicit (dataset spec, training key), shared through the cache.

    ``init``: explicit initial centroids, named in ``tkey`` (see ``cache.training``).
    """
    done = cache.cached_training(spec, tkey)
    if done is not None:
        return done
    if tkey[0] > len(x):  # said in the app's words (the engine calls nlist "k")
        st.error(f"**These settings do not work:** nlist = {tkey[0]:,} lists is more than the "
                 f"{len(x):,} vectors to put in them. Choose fewer lists on the **2 · Train** page.")
        st.stop()
    where = progress_slot if progress_slot is not None else st

    def progress(step, total):
        if step.iteration == 0 and on_first_step:
            on_first_step(step, total)
        if bar is not None:
            bar.progress(min(1.0, step.iteration / max(1, total)),
                         text=f"Training k-means (nlist = {tkey[0]}, {tkey[1]} init): iteration "
                              f"{step.iteration} of at most {total} (inertia {step.inertia:,.4g})")

    with shown_errors(), _progress_bar(where, "Training k-means…", show_progress) as bar:
        return cache.training(spec, tkey, x, progress, init)


def index(overrides=None):
    km = training(overrides)
    with shown_errors():
        return cache.index(state.spec(), state.training_key(overrides), dataset().x, km.centroids)


def projection():
    method = state.get("proj")
    ds = dataset()
    note = ("Fitting UMAP on the displayed vectors (the first fit on a server compiles code: "
            "up to a minute; afterwards it is shared and instant)…" if method == "umap"
            else "Projecting to 2-D with PCA…")
    with st.spinner(note, show_time=method == "umap"), shown_errors():
        return cache.projection(state.spec(), method, ds.x)


def centroid_paths(km, proj):
    """(steps, nlist, 2) positions of every iteration's centroids in the current projection."""
    tkey = state.training_key()
    return cache.centroid_paths(state.spec(), tkey, proj.method, proj, km)


def display_labels(km, proj):
    """Final list of each displayed vector."""
    return np.asarray(km.labels)[proj.sample_ids]


def pq_index(n_queries, pq, ds, centroids):
    """The IVF-PQ index of the PQ page for ``pq = (m, nbits, by_residual)``, with a progress bar."""
    spec, tkey = state.spec(), state.training_key()
    done = cache.cached_pq_index(spec, tkey, n_queries, pq)
    if done is not None:
        return done
    m, nbits, by_residual = pq
    what = f"IVF-PQ on {'residuals' if by_residual else 'raw vectors'} (m = {m}, {nbits} bits)"

    def progress(step, total):
        text = f"codebook {step} of {m} trained" if step <= m else "every vector encoded"
        bar.progress(step / total, text=f"{what}: {text}")

    with shown_errors(), _progress_bar(st, f"{what}: training {m} codebooks of {2**nbits} codes…") as bar:
        return cache.pq_index(spec, tkey, n_queries, pq, ds.x, ds.groups, centroids, progress)



def _each_with_progress(jobs, text):
    """Run ``(key, compute, label)`` jobs through the shared cache; a bar when any is not cached.

    Returns the results in order.
    """
    todo = [j for j in jobs if cache.cached_practice(j[0]) is None]
    out = []
    with shown_errors(), _progress_bar(st, text, show=bool(todo)) as bar:
        for i, (key, compute, label) in enumerate(jobs):
            if bar is not None:
                bar.progress(i / len(jobs), text=f"{text} {label} ({i + 1} of {len(jobs)})")
            out.append(cache.practice(key, compute))
    return out


def filter_runs(key, ho, masks, k, nprobe, max_nprobe):
    """Post-filter, over-fetch and iterative runs of the held-out queries for each named mask.

    ``masks``: list of (name, allowed over ``ho.index``'s vectors); ``key`` names the
    held-out set (dataset, training, queries). Returns a list of dicts strategy -> FilteredRun.
    """
    jobs = [((key, name, k, nprobe, max_nprobe),
             (lambda m=mask: ivfcore.filtering.compare_strategies(
                 ho.index, ho.queries, k, nprobe, m, max_nprobe=max_nprobe)),
             f"filter {name}")
            for name, mask in masks]
    return _each_with_progress(jobs, "Searching the held-out queries with a filter:")


def aging_scenario(case, ds, nlist):
    """The aging page's split of the current dataset (see :func:`ivfcore.aging.make_scenario`)."""
    key = ("aging-scenario", state.spec(), case, nlist)
    with shown_errors():
        return cache.practice(key, lambda: ivfcore.aging.make_scenario(case, ds.x, ds.groups, nlist))


def aging_training(case, scenario, n_rows):
    """k-means with the app's training settings on the first ``n_rows`` rows of a scenario."""
    tkey = (scenario.nlist,) + state.training_key()[1:]
    spec = ("aging", state.spec(), case, n_rows)
    return training_for(spec, tkey, scenario.x[:n_rows])


def aging_points(case, scenario, centroids, which, fractions, nprobe, k):
    """:func:`ivfcore.aging.measure` at each fraction, shared and with progress."""
    tkey = state.training_key()[1:]
    jobs = [(("aging", state.spec(), case, scenario.nlist, tkey, which, f, nprobe, k),
             (lambda f=f: ivfcore.aging.measure(scenario, centroids, f, nprobe=nprobe, k=k)),
             f"{f:.0%} of the new rows in")
            for f in fractions]
    return _each_with_progress(jobs, "Measuring the index as rows arrive:")
