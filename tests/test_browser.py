"""End to end in a real browser: start the server, walk every page as a learner would.

Uses Debian's Chromium through Playwright (no browser download). Skips, saying why, when
Chromium or Playwright is missing. Screenshots go to test-artifacts/; the ones taken at
1024x768 (a classroom projector) also go, with IVFLAB_SCREENSHOTS=docs, to docs/screenshots/
for the README.
"""

import os
import re
import shutil

import pytest

from bench import screens
from bench.live import ROOT, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(browser):
    pg = browser.new_page(viewport={"width": 1500, "height": 1250})
    yield pg
    pg.close()


_idle = wait_idle


def _shot(pg, name):
    """A screenshot of the walkthrough (wide screen) into test-artifacts/; no text may be cut."""
    out = os.path.join(ROOT, "test-artifacts")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{name}.png")
    pg.screenshot(path=path)
    cut = screens.cut_text(pg)
    assert not cut, f"text cut with an ellipsis on {name}: {cut}"
    return path


def _no_exception(pg):
    assert pg.locator("[data-testid='stException']").count() == 0, pg.locator(
        "[data-testid='stException']").first.inner_text()


def _goto(pg, server, nav_text):
    pg.get_by_role("link", name=re.compile(nav_text)).first.click()
    _idle(pg)
    _no_exception(pg)


def _chart_js(pg, expr, index=0):
    """Evaluate ``expr`` with ``gd`` bound to the index-th plotly chart on the page."""
    return pg.evaluate(
        f"() => {{ const gd = document.querySelectorAll('.js-plotly-plot')[{index}]; return {expr}; }}"
    )


def test_learner_walkthrough(server, page):
    pg = page
    pg.goto(server)
    _idle(pg)
    _no_exception(pg)
    assert pg.get_by_text("Dataset", exact=False).first.is_visible()

    # 1. the chapter's exercise in one click
    pg.get_by_role("button", name=re.compile("Load the chapter's exercise")).click()
    _idle(pg)
    _no_exception(pg)
    assert pg.get_by_text("100,000").first.is_visible()
    pg.wait_for_selector(".js-plotly-plot")
    _shot(pg, "dataset")

    # 2. training: the animation plays
    _goto(pg, server, "Train")
    # the 2-D view control shows the view in use, also when it was last drawn on another page
    pressed = _chart_js(pg, "Array.from(document.querySelectorAll('[data-testid=\"stButtonGroup\"] button'))"
                            ".filter(b => b.getAttribute('aria-checked') === 'true').map(b => b.innerText)")
    assert pressed == ["PCA"], pressed
    pg.wait_for_selector(".js-plotly-plot .updatemenu-button")
    # the step is named by a text trace above the panels, as drawn (frames play without redraw)
    step_text = ("[...gd.querySelectorAll('.textpoint text')].map(e => e.textContent)"
                 ".find(t => /^Iteration \\d+ of/.test(t))")
    assert _chart_js(pg, step_text).startswith("Iteration 0 of")
    n_frames = _chart_js(pg, "gd._transitionData._frames.length")
    assert n_frames > 5
    fills = ("[...gd.querySelectorAll('.scatterlayer .trace:first-child path.point')]"
             ".slice(0, 300).map(e => e.style.fill).join('|')")
    colours0 = _chart_js(pg, fills)
    assert colours0, "the vectors are drawn as SVG points"
    pg.locator(".js-plotly-plot .updatemenu-button").first.click()  # ▶ Play
    pg.wait_for_timeout(2500)
    shown = _chart_js(pg, step_text)
    it = int(re.search(r"Iteration (\d+)", shown).group(1))
    assert it > 0, shown
    # and the drawn vectors took that step's colours (SVG points restyled in place)
    assert _chart_js(pg, fills) != colours0
    pg.locator(".js-plotly-plot .updatemenu-button").nth(1).click()  # pause
    _shot(pg, "train")

    # 3. cluster sizes: A (random) beside B (k-means++)
    _goto(pg, server, "Cluster sizes")
    pg.wait_for_selector("text=Imbalance factor")
    assert pg.locator(".js-plotly-plot").count() >= 4
    _shot(pg, "sizes")

    # 4. search: click a point to make it the query
    _goto(pg, server, "Search")
    pg.wait_for_selector(".js-plotly-plot")
    query_line = pg.locator("[data-testid='stMarkdownContainer'] p", has_text="Query:").first
    before = query_line.inner_text()
    # the right-most vector in view that was not scanned: isolated enough to click alone
    # (the chart is zoomed on the query, so some vectors lie outside the axes)
    target = _chart_js(pg, """(() => {
        const t = gd._fullData[0]; const xs = Array.from(t.x), ys = Array.from(t.y);
        const fl = gd._fullLayout, [x0, x1] = fl.xaxis.range, [y0, y1] = fl.yaxis.range;
        const inView = j => xs[j] > x0 && xs[j] < x1 && ys[j] > y0 && ys[j] < y1;
        let i = -1; for (let j = 0; j < xs.length; j++) if (inView(j) && (i < 0 || xs[j] > xs[i])) i = j;
        const r = gd.getBoundingClientRect();
        return {id: Array.from(t.customdata)[i],
                px: r.left + fl.xaxis._offset + fl.xaxis.l2p(xs[i]),
                py: r.top + fl.yaxis._offset + fl.yaxis.l2p(ys[i])};
    })()""")
    pg.mouse.click(target["px"], target["py"])
    _idle(pg)
    _no_exception(pg)
    query_line = pg.locator("[data-testid='stMarkdownContainer'] p", has_text="Query:").first
    after = query_line.inner_text()
    assert after != before
    assert f"data vector {target['id']} " in after + " ", (after, target)
    assert pg.get_by_text("Candidates scanned").first.is_visible()
    _shot(pg, "search")

    # 5. recall against work, with the exercise still loaded
    _goto(pg, server, "Recall vs work")
    pg.wait_for_selector(".js-plotly-plot", timeout=180_000)
    assert pg.locator(".js-plotly-plot").count() == 2
    names = _chart_js(pg, "gd._fullData.map(t => t.name)")
    assert any("dense queries" in n for n in names), names
    _shot(pg, "recall")

    # 6. the guided exercise: reveal every answer
    _goto(pg, server, "The chapter's exercise")
    toggles = pg.locator("[data-testid='stMain'] [data-testid='stCheckbox'] input, "
                           "[data-testid='stMain'] [data-baseweb='checkbox'] input")
    for i in range(toggles.count()):
        toggles.nth(i).check(force=True)
        _idle(pg)
    _no_exception(pg)
    assert pg.get_by_text(re.compile("lists end up mostly dense")).first.is_visible()
    assert pg.get_by_text(re.compile("finding all of them takes nprobe")).first.is_visible()
    _shot(pg, "exercise")

    # 7. failure-mode lab: every tab renders
    _goto(pg, server, "Failure-mode lab")
    for tab in ("Unbalanced clusters", "Non-spherical clusters", "Empty clusters"):
        pg.get_by_role("tab", name=tab).click()
        pg.wait_for_timeout(500)
    _no_exception(pg)
    _shot(pg, "failures")

    # 8. IVF-PQ beside IVF-Flat on the same lists (two PQ indexes are trained here)
    _goto(pg, server, "IVF-PQ vs IVF-Flat")
    pg.wait_for_selector("text=IVF-PQ: bytes per vector", timeout=300_000)
    _idle(pg)
    _no_exception(pg)
    assert pg.locator(".js-plotly-plot").count() == 2
    names = _chart_js(pg, "gd._fullData.map(t => t.name)")
    assert any(n.startswith("IVF-PQ, residuals") for n in names), names
    assert pg.get_by_text(re.compile(r"\d+× smaller")).first.is_visible()
    _shot(pg, "pq")

    # 9. back on Search after pages with their own k slider: the slider shows the k in use
    _goto(pg, server, "Search")
    k = pg.locator("input[type='range'][aria-label='k (neighbours to return)']").first.input_value()
    assert k == "10", k


@pytest.mark.parametrize("size", screens.SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_reads_on_a_classroom_screen(server, browser, size):
    """A projector (1024x768) and a small laptop (1280x800), the chapter's exercise loaded, every
    page and tab, the exercise's answers revealed: no text cut with an ellipsis, no chart titles,
    legends or controls on top of each other or on the points, no serious or critical axe-core
    violation."""
    width, height = size
    pg = browser.new_page(viewport={"width": width, "height": height})
    shots = os.path.join(ROOT, "test-artifacts", f"screens-{width}")
    try:
        report = screens.survey(server, pg, shots=shots)
    finally:
        pg.close()
    if width == 1024 and os.environ.get("IVFLAB_SCREENSHOTS") == "docs":
        for name in report:
            shutil.copy(os.path.join(shots, f"{name}.png"),
                        os.path.join(ROOT, "docs", "screenshots", f"{name}.png"))
    bad = {view: lines for view, lines in report.items() if lines}
    assert not bad, f"at {width}x{height}:\n" + "\n".join(
        f"{view}:\n  " + "\n  ".join(lines) for view, lines in bad.items())


#: Presenter-view screenshots the README shows (taken at 1024x768 with IVFLAB_SCREENSHOTS=docs).
PRESENTER_SHOTS = ("train", "sizes", "search")


def test_presenter_view_reads_on_a_projector(server, browser):
    """present=1 in a link, every page and tab at 1024x768 with the chapter's exercise loaded
    (right after the survey above, on the same server, so its caches are warm): the sidebar
    folded away, and the same checks as the normal view: nothing cut, nothing overlapping, no
    serious axe-core violation."""
    pg = browser.new_page(viewport={"width": 1024, "height": 768})
    shots = os.path.join(ROOT, "test-artifacts", "screens-1024-present")
    try:
        report = screens.survey(server, pg, shots=shots, present=True)
    finally:
        pg.close()
    if os.environ.get("IVFLAB_SCREENSHOTS") == "docs":
        for name in PRESENTER_SHOTS:
            shutil.copy(os.path.join(shots, f"{name}.png"),
                        os.path.join(ROOT, "docs", "screenshots", f"presenter-{name}.png"))
    bad = {view: lines for view, lines in report.items() if lines}
    assert not bad, "presenter view at 1024x768:\n" + "\n".join(
        f"{view}:\n  " + "\n  ".join(lines) for view, lines in bad.items())


# --------------------------------------------------------------- history and links (#11)

def _agree(pg):
    """The URL, the sidebar and (on Search) the sliders and the chart name the same settings."""
    import urllib.parse

    query = urllib.parse.parse_qs(urllib.parse.urlparse(pg.url).query)
    side = pg.locator("[data-testid='stSidebar']").inner_text()
    shown = {"nprobe": re.search(r"nprobe = (\d+)", side).group(1),
             "topk": re.search(r"k = (\d+)", side).group(1)}
    assert {n: query.get(n, [d])[0] for n, d in (("nprobe", "1"), ("topk", "10"))} == shown, (pg.url, side)
    if "/search" in pg.url:
        values = {}
        for _ in range(20):  # a rerun the URL rewrite starts may still be drawing the sliders
            sliders = pg.get_by_role("slider")
            values = {sliders.nth(i).get_attribute("aria-label"): sliders.nth(i).input_value()
                      for i in range(sliders.count())}
            if ({"nprobe (lists to open)", "k (neighbours to return)"} <= set(values)
                    and pg.locator(".js-plotly-plot").count()):
                break
            _idle(pg)
        pg.wait_for_selector(".js-plotly-plot", timeout=60_000)
        assert values.get("nprobe (lists to open)") == shown["nprobe"], values
        assert values.get("k (neighbours to return)") == shown["topk"], values
        title = _chart_js(pg, "gd.layout.title.text")
        assert f"k = {shown['topk']}, nprobe = {shown['nprobe']} " in title, title
    return shown


def _live(pg, xpath_test):
    """Elements matching ``//xpath_test`` outside Streamlit's stale (fading, about to be
    replaced) elements: on a loaded machine a rerun's old slider can still be on the page."""
    return pg.locator(f"xpath=//{xpath_test}[not(ancestor::*[@data-stale='true'])]")


def _arrows(pg, slider_name, key, times):
    slider = _live(pg, f"input[@type='range' and @aria-label='{slider_name}']")
    slider = (slider if slider.count() else pg.get_by_role("slider", name=slider_name)).first
    slider.focus()
    for _ in range(times):
        slider.press(key)
        pg.wait_for_timeout(120)  # about a teacher's key repeat: several reruns overlap
    _idle(pg)
    _no_exception(pg)


def test_back_and_forward_keep_the_address_bar_and_the_page_in_agreement(server, browser):
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto(server)
    _idle(pg)
    start = pg.evaluate("history.length")
    _goto(pg, server, "Search")
    _arrows(pg, "nprobe (lists to open)", "ArrowRight", 4)
    first = _agree(pg)  # (a key pressed while a run starts may be dropped by the slider)
    assert first["nprobe"] != "1"
    # settings changed on a page replace its history entry: one entry per page visited
    assert pg.evaluate("history.length") == start + 1
    _goto(pg, server, "Recall vs work")
    _arrows(pg, "k (neighbours)", "ArrowLeft", 3)
    recall = _agree(pg)
    assert recall["nprobe"] == first["nprobe"] and recall["topk"] != "10"
    _goto(pg, server, "Search")
    _arrows(pg, "nprobe (lists to open)", "ArrowRight", 6)
    last = _agree(pg)
    assert int(last["nprobe"]) > int(first["nprobe"]) and last["topk"] == recall["topk"]
    assert pg.evaluate("history.length") == start + 3
    _shot(pg, "history_before_back")

    pg.go_back()  # each entry shows what it names: Recall as it was left
    _idle(pg)
    assert "/recall" in pg.url and _agree(pg) == recall
    for _ in range(2):  # quickly, without waiting for the app between them
        pg.go_back(wait_until="commit")
        pg.wait_for_timeout(60)
    _idle(pg)
    _no_exception(pg)
    assert pg.url.rstrip("/") == server and _agree(pg) == {"nprobe": "1", "topk": "10"}
    for _ in range(3):
        pg.go_forward(wait_until="commit")
        pg.wait_for_timeout(60)
    _idle(pg)
    _no_exception(pg)
    assert "/search" in pg.url and _agree(pg) == last
    _shot(pg, "history_after_forward")
    assert pg.evaluate("history.length") == start + 3, "no entry added or cut by Back/Forward"
    pg.close()


def test_bad_link_values_are_named_once_and_the_url_says_what_is_shown(server, browser):
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto(server + "/search?nprobe=-3&topk=abc&nlist=99999999&kind=..%2F..%2Fetc"
                     "&q=id%3A99999999999&colour=%3Cb%3Ebold%3C%2Fb%3E")
    _idle(pg)
    _no_exception(pg)
    notices = pg.locator("[data-testid='stAlert']", has_text="could not be used")
    assert notices.count() == 1
    text = notices.first.inner_text()
    for part in ("nprobe=-3", "topk=abc", "nlist=99999999", "kind=../../etc", "q=id:99999999999",
                 "colour is not a setting of this app: ignored"):
        assert part in text, (part, text)
    assert notices.first.locator("b").count() == 0, "text from the URL is not markup"
    assert pg.url.rstrip("/") == server + "/search", pg.url  # every value shown is a default
    assert _agree(pg) == {"nprobe": "1", "topk": "10"}
    _shot(pg, "bad_link")
    pg.close()


def test_an_upload_survives_a_reload_and_opens_for_others_only_when_shared(server, browser, tmp_path):
    import numpy as np

    path = tmp_path / "lesson.npy"
    np.save(path, np.random.default_rng(3).normal(size=(500, 6)).astype(np.float32))
    owner = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = owner.new_page()
    pg.goto(server)
    _idle(pg)
    pg.get_by_role("combobox", name="Dataset").click()
    pg.get_by_role("option", name="Your own vectors (upload)").click()
    _idle(pg)
    pg.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    _idle(pg)
    assert "lesson.npy" in pg.locator("[data-testid='stSidebar']").inner_text()
    link = pg.url
    assert "upload=" in link and "lesson" not in link and "/tmp" not in link
    pg.reload()
    _idle(pg)
    _no_exception(pg)
    assert "lesson.npy" in pg.locator("[data-testid='stSidebar']").inner_text(), "kept for its owner"
    _shot(pg, "upload_after_reload")

    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    other.goto(link)
    _idle(other)
    assert other.get_by_text(re.compile("did not share")).count() == 1
    assert "lesson.npy" not in other.locator("body").inner_text()

    pg.get_by_text("Share this dataset with anyone who has the link").click()
    _idle(pg)
    other.goto(link)
    _idle(other)
    _no_exception(other)
    assert "lesson.npy" in other.locator("[data-testid='stSidebar']").inner_text(), "shared: opens for others"
    other.context.close()
    owner.close()


# --------------------------------------------------------------- real embeddings (#12)

def test_a_word_typed_on_search_is_the_query_and_reads_on_a_projector(server, browser):
    """GloVe at 1024x768: type a word on Search, it becomes the query (in the URL too), the
    sidebar names the metric, hover shows words, and the page passes the screen survey."""
    pg = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        pg.goto(server + "/search?kind=glove&nlist=141&nprobe=4")
        _idle(pg)
        _no_exception(pg)
        assert "Metric: cosine (the data's own)" in pg.locator("[data-testid='stSidebar']").inner_text()
        box = pg.get_by_role("textbox", name="Type a word, then press Enter")
        box.fill("queen")
        box.press("Enter")
        _idle(pg)
        _no_exception(pg)
        assert "q=word%3Aqueen" in pg.url or "q=word:queen" in pg.url, pg.url
        query_line = pg.locator("[data-testid='stMarkdownContainer'] p", has_text="Query:").first
        assert "the word 'queen'" in query_line.inner_text()
        hover = _chart_js(pg, "gd._fullData[1].hovertemplate")
        assert "%{customdata[1]}" in hover, hover  # the word first, then the vector id
        path = os.path.join(ROOT, "test-artifacts", "search-word.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        screens.full_screenshot(pg, path)
        if os.environ.get("IVFLAB_SCREENSHOTS") == "docs":
            shutil.copy(path, os.path.join(ROOT, "docs", "screenshots", "search-word.png"))
        bad = screens.problems(pg)
        assert not bad, "\n".join(bad)
    finally:
        pg.close()
