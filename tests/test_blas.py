"""ivfcore.blas.one_thread: BLAS on one thread inside, the count restored when the last caller leaves.

Run in a fresh process, from threads that are not the main one, as the app's script threads
are: OpenBLAS 0.3.31 ignores a thread count set from another thread once the main thread has
set one and other threads have run products meanwhile (as earlier tests in this process do).
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCENARIO = r"""
import json, threading
import numpy as np
from threadpoolctl import threadpool_info
from ivfcore import blas

def threads():
    return max(l["num_threads"] for l in threadpool_info() if l["user_api"] == "blas" and "numpy" in l["filepath"])

a = np.ones((300, 300), dtype=np.float32)
seen = {"before": None, "inside": [], "after": None}
entered, release = threading.Barrier(2), threading.Event()

def other():
    with blas.one_thread():
        entered.wait()
        release.wait()
        seen["inside"].append(threads())

def script():
    seen["before"] = threads()
    t = threading.Thread(target=other)
    t.start()
    with blas.one_thread():
        entered.wait()
        with blas.one_thread():  # nested: still one
            list(blas.pool(2).map(lambda _: a @ a, range(2)))  # the engine's own threads at work
            seen["inside"].append(threads())
    seen["inside"].append(threads())  # the other caller still holds the limit
    release.set()
    t.join()
    seen["after"] = threads()
    with blas.one_thread():  # a later caller can still limit (the count is not stuck)
        seen["inside"].append(threads())

s = threading.Thread(target=script)
s.start()
s.join()
print(json.dumps(seen))
"""


def test_one_thread_inside_restored_after_nested_and_concurrent_use():
    out = subprocess.run([sys.executable, "-c", SCENARIO], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["before"] == 2
    assert seen["inside"] == [1, 1, 1, 1]
    assert seen["after"] == 2
