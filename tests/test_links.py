"""Links (#11): bad URL values are named and replaced, page-only settings stay on their page,
Back/Forward entries restore what they name, uploads survive a reload for their owner only."""

import io
import os
import re

import numpy as np
import pytest

from ui import cache, state
from ui.settings import SETTINGS
from ui.uploads import UploadStore

from pages_open import app as _app, notices as _notices, url_of as _url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "app.py")


# ------------------------------------------------------------------ 7. bad values

@pytest.mark.parametrize("query, page, said, used", [
    ({"nprobe": "-3"}, None, r"nprobe=-3 is below the smallest allowed value, 1", {"nprobe": 1}),
    ({"topk": "abc"}, None, "topk=abc is not a whole number", {"topk": 10}),
    ({"nlist": "99999999"}, None, "nlist=99999999 is above the largest allowed value, 4,096", {"nlist": 16}),
    ({"kind": "../../etc"}, None, "kind=../../etc is not one of blobs", {"kind": "blobs"}),
    ({"topk": "1000"}, None, "topk=1000 is above the largest allowed value, 100", {"topk": 10}),
    ({"q": "id:-5"}, None, r"q=id\:-5 is not id\:\<vector number\>, new\:\<seed\>, word\:\<word\> or vec\:\<numbers\>",
     {"q": "id:0"}),
    ({"q": "new:abc"}, None, r"q=new\:abc is not", {"q": "id:0"}),
    ({"q": "id:99999999999"}, "pages/search.py", r"there are 5,000 \(id\:0 to id\:4999\)", {"q": "id:0"}),
    ({"pq_m": "5"}, "pages/pq.py", r"pq\_m=5 is not one of the choices for this data: used pq\_m=4", {"pq_m": 0}),
])
def test_each_bad_value_is_named_once_and_the_url_rewritten(query, page, said, used):
    at = _app(query, page)
    notices = _notices(at)
    assert len(notices) == 1 and said in notices[0], notices
    s = at.session_state["_settings"]
    assert {k: s[k] for k in used} == used
    assert _url(at) == {}, "the URL says what is shown: every value is a default again"


def test_several_bad_values_and_unknown_names_in_one_escaped_notice():
    at = _app({"nprobe": "-3", "topk": "abc", "nlist": "99999999", "kind": "../../etc",
               "<img src=x onerror=alert(1)>": "**x**", "nlist_typo": "8", "seed": "7"})
    (notice,) = _notices(at)
    for part in ("nprobe=-3", "topk=abc", "nlist=99999999", r"kind=../../etc",
                 r"\<img src=x onerror=alert\(1\)\> is not a setting of this app: ignored",
                 r"nlist\_typo is not a setting of this app: ignored"):
        assert part in notice, (part, notice)
    assert "**x**" not in notice  # a bad name's value is not shown at all
    assert not re.search(r"(?<!\\)[<>]", notice), "every < and > from the URL is escaped"
    assert _url(at) == {"seed": "7"}, "a good value beside bad ones is kept"
    at.switch_page("pages/train.py").run()  # the notice was about the link: gone on the next page
    assert not _notices(at)


def test_a_good_link_shows_no_notice():
    at = _app({"kind": "imbalanced", "imbalanced.n": "2000", "nlist": "7", "q": "new:12"}, "pages/search.py")
    assert not _notices(at)
    assert _url(at) == {"kind": "imbalanced", "imbalanced.n": "2000", "nlist": "7", "q": "new:12"}


def test_markdown_escape_keeps_text_literal():
    assert state.escape("<b>a</b> *b* [c](d) `e` :f: $g$") == (
        r"\<b\>a\</b\> \*b\* \[c\]\(d\) \`e\` \:f\: \$g\$")


# ------------------------------------------------------------- 9. page-only settings

def test_pq_page_adds_nothing_to_the_url_until_m_is_chosen():
    at = _app(page="pages/pq.py")
    assert at.select_slider[0].value == 4  # default_pq_m(16), shown ...
    assert _url(at) == {}  # ... not written
    at.select_slider[0].set_value(8).run()
    assert _url(at) == {"pq_m": "8"}
    at.switch_page("pages/search.py").run()
    assert _url(at) == {}, "m is the PQ page's own setting"
    assert at.session_state["_settings"]["pq_m"] == 8, "and is still in use when the learner comes back"
    at.switch_page("pages/pq.py").run()
    assert _url(at) == {"pq_m": "8"} and at.select_slider[0].value == 8
    at.select_slider[0].set_value(4).run()  # choosing the automatic value again: out of the URL
    assert _url(at) == {}


def test_exercise_reveals_stay_on_the_exercise_page():
    at = _app(page="pages/exercise.py")
    at.toggle[0].set_value(True).run()
    assert _url(at) == {"ex_a1": "1"}
    for page in ("pages/search.py", "pages/dataset.py"):
        at.switch_page(page).run()
        assert "ex_a1" not in _url(at)
    at.switch_page("pages/exercise.py").run()
    assert _url(at) == {"ex_a1": "1"} and at.toggle[0].value


# ------------------------------------------------------------ 6. Back and Forward

def test_a_history_entry_restores_what_it_names(monkeypatch):
    at = _app({"nlist": "8", "nprobe": "3"}, "pages/search.py")
    at.switch_page("pages/exercise.py").run()
    at.toggle[0].set_value(True).run()
    monkeypatch.setattr(state, "_history_navigation", lambda: True)
    # Back to an earlier entry of Search: nprobe 5, the index's defaults
    at.query_params.clear()
    at.query_params["nprobe"] = "5"
    at.switch_page("pages/search.py").run()
    assert not at.exception
    s = at.session_state["_settings"]
    assert (s["nprobe"], s["nlist"]) == (5, 16)
    assert s["ex_a1"], "settings of another page are not named by this entry: kept"
    assert _url(at) == {"nprobe": "5"}


def test_an_address_bar_that_has_not_caught_up_is_not_taken_for_back(monkeypatch):
    at = _app({"nprobe": "3"}, "pages/search.py")
    monkeypatch.setattr(state, "_history_navigation", lambda: False)
    at.query_params["nprobe"] = "2"
    at.run()
    assert at.session_state["_settings"]["nprobe"] == 3


# ---------------------------------------------------------------------- 8. uploads

def _npy(rows=300, d=5, seed=0):
    buf = io.BytesIO()
    np.save(buf, np.random.default_rng(seed).normal(size=(rows, d)).astype(np.float32))
    return buf.getvalue()


def _as_browser(monkeypatch, token):
    monkeypatch.setattr("ui.browser.cookie_token", lambda: token)


def _upload(monkeypatch, owner, name="mine.npy", data=None):
    _as_browser(monkeypatch, owner)
    at = _app()
    next(s for s in at.selectbox if s.label == "Dataset").set_value("upload").run()
    at.file_uploader[0].set_value((name, data or _npy(), "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_upload_reopens_after_a_reload_in_the_browser_that_uploaded_it(monkeypatch):
    a = _upload(monkeypatch, "owner-token-aaaaaaaa", data=_npy(seed=11))
    link = _url(a)
    assert link["kind"] == "upload" and len(link["upload"]) == 16 and "npy" not in link["upload"]
    assert a.toggle and not a.toggle[0].value, "sharing is off by default"
    reload = _app(link)  # a new session from the same browser
    assert reload.session_state["_upload"][1] == "mine.npy"
    assert not _notices(reload)
    assert any("mine.npy" in m.value for m in reload.sidebar.markdown)


def test_an_unshared_upload_link_opens_the_default_data_for_someone_else(monkeypatch):
    a = _upload(monkeypatch, "owner-token-bbbbbbbb", data=_npy(seed=12))
    _as_browser(monkeypatch, "other-token-cccccccc")
    b = _app(_url(a))
    (notice,) = _notices(b)
    assert "did not share" in notice and "Balanced blobs" in notice
    assert "_upload" not in b.session_state and b.session_state["_settings"]["kind"] == "blobs"
    assert "kind" not in _url(b) and "upload" not in _url(b)


def test_a_shared_upload_opens_for_others(monkeypatch):
    a = _upload(monkeypatch, "owner-token-dddddddd", name="class.npy", data=_npy(seed=13))
    a.toggle[0].set_value(True).run()
    assert cache.upload_store().is_shared(_url(a)["upload"])
    _as_browser(monkeypatch, "pupil-token-eeeeeeee")
    b = _app(_url(a), "pages/search.py")
    assert not _notices(b)
    assert b.session_state["_upload"][1] == "class.npy"
    assert {m.label: m.value for m in b.metric}["Centroids compared"] == "16"


def test_a_forgotten_upload_says_so():
    at = _app({"kind": "upload", "upload": "0123456789abcdef"})
    (notice,) = _notices(at)
    assert "no longer keeps" in notice and at.session_state["_settings"]["kind"] == "blobs"


def test_upload_store_is_bounded_in_bytes_and_checks_owners():
    store = UploadStore(max_bytes=100)
    assert store.keep("a" * 16, "a.npy", b"x" * 60, "t1")
    assert store.keep("b" * 16, "b.npy", b"y" * 30, "t2")
    assert store.open("a" * 16, "t1")[0] is not None  # a is now the most recently opened
    assert store.keep("c" * 16, "c.npy", b"z" * 30, "t1")  # 120 > 100: b goes, not a
    assert store.n_bytes == 90
    assert store.open("b" * 16, "t2") == (None, "missing")
    assert store.open("a" * 16, "t2") == (None, "private")
    assert not store.share("a" * 16, "t2", True), "only an owner shares"
    assert store.share("a" * 16, "t1", True) and store.open("a" * 16, "t2")[0].filename == "a.npy"
    assert not store.keep("d" * 16, "d.npy", b"w" * 101, "t1"), "larger than the whole store"
    assert store.n_bytes <= store.max_bytes


def test_every_setting_default_reads_back():
    for s in SETTINGS.values():
        if s.default != "":
            assert s.read(str(s.default)) == (s.default, None), s.name


def test_a_link_opens_a_failure_lab_tab_and_a_bad_tab_is_named():
    at = _app({"fm_tab": "shapes"}, "pages/failures.py")
    assert not _notices(at) and _url(at) == {"fm_tab": "shapes"}
    assert at.session_state["w:fm_tab"] == "Non-spherical clusters"
    at = _app({"fm_tab": "nowhere"}, "pages/failures.py")
    (notice,) = _notices(at)
    assert "fm\\_tab=nowhere is not one of empty, unbalanced, shapes" in notice
    assert at.session_state["w:fm_tab"] == "Empty clusters" and _url(at) == {}
