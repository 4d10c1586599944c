"""Uploads through the Dataset page: every hostile file shows an error and the app stays usable."""

import io
import json
import os
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ivfcore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAD = os.path.join(ROOT, "tests", "bad_inputs")
GOOD = os.path.join(ROOT, "tests", "good_inputs")
MANIFEST = json.load(open(os.path.join(BAD, "manifest.json")))["files"]
ALLOWED = ivfcore.FORMATS  # what the uploader accepts: every other file is refused by the browser


def _upload_app():
    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=120)
    at.run()
    kind = next(s for s in at.selectbox if s.label == "Dataset")
    kind.set_value("upload").run()  # as a learner choosing "Your own vectors (upload)"
    assert not at.exception and at.file_uploader
    return at


@pytest.fixture(scope="module")
def app():
    return _upload_app()


def shown(text):
    """Markdown as the learner reads it: file-derived text arrives backslash-escaped."""
    return re.sub(r"\\(.)", r"\1", text)


def _upload(at, name, data):
    at.file_uploader[0].set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]


# Refused by load_vectors without a column, but the page asks: it uses the first and offers the rest.
CHOICE = {"parquet_two_vector_columns.parquet"}


@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if n.endswith(ALLOWED) and n not in CHOICE))
def test_bad_file_shows_an_error_on_the_page(app, name):
    with open(os.path.join(BAD, name), "rb") as fh:
        data = fh.read()
    _upload(app, name, data)
    errors = [shown(e.value) for e in app.error]
    assert errors, f"{name}: no error shown"
    for part in MANIFEST[name]["expect"]:
        assert any(part in e for e in errors), (name, part, errors)
    assert "Traceback" not in " ".join(errors)
    # nothing was accepted: no upload is kept in the session
    assert app.session_state["_upload"] is None if "_upload" in app.session_state else True


def test_a_parquet_file_with_two_vector_columns_offers_them():
    at = _upload_app()
    with open(os.path.join(BAD, "parquet_two_vector_columns.parquet"), "rb") as fh:
        _upload(at, "two.parquet", fh.read())
    assert all("nlist = 16 is larger than n" in e.value for e in at.error)  # 3 rows only
    assert any("2 vector columns: using 'a'; choose another below" in shown(s.value) for s in at.success)
    (pick,) = [s for s in at.selectbox if s.label == "Vector column"]
    assert pick.options == ["a", "b"] and pick.value == "a"
    pick.set_value("b").run()
    assert not at.exception
    assert at.session_state["_upload"].extras.column == "b"
    assert any("3 vectors in 1-D" in s.value for s in at.success)


def test_good_upload_flows_through_every_page():
    at = _upload_app()
    x = np.random.default_rng(0).normal(size=(400, 6)).astype(np.float32)
    buf = io.BytesIO()
    np.save(buf, x)
    _upload(at, "mine.npy", buf.getvalue())
    assert any("Loaded 400 vectors in 6-D" in s.value for s in at.success)
    assert at.session_state["_upload"][1] == "mine.npy"
    assert any("mine.npy" in m.value for m in at.sidebar.markdown), "sidebar names the file at once"
    at.session_state["_settings"] = {**at.session_state["_settings"], "nlist": 8}
    for page in ("pages/train.py", "pages/sizes.py", "pages/recall.py", "pages/search.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
    assert {m.label: m.value for m in at.metric}["Centroids compared"] == "8"
    at.switch_page("pages/train.py").run()  # the chart is titled with the file, not an internal key
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any(t.startswith("mine.npy, nlist = 8") for t in titles), titles


def test_bad_upload_after_a_good_one_keeps_the_good_data():
    at = _upload_app()
    _upload(at, "ok.csv", b"1,2\n3,4\n5,6\n")
    _upload(at, "bad.csv", b"1,2\n3,x\n")
    assert any("line 2, column 2" in e.value for e in at.error)
    assert any("Still using **ok.csv**" in e.value for e in at.error)  # and the page says so
    assert at.session_state["_upload"][1] == "ok.csv"


@pytest.mark.parametrize("name", sorted(os.listdir(GOOD)))
def test_good_files_load_on_the_page(name):
    if not name.endswith(ALLOWED):
        pytest.skip("not a data file")
    at = _upload_app()
    with open(os.path.join(GOOD, name), "rb") as fh:
        _upload(at, name, fh.read())
    assert at.success
    # a tiny file may hold fewer vectors than the default nlist: that is the only complaint
    assert all("nlist = 16 is larger than n" in e.value for e in at.error)


@pytest.mark.parametrize("page", ["pages/train.py", "pages/sizes.py", "pages/search.py",
                                  "pages/recall.py", "pages/exercise.py", "pages/failures.py",
                                  "pages/pq.py"])
def test_other_pages_before_any_upload_say_so_without_a_traceback(page):
    at = _upload_app()
    _upload(at, "bad.csv", b"1,2\n3,x\n")  # a refused file leaves nothing uploaded
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page not in ("pages/exercise.py", "pages/failures.py"):  # these use their own data
        assert any("no file is uploaded yet" in i.value for i in at.info)
