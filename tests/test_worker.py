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


def test_a_worker_that_died_is_replaced():
    first = worker.run(os.getpid)
    os.kill(first, signal.SIGKILL)
    time.sleep(0.5)
    second = worker.run(os.getpid)
    assert second != first and second != os.getpid()
