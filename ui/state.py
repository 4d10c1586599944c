"""Per-learner settings in session state, mirrored into the URL so a link reproduces a view.

Widgets never own a setting: each reads its value from the store and writes back through a
callback, so settings survive page switches (Streamlit forgets the state of widgets that a
page does not draw) and can be changed together (presets) without stale widgets.
"""

import streamlit as st

from .settings import SETTINGS, dataset_spec

_STORE = "_settings"
_WIDGET = "w:"
_MESSAGES = "_messages"


def init():
    """Create the store on a session's first run (from the URL), then write the URL."""
    if _STORE not in st.session_state:
        values = {name: s.default for name, s in SETTINGS.items()}
        for name, text in st.query_params.to_dict().items():
            if name in SETTINGS:
                values[name] = SETTINGS[name].parse(text)
        if values["kind"] == "upload":  # an upload lives in its owner's session only
            values["kind"] = SETTINGS["kind"].default
            say_later("sidebar", "That link pointed at someone's uploaded file, which only "
                                 "they have: showing the default dataset instead.")
        st.session_state[_STORE] = values
    sync_url()


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
    store = st.session_state[_STORE]
    for name, value in changes.items():
        store[name] = value
        wkey = _WIDGET + name
        if wkey in st.session_state:
            st.session_state[wkey] = value
    sync_url()


def sync_url():
    """Put every non-default setting into the URL (and nothing else)."""
    store = st.session_state[_STORE]
    wanted = {
        name: str(store[name])
        for name, s in SETTINGS.items()
        if store[name] != s.default and _relevant(name, store)
    }
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def _relevant(name, store):
    """Dataset parameters only appear in the URL for the kind in use."""
    if "." in name:
        return name.split(".", 1)[0] == store["kind"]
    return True


def widget(name, factory, label, **kwargs):
    """Draw ``factory(label, ...)`` bound to setting ``name``; returns the current value."""
    wkey = _WIDGET + name
    # Always hand the setting to the widget, even when its key already holds the same value:
    # after a page switch that key may belong to the previous page's widget (Streamlit then
    # draws the new one at its default, e.g. k = 1 while k = 10 is in use).
    st.session_state[wkey] = get(name)
    factory(label, key=wkey, on_change=_copy_back, args=(name,), **kwargs)
    return get(name)


def _copy_back(name):
    value = st.session_state[_WIDGET + name]
    if value is None:  # a control drawn late can report "nothing chosen": keep the setting
        st.session_state[_WIDGET + name] = st.session_state[_STORE][name]
        return
    st.session_state[_STORE][name] = value
    sync_url()


def spec():
    """The hashable description of the current dataset (see ``settings.dataset_spec``)."""
    store = dict(values())
    upload = st.session_state.get("_upload")
    if upload:
        store["upload_digest"] = upload[0]
    return dataset_spec(store)


def training_key(overrides=None):
    """Hashable training settings: (nlist, init, empty, max_iter, tol, train_seed)."""
    v = dict(values())
    v.update(overrides or {})
    return (v["nlist"], v["init"], v["empty"], v["max_iter"], float(v["tol"]), v["train_seed"])
