import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(ROOT, ".numba_cache"))


import pytest  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """A live app server on loopback (skips, saying why, without Chromium or Playwright)."""
    from bench.live import missing_browser, start_server, stop_server

    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    proc, url, _ = start_server()
    yield url
    stop_server(proc)


@pytest.fixture(scope="module")
def browser(server):
    """Debian's Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from bench.live import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
