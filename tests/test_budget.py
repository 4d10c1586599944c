"""ui.budget: the byte budget of the shared caches (pure logic, no Streamlit)."""

import contextlib
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

from ui import budget
from ui.budget import BudgetCache, measure, nbytes

MB = 2**20


def block(mb):
    return np.zeros(int(mb * MB), dtype=np.uint8)


@dataclass(frozen=True)
class Result:
    a: np.ndarray
    b: object
    name: str = "x"


# --------------------------------------------------------------------------- measuring

def test_arrays_are_counted_through_dataclasses_tuples_and_dicts():
    a, b, c = block(1), block(2), np.ones((100, 10), np.float32)
    buffers, other = measure(Result(a, ({"k": b}, [c])))
    assert sorted(buffers.values()) == sorted([a.nbytes, b.nbytes, c.nbytes])
    assert 0 < other < 10_000  # the containers themselves, a few hundred bytes


def test_an_array_held_twice_or_through_a_view_counts_once_as_its_whole_base():
    a = block(4)
    assert nbytes((a, a[:10], a[::2])) - nbytes(()) == pytest.approx(a.nbytes, abs=500)


def test_memory_mapped_and_process_wide_arrays_cost_nothing(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.ones((1000, 50), np.float32))
    mm = np.load(path, mmap_mode="r")
    assert measure(mm[:100])[0] == {} and measure(mm)[0] == {}
    wide = np.ones((1000, 50), np.float32)
    assert measure(wide[:10], exempt=frozenset({id(wide)}))[0] == {}


def test_a_plotly_figure_counts_its_arrays_and_frames():
    import plotly.graph_objects as go

    x = np.arange(50_000, dtype=np.float32)
    fig = go.Figure(data=[go.Scattergl(x=x, y=x)],
                    frames=[go.Frame(data=[go.Scattergl(marker={"color": np.zeros(50_000, np.int8)})])
                            for _ in range(4)])
    size = nbytes(fig)
    assert 2 * x.nbytes + 4 * 50_000 <= size < 2 * (2 * x.nbytes + 4 * 50_000) + 100_000


def test_a_long_list_of_numbers_is_estimated():
    values = [float(i) for i in range(100_000)]
    exact = sum(map(__import__("sys").getsizeof, values)) + __import__("sys").getsizeof(values)
    assert nbytes(values) == pytest.approx(exact, rel=0.01)


def test_the_budget_comes_from_the_environment():
    assert budget.max_bytes_from_env({}) == 2048 * MB
    assert budget.max_bytes_from_env({"IVFLAB_CACHE_MB": "300"}) == 300 * MB
    with pytest.raises(ValueError, match="IVFLAB_CACHE_MB"):
        budget.max_bytes_from_env({"IVFLAB_CACHE_MB": "0"})


# --------------------------------------------------------------------------- the cache

def test_least_recently_used_goes_first_when_the_bytes_do_not_fit():
    cache = BudgetCache(3.5 * MB)
    for k in "abc":
        cache.put(k, block(1))
    cache.get("a")  # a is now the most recent
    cache.put("d", block(1))
    assert cache.get("b") is None and all(cache.get(k) is not None for k in "acd")
    assert 3 * MB <= cache.kept_bytes <= 3.5 * MB
    cache.put("e", block(2.4))  # needs two slots: c and a (the least recent) go
    assert sorted(k for k in "abcde" if k in cache) == ["d", "e"]


def test_entries_sharing_an_array_count_it_once_and_keep_it_until_both_are_gone():
    cache, a = BudgetCache(10 * MB), block(2)
    cache.put("x", Result(a, None))
    cache.put("y", (a, block(1)))
    assert cache.kept_bytes == pytest.approx(3 * MB, abs=2000)
    cache.discard("x")
    assert cache.kept_bytes == pytest.approx(3 * MB, abs=2000)
    cache.discard("y")
    assert cache.kept_bytes == 0


def test_an_entry_larger_than_the_budget_is_served_but_not_kept():
    cache, calls = BudgetCache(2 * MB), []
    cache.put("small", block(1))

    def big():
        calls.append(1)
        return block(3)

    assert len(cache.get_or_compute("big", big)) == 3 * MB
    assert len(cache.get_or_compute("big", big)) == 3 * MB
    assert len(calls) == 2 and "big" not in cache and "small" in cache and cache.not_kept == 2


def test_two_learners_asking_at_once_compute_once():
    cache, calls, out = BudgetCache(MB), [], []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return "trained"

    threads = [threading.Thread(target=lambda: out.append(cache.get_or_compute("k", compute))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["trained", "trained"] and len(calls) == 1


def test_a_failed_computation_leaves_nothing_behind_and_is_retried():
    cache = BudgetCache(MB)

    def bad():
        raise ValueError("bad settings")

    with pytest.raises(ValueError):
        cache.get_or_compute("k", bad)
    assert cache._key_locks == {} and cache.get("k") is None
    assert cache.get_or_compute("k", lambda: 42) == 42


# --------------------------------------------------------------------------- work in progress

def test_a_reservation_evicts_kept_entries_and_is_released():
    cache = BudgetCache(4 * MB)
    for k in "ab":
        cache.put(k, block(1.5))
    run = object()
    cache.hold(run, "ds", 2 * MB)
    assert "a" not in cache and "b" in cache and cache.reserved_bytes == 2 * MB
    cache.release(run)
    assert cache.reserved_bytes == 0


def test_a_second_run_waits_until_the_first_releases_its_reservation():
    cache, first, second, order = BudgetCache(4 * MB), object(), object(), []
    cache.hold(first, "ds1", 3 * MB)

    def other():
        cache.hold(second, "ds2", 3 * MB)
        order.append("second admitted")

    t = threading.Thread(target=other)
    t.start()
    time.sleep(0.3)
    order.append("first releases")
    cache.release(first)
    t.join(5)
    assert order == ["first releases", "second admitted"]
    cache.release(second)


def test_runs_on_the_same_dataset_share_one_reservation_and_holders_never_wait():
    cache, a, b = BudgetCache(4 * MB), object(), object()
    cache.hold(a, "ds", 3 * MB)
    cache.hold(b, "ds", 3 * MB)  # the same dataset: no second reservation, no wait
    assert cache.reserved_bytes == 3 * MB
    cache.hold(a, "other", 3 * MB)  # a holds already: granted at once, over the budget
    assert cache.reserved_bytes == 6 * MB
    cache.release(a)
    assert cache.reserved_bytes == 3 * MB
    cache.release(b)
    assert cache.reserved_bytes == 0


def test_work_larger_than_the_budget_runs_alone_and_extra_is_released_early():
    cache, run = BudgetCache(2 * MB), object()
    cache.hold(run, "ds", 2 * MB, extra=3 * MB)  # alone: admitted although it does not fit
    assert cache.reserved_bytes == 5 * MB
    cache.release_extra(run)
    assert cache.reserved_bytes == 2 * MB
    cache.release(run)


def test_the_newest_entry_is_kept_even_when_reservations_fill_the_budget():
    cache, run = BudgetCache(4 * MB), object()
    cache.put("old", block(1))
    cache.hold(run, "ds", 4 * MB)
    cache.put("training", block(1))
    assert "training" in cache and "old" not in cache
    cache.release(run)


# --------------------------------------------------------------------------- the decorator

def test_memoize_keys_on_the_arguments_without_underscore_and_spins_only_on_a_miss():
    cache, calls, spins = BudgetCache(MB), [], []

    @contextlib.contextmanager
    def spinner(text):
        spins.append(text)
        yield

    @budget.memoize(lambda: cache, show_spinner="Working…", spinner=spinner)
    def f(spec, k=3, _x=None):
        calls.append((spec, k))
        return (spec, k, len(_x))

    assert f("a", _x=[1]) == ("a", 3, 1)
    assert f("a", 3, _x=[1, 2]) == ("a", 3, 1)  # same key: the array is not part of it
    assert f("a", k=4, _x=[1]) == ("a", 4, 1)
    assert calls == [("a", 3), ("a", 4)] and spins == ["Working…", "Working…"]
    assert f.key("a", _x=None) == f.key("a", 3)


def test_without_waiting_a_reservation_that_does_not_fit_is_refused_and_nothing_is_held():
    cache, first, second = BudgetCache(4 * MB), object(), object()
    assert cache.hold(first, "ds1", 3 * MB, wait=False)
    assert not cache.hold(second, "ds2", 3 * MB, wait=False)
    assert cache.reserved_bytes == 3 * MB
    cache.release(first)
    assert cache.hold(second, "ds2", 3 * MB, wait=False)
