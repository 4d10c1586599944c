"""The UMAP worker: one spawned process that runs UMAP fits for the whole server.

UMAP's numba code holds the interpreter lock for seconds (and importing umap for more): run
in the server process, a fit would freeze every other learner's page meanwhile. The worker
is started on first use and kept for the next fit; it also keeps umap's memory out of the
server.
"""

import importlib.machinery
import multiprocessing
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_pool = None
_lock = threading.Lock()  # one job at a time (and one pool)


def _mark_main_as_not_a_script():
    """Keep a spawned worker from running the app script again at its start.

    Streamlit installs each run's app module as ``sys.modules["__main__"]`` with app.py as its
    ``__file__``; multiprocessing's spawn re-runs such a main script in the child (drawing the
    whole app in bare mode there). A main module whose spec is named ``__main__`` is skipped.
    """
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None:
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)


def run(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` in the worker process; a worker that died is replaced once."""
    global _pool
    with _lock:
        for attempt in (1, 2):
            if _pool is None:
                _mark_main_as_not_a_script()
                _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            try:
                return _pool.submit(fn, *args, **kwargs).result()
            except BrokenProcessPool:
                _pool = None
                if attempt == 2:
                    raise
