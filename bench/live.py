"""A running IVF Lab server and a headless Debian Chromium, for the browser test and benchmarks.

Nothing is downloaded: the browser is Debian's ``/usr/bin/chromium`` driven by Playwright.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = os.environ.get("IVFLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def missing_browser():
    """Why a browser run cannot happen here, or None when it can."""
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, as .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port=None, timeout=60):
    """Start ``streamlit run app.py`` on loopback; returns (process, url, seconds to healthy)."""
    port = port or free_port()
    env = dict(os.environ, NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", os.path.join(ROOT, ".numba_cache")))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url, time.perf_counter() - t0
        except OSError:
            pass
        if time.perf_counter() - t0 > timeout or proc.poll() is not None:
            proc.kill()
            out = proc.stdout.read().decode(errors="replace")[-2000:]
            raise RuntimeError("the app server did not become healthy: " + out)
        time.sleep(0.2)


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def launch(playwright):
    """Debian's Chromium, headless, with the flags this sandbox needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(pg, timeout=300_000, settle=700):
    """Wait until the app's script run has finished (let a rerun start first)."""
    pg.wait_for_timeout(400)
    pg.wait_for_selector(IDLE, timeout=timeout)
    pg.wait_for_timeout(settle)
