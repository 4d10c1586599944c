"""App wait times a class notices, measured in a real browser and in AppTest.

Run: ``.venv/bin/python -m bench.app_timing`` (part of ``make bench``). Rows:
- server start to healthy, to the first page's content (title, text, widgets) and to its
  chart drawn (Dataset page, default data), and the same chart for a second learner;
- the exercise preset: click to dataset shown, then Train page to the first frame
  (iteration 0, drawn while k-means still runs) and to the full animation (training + every
  frame: issue #15's "Train page, first visit"), plus the size of the animation figure sent
  to the browser;
- issue #15's "what a learner waits for" (exercise preset, wall clock in Chromium from the
  click to the result drawn): the training animation's frames per second while it plays,
  a change of nlist on Train (100 -> 90: training + every frame), a click on a point of the
  Search chart until its result is drawn, and the IVF-PQ page's first visit;
- nprobe and k changes on the Search page: server time of the rerun (AppTest, exercise data);
- the Choose page on the exercise preset (6 nlists, 200 held-out queries): cold (a fresh
  process: nothing cached; wall and CPU time of the server process) and cached (AppTest).
Targets from the issues: first page < 3 s, first training frame < 5 s, payload < 5 MB,
nprobe change < 0.5 s, Choose page cold < 60 s and cached < 1 s; #15: Train page first visit
<= 4 s, nlist change <= 3 s, IVF-PQ page first visit <= 6 s, Search click <= 1 s, animation
>= 10 frames/s.
"""

import json
import os
import re
import statistics
import sys
import time

from bench.live import ROOT, launch, missing_browser, start_server, stop_server, wait_idle

TARGETS = {"first page (content)": 3.0, "first training frame": 5.0, "animation payload MB": 5.0,
           "nprobe change (server)": 0.5, "k change (server)": 0.5,
           "choose page cold (server)": 60.0, "choose page cached (server)": 1.0,
           "Train page, first visit": 4.0, "change nlist on Train": 3.0,
           "IVF-PQ page, first visit": 6.0, "Search: click a point to result": 1.0}
# Rows whose target is a floor (larger is better).
FLOORS = {"animation frames/s": 10.0}

# Records every change of the app's script state (running / notRunning) with its time, so a
# measurement ends when the last rerun a click caused ends, not after a fixed sleep.
WATCH_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    window.__runs = [];
    if (window.__runObserver) window.__runObserver.disconnect();
    window.__runObserver = new MutationObserver(() => window.__runs.push(
        [app.getAttribute('data-test-script-state'), performance.now()]));
    window.__runObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    return performance.now();
}"""


def _click_to_idle(pg, click, ready="true", quiet_ms=1500, timeout=300_000):
    """Seconds from ``click()`` until the last script run it started has ended and ``ready``
    (a JS expression) holds: runs that follow within ``quiet_ms`` (a URL rewrite) count too."""
    t0 = pg.evaluate(WATCH_RUNS)
    click()
    pg.wait_for_function(
        f"""() => {{
            const r = window.__runs, app = document.querySelector("[data-testid='stApp']");
            if (!r.length || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
            const last = r[r.length - 1];
            return last[0] === 'notRunning' && performance.now() - last[1] > {quiet_ms} && ({ready});
        }}""", timeout=timeout, polling=50)
    runs = pg.evaluate("() => window.__runs")
    end = max(t for state, t in runs if state == "notRunning")
    return (end - t0) / 1000


def _animation_fps(pg, seconds=4.0):
    """Frames per second of the training animation while it plays (▶ Play, plotly's own events)."""
    pg.evaluate("""() => { const gd = document.querySelector('.js-plotly-plot');
        window.__frames = []; gd.on('plotly_animatingframe', () => window.__frames.push(performance.now())); }""")
    pg.locator(".js-plotly-plot .updatemenu-button").first.click()  # ▶ Play
    pg.wait_for_timeout(seconds * 1000)
    pg.locator(".js-plotly-plot .updatemenu-button").nth(1).click()  # pause
    t = pg.evaluate("() => window.__frames")
    return (len(t) - 1) / ((t[-1] - t[0]) / 1000) if len(t) > 1 else 0.0


# JS: whether the first chart holds the whole animation (more than one frame).
ANIMATED = ("(() => { const gd = document.querySelector('.js-plotly-plot');"
            " return !!(gd && gd._transitionData && gd._transitionData._frames.length > 1); })()")


class _Shown(dict):
    """The rows, each also printed as it is measured (a run that fails later keeps them)."""

    def __setitem__(self, name, value):
        super().__setitem__(name, value)
        print(f"  measured: {name} = {value:.2f}", flush=True)


def browser_rows():
    from playwright.sync_api import TimeoutError, sync_playwright

    rows = _Shown()
    proc, url, healthy = start_server()
    rows["server healthy"] = healthy
    try:
        with sync_playwright() as p:
            browser = launch(p)
            pg = browser.new_page(viewport={"width": 1500, "height": 1100})
            t0 = time.perf_counter()
            pg.goto(url)
            pg.wait_for_selector("h1", timeout=120_000)
            rows["first page (content)"] = healthy + time.perf_counter() - t0
            pg.wait_for_selector(".js-plotly-plot", timeout=120_000)
            rows["first page (chart drawn)"] = healthy + time.perf_counter() - t0
            wait_idle(pg)
            # the same page for a second learner: server work is cached (~30 ms), so this is
            # almost all browser time (loading plotly.js, drawing WebGL in software here)
            other = browser.new_page(viewport={"width": 1500, "height": 1100})
            t0 = time.perf_counter()
            other.goto(url)
            other.wait_for_selector(".js-plotly-plot", timeout=120_000)
            rows["second learner: chart drawn"] = time.perf_counter() - t0
            other.close()

            t0 = time.perf_counter()
            pg.get_by_role("button", name=re.compile("Load the chapter's exercise")).click()
            pg.wait_for_selector("text=100,000", timeout=120_000)
            wait_idle(pg, settle=0)
            rows["preset: dataset shown"] = time.perf_counter() - t0 - 0.4

            t0 = time.perf_counter()
            pg.get_by_role("link", name=re.compile("Train")).first.click()
            pg.wait_for_function(
                "() => [...document.querySelectorAll('.js-plotly-plot')].some("
                "gd => gd.layout && gd.layout.title && /Iteration 0/.test(gd.layout.title.text))",
                timeout=120_000, polling=50)
            rows["first training frame"] = time.perf_counter() - t0
            pg.wait_for_function(ANIMATED, timeout=300_000, polling=50)
            rows["Train page, first visit"] = time.perf_counter() - t0
            wait_idle(pg)
            frames = pg.evaluate("() => document.querySelector('.js-plotly-plot')"
                                 "._transitionData._frames.length")
            rows["animation frames"] = frames
            rows["animation frames/s"] = _animation_fps(pg)

            box = pg.get_by_role("spinbutton", name=re.compile("Lists"))
            rows["change nlist on Train"] = _click_to_idle(
                pg, lambda: (box.fill("90"), box.press("Enter")),
                ready=ANIMATED + " && /nlist = 90/.test(document.querySelector('.js-plotly-plot')"
                                 ".layout.title.text)")
            box.fill("100")
            box.press("Enter")
            wait_idle(pg)

            pg.get_by_role("link", name=re.compile("Search")).first.click()
            wait_idle(pg)
            pg.wait_for_selector(".js-plotly-plot", timeout=120_000)
            # the right-most vector in view that was not scanned: isolated enough to click alone
            target = pg.evaluate("""() => {
                const gd = document.querySelector('.js-plotly-plot');
                const t = gd._fullData[0]; const xs = Array.from(t.x), ys = Array.from(t.y);
                const fl = gd._fullLayout, [x0, x1] = fl.xaxis.range, [y0, y1] = fl.yaxis.range;
                const inView = j => xs[j] > x0 && xs[j] < x1 && ys[j] > y0 && ys[j] < y1;
                let i = -1; for (let j = 0; j < xs.length; j++) if (inView(j) && (i < 0 || xs[j] > xs[i])) i = j;
                const r = gd.getBoundingClientRect();
                return {id: Array.from(t.customdata)[i], x: xs[i],
                        px: r.left + fl.xaxis._offset + fl.xaxis.l2p(xs[i]),
                        py: r.top + fl.yaxis._offset + fl.yaxis.l2p(ys[i])};
            }""")
            # drawn: the query star (the last trace) sits on the clicked vector
            rows["Search: click a point to result"] = _click_to_idle(
                pg, lambda: pg.mouse.click(target["px"], target["py"]), quiet_ms=1000,
                ready=f"(() => {{ const gd = document.querySelector('.js-plotly-plot');"
                      f" const q = gd && gd._fullData[gd._fullData.length - 1];"
                      f" return !!q && Math.abs(q.x[0] - {target['x']}) < 1e-6; }})()")

            try:  # a loaded machine has taken minutes here: a missed row, not a lost run
                rows["IVF-PQ page, first visit"] = _click_to_idle(
                    pg, lambda: pg.get_by_role("link", name=re.compile("IVF-PQ")).first.click(),
                    ready="document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=900_000)
            except TimeoutError:
                rows["IVF-PQ page, first visit"] = float("inf")
            browser.close()
    finally:
        stop_server(proc)
    return rows


def server_rows(repeats=5):
    """Server time of Search-page reruns after an nprobe or k change (AppTest, exercise)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=600)
    at.query_params.update({"kind": "exercise", "nlist": "100", "nprobe": "5"})
    at.run()
    at.switch_page("pages/train.py")
    at.run()
    spec = at.get("plotly_chart")[0].proto.spec
    payload = len(spec.encode()) / 2**20
    at.switch_page("pages/search.py")
    at.run()
    times = {"nprobe change (server)": [], "k change (server)": []}
    for i in range(repeats):
        s = next(x for x in at.slider if x.label.startswith("nprobe"))
        t0 = time.perf_counter()
        s.set_value(3 + 2 * (i % 2) + i).run()
        times["nprobe change (server)"].append(time.perf_counter() - t0)
        s = next(x for x in at.slider if x.label.startswith("k ("))
        t0 = time.perf_counter()
        s.set_value(5 + i).run()
        times["k change (server)"].append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    rows = {name: statistics.median(v) for name, v in times.items()}
    rows["animation payload MB"] = payload
    return rows


def choose_rows():
    """The Choose page on the exercise preset in a fresh process: cold, then cached (AppTest).

    Run in a child process so no cache of this process (server_rows trains the exercise too)
    makes the cold run warm.
    """
    import subprocess

    code = (
        "import json, time\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({os.path.join(ROOT, 'app.py')!r}, default_timeout=900)\n"
        "at.query_params.update({'kind': 'exercise', 'nlist': '100'})\n"
        "at.run()\n"
        "at.switch_page('pages/choose.py')\n"
        "c0 = time.process_time(); t0 = time.perf_counter(); at.run()\n"
        "cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0\n"
        "assert not at.exception, at.exception\n"
        "t0 = time.perf_counter(); at.run(); warm = time.perf_counter() - t0\n"
        "print(json.dumps({'cold': cold, 'cold_cpu': cold_cpu, 'warm': warm}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=1800, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # The CPU time says what a quiet machine would take when the wall time is inflated by a
    # shared, loaded one (the page's work runs on one thread: ivfcore/blas.py).
    return {"choose page cold (server)": got["cold"], "choose page cold (server CPU)": got["cold_cpu"],
            "choose page cached (server)": got["warm"]}


def main(argv=None):
    """All rows; ``--browser`` only the browser rows (a quicker check while working on a page)."""
    browser_only = "--browser" in (sys.argv[1:] if argv is None else argv)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"({os.cpu_count()} CPUs; a shared machine inflates every wall-clock row)")
    rows = {}
    reason = missing_browser()
    if reason:
        print(f"browser rows skipped: {reason}")
    else:
        rows.update(browser_rows())
    if not browser_only:
        rows.update(server_rows())
        rows.update(choose_rows())
    print(f"{'app measurement':36s} {'value':>10s}  target")
    ok = True
    for name, value in rows.items():
        target, floor = TARGETS.get(name), FLOORS.get(name)
        unit = "" if "MB" in name or name.startswith("animation frames") else " s"
        verdict = ""
        if target is not None:
            met = value <= target
            ok &= met
            verdict = f"<= {target:g}{unit}: " + ("met" if met else f"MISSED by {value - target:.2f}{unit}")
        elif floor is not None:
            met = value >= floor
            ok &= met
            verdict = f">= {floor:g}: " + ("met" if met else f"MISSED by {floor - value:.2f}")
        print(f"{name:36s} {value:>10.2f}{unit:2s} {verdict}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("every target met" if ok else "some targets MISSED (see above)")
    return 0  # a missed target is a finding, not a failed run (as in python -m bench)


if __name__ == "__main__":
    sys.exit(main())
