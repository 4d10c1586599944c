"""The child side of :mod:`ivfcore.formats.sandbox`: ``python -m ivfcore.formats._child``.

Reads a JSON header line and the file from stdin, imports the reader, limits its own CPU time
and address space, parses, and writes one answer to stdout: ``K`` + an .npz of arrays,
``E`` + an error message, or ``L`` (out of memory).
"""

import importlib
import io
import json
import os
import resource
import signal
import sys

import numpy as np

from ..errors import InputError
from ._common import Limits, reason


def _limit_self(cpu, memory):
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        with open("/proc/self/statm") as fh:
            held = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # no /proc: limit what is added only where it can be measured
        return
    resource.setrlimit(resource.RLIMIT_AS, (held + memory, held + memory))


def _misbehave(hook):
    """Tests only: stand in for a file that crashes, stalls or floods the reader."""
    if hook == "kill":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif hook == "spin":
        while True:
            pass
    elif hook == "hog":
        hog = [bytearray(2**26) for _ in range(10**6)]
        del hog


def main():
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    data = stdin.read()
    name = header["name"]
    reader = importlib.import_module(f"{__package__}.{header['kind']}")
    reader.prepare_child()  # import the C library before the limits apply
    _limit_self(header["cpu"], header["memory"])
    out = sys.stdout.buffer
    try:
        _misbehave(header["hook"])
        arrays = reader.read_in_child(data, name, Limits(*header["limits"]), **header["options"])
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        answer = b"K" + buf.getvalue()
    except InputError as exc:
        answer = b"E" + str(exc).encode("utf-8")
    except MemoryError:
        answer = b"L"
    except Exception as exc:  # noqa: BLE001 - a library's own error about a malformed file
        answer = b"E" + f"'{name}' could not be read ({reason(exc)[:200]})".encode("utf-8")
    out.write(answer)
    out.flush()


if __name__ == "__main__":
    main()
