"""What every reader shares: the limits it is given, what it returns, and the final checks.

A reader turns the bytes of one file into a :class:`Parsed` (raw numeric arrays, not yet
checked for shape or finiteness); ``ivfcore.loading`` then runs :func:`check_matrix` and
:func:`check_ids` on every part, whatever the format, so the messages are the same for all.
"""

import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class Limits:
    """The size limits a reader checks before it allocates anything (from ``ivfcore.loading``)."""

    max_bytes: int
    max_values: int
    max_dim: int


@dataclass(frozen=True)
class Parsed:
    """What a reader found in a file: vectors ``x`` and, when the format carries them, more."""

    x: np.ndarray
    item_names: object = None  # a str per row of x
    metric: str = None
    queries: np.ndarray = None
    true_ids: np.ndarray = None
    column: str = None  # the Parquet column the vectors came from


#: The metric each ann-benchmarks ``distance`` attribute asks for.
ANN_METRICS = {"euclidean": "l2", "l2": "l2", "angular": "cosine", "cosine": "cosine",
               "dot": "ip", "ip": "ip"}


def reason(exc):
    """The first line of a library's own reason, without object reprs: it is shown to a learner."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    text = re.sub(r"<[^<>]* object at 0x[0-9a-fA-F]+>", "an expression", text)
    text = text.replace("Error:", "error")
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def check_claim(name, n, d, limits, what):
    """Refuse a header's claimed (n, d) before anything of that size is allocated."""
    if d <= 0:
        raise InputError(f"'{name}' {what} says d={d}; a vector needs at least 1 dimension")
    if d > limits.max_dim:
        raise InputError(f"'{name}' {what} says d={d} dimensions; the limit is {limits.max_dim}")
    count = n * d
    if count > limits.max_values:
        raise InputError(
            f"'{name}' {what} claims {n:,} x {d} = {count:,} numbers; the limit is "
            f"{limits.max_values:,}"
        )


def check_values(name, count, limits, what="holds"):
    """Refuse more than ``limits.max_values`` numbers in total (checked before reading them)."""
    if count > limits.max_values:
        raise InputError(f"'{name}' {what} {count:,} numbers; the limit is {limits.max_values:,}")


def numeric_dtype(name, dtype, part=""):
    """Refuse any dtype that is not plain real numbers (strings, records, objects, complex)."""
    where = f"'{name}'{' ' + part if part else ''}"
    if dtype.hasobject:
        raise InputError(f"{where} holds Python objects (a pickle); only plain numeric arrays are accepted")
    if dtype.kind == "c":
        raise InputError(f"{where} holds complex numbers; vectors must be real")
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise InputError(f"{where} holds {dtype} values; vectors must be numbers")


def check_matrix(x, name, limits, *, part="", min_rows=2):
    """Shape, size and finiteness checks shared by every format; returns float32 (n, d).

    ``part`` names the piece of a file being checked ("queries (test)") in the message.
    """
    where = f"'{name}'{' ' + part if part else ''}"
    if x.ndim == 0:
        raise InputError(f"{where} holds a single number; expected an (n, d) matrix of vectors")
    if x.ndim == 1:
        raise InputError(
            f"{where} holds a 1-D array of {x.shape[0]} numbers; expected a 2-D (n, d) matrix "
            "with one vector per row"
        )
    if x.ndim > 2:
        raise InputError(f"{where} holds a {x.ndim}-D array {x.shape}; expected 2-D (n, d)")
    n, d = x.shape
    if n < min_rows:
        need = "at least 2 are needed to build an index" if min_rows == 2 else "at least 1 is needed"
        raise InputError(f"{where} has {n} vector(s); {need}")
    if d < 1:
        raise InputError(f"{where} has vectors with no dimensions (shape {x.shape})")
    if d > limits.max_dim:
        raise InputError(f"{where} has d={d} dimensions; the limit is {limits.max_dim}")
    if x.dtype.kind == "b":
        x = x.astype(np.float32)
    finite = np.isfinite(x)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        raise InputError(
            f"{where} has a {x[r, c]} value at row {r + 1}, column {c + 1}; "
            "all values must be finite numbers"
        )
    with np.errstate(over="ignore"):
        x32 = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x32).all():
        r, c = np.argwhere(~np.isfinite(x32))[0]
        raise InputError(
            f"{where} has a value too large for 32-bit floats ({x[r, c]:g}) at row {r + 1}, "
            f"column {c + 1}"
        )
    return x32


def check_ids(ids, name, *, n, m, part="neighbors"):
    """Ground truth: an (m, k) integer matrix of row numbers of the base vectors, 0 <= id < n."""
    where = f"'{name}' {part}".rstrip()
    if ids.dtype.kind not in "iu":
        if ids.dtype.kind == "f" and ids.size and np.isfinite(ids).all() and (ids == np.round(ids)).all():
            pass  # whole numbers stored as floats: still row numbers
        else:
            raise InputError(f"{where} holds {ids.dtype} values; ground truth must be integer ids")
    if ids.ndim != 2:
        raise InputError(
            f"{where} has shape {ids.shape}; ground truth must be 2-D (queries, neighbours)"
        )
    rows, k = ids.shape
    if rows != m:
        raise InputError(
            f"{where} has {rows:,} rows of ids but there are {m:,} queries; they must match"
        )
    if k < 1:
        raise InputError(f"{where} has no ids per query (shape {ids.shape})")
    if ids.size:
        bad = (ids < 0) | (ids >= n)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise InputError(
                f"{where} has id {int(ids[r, c])} at query {r + 1}, position {c + 1}; ids must "
                f"be row numbers of the base vectors, 0 to {n - 1:,}"
            )
    return np.ascontiguousarray(ids, dtype=np.int64)


def exact_count(shape):
    """n * d * ... as an exact int (a hostile header's shape can overflow any float)."""
    return math.prod(int(s) for s in shape)
