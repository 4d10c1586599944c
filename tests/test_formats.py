"""The field's vector formats: good files load with the right shapes and values, ground truth
and queries attach with their shapes checked, and HDF5 / Parquet run in a limited child process
whose crash, stall or flood becomes an InputError while the calling process carries on.

Hostile files of every format live in the corpus (tests/bad_inputs, test_bad_inputs.py).
"""

import io
import os
import zipfile

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ivfcore
from ivfcore import InputError, load_ground_truth, load_queries, load_vectors, parquet_columns
from ivfcore import loading
from ivfcore.formats import sandbox

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAST = settings(max_examples=int(os.environ.get("IVF_HYPOTHESIS_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def _fvecs(x, dtype="<f4"):
    return b"".join(np.int32(len(r)).tobytes() + np.asarray(r, dtype=dtype).tobytes() for r in x)


def _bin(x, dtype):
    x = np.ascontiguousarray(x, dtype=dtype)
    return np.array(x.shape, dtype="<u4").tobytes() + x.tobytes()


def _npy(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _hdf5(build):
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        build(f)
    return buf.getvalue()


def _parquet(table):
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def sift_like():
    """A small SIFT-like set: base, queries, and their exact 10 nearest neighbours."""
    rng = np.random.default_rng(3)
    xb = (rng.random((300, 16)) * 100).round().astype(np.float32)  # SIFT values are small integers
    xq = (rng.random((7, 16)) * 100).round().astype(np.float32)
    _, truth = ivfcore.brute_force_knn(xb, xq, 10)
    return xb, xq, truth


# ------------------------------------------------------------------ TEXMEX and big-ann


def test_sift_like_fvecs_queries_and_ivecs_ground_truth(sift_like):
    xb, xq, truth = sift_like
    ds = load_vectors(_fvecs(xb), filename="sift_base.fvecs")
    np.testing.assert_array_equal(ds.x, xb)
    assert ds.queries is None and ds.true_ids is None and ds.group_names == ["sift_base.fvecs"]
    ds = load_queries(io.BytesIO(_fvecs(xq)), filename="sift_query.fvecs", dataset=ds)
    np.testing.assert_array_equal(ds.queries, xq)
    ds = load_ground_truth(_fvecs(truth, "<i4"), filename="sift_groundtruth.ivecs", dataset=ds)
    assert ds.true_ids.shape == (7, 10) and ds.true_ids.dtype == np.int64
    np.testing.assert_array_equal(ds.true_ids, truth)
    # the truth is what brute force finds for these queries: recall 1 against itself
    assert ivfcore.recall_at_k(ivfcore.brute_force_knn(ds.x, ds.queries, 10)[1], ds.true_ids) == 1.0


@pytest.mark.parametrize("fmt", [".ibin", ".npy"])
def test_ground_truth_from_ibin_and_npy(sift_like, fmt):
    xb, xq, truth = sift_like
    ds = load_queries(_fvecs(xq), filename="q.fvecs", dataset=load_vectors(_fvecs(xb), filename="b.fvecs"))
    data = _bin(truth, "<i4") if fmt == ".ibin" else _npy(truth.astype(np.int64))
    np.testing.assert_array_equal(load_ground_truth(data, filename="gt" + fmt, dataset=ds).true_ids, truth)


def test_ground_truth_shapes_and_ids_are_checked(sift_like):
    xb, xq, truth = sift_like
    base = load_vectors(_fvecs(xb), filename="b.fvecs")
    with pytest.raises(InputError, match="'b.fvecs' has no queries; add the queries file first"):
        load_ground_truth(_fvecs(truth, "<i4"), filename="gt.ivecs", dataset=base)
    with pytest.raises(InputError, match="'q.fvecs' holds 8-D queries but the vectors are 16-D"):
        load_queries(_fvecs(xq[:, :8]), filename="q.fvecs", dataset=base)
    ds = load_queries(_fvecs(xq), filename="q.fvecs", dataset=base)
    with pytest.raises(InputError, match="6 rows of ids but there are 7 queries"):
        load_ground_truth(_fvecs(truth[:6], "<i4"), filename="gt.ivecs", dataset=ds)
    bad = truth.copy()
    bad[2, 3] = 300
    with pytest.raises(InputError, match="id 300 at query 3, position 4; .* 0 to 299"):
        load_ground_truth(_fvecs(bad, "<i4"), filename="gt.ivecs", dataset=ds)
    with pytest.raises(InputError, match="ground truth is read from .ivecs, .ibin, .npy"):
        load_ground_truth(b"1,2\n", filename="gt.csv", dataset=ds)
    with pytest.raises(InputError, match="'gt.ibin' header says n=7, d=10"):
        load_ground_truth(_bin(truth, "<i4")[:-4], filename="gt.ibin", dataset=ds)


@pytest.mark.parametrize("ext,dtype", [(".fvecs", "<f4"), (".bvecs", "u1")])
def test_texmex_values(ext, dtype):
    x = np.random.default_rng(1).integers(0, 255, size=(9, 3)).astype(dtype)
    ds = load_vectors(_fvecs(x, dtype), filename="v" + ext)
    np.testing.assert_array_equal(ds.x, x.astype(np.float32))
    assert ds.x.flags.c_contiguous and ds.x.dtype == np.float32


@pytest.mark.parametrize("ext,dtype", [(".fbin", "<f4"), (".u8bin", "u1"), (".i8bin", "i1")])
def test_bigann_values(ext, dtype):
    x = np.random.default_rng(2).integers(-128 if dtype == "i1" else 0, 127, size=(11, 4)).astype(dtype)
    ds = load_vectors(_bin(x, dtype), filename="v" + ext)
    np.testing.assert_array_equal(ds.x, x.astype(np.float32))


def test_billion_row_header_is_refused_without_allocating(monkeypatch):
    """The claim is checked before any array exists: np.ndarray is never reached."""
    header = np.array([3_000_000_000, 96], dtype="<u4").tobytes()
    monkeypatch.setattr(np, "ndarray", None)  # would raise TypeError if called
    with pytest.raises(InputError, match="claims 3,000,000,000 x 96"):
        load_vectors(header + bytes(64), filename="deep.fbin")


@FAST
@given(
    dims=st.lists(st.one_of(st.integers(1, 6), st.sampled_from([0, -1, -(2**31), 2**31 - 1, 5000])),
                  min_size=1, max_size=6),
    cut=st.integers(0, 7), values=st.sampled_from(["normal", "nan", "inf"]), seed=st.integers(0, 99),
)
def test_fvecs_random_headers_and_records(dims, cut, values, seed):
    """Any record dims, any truncation: the records load exactly, or an InputError says why."""
    rng = np.random.default_rng(seed)
    parts, rows = [], []
    for d in dims:
        row = rng.normal(size=max(0, min(d, 8))).astype("<f4")
        if values != "normal" and row.size:
            row[rng.integers(row.size)] = np.nan if values == "nan" else np.inf
        rows.append(row)
        parts.append(np.int32(d).tobytes() + row.tobytes())
    data = b"".join(parts)
    data = data[: len(data) - cut] if cut < len(data) else data
    try:
        ds = load_vectors(data, filename="h.fvecs")
    except InputError as exc:
        assert "'h.fvecs'" in str(exc) and "\n" not in str(exc)
        return
    assert cut == 0 and len(set(dims)) == 1 and values == "normal" and len(dims) >= 2
    np.testing.assert_array_equal(ds.x, np.array(rows))


@FAST
@given(n=st.one_of(st.integers(0, 8), st.integers(0, 2**32 - 1)),
       d=st.one_of(st.integers(0, 8), st.integers(0, 2**32 - 1)),
       payload=st.integers(0, 300), ext=st.sampled_from([".fbin", ".u8bin", ".i8bin"]))
def test_bigann_random_headers(n, d, payload, ext):
    """Any header over any payload: exactly 8 + n*d*itemsize bytes loads as (n, d), else InputError."""
    itemsize = 4 if ext == ".fbin" else 1
    body = np.random.default_rng(payload).integers(0, 50, payload, dtype=np.uint8).tobytes()
    if ext == ".fbin":
        body = np.frombuffer(body[: payload // 4 * 4], dtype=np.uint8).astype("<f4").tobytes()[:payload]
    data = np.array([n, d], dtype="<u4").tobytes() + body
    try:
        ds = load_vectors(data, filename="h" + ext)
    except InputError as exc:
        assert "'h" + ext + "'" in str(exc)
        return
    assert len(data) == 8 + n * d * itemsize and n >= 2 and 1 <= d <= loading.MAX_DIM
    assert ds.x.shape == (n, d)


# ------------------------------------------------------------------ ann-benchmarks HDF5 and npz


@pytest.mark.parametrize("distance,metric", [("euclidean", "l2"), ("angular", "cosine"),
                                             ("dot", "ip"), ("ip", "ip"), (None, None)])
def test_ann_benchmarks_hdf5(sift_like, distance, metric):
    xb, xq, truth = sift_like

    def build(f):
        if distance:
            f.attrs["distance"] = distance
        f.create_dataset("train", data=xb, chunks=(50, 16), compression="gzip", shuffle=True)
        f.create_dataset("test", data=xq, compression="lzf")
        f["neighbors"] = truth.astype(np.int32)
        f["distances"] = np.zeros(truth.shape, dtype=np.float32)

    ds = load_vectors(_hdf5(build), filename="sift-16-euclidean.hdf5")
    np.testing.assert_array_equal(ds.x, xb)
    np.testing.assert_array_equal(ds.queries, xq)
    np.testing.assert_array_equal(ds.true_ids, truth)
    assert ds.metric == metric
    assert "7 queries with their 10 true neighbours" in ds.description


def test_hdf5_without_test_is_just_vectors():
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    ds = load_vectors(_hdf5(lambda f: f.create_dataset("train", data=x)), filename="t.h5")
    np.testing.assert_array_equal(ds.x, x)
    assert ds.queries is None and ds.true_ids is None and ds.metric is None


def test_hdf5_limits_are_the_callers(monkeypatch):
    """The child checks the limits the parent has now (passed along, not re-imported)."""
    monkeypatch.setattr(loading, "MAX_VALUES", 20)
    data = _hdf5(lambda f: f.create_dataset("train", data=np.ones((7, 3))))
    with pytest.raises(InputError, match=r"declares shape \(7, 3\): 21 numbers; the limit is 20"):
        load_vectors(data, filename="t.hdf5")


def test_npz_one_array_and_ann_layout(sift_like):
    xb, xq, truth = sift_like
    buf = io.BytesIO()
    np.savez(buf, xb)
    np.testing.assert_array_equal(load_vectors(buf.getvalue(), filename="one.npz").x, xb)
    buf = io.BytesIO()
    np.savez_compressed(buf, train=xb, test=xq, neighbors=truth)
    ds = load_vectors(buf.getvalue(), filename="ann.npz")
    np.testing.assert_array_equal(ds.queries, xq)
    np.testing.assert_array_equal(ds.true_ids, truth)


def test_npz_deflate_bomb_is_refused_from_the_directory(monkeypatch):
    """8 MB of zeros deflate to 8 KB; the zip directory's size is checked before inflating."""
    monkeypatch.setattr(loading, "MAX_VALUES", 1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("train.npy", _npy(np.zeros((1000, 1000))))
    assert len(buf.getvalue()) < 20_000
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: opened.append(a))
    with pytest.raises(InputError, match="member 'train' unpacks to 8,000,128 bytes"):
        load_vectors(buf.getvalue(), filename="bomb.npz")
    assert not opened


# ------------------------------------------------------------------ Parquet


def test_parquet_list_and_fixed_size_list_columns_and_labels():
    x = np.random.default_rng(4).normal(size=(12, 6)).astype(np.float32)
    words = [f"<b>w{i}</b>" for i in range(12)]
    table = pa.table({
        "id": np.arange(12),
        "title": words,
        "emb": pa.array(list(x.astype(np.float64)), pa.list_(pa.float64())),
        "emb_fixed": pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), 6),
    })
    data = _parquet(table)
    cols = parquet_columns(data, filename="t.parquet")
    assert cols == ivfcore.ParquetColumns(n_rows=12, vector_columns=(("emb", None), ("emb_fixed", 6)),
                                          label_columns=("title",))
    with pytest.raises(InputError, match=r"2 vector columns \('emb', 'emb_fixed'\)"):
        load_vectors(data, filename="t.parquet")
    for column in ("emb", "emb_fixed"):
        ds = load_vectors(data, filename="t.parquet", column=column)
        np.testing.assert_array_equal(ds.x, x)
        assert ds.item_names == words and ds.params["column"] == column
    with pytest.raises(InputError, match="column 'id' holds int64; a vector column is a list"):
        load_vectors(data, filename="t.parquet", column="id")
    with pytest.raises(InputError, match="no text column 'emb' for labels"):
        load_vectors(data, filename="t.parquet", column="emb", labels="emb")
    with pytest.raises(InputError, match="apply to .parquet files only"):
        load_vectors(_npy(x), filename="x.npy", column="emb")


def test_parquet_over_several_row_groups_with_integer_lists():
    x = np.arange(40, dtype=np.int32).reshape(10, 4)
    buf = io.BytesIO()
    pq.write_table(pa.table({"v": pa.array(list(x), pa.list_(pa.int32()))}), buf, row_group_size=3)
    np.testing.assert_array_equal(load_vectors(buf.getvalue(), filename="r.parquet").x, x)


def test_parquet_value_count_is_checked_from_the_footer(monkeypatch):
    monkeypatch.setattr(loading, "MAX_VALUES", 30)
    data = _parquet(pa.table({"v": pa.array([[1.0] * 4] * 8, pa.list_(pa.float32()))}))
    with pytest.raises(InputError, match="column 'v' holds 32 numbers; the limit is 30"):
        load_vectors(data, filename="v.parquet")


# ------------------------------------------------------------------ GloVe text


def test_glove_text_gives_words_as_item_names():
    text = "the 0.1 -0.2 0.3\n, 1 2 3\n1 4 5 6\nnan 7 8 9\n"  # words may look like numbers
    ds = load_vectors(text.encode(), filename="glove.6B.3d.txt")
    assert ds.item_names == ["the", ",", "1", "nan"] and ds.metric == "cosine"
    np.testing.assert_array_equal(ds.x, np.array([[0.1, -0.2, 0.3], [1, 2, 3], [4, 5, 6], [7, 8, 9]],
                                                 dtype=np.float32))


def test_glove_lines_must_agree_and_plain_text_stays_plain():
    with pytest.raises(InputError, match="line 2 has a word and 2 numbers but the first line has a word and 3"):
        load_vectors(b"a 1 2 3\nb 1 2\n", filename="g.txt")
    with pytest.raises(InputError, match="line 2, column 3: 'x' is not a number"):
        load_vectors(b"a 1 2 3\nb 1 x 3\n", filename="g.txt")
    ds = load_vectors(b"x y\n1 2\n3 4\n", filename="plain.txt")  # a header row, not GloVe
    assert ds.item_names is None and ds.x.tolist() == [[1, 2], [3, 4]]


# ------------------------------------------------------------------ the child process


@pytest.fixture(scope="module")
def parquet_file():
    return _parquet(pa.table({"v": pa.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], pa.list_(pa.float32()))}))


@pytest.mark.parametrize("hook,match", [
    ("kill", "crashed the Parquet reader \\(SIGSEGV\\)"),
    ("hog", "needed more than 64 MB of memory"),
    ("spin", "took more than 1 s of CPU time"),
])
def test_a_child_that_crashes_floods_or_stalls_becomes_an_input_error(monkeypatch, parquet_file, hook, match):
    monkeypatch.setattr(sandbox, "TEST_HOOK", hook)
    monkeypatch.setattr(sandbox, "CPU_SECONDS", 1 if hook == "spin" else 20)
    monkeypatch.setattr(sandbox, "MEMORY_BYTES", 64 * 2**20)
    with pytest.raises(InputError, match=match):
        load_vectors(parquet_file, filename="p.parquet")
    monkeypatch.setattr(sandbox, "TEST_HOOK", None)  # and this process reads the next file
    # under the ordinary limits: with 1 s, a child that imports pyarrow on a loaded machine
    # ran out of CPU time reading the good file (CI run of 2026-12-01)
    monkeypatch.setattr(sandbox, "CPU_SECONDS", 20)
    assert load_vectors(parquet_file, filename="p.parquet").x.tolist() == [[1, 2], [3, 4], [5, 6]]


def test_wall_clock_timeout(monkeypatch, parquet_file):
    monkeypatch.setattr(sandbox, "TEST_HOOK", "spin")
    monkeypatch.setattr(sandbox, "WALL_SECONDS", 1)
    with pytest.raises(InputError, match="took longer than 1 s"):
        load_vectors(parquet_file, filename="p.parquet")


def test_page_survives_a_reader_crash(monkeypatch):
    """The app server runs the upload; the child dies by a signal mid-parse, the page says so,
    and the same server then loads the next file."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=120)
    at.run()
    next(s for s in at.selectbox if s.label == "Dataset").set_value("upload").run()
    x = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    data = _hdf5(lambda f: f.create_dataset("train", data=x))
    monkeypatch.setattr(sandbox, "TEST_HOOK", "kill")
    at.file_uploader[0].set_value(("crash.hdf5", data, "application/octet-stream")).run()
    assert not at.exception
    assert any("crashed the HDF5 reader" in e.value for e in at.error)
    monkeypatch.setattr(sandbox, "TEST_HOOK", None)
    at.file_uploader[0].set_value(("fine.hdf5", data, "application/octet-stream")).run()
    assert not at.exception
    assert at.session_state["_upload"][1] == "fine.hdf5"
