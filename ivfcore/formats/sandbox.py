"""Parse a file with a C library (HDF5, Parquet) in a child process with CPU and memory limits.

A malformed file that crashes libhdf5 or Arrow must not take down the app's server, where
one process serves a whole class. The child is a fresh interpreter (``subprocess``: no fork
of a threaded server), gets the file on stdin, sets ``resource.setrlimit`` CPU-time and
address-space limits on itself once its libraries are imported, and answers on stdout with
either an error message or an ``.npz`` of plain arrays, which the parent reads with
``allow_pickle=False``: nothing from the child is ever unpickled. A crash (a signal), a limit
or a timeout becomes an :class:`~ivfcore.InputError`.
"""

import io
import json
import os
import signal
import subprocess
import sys

import numpy as np

from ..errors import InputError
from ._common import Parsed

#: CPU seconds a child may use (RLIMIT_CPU: SIGXCPU, then SIGKILL a second later).
CPU_SECONDS = 20
#: Wall-clock seconds before the parent kills the child (it may be waiting on a busy machine).
WALL_SECONDS = 90
#: Address space a child may add to what its interpreter and libraries hold (RLIMIT_AS).
MEMORY_BYTES = 1536 * 2**20
#: Tests only: make the child misbehave while parsing ("kill", "spin" or "hog").
TEST_HOOK = None

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(kind, data, name, limits, **options):
    """Run ``ivfcore.formats.<kind>.read_in_child`` on ``data`` in a limited child process.

    Returns
    -------
    dict of str -> numpy.ndarray
        What the child's reader returned.

    Raises
    ------
    InputError
        The reader's own message, or what went wrong with the child (crash, limit, timeout).
    """
    header = {
        "kind": kind, "name": name, "limits": [limits.max_bytes, limits.max_values, limits.max_dim],
        "options": options, "cpu": CPU_SECONDS, "memory": MEMORY_BYTES, "hook": TEST_HOOK,
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               HDF5_PLUGIN_PATH=os.path.join(_ROOT, "no-hdf5-plugins"),  # never load filter plugins
               PYTHONDONTWRITEBYTECODE="1")
    what = {"hdf5": "HDF5", "parquet": "Parquet"}[kind]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ivfcore.formats._child"],
            input=json.dumps(header).encode() + b"\n" + bytes(data),
            capture_output=True, timeout=WALL_SECONDS, env=env, cwd=_ROOT,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"'{name}' took longer than {WALL_SECONDS} s to read as {what}, so reading it was "
            "stopped; the file may be damaged or built to stall the reader"
        ) from None
    except OSError as exc:
        raise InputError(f"'{name}' could not be read: the {what} reader did not start ({exc.strerror})") from None
    out = done.stdout
    if done.returncode == 0 and out[:1] == b"E":
        raise InputError(out[1:].decode("utf-8", "replace"))
    if done.returncode == 0 and out[:1] == b"L":
        raise InputError(
            f"'{name}' needed more than {MEMORY_BYTES // 2**20:,} MB of memory to read as {what}; "
            "the file may be damaged or built to exhaust memory"
        )
    if done.returncode == 0 and out[:1] == b"K":
        try:
            with np.load(io.BytesIO(out[1:]), allow_pickle=False) as npz:
                return {k: npz[k] for k in npz.files}
        except Exception:
            pass  # fall through: the child's answer is not what it should be
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL) or done.returncode == 128 + signal.SIGXCPU:
        raise InputError(
            f"'{name}' took more than {CPU_SECONDS} s of CPU time to read as {what}, so reading it "
            "was stopped; the file may be damaged or built to stall the reader"
        )
    if done.returncode < 0:
        sig = signal.Signals(-done.returncode).name if -done.returncode in signal.valid_signals() else -done.returncode
        raise InputError(
            f"'{name}' crashed the {what} reader ({sig}); the file is damaged or hostile. "
            "Nothing else was affected: try another file"
        )
    raise InputError(
        f"'{name}' could not be read as {what}: the reader stopped unexpectedly "
        f"(exit status {done.returncode})"
    )


def to_parsed(arrays):
    """The :class:`Parsed` a child's arrays describe (see :func:`pack`)."""
    names = None
    if "names_blob" in arrays:
        blob = arrays["names_blob"].tobytes().decode("utf-8", "replace")
        ends = arrays["names_ends"]
        starts = np.concatenate([[0], ends[:-1]]) if len(ends) else ends
        names = [blob[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    metric = str(arrays["metric"]) if "metric" in arrays else None
    column = str(arrays["column"]) if "column" in arrays else None
    return Parsed(x=arrays["x"], item_names=names, metric=metric, queries=arrays.get("queries"),
                  true_ids=arrays.get("true_ids"), column=column)


def pack(x, *, item_names=None, metric=None, queries=None, true_ids=None, column=None):
    """A child reader's result as plain arrays (strings as one UTF-8 blob and character ends)."""
    out = {"x": x}
    if item_names is not None:
        ends = np.cumsum([len(s) for s in item_names], dtype=np.int64)
        out["names_blob"] = np.frombuffer("".join(item_names).encode("utf-8"), dtype=np.uint8)
        out["names_ends"] = ends
    for key, value in (("metric", metric), ("column", column)):
        if value is not None:
            out[key] = np.array(value)
    for key, value in (("queries", queries), ("true_ids", true_ids)):
        if value is not None:
            out[key] = value
    return out
