"""ivfcore.blas.one_thread: BLAS on one thread inside, the count restored when the last caller leaves."""

import threading

from threadpoolctl import threadpool_info, threadpool_limits

from ivfcore import blas


def _blas_threads():
    """numpy's BLAS threads (numpy's wheel carries its BLAS in numpy.libs; scipy has its own)."""
    return max(lib["num_threads"] for lib in threadpool_info()
               if lib["user_api"] == "blas" and "numpy" in lib["filepath"])


def test_one_thread_inside_and_restored_after_nested_and_concurrent_use():
    before = _blas_threads()
    inside = []
    entered, release = threading.Barrier(2), threading.Event()

    def other():
        with blas.one_thread():
            entered.wait()
            release.wait()
            inside.append(_blas_threads())

    t = threading.Thread(target=other)
    t.start()
    with blas.one_thread():
        entered.wait()
        with blas.one_thread():  # nested: still one
            inside.append(_blas_threads())
    inside.append(_blas_threads())  # the other caller still holds the limit
    release.set()
    t.join()
    assert inside == [1, 1, 1]
    assert _blas_threads() == before


def test_nothing_changed_when_blas_already_runs_on_one_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        with blas.one_thread():
            assert _blas_threads() == 1
        assert _blas_threads() == 1
