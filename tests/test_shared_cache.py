"""ui.cache._SharedLRU: the trainings cache every learner on a server shares."""

import threading
import time

import pytest

from ui.cache import _SharedLRU


def test_two_learners_asking_at_once_compute_once():
    lru, calls, out = _SharedLRU(max_entries=4), [], []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return "trained"

    threads = [threading.Thread(target=lambda: out.append(lru.get_or_compute("k", compute))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["trained", "trained"] and len(calls) == 1


def test_a_failed_computation_leaves_nothing_behind_and_is_retried():
    lru = _SharedLRU(max_entries=4)

    def bad():
        raise ValueError("bad settings")

    with pytest.raises(ValueError):
        lru.get_or_compute("k", bad)
    assert lru._key_locks == {} and lru.get("k") is None
    assert lru.get_or_compute("k", lambda: 42) == 42


def test_least_recently_used_entry_goes_first():
    lru = _SharedLRU(max_entries=2)
    lru.get_or_compute("a", lambda: 1)
    lru.get_or_compute("b", lambda: 2)
    lru.get("a")  # a is now the most recent
    lru.get_or_compute("c", lambda: 3)
    assert lru.get("b") is None and lru.get("a") == 1 and lru.get("c") == 3
    assert lru._key_locks == {}
