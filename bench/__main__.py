"""``python -m bench [--quick] [--only SECTION ...] [--rounds N] [--max-wait S] [--json PATH]``

Prints one table: k-means (section 1), IVF-Flat and exact search (2), projection (3), GloVe by
cosine (5), IVF-PQ (6; app timings are 4). Each row is measured in the same run, and the same
interleaved rounds, as the peers it is compared with (scikit-learn wherever it has the same
method, and FAISS); a target is a ratio to the faster peer.

FAISS at its best: the run re-executes itself with ``OPENBLAS_CORETYPE`` set to the kernel
numpy's own OpenBLAS chose (see :func:`bench.common.ensure_coretype`), unless the variable is
already set or numpy has no OpenBLAS.
"""

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

import ivfcore

from . import glove, kmeans, pq, projection, search
from .common import GATE, Report, coretype_text, ensure_coretype, git_commit, machine_info, machine_table, rng

SECTIONS = ("kmeans", "search", "projection", "glove", "pq")
MODULES = {"kmeans": kmeans, "search": search, "projection": projection, "glove": glove, "pq": pq}

FULL = dict(n=None, k=100, kmeans_iter=20, naive_rows=5000, naive_iter=2, rounds=5, search_rounds=7, queries=1000,
            history_iter=100, umap_cold=True, umap_warm_runs=2, glove_n=400_000, glove_nlist=1000,
            glove_iter=10, glove_exact_rounds=3, pq_build_rounds=3)
QUICK = dict(n=20_000, k=100, kmeans_iter=5, naive_rows=1000, naive_iter=1, rounds=3, search_rounds=3, queries=1000,
             history_iter=20, umap_cold=False, umap_warm_runs=1, glove_n=50_000, glove_nlist=200,
             glove_iter=3, glove_exact_rounds=2, pq_build_rounds=2)

APP_SECTION = (
    "[4] app timings (server start to first page, exercise preset to first frame, nprobe change) "
    "are measured by the app benchmark (python -m bench.app_timing), not by this run."
)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of ivfcore against the chapter's naive code, scikit-learn and "
                    "FAISS; prints one table (see docs/benchmarks.md).",
    )
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 20k x 128, 5 iterations, 3 rounds, no cold UMAP")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                    help="run only these sections")
    ap.add_argument("--rounds", type=int, help="interleaved timing rounds (the fastest is reported)")
    ap.add_argument("--max-wait", type=float, metavar="SECONDS",
                    help="total time to spend waiting for a quiet machine before rounds "
                         "(default 600, --quick 60; 0 = never wait)")
    ap.add_argument("--json", metavar="PATH", help="also write every raw number to this JSON file")
    return ap.parse_args(argv)


def exercise_data(n):
    """The chapter's exercise data (100k x 128), or a random n-row subsample of it."""
    x = ivfcore.make_dataset("exercise", seed=0).x
    if n is not None and n < x.shape[0]:
        x = np.ascontiguousarray(x[np.sort(rng("quick-rows").choice(x.shape[0], size=n, replace=False))])
    return x


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    coretype = ensure_coretype(argv)  # may re-execute this process with OPENBLAS_CORETYPE set
    cfg = dict(QUICK if args.quick else FULL)
    if args.rounds:
        cfg["rounds"] = cfg["search_rounds"] = cfg["pq_build_rounds"] = cfg["glove_exact_rounds"] = args.rounds
    GATE.budget = args.max_wait if args.max_wait is not None else (60.0 if args.quick else 600.0)
    started = time.perf_counter()
    info = machine_info(coretype)
    info["commit"] = git_commit()
    print(f"IVF Lab benchmark ({'quick' if args.quick else 'full'}), {info['date']}")
    print(f"machine: {info['cpu']}, {info['nproc']} cores ({info['affinity']} usable), {info['mem_gb']} GB; "
          f"load average {', '.join(f'{v:.2f}' for v in info['loadavg'])}")
    print(f"numpy BLAS: {info['numpy_blas']}; FAISS BLAS: {info['faiss_blas']}")
    print(f"BLAS kernels: {coretype_text(info)}; OPENBLAS_* env: {info['openblas_env']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()), flush=True)
    if info["loadavg"][0] > 0.5:
        print(f"warning: other work is running (load {info['loadavg'][0]:.1f} on {info['nproc']} cores): "
              "each round waits for a quiet moment (see --max-wait); compare ratios", flush=True)

    x = exercise_data(cfg["n"])
    c0 = kmeans.initial_centroids(x, cfg["k"])
    report = Report()
    report.raw["config"] = cfg
    report.raw["machine"] = info
    with tempfile.TemporaryDirectory(prefix="ivf-bench-") as data_dir:
        np.save(os.path.join(data_dir, "x.npy"), x)
        np.save(os.path.join(data_dir, "c0.npy"), c0)
        for name, section in MODULES.items():
            if name in args.only:
                load0 = os.getloadavg()[0]
                section.run(report, x, c0, data_dir, cfg)
                load = (load0, os.getloadavg()[0])
                report.raw.setdefault("loadavg", {})[name] = load
                report.note(f"load average (1 min) around the {name} section: "
                            f"{load[0]:.1f} at its start, {load[1]:.1f} at its end")
    print("\n" + APP_SECTION)
    report.note(GATE.summary())
    report.raw["quiet_gate"] = {"rounds": GATE.rounds, "busy_rounds": GATE.busy_rounds, "waited_s": GATE.waited}

    elapsed = time.perf_counter() - started
    info["loadavg_end"] = os.getloadavg()
    print(f"\nResults ({x.shape[0]:,} x {x.shape[1]}, k={cfg['k']}; best of {cfg['rounds']} "
          f"interleaved rounds, {cfg['search_rounds']} for search, {cfg['pq_build_rounds']} for the IVF-PQ build, "
          f"{cfg['glove_exact_rounds']} for GloVe exact search; {elapsed / 60:.1f} min; load average at the end "
          f"{', '.join(f'{v:.2f}' for v in info['loadavg_end'])}):\n")
    print(report.table())
    print("\nMachine and run:\n")
    print(machine_table(info, " ".join(["python -m bench", *argv]), GATE))
    if report.notes:
        print("\nNotes:")
        for note in report.notes:
            print(f"- {note}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report.raw, fh, indent=1, default=_jsonable)
    return 0


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


if __name__ == "__main__":
    sys.exit(main())
