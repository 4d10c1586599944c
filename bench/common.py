"""Shared pieces: seeds, FAISS's BLAS kernels, interleaved timing, child processes, the results table."""

import json
import os
import platform
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 0


def rng(purpose):
    """A Generator of its own for each purpose, all derived from SEED (no global state)."""
    return np.random.default_rng([SEED, zlib.crc32(purpose.encode())])


# ---------------------------------------------------------------------------------------------
# FAISS at its best: its bundled OpenBLAS on the kernels numpy's OpenBLAS chose

CORETYPE = "OPENBLAS_CORETYPE"
_SET_BY_BENCH = "IVFLAB_BENCH_SET_CORETYPE"  # marks a process the benchmark re-executed


def numpy_blas_kernel():
    """The kernel numpy's own OpenBLAS chose for this CPU (threadpoolctl's "architecture"), or None.

    None where numpy's BLAS is not OpenBLAS (MKL, Accelerate, a reference BLAS) or does not
    say. FAISS's bundled OpenBLAS (0.3.15 in faiss-cpu 1.x) is older and falls back to
    Prescott kernels on CPUs it does not know, unless ``OPENBLAS_CORETYPE`` names one at load.
    """
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        if pool["user_api"] == "blas" and "numpy" in pool["filepath"]:
            if pool["internal_api"] == "openblas":
                return pool.get("architecture") or None
            return None
    return None


def _native_kernel():
    """numpy's OpenBLAS kernel in a fresh process without ``OPENBLAS_CORETYPE``, or None."""
    env = {k: v for k, v in os.environ.items() if k != CORETYPE}
    try:
        out = subprocess.run(
            [sys.executable, "-c", "from bench.common import numpy_blas_kernel; print(numpy_blas_kernel() or '')"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def ensure_coretype(argv):
    """Run the whole benchmark with ``OPENBLAS_CORETYPE`` = numpy's OpenBLAS kernel.

    OpenBLAS reads the variable once, when the library loads, so setting it from Python after
    ``import faiss`` would do nothing; setting it before the import would still miss a library
    loaded earlier. The one honest way is to re-execute this process with the variable in its
    environment: then every library of this process and every child process (memory, UMAP)
    loads with it. Left alone where the user already set it, or where numpy has no OpenBLAS
    (nothing to copy). Returns the process's state as a dict (also when it does not re-exec):
    ``numpy_kernel``, ``value`` (the variable, or None) and ``source`` (who set it, in words).
    """
    kernel = numpy_blas_kernel()
    value = os.environ.get(CORETYPE)
    if value is not None and os.environ.get(_SET_BY_BENCH) != value:
        kernel = _native_kernel()  # numpy's OpenBLAS obeys the user's value too: ask a clean process
    if value is None and kernel is not None:
        env = dict(os.environ, **{CORETYPE: kernel, _SET_BY_BENCH: kernel})
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, "-m", "bench", *argv], env)
    if value is None:
        source = "not set: numpy's BLAS is not OpenBLAS (or names no kernel), nothing to copy"
    elif os.environ.get(_SET_BY_BENCH) == value:
        source = "set by the benchmark to numpy's OpenBLAS kernel, for the whole run"
    elif kernel is not None and value.lower() != kernel.lower():
        source = f"set by the user (left alone; numpy's OpenBLAS chose {kernel})"
    else:
        source = "set by the user (left alone)"
    return {"numpy_kernel": kernel, "value": value, "source": source}


# ---------------------------------------------------------------------------------------------
# A shared machine: wait for a quiet moment before each round


def cpu_busy(interval=0.5):
    """Fraction of all CPUs' time that was not idle over ``interval`` seconds (/proc/stat)."""

    def snap():
        with open("/proc/stat") as fh:
            v = [int(f) for f in fh.readline().split()[1:9]]
        return sum(v), v[3] + v[4]  # total, idle + iowait

    t0, i0 = snap()
    time.sleep(interval)
    t1, i1 = snap()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


class QuietGate:
    """Before a timed round, wait until other work leaves the CPUs mostly idle.

    Other jobs on a shared machine come in bursts; a round that starts in a quiet moment
    measures the code, not the neighbours. Each wait is capped (``per_wait`` s) and all waits
    share one budget (``budget`` s), so a machine that never calms down only costs that much;
    rounds that had to start busy are counted and reported.
    """

    def __init__(self, budget=600.0, per_wait=60.0, threshold=0.25):
        self.budget, self.per_wait, self.threshold = budget, per_wait, threshold
        self.waited = 0.0
        self.rounds = self.busy_rounds = 0

    def wait(self):
        start = time.perf_counter()
        limit = min(self.per_wait, max(0.0, self.budget - self.waited))
        quiet = cpu_busy() <= self.threshold
        while not quiet and time.perf_counter() - start < limit:
            time.sleep(1.0)
            quiet = cpu_busy() <= self.threshold
        self.waited += time.perf_counter() - start
        self.rounds += 1
        self.busy_rounds += not quiet
        return quiet

    def summary(self):
        return (f"{self.rounds - self.busy_rounds} of {self.rounds} timed rounds started on a quiet "
                f"machine (CPUs at most {self.threshold:.0%} busy); {self.busy_rounds} had to start "
                f"busy; {self.waited:.0f} s spent waiting for quiet")


GATE = QuietGate()


# ---------------------------------------------------------------------------------------------
# Timing


def interleaved(fns, rounds):
    """Time every callable once per round, round-robin, rotating the order each round.

    Methods that are compared run next to each other, so a burst of load from other work
    hits all of them alike, and each round waits for a quiet moment first (:class:`QuietGate`).
    Returns ``{name: [seconds per round]}``.
    """
    names = list(fns)
    times = {name: [] for name in names}
    for r in range(rounds):
        GATE.wait()
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def best(values):
    """The fastest round: the one least disturbed by other work on a shared machine."""
    return min(values)


def best_ratio(a, b):
    """best(a) / best(b) for two methods timed in the same interleaved rounds."""
    return min(a) / min(b)


def faster_peer(times, peers):
    """The peer (a key of ``times``) whose fastest round was the fastest of them."""
    return min(peers, key=lambda name: best(times[name]))


# ---------------------------------------------------------------------------------------------
# Memory: each measurement in a fresh child process


def proc_status_mb(*keys):
    """Fields of /proc/self/status in MB (VmHWM = this process's own peak resident size)."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            name = line.split(":", 1)[0]
            if name in keys:
                out[name] = int(line.split()[1]) / 1024
    return out


def reset_peak():
    """Reset VmHWM to the current resident size (Linux clear_refs); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def run_child(task, params, env=None, timeout=900):
    """Run ``python -m bench.child task params`` in a fresh process; return its JSON answer.

    A fresh process is the only clean way to read one method's peak memory (ru_maxrss is
    inherited across fork, VmHWM is not) and to time UMAP with a given numba cache.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "bench.child", task, json.dumps(params)],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench child {task} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Targets and the table


@dataclass
class Target:
    """A goal for one number: ``value >= limit`` (">="), ``value < limit`` ("<"), ``value <= limit``
    ("<=") or ``value == limit`` ("==", e.g. queries whose ids agree out of all queries)."""

    kind: str
    limit: float
    unit: str = ""

    def text(self):
        if self.kind == "==":
            return f"all {_num(self.limit)}{self.unit}"
        return f"{self.kind} {_num(self.limit)}{self.unit}"

    def status(self, value):
        if self.kind == "==":
            return "met" if value == self.limit else f"MISSED by {_num(abs(self.limit - value))}{self.unit}"
        if self.kind == ">=":
            if value >= self.limit:
                return f"met ({value / self.limit:.2f}x the target)"
            return f"MISSED by {_num(self.limit - value)}{self.unit} (needs {self.limit / value:.2f}x)"
        if value < self.limit or (self.kind == "<=" and value == self.limit):
            return f"met ({_num(self.limit - value)}{self.unit} to spare)"
        return f"MISSED by {_num(value - self.limit)}{self.unit} ({value / self.limit:.2f}x the target)"


@dataclass
class Row:
    section: str
    what: str
    value: str
    reference: str = ""
    ratio: str = ""
    target: Target = None
    target_value: float = None  # the number the target is checked against

    def cells(self):
        target = self.target.text() if self.target else ""
        status = self.target.status(self.target_value) if self.target else ""
        return [self.section, self.what, self.value, self.reference, self.ratio, target, status]


HEADER = ["#", "measurement", "value", "reference (same run)", "ratio", "target", "status"]


@dataclass
class Report:
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    def add(self, *args, **kwargs):
        row = Row(*args, **kwargs)
        self.rows.append(row)
        print("  " + " | ".join(c for c in row.cells()[1:] if c), flush=True)
        return row

    def note(self, text):
        self.notes.append(text)
        print("  note: " + text, flush=True)

    def table(self):
        """The rows as a Markdown table (also readable as plain text)."""
        cells = [HEADER] + [r.cells() for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
        line = lambda c: "| " + " | ".join(s.ljust(w) for s, w in zip(c, widths)) + " |"
        out = [line(HEADER), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [line(c) for c in cells[1:]]
        return "\n".join(out)


def _num(v):
    """A number at a readable precision."""
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_ms(seconds):
    return f"{_num(seconds * 1e3)} ms"


def fmt_s(seconds):
    return f"{_num(seconds)} s"


def fmt_mb(mb):
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{_num(mb)} MB"


def fmt_x(ratio):
    return f"{ratio:.2f}x"


# ---------------------------------------------------------------------------------------------
# The machine


def machine_info(coretype=None):
    """What the numbers were measured on: CPU, cores, BLAS kernels, library versions, load.

    ``coretype`` is :func:`ensure_coretype`'s answer; it is recorded with the kernels the
    two OpenBLAS libraries actually loaded.
    """
    import faiss  # noqa: F401  (loaded so threadpoolctl sees its BLAS and OpenMP)
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    model = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(l.split(":", 1)[1].strip() for l in fh if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    pools = threadpool_info()
    numpy_blas = next((p for p in pools if "numpy" in p["filepath"] and p["user_api"] == "blas"), None)
    blas = "unknown"
    if numpy_blas:
        blas = (
            f"{numpy_blas['internal_api']} {numpy_blas.get('version')} "
            f"({numpy_blas.get('architecture', '?')} kernels, {numpy_blas['num_threads']} threads, "
            f"{numpy_blas.get('threading_layer', '?')})"
        )
    faiss_blas = next((p for p in pools if "faiss" in p["filepath"] and p["user_api"] == "blas"), None)
    openblas_env = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}
    versions = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
                "scikit-learn": sklearn.__version__}
    for mod in ("faiss", "umap", "numba", "pynndescent"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001  (a version is only informative)
            versions[mod] = "?"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": model,
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "numpy_blas": blas,
        "faiss_blas": (
            f"{faiss_blas['internal_api']} {faiss_blas.get('version')} "
            f"({faiss_blas.get('architecture', '?')} kernels)" if faiss_blas else "?"
        ),
        "openblas_env": openblas_env or "none set",
        "coretype": dict(coretype or {}, faiss_kernel=faiss_blas.get("architecture") if faiss_blas else None),
        "versions": versions,
        "loadavg": os.getloadavg(),
    }


def coretype_text(info):
    """One line on ``OPENBLAS_CORETYPE``: its value, who set it, what each OpenBLAS loaded."""
    ct = info.get("coretype") or {}
    value = ct.get("value")
    head = f"{CORETYPE}={value}" if value is not None else f"{CORETYPE} not set"
    faiss_kernel = ct.get("faiss_kernel")
    tail = f"; FAISS's OpenBLAS runs {faiss_kernel} kernels" if faiss_kernel else ""
    if faiss_kernel and ct.get("numpy_kernel") and faiss_kernel.lower() != ct["numpy_kernel"].lower():
        tail += f" (not numpy's {ct['numpy_kernel']}: FAISS is not at its best in this run)"
    return f"{head} ({ct.get('source', '?')}){tail}"


def git_commit():
    """The short commit of the code measured (with '+changes' for a dirty tree), or '?'."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (head or "?") + (" + uncommitted changes" if dirty else "")


def machine_table(info, command, gate):
    """The "Machine and run" table of docs/benchmarks.md, in Markdown, for this run."""
    load = info["loadavg"]
    end = info.get("loadavg_end", load)
    rows = [
        ("command", f"`{command}`"),
        ("date", f"{info['date']} (code of commit {info.get('commit', '?')})"),
        ("CPU", f"{info['cpu']} (as `/proc/cpuinfo` names it), `nproc` = {info['nproc']}"
                + (f", {info['affinity']} usable" if info["affinity"] != info["nproc"] else "")),
        ("memory", f"{info['mem_gb']} GB"),
        ("numpy BLAS (threadpoolctl)", info["numpy_blas"]),
        ("FAISS BLAS (threadpoolctl)", info["faiss_blas"]),
        (f"`{CORETYPE}`", coretype_text(info)),
        ("versions", ", ".join(f"{k} {v}" for k, v in info["versions"].items())),
        ("load", f"{gate.summary()}; load average {load[0]:.1f} at the start, {end[0]:.1f} at the end"),
    ]
    return "\n".join(["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows])
