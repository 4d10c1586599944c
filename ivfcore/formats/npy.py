"""NumPy ``.npy``: the header is read and checked before any data; nothing is ever unpickled."""

import io

import numpy as np

from ..errors import InputError
from ._common import Parsed, exact_count, numeric_dtype, reason


def read(data, name, limits, **_):
    """One array -> :class:`Parsed` with ``x`` (checked by the caller)."""
    return Parsed(x=parse(data, name, limits))


def parse(data, name, limits, *, part=""):
    """Parse .npy bytes after checking magic, header, dtype and size; pickles are refused."""
    where = f"'{name}'{' ' + part if part else ''}"
    fh = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fh)
    except Exception:
        raise InputError(f"{where} is not a NumPy .npy file (its first bytes are wrong)") from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    except Exception as exc:
        raise InputError(f"{where} has a damaged .npy header ({reason(exc)})") from None
    numeric_dtype(name, dtype, part)
    count = exact_count(shape)
    expected = count * dtype.itemsize
    if count > limits.max_values:
        raise InputError(
            f"{where} claims shape {shape} ({count:,} numbers); the limit is {limits.max_values:,}"
        )
    remaining = len(data) - fh.tell()
    if remaining < expected:
        raise InputError(
            f"{where} is truncated: its header promises shape {shape} ({expected:,} bytes of "
            f"data) but only {remaining:,} bytes follow"
        )
    fh.seek(0)
    try:
        return np.load(fh, allow_pickle=False)
    except Exception as exc:
        raise InputError(f"{where} could not be read as .npy ({reason(exc)})") from None
