"""The UMAP worker: one spawned process that runs UMAP fits for the whole server.

UMAP's numba code holds the interpreter lock for seconds (and importing umap for more): run
in the server process, a fit would freeze every other learner's page meanwhile. The worker
is started on first use and kept for the next fit; it also keeps umap's memory out of the
server.

The child re-imports app.py (multiprocessing's spawn does that with the parent's main
script); app.py draws only when run as "__main__", so there it does nothing.

The worker runs at the lowest CPU priority: a fit is background work, and on a class's small
server it must not take a core from the clicks of everyone else (a fit keeps one core busy
for 4-20 s). It still gets every cycle the server leaves idle.
"""

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_pool = None
_lock = threading.Lock()  # one job at a time (and one pool)


def _background():
    """Lower this process to background priority: nice 19, and Linux's idle class if it has one."""
    os.nice(19 - os.nice(0))
    if hasattr(os, "sched_setscheduler"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # not allowed here: nice 19 stays
            pass


def run(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` in the worker process; a worker that died is replaced once."""
    global _pool
    with _lock:
        for attempt in (1, 2):
            if _pool is None:
                _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_background)
            try:
                return _pool.submit(fn, *args, **kwargs).result()
            except BrokenProcessPool:
                _pool = None
                if attempt == 2:
                    raise
