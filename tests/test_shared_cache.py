"""ui.cache's shared caches: one byte budget for every learner on a server (logic: tests/test_budget.py)."""

import numpy as np
import pytest

import ivfcore
from ui import budget, cache


@pytest.fixture()
def store(monkeypatch):
    """A fresh budget of 64 MB in place of the server's."""
    fresh = budget.BudgetCache(64 * 2**20, exempt=cache._process_wide_arrays)
    monkeypatch.setattr(cache, "_store", lambda: fresh)
    return fresh


def test_a_second_learner_gets_the_same_object_without_recomputing(store):
    spec = ("blobs", 0, (("n", 500), ("d", 4), ("centers", 3), ("spread", 1.0)))
    ds = cache.generated_dataset(spec)
    assert cache.generated_dataset(spec) is ds
    tkey = (4, "random", "reinit", 10, 1e-4, 0)
    km = cache.training(spec, tkey, ds.x)
    assert cache.cached_training(spec, tkey) is km and cache.training(spec, tkey, ds.x) is km
    # the dataset, the training and its history are all in the one budget
    assert store.kept_bytes >= ds.x.nbytes + km.labels.nbytes


def test_the_caches_share_one_budget_and_evict_the_least_recently_used(store):
    specs = [("uniform", s, (("n", 20_000), ("d", 256))) for s in range(4)]  # 19.5 MB each
    for spec in specs:
        cache.generated_dataset(spec)
    assert store.kept_bytes <= store.max_bytes
    kept = [spec for spec in specs if cache.generated_dataset.key(spec) in store]
    assert kept == specs[1:]  # the first (least recently used) went


def test_a_large_dataset_reserves_its_work_until_the_run_ends(store, monkeypatch):
    monkeypatch.setattr(cache, "LARGE_BYTES", 2**20)
    spec = ("uniform", 7, (("n", 10_000), ("d", 64)))  # 2.4 MB
    with cache.work_scope():
        ds = cache.dataset(spec)
        assert store.reserved_bytes == cache.WORK_FACTOR * ds.x.nbytes  # the generator's peak released
    assert store.reserved_bytes == 0
    with cache.work_scope():
        assert cache.dataset(spec) is ds


def test_glove_views_cost_the_budget_nothing(store):
    try:
        ds = cache.generated_dataset(("glove", 0, (("n", 5000),)))
    except Exception as exc:  # noqa: BLE001 - the optional package is missing
        pytest.skip(str(exc))
    assert budget.measure(ds.x, cache._process_wide_arrays())[0] == {}
    assert store.kept_bytes < 5000 * 50 * 4


def test_a_dataset_evicted_while_a_finished_page_still_cycles_on_it_is_freed(store, monkeypatch):
    """A page module's globals (with a function defined in it) form a cycle holding its dataset:
    after eviction, the next large run frees it without waiting for Python's full collection."""
    import gc
    import weakref

    monkeypatch.setattr(cache, "LARGE_BYTES", 2**20)
    store.max_bytes = 12 * 2**20
    first, second = ("uniform", 1, (("n", 10_000), ("d", 64))), ("uniform", 2, (("n", 10_000), ("d", 64)))
    gc.disable()  # as a busy server with postScriptGC off: no automatic collection
    try:
        with cache.work_scope():
            page = {"ds": cache.dataset(first)}
            exec("def first_frame():\n    return ds", page)  # its __globals__ is the page's dict
            alive = weakref.ref(page["ds"].x)
        del page
        assert alive() is not None  # only the cycle holds it now (and the cache)
        with cache.work_scope():
            cache.dataset(second)  # 2.4 MB x 4 (reservation + generator) evicts the first
        assert cache.generated_dataset.key(first) not in store
        assert alive() is None
    finally:
        gc.enable()


def test_a_run_keeps_its_dataset_when_others_evict_it_meanwhile(store, monkeypatch):
    """Asked for again in the same run after another learner's work evicted it, the dataset is
    the run's own copy, not a second generation (which the run, already holding a reservation,
    would make without waiting for memory)."""
    monkeypatch.setattr(cache, "LARGE_BYTES", 2**20)
    spec = ("uniform", 3, (("n", 10_000), ("d", 64)))
    made = []
    real = ivfcore.make_dataset
    monkeypatch.setattr(ivfcore, "make_dataset", lambda *a, **k: made.append(a) or real(*a, **k))
    with cache.work_scope():
        ds = cache.dataset(spec)
        store.clear()  # another learner's generation evicted everything
        assert cache.dataset(spec) is ds
        assert len(made) == 1
    with cache.work_scope():  # a new run asks the shared cache again
        assert cache.dataset(spec) is not ds
    assert len(made) == 2
