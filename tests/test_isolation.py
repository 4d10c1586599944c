"""Learners on one server never see each other's uploads or settings.

A class shares one app process: the caches (datasets, trainings, indexes) are shared on
purpose, session state and the address bar must not be. Two checks:

- in a real browser (Debian's Chromium via Playwright, as tests/test_browser.py; skipped,
  saying why, when it is missing): learner A uploads ``secret_A.csv`` and changes nlist;
  learner B, in another browser context, sees the default dataset and settings, never
  A's file name, and A's link opened by B does not bring A's upload along;
- with AppTest: two sessions in one process share the cache but not session state.

Waiting for the app uses the probe of bench/classroom.py (script state + websocket
messages), which does not miss a rerun that finishes between two polls.
"""

import hashlib
import os
import re
import urllib.parse

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bench.classroom import IDLE_SINCE, STATE_PROBE
from bench.live import ROOT
from ui.settings import KIND_LABELS, SETTINGS

APP = os.path.join(ROOT, "app.py")
SECRET_N, SECRET_D, A_NLIST = 123, 7, 5
UPLOAD_LABEL = KIND_LABELS["upload"]
DEFAULT_KIND = KIND_LABELS[SETTINGS["kind"].default]


def _secret_csv():
    x = np.random.default_rng(7).standard_normal((SECRET_N, SECRET_D))
    return "\n".join(",".join(f"{v:.5f}" for v in row) for row in x).encode() + b"\n"


# --------------------------------------------------------------------------- browser

class Learner:
    """One browser context (its own cookies, so its own Streamlit session)."""

    def __init__(self, browser, url):
        self.url = url
        self.ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.ctx.add_init_script(STATE_PROBE)
        self.pg = self.ctx.new_page()

    def act(self, action, timeout=120):
        """Do ``action`` and wait until the app has finished the run it causes."""
        t0 = self.pg.evaluate("performance.now()")
        action()
        self.pg.wait_for_function(IDLE_SINCE, arg=[t0, 300], polling=50, timeout=timeout * 1000)
        exc = self.pg.locator("[data-testid='stException']")
        assert exc.count() == 0, exc.first.inner_text()

    def open(self, path="/"):
        self.pg.goto(self.url + path, wait_until="commit")
        self.pg.wait_for_function(IDLE_SINCE, arg=[0, 300], polling=50, timeout=120_000)
        exc = self.pg.locator("[data-testid='stException']")
        assert exc.count() == 0, exc.first.inner_text()

    def nav(self, label):
        self.act(self.pg.get_by_role("link", name=re.compile(re.escape(label))).first.click)

    def sidebar(self):
        return self.pg.locator("[data-testid='stSidebar']").inner_text()

    def text(self):
        return self.pg.evaluate("document.body.innerText")

    def query(self):
        return urllib.parse.parse_qs(urllib.parse.urlparse(self.pg.url).query)


@pytest.mark.browser
def test_one_learners_upload_and_settings_never_reach_another(server, browser, tmp_path):
    secret = tmp_path / "secret_A.csv"
    secret.write_bytes(_secret_csv())

    # A: own vectors from secret_A.csv, then 5 lists
    a = Learner(browser, server)
    a.open()
    combo = a.pg.get_by_role("combobox", name="Dataset")

    def choose_upload():
        combo.click()
        a.pg.get_by_role("option", name=UPLOAD_LABEL).click()

    a.act(choose_upload)
    box = a.pg.locator("[data-testid='stFileUploader'] input[type='file']")
    a.act(lambda: box.set_input_files(str(secret)))
    assert a.pg.get_by_text(f"Loaded {SECRET_N:,} vectors in {SECRET_D}-D from secret_A.csv").count()
    a.nav("2 · Train")
    nlist = a.pg.get_by_role("spinbutton", name="Lists (nlist = k)", exact=True)

    def set_nlist():
        nlist.fill(str(A_NLIST))
        nlist.press("Enter")

    a.act(set_nlist)
    assert f"{UPLOAD_LABEL}: secret_A.csv" in a.sidebar()
    assert f"nlist = {A_NLIST}" in a.sidebar()
    assert a.query().get("nlist") == [str(A_NLIST)] and a.query().get("kind") == ["upload"]
    a_link = a.pg.url

    # B, at the same time: the defaults, nothing of A
    b = Learner(browser, server)
    b.open()
    side = b.sidebar()
    assert f"Data: {DEFAULT_KIND}" in side, side
    for name in ("nlist", "nprobe", "topk", "init", "empty"):
        assert f"{name if name != 'topk' else 'k'} = {SETTINGS[name].default}" in side, (name, side)
    assert b.query() == {}, b.pg.url
    assert "secret_A" not in b.text()
    assert b.pg.get_by_role("combobox", name="Dataset").input_value() == DEFAULT_KIND
    b.nav("2 · Train")
    b_nlist = b.pg.get_by_role("spinbutton", name="Lists (nlist = k)", exact=True)
    assert b_nlist.input_value() == str(SETTINGS["nlist"].default)
    assert "secret_A" not in b.text()
    assert b.query() == {}, b.pg.url

    # B opens A's link: A's settings come along, A's upload does not
    b.open(a_link[len(server):])
    assert "did not share" in b.text()
    assert DEFAULT_KIND in b.sidebar()
    assert "secret_A" not in b.text()
    assert b.query().get("kind") is None

    # A is untouched by B
    a.nav("1 · Dataset")
    assert f"{UPLOAD_LABEL}: secret_A.csv" in a.sidebar()
    assert f"nlist = {A_NLIST}" in a.sidebar()
    assert a.query().get("nlist") == [str(A_NLIST)]
    a.ctx.close()
    b.ctx.close()


# --------------------------------------------------------------------------- AppTest

def _all_text(at):
    parts = [m.value for m in at.markdown] + [m.value for m in at.sidebar.markdown]
    parts += [m.value for m in at.caption] + [m.value for m in at.sidebar.caption]
    parts += [m.value for m in at.success] + [m.value for m in at.warning] + [m.value for m in at.info]
    # as read on screen: file names arrive backslash-escaped for markdown
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


def test_apptest_sessions_share_the_cache_not_the_state():
    from ui import cache

    data = _secret_csv()
    digest = cache.digest_of(data)
    a = AppTest.from_file(APP, default_timeout=120)
    a.run()
    s = dict(a.session_state["_settings"])
    s.update(kind="upload", nlist=A_NLIST)
    a.session_state["_settings"] = s
    a.session_state["_upload"] = (digest, "secret_A.csv", data)
    a.run()
    assert not a.exception, a.exception
    assert "secret_A.csv" in _all_text(a)
    assert a.query_params["nlist"] == str(A_NLIST)

    b = AppTest.from_file(APP, default_timeout=120)
    b.run()
    assert not b.exception, b.exception
    assert b.session_state["_settings"] == {n: st.default for n, st in SETTINGS.items()}
    assert "_upload" not in b.session_state
    assert "secret_A" not in _all_text(b)
    assert dict(b.query_params) == {}

    # the parsed upload sits in the process-wide cache A filled (the key is the content's
    # digest, which only someone holding the same bytes can name)
    hashed = hashlib.sha256(data).hexdigest()[:16]
    assert hashed == digest
    ds = cache.uploaded_dataset(digest, "secret_A.csv", b"")
    assert (ds.n, ds.d) == (SECRET_N, SECRET_D)
