"""Links that open a view: a page plus the settings that differ from their defaults.

Pure Python (no streamlit): the worksheet, the lesson plan's test and the URL sync share it.
"""

from urllib.parse import urlencode

from .settings import SETTINGS

#: URL path of each page (``st.Page`` derives it from the file name; the first page is "/").
PAGES = {"dataset": "", "train": "train", "sizes": "sizes", "search": "search", "recall": "recall",
         "exercise": "exercise", "failures": "failures", "pq": "pq", "worksheet": "worksheet",
         "choose": "choose", "aging": "aging", "filtered": "filtered"}

#: Placeholder for the server's address in documents a teacher edits once (see the lesson plan).
SERVER = "http://SERVER:8501"


def url_params(values, page):
    """The settings of ``values`` that belong in the URL of ``page`` (a url path, "" = first).

    Those that differ from their default, and of them only: a page's own settings
    (``Setting.pages``) on that page, a dataset's parameters for the kind in use, an
    upload's digest when the upload is in use. A switch is written 1 or 0.
    """
    return {
        name: s.text(values[name])
        for name, s in SETTINGS.items()
        if name in values and values[name] != s.default and relevant(name, values, page)
    }


def relevant(name, values, page):
    """Whether setting ``name`` belongs in the URL of ``page`` with these settings."""
    if "." in name:  # dataset parameters: only for the kind in use
        return name.split(".", 1)[0] == values["kind"]
    if name == "upload":
        return values["kind"] == "upload"
    pages = SETTINGS[name].pages
    return not pages or page in pages


def view_url(page, values, base=SERVER):
    """Address of ``page`` (a key of :data:`PAGES`) showing the settings ``values``."""
    path = PAGES[page]
    query = urlencode(url_params(values, path))
    return f"{base.rstrip('/')}/{path}" + (f"?{query}" if query else "")
