"""Checks at the public boundary: each raises InputError naming the offending value."""

import numbers

import numpy as np

from .errors import InputError


def as_vectors(x, name="x", min_rows=1, dtype=None):
    """Return ``x`` as a C-contiguous float (n, d) array (float64 kept, else float32, or ``dtype``)."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise InputError(f"{name} could not be read as an array of numbers ({exc})") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise InputError(f"{name} must hold real numbers, not {arr.dtype} values")
    if arr.ndim != 2:
        raise InputError(f"{name} must be a 2-D array of shape (n, d); it has shape {arr.shape}")
    if arr.shape[0] < min_rows:
        raise InputError(f"{name} needs at least {min_rows} row(s); it has {arr.shape[0]}")
    if arr.shape[1] < 1:
        raise InputError(f"{name} has no columns (shape {arr.shape})")
    if dtype is None:
        dtype = np.float64 if arr.dtype == np.float64 else np.float32
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore"):  # a value too big for dtype becomes inf, reported below
        out = np.ascontiguousarray(arr, dtype=dtype)
    if not np.isfinite(out).all():
        bad = np.argwhere(~np.isfinite(out))[0]
        if np.isfinite(arr[bad[0], bad[1]]):
            raise InputError(
                f"{name} has a value too large for {dtype.name} ({arr[bad[0], bad[1]]:g}) "
                f"at row {bad[0]}, column {bad[1]}"
            )
        raise InputError(
            f"{name} has a non-finite value ({out[bad[0], bad[1]]}) at row {bad[0]}, column {bad[1]}"
        )
    # Squared distances are |a|^2 - 2 a.b + |b|^2, whose terms stay below 4 d max|x|^2:
    # with a factor 2 to spare, values up to this limit never overflow dtype.
    limit = float(np.sqrt(np.finfo(dtype).max / (8 * out.shape[1])))
    peak = max(float(out.max()), -float(out.min())) if out.size else 0.0
    if peak > limit:
        raise InputError(
            f"{name} has values too large to compare ({peak:.3g}): squared distances between "
            f"{out.shape[1]}-D vectors overflow {dtype.name} above about {limit:.2g}; rescale the data"
        )
    return out


def as_count(value, name, low=1, high=None):
    """Return ``value`` as a Python int within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(f"{name}={value!r} must be a whole number")
    value = int(value)
    if value < low:
        raise InputError(f"{name}={value} must be at least {low}")
    if high is not None and value > high:
        raise InputError(f"{name}={value} must be at most {high}")
    return value


def as_number(value, name, low=None, high=None, low_open=False):
    """Return ``value`` as a finite Python float within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name}={value!r} must be a number")
    value = float(value)
    if not np.isfinite(value):
        raise InputError(f"{name}={value} must be finite")
    if low is not None and (value < low or (low_open and value == low)):
        raise InputError(f"{name}={value} must be {'greater than' if low_open else 'at least'} {low}")
    if high is not None and value > high:
        raise InputError(f"{name}={value} must be at most {high}")
    return value


def check_same_dim(a, b, name_a, name_b):
    """Raise unless both 2-D arrays have the same number of columns."""
    if a.shape[1] != b.shape[1]:
        raise InputError(
            f"{name_a} has d={a.shape[1]} dimensions but {name_b} has d={b.shape[1]}"
        )
