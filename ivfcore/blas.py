"""numpy's BLAS on one thread for a while, safely when several threads ask at once.

Why: the engine's heavy loops are many small matrix products (one per inverted list, one per
block of rows). OpenBLAS splits each product over its own threads, which then wait for each
other; measured on the exercise data (100,000 x 128, 2 cores), 50 queries at nprobe = nlist =
79 cost 0.89 s of CPU with 2 BLAS threads against 0.05 s with one, and on a loaded machine the
difference grew to 20x. Where the engine wants both cores it runs its own Python threads,
each calling single-threaded BLAS on its own block (:mod:`ivfcore.lloyd`, exact search in :mod:`ivfcore.knn`).
On a server shared by several learners one BLAS thread per request is also the fair share.

OpenBLAS's thread count is one setting for the whole process (threadpoolctl changes it for
every thread), so the limit is counted: the first caller to enter sets it, the last to leave
restores it, and a caller entering while another holds it changes nothing. threadpoolctl's
view of the loaded libraries is found once and kept (finding it again costs milliseconds, every call); the engine
is written on numpy, so the BLAS that counts is numpy's, loaded with numpy before this runs (a
BLAS loaded later, such as scipy's own, is left as it is). Seen with OpenBLAS 0.3.31: a count
set from a thread other than the main one is ignored once the main thread has set one and
other threads have run products meanwhile; the app's script threads never meet this (the
main thread there is the web server's), a script that limits from its main thread may.
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_holders = 0
_limit = None  # threadpoolctl's context while at least one caller holds the limit
_controller = None


@contextlib.contextmanager
def one_thread():
    """Context in which numpy's BLAS uses a single thread (see the module docstring)."""
    global _holders, _limit, _controller
    with _lock:
        if _holders == 0:
            if _controller is None:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController().select(user_api="blas")
            _limit = _controller.limit(limits=1)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _limit is not None:
                _limit.restore_original_limits()
                _limit = None


# --- the engine's own threads, each calling single-threaded BLAS on its own block ------------

_pool_lock = threading.Lock()
_pools = {}


def n_threads():
    """Python threads a parallel pass uses: one per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def pool(threads):
    """A thread pool kept for the process (one per size), made on first use."""
    with _pool_lock:
        if threads not in _pools:
            _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="ivfcore")
        return _pools[threads]
