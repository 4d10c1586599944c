"""Make every page run through app.py, even on a fresh server's very first request.

Streamlit treats an app with a ``pages/`` folder as a legacy multipage app until its entry
script calls ``st.navigation``; until then a request for, say, ``/search`` runs
``pages/search.py`` alone, without app.py's settings, sidebar and navigation. A page calls
:func:`through_app` first: in that legacy case it switches Streamlit to ``st.navigation``
mode and reruns, so app.py runs and then runs the requested page.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def through_app():
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
