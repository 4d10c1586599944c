"""Reading a learner's own vectors from .npy, .csv or .txt, refusing anything unsafe or malformed.

Nothing is ever unpickled or evaluated: ``.npy`` headers are read and checked before any
data, and text is parsed as numbers only.
"""

import io
import math
import os
import re

import numpy as np

from .datasets import Dataset
from .errors import InputError

#: Largest file accepted, in bytes (the app's upload limit matches it).
MAX_BYTES = 50 * 1024 * 1024
#: Most numbers (n * d) accepted, so a dataset fits comfortably in memory.
MAX_VALUES = 20_000_000
#: Most dimensions accepted.
MAX_DIM = 4096
FORMATS = (".npy", ".csv", ".txt")


def load_vectors(source, *, filename):
    """Read an (n, d) matrix of vectors from a file a learner supplies.

    Parameters
    ----------
    source : bytes, binary file-like object, or path
        The file's content (an upload) or where it is.
    filename : str
        Its name; the extension picks the format: ``.npy`` (NumPy, never pickled),
        ``.csv`` (comma, semicolon or tab separated) or ``.txt`` (whitespace or comma
        separated). Blank lines and lines starting with ``#`` are skipped; a first row of
        column names is skipped.

    Returns
    -------
    Dataset
        float32 vectors, all in one group named after the file.

    Raises
    ------
    InputError
        For anything that is not a finite real (n, d) matrix with n >= 2, d >= 1 within
        :data:`MAX_BYTES`, :data:`MAX_VALUES` and :data:`MAX_DIM`.
    """
    name = os.path.basename(str(filename or ""))
    ext = os.path.splitext(name)[1].lower()
    if ext not in FORMATS:
        raise InputError(
            f"'{name}' has extension '{ext or '(none)'}'; use one of {', '.join(FORMATS)}"
        )
    data = _read_bytes(source)
    if len(data) == 0:
        raise InputError(f"'{name}' is empty")
    if ext == ".npy":
        x = _parse_npy(data, name)
    else:
        x = _parse_text(data, name, ext)
    x = _check_matrix(x, name)
    return Dataset(
        x=x,
        groups=np.zeros(x.shape[0], dtype=np.int64),
        group_names=[name],
        name=name,  # the chart titles name the learner's own file
        description=f"Your vectors from '{name}': {x.shape[0]:,} vectors in {x.shape[1]}-D.",
        params={"filename": name},
    )


def _read_bytes(source):
    """The raw bytes of ``source``, refusing more than MAX_BYTES without reading it all."""
    limit = MAX_BYTES
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
            if size > limit:
                raise InputError(_too_big(size))
            with open(source, "rb") as fh:
                data = fh.read(limit + 1)
        except (OSError, ValueError) as exc:  # a folder, no permission, a NUL in the path
            if isinstance(exc, InputError):
                raise
            raise InputError(f"cannot open '{source}': {getattr(exc, 'strerror', None) or exc}") from None
    elif hasattr(source, "read"):
        data = source.read(limit + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        raise InputError(f"cannot read vectors from a {type(source).__name__}")
    if len(data) > limit:
        raise InputError(_too_big(len(data)))
    return data


def _too_big(size):
    return f"the file is {size / 2**20:.1f} MB; the limit is {MAX_BYTES / 2**20:.0f} MB"


def _parse_npy(data, name):
    """Parse .npy bytes after checking magic, header, dtype and size; pickles are refused."""
    fh = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fh)
    except Exception:
        raise InputError(f"'{name}' is not a NumPy .npy file (its first bytes are wrong)") from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    except Exception as exc:
        raise InputError(f"'{name}' has a damaged .npy header ({_reason(exc)})") from None
    if dtype.hasobject:
        raise InputError(
            f"'{name}' holds Python objects (a pickle); only plain numeric arrays are accepted"
        )
    if dtype.kind == "c":
        raise InputError(f"'{name}' holds complex numbers; vectors must be real")
    if dtype.kind not in "biuf" or dtype.fields is not None:
        raise InputError(f"'{name}' holds {dtype} values; vectors must be numbers")
    count = math.prod(shape)  # exact: a hostile header's shape can overflow any float
    expected = count * dtype.itemsize
    if count > MAX_VALUES:
        raise InputError(
            f"'{name}' claims shape {shape} ({count:,} numbers); the limit is {MAX_VALUES:,}"
        )
    remaining = len(data) - fh.tell()
    if remaining < expected:
        raise InputError(
            f"'{name}' is truncated: its header promises shape {shape} ({expected:,} bytes of "
            f"data) but only {remaining:,} bytes follow"
        )
    fh.seek(0)
    try:
        return np.load(fh, allow_pickle=False)
    except Exception as exc:
        raise InputError(f"'{name}' could not be read as .npy ({_reason(exc)})") from None


def _reason(exc):
    """The first line of numpy's own reason, without object reprs: it is shown to a learner."""
    lines = str(exc).strip().splitlines()
    return re.sub(r"<[^<>]* object at 0x[0-9a-fA-F]+>", "an expression", lines[0] if lines else type(exc).__name__)


def _parse_text(data, name, ext):
    """Parse delimited text; errors name the row and column of the first bad value."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"'{name}' is not UTF-8 text (bad byte at position {exc.start}); "
            "is it a binary file with the wrong extension?"
        ) from None
    if "\x00" in text:
        raise InputError(f"'{name}' contains NUL bytes; it looks binary, not text")
    lines = [
        (i + 1, ln.strip())
        for i, ln in enumerate(text.splitlines())
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not lines:
        raise InputError(f"'{name}' has no data rows (only blank or # comment lines)")
    sep = _pick_separator(lines[0][1], ext)
    rows = [(no, _split(ln, sep)) for no, ln in lines]
    if not _all_numbers(rows[0][1]):
        if len(rows) > 1 and not any(_is_number(f) for f in rows[0][1]):
            rows = rows[1:]  # a header of column names
    width = len(rows[0][1])
    if len(rows) * width > MAX_VALUES:  # before allocating: rows x first-row width can be huge
        raise InputError(f"'{name}' has more than {MAX_VALUES:,} numbers")
    out = np.empty((len(rows), width), dtype=np.float64)
    for r, (no, fields) in enumerate(rows):
        if len(fields) != width:
            raise InputError(
                f"'{name}' line {no} has {len(fields)} values but the first data row has {width}; "
                "every row must have the same number of columns"
            )
        for c, f in enumerate(fields):
            try:
                out[r, c] = float(f)
            except ValueError:
                shown = f if len(f) <= 30 else f[:27] + "..."
                if not shown.isprintable():  # make invisible and direction characters visible
                    shown = shown.encode("unicode_escape").decode("ascii")
                raise InputError(
                    f"'{name}' line {no}, column {c + 1}: '{shown}' is not a number"
                ) from None
        if out.size > MAX_VALUES:
            raise InputError(f"'{name}' has more than {MAX_VALUES:,} numbers")
    return out


def _pick_separator(first, ext):
    for sep in (",", ";", "\t"):
        if sep in first:
            return sep
    return None if ext == ".txt" or " " in first else ","


def _split(line, sep):
    return [f.strip() for f in line.split(sep)] if sep else line.split()


def _is_number(f):
    try:
        float(f)
        return True
    except ValueError:
        return False


def _all_numbers(fields):
    return all(_is_number(f) for f in fields)


def _check_matrix(x, name):
    """Shape, size and finiteness checks shared by every format; returns float32 (n, d)."""
    if x.ndim == 0:
        raise InputError(f"'{name}' holds a single number; expected an (n, d) matrix of vectors")
    if x.ndim == 1:
        raise InputError(
            f"'{name}' holds a 1-D array of {x.shape[0]} numbers; expected a 2-D (n, d) matrix "
            "with one vector per row"
        )
    if x.ndim > 2:
        raise InputError(f"'{name}' holds a {x.ndim}-D array {x.shape}; expected 2-D (n, d)")
    n, d = x.shape
    if n < 2:
        raise InputError(f"'{name}' has {n} vector(s); at least 2 are needed to build an index")
    if d < 1:
        raise InputError(f"'{name}' has vectors with no dimensions (shape {x.shape})")
    if d > MAX_DIM:
        raise InputError(f"'{name}' has d={d} dimensions; the limit is {MAX_DIM}")
    if x.dtype.kind == "b":
        x = x.astype(np.float32)
    finite = np.isfinite(x)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        raise InputError(
            f"'{name}' has a {x[r, c]} value at row {r + 1}, column {c + 1}; "
            "all values must be finite numbers"
        )
    with np.errstate(over="ignore"):
        x32 = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x32).all():
        r, c = np.argwhere(~np.isfinite(x32))[0]
        raise InputError(
            f"'{name}' has a value too large for 32-bit floats ({x[r, c]:g}) at row {r + 1}, "
            f"column {c + 1}"
        )
    return x32
