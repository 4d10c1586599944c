"""The sidebar every page shares: what data and index the learner is looking at.

Above the page, the notice naming each value of an opened link that was not used.
"""

import streamlit as st

from . import browser, state
from .settings import KIND_LABELS


PRESENTER_HELP = ("For a projector: larger text and charts, explanations cut to their first "
                  "sentence (the rest under More), the sidebar folded away. In a link: present=1.")


def show():
    v = state.values()
    if v["present"]:  # the sidebar is folded away: the switch stays in reach, above the page
        state.widget("present", st.toggle, "Presenter view", help=PRESENTER_HELP)
    lines = state.report()
    if lines:
        st.warning("**Some values in this link could not be used.** The page shows what was "
                   "used instead, and the address bar now says so.\n\n"
                   + "\n".join(f"- {line}" for line in lines))
    with st.sidebar:
        notice = state.said("sidebar")
        if notice:
            st.warning(notice)
        if not v["present"]:
            state.widget("present", st.toggle, "Presenter view", help=PRESENTER_HELP)
        st.markdown("### Current setup")
        upload = st.session_state.get("_upload")
        kind = KIND_LABELS[v["kind"]]
        if v["kind"] == "upload" and upload:
            kind = f"{kind}: {state.escape(upload[1])}"
        if v["kind"] not in ("upload", "digits", "glove"):  # a file and a fixed real dataset have no seed
            kind = f"{kind} (seed {v['seed']})"
        st.markdown(
            f"**Data:** {kind}  \n"
            f"**Index:** nlist = {v['nlist']}, init = {v['init']}, empty = {v['empty']}  \n"
            f"**Metric:** {state.metric_label()}  \n"
            f"**Search:** k = {v['topk']}, nprobe = {v['nprobe']}  \n"
            f"**View:** {v['proj'].upper()}"
        )
        st.caption(
            "The address bar holds these settings: copy the link to open the same view on "
            "another screen."
        )
        browser.install(remember=bool(upload))
