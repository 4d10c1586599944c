"""TEXMEX ``.fvecs`` / ``.bvecs`` / ``.ivecs`` (SIFT1M, GIST1M): records of int32 d, then d values.

Every record must have the same d. The file is viewed in place (``np.ndarray`` over the
bytes, strided past each record's d field), so nothing is allocated until the sizes check.
"""

import numpy as np

from ..errors import InputError
from ._common import Parsed, check_claim

#: extension -> the dtype of one value
DTYPES = {".fvecs": np.dtype("<f4"), ".bvecs": np.dtype("u1"), ".ivecs": np.dtype("<i4")}


def read(data, name, limits, **_):
    """Vectors from .fvecs / .bvecs -> :class:`Parsed`."""
    return Parsed(x=parse(data, name, limits))


def parse(data, name, limits):
    """The (n, d) array of a TEXMEX file, viewed in place; every record checked for the same d."""
    ext = "." + name.rsplit(".", 1)[-1].lower()
    dtype = DTYPES[ext]
    if len(data) < 4:
        raise InputError(
            f"'{name}' has {len(data)} bytes, too short for one {ext} record (a 4-byte d, then d values)"
        )
    d = int(np.frombuffer(data, dtype="<i4", count=1)[0])
    record = 4 + d * dtype.itemsize
    n = len(data) // record if d > 0 else 0
    check_claim(name, n, d, limits, "first record")
    dims = np.ndarray(shape=(n,), dtype="<i4", buffer=data, strides=(record,))
    wrong = np.flatnonzero(dims != d)
    if wrong.size:
        r = int(wrong[0])
        raise InputError(
            f"'{name}' record {r + 1} says d={int(dims[r])} but the first record says d={d}; "
            f"every record of a {ext} file must have the same d (or the file is damaged)"
        )
    extra = len(data) - n * record
    if extra:
        raise InputError(
            f"'{name}' ends with {extra} bytes after {n:,} whole records of d={d} ({record} bytes "
            "each): the last record is truncated"
        )
    return np.ndarray(shape=(n, d), dtype=dtype, buffer=data, offset=4,
                      strides=(record, dtype.itemsize))
