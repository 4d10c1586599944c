"""Reading a learner's own vectors, refusing anything unsafe or malformed.

A dispatcher: the extension picks a reader in :mod:`ivfcore.formats` (one module per
format); every reader returns the same raw :class:`~ivfcore.formats.Parsed`, and the checks
here (shape, limits, finite values, ids within range) are the same for all of them. Nothing is
ever unpickled or evaluated, sizes are checked before anything is allocated, and HDF5 and
Parquet are parsed in a child process with CPU and memory limits.
"""

import os
from dataclasses import dataclass, replace

import numpy as np

from .datasets import Dataset
from .errors import InputError
from .formats import ID_READERS, READERS, Limits, parquet
from .formats._common import check_ids, check_matrix

#: Largest file accepted, in bytes (the app's upload limit matches it).
MAX_BYTES = 50 * 1024 * 1024
#: Most numbers (n * d) accepted, so a dataset fits comfortably in memory.
MAX_VALUES = 20_000_000
#: Most dimensions accepted.
MAX_DIM = 4096
#: Extensions of files that hold vectors (``load_vectors``).
VECTOR_FORMATS = tuple(READERS)
#: Extensions of ground-truth files, ids of true neighbours (``load_ground_truth``).
GROUND_TRUTH_FORMATS = tuple(ID_READERS)
#: Every extension the app accepts: an uploader lists all of them, so that any file, good or
#: bad, reaches these readers and gets their message.
FORMATS = VECTOR_FORMATS + tuple(e for e in GROUND_TRUTH_FORMATS if e not in VECTOR_FORMATS)


@dataclass(frozen=True)
class ParquetColumns:
    """The columns of a Parquet file a learner can choose from (from its footer alone)."""

    n_rows: int
    vector_columns: tuple  # (name, d) pairs; d is None for list<...> columns of unknown length
    label_columns: tuple  # names of string columns


def load_vectors(source, *, filename, column=None, labels=None):
    """Read an (n, d) matrix of vectors from a file a learner supplies.

    Parameters
    ----------
    source : bytes, binary file-like object, or path
        The file's content (an upload) or where it is.
    filename : str
        Its name; the extension picks the format (see ``docs/formats.md``): ``.npy`` (never
        pickled), ``.csv`` / ``.txt`` (delimited numbers; a ``.txt`` whose lines start with a
        word is GloVe text), ``.fvecs`` / ``.bvecs`` (TEXMEX), ``.fbin`` / ``.u8bin`` /
        ``.i8bin`` (big-ann-benchmarks), ``.hdf5`` / ``.h5`` (ann-benchmarks: train, test,
        neighbors, distance), ``.parquet`` (a list column) or ``.npz`` (one array, or train,
        test and neighbors).
    column : str, optional
        Parquet only: the vector column, needed when there are several
        (:func:`parquet_columns` lists them).
    labels : str, optional
        Parquet only: the string column whose values name the vectors; by default the only
        string column, if there is exactly one.

    Returns
    -------
    Dataset
        float32 vectors (n, d), all in one group named after the file; ``item_names`` for
        GloVe text or a Parquet label column; ``metric``, ``queries`` (m, d) and ``true_ids``
        (m, k) when the file carries them (ann-benchmarks HDF5 or npz).

    Raises
    ------
    InputError
        For anything that is not a finite real (n, d) matrix with n >= 2, d >= 1 within
        :data:`MAX_BYTES`, :data:`MAX_VALUES` and :data:`MAX_DIM`, or that needs another file.
    """
    name, ext = _name_and_ext(filename)
    if ext in GROUND_TRUTH_FORMATS and ext not in READERS:
        raise InputError(
            f"'{name}' is a ground-truth file (ids of true neighbours), not vectors; load the "
            "base vectors (.fvecs, .fbin, ...) first, then add this file as their ground truth"
        )
    if ext not in READERS:
        raise InputError(
            f"'{name}' has extension '{ext or '(none)'}'; use one of {', '.join(FORMATS)}"
        )
    if (column is not None or labels is not None) and ext != ".parquet":
        raise InputError(f"'{name}': column and labels apply to .parquet files only")
    data = _read_bytes(source)
    if len(data) == 0:
        raise InputError(f"'{name}' is empty")
    limits = _limits()
    options = {"column": column, "labels": labels} if ext == ".parquet" else {}
    parsed = READERS[ext](data, name, limits, **options)
    return _dataset(parsed, name, limits)


def load_queries(source, *, filename, dataset):
    """Add held-out queries from a second file (e.g. ``sift_query.fvecs``) to a dataset.

    Parameters
    ----------
    source, filename
        As for :func:`load_vectors`; any vector format.
    dataset : Dataset
        The base vectors the queries are searched in; their ``d`` must match.

    Returns
    -------
    Dataset
        ``dataset`` with ``queries`` (m, d) replaced and ``true_ids`` cleared (add them with
        :func:`load_ground_truth`).
    """
    name, _ = _name_and_ext(filename)
    queries = load_vectors(source, filename=filename).x
    if queries.shape[1] != dataset.d:
        raise InputError(
            f"'{name}' holds {queries.shape[1]}-D queries but the vectors are {dataset.d}-D; "
            "they must match"
        )
    return replace(dataset, queries=queries, true_ids=None)


def load_ground_truth(source, *, filename, dataset):
    """Add the true neighbours of a dataset's queries from an ``.ivecs``, ``.ibin`` or ``.npy`` file.

    Parameters
    ----------
    source : bytes, binary file-like object, or path
    filename : str
        Its name; ``.ivecs`` (TEXMEX, e.g. ``sift_groundtruth.ivecs``), ``.ibin``
        (big-ann-benchmarks) or ``.npy`` (an integer array).
    dataset : Dataset
        With ``queries`` (m, d); row i of the file lists ids of ``dataset.x`` nearest to query i.

    Returns
    -------
    Dataset
        ``dataset`` with ``true_ids`` (m, k) int64.

    Raises
    ------
    InputError
        If the dataset has no queries, the file is malformed, its rows do not match the
        queries, or an id is not a row of ``dataset.x``.
    """
    name, ext = _name_and_ext(filename)
    if ext not in ID_READERS:
        raise InputError(
            f"'{name}' has extension '{ext or '(none)'}'; ground truth is read from "
            f"{', '.join(GROUND_TRUTH_FORMATS)}"
        )
    if dataset.queries is None:
        raise InputError(
            f"'{name}' lists true neighbours of queries, but '{dataset.name}' has no queries; "
            "add the queries file first"
        )
    data = _read_bytes(source)
    if len(data) == 0:
        raise InputError(f"'{name}' is empty")
    ids = ID_READERS[ext](data, name, _limits())
    true_ids = check_ids(ids, name, n=dataset.n, m=dataset.queries.shape[0], part="")
    return replace(dataset, true_ids=true_ids)


def parquet_columns(source, *, filename="upload.parquet"):
    """The vector and label columns of a Parquet file, for a learner to choose from.

    Returns
    -------
    ParquetColumns
        Rows, candidate vector columns with their d (None when rows may differ) and string
        columns, read from the footer in a limited child process.
    """
    name, _ = _name_and_ext(filename)
    data = _read_bytes(source)
    if len(data) == 0:
        raise InputError(f"'{name}' is empty")
    rows, vectors, strings = parquet.columns(data, name, _limits())
    return ParquetColumns(n_rows=rows, vector_columns=vectors, label_columns=strings)


def _name_and_ext(filename):
    name = os.path.basename(str(filename or ""))
    return name, os.path.splitext(name)[1].lower()


def _limits():
    """The limits as they are now (tests lower them)."""
    return Limits(max_bytes=MAX_BYTES, max_values=MAX_VALUES, max_dim=MAX_DIM)


def _dataset(parsed, name, limits):
    """Check every part a reader found and build the Dataset."""
    x = check_matrix(parsed.x, name, limits)
    n, d = x.shape
    names = parsed.item_names
    if names is not None and len(names) != n:
        raise InputError(f"'{name}' has {len(names):,} names for {n:,} vectors")
    queries = true_ids = None
    if parsed.queries is not None:
        queries = check_matrix(parsed.queries, name, limits, part="queries (test)", min_rows=1)
        if queries.shape[1] != d:
            raise InputError(
                f"'{name}' queries (test) are {queries.shape[1]}-D but the vectors (train) are "
                f"{d}-D; they must match"
            )
    if parsed.true_ids is not None:
        if queries is None:
            raise InputError(f"'{name}' has neighbors (true ids) but no test queries they belong to")
        true_ids = check_ids(parsed.true_ids, name, n=n, m=queries.shape[0], part="neighbors")
    what = f"{n:,} vectors in {d}-D"
    if queries is not None:
        what += f", {queries.shape[0]:,} queries" + (
            f" with their {true_ids.shape[1]} true neighbours" if true_ids is not None else "")
    if parsed.metric:
        what += f", metric {parsed.metric}"
    params = {"filename": name}
    if parsed.column is not None:
        params["column"] = parsed.column
    return Dataset(
        x=x,
        groups=np.zeros(n, dtype=np.int64),
        group_names=[name],
        name=name,  # the chart titles name the learner's own file
        description=f"Your vectors from '{name}': {what}.",
        params=params,
        item_names=list(names) if names is not None else None,
        metric=parsed.metric,
        queries=queries,
        true_ids=true_ids,
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
