"""Run heavy numpy work with one BLAS thread, safely when several sessions do so at once.

Why: the engine's searches are many small matrix products (one per inverted list). OpenBLAS
splits each over its threads and the threads then wait for each other; measured on the
exercise data (100,000 x 128, 2 cores), 50 queries at nprobe = nlist = 79 cost 0.89 s of CPU
with 2 threads against 0.05 s with one, and a k-means assignment at k = 2,564 1.5 s against
0.8 s. On a server shared by several learners one thread per request is also the fair share.

OpenBLAS's thread count is one setting for the whole process (threadpoolctl changes it for
every thread), so the limit is counted: the first session to enter sets it, the last to leave
restores it; a session entering while another holds it changes nothing.
"""

import contextlib
import threading

_lock = threading.Lock()
_holders = 0
_limit = None  # threadpoolctl's context while at least one session holds the limit


@contextlib.contextmanager
def one_blas_thread():
    """Context in which numpy's BLAS uses a single thread (see the module docstring)."""
    global _holders, _limit
    with _lock:
        if _holders == 0:
            from threadpoolctl import threadpool_limits

            _limit = threadpool_limits(limits=1, user_api="blas")
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                _limit.restore_original_limits()
                _limit = None
