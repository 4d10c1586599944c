"""What a learner's screen must not show, measured in the browser: cut text, overlapping chart
parts, accessibility violations. Used by the browser test; also runnable to survey every page:

    .venv/bin/python -m bench.screens 1024x768 1280x800
    .venv/bin/python -m bench.screens --present 1024x768

prints each page's offenders and writes screenshots to test-artifacts/screens-<width>/
(screens-<width>-present/ for the presenter view).
"""

import os
import re
import sys
import urllib.parse

from ui.links import PAGES

from .live import ROOT, launch, start_server, stop_server, wait_idle

SIZES = ((1024, 768), (1280, 800))
SERIOUS = ("serious", "critical")

# Text that Streamlit ends with "…" (CSS text-overflow: ellipsis) and that does not fit.
_CUT_TEXT_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.scrollWidth <= el.clientWidth + 1 || el.clientWidth === 0) continue;
    if (getComputedStyle(el).textOverflow !== 'ellipsis') continue;
    const text = (el.innerText || el.textContent || '').trim();
    if (!text) continue;
    const tid = el.closest('[data-testid]');
    out.push({text: text.slice(0, 80), testid: tid ? tid.getAttribute('data-testid') : '',
              scroll: el.scrollWidth, client: el.clientWidth});
  }
  return out;
}"""

# Chart parts that must not overlap each other: titles, subplot titles, axis titles, legend,
# play buttons and slider. Axis titles, the main title and the legend must not lie on a plot area.
_CHART_OVERLAP_JS = r"""() => {
  const out = [];
  const box = el => el.getBoundingClientRect();
  const hit = (a, b) => a.width > 0 && b.width > 0 && a.left < b.right - 1 && b.left < a.right - 1
                        && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  document.querySelectorAll('.js-plotly-plot').forEach((gd, n) => {
    if (!gd.offsetParent) return;  // in a hidden tab
    const title = (gd.layout && gd.layout.title && gd.layout.title.text) || ('chart ' + n);
    const parts = [];
    const add = (sel, kind, onPlot) => gd.querySelectorAll(sel).forEach(el => {
      const txt = (el.textContent || '').trim().slice(0, 50);
      if (kind !== 'legend' && kind !== 'buttons' && kind !== 'slider' && !txt) return;
      parts.push({kind, txt, r: box(el), onPlot});
    });
    add('.infolayer .g-gtitle', 'title', true);
    gd.querySelectorAll('.infolayer text').forEach(el => {
      if (/^[xy]\d*title$/.test(el.getAttribute('class') || '') && el.textContent.trim())
        parts.push({kind: 'axis title', txt: el.textContent.trim().slice(0, 50), r: box(el), onPlot: true});
    });
    add('.infolayer .legend', 'legend', true);
    add('.annotation', 'annotation', false);
    add('.updatemenu-container', 'buttons', false);
    add('.slider-container', 'slider', false);
    const seen = new Set();
    const uniq = parts.filter(p => { const k = p.kind + p.txt + p.r.left + p.r.top;
                                     if (seen.has(k)) return false; seen.add(k); return true; });
    for (let i = 0; i < uniq.length; i++)
      for (let j = i + 1; j < uniq.length; j++)
        if (hit(uniq[i].r, uniq[j].r))
          out.push({chart: title, a: uniq[i].kind + ' "' + uniq[i].txt + '"',
                    b: uniq[j].kind + ' "' + uniq[j].txt + '"'});
    const frame = box(gd);
    for (const p of uniq) if (p.r.width > 0 && (p.r.left < frame.left - 1 || p.r.right > frame.right + 1))
      out.push({chart: title, a: p.kind + ' "' + p.txt + '"', b: 'the edge of the chart (cut)'});
    const areas = Array.from(gd.querySelectorAll('.draglayer .nsewdrag')).map(box);
    for (const p of uniq) if (p.onPlot && areas.some(a => hit(p.r, a)))
      out.push({chart: title, a: p.kind + ' "' + p.txt + '"', b: 'the plot area'});
  });
  return out;
}"""


def cut_text(pg):
    """Elements whose text is cut with an ellipsis: [{text, testid, scroll, client}]."""
    return pg.evaluate(_CUT_TEXT_JS)


def chart_overlaps(pg):
    """Overlapping titles, legends and controls in the visible plotly charts."""
    return pg.evaluate(_CHART_OVERLAP_JS)


def serious_violations(pg):
    """axe-core's serious and critical violations: [(rule id, impact, [targets])]."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(pg).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:6])
            for v in found if v["impact"] in SERIOUS]


def full_screenshot(pg, path, max_height=4000):
    """The whole page, not just the viewport: Streamlit scrolls inside its own container, so
    the viewport is made as tall as the content (same width, so nothing reflows)."""
    size = dict(pg.viewport_size)
    total = pg.evaluate("""() => Math.max(...Array.from(document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stAppViewContainer"], body')).map(e => e.scrollHeight))""")
    pg.set_viewport_size({"width": size["width"], "height": max(size["height"], min(total, max_height))})
    pg.wait_for_timeout(800)
    pg.screenshot(path=path)
    pg.set_viewport_size(size)
    pg.wait_for_timeout(300)
    return path


def sidebar_open(pg):
    """Whether the sidebar is drawn open (the presenter view folds it away)."""
    side = pg.locator("[data-testid='stSidebar']")
    return side.count() > 0 and side.first.get_attribute("aria-expanded") == "true"


def problems(pg, present=False):
    """Everything wrong on the screen now, as printable lines (empty = fine).

    ``present``: the presenter view is meant to be on (its sidebar folded away).
    """
    lines = ["presenter view: the sidebar is open"] if present and sidebar_open(pg) else []
    lines += [f"cut: {c['text']!r} in {c['testid']} ({c['scroll']} > {c['client']} px)"
             for c in cut_text(pg)]
    lines += [f"overlap in {o['chart']!r}: {o['a']} / {o['b']}" for o in chart_overlaps(pg)]
    lines += [f"axe {rule} ({impact}): {targets}" for rule, impact, targets in serious_violations(pg)]
    return lines


# Every page (and every state of a page) a learner can reach with the exercise loaded:
# (name, navigation link text, what to do once there).
def _reveal_all(pg):
    toggles = pg.locator("[data-testid='stMain'] [data-testid='stCheckbox'] input, "
                           "[data-testid='stMain'] [data-baseweb='checkbox'] input")
    for i in range(toggles.count()):
        toggles.nth(i).check(force=True)
        wait_idle(pg)


def _tab(name):
    def go(pg):
        pg.get_by_role("tab", name=name).click()
        pg.wait_for_timeout(600)
    return go


VIEWS = [
    ("dataset", "Dataset", None),
    ("train", "Train", None),
    ("sizes", "Cluster sizes", None),
    ("search", "Search", None),
    ("recall", "Recall vs work", None),
    ("exercise", "The chapter's exercise", _reveal_all),
    ("failures-empty", "Failure-mode lab", None),
    ("failures-unbalanced", None, _tab("Unbalanced clusters")),
    ("failures-shapes", None, _tab("Non-spherical clusters")),
    ("pq", "IVF-PQ vs IVF-Flat", None),
    ("worksheet", "Worksheet", _reveal_all),
    ("choose", "Choose nlist", _reveal_all),  # with the three training samples compared
    ("aging", "An index that ages", None),
    ("filtered", "Filtered search", None),
]


def load_exercise(pg, url):
    pg.goto(url)
    wait_idle(pg)
    pg.get_by_role("button", name=re.compile("Load the chapter's exercise")).click()
    wait_idle(pg)


def visit(pg, nav, action=None):
    """Go to a page by its navigation link (None: stay), do ``action``, wait until drawn."""
    if nav:
        pg.get_by_role("link", name=re.compile(re.escape(nav))).first.click()
        wait_idle(pg)
    if action:
        action(pg)
    wait_idle(pg, settle=1200)  # plotly draws after the script run ends


def open_presenting(pg, url, view, query, action=None):
    """Open ``view``'s page from a link holding ``query`` and present=1 (a fresh session, as a
    teacher's link opens it; the sidebar with the page links is folded away), then ``action``."""
    page = PAGES[view.split("-")[0]]
    pg.goto(f"{url}/{page}?" + urllib.parse.urlencode({**query, "present": "1"}))
    wait_idle(pg)
    if action:
        action(pg)
    wait_idle(pg, settle=1200)


def survey(url, pg, shots=None, present=False):
    """Visit every view; returns {view: [problems]} and saves screenshots into ``shots``.

    ``present``: in the presenter view, each page opened from a link with present=1.
    """
    load_exercise(pg, url)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(pg.url).query))
    report = {}
    for name, nav, action in VIEWS:
        if not present:
            visit(pg, nav, action)
        elif nav:
            open_presenting(pg, url, name, query, action)
        else:
            visit(pg, None, action)  # another tab of the page just opened
        report[name] = problems(pg, present)
        if shots:
            os.makedirs(shots, exist_ok=True)
            full_screenshot(pg, os.path.join(shots, f"{name}.png"))
    return report


def main(argv):
    from playwright.sync_api import sync_playwright

    present = "--present" in argv
    sizes = [tuple(int(v) for v in a.split("x")) for a in argv if a != "--present"] or list(SIZES)
    proc, url, _ = start_server()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            for w, h in sizes:
                pg = browser.new_page(viewport={"width": w, "height": h})
                shots = os.path.join(ROOT, "test-artifacts", f"screens-{w}{'-present' if present else ''}")
                report = survey(url, pg, shots, present)
                print(f"== {w}x{h}{' presenter view' if present else ''}")
                for view, lines in report.items():
                    print(f"  {view}: {'ok' if not lines else ''}")
                    for line in lines:
                        print("    " + line)
                pg.close()
            browser.close()
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main(sys.argv[1:])
