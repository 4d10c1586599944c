"""Per-learner settings in session state, mirrored into the URL so a link reproduces a view.

Widgets never own a setting: each reads its value from the store and writes back through a
callback, so settings survive page switches (Streamlit forgets the state of widgets that a
page does not draw) and can be changed together (presets) without stale widgets.
"""

import re

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from . import browser, cache, links
from .settings import KIND_LABELS, METRIC_LABELS, SETTINGS, dataset_spec, metric_in_use, parse_vector

_STORE = "_settings"
_WIDGET = "w:"
_MESSAGES = "_messages"
_URL = "_url"  # the query parameters this session last wrote or adopted
_PAGE = "_page"  # url path of the page being drawn ("" for the first page)
_REPORT = "_url_report"  # one line per value of a link that was not used


def init(page=""):
    """Settings for this run: from the URL on a session's first run or after Back/Forward.

    ``page``: the url path of the page this run draws (its own settings join its URL only).
    A Back or Forward to another history entry restores the settings that entry names, so
    the address bar and the page always agree; every value the URL holds that cannot be
    used is replaced, named in :func:`report`, and the URL rewritten to what is used.
    """
    previous = st.session_state.get(_PAGE)
    st.session_state[_PAGE] = page
    url = st.query_params.to_dict()
    if _STORE not in st.session_state:
        st.session_state[_STORE] = {name: s.default for name, s in SETTINGS.items()}
        _adopt(url)
    elif url != st.session_state.get(_URL) and _history_navigation():
        _adopt(url)
    elif previous is not None and previous != page:
        st.session_state.pop(_REPORT, None)  # the notice was about the page left behind
    sync_url()


def _history_navigation():
    """Whether this run follows the browser's Back or Forward (Streamlit tells the script run).

    Only then does a URL that differs from the one last written mean "show what it names";
    otherwise it is an address bar that has not caught up with our last write yet.
    """
    return getattr(get_script_run_ctx(), "is_history_navigation", True)


def _adopt(url):
    """Make the store what ``url`` names; report each value that cannot be used."""
    store = st.session_state[_STORE]
    page = st.session_state.get(_PAGE, "")
    problems = []
    kind, reason = SETTINGS["kind"].read(url["kind"]) if "kind" in url else (SETTINGS["kind"].default, None)
    for name, s in SETTINGS.items():
        if name in url:
            store[name], reason = s.read(url[name])
            if reason:
                problems.append(_line(name, url[name], reason, store[name]))
        elif links.relevant(name, {**store, "kind": kind}, page):
            store[name] = s.default  # absent from the URL: the entry names the default
    problems += [f"{escape(name)} is not a setting of this app: ignored." for name in url
                 if name not in SETTINGS]
    problems += _open_upload(store)
    if problems:
        st.session_state[_REPORT] = problems
    else:
        st.session_state.pop(_REPORT, None)


def _open_upload(store):
    """Open the upload a link names, if this browser may; else the default data (and why)."""
    if store["kind"] != "upload":
        return []
    digest = store["upload"]
    held = st.session_state.get("_upload")
    if not digest or (held and held[0] == digest):
        return []  # no file chosen yet (the Dataset page asks for one), or already open
    item, why = cache.upload_store().open(digest, browser.token())
    if item is not None:
        st.session_state["_upload"] = item.as_held()
        return []
    store["kind"], store["upload"] = SETTINGS["kind"].default, ""
    default = KIND_LABELS[store["kind"]]
    if why == "private":
        text = ("points at a file someone uploaded and did not share with the class, so only "
                "their browser can open it")
    else:
        text = ("points at an uploaded file this server no longer keeps (it keeps recent uploads "
                "only, until it restarts): upload it again on the 1 · Dataset page")
    return [f"This link {text}. Showing the default dataset instead: {escape(default)}."]


def _line(name, text, reason, used):
    return (f"{escape(name)}={escape(_short(text))} {escape(reason)}: "
            f"used {escape(name)}={escape(used)} instead.")


def _short(text, limit=40):
    text = re.sub(r"\s+", " ", str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text):
    """Text from a URL or a file shown literally in markdown (no link, emphasis, HTML or icon).

    Backslash-escapes every mark with a meaning inside a line; ``.``, ``-``, ``/`` and the
    like only mean something at a line's start, where this text never stands.
    """
    return re.sub(r"([\\`*_{}\[\]()#+!|<>&~$:@^])", r"\\\1", str(text))


def report():
    """Lines naming each value of the link just opened that was not used (empty if none).

    Kept until the learner changes a setting or opens another page.
    """
    return st.session_state.get(_REPORT, [])


def reject(name, reason, used, shown=None):
    """The value of ``name`` cannot be used here (found out by a page): store ``used`` and say so.

    ``shown``: what the page shows for ``used``, when that differs (an automatic default).
    Reruns, so the notice (drawn above the page) names it with the others.
    """
    line = _line(name, get(name), reason, used if shown is None else shown)
    st.session_state.setdefault(_REPORT, []).append(line)
    correct(**{name: used})
    st.rerun()


def checked_query(n, d=None, item_names=None):
    """The query string in use, once it names a vector of the dataset (``n`` vectors of ``d`` dims).

    ``id:N`` must be below n; ``word:W`` must be one of ``item_names`` (data without names has
    no words); ``vec:...`` must hold d numbers. Otherwise the default query is used and the
    notice says why (:func:`reject`).
    """
    q = get("q")
    kind, _, arg = q.partition(":")
    if kind == "id" and int(arg) >= n:
        reject("q", f"is not a vector here: there are {n:,} (id:0 to id:{n - 1})",
               SETTINGS["q"].default)
    if kind == "word" and word_id(arg, item_names) is None:
        why = ("is not a word of this data" if item_names is not None
               else "names a word, but these vectors have no words")
        reject("q", why, SETTINGS["q"].default)
    if kind == "vec" and d is not None and len(parse_vector(arg)) != d:
        reject("q", f"has {len(parse_vector(arg)):,} numbers; the vectors here have d = {d}",
               SETTINGS["q"].default)
    return q


def word_id(word, item_names):
    """Row of ``word`` in ``item_names`` (the first, if repeated), or None; cached per name list."""
    if item_names is None:
        return None
    return cache.name_index(spec(), item_names).get(word)


def say_later(where, text):
    """Keep a message for ``said(where)`` to show once, later in this run or in the next.

    For a change made after the sidebar is drawn that reruns the script (so the whole page
    agrees with it) and still has something to tell the learner.
    """
    st.session_state.setdefault(_MESSAGES, {})[where] = text


def said(where):
    """The message kept for ``where`` by an earlier run, once; None if there is none."""
    return st.session_state.get(_MESSAGES, {}).pop(where, None)


def values():
    """All current settings (a dict; do not mutate)."""
    return st.session_state[_STORE]


def get(name):
    return st.session_state[_STORE][name]


def put(**changes):
    """Change settings (and any widgets showing them), e.g. from a button callback."""
    st.session_state.pop(_REPORT, None)  # the learner moved on from the link they opened
    correct(**changes)


def correct(**changes):
    """Change settings the app had to correct (e.g. nprobe above nlist); keeps the link's notice."""
    store = st.session_state[_STORE]
    for name, value in changes.items():
        store[name] = value
        wkey = _WIDGET + name
        if wkey in st.session_state:
            st.session_state[wkey] = value
    sync_url()


def sync_url():
    """Put every setting that differs from its default and belongs in this page's links into the URL.

    Nothing else: a page's own settings (``Setting.pages``) only on that page, a dataset's
    parameters only for the kind in use. Same page, new settings: the browser's history
    entry is replaced, not added to (``ui/browser.py``).
    """
    wanted = links.url_params(st.session_state[_STORE], st.session_state.get(_PAGE, ""))
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state[_URL] = wanted


def widget(name, factory, label, auto=None, **kwargs):
    """Draw ``factory(label, ...)`` bound to setting ``name``; returns the value in use.

    ``auto``: the value a setting whose default depends on the data stands for while it
    holds that default (e.g. ``pq_m``: a divisor of d). The widget shows it; choosing it
    stores the default again, so it stays out of the URL. A stored value that is not among
    ``options`` here is replaced by ``auto`` (and said, see :func:`reject`).
    """
    wkey = _WIDGET + name
    value = get(name)
    if auto is not None:
        if value != SETTINGS[name].default and value not in kwargs.get("options", (value,)):
            reject(name, "is not one of the choices for this data", SETTINGS[name].default, auto)
        if value == SETTINGS[name].default:
            value = auto
    # Always hand the setting to the widget, even when its key already holds the same value:
    # after a page switch that key may belong to the previous page's widget (Streamlit then
    # draws the new one at its default, e.g. k = 1 while k = 10 is in use).
    st.session_state[wkey] = value
    factory(label, key=wkey, on_change=_copy_back, args=(name, auto), **kwargs)
    return value


def tabs(name, labels):
    """``st.tabs`` whose open tab is setting ``name`` (a key of ``labels``, which maps it to a title).

    Returns the tab containers in the order of ``labels``. Choosing a tab stores its key, so
    the link names the tab (a short word, not the title).
    """
    wkey = _WIDGET + name
    titles = dict(labels)
    st.session_state[wkey] = titles[get(name)]  # as state.widget: the setting wins

    def chosen():
        title = st.session_state[wkey]
        key = next((k for k, t in titles.items() if t == title), None)
        if key is not None and key != get(name):
            put(**{name: key})

    return st.tabs(list(titles.values()), key=wkey, on_change=chosen)


def _copy_back(name, auto=None):
    value = st.session_state[_WIDGET + name]
    if value is None:  # a control drawn late can report "nothing chosen": keep the setting
        st.session_state[_WIDGET + name] = st.session_state[_STORE][name]
        return
    st.session_state.pop(_REPORT, None)  # the learner moved on from the link they opened
    st.session_state[_STORE][name] = SETTINGS[name].default if value == auto else value
    sync_url()


def spec():
    """The hashable description of the current dataset (see ``settings.dataset_spec``)."""
    store = dict(values())
    upload = st.session_state.get("_upload")
    if upload:
        store["upload_digest"] = upload[0]
    return dataset_spec(store)


def own_metric():
    """The metric the current data is meant for (``Dataset.metric``), or None (then "l2")."""
    if get("kind") == "upload" and not st.session_state.get("_upload"):
        return None
    try:
        return cache.dataset(spec(), st.session_state.get("_upload")).metric
    except ValueError:  # bad data settings: the page says so when it loads the data
        return None


def metric(overrides=None):
    """The metric in use: the ``metric`` setting, or for "auto" the data's own (else "l2")."""
    setting = (overrides or {}).get("metric", get("metric"))
    return metric_in_use(setting, own_metric() if setting == "auto" else None)


def metric_label(overrides=None):
    """The metric in use in words, saying when it is the data's own (for the sidebar and captions)."""
    used = metric(overrides)
    own = " (the data's own)" if used == (own_metric() or "l2") else ""
    return f"{METRIC_LABELS[used]}{own}"


def training_key(overrides=None):
    """Hashable training settings: (nlist, init, empty, max_iter, tol, train_seed, metric).

    The metric is the one in use (never "auto"), so caches keyed by this never mix metrics.
    """
    v = dict(values())
    v.update(overrides or {})
    return (v["nlist"], v["init"], v["empty"], v["max_iter"], float(v["tol"]), v["train_seed"],
            metric(overrides))
