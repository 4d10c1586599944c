"""Turning a ``seed`` argument into a ``numpy.random.Generator`` (once, at the boundary)."""

import numbers

import numpy as np

from .errors import InputError


def as_generator(seed):
    """Return a Generator for ``seed`` (None, an int, or a Generator passed through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise InputError(f"seed={seed} must be zero or a positive whole number")
        return np.random.default_rng(int(seed))
    raise InputError(f"seed={seed!r} must be a whole number or a numpy Generator")
