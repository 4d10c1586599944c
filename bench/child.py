"""Work that must run in a fresh process: ``python -m bench.child TASK PARAMS_JSON``.

Prints one JSON line. Tasks:

``kmeans_mem``  peak extra memory of one k-means method (VmHWM of this process, reset after
                the data is loaded and the libraries imported, minus the resident size then).
``umap``        time ``ivfcore.fit_projection(x, "umap")`` with whatever NUMBA_CACHE_DIR the
                parent set (empty = cold, filled = warm), then ``Projection.transform``.
"""

import json
import os
import sys
import time

import numpy as np

from .common import proc_status_mb, reset_peak


def _load(data_dir, name):
    return np.load(os.path.join(data_dir, name + ".npy"))


def kmeans_mem(p):
    from . import kmeans

    x = _load(p["data_dir"], "x_naive" if p["method"] == "naive" else "x")
    c0 = _load(p["data_dir"], "c0")
    run = kmeans.METHODS[p["method"]]
    kmeans.warm_up(x, c0, [p["method"]])  # imports, thread pools, first-call allocations: before the reset
    was_reset = reset_peak()
    before = proc_status_mb("VmRSS", "VmHWM")
    n_iter = run(x, c0, p["n_iter"])
    after = proc_status_mb("VmHWM")["VmHWM"]
    base = before["VmRSS"] if was_reset else before["VmHWM"]
    return {"extra_mb": after - base, "base_mb": base, "peak_mb": after, "reset": was_reset,
            "n_iter": n_iter, "rows": int(x.shape[0])}


def umap(p):
    import ivfcore

    x = _load(p["data_dir"], "x")
    hist = _load(p["data_dir"], "centroid_history")
    base = proc_status_mb("VmRSS")["VmRSS"]
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    import numba  # noqa: F401  (imported here to hook its compile events; part of the timing)
    from numba.core import event

    compile_s = _compile_clock(event)
    event.register("numba:compile", compile_s)
    t_fit0 = time.perf_counter()
    proj = ivfcore.fit_projection(x, "umap")
    fit_s = time.perf_counter() - t0
    fit_cpu = _cpu_s() - cpu0
    fit_compile = compile_s.total
    transform_s = []
    for _ in range(3):  # best of 3: this child cannot wait for a quiet moment between them
        t1 = time.perf_counter()
        placed = proj.transform(hist)
        transform_s.append(time.perf_counter() - t1)
    return {
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu,
        "numba_import_s": t_fit0 - t0,
        "compile_s": fit_compile,
        "transform_s": min(transform_s),
        "transform_first_s": transform_s[0],
        "transform_rows": int(placed.shape[0]),
        "sample": int(proj.points.shape[0]),
        "peak_extra_mb": proc_status_mb("VmHWM")["VmHWM"] - base,
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR"),
    }


def _cpu_s():
    """CPU seconds of this process so far (all threads): close to wall time unless the machine is busy."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _compile_clock(event):
    """A numba event listener adding up wall time in outermost compilations (nested counted once)."""

    class CompileClock(event.Listener):
        def __init__(self):
            self.total, self.depth, self.t0 = 0.0, 0, 0.0

        def on_start(self, ev):
            if self.depth == 0:
                self.t0 = time.perf_counter()
            self.depth += 1

        def on_end(self, ev):
            self.depth -= 1
            if self.depth == 0:
                self.total += time.perf_counter() - self.t0

    return CompileClock()


TASKS = {"kmeans_mem": kmeans_mem, "umap": umap}


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")
    task, params = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(TASKS[task](params)), flush=True)
