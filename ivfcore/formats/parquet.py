"""``.parquet``: vectors in one list<number> or fixed_size_list<number, d> column.

Every row must have the same length. With several candidate columns the caller picks one
(``column=``); a string column becomes ``item_names`` (``labels=``, or the only one there
is). Arrow runs in a limited child process (:mod:`.sandbox`); the footer (row count, schema,
values per column) is read and checked against the limits before any column is.
"""

import numpy as np

from ..errors import InputError
from . import sandbox
from ._common import check_values, reason

MAGIC = b"PAR1"


def read(data, name, limits, *, column=None, labels=None):
    """Parquet -> :class:`Parsed`, parsed in a child process."""
    _check_magic(data, name)
    return sandbox.to_parsed(sandbox.run("parquet", data, name, limits, column=column, labels=labels))


def columns(data, name, limits):
    """(rows, ((vector column, d or None), ...), (label column, ...)) from the footer alone."""
    _check_magic(data, name)
    got = sandbox.run("parquet", data, name, limits, list_only=True)
    vectors = tuple(zip((str(s) for s in got["vector_columns"]), (int(d) if d >= 0 else None for d in got["vector_dims"])))
    return int(got["rows"]), vectors, tuple(str(s) for s in got["label_columns"])


def _check_magic(data, name):
    if data[:4] != MAGIC or data[-4:] != MAGIC:
        extra = " (its footer is encrypted)" if data[-4:] == b"PARE" else ""
        raise InputError(
            f"'{name}' is not a Parquet file{extra}: a Parquet file starts and ends with PAR1"
        )


def prepare_child():
    import pyarrow.compute  # noqa: F401 - loaded before the child's memory limit applies
    import pyarrow.parquet  # noqa: F401


def read_in_child(data, name, limits, *, column=None, labels=None, list_only=False):
    """Runs in the child: footer checks, then the one vector column (and labels) as arrays."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        schema = pf.schema_arrow
        rows = pf.metadata.num_rows
    except Exception as exc:  # noqa: BLE001 - Arrow's own error about a damaged footer
        raise InputError(f"'{name}' has a damaged Parquet footer ({reason(exc)[:200]})") from None
    vectors, strings, nested = _classify(schema)
    if list_only:
        return {"rows": np.array(rows), "vector_columns": np.array([v for v, _ in vectors], dtype=str),
                "vector_dims": np.array([-1 if d is None else d for _, d in vectors], dtype=np.int64),
                "label_columns": np.array(strings, dtype=str)}
    col = _pick_vector_column(schema, vectors, nested, column, name)
    label = _pick_label_column(schema, strings, labels, name)
    d = dict(vectors)[col]
    if d is not None:
        check_values(name, rows * d, limits, what=f"column '{_shown(col)}' has {rows:,} rows x {d} =")
        if d > limits.max_dim:
            raise InputError(f"'{name}' column '{_shown(col)}' has d={d} dimensions; the limit is {limits.max_dim}")
    check_values(name, _leaf_values(pf, col), limits, what=f"column '{_shown(col)}' holds")
    if label is not None and _leaf_bytes(pf, label) > limits.max_bytes * 4:
        raise InputError(f"'{name}' label column '{_shown(label)}' is larger than {limits.max_bytes * 4:,} bytes")
    table = pf.read(columns=[col] + ([label] if label else []))
    x = _matrix(table.column(col).combine_chunks(), col, name, limits)
    names = None
    if label is not None:
        names = ["" if s is None else s for s in table.column(label).to_pylist()]
    return sandbox.pack(x, item_names=names, column=col)


def _classify(schema):
    """Candidate vector columns [(name, d or None)], string columns, nested-list columns."""
    import pyarrow as pa

    vectors, strings, nested = [], [], []
    for field in schema:
        t = field.type
        if _is_list(t):
            v = t.value_type
            if pa.types.is_integer(v) or pa.types.is_floating(v):
                vectors.append((field.name, t.list_size if pa.types.is_fixed_size_list(t) else None))
            elif _is_list(v):
                nested.append(field.name)
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            strings.append(field.name)
    return vectors, strings, nested


def _is_list(t):
    import pyarrow as pa

    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _pick_vector_column(schema, vectors, nested, column, name):
    listed = ", ".join(f"'{_shown(f.name)}' ({_shown(str(f.type))})" for f in schema)
    candidates = [v for v, _ in vectors]
    if column is not None:
        if column in candidates:
            return column
        if column not in schema.names:
            raise InputError(f"'{name}' has no column '{_shown(str(column))}'; its columns are {listed}")
        if column in nested:
            raise InputError(
                f"'{name}' column '{_shown(column)}' holds nested lists; a vector column is a list "
                "of numbers per row"
            )
        raise InputError(
            f"'{name}' column '{_shown(column)}' holds {_shown(str(schema.field(column).type))}; a "
            "vector column is a list of numbers per row (list<float> or fixed_size_list<float, d>)"
        )
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        shown = ", ".join(f"'{_shown(c)}'" for c in candidates)
        raise InputError(f"'{name}' has {len(candidates)} vector columns ({shown}); choose which one holds the vectors")
    if nested:
        raise InputError(
            f"'{name}' column '{_shown(nested[0])}' holds nested lists; a vector column is a list "
            "of numbers per row"
        )
    raise InputError(
        f"'{name}' has no vector column (a list of numbers per row); its columns are {listed}"
    )


def _pick_label_column(schema, strings, labels, name):
    if labels is None:
        return strings[0] if len(strings) == 1 else None
    if labels not in strings:
        shown = ", ".join(f"'{_shown(s)}'" for s in strings) or "none"
        raise InputError(
            f"'{name}' has no text column '{_shown(str(labels))}' for labels; its text columns: {shown}"
        )
    return labels


def _leaf_values(pf, col):
    """Values stored under ``col`` in every row group, from the footer (nulls included)."""
    meta = pf.metadata
    leaves = [j for j in range(meta.num_columns)
              if meta.schema.column(j).path.split(".")[0] == col]
    return sum(meta.row_group(g).column(j).num_values
               for g in range(meta.num_row_groups) for j in leaves)


def _leaf_bytes(pf, col):
    meta = pf.metadata
    leaves = [j for j in range(meta.num_columns) if meta.schema.column(j).path.split(".")[0] == col]
    return sum(meta.row_group(g).column(j).total_uncompressed_size
               for g in range(meta.num_row_groups) for j in leaves)


def _matrix(arr, col, name, limits):
    """A list column as an (n, d) array: no missing rows or values, every row the same length."""
    import pyarrow.compute as pc

    where = f"'{name}' column '{_shown(col)}'"
    n = len(arr)
    if arr.null_count:
        r = int(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError(f"{where} row {r + 1} is missing (null); every row needs a vector")
    if n == 0:
        return np.zeros((0, 1), dtype=np.float32)
    lengths = pc.list_value_length(arr).to_numpy(zero_copy_only=False)
    d = int(lengths[0])
    bad = np.flatnonzero(lengths != d)
    if bad.size:
        r = int(bad[0])
        raise InputError(
            f"{where} row {r + 1} has {int(lengths[r])} numbers but row 1 has {d}; every vector "
            "must have the same length"
        )
    if d > limits.max_dim:
        raise InputError(f"{where} has d={d} dimensions; the limit is {limits.max_dim}")
    values = arr.flatten()
    if values.null_count:
        r = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0]) // max(d, 1)
        raise InputError(f"{where} row {r + 1} has a missing (null) number; every value must be a number")
    return values.to_numpy(zero_copy_only=False).reshape(n, d)


def _shown(text):
    text = text if len(text) <= 40 else text[:37] + "..."
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
