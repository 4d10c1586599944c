"""An opt-in record of every script run, for measuring the server itself under load.

With ``IVFLAB_RUN_LOG=/path/runs.jsonl`` in the server's environment, each run of a page
appends one JSON line: session id, page, start and end (``time.monotonic()``, comparable
across processes on one machine), the script thread's CPU seconds and how the run ended.
``bench/classroom.py`` sets it and reports search interactions as the server saw them,
free of the delays of a load generator sharing the machine. Without the variable: nothing.
"""

import contextlib
import json
import os
import threading
import time

from streamlit.runtime.scriptrunner import get_script_run_ctx

ENV = "IVFLAB_RUN_LOG"
_lock = threading.Lock()


@contextlib.contextmanager
def timed(page):
    path = os.environ.get(ENV)
    if not path:
        yield
        return
    t0, cpu0, outcome = time.monotonic(), time.thread_time(), "finished"
    try:
        yield
    except BaseException as exc:  # st.stop / st.rerun / an interrupted run: still a run
        outcome = type(exc).__name__
        raise
    finally:
        ctx = get_script_run_ctx()
        record = {"session": ctx.session_id if ctx else None, "page": page.url_path,
                  "start": t0, "end": time.monotonic(), "cpu": time.thread_time() - cpu0,
                  "outcome": outcome}
        with _lock, open(path, "a") as fh:
            fh.write(json.dumps(record) + "\n")
