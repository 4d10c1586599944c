"""Heavy engine calls, cached by their parameters and shared by every learner on the server.

Keys are small tuples of settings (never big arrays: those are passed as ``_underscore``
arguments, which are not part of the key). Every cache lives in one byte budget
(``IVFLAB_CACHE_MB``, default 2048; ``ui/budget.py``), least recently used out first, beside
the memory that script runs reserve for large datasets (:func:`work_scope`, :func:`dataset`).
"""

import contextlib
import gc
import os
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import streamlit as st

import ivfcore
from ivfcore import tuning
from ivfcore.blas import one_thread as one_blas_thread

from . import budget, figures, file_queries, metric_lesson, query, uploads, worker

@st.cache_resource
def engine_warm_up():
    """Once per server: compile or load the engine's numba kernels in a background thread.

    Without it the first learner to train or search on a fresh checkout waits seconds for the
    compiler (:mod:`ivfcore.warmup`); a learner who arrives meanwhile waits for the same
    compilation, never a second one (numba compiles under one lock).
    """
    def run():
        try:
            ivfcore.warmup.warm_up()
        except Exception:  # a failed warm-up only means the first real call compiles
            import logging

            logging.getLogger(__name__).exception("warming up the engine's kernels failed")

    thread = threading.Thread(target=run, name="ivfcore-warm-up", daemon=True)
    thread.start()
    return thread


DISPLAY_POINTS = 5000  # vectors drawn in the 2-D views (the rest are counted, not drawn)


def _process_wide_arrays():
    """ids of arrays the process keeps anyway, which cost the cache nothing: GloVe's matrix and
    words, loaded once (``ivfcore.datasets``), of which every GloVe dataset holds views."""
    out = set()
    for loader in (ivfcore.datasets.glove_vectors, ivfcore.datasets.glove_words):
        if loader.cache_info().currsize:
            out.add(id(budget._root(loader())))
    return frozenset(out)


@st.cache_resource
def _store():
    """The server's one byte-budgeted cache, shared by every learner (see ``ui/budget.py``)."""
    return budget.BudgetCache(budget.max_bytes_from_env(), exempt=_process_wide_arrays)


def shared(show_spinner=False):
    """Like ``st.cache_resource(show_spinner=...)``, in the byte budget: same keys, same sharing."""
    return budget.memoize(lambda: _store(), show_spinner, spinner=st.spinner)


# --- work in progress on large datasets ------------------------------------------------------
LARGE_BYTES = 16 * 2**20  # a run on a dataset at least this large reserves memory for its work
WORK_FACTOR = 2  # the dataset and one structure as large derived from it (e.g. its index)
# Peak memory while generating, as multiples of the dataset's bytes (measured at 200,000 x 512,
# ru_maxrss less the interpreter's: float64 intermediates before the float32 result)
GENERATE_PEAK = {"uniform": 3, "blobs": 4, "duplicates": 4, "manifold": 5, "imbalanced": 5}
UPLOAD_PEAK = 3  # the file's bytes, what the reader builds from them, the float32 result
_run = threading.local()


@contextlib.contextmanager
def work_scope():
    """Around one script run (``app.py``): memory it reserved for a large dataset is released at its end.

    When entries were evicted meanwhile, a run that reserved also collects cyclic garbage
    (see :func:`_free_evicted`).
    """
    owner, previous = object(), getattr(_run, "owner", None)
    held_before = getattr(_run, "datasets", None)
    _run.owner, _run.datasets = owner, {}
    evictions = _store().evictions
    try:
        yield
    finally:
        _run.owner, _run.datasets = previous, held_before
        store = _store()
        held = store.holds(owner)
        store.release(owner)
        if held and store.evictions != evictions:
            _free_evicted()


def _free_evicted():
    """Free evicted entries that only reference cycles still hold.

    A page that defines a function (pages/train.py's ``first_frame``) leaves its module's
    globals, its dataset among them, in a reference cycle when the run ends, and the server
    skips the full collection after each run (``runner.postScriptGC = false``, for the
    clicks' latency): an evicted 390 MB dataset stayed alive until Python's next full
    collection (six of them at once in the first memory run). Collected only around runs on
    large datasets that evicted something, so a class on one shared dataset never pays it.
    """
    gc.collect()


def dataset_bytes(spec, upload=None):
    """Bytes of the vectors a spec will hold, known before making them (0: nothing to reserve).

    GloVe datasets are views of the process's one matrix; an upload counts its file's size.
    """
    kind, _, params = spec
    if kind == "upload":
        return len(upload.data) if upload is not None else 0
    if kind == "exercise":
        return 100_000 * 128 * 4
    p = dict(params)
    if kind == "glove" or "n" not in p or "d" not in p:
        return 0
    return int(p["n"]) * int(p["d"]) * 4


def _reserve(spec, nbytes, key, peak):
    """Reserve the work of this run on a large dataset (waits, with a spinner, while others' work fills the budget)."""
    owner = getattr(_run, "owner", None)
    if owner is None or nbytes < LARGE_BYTES:
        return None
    store = _store()
    extra = 0 if key in store else max(0, peak - WORK_FACTOR) * nbytes
    evictions = store.evictions
    if not store.hold(owner, ("dataset", spec), WORK_FACTOR * nbytes, extra, wait=False):
        with st.spinner("Waiting for memory: other learners' large datasets are being worked on…"):
            store.hold(owner, ("dataset", spec), WORK_FACTOR * nbytes, extra)
    if store.evictions != evictions:  # room was made: free it before the work allocates
        _free_evicted()
    return owner


@shared(show_spinner="Generating the dataset…")
def generated_dataset(spec):
    kind, seed, params = spec
    return ivfcore.make_dataset(kind, seed=seed, **dict(params))


@shared(show_spinner="Reading your file…")
def uploaded_dataset(digest, filename, _data, _extras=uploads.NO_EXTRAS):
    """The Dataset of an upload; ``digest`` names the file with its extras (``uploads.combined_digest``)."""
    return uploads.load(uploads.Held(digest, filename, _data, _extras))


@shared(show_spinner="Reading your file…")
def tried_upload(digest, filename, _held):
    """(Dataset, None) for an upload that loads, (None, the InputError's message) for one that does not.

    Remembers refusals too, so a choice that failed is not parsed again on every rerun.
    """
    try:
        return uploaded_dataset(digest, filename, _held.data, _held.extras), None
    except ivfcore.InputError as exc:
        return None, str(exc)


@shared(show_spinner="Reading the Parquet file's columns…")
def parquet_columns(base_digest, filename, _data):
    """``ivfcore.parquet_columns`` of an uploaded Parquet file, read once per file."""
    return ivfcore.parquet_columns(_data, filename=filename)


@shared(show_spinner=False)
def name_index(spec, _names):
    """{item name: its first row} for a dataset's ``item_names`` (words), built once per dataset."""
    n = len(_names)  # backwards, so a repeated name keeps its first row
    return dict(zip(reversed(_names), range(n - 1, -1, -1)))


def metric_of(tkey):
    """The metric a training key names (keys without one, as the fixed labs build, are "l2")."""
    return tkey[6] if len(tkey) > 6 else "l2"


def digest_of(data):
    return uploads.digest_of(data)


@st.cache_resource
def upload_store():
    """The server's uploaded files (bounded in bytes; see ``ui/uploads.py``)."""
    return uploads.UploadStore()


def dataset(spec, upload=None):
    """The Dataset a spec describes; ``upload`` is (digest, filename, bytes) for an upload.

    Inside :func:`work_scope`, a large dataset's work is reserved in the budget first: the
    dataset and one structure as large (for the rest of the run), and while it is generated
    its generator's peak.
    """
    if spec[0] == "upload":
        upload = uploads.held(upload)
        key = uploaded_dataset.key(upload.digest, upload.filename, upload.data, upload.extras)
        return _in_run(key, lambda: uploaded_dataset(upload.digest, upload.filename, upload.data, upload.extras),
                       spec, dataset_bytes(spec, upload), UPLOAD_PEAK)
    return _in_run(generated_dataset.key(spec), lambda: generated_dataset(spec),
                   spec, dataset_bytes(spec), GENERATE_PEAK.get(spec[0], 5))


def _in_run(key, make, spec, nbytes, peak):
    """The dataset ``make()`` returns, once per script run: a page asks for its dataset several
    times in one run (the sidebar, the page, the training key...), and when other learners'
    work evicted it from the shared cache in between, asking again regenerated it inside a run
    that was already past waiting for memory (the memory run saw two 200,000 x 512
    generations at once, 3.56 GB). The run's reservation counts the copy it holds."""
    held = getattr(_run, "datasets", None)
    if held is not None and key in held:
        return held[key]
    owner = _reserve(spec, nbytes, key, peak)
    try:
        ds = make()
    finally:
        if owner is not None:
            _store().release_extra(owner)
    if held is not None:
        held[key] = ds
    return ds


class _SharedLRU:
    """One shared cache's keys in the server's byte budget (:class:`ui.budget.BudgetCache`):
    each key computed once even when several learners ask at once, least recently used out first."""

    def __init__(self, name):
        self.name = name

    def get(self, key):
        return _store().get((self.name, key))

    def get_or_compute(self, key, compute):
        return _store().get_or_compute((self.name, key), compute)


@st.cache_resource
def _trainings():
    return _SharedLRU("trainings")


def cached_training(spec, tkey):
    """A finished training for these settings if one is cached, else None (never computes)."""
    return _trainings().get((spec, tkey))


def training(spec, tkey, _x, progress=None, _init=None):
    """k-means for (dataset spec, training settings); ``progress(step, total)`` sees each step.

    ``_init`` replaces the init named in ``tkey`` by explicit centroids; ``tkey`` must then
    name them uniquely (e.g. "box") since the array itself is not part of the key.
    """
    nlist, init, empty, max_iter, tol, seed = tkey[:6]

    def compute():
        # one BLAS thread: two fighting over a shared 2-core server made k-means 4x slower
        with one_blas_thread():
            return ivfcore.train_kmeans(
                _x, nlist, init=init if _init is None else _init, empty=empty, max_iter=max_iter,
                tol=tol, seed=seed, callback=progress, metric=metric_of(tkey),
            )

    return _trainings().get_or_compute((spec, tkey), compute)


@shared(show_spinner="Building the inverted lists…")
def index(spec, tkey, _x, _centroids):
    with one_blas_thread():
        return ivfcore.build_ivf(_x, _centroids, metric=metric_of(tkey))


@shared(show_spinner=False)
def projection(spec, method, _x):
    if method == "umap":
        return worker.run(ivfcore.fit_projection, _x, "umap", sample_size=DISPLAY_POINTS, seed=0)
    with one_blas_thread():  # PCA of 100k x 128: 0.4 s on one thread, seconds on two when busy
        return ivfcore.fit_projection(_x, "pca", sample_size=DISPLAY_POINTS, seed=0)


@shared(show_spinner=False)
def centroid_paths(spec, tkey, method, _proj, _km):
    """2-D positions (steps, nlist, 2) of every iteration's centroids, placed in one call."""
    stacked = np.vstack([s.centroids for s in _km.history])
    with one_blas_thread():
        xy = _proj.transform(stacked)
    return xy.reshape(len(_km.history), _km.k, 2)


@shared(show_spinner="Drawing every iteration…")
def training_figure(spec, tkey, method, title, _proj, _km, _paths):
    """The whole animation, built once per settings and shared (plotly frames take a while)."""
    return figures.training_animation(_proj.points, _proj.sample_ids, _km.history, _paths, title)


os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")


@dataclass(frozen=True)
class HeldOut:
    """Queries held out of an index with given centroids, searched at every nprobe.

    The same number of queries is held out of every group (so each group's curve has enough
    of them), and ``sweep`` averages them weighted by each group's share of the data
    (:func:`ivfcore.share_weights`): its "all queries" recall is that of queries drawn as the
    data is. ``sweep.for_queries(groups == g)`` is group g's own (plain) mean.
    """

    sweep: ivfcore.RecallSweep  # weighted as the data is
    groups: np.ndarray  # group of each query
    shares: np.ndarray  # (n_groups,) each group's share of the data: the weights of "all"
    spread: ivfcore.NeighbourSpread
    index: ivfcore.IVFIndex  # the index without the held-out vectors
    queries: np.ndarray  # (m, d)
    true_ids: np.ndarray  # (m, k) exact neighbours in ``index``
    true_distances: np.ndarray  # (m, k) their distances in the index's metric
    given: file_queries.FileQueries = None  # the queries came from the learner's file

    def recall_at(self, nprobe):
        """Recall@k of the held-out queries at one nprobe, weighted as :attr:`sweep` is."""
        one = ivfcore.recall_sweep(self.index, self.queries, k=self.sweep.k, nprobes=[nprobe],
                                   true_ids=self.true_ids, true_distances=self.true_distances)
        return float(one.weighted(self.sweep.weights).recall[0])


@st.cache_resource
def _pq_indexes():
    return _SharedLRU("pq_indexes")


def cached_pq_index(spec, tkey, n_queries, pq):
    """A built IVF-PQ index for these settings if one is cached, else None (never computes)."""
    return _pq_indexes().get((spec, tkey, n_queries, pq))


# The PQ page trains its codebooks on a sample of this many vectors per codebook entry (FAISS
# samples 256): it builds two indexes on a first visit, and training is most of their time.
PQ_POINTS_PER_CODEWORD = 64


def pq_index(spec, tkey, n_queries, pq, _x, _groups, _centroids, progress=None):
    """IVF-PQ (``pq = (m, nbits, by_residual)``) over the vectors :func:`held_out` keeps.

    Codebooks trained on at most :data:`PQ_POINTS_PER_CODEWORD` vectors per codeword (the
    index's ``n_train`` says how many). Shared like the trainings and outside
    ``st.cache_resource`` (which would replay a progress bar on every hit);
    ``progress(done, total)`` follows the codebooks.
    """
    def compute():
        keep, _ = ivfcore.holdout_split(len(_x), n_queries, seed=0, groups=_groups)
        m, nbits, by_residual = pq
        return ivfcore.build_ivfpq(_x[keep], _centroids, m=m, nbits=nbits, by_residual=by_residual,
                                   seed=0, callback=progress, metric=metric_of(tkey),
                                   max_points_per_centroid=PQ_POINTS_PER_CODEWORD)

    return _pq_indexes().get_or_compute((spec, tkey, n_queries, pq), compute)


@shared(show_spinner="Sweeping nprobe over the held-out queries…")
def pq_sweeps(spec, tkey, n_queries, k, pq, refines, _index, _flat):
    """Recall sweeps of an IVF-PQ index (:func:`pq_index`) at each refine factor in ``refines``.

    ``{refine: RecallSweep}`` on ``_flat``'s queries, truth and weights (the same vectors in
    the same lists); 1 is plain IVF-PQ, above 1 the ``k * refine`` best re-ranked exactly. One
    scan per nprobe serves every factor (:func:`ivfcore.pq.refine_sweeps`).
    """
    sweeps = ivfcore.pq.refine_sweeps(_index, _flat.queries, k=k, refines=refines, true_ids=_flat.true_ids,
                                      true_distances=_flat.true_distances)
    return {r: sw.weighted(_flat.sweep.weights) for r, sw in sweeps.items()}


def pq_held_out(index, flat, sweep):
    """:class:`HeldOut` of an IVF-PQ index (:func:`pq_index`) beside the IVF-Flat one, ``flat``.

    Both hold the same vectors in the same lists (same centroids), so the queries, their exact
    neighbours and how those spread over the lists are ``flat``'s; only the recall sweep (from
    :func:`pq_sweeps`, refine 1) is the PQ index's own.
    """
    return HeldOut(sweep=sweep, groups=flat.groups, shares=flat.shares,
                   spread=flat.spread, index=index, queries=flat.queries, true_ids=flat.true_ids,
                   true_distances=flat.true_distances, given=flat.given)


@shared(show_spinner="Decoding every vector to measure the error…")
def pq_errors(spec, tkey, n_queries, m, nbits, _indexes):
    """Relative reconstruction error of each IVF-PQ index (by_residual -> share of the spread).

    The spread is the indexed vectors' mean squared distance to their mean; both indexes
    hold the same vectors. Decoding 100k vectors takes a while: once per setting, not per rerun.
    """
    xb = next(iter(_indexes.values())).xb
    spread = float(np.mean(np.sum((xb - xb.mean(axis=0)) ** 2, axis=1)))
    return {r: idx.reconstruction_error() / spread for r, idx in _indexes.items()}


@shared(show_spinner="Sweeping nprobe over the held-out queries…")
def held_out(spec, tkey, n_queries, k, _x, _groups, _centroids):
    """Recall, work and neighbour spread for queries held out of an index with these centroids.

    The centroids come from the full training; the held-out vectors are left out of the
    lists, so no query finds itself. Recall counts equally near vectors alike (the tie rule),
    and the "all queries" means are weighted by each group's share of the data
    (:func:`pq_held_out` measures an IVF-PQ index on the same queries).
    """
    keep, qids = ivfcore.holdout_split(len(_x), n_queries, seed=0, groups=_groups)
    index = ivfcore.build_ivf(_x[keep], _centroids, metric=metric_of(tkey))
    xq = _x[qids]
    true_d, true_ids = index.exact(xq, k)
    sweep = ivfcore.recall_sweep(index, xq, k=k, true_ids=true_ids, true_distances=true_d)
    return HeldOut(
        sweep=sweep.weighted(ivfcore.share_weights(_groups[qids], _groups)),
        groups=_groups[qids],
        shares=np.bincount(_groups) / len(_groups),
        spread=ivfcore.neighbour_spread(index, xq, k=k, true_ids=true_ids, true_distances=true_d),
        index=index, queries=xq, true_ids=true_ids, true_distances=true_d,
    )


@shared(show_spinner="Sweeping nprobe over your file's queries…")
def file_held_out(spec, tkey, k, _ds, _centroids):
    """:class:`HeldOut` for the queries (and true neighbours) a learner's file brings.

    The index holds every vector of the file; the file's truth is checked against brute force
    on a sample (``ui/file_queries.py``). Keyed by the upload's digest in ``spec``.
    """
    idx = index(spec, tkey, _ds.x, _centroids)
    given = file_queries.file_truth(idx, _ds, k)
    kw = {"k": given.k, "true_ids": given.true_ids, "true_distances": given.true_distances}
    m = len(given.queries)
    return HeldOut(
        sweep=ivfcore.recall_sweep(idx, given.queries, **kw),
        groups=np.zeros(m, dtype=np.int64), shares=np.ones(1),
        spread=ivfcore.neighbour_spread(idx, given.queries, **kw),
        index=idx, queries=given.queries, true_ids=given.true_ids,
        true_distances=given.true_distances, given=given,
    )


@shared(show_spinner="Measuring how crowded each group is…")
def nearest_neighbour_distances(spec, per_group, _x, _groups):
    """Distance from sampled vectors of each group to their nearest other vector: (group -> array)."""
    rng = np.random.default_rng(0)
    out = {}
    for g in np.unique(_groups):
        ids = np.flatnonzero(_groups == g)
        sample = rng.choice(ids, size=min(per_group, len(ids)), replace=False)
        d, _ = ivfcore.brute_force_knn(_x, _x[sample], 2)
        out[int(g)] = np.sqrt(d[:, 1].astype(np.float64))
    return out


@shared(show_spinner=False)
def data_spread(spec, _x):
    """Per-dimension mean and std of a dataset (fresh random queries are drawn from them)."""
    return query.data_spread(_x)


@shared(show_spinner=False)
def centroid_groups(spec, tkey, _x, _groups, _centroids):
    """Generating group of the data vector nearest to each centroid (where the centroid sits)."""
    _, nearest_ids = ivfcore.brute_force_knn(_x, _centroids, 1, metric=metric_of(tkey))
    return _groups[nearest_ids[:, 0]]


@shared(show_spinner=False)
def box_start(spec, k, _x):
    """Initial centroids drawn uniformly from the data's bounding box (seed 0)."""
    return ivfcore.box_init(_x, k, seed=0)


# --- Choose nlist and nprobe ------------------------------------------------------------------
class GridKey(NamedTuple):
    """What one training of the Choose page's grid depends on (besides the dataset spec)."""

    nlist: int
    init: str
    empty: str
    max_iter: int
    tol: float
    seed: int
    mpc: int  # max_points_per_centroid; 0 trains on every row
    metric: str  # ivfcore.METRICS: k-means, the lists and the exact neighbours all use it


TIMED_QUERIES = 50  # queries timed per nprobe (the measured milliseconds); the recall uses all


@dataclass(frozen=True)
class GridTraining:
    """One k-means of the Choose page's grid and how long it took on this server (seconds)."""

    km: ivfcore.KMeansResult
    seconds: float


@dataclass(frozen=True)
class ChooseQueries:
    """Held-out queries of the Choose page with their exact neighbours among the kept vectors.

    As :class:`HeldOut`: the same number held out of every group, weighted by each group's
    share of the data (``weights``), so the means are those of queries drawn as the data is.
    """

    keep: np.ndarray  # ids of the indexed vectors
    query_ids: np.ndarray
    xq: np.ndarray  # (m, d)
    weights: np.ndarray  # (m,)
    true_ids: np.ndarray  # (m, k) among the kept vectors (index positions)
    true_distances: np.ndarray
    shares: np.ndarray  # each group's share of the data


@dataclass(frozen=True)
class GridPoint:
    """One nlist's recall curve over the held-out queries and its measured search times."""

    curve: object  # ivfcore.tuning.Curve
    timed_nprobes: np.ndarray
    ms_per_query: np.ndarray


@st.cache_resource
def _grid_trainings():
    return _SharedLRU("grid_trainings")


def cached_grid_training(spec, gkey):
    """A finished grid training if cached, else None (never computes)."""
    return _grid_trainings().get((spec, gkey))


def grid_training(spec, gkey, _x, progress=None):
    """k-means for one grid key (no history kept: only the centroids and labels are needed)."""
    g = GridKey(*gkey)

    def compute():
        t0 = time.perf_counter()
        km = ivfcore.train_kmeans(_x, g.nlist, init=g.init, empty=g.empty, max_iter=g.max_iter,
                                  tol=g.tol, seed=g.seed, record_history=False, callback=progress,
                                  max_points_per_centroid=g.mpc or None, metric=g.metric)
        return GridTraining(km, time.perf_counter() - t0)

    return _grid_trainings().get_or_compute((spec, gkey), compute)


@shared(show_spinner="Holding queries out and finding their exact neighbours…")
def choose_queries(spec, n_queries, k, metric, _x, _groups):
    """About ``n_queries`` held out in all, split evenly over the groups (see :class:`ChooseQueries`).

    Their exact neighbours (by ``metric``) are found once and shared by every nlist of the grid.
    """
    n_groups = len(np.unique(_groups))
    keep, qids = ivfcore.holdout_split(len(_x), max(1, -(-n_queries // n_groups)), seed=0, groups=_groups)
    xq = _x[qids]
    true_d, true_ids = ivfcore.brute_force_knn(_x[keep], xq, min(k, len(keep)), metric=metric)
    return ChooseQueries(keep=keep, query_ids=qids, xq=xq,
                         weights=ivfcore.share_weights(_groups[qids], _groups),
                         true_ids=true_ids, true_distances=true_d,
                         shares=np.bincount(_groups) / len(_groups))


@st.cache_resource
def _grid_points():
    return _SharedLRU("grid_points")


def cached_grid_point(spec, gkey, n_queries, k, must):
    return _grid_points().get((spec, gkey, n_queries, k, must))


def grid_point(spec, gkey, n_queries, k, must, _x, _q, _centroids):
    """Recall at every nprobe of :func:`ivfcore.tuning.nprobe_grid` (plus ``must``) and timings.

    The index (the kept vectors in lists of these centroids) is built, measured and dropped:
    only the curve is kept (six exercise indexes would hold 600 MB).
    """
    def compute():
        index = ivfcore.build_ivf(_x[_q.keep], _centroids, metric=GridKey(*gkey).metric)
        nprobes = tuning.nprobe_grid(index.nlist, must=must)
        curve = tuning.recall_curve(index, _q.xq, k=k, nprobes=nprobes, true_ids=_q.true_ids,
                                    true_distances=_q.true_distances, weights=_q.weights)
        timed = np.unique(np.r_[4 ** np.arange(int(np.log(index.nlist) / np.log(4)) + 1), index.nlist, must])
        timed = timed[(timed >= 1) & (timed <= index.nlist)].astype(np.int64)
        ms = tuning.time_search(index, _q.xq[:TIMED_QUERIES], k=k, nprobes=timed, repeats=2)
        return GridPoint(curve, timed, ms)

    return _grid_points().get_or_compute((spec, gkey, n_queries, k, must), compute)


@shared(show_spinner="Searching the held-out queries…")
def sample_recall(spec, gkey, n_queries, k, nprobe, _x, _q, _centroids):
    """Recall@k of the held-out queries at one nprobe, for the index of one training."""
    index = ivfcore.build_ivf(_x[_q.keep], _centroids, metric=GridKey(*gkey).metric)
    curve = tuning.recall_curve(index, _q.xq, k=k, nprobes=[nprobe], true_ids=_q.true_ids,
                                true_distances=_q.true_distances, weights=_q.weights)
    return float(curve.recall[0])


@shared(show_spinner="Judging each metric's index by the data's own neighbours…")
def metric_comparison(spec, tkeys, n_queries, k, truth, _held, _full, _x):
    """:func:`ui.metric_lesson.compare` for the trainings ``tkeys`` (one per metric), cached."""
    return metric_lesson.compare(_held, _full, _x, truth)


@shared(show_spinner=False)
def neighbour_words(spec, qid, k, _x, _names):
    """:func:`ui.metric_lesson.neighbour_words` for one data vector, cached."""
    return metric_lesson.neighbour_words(_x, _names, qid, k)

# --- the practitioner's pages (aging, filtered search): shared, computed once per key --------

@st.cache_resource
def _practice():
    return _SharedLRU("practice")


def cached_practice(key):
    """A finished computation of the aging or filtered page for ``key``, else None (never computes)."""
    return _practice().get(key)


def practice(key, compute):
    """``compute()`` once per ``key`` (a tuple of settings) for every session on the server."""
    return _practice().get_or_compute(key, compute)


