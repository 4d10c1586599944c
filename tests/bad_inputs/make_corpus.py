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
    add("archive.npz", _zip_of_npys([np.ones((3, 2))]), ["extension '.npz'"], "a real .npz")
    add("payload.pkl", payload4, ["extension '.pkl'"], "a pickle by its own name")
    return files


def good_files():
    """name -> (content bytes, expected shape, why)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 6))
    csv = ["# two Gaussian blobs, written by make_corpus.py", "a,b,c"]
    for row in np.round(rng.normal(size=(12, 3)), 4):
        csv.append(",".join(repr(float(v)) for v in row))
    txt = "\n".join(" ".join(str(int(v)) for v in row) for row in rng.integers(-50, 50, size=(7, 2)))
    return {
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
