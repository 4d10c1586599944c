"""Open a link of the app (the lesson plan's, the worksheet's) in AppTest, as a fresh browser
would, and read every number the page prints."""

import os
from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from ui import links

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "app.py")
PAGE_FILES = {path: f"pages/{name}.py" for name, path in links.PAGES.items()}


def split_link(url):
    """(page file, query dict) of a link made by ``ui.links.view_url``."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    assert path in PAGE_FILES, f"{url}: no page at /{path}"
    return PAGE_FILES[path], dict(parse_qsl(parts.query, keep_blank_values=True))


def open_link(url, timeout=300):
    """A fresh session opened on ``url``: the query is in place before the first run, on its page."""
    page, query = split_link(url)
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)  # so state.init sees the page the link names (its own settings)
    at.run()
    return at


def app(query=None, page=None, timeout=240):
    """A fresh session with ``query`` in the URL (on ``page``, a page file, if given), run once."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in (query or {}).items():
        at.query_params[k] = str(v)
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def url_of(at):
    """The session's URL query as a plain dict of strings."""
    return {k: (v[0] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


def notices(at):
    """The notice naming values of the link that were not used (empty when every value was)."""
    return [w.value for w in at.warning if "could not be used" in w.value]


def page_text(at):
    """Every text the page prints: metrics (label and value), markdown, captions, code, alerts,
    and each dataframe's column names and cell values."""
    out = [f"{m.label} {m.value}" for m in at.metric]
    for kind in ("markdown", "caption", "code", "success", "info", "warning", "header",
                 "subheader", "title"):
        out += [e.value for e in at.get(kind)]
    for df in at.dataframe:
        frame = df.value
        out.append(" ".join(map(str, frame.columns)))
        out += [str(v) for v in frame.to_numpy().ravel()]
    return out
