"""load_vectors: good files load exactly; every malformed one raises InputError saying why."""

import io
import pickle

import numpy as np
import pytest

from ivfcore import InputError, load_vectors
from ivfcore import loading


def _npy(arr, **kw):
    buf = io.BytesIO()
    np.save(buf, arr, **kw)
    return buf.getvalue()


def test_npy_round_trip_from_bytes_filelike_and_path(tmp_path):
    x = np.random.default_rng(0).normal(size=(20, 5))
    data = _npy(x)
    p = tmp_path / "v.npy"
    p.write_bytes(data)
    for src in (data, io.BytesIO(data), p, str(p)):
        ds = load_vectors(src, filename="v.npy")
        np.testing.assert_array_equal(ds.x, x.astype(np.float32))
        assert ds.x.dtype == np.float32 and ds.n == 20 and ds.group_names == ["v.npy"]


def test_integer_npy_and_fortran_order_are_fine():
    x = np.arange(12, dtype=np.int16).reshape(4, 3)
    np.testing.assert_array_equal(load_vectors(_npy(x), filename="a.npy").x, x)
    np.testing.assert_array_equal(load_vectors(_npy(np.asfortranarray(x)), filename="a.npy").x, x)


@pytest.mark.parametrize(
    "text,filename,expected",
    [
        ("1,2,3\n4,5,6\n", "a.csv", [[1, 2, 3], [4, 5, 6]]),
        ("x,y\n1,2\n3,4\n", "h.csv", [[1, 2], [3, 4]]),
        ("1;2\n3;4\n", "semi.csv", [[1, 2], [3, 4]]),
        ("# comment\n1 2\n\n3   4\n", "w.txt", [[1, 2], [3, 4]]),
        ("1\t2\n3\t4\n", "t.txt", [[1, 2], [3, 4]]),
        ("1e3, -2.5\n.5, 7\n", "e.csv", [[1000, -2.5], [0.5, 7]]),
        ("\ufeff1,2\r\n3,4\r\n", "bom.csv", [[1, 2], [3, 4]]),
    ],
)
def test_text_formats(text, filename, expected):
    np.testing.assert_array_equal(load_vectors(text.encode(), filename=filename).x, expected)


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize(
    "data,filename,match",
    [
        (b"", "e.npy", "empty"),
        (b"1,2\n", "a.json", "extension '.json'"),
        (b"1,2\n", "noext", "extension '\\(none\\)'"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "img.npy", "not a NumPy .npy file"),
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': <garbage", "h.npy", "damaged .npy header"),
        (_npy(np.array([{"a": 1}, None], dtype=object), allow_pickle=True), "o.npy", "Python objects"),
        (_npy(np.ones((3, 2), dtype=np.complex64)), "c.npy", "complex"),
        (_npy(np.array([["a", "b"], ["c", "d"]])), "s.npy", "must be numbers"),
        (_npy(np.ones(5)), "one_d.npy", "1-D array of 5"),
        (_npy(np.float64(3.0)), "scalar.npy", "single number"),
        (_npy(np.ones((2, 2, 2))), "cube.npy", "3-D array"),
        (_npy(np.ones((1, 4))), "row.npy", "1 vector"),
        (_npy(np.ones((3, 0))), "nocol.npy", "no dimensions"),
        (_npy(np.ones((2, loading.MAX_DIM + 1), dtype=np.uint8)), "wide.npy", "d=4097"),
        (_npy(np.array([[1.0, np.nan], [2, 3]])), "nan.npy", "nan value at row 1, column 2"),
        (_npy(np.array([[1.0, 2], [np.inf, 3]])), "inf.npy", "inf value at row 2, column 1"),
        (_npy(np.array([[1e300, 2], [1, 3]])), "big.npy", "too large for 32-bit"),
        (_npy(np.ones((4, 4)))[:-8], "trunc.npy", "truncated"),
        (pickle.dumps(_Evil()), "evil.npy", "not a NumPy .npy file"),
        (b"1,2,3\n4,5\n", "ragged.csv", "line 2 has 2 values but the first data row has 3"),
        (b"1,2\n3,abc\n", "text.csv", "line 2, column 2: 'abc' is not a number"),
        (b"1,2\n", "single.csv", "1 vector"),
        (b"# only comments\n\n", "c.txt", "no data rows"),
        (b"\xff\xfe\x00\x001", "bin.csv", "not UTF-8"),
        (b"1,2\x00\n", "nul.csv", "NUL"),
        ("1,2\n3,héllo\n".encode(), "u.csv", "'héllo' is not a number"),
        (b"1 2 3 4 5", "row.txt", "1 vector"),
        (b"nan,1\n2,3\n", "nan.csv", "nan value at row 1, column 1"),
    ],
)
def test_malformed_inputs_raise_input_error(data, filename, match):
    with pytest.raises(InputError, match=match):
        load_vectors(data, filename=filename)


def test_header_claiming_gigabytes_is_refused_before_reading():
    header = _npy(np.ones((1, 1)))
    claim = header.replace(b"(1, 1)", b"(10000000, 100000)")
    with pytest.raises(InputError, match="claims shape"):
        load_vectors(claim, filename="huge.npy")


def test_size_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(loading, "MAX_BYTES", 100)
    data = b"1,2\n" * 40
    with pytest.raises(InputError, match="limit is"):
        load_vectors(data, filename="big.csv")
    with pytest.raises(InputError, match="limit is"):
        load_vectors(io.BytesIO(data), filename="big.csv")
    p = tmp_path / "big.csv"
    p.write_bytes(data)
    with pytest.raises(InputError, match="limit is"):
        load_vectors(p, filename="big.csv")


def test_value_count_limit(monkeypatch):
    monkeypatch.setattr(loading, "MAX_VALUES", 10)
    with pytest.raises(InputError, match="more than 10 numbers"):
        load_vectors(b"1,2,3\n" * 5, filename="many.csv")
    with pytest.raises(InputError, match="claims shape"):
        load_vectors(_npy(np.ones((5, 3))), filename="many.npy")


def test_missing_path_and_unreadable_source():
    with pytest.raises(InputError, match="cannot open"):
        load_vectors("/nonexistent/file.npy", filename="file.npy")
    with pytest.raises(InputError, match="cannot read vectors from a int"):
        load_vectors(42, filename="x.npy")
