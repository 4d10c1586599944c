"""How a page puts its charts and explanations on screen, normal or in presenter view.

The presenter view (setting ``present``, ``present=1`` in a link) is for a projector at the
front of a room: every chart goes through :func:`chart`, which enlarges its text, markers and
lines (``figures.for_projector``), and every page's explanation through :func:`explain`,
which keeps its first sentence on screen and the rest one click away.
"""

import re
import weakref

import streamlit as st

from . import figures, state

# Words ending in a full stop that do not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "Fig.", "No.")
# A sentence ends at . ! or ? (after any closing mark) followed by space and a capital,
# a digit or an opening mark; "1.0" has no space after its point, so it never ends one.
_END = re.compile(r"[.!?][*_)\]\"”’']*\s+(?=[*_(\[\"“‘']*[A-Z0-9])")

# Scaled copies of figures a cache hands out again and again (the training animation takes
# seconds to scale): the source figure, held weakly, and its copy, by the source's id.
_SCALED = {}
_SCALED_MAX = 8


def presenting():
    """Whether the presenter view is on for this session."""
    return bool(state.get("present"))


def first_sentence(text):
    """``text`` split after its first sentence: (first, rest); rest is "" for one sentence.

    Markdown is kept as it is; a full stop in "e.g.", "i.e." or a number ("1.0") does not
    end a sentence.
    """
    for m in _END.finditer(text):
        if text[: m.start() + 1].endswith(_ABBREVIATIONS):
            continue
        first = text[: m.end()].rstrip()
        if _open_emphasis(first):
            continue  # inside **bold** or *italic*: the sentence goes on after it
        return first, text[m.end():].strip()
    return text.strip(), ""


def _open_emphasis(text):
    """Whether ``text`` leaves a ``**`` or ``*`` emphasis open."""
    bold = text.count("**")
    return bold % 2 == 1 or (text.count("*") - 2 * bold) % 2 == 1


def explain(text, where=None):
    """A page's explanation: all of it, or in presenter view its first sentence and a "More" expander.

    Parameters
    ----------
    text : str
        Markdown (the app's own words, never text from a file or a URL).
    where : streamlit container, optional
        Where to draw (default: the page at this point).
    """
    where = where or st
    if not presenting():
        where.markdown(text)
        return
    first, rest = first_sentence(text)
    where.markdown(first)
    if rest:
        with where.expander("More"):
            st.markdown(rest)


def chart(fig, where=None, **kwargs):
    """``st.plotly_chart(fig, **kwargs)``, with the figure enlarged in presenter view.

    ``where``: a container to draw in (default: the page at this point). Returns what
    ``st.plotly_chart`` returns (the selection state of a chart with ``on_select``).
    """
    where = where or st
    if presenting():
        fig = _scaled(fig)
    return where.plotly_chart(fig, **kwargs)


def _scaled(fig):
    key = id(fig)
    held = _SCALED.get(key)
    if held is not None and held[0]() is fig:
        return held[1]
    scaled = figures.for_projector(fig)
    if len(_SCALED) >= _SCALED_MAX:
        _SCALED.pop(next(iter(_SCALED)), None)
    _SCALED[key] = (weakref.ref(fig), scaled)
    return scaled
