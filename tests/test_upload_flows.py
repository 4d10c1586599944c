"""A file's own queries and truth, through the Dataset page's uploaders and onto the Recall page
(#13, app side): SIFT's base + queries + ground-truth triple and an ann-benchmarks HDF5 drive
the Recall page with the file's queries; mismatched files are refused with the engine's message
(escaped); every choice survives a reload; the store counts a shared base file once."""

import io
import os
import re

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ivfcore
from ui import file_queries, uploads
from ui.uploads import Extras, Part, UploadStore, combined_digest

from pages_open import app as _app, url_of as _url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAD = os.path.join(ROOT, "tests", "bad_inputs")
NLIST = 8
# the app's default training (Train page) with nlist = NLIST: the test trains the same itself
TRAIN = {"init": "random", "empty": "reinit", "max_iter": 50, "tol": 1e-4, "seed": 0}


def shown(text):
    """Markdown as the learner reads it: file-derived text arrives backslash-escaped."""
    return re.sub(r"\\(.)", r"\1", text)


def _fvecs(x, dtype="<f4"):
    return b"".join(np.int32(len(r)).tobytes() + np.asarray(r, dtype=dtype).tobytes() for r in x)


def _npy(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _hdf5(**arrays):
    distance = arrays.pop("distance", "euclidean")
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.attrs["distance"] = distance
        for name, a in arrays.items():
            f.create_dataset(name, data=a)
    return buf.getvalue()


@pytest.fixture(scope="module")
def sift():
    """Base (one Gaussian, so small nprobe misses neighbours), queries and their exact 10 nearest."""
    rng = np.random.default_rng(5)
    xb = rng.normal(size=(900, 8)).astype(np.float32)
    xq = rng.normal(size=(30, 8)).astype(np.float32)
    _, truth = ivfcore.brute_force_knn(xb, xq, 10)
    return xb, xq, truth


def _as_browser(monkeypatch, token):
    monkeypatch.setattr("ui.browser.cookie_token", lambda: token)


def _upload_app():
    at = _app()
    next(s for s in at.selectbox if s.label == "Dataset").set_value("upload").run()
    return at


def _drop(at, i, name, data):
    """Put a file in the page's i-th uploader (0: vectors, 1: queries, 2: ground truth)."""
    at.file_uploader[i].set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _errors(at):
    return [shown(e.value) for e in at.error if "nlist" not in e.value]


def _sift_app(sift, truth=None):
    xb, xq, full = sift
    at = _upload_app()
    _drop(at, 0, "sift_base.fvecs", _fvecs(xb))
    _drop(at, 1, "sift_query.fvecs", _fvecs(xq))
    _drop(at, 2, "sift_groundtruth.ivecs", _fvecs(full if truth is None else truth, "<i4"))
    return at


def _recall_page(at):
    at.session_state["_settings"] = {**at.session_state["_settings"], "nlist": NLIST}
    at.switch_page("pages/recall.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table_a(at):
    """Recall and work per nprobe of training A, as the page's table shows them."""
    df = at.dataframe[0].value
    a = df[df["index"] == "A"]
    rec = [c for c in df.columns if c.startswith("recall@")][0]
    return rec, a["nprobe"].tolist(), a[rec].tolist(), a["distance computations"].tolist()


def _reference(xb, xq, k):
    """recall_sweep over the file's queries, truth by brute force, on the app's training."""
    km = ivfcore.train_kmeans(xb, NLIST, **TRAIN)
    sw = ivfcore.recall_sweep(ivfcore.build_ivf(xb, km.centroids), xq, k=k)
    return ([int(p) for p in sw.nprobes], [round(float(r), 3) for r in sw.recall],
            [int(round(w)) for w in sw.distance_computations])


def test_sift_base_queries_and_truth_drive_the_recall_page(sift):
    xb, xq, _ = sift
    at = _sift_app(sift)
    assert not _errors(at)
    assert any("30 queries and their 10 true neighbours" in s.value for s in at.success)
    _recall_page(at)
    assert any("Queries and true neighbours from your file: 30 queries, k = 10." in c.value
               for c in at.caption), [c.value for c in at.caption]
    assert not at.warning, [w.value for w in at.warning]  # the truth is brute force's
    rec, nprobes, recall, work = _table_a(at)
    assert rec == "recall@10"
    assert (nprobes, recall, work) == _reference(xb, xq, 10)
    assert recall[0] < 1.0 and recall[-1] == 1.0  # nprobe matters here; all lists = exact


def test_ann_benchmarks_hdf5_drives_the_recall_page_with_k_capped(sift):
    xb, xq, truth = sift
    at = _upload_app()
    _drop(at, 0, "ann.hdf5", _hdf5(train=xb, test=xq, neighbors=truth[:, :5].astype(np.int32)))
    assert not _errors(at) and not at.file_uploader[1:], "the file brings its own queries and truth"
    assert any("30 queries and their 5 true neighbours each" in c.value for c in at.caption)
    _recall_page(at)  # k = 10 asked for, the file lists 5
    assert any("from your file: 30 queries, k = 5." in c.value for c in at.caption)
    assert any("lists 5 true neighbours per query, fewer than k = 10" in w.value for w in at.warning)
    rec, nprobes, recall, work = _table_a(at)
    assert rec == "recall@5" and (nprobes, recall, work) == _reference(xb, xq, 5)


def test_queries_without_truth_are_answered_by_brute_force(sift):
    xb, xq, _ = sift
    at = _upload_app()
    _drop(at, 0, "test_only.hdf5", _hdf5(train=xb, test=xq))
    _recall_page(at)
    assert any("Queries from your file: 30 queries, k = 10. The file lists no true neighbours, "
               "so brute force found them" in c.value for c in at.caption)
    assert _table_a(at)[1:] == _reference(xb, xq, 10)


def test_a_truth_for_another_metric_is_flagged(sift):
    xb, xq, _ = sift
    unit = xb / np.linalg.norm(xb, axis=1, keepdims=True)
    _, cosine_truth = ivfcore.brute_force_knn(unit, xq / np.linalg.norm(xq, axis=1, keepdims=True), 10)
    at = _upload_app()
    _drop(at, 0, "angular.hdf5", _hdf5(train=xb, test=xq, neighbors=cosine_truth, distance="angular"))
    _recall_page(at)
    (warning,) = [w.value for w in at.warning]
    assert "are not the 10 nearest vectors by Euclidean distance" in warning
    assert "compared by cosine" in warning


@pytest.mark.parametrize("which, data, said", [
    ("truth", lambda xq, t: ("gt.ivecs", _fvecs(t[:29], "<i4")), "has 29 rows of ids but there are 30 queries"),
    ("truth", lambda xq, t: ("gt.ivecs", _fvecs(t + 900, "<i4")),
     "ids must be row numbers of the base vectors, 0 to 899"),
    ("truth", lambda xq, t: ("gt.npy", _npy(t + 0.5)), "holds float64 values; ground truth must be integer ids"),
    ("truth", lambda xq, t: ("gt.fvecs", _fvecs(xq)), "ground truth is read from .ivecs, .ibin, .npy"),
    ("queries", lambda xq, t: ("q.fvecs", _fvecs(xq[:, :5])), "holds 5-D queries but the vectors are 8-D"),
    ("queries", lambda xq, t: ("gt.ivecs", _fvecs(t, "<i4")), "is a ground-truth file"),
])
def test_mismatched_queries_or_truth_are_refused_with_a_message(sift, which, data, said):
    xb, xq, truth = sift
    at = _upload_app()
    _drop(at, 0, "base.fvecs", _fvecs(xb))
    if which == "truth":
        _drop(at, 1, "q.fvecs", _fvecs(xq))
    before = at.session_state["_upload"]
    _drop(at, 2 if which == "truth" else 1, *data(xq, truth))
    (error,) = _errors(at)
    assert said in error and "Still using **base.fvecs**" in error, error
    assert "Traceback" not in error
    assert at.session_state["_upload"] == before, "the data in use is unchanged"


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(BAD) if n.endswith(
    (".fvecs", ".bvecs", ".fbin", ".u8bin", ".i8bin", ".ivecs", ".ibin"))))
def test_hostile_corpus_files_as_queries_or_truth(sift, name):
    xb, xq, _ = sift
    at = _upload_app()
    _drop(at, 0, "base.fvecs", _fvecs(xb))
    data = open(os.path.join(BAD, name), "rb").read()
    slot = 2 if name.endswith((".ivecs", ".ibin")) else 1
    if slot == 2:
        _drop(at, 1, "q.fvecs", _fvecs(xq))
    before = at.session_state["_upload"]
    _drop(at, slot, name, data)
    errors = _errors(at)
    assert len(errors) == 1 and "cannot be used" in errors[0], errors
    assert at.session_state["_upload"] == before


def test_choices_survive_a_reload_and_removing_the_queries_works(monkeypatch, sift):
    _as_browser(monkeypatch, "owner-token-ffffffff")
    at = _sift_app(sift)
    link = _url(at)
    base = uploads.digest_of(_fvecs(sift[0]))
    assert link["kind"] == "upload" and len(link["upload"]) == 16 and link["upload"] != base
    again = _app(link, "pages/recall.py")  # a reload: a new session from the same browser
    held = again.session_state["_upload"]
    assert (held.filename, held.extras.queries.filename, held.extras.truth.filename) == (
        "sift_base.fvecs", "sift_query.fvecs", "sift_groundtruth.ivecs")
    assert any("from your file: 30 queries" in c.value for c in again.caption)
    # remove the queries (and so their truth): back to the base file alone, named by its digest
    again.switch_page("pages/dataset.py").run()
    assert any("Using **sift\\_query.fvecs** (and the ground truth below)" in c.value for c in again.caption)
    next(b for b in again.button if b.label == "Remove").click().run()  # the queries' button
    assert not again.exception
    assert again.session_state["_upload"].extras == Extras()
    assert _url(again)["upload"] == base
    assert any("Now using 900 vectors in 8-D." in s.value for s in again.success)


def test_parquet_columns_are_chosen_and_their_names_escaped(monkeypatch):
    _as_browser(monkeypatch, "owner-token-gggggggg")
    f32 = pa.float32()
    table = pa.table({
        "a": pa.array([[1.0, 2.0, 3.0]] * 40, pa.list_(f32)),
        "**b**": pa.array([[1.0, 2.0, 3.0]] * 39 + [[1.0]], pa.list_(f32)),  # ragged
        "<i>c</i>": pa.array(np.arange(80, dtype=np.float32).reshape(40, 2).tolist(), pa.list_(f32)),
        "word": pa.array([f"w{i}" for i in range(40)]),
        "title": pa.array([f"t{i}" for i in range(40)]),
    })
    buf = io.BytesIO()
    pq.write_table(table, buf)
    at = _upload_app()
    _drop(at, 0, "emb.parquet", buf.getvalue())
    col = next(s for s in at.selectbox if s.label == "Vector column")
    assert col.options == ["a", "**b**", "<i>c</i>"] and col.value == "a"
    col.set_value("**b**").run()
    (error,) = [e.value for e in at.error if "nlist" not in e.value]
    assert r"column '\*\*b\*\*' row 40 has 1 numbers" in error, error  # escaped, read literally
    assert "Still using" in error and at.session_state["_upload"].extras.column == "a"
    next(s for s in at.selectbox if s.label == "Vector column").set_value("<i>c</i>").run()
    labels = next(s for s in at.selectbox if s.label == "Labels (a text column)")
    assert labels.options == ["(none)", "word", "title"] and labels.value == uploads.NO_LABELS
    labels.set_value("title").run()
    held = at.session_state["_upload"]
    assert (held.extras.column, held.extras.labels) == ("<i>c</i>", "title")
    link = _url(at)
    again = _app(link)
    assert again.session_state["_upload"].extras == held.extras
    ds = uploads.load(again.session_state["_upload"])
    assert ds.d == 2 and ds.item_names[:2] == ["t0", "t1"]


# ------------------------------------------------------------------ pure parts


def test_combined_digest_names_the_base_alone_without_extras():
    q = Part("1" * 16, "q.fvecs", b"q")
    assert combined_digest("a" * 16, Extras()) == "a" * 16
    one, two = combined_digest("a" * 16, Extras(queries=q)), combined_digest("a" * 16, Extras(column="x"))
    assert len({one, two, "a" * 16}) == 3 and re.fullmatch(r"[0-9a-f]{16}", one)


def test_store_counts_a_base_file_once_across_choices_and_stays_bounded():
    store = UploadStore(max_bytes=100)
    q = Part("q" * 16, "q.fvecs", b"q" * 20)
    assert store.keep("a" * 16, "a.npy", b"x" * 50, "t1")
    with_q = combined_digest("a" * 16, Extras(queries=q))
    assert store.keep(with_q, "a.npy", b"x" * 50, "t1", extras=Extras(queries=q), base="a" * 16)
    assert store.n_bytes == 70, "the base file's 50 bytes once, the queries' 20"
    assert store.open(with_q, "t1")[0].as_held().extras.queries == q
    assert store.keep("b" * 16, "b.npy", b"y" * 25, "t2") and store.n_bytes == 95
    # 105 > 100: "a" alone goes first but frees nothing (its bytes are still used), then "a" + q
    assert store.keep("c" * 16, "c.npy", b"z" * 10, "t2") and store.n_bytes == 35
    assert store.open("a" * 16, "t1") == store.open(with_q, "t1") == (None, "missing")
    assert store.open("b" * 16, "t2")[0] is not None
    assert not store.keep("d" * 16, "d.npy", b"w" * 90, "t1", extras=Extras(queries=q)), \
        "the file and its queries together are larger than the store"


def test_file_truth_uses_the_files_ids_and_flags_a_wrong_one(sift):
    xb, xq, truth = sift
    km = ivfcore.train_kmeans(xb, NLIST, seed=0)
    index = ivfcore.build_ivf(xb, km.centroids)
    ds = ivfcore.Dataset(x=xb, groups=np.zeros(len(xb), dtype=np.int64), group_names=["f"], name="f",
                         description="", queries=xq, true_ids=truth)
    given = file_queries.file_truth(index, ds, 20)
    assert given.k == 10 and given.k_file == 10 and given.n_disagree == 0 and given.n_checked == 30
    np.testing.assert_array_equal(given.true_ids, truth)
    d, _ = ivfcore.brute_force_knn(xb, xq, 10)
    np.testing.assert_allclose(given.true_distances, d, rtol=1e-4, atol=1e-3)
    wrong = truth[::-1].copy()  # another query's neighbours
    bad = file_queries.file_truth(index, ivfcore.Dataset(**{**ds.__dict__, "true_ids": wrong}), 10)
    assert bad.n_disagree == 30 and "not the 10 nearest" in file_queries.warnings(bad)[0]
    few = file_queries.file_truth(index, ds, 10, max_queries=7)
    assert len(few.queries) == 7 and "the first 7 of its 30 queries" in file_queries.caption(few, 900)
