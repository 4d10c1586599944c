"""One reader per vector file format, each returning the same :class:`Parsed`.

``ivfcore.loading`` picks the reader by extension and checks what it returns; the readers
for formats parsed by C libraries (HDF5, Parquet) run them in a limited child process
(:mod:`.sandbox`).
"""

from . import bigann, hdf5, npy, npz, parquet, texmex, text
from ._common import Limits, Parsed

#: extension -> reader(data, name, limits, **options) -> Parsed
READERS = {
    ".npy": npy.read,
    ".csv": text.read,
    ".txt": text.read,
    ".fvecs": texmex.read,
    ".bvecs": texmex.read,
    ".fbin": bigann.read,
    ".u8bin": bigann.read,
    ".i8bin": bigann.read,
    ".hdf5": hdf5.read,
    ".h5": hdf5.read,
    ".parquet": parquet.read,
    ".npz": npz.read,
}

#: extension -> reader(data, name, limits) -> (m, k) array of ids, for ground-truth files
ID_READERS = {".ivecs": texmex.parse, ".ibin": bigann.parse, ".npy": npy.parse}

__all__ = ["ID_READERS", "Limits", "Parsed", "READERS"]
