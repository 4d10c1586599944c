"""ui.worker: the process UMAP fits run in, apart from the server's interpreter."""

import os
import signal
import time

import numpy as np
import pytest

import ivfcore
from ui import worker


def test_runs_in_another_process_and_passes_input_errors_back():
    assert worker.run(os.getpid) != os.getpid()
    with pytest.raises(ivfcore.InputError, match="at least 2 row"):
        worker.run(ivfcore.fit_projection, np.zeros((1, 3), np.float32), "umap")


def test_the_worker_runs_at_background_priority():
    # it must not take a core from the server's interactive work (a fit keeps one busy for seconds)
    assert worker.run(os.nice, 0) == 19
    if hasattr(os, "sched_getscheduler"):
        assert worker.run(os.sched_getscheduler, 0) == os.SCHED_IDLE


def test_a_worker_that_died_is_replaced():
    first = worker.run(os.getpid)
    os.kill(first, signal.SIGKILL)
    time.sleep(0.5)
    second = worker.run(os.getpid)
    assert second != first and second != os.getpid()


def test_two_learners_fitting_umap_at_once_both_get_their_view():
    import threading

    rng = np.random.default_rng(0)
    data = [rng.normal(size=(400, 8)).astype(np.float32) + shift for shift in (0.0, 5.0)]
    out = [None, None]

    def fit(i):
        out[i] = worker.run(ivfcore.fit_projection, data[i], "umap", sample_size=400, seed=0)

    threads = [threading.Thread(target=fit, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    for proj, x in zip(out, data):
        assert proj is not None and proj.method == "umap"
        assert proj.points.shape == (400, 2) and np.isfinite(proj.points).all()
        np.testing.assert_array_equal(proj.sample, x)  # each learner's own data came back
