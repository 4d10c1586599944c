"""ann-benchmarks ``.hdf5``: ``train`` (vectors), ``test`` (queries), ``neighbors`` (true ids).

The root attribute ``distance`` names the metric (euclidean -> l2, angular -> cosine,
dot / ip -> ip). libhdf5 runs in a limited child process (:mod:`.sandbox`). Before any data is
read, each dataset used must be a hard link to a plain dataset in this file (no external or
soft link, no virtual dataset, no external raw storage: each of those makes the library open
another file on the server), hold numbers, declare a shape within the limits (a chunked,
compressed dataset can claim far more than the file holds) and use only the gzip, lzf or
shuffle filters.
"""

import io

import numpy as np

from ..errors import InputError
from . import sandbox
from ._common import ANN_METRICS, check_values, exact_count, numeric_dtype, reason

#: The HDF5 superblock signature (at offset 0, 512, 1024, 2048, ... after a user block).
SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Filters a dataset may use (HDF5 filter ids); fletcher32 only checks sums.
FILTERS = {1: "gzip", 2: "shuffle", 3: "fletcher32", 32000: "lzf"}
_KNOWN_FILTERS = {4: "szip", 5: "nbit", 6: "scaleoffset", 307: "bzip2", 32001: "blosc",
                  32004: "lz4", 32008: "bitshuffle", 32015: "zstd", 32026: "blosc2"}


def read(data, name, limits, **_):
    """ann-benchmarks HDF5 -> :class:`Parsed`, parsed in a child process."""
    if not _has_signature(data):
        raise InputError(
            f"'{name}' is not an HDF5 file (no HDF5 signature); ann-benchmarks files are HDF5 "
            "with datasets train, test and neighbors"
        )
    return sandbox.to_parsed(sandbox.run("hdf5", data, name, limits))


def _has_signature(data):
    offset = 0
    while offset + len(SIGNATURE) <= len(data):
        if data[offset:offset + len(SIGNATURE)] == SIGNATURE:
            return True
        offset = 512 if offset == 0 else offset * 2
    return False


def prepare_child():
    import h5py  # noqa: F401 - loaded before the child's memory limit applies


def read_in_child(data, name, limits):
    """Runs in the child: every check, then the three datasets as plain arrays."""
    import h5py

    try:
        f = h5py.File(io.BytesIO(data), "r")
    except Exception as exc:  # noqa: BLE001 - h5py raises OSError or others for a damaged file
        raise InputError(f"'{name}' is not a readable HDF5 file ({reason(exc)[:200]})") from None
    with f:
        metric = _metric(f, name)
        train = _dataset(f, "train", name, limits, required=True)
        test = _dataset(f, "test", name, limits)
        neighbors = _dataset(f, "neighbors", name, limits)
        if neighbors is not None and test is None:
            raise InputError(f"'{name}' has neighbors but no test queries they belong to")
        used = [d for d in (train, test, neighbors) if d is not None]
        check_values(name, sum(exact_count(d.shape) for d in used), limits,
                     what="declares train, test and neighbors of")
        arrays = {"x": train[()]}
        if test is not None:
            arrays["queries"] = test[()]
        if neighbors is not None:
            arrays["true_ids"] = neighbors[()]
    return sandbox.pack(**arrays, metric=metric)


def _metric(f, name):
    if "distance" not in f.attrs:
        return None
    value = f.attrs["distance"]
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, (bytes, np.bytes_)):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise InputError(f"'{name}' has a distance attribute that is not text; use euclidean, angular or dot")
    metric = ANN_METRICS.get(value.strip().lower())
    if metric is None:
        shown = value[:30] if value[:30].isprintable() else value[:30].encode("unicode_escape").decode("ascii")
        raise InputError(
            f"'{name}' asks for distance '{shown}'; this app searches with euclidean (l2), "
            "angular (cosine) or dot (ip)"
        )
    return metric


def _dataset(f, key, name, limits, *, required=False):
    """The h5py dataset ``key`` after every check that needs no data, or None if absent."""
    import h5py

    link = key.encode()
    if not f.id.links.exists(link):  # H5Lexists: does not follow the link anywhere
        if required:
            raise InputError(
                f"'{name}' has no dataset '{key}'; an ann-benchmarks file keeps its vectors in "
                "train (and queries in test, true ids in neighbors)"
            )
        return None
    kind = f.id.links.get_info(link).type
    if kind == h5py.h5l.TYPE_EXTERNAL:
        raise InputError(
            f"'{name}' dataset '{key}' is an external link to another file; store the data "
            "itself in this file"
        )
    if kind != h5py.h5l.TYPE_HARD:
        raise InputError(
            f"'{name}' dataset '{key}' is a soft link, which may lead out of the file; store the "
            "data itself under this name"
        )
    obj = f[key]
    if not isinstance(obj, h5py.Dataset):
        raise InputError(f"'{name}' has '{key}' as a group, not a dataset of numbers")
    dcpl = obj.id.get_create_plist()
    if dcpl.get_layout() == h5py.h5d.VIRTUAL:
        raise InputError(
            f"'{name}' dataset '{key}' is a virtual dataset that reads other files; store the "
            "data itself in this file"
        )
    if dcpl.get_external_count() > 0:
        raise InputError(
            f"'{name}' dataset '{key}' keeps its data in an external file; store the data "
            "itself in this file"
        )
    numeric_dtype(name, obj.dtype, f"dataset '{key}'")
    shape = obj.shape or ()
    if len(shape) == 2 and shape[1] > limits.max_dim and key != "neighbors":
        raise InputError(f"'{name}' dataset '{key}' has d={shape[1]} dimensions; the limit is {limits.max_dim}")
    check_values(name, exact_count(shape), limits, what=f"dataset '{key}' declares shape {shape}:")
    for i in range(dcpl.get_nfilters()):
        code = dcpl.get_filter(i)[0]
        if code not in FILTERS:
            label = _KNOWN_FILTERS.get(code, f"filter {code}")
            raise InputError(
                f"'{name}' dataset '{key}' is compressed with {label}; use gzip, lzf or shuffle "
                "(h5py's own filters) or no compression"
            )
    if obj.chunks is not None:
        chunk_bytes = exact_count(obj.chunks) * obj.dtype.itemsize
        if chunk_bytes > limits.max_values * 8:
            raise InputError(
                f"'{name}' dataset '{key}' uses chunks of {chunk_bytes:,} bytes; the limit is "
                f"{limits.max_values * 8:,}"
            )
    return obj
