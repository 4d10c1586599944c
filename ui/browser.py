"""What the app asks of the learner's browser beside drawing the page.

- **History**: a setting changed on a page *replaces* the page's history entry instead of
  adding one, so Back goes to the previous page (as it was left), not through every step
  of a slider; switching pages still adds an entry. Streamlit's frontend adds an entry
  (``history.pushState``) whenever the script changes ``st.query_params``; a small script
  turns a push that keeps the path (same page, new settings) into ``replaceState``. It
  also drops the push of another page's path that a run started before a quick Back or
  Forward makes when it ends (Streamlit's own catch-up): it would cut the Forward list.
- **Which browser uploaded a file**: a random token in a cookie (``ivflab_browser``), set
  only once the learner uploads something, lets a reload open their upload again
  (``ui/uploads.py``). It names nothing and is not in any link.
"""

import json
import re
import secrets

import streamlit as st

COOKIE = "ivflab_browser"
COOKIE_DAYS = 7
_TOKEN = "_browser_token"
_VALID = re.compile(r"[A-Za-z0-9_-]{16,64}")

_SCRIPT = """<script>
(() => {
  const w = window;
  if (!w.__ivflabHistory) {  // once per page load
    w.__ivflabHistory = true;
    let popped = -1e9, touched = 0;
    w.addEventListener("popstate", () => { popped = performance.now(); }, true);
    for (const t of ["pointerdown", "keydown"]) {
      w.addEventListener(t, () => { touched = performance.now(); }, true);
    }
    const push = w.history.pushState.bind(w.history);
    w.history.pushState = function (state, title, url) {
      if (url === undefined || url === null) return push(state, title, url);
      if (new URL(url, w.location.href).pathname === w.location.pathname) {
        return w.history.replaceState(state, title, url);  // same page, new settings
      }
      if (popped > touched && performance.now() - popped < 5000) {
        return;  // a run started before Back/Forward catching up: the entry already names the page
      }
      return push(state, title, url);
    };
  }
  const token = TOKEN;
  if (token && !document.cookie.split("; ").includes("COOKIE=" + token)) {
    document.cookie = "COOKIE=" + token + "; path=/; max-age=AGE; samesite=strict";
  }
})();
</script>"""


def cookie_token():
    """The token this browser's cookie sent when the session started, or None."""
    value = st.context.cookies.get(COOKIE) if st.context.cookies else None
    return value if value and _VALID.fullmatch(value) else None


def token():
    """This browser's token: its cookie's, else one made for this session (and kept in the cookie
    once :func:`install` is told to remember it)."""
    return cookie_token() or st.session_state.setdefault(_TOKEN, secrets.token_urlsafe(18))


def install(remember=False):
    """Draw the (invisible) script; ``remember``: also keep this browser's token in its cookie."""
    known = remember and cookie_token() is None
    script = (_SCRIPT.replace("TOKEN", json.dumps(token() if known else ""))
              .replace("COOKIE", COOKIE).replace("AGE", str(COOKIE_DAYS * 86400)))
    st.html(script, unsafe_allow_javascript=True)
