"""The presenter view: present=1 in a link, larger charts, first sentences, the switch in reach."""

import json
import os

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from ui import figures, links
from ui.settings import SETTINGS
from ui.show import first_sentence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "app.py")
PAGES = ["pages/dataset.py", "pages/train.py", "pages/sizes.py", "pages/search.py",
         "pages/recall.py", "pages/exercise.py", "pages/failures.py", "pages/pq.py"]


# ------------------------------------------------------------------ the URL switch

@pytest.mark.parametrize("text, value", [("1", True), ("0", False), ("true", True), ("True", True),
                                         ("FALSE", False), ("false", False)])
def test_a_switch_reads_1_0_true_and_false(text, value):
    assert SETTINGS["present"].read(text) == (value, None)


@pytest.mark.parametrize("text", ["yes", "2", "", "on"])
def test_a_switch_refuses_other_words_and_says_what_it_takes(text):
    value, why = SETTINGS["present"].read(text)
    assert value is False and "1 or 0" in why


def test_links_write_a_switch_as_1():
    values = {name: s.default for name, s in SETTINGS.items()}
    assert links.url_params({**values, "present": True}, "search") == {"present": "1"}
    assert links.url_params({**values, "zoom": False}, "search") == {"zoom": "0"}
    assert links.view_url("sizes", {**values, "present": True}).endswith("/sizes?present=1")


# ------------------------------------------------------------------ first sentences

@pytest.mark.parametrize("text, first", [
    ("One. Two.", "One."),
    ("Lists hold vectors, e.g. the dense ball. Then more.", "Lists hold vectors, e.g. the dense ball."),
    ("That is, i.e. Random init, the chapter's. Next.", "That is, i.e. Random init, the chapter's."),
    ("Recall 1.0 means all found. Below 0.9 is poor.", "Recall 1.0 means all found."),
    ("Its size *is* its cost. Even lists.", "Its size *is* its cost."),
    ("Opens the **nprobe.** Nearest lists. **Click** a point.", "Opens the **nprobe.**"),
    ("Opens **three. Lists** then more. Next.", "Opens **three. Lists** then more."),
    ("Why? Because.", "Why?"),
    ("A single sentence without an end", "A single sentence without an end"),
    ("Ends at 90%. 10% remain.", "Ends at 90%."),
])
def test_first_sentence_splits_where_a_sentence_ends(text, first):
    got, rest = first_sentence(text)
    assert got == first
    assert (got + " " + rest).strip() == text


# ------------------------------------------------------------------ charts for a projector

def _toy_animation():
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines+markers", marker=dict(size=[4, 8]),
                   line=dict(width=2.5)),
        go.Scattergl(x=[0], y=[1], mode="markers",
                     marker=dict(size=np.array([11], dtype=np.int8), line=dict(width=2))),
        go.Scatter(x=[0, 1], y=[1, 0], mode="lines"),  # plotly's own width (2)
    ])
    fig.update_layout(title=dict(text="t", font=dict(size=15)), margin=dict(t=60, b=10),
                      sliders=[dict(pad=dict(l=170), steps=[dict(label="0", method="animate",
                                                                 args=[["0"]])])])
    fig.add_annotation(text="a", x=0, y=0, font=dict(size=12))
    fig.add_vline(x=0.5)
    fig.frames = [go.Frame(name="0", data=[go.Scattergl(marker=dict(size=np.array([3, 5]), line=dict(width=1)))],
                           traces=[1])]
    return fig


def test_for_projector_enlarges_text_markers_and_lines_everywhere():
    fig = _toy_animation()
    before = json.loads(fig.to_json())
    big = figures.for_projector(fig)
    assert json.loads(fig.to_json()) == before, "the figure handed in is left as it was"
    f, m, w = figures.PROJECTOR["font"], figures.PROJECTOR["marker"], figures.PROJECTOR["line"]
    o = figures.PROJECTOR["outline"]
    assert big.layout.title.font.size == pytest.approx(15 * f)
    assert big.layout.font.size == pytest.approx(12 * f)  # text that named no size
    assert big.layout.annotations[0].font.size == pytest.approx(12 * f)
    assert list(big.data[0].marker.size) == pytest.approx([4 * m, 8 * m])
    assert big.data[0].line.width == pytest.approx(2.5 * w)
    assert np.asarray(big.data[1].marker.size, float) == pytest.approx([11 * m])
    assert big.data[1].marker.line.width == pytest.approx(2 * o)
    assert big.data[2].line.width == pytest.approx(2 * w)
    assert big.layout.shapes[0].line.width == pytest.approx(2 * w)
    assert np.asarray(big.frames[0].data[0].marker.size, float) == pytest.approx([3 * m, 5 * m])
    assert big.frames[0].data[0].marker.line.width == pytest.approx(1 * o)
    assert big.layout.margin.t == pytest.approx(60 * f) and big.layout.sliders[0].pad.l == pytest.approx(170 * f)
    # the plot area keeps its height: the figure grows by what the margins grew
    assert big.layout.height == pytest.approx(450 + (60 + 10) * (f - 1))
    # sizes the chart theme would pick are named, and grown: ticks, axis titles, the legend
    assert big.layout.xaxis.tickfont.size == pytest.approx(12 * f)
    assert big.layout.yaxis.title.font.size == pytest.approx(14 * f)
    assert big.layout.legend.font.size == pytest.approx(12 * f)
    assert list(big.data[0].x) == [0, 1], "positions are not scaled"


def test_for_projector_scales_the_training_animation_frames():
    import ivfcore

    ds = ivfcore.make_dataset("blobs", seed=0, n=300, d=4, centers=3)
    km = ivfcore.train_kmeans(ds.x, 4, init="random", max_iter=5, seed=0)
    proj = ivfcore.fit_projection(ds.x, "pca", sample_size=300, seed=0)
    paths = proj.transform(np.vstack([s.centroids for s in km.history])).reshape(len(km.history), 4, 2)
    fig = figures.training_animation(proj.points, proj.sample_ids, km.history, paths, "toy")
    big = figures.for_projector(fig)
    assert len(big.frames) == len(fig.frames) > 1
    # the centroids' ◆ and the ✕ / ★ marks are sized on the figure's traces (frames move them)
    for i in (2, 7, 8):
        assert big.data[i].marker.size == pytest.approx(fig.data[i].marker.size * figures.PROJECTOR["marker"])
    for small, large in zip(fig.frames, big.frames):
        assert large.layout.title.text == small.layout.title.text
        assert list(large.traces) == list(small.traces)
        for a, b in zip(small.data, large.data):  # positions and colours are not scaled
            assert a.to_plotly_json() == b.to_plotly_json()


# ------------------------------------------------------------------ every page, present=1

def _specs(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _largest(spec, part, key):
    """The largest ``key`` of any ``part`` dict (marker, font...) in a chart's JSON."""
    found = []

    def walk(node, parent=None):
        if isinstance(node, dict):
            if parent == part and isinstance(node.get(key), (int, float)):
                found.append(node[key])
            if parent == part and isinstance(node.get(key), list):
                found.extend(v for v in node[key] if isinstance(v, (int, float)))
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, parent)

    walk(spec)
    return max(found, default=0)


@pytest.mark.parametrize("page", PAGES)
def test_present_1_enlarges_every_chart_and_shortens_the_explanation(page):
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["max_iter"] = "8"  # quick training; the view is what is tested
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    normal = _specs(at)
    intro = at.main.markdown[0].value

    at2 = AppTest.from_file(APP, default_timeout=300)
    at2.query_params["max_iter"] = "8"
    at2.query_params["present"] = "1"  # the same page opened from a link with present=1
    at2.run()
    at2.switch_page(page).run()
    assert not at2.exception, [e.value for e in at2.exception]
    assert at2.session_state["_settings"]["present"] is True
    big = _specs(at2)
    assert len(big) == len(normal) > 0
    for a, b in zip(normal, big):
        assert _largest(b, "font", "size") > _largest(a, "font", "size")
        assert _largest(b, "marker", "size") > _largest(a, "marker", "size") or not _largest(a, "marker", "size")
    # the explanation: its first sentence on screen, the rest one click away
    first, rest = first_sentence(intro)
    assert rest and at2.main.markdown[0].value == first
    more = [e for e in at2.main.expander if e.label == "More"]
    assert more and more[0].markdown[0].value == rest
    # the switch sits above the page (the sidebar is folded away) and turns the view off
    switch = [t for t in at2.main.toggle if t.label == "Presenter view"]
    assert switch and switch[0].value is True and not at2.sidebar.toggle
    switch[0].set_value(False).run()
    assert not at2.exception
    assert at2.session_state["_settings"]["present"] is False
    assert [t.label for t in at2.sidebar.toggle] == ["Presenter view"]
    assert "present" not in at2.query_params
    assert _largest(_specs(at2)[0], "font", "size") == _largest(normal[0], "font", "size")
