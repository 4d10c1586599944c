"""Delimited text (``.csv``, ``.txt``) and GloVe's text format (a word, then its numbers).

Text is parsed as numbers only, never evaluated. A ``.txt`` file whose first data line starts
with a word followed by numbers (``the 0.418 0.24968 ...``, as in glove.6B.50d.txt) is read
as GloVe: the words become ``item_names``. A first line of column names only (``x y z``) is
a header, as in a CSV.
"""

import numpy as np

from ..errors import InputError
from ._common import Parsed


def read(data, name, limits, **_):
    """Delimited numbers, or GloVe words and vectors -> :class:`Parsed`."""
    ext = name.rsplit(".", 1)[-1].lower()
    lines = _lines(data, name)
    if ext == "txt" and _looks_like_glove(lines):
        return _parse_glove(lines, name, limits)
    return Parsed(x=_parse_numbers(lines, name, "." + ext, limits))


def _lines(data, name):
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
    return lines


def _looks_like_glove(lines):
    """First data line: one word that is not a number, then at least one number, no commas."""
    first = lines[0][1]
    if "," in first or ";" in first or "\t" in first:
        return False
    fields = first.split()
    return len(fields) >= 2 and not _is_number(fields[0]) and all(_is_number(f) for f in fields[1:])


def _parse_glove(lines, name, limits):
    """Each line ``word v1 ... vd``; the word is everything before the last d fields (GloVe
    840B has words with spaces), so a word may even look like a number ("1", "nan")."""
    d = len(lines[0][1].split()) - 1
    if len(lines) * d > limits.max_values:
        raise InputError(f"'{name}' has more than {limits.max_values:,} numbers")
    if d > limits.max_dim:
        raise InputError(f"'{name}' has d={d} dimensions; the limit is {limits.max_dim}")
    out = np.empty((len(lines), d), dtype=np.float64)
    words = []
    for r, (no, line) in enumerate(lines):
        fields = line.rsplit(None, d)
        if len(fields) != d + 1:
            raise InputError(
                f"'{name}' line {no} has a word and {len(fields) - 1} numbers but the first line "
                f"has a word and {d}; every line must be a word followed by {d} numbers"
            )
        for c, f in enumerate(fields[1:]):
            try:
                out[r, c] = float(f)
            except ValueError:
                raise InputError(
                    f"'{name}' line {no}, column {c + 2}: '{_shown(f)}' is not a number "
                    f"(each line is a word followed by {d} numbers)"
                ) from None
        words.append(fields[0])
    return Parsed(x=out, item_names=words, metric="cosine")


def _parse_numbers(lines, name, ext, limits):
    """Parse delimited text; errors name the row and column of the first bad value."""
    sep = _pick_separator(lines[0][1], ext)
    rows = [(no, _split(ln, sep)) for no, ln in lines]
    if not _all_numbers(rows[0][1]):
        if len(rows) > 1 and not any(_is_number(f) for f in rows[0][1]):
            rows = rows[1:]  # a header of column names
    width = len(rows[0][1])
    if len(rows) * width > limits.max_values:  # before allocating: rows x first-row width can be huge
        raise InputError(f"'{name}' has more than {limits.max_values:,} numbers")
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
                raise InputError(f"'{name}' line {no}, column {c + 1}: '{_shown(f)}' is not a number") from None
    return out


def _shown(field):
    """A field as a learner can read it in a message: short, invisible characters made visible."""
    shown = field if len(field) <= 30 else field[:27] + "..."
    if not shown.isprintable():
        shown = shown.encode("unicode_escape").decode("ascii")
    return shown


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
