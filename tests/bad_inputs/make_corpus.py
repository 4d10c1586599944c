"""Regenerate the hostile-input corpus for ``load_vectors`` (tests/test_bad_inputs.py).

Run from anywhere: ``python tests/bad_inputs/make_corpus.py``. It rewrites every file in
``tests/bad_inputs/`` (plus ``manifest.json``) and ``tests/good_inputs/``, byte for byte the
same each time: fixed seeds, fixed pickle protocols, fixed zip timestamps. The test suite
regenerates into a temporary folder and compares, so a committed file can never drift from
this script.

Each bad file has an entry in ``manifest.json``: ``expect`` holds substrings the
``InputError`` message must contain, ``why`` says what the file attacks.

Several files carry a live payload: if anything ever unpickled or evaluated them, they would
create :data:`MARKER` (an empty file, nothing else). The tests assert it never appears.
"""

import io
import json
import os
import pickle
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BAD_DIR = HERE
GOOD_DIR = os.path.join(os.path.dirname(HERE), "good_inputs")
MANIFEST = "manifest.json"
#: Created only if a payload in the corpus is ever executed.
MARKER = "/tmp/ivflab-hostile-payload-ran"


class _Payload:
    """Pickles to "open(MARKER, 'a')": harmless, but leaves a file behind if it ever runs."""

    def __reduce__(self):
        return (open, (MARKER, "a"))


def _npy(arr, **kw):
    buf = io.BytesIO()
    np.save(buf, arr, **kw)
    return buf.getvalue()


def _npy_header(header, data=b"", version=(1, 0)):
    """A .npy file with an arbitrary header dict (which np.save would never write)."""
    buf = io.BytesIO()
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buf, header)
    else:
        np.lib.format.write_array_header_2_0(buf, header)
    return buf.getvalue() + data


def _raw_npy(header_text, data=b"", length=None, version=(1, 0)):
    """A .npy file whose header text and length field are written by hand (may lie)."""
    head = header_text.encode("latin1")
    if version == (1, 0):
        size = (len(head) if length is None else length).to_bytes(2, "little")
    else:
        size = (len(head) if length is None else length).to_bytes(4, "little")
    return b"\x93NUMPY" + bytes(version) + size + head + data


def _zip_of_npys(arrays):
    """What np.savez writes, but with a fixed timestamp so the bytes never change."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for i, arr in enumerate(arrays):
            info = zipfile.ZipInfo(f"arr_{i}.npy", date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, _npy(arr))
    return buf.getvalue()


def bad_files():
    """name -> (content bytes, expected message substrings, why)."""
    rng = np.random.default_rng(20240601)
    junk = rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes()
    junk = b"\x00\xff" + junk[2:]  # never starts like .npy magic, never valid UTF-8
    payload0 = pickle.dumps(_Payload(), protocol=0)
    payload4 = pickle.dumps(_Payload(), protocol=4)
    ok = _npy(np.arange(6, dtype=np.float32).reshape(3, 2))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(rng.integers(0, 256, 200, dtype=np.uint8))
    files = {}

    def add(name, data, expect, why):
        assert name not in files, name
        files[name] = (data, list(expect), why)

    # ---------------------------------------------------------------- .npy
    add("empty.npy", b"", ["is empty"], "zero bytes")
    add("binary_junk.npy", junk, ["not a NumPy .npy file"], "4 KB of random bytes")
    add("nan.npy", _npy(np.array([[1.0, np.nan], [2.0, 3.0]])), ["nan value at row 1, column 2"],
        "NaN in a float64 matrix")
    add("inf.npy", _npy(np.array([[1.0, 2.0], [-np.inf, 3.0]])), ["-inf value at row 2, column 1"],
        "-inf in a float64 matrix")
    add("float16_inf.npy", _npy(np.array([[1, 2], [3, np.inf]], dtype=np.float16)),
        ["inf value at row 2, column 2"], "float16 overflowed to inf when it was written")
    add("overflow_f32.npy", _npy(np.array([[1.0, 2.0], [3.0, 1e300]])),
        ["too large for 32-bit", "row 2, column 2"], "1e300 fits float64 but not float32")
    add("one_d.npy", _npy(np.arange(5.0)), ["1-D array of 5"], "a vector, not a matrix")
    add("single_row.npy", _npy(np.ones((1, 4))), ["1 vector"], "one vector cannot make an index")
    add("scalar_0d.npy", _npy(np.float64(3.0)), ["single number"], "a 0-d array")
    add("cube_3d.npy", _npy(np.ones((2, 3, 4))), ["3-D array", "(2, 3, 4)"], "a 3-D array")
    add("no_columns.npy", _npy(np.ones((3, 0))), ["no dimensions"], "shape (3, 0)")
    add("too_wide.npy", _npy(np.ones((2, 4097), dtype=np.uint8)), ["d=4097", "limit is 4096"],
        "more dimensions than MAX_DIM")
    add("object_dtype.npy",
        _npy(np.array([_Payload(), [1.0, 2.0]], dtype=object), allow_pickle=True),
        ["Python objects"], "object array saved with allow_pickle=True; holds the payload")
    add("pickle_renamed.npy", pickle.dumps({"vectors": [[1.0, 2.0], [3.0, 4.0]]}, protocol=4),
        ["not a NumPy .npy file"], "an ordinary pickle with a .npy name")
    add("pickle_payload.npy", payload4, ["not a NumPy .npy file"],
        "a pickle whose __reduce__ creates the marker file")
    add("claims_gigabytes.npy",
        _npy_header({"descr": "<f4", "fortran_order": False, "shape": (10**7, 10**5)}, b"\0" * 64),
        ["claims shape (10000000, 100000)", "limit is"], "header promises 4 TB, file has 64 bytes")
    add("claims_astronomical.npy",
        _npy_header({"descr": "<f4", "fortran_order": False, "shape": (10**400, 2)}),
        ["claims shape", "limit is"], "a dimension beyond float64 range (np.prod cannot convert it)")
    add("claims_product_inf.npy",
        _npy_header({"descr": "<f4", "fortran_order": False, "shape": (10**200, 10**200)}),
        ["claims shape", "limit is"], "a shape whose product overflows float64 to inf")
    add("zero_times_astronomical.npy",
        _npy_header({"descr": "<f4", "fortran_order": False, "shape": (0, 10**400)}),
        ["could not be read as .npy"], "zero rows but a dimension no array can have")
    add("negative_shape.npy",
        _npy_header({"descr": "<f8", "fortran_order": False, "shape": (-3, 2)}, b"\0" * 48),
        ["could not be read as .npy", "negative"], "a negative dimension")
    add("truncated.npy", _npy(np.ones((16, 16)))[:-100], ["truncated", "(16, 16)"],
        "the last 100 data bytes cut off")
    add("header_only.npy", _npy(np.ones((4, 4)))[:128], ["truncated"], "a header and no data")
    add("magic_only.npy", b"\x93NUMPY\x01\x00", ["damaged .npy header"], "magic string and nothing else")
    add("complex.npy", _npy(np.ones((3, 2), dtype=np.complex64)), ["complex"], "complex64 values")
    add("string_dtype.npy", _npy(np.array([["1.5", "2"], ["3", "4"]])), ["<U3", "must be numbers"],
        "numbers stored as unicode strings")
    add("bytes_dtype.npy", _npy(np.array([[b"ab", b"c"], [b"d", b"e"]])), ["|S2", "must be numbers"],
        "byte strings")
    add("structured.npy", _npy(np.zeros(3, dtype=[("x", "<f4"), ("y", "<f4")])), ["must be numbers"],
        "a structured (record) dtype")
    add("datetime.npy", _npy(np.array([["2024-01-01", "2024-01-02"]] * 2, dtype="datetime64[D]")),
        ["datetime64", "must be numbers"], "dates")
    add("savez_zip.npy", _zip_of_npys([np.ones((3, 2)), np.zeros(4)]), ["not a NumPy .npy file"],
        "np.savez output (a zip archive) renamed .npy")
    add("fortran_order_lie.npy",
        _raw_npy("{'descr': '<f8', 'fortran_order': 'yes', 'shape': (2, 2), }".ljust(117) + "\n",
                 np.ones(4).tobytes()),
        ["damaged .npy header", "fortran_order"], "fortran_order is not a bool")
    add("header_length_lie.npy",
        _raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }".ljust(245) + "\n",
                 np.ones(4).tobytes(), length=0xFFFFFFF0, version=(2, 0)),
        ["damaged .npy header"], "version 2 header length field claims 4 GB")
    add("header_too_long.npy",
        _raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }".ljust(20031) + "\n",
                 np.ones(4).tobytes(), version=(2, 0)),
        ["damaged .npy header"], "a 20 KB header (numpy refuses headers over 10 KB as unsafe)")
    add("header_code.npy",
        _raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': __import__('os').getpid(), }"
                 .ljust(117) + "\n", np.ones(4).tobytes()),
        ["damaged .npy header"], "Python code in the header dict (must never be evaluated)")
    add("npy_renamed.csv", ok, ["not UTF-8"], "a valid .npy named .csv")

    # ---------------------------------------------------------------- .csv / .txt
    add("empty.csv", b"", ["is empty"], "zero bytes")
    add("binary_junk.csv", junk, ["not UTF-8"], "4 KB of random bytes")
    add("whitespace_only.txt", b"  \n\t\n   \r\n", ["no data rows"], "blank lines only")
    add("nan.csv", b"1,2\n3,nan\n", ["nan value at row 2, column 2"], "NaN in text")
    add("inf.csv", b"1,2\ninf,3\n", ["inf value at row 2, column 1"], "inf in text")
    add("overflow_f32.csv", b"1e300,1\n2,3\n", ["too large for 32-bit", "row 1, column 1"],
        "1e300 overflows float32")
    add("overflow_f64.csv", b"1,2\n3,1e400\n", ["inf value at row 2, column 2"],
        "1e400 overflows even float64")
    add("ragged.csv", b"1,2,3\n4,5\n6,7,8\n", ["line 2 has 2 values", "first data row has 3"],
        "rows of different lengths")
    add("text_in_numbers.csv", b"1,2\n3,four\n", ["line 2, column 2", "'four' is not a number"],
        "a word in a numeric column")
    add("trailing_comma.csv", b"1,2,\n3,4,\n", ["line 1, column 3", "'' is not a number"],
        "an empty last field on every row")
    add("hex_values.csv", b"0x1F,2\n3,4\n", ["'0x1F' is not a number"], "hexadecimal numbers")
    add("mixed_separators.csv", b"1;2\n3,4\n", ["line 2 has 1 values"], "semicolon then comma")
    add("single_row.csv", b"1,2,3\n", ["1 vector"], "one vector")
    add("single_number.txt", b"42\n", ["1 vector"], "one number")
    add("header_only.csv", b"x,y,z\n", ["line 1, column 1", "'x' is not a number"],
        "column names and no data")
    add("comments_only.csv", b"# vectors\n# none here\n\n", ["no data rows"], "only # comments")
    add("utf16.csv", "x,y\n1,2\n3,4\n".encode("utf-16"), ["not UTF-8"], "UTF-16 with a BOM")
    add("utf16_no_bom.txt", "1 2\n3 4\n".encode("utf-16-le"), ["NUL"], "UTF-16-LE without a BOM")
    add("unicode_junk.csv", "1,2\n3,\u200b4\u202e\n\U0001F4A9,5\n".encode(),
        ["line 2, column 2", "'\\u200b4\\u202e' is not a number"], "zero-width space, RTL override, emoji")
    add("long_field.csv", b"1,2\n3," + b"7" * 40000 + b"e\n", ["line 2, column 2", "...' is not a number"],
        "a 40 KB field (the message must shorten it)")
    add("long_line.csv", b",".join(b"%d" % (i % 10) for i in range(20000)) + b"\n",
        ["1 vector"], "one 40 KB line of 20,000 values")
    add("too_wide.csv", (",".join(["1"] * 4097) + "\n").encode() * 2, ["d=4097"],
        "more columns than MAX_DIM")
    add("formula_injection.csv", b"=1+2,3\n@SUM(A1:A2),4\n", ["line 1, column 1", "'=1+2' is not a number"],
        "spreadsheet formulas")
    add("python_expression.txt",
        f"1 2\n__import__('builtins').open('{MARKER}','a') 3\n".encode(),
        ["line 2, column 1", "is not a number"], "Python code (would create the marker if evaluated)")
    add("pickle_protocol0.csv", payload0, ["is not a number"],
        "a text-mode (protocol 0) pickle with the payload, named .csv")
    add("pickle_payload.txt", payload4, ["not UTF-8"], "a binary pickle with the payload, named .txt")

    # ---------------------------------------------------------------- wrong extensions
    add("vectors.json", b'{"x": [[1, 2], [3, 4]]}', ["extension '.json'"], "JSON")
    add("image.png", png, ["extension '.png'"], "a PNG header")
    add("vectors", b"1,2\n3,4\n", ["extension '(none)'"], "good CSV content, no extension")
    add("archive.zip", _zip_of_npys([np.ones((3, 2))]), ["extension '.zip'"], "a real .npz named .zip")
    add("payload.pkl", payload4, ["extension '.pkl'"], "a pickle by its own name")
    _binary_vector_files(add, rng)
    _npz_files(add, payload4)
    _hdf5_files(add)
    _parquet_files(add)
    return files


def _fvecs(x, dtype="<f4"):
    """TEXMEX records: int32 d, then d values, for every row of x."""
    x = np.asarray(x)
    return b"".join(np.int32(len(row)).tobytes() + np.asarray(row, dtype=dtype).tobytes() for row in x)


def _bin(x, dtype="<f4", n=None, d=None):
    """big-ann-benchmarks: uint32 n, uint32 d (may lie), then the values."""
    x = np.asarray(x)
    n = x.shape[0] if n is None else n
    d = x.shape[1] if d is None else d
    return np.array([n, d], dtype="<u4").tobytes() + np.ascontiguousarray(x, dtype=dtype).tobytes()


def _npz(arrays, compress=False):
    """An .npz of named arrays with a fixed timestamp (np.savez's layout)."""
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for key, value in arrays.items():
            info = zipfile.ZipInfo(key, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = method
            zf.writestr(info, value if isinstance(value, bytes) else _npy(value))
    return buf.getvalue()


def _hdf5(build):
    """An in-memory HDF5 file made by build(f) (h5py writes the same bytes every time)."""
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w", libver="earliest") as f:
        build(f)
    return buf.getvalue()


def _parquet(table, **kw):
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf, **kw)
    return buf.getvalue()


def _ann(f, x, q, ids, distance="euclidean"):
    f.attrs["distance"] = distance
    f["train"], f["test"], f["neighbors"] = x, q, ids


def _binary_vector_files(add, rng):
    x = rng.normal(size=(6, 4)).astype(np.float32)
    add("fvecs_mixed_d.fvecs", _fvecs(x[:2]) + _fvecs(x[2:4, :3]) + _fvecs(x[4:]),
        ["record 3 says d=3", "first record says d=4"], "records of d=4, then d=3")
    add("fvecs_truncated.fvecs", _fvecs(x)[:-6], ["truncated", "5 whole records of d=4"],
        "the last record cut short by 6 bytes")
    add("fvecs_negative_d.fvecs", np.int32(-4).tobytes() + x.tobytes(), ["d=-4", "at least 1 dimension"],
        "a negative dimension")
    add("fvecs_zero_d.fvecs", np.zeros(4, dtype="<i4").tobytes(), ["d=0"], "d=0 in every record")
    add("fvecs_huge_d.fvecs", np.int32(10**6).tobytes() + x.tobytes(), ["d=1000000", "limit is 4096"],
        "d above MAX_DIM (would need 4 MB per record)")
    add("fvecs_nan.fvecs", _fvecs(np.where(np.arange(24).reshape(6, 4) == 9, np.nan, x)),
        ["nan value at row 3, column 2"], "a NaN in the third record")
    add("fvecs_inf.fvecs", _fvecs(np.where(np.arange(24).reshape(6, 4) == 0, -np.inf, x)),
        ["-inf value at row 1, column 1"], "-inf in the first record")
    add("fvecs_one_record.fvecs", _fvecs(x[:1]), ["1 vector"], "a single record")
    add("fvecs_two_bytes.fvecs", b"\x04\x00", ["too short"], "two bytes")
    add("bvecs_mixed_d.bvecs", _fvecs(np.ones((2, 8)), "u1") + _fvecs(np.ones((1, 9)), "u1"),
        ["record 3 says d=9"], "uint8 records of d=8 then d=9")
    add("fbin_size_mismatch.fbin", _bin(x, n=7), ["header says n=7, d=4", "file has 104 bytes"],
        "the header claims one row more than the file holds")
    add("fbin_billions.fbin", _bin(x, n=4_000_000_000, d=128), ["4,000,000,000 x 128", "limit is"],
        "a header claiming 4 billion rows (refused before allocating)")
    add("fbin_huge_d.fbin", _bin(x, n=1, d=2**32 - 1), ["d=4294967295", "limit is 4096"],
        "d = 2^32 - 1")
    add("fbin_zero_d.fbin", _bin(x, n=6, d=0), ["d=0"], "d = 0")
    add("fbin_nan.fbin", _bin(np.where(np.arange(24).reshape(6, 4) == 23, np.nan, x)),
        ["nan value at row 6, column 4"], "NaN in the last value")
    add("u8bin_extra_bytes.u8bin", _bin(np.ones((3, 5)), "u1") + b"\x00\x00", ["header says n=3, d=5"],
        "two bytes after the last row")
    add("i8bin_short_header.i8bin", b"\x02\x00\x00\x00\x04\x00\x00", ["too short", "8-byte"],
        "7 bytes: not even a header")
    add("ground_truth.ivecs", _fvecs(np.arange(12).reshape(3, 4), "<i4"), ["ground-truth file"],
        "ids of neighbours given as vectors")
    add("ground_truth.ibin", _bin(np.arange(12).reshape(3, 4), "<i4"), ["ground-truth file"],
        "ids of neighbours given as vectors")


def _npz_files(add, payload):
    rng = np.random.default_rng(11)
    x, q = rng.normal(size=(10, 3)), rng.normal(size=(2, 3))
    ids = np.array([[0, 1], [2, 3]])
    add("npz_object.npz", _npz({"arr_0.npy": _npy(np.array([_Payload(), 1], dtype=object),
                                                   allow_pickle=True)}),
        ["Python objects"], "an object array holding the payload (never unpickled)")
    add("npz_pickle_member.npz", _npz({"train.npy": payload}), ["not a NumPy .npy file"],
        "a pickle with the payload stored as a member")
    add("npz_too_many.npz", _npz({f"a{i}.npy": np.ones((2, 2)) for i in range(9)}),
        ["holds 9 members", "at most 8"], "nine arrays")
    big = _npz({"train.npy": np.zeros((4, 4))})
    at = big.index(b"PK\x01\x02")  # the central directory's uncompressed size field lies
    big = big[:at + 24] + (0xFFFFFFF0).to_bytes(4, "little") + big[at + 28:]
    add("npz_declares_huge.npz", big, ["unpacks to 4,294,967,280 bytes", "limit is"],
        "the zip directory claims a 4 GB member (refused before inflating)")
    add("npz_header_claims.npz",
        _npz({"train.npy": _npy_header({"descr": "<f4", "fortran_order": False,
                                         "shape": (10**7, 10**5)}, b"\0" * 64)}),
        ["claims shape (10000000, 100000)"], "a member whose .npy header promises 4 TB")
    add("npz_not_zip.npz", b"PK\x03\x04" + bytes(200), ["not a .npz (zip) archive"],
        "a zip signature and nothing behind it")
    add("npz_empty.npz", _npz({}), ["holds no arrays"], "an empty zip archive")
    add("npz_unknown_keys.npz", _npz({"a.npy": x, "b.npy": x}), ["use one array, or name them train"],
        "two arrays, neither called train")
    add("npz_extra_key.npz", _npz({"train.npy": x, "labels.npy": x}), ["does not know: labels"],
        "train and an array the layout does not have")
    add("npz_not_npy_member.npz", _npz({"notes.txt": b"hello"}), ["'notes.txt', which is not a .npy"],
        "a text file inside")
    add("npz_neighbors_out_of_range.npz",
        _npz({"train.npy": x, "test.npy": q, "neighbors.npy": np.array([[0, 1], [2, 10]])}),
        ["neighbors has id 10 at query 2, position 2", "0 to 9"], "a true id past the last vector")
    add("npz_neighbors_rows.npz",
        _npz({"train.npy": x, "test.npy": q, "neighbors.npy": ids[:1]}),
        ["1 rows of ids but there are 2 queries"], "truth for one query of two")
    add("npz_test_dims.npz", _npz({"train.npy": x, "test.npy": np.ones((2, 4)), "neighbors.npy": ids}),
        ["queries (test) are 4-D but the vectors (train) are 3-D"], "queries of another d")
    add("npz_neighbors_floats.npz", _npz({"train.npy": x, "test.npy": q, "neighbors.npy": ids + 0.5}),
        ["float64", "integer ids"], "fractional ids")
    add("npz_test_without_neighbors.npz", _npz({"train.npy": x, "neighbors.npy": ids}),
        ["neighbors without its partner"], "truth with no queries")


def _hdf5_files(add):
    import h5py

    rng = np.random.default_rng(12)
    x, q = rng.normal(size=(10, 3)).astype(np.float32), rng.normal(size=(2, 3)).astype(np.float32)
    ids = np.array([[0, 1], [2, 3]], dtype=np.int32)
    add("hdf5_not_hdf5.hdf5", b"not hdf5 at all\n" * 20, ["not an HDF5 file"], "text with an .hdf5 name")
    add("hdf5_no_train.hdf5", _hdf5(lambda f: f.create_dataset("vectors", data=x)),
        ["no dataset 'train'"], "the vectors under another name")

    def external(f):
        f["train"] = h5py.ExternalLink("/etc/passwd", "/data")
    add("hdf5_external_link.hdf5", _hdf5(external), ["external link"],
        "train is an external link to a file on the server")

    def soft(f):
        f["elsewhere"] = h5py.ExternalLink("/etc/hostname", "/x")
        f["train"] = h5py.SoftLink("/elsewhere/data")
    add("hdf5_soft_link.hdf5", _hdf5(soft), ["soft link"], "train is a soft link through an external link")

    def virtual(f):
        layout = h5py.VirtualLayout(shape=(10, 3), dtype="f4")
        layout[:] = h5py.VirtualSource("/etc/other.h5", "data", shape=(10, 3))
        f.create_virtual_dataset("train", layout, fillvalue=0)
    # h5py cannot turn off the virtual dataset's modification time: zero its seconds (an
    # object modification time message: type 0x12, size 8, version 1, then uint32 seconds)
    mtime = b"\x12\x00\x08\x00\x00\x00\x00\x00\x01\x00\x00\x00"
    vds = _hdf5(virtual)
    at = vds.index(mtime) + len(mtime)
    vds = vds[:at] + bytes(4) + vds[at + 4:]
    add("hdf5_virtual.hdf5", vds, ["virtual dataset"], "train maps another file's data")

    def external_raw(f):
        f.create_dataset("train", shape=(10, 3), dtype="f4", external=[("/etc/passwd", 0, 120)])
    add("hdf5_external_storage.hdf5", _hdf5(external_raw), ["external file"],
        "train's raw data lives in /etc/passwd")
    add("hdf5_strings.hdf5", _hdf5(lambda f: f.create_dataset("train", data=np.array([[b"1", b"2"]] * 3))),
        ["|S1", "must be numbers"], "numbers as byte strings")
    add("hdf5_compound.hdf5",
        _hdf5(lambda f: f.create_dataset("train", data=np.zeros(4, dtype=[("a", "<f4"), ("b", "<i4")]))),
        ["must be numbers"], "a compound (record) type")

    def bomb(f):
        f.create_dataset("train", shape=(10**7, 1000), dtype="f4", chunks=(100, 1000),
                         compression="gzip", fillvalue=0)
    add("hdf5_bomb.hdf5", _hdf5(bomb), ["declares shape (10000000, 1000)", "limit is"],
        "a chunked gzip dataset declaring 40 GB with nothing written (a decompression bomb)")

    def scaleoffset(f):
        f.create_dataset("train", data=x, chunks=(5, 3), scaleoffset=2)
    add("hdf5_scaleoffset.hdf5", _hdf5(scaleoffset), ["compressed with scaleoffset", "gzip, lzf or shuffle"],
        "a filter outside gzip / lzf / shuffle")
    add("hdf5_hamming.hdf5", _hdf5(lambda f: _ann(f, x, q, ids, "hamming")), ["distance 'hamming'"],
        "a metric the app does not search with")
    add("hdf5_neighbors_out_of_range.hdf5", _hdf5(lambda f: _ann(f, x, q, ids * 5)),
        ["neighbors has id 10", "0 to 9"], "a true id past the last vector")
    add("hdf5_train_group.hdf5", _hdf5(lambda f: f.create_group("train")), ["group"],
        "train is a group")
    add("hdf5_nan.hdf5", _hdf5(lambda f: f.create_dataset("train", data=np.where(x > 1.5, np.nan, x))),
        ["nan value"], "NaN in train")
    add("hdf5_truncated.hdf5", _hdf5(lambda f: _ann(f, x, q, ids))[:1200], ["not a readable HDF5 file"],
        "a valid file cut short")
    add("hdf5_neighbors_alone.hdf5",
        _hdf5(lambda f: (f.create_dataset("train", data=x), f.create_dataset("neighbors", data=ids))),
        ["neighbors but no test"], "truth with no queries")


def _parquet_files(add):
    import pyarrow as pa

    f32 = pa.float32()
    rows = [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0], [8.0, 9.0, 1.0, 2.0]]
    add("parquet_ragged.parquet", _parquet(pa.table({"emb": pa.array(rows, pa.list_(f32))})),
        ["row 2 has 3 numbers but row 1 has 4"], "rows of different lengths")
    add("parquet_strings_only.parquet", _parquet(pa.table({"word": ["a", "b", "c"]})),
        ["no vector column", "'word' (string)"], "only text")
    add("parquet_nested.parquet",
        _parquet(pa.table({"emb": pa.array([[[1.0]], [[2.0]]], pa.list_(pa.list_(f32)))})),
        ["nested lists"], "a list of lists per row")
    good = _parquet(pa.table({"emb": pa.array([[1.0, 2.0]] * 4, pa.list_(f32))}))
    add("parquet_corrupt_footer.parquet", good[:-12] + b"\xff" * 8 + b"PAR1", ["damaged Parquet footer"],
        "the footer length and last footer bytes overwritten")
    add("parquet_not_parquet.parquet", b"emb\n1,2\n3,4\n", ["not a Parquet file"], "CSV text")
    two = pa.table({"a": pa.array([[1.0, 2.0]] * 3, pa.list_(f32)), "b": pa.array([[1.0]] * 3, pa.list_(f32))})
    add("parquet_two_vector_columns.parquet", _parquet(two), ["2 vector columns", "'a', 'b'", "choose"],
        "two candidate columns and no choice made")
    add("parquet_null_row.parquet", _parquet(pa.table({"emb": pa.array([[1.0, 2.0], None, [3.0, 4.0]],
                                                                         pa.list_(f32))})),
        ["row 2 is missing (null)"], "a null vector")
    add("parquet_null_value.parquet", _parquet(pa.table({"emb": pa.array([[1.0, 2.0], [3.0, None]],
                                                                           pa.list_(f32))})),
        ["row 2 has a missing (null) number"], "a null inside a vector")
    add("parquet_bool_lists.parquet", _parquet(pa.table({"emb": pa.array([[True, False]] * 3,
                                                                           pa.list_(pa.bool_()))})),
        ["no vector column"], "lists of booleans")
    wide = pa.FixedSizeListArray.from_arrays(pa.array(np.zeros(5001 * 4000, dtype=np.float32)), 4000)
    add("parquet_too_many_values.parquet", _parquet(pa.table({"emb": wide}), compression="zstd"),
        ["5,001 rows x 4000 = 20,004,000", "limit is 20,000,000"],
        "20 million zeros in 40 KB: rows x d over the limit, read from the footer")
    too_wide = pa.FixedSizeListArray.from_arrays(pa.array(np.zeros(2 * 5000, dtype=np.float32)), 5000)
    add("parquet_too_wide.parquet", _parquet(pa.table({"emb": too_wide})), ["d=5000", "limit is 4096"],
        "fixed_size_list of 5000")
    add("parquet_nan.parquet", _parquet(pa.table({"emb": pa.array([[1.0, float("nan")], [2.0, 3.0]],
                                                                    pa.list_(f32))})),
        ["nan value at row 1, column 2"], "NaN in a vector")


def good_format_arrays():
    """The vectors, queries and true ids the good files of the other formats hold."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(30, 5)).astype(np.float32)
    q = rng.normal(size=(4, 5)).astype(np.float32)
    ids = np.argsort(((q[:, None, :] - x[None]) ** 2).sum(-1), axis=1, kind="stable")[:, :3]
    return x, q, ids.astype(np.int32)


def _good_format_files():
    import pyarrow as pa

    x, q, ids = good_format_arrays()
    words = [f"word{i}" for i in range(len(x))]
    glove = "".join(w + " " + " ".join(repr(float(v)) for v in row) + "\n" for w, row in zip(words, x))
    table = pa.table({"id": pa.array(np.arange(30)), "word": words,
                      "embedding": pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), 5)})
    return {
        "sift_like.fvecs": (_fvecs(x), [30, 5], "TEXMEX float32 records"),
        "bytes.bvecs": (_fvecs((np.abs(x) * 40).astype(np.uint8), "u1"), [30, 5], "TEXMEX uint8 records"),
        "small.fbin": (_bin(x), [30, 5], "big-ann-benchmarks float32"),
        "signed.i8bin": (_bin((x * 30).astype(np.int8), "i1"), [30, 5], "big-ann-benchmarks int8"),
        "ann.hdf5": (_hdf5(lambda f: _ann(f, x, q, ids, "angular")), [30, 5],
                     "ann-benchmarks layout: train, test, neighbors, distance=angular"),
        "ann.npz": (_npz({"train.npy": x, "test.npy": q, "neighbors.npy": ids}, compress=True), [30, 5],
                    "train, test and neighbors, deflated"),
        "words.parquet": (_parquet(table), [30, 5], "fixed_size_list<float, 5> and a string column"),
        "glove.txt": (glove.encode(), [30, 5], "GloVe text: a word then its numbers"),
    }


def good_files():
    """name -> (content bytes, expected shape, why)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 6))
    csv = ["# two Gaussian blobs, written by make_corpus.py", "a,b,c"]
    for row in np.round(rng.normal(size=(12, 3)), 4):
        csv.append(",".join(repr(float(v)) for v in row))
    txt = "\n".join(" ".join(str(int(v)) for v in row) for row in rng.integers(-50, 50, size=(7, 2)))
    return {
        **_good_format_files(),
        "fortran_float64.npy": (_npy(np.asfortranarray(x)), [40, 6], "float64, Fortran order"),
        "header_and_comments.csv": (
            ("\ufeff" + "\r\n".join(csv) + "\r\n").encode(), [12, 3],
            "BOM, a comment, column names, CRLF line ends"),
        "integers.txt": ((txt + "\n\n").encode(), [7, 2], "whitespace separated integers"),
    }


def write(bad_dir=BAD_DIR, good_dir=GOOD_DIR):
    """Write both corpora (and the bad corpus's manifest) into the given folders."""
    os.makedirs(bad_dir, exist_ok=True)
    os.makedirs(good_dir, exist_ok=True)
    manifest = {"marker": MARKER, "files": {}}
    for name, (data, expect, why) in sorted(bad_files().items()):
        assert len(data) < 50 * 1024, (name, len(data))
        with open(os.path.join(bad_dir, name), "wb") as fh:
            fh.write(data)
        manifest["files"][name] = {"expect": expect, "why": why}
    with open(os.path.join(bad_dir, MANIFEST), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, ensure_ascii=True, sort_keys=True)
        fh.write("\n")
    good = {"files": {}}
    for name, (data, shape, why) in sorted(good_files().items()):
        with open(os.path.join(good_dir, name), "wb") as fh:
            fh.write(data)
        good["files"][name] = {"shape": shape, "why": why}
    with open(os.path.join(good_dir, MANIFEST), "w", encoding="utf-8") as fh:
        json.dump(good, fh, indent=1, ensure_ascii=True, sort_keys=True)
        fh.write("\n")
    return manifest, good


if __name__ == "__main__":
    m, g = write(*sys.argv[1:3])
    print(f"wrote {len(m['files'])} bad and {len(g['files'])} good files")
