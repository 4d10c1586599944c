"""big-ann-benchmarks ``.fbin`` / ``.u8bin`` / ``.i8bin`` / ``.ibin``: uint32 n, uint32 d, then n*d values.

The size must be exactly 8 + n*d*itemsize; the header is checked against the limits and the
size before anything is allocated, so a header claiming billions of rows costs nothing.
"""

import numpy as np

from ..errors import InputError
from ._common import Parsed, check_claim

#: extension -> the dtype of one value
DTYPES = {".fbin": np.dtype("<f4"), ".u8bin": np.dtype("u1"), ".i8bin": np.dtype("i1"),
          ".ibin": np.dtype("<i4")}


def read(data, name, limits, **_):
    """Vectors from .fbin / .u8bin / .i8bin -> :class:`Parsed`."""
    return Parsed(x=parse(data, name, limits))


def parse(data, name, limits):
    """The (n, d) array of a big-ann file, viewed in place after the header checks."""
    ext = "." + name.rsplit(".", 1)[-1].lower()
    dtype = DTYPES[ext]
    if len(data) < 8:
        raise InputError(
            f"'{name}' has {len(data)} bytes, too short for the 8-byte {ext} header (n, d as uint32)"
        )
    n, d = (int(v) for v in np.frombuffer(data, dtype="<u4", count=2))
    check_claim(name, n, d, limits, "header")
    expected = 8 + n * d * dtype.itemsize
    if len(data) != expected:
        raise InputError(
            f"'{name}' header says n={n:,}, d={d} ({expected:,} bytes with the header) but the "
            f"file has {len(data):,} bytes; it is truncated or not a {ext} file"
        )
    return np.ndarray(shape=(n, d), dtype=dtype, buffer=data, offset=8)
