"""ui.figures: layout details a learner would see as overlapping or unreadable labels."""

import numpy as np

from ui import figures


def test_side_by_side_residual_panels_have_one_y_title():
    rng = np.random.default_rng(0)
    panels = [(name, rng.normal(size=(20, 2)), rng.normal(size=(20, 2)), rng.normal(size=(3, 2)))
              for name in ("IVF-PQ on vectors", "IVF-PQ on residuals")]
    fig = figures.residual_picture(panels, "t")
    assert fig.layout.yaxis.title.text == "projection axis 2"
    assert fig.layout.yaxis2.title.text is None  # it overlapped the first panel
    assert fig.layout.xaxis.title.text == fig.layout.xaxis2.title.text == "projection axis 1"


def test_log_ticks_are_round_and_inside_the_axis():
    assert figures._log_ticks(340, 4200) == [500, 1000, 2000, 5000]
    assert figures._log_ticks(300, 99_800) == [1000, 10_000, 100_000]  # 2+ decades: powers only
    assert figures._log_ticks(1, 16) == [1, 2, 5, 10]
    assert figures._log_ticks(5, 7) is None  # too narrow for two round ticks: plotly's own


def test_search_view_numbers_only_the_first_probed_lists():
    import ivfcore

    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 4)).astype(np.float32)
    km = ivfcore.train_kmeans(x, 20, seed=0)
    index = ivfcore.build_ivf(x, km.centroids)
    tr = index.trace(x[0], k=5, nprobe=15)
    xy = x[:, :2]
    empty = (np.empty((0, 2), np.float32), np.empty(0, int))
    layers = {"found": empty, "wrong": empty, "missed": empty, "query": xy[:1]}
    fig = figures.search_view(xy, np.arange(600), index.labels, km.centroids[:, :2], tr, layers, "t")
    probed = next(t for t in fig.data if t.name == "probed centroid (rank)")
    assert list(probed.text) == [str(r) for r in range(1, figures.RANK_LABELS + 1)] + [""] * 5
    np.testing.assert_array_equal(np.asarray(probed.customdata)[:, 0], tr.probed)
    np.testing.assert_array_equal(np.asarray(probed.customdata)[:, 1], np.arange(1, 16))


def test_list_sizes_on_a_log_axis_have_round_ticks_and_labels_on_their_lines():
    sizes = np.r_[np.full(100, 3), [500, 2000, 40_000]]
    fig = figures.sorted_sizes(sizes, "t", log=True)
    assert list(fig.layout.yaxis.tickvals) == [10, 100, 1000, 10_000]
    even = sizes.sum() / len(sizes)
    (label,) = fig.layout.annotations
    assert label.text == f"even share {even:,.0f}" and label.y == np.log10(even)  # log10 units
    assert figures.sorted_sizes(sizes, "t").layout.annotations[0].y == even
    assert list(figures.size_histogram(sizes, "t", log=True).layout.yaxis.tickvals) == [1, 10, 100]


def test_many_lists_are_summed_per_bar_in_the_group_chart():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 5, size=(4096, 3))
    fig = figures.group_occupancy(counts, ["a", "b", "c"], "t")
    assert all(len(t.y) <= figures.MAX_BARS for t in fig.data)
    for g, t in enumerate(fig.data):  # nothing lost: every group's total is still there
        assert int(np.sum(t.y)) == int(counts[:, g].sum())
    assert "16 per bar" in fig.layout.xaxis.title.text
    small = figures.group_occupancy(counts[:20], ["a", "b", "c"], "t")
    assert len(small.data[0].y) == 20 and small.data[0].customdata[0].startswith("list ")


def test_search_view_zooms_on_what_the_query_touched():
    import ivfcore

    # a dense ball of 900 vectors beside 100 spread far out: the exercise's picture in small
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(scale=0.1, size=(900, 2)),
              rng.uniform(-50, 50, size=(100, 2))].astype(np.float32)
    km = ivfcore.train_kmeans(x, 10, seed=0)
    index = ivfcore.build_ivf(x, km.centroids)
    tr = index.trace(x[0], k=5, nprobe=1)
    empty = (np.empty((0, 2), np.float32), np.empty(0, int))
    found = x[np.intersect1d(tr.result_ids, tr.true_ids)]
    layers = {"found": (found, np.zeros(len(found), int)), "wrong": empty, "missed": empty,
              "query": x[:1]}
    args = (x, np.arange(1000), index.labels, km.centroids, tr, layers, "t")
    full, zoomed = figures.search_view(*args), figures.search_view(*args, zoom=True)
    width = lambda fig: np.diff(fig.layout.xaxis.range)[0]
    assert width(zoomed) < width(full) / 5
    scanned = x[np.isin(index.labels, tr.probed)]
    lo, hi = zoomed.layout.xaxis.range
    for pts in (scanned, x[:1], km.centroids[tr.probed]):  # everything touched stays in view
        assert lo <= pts[:, 0].min() and pts[:, 0].max() <= hi


def _hue(colour):
    import colorsys

    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


def _hue_gap(a, b):
    d = abs(a - b) % 360
    return min(d, 360 - d)


def test_list_colours_cannot_be_read_as_found_or_missed_marks():
    # Colour-blind-safe: Okabe-Ito first, then no hue near the green "found" or red "missed".
    assert figures.palette(2) == ["#0072b2", "#e69f00"]  # the exercise page names blue and orange
    for k in (2, 5, 40, 300):
        cols = figures.palette(k)
        assert len(cols) == k and len(set(cols[:60])) == min(k, 60)
        for c in cols:
            assert _hue_gap(_hue(c), _hue(figures.FOUND)) > 30, c
            assert _hue_gap(_hue(c), _hue(figures.MISSED)) > 18, c


def test_search_marks_differ_in_shape_and_the_key_names_each_shape():
    import ivfcore

    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 4)).astype(np.float32)
    km = ivfcore.train_kmeans(x, 8, seed=0)
    index = ivfcore.build_ivf(x, km.centroids)
    tr = index.trace(x[0], k=5, nprobe=2)
    xy = x[:, :2]
    one = (xy[:1], np.array([1]))
    layers = {"found": one, "wrong": one, "missed": one, "query": xy[:1]}
    fig = figures.search_view(xy, np.arange(400), index.labels, km.centroids[:, :2], tr, layers, "t")
    symbols = {t.name.split(" (")[0]: t.marker.symbol for t in fig.data}
    marks = [symbols[n] for n in ("true neighbour found", "returned, not a true neighbour",
                                  "true neighbour missed", "probed centroid", "query")]
    assert len(set(marks)) == len(marks), symbols  # none is told apart by colour alone
    key = figures.search_key({"found": 3, "wrong": 1, "missed": 2}, 8)
    for name, _, _, _, glyph, shape in figures.MARKS.values():
        assert glyph in key and f"{name}" in key and shape in key
    assert "true neighbour missed (2), cross" in key


def _decoded(value):
    """A frame's array as numpy: plotly.js's typed-array spec (base64) or a plain list."""
    import base64

    if isinstance(value, dict):
        shape = [int(n) for n in value.get("shape", "-1").split(",")]
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape)
    return np.asarray(value)


def test_training_frames_hold_each_steps_numbers_and_no_lists_of_names():
    """Every frame recolours the vectors with that step's labels, moves the centroids, marks
    the empty lists there and names the step in the strip above the panels; colours and
    symbols are set once on the traces (plotly checks a list of names element by element:
    that made the animation take seconds)."""
    import ivfcore

    ds = ivfcore.make_dataset("duplicates", seed=0, n=600, d=4, duplicate_fraction=0.6, n_distinct=3)
    km = ivfcore.train_kmeans(ds.x, 8, init="random", max_iter=6, empty="keep", seed=0)
    assert any(s.n_empty for s in km.history), "the toy case must have an empty list"
    ids = np.arange(0, 600, 3)
    points = ds.x[ids, :2].astype(np.float32)
    paths = np.stack([s.centroids[:, :2] for s in km.history]).astype(np.float32)
    fig = figures.training_animation(points, ids, km.history, paths, "toy")
    spec = fig.to_dict()
    assert len(spec["frames"]) == len(km.history)
    for step, frame in zip(km.history, spec["frames"]):
        assert frame["traces"] == list(figures.ANIMATED_TRACES)
        data = dict(zip(frame["traces"], frame["data"]))
        assert np.array_equal(_decoded(data[0]["marker"]["color"]), step.labels[ids])
        assert np.allclose(_decoded(data[2]["x"]), paths[step.iteration, :, 0])
        assert np.array_equal(_decoded(data[2]["customdata"])[:, 1], step.sizes)
        assert np.array_equal(_decoded(data[5]["y"]), np.sort(step.sizes)[::-1])
        assert np.array_equal(np.asarray(step.sizes)[_decoded(data[5]["customdata"])], np.sort(step.sizes)[::-1])
        empty = np.flatnonzero(step.sizes == 0)
        marked = _decoded(data[7]["customdata"])
        assert sorted(marked[marked >= 0].tolist()) == empty.tolist()  # -1: none (a NaN point)
        x = _decoded(data[7]["x"])
        assert np.allclose(x[marked >= 0], paths[step.iteration, empty, 0])
        assert np.isnan(x[marked < 0]).all()
        # the step is named by the strip's text trace (a frame without redraw leaves the title)
        (text,) = data[9]["text"]
        assert text.startswith(f"Iteration {step.iteration} of {len(km.history) - 1} · inertia ")
        assert ("empty list" in text) == bool(step.n_empty)
        assert "layout" not in frame

        def names(node):
            if isinstance(node, dict):
                return any(names(v) for k, v in node.items() if k != "text")
            if isinstance(node, list):
                return any(isinstance(v, str) for v in node) or any(names(v) for v in node)
            return False

        assert not names(frame["data"]), frame["data"]
    # the ✕ and ★ keep their legend keys when no list is marked (a trace with no point loses it)
    assert fig.data[7].name == "empty list" and len(fig.data[7].x) >= 1
    assert fig.data[8].name == "repaired this step" and len(fig.data[8].x) >= 1
    # one colour per list, the same on the vectors and the centroids
    assert fig.data[2].marker.colorscale == fig.data[0].marker.colorscale


def _toy_training(n=600, k=8):
    import ivfcore

    ds = ivfcore.make_dataset("blobs", seed=0, n=n, d=4, centers=3)
    km = ivfcore.train_kmeans(ds.x, k, init="random", max_iter=6, seed=0)
    ids = np.arange(n)
    points = ds.x[:, :2].astype(np.float32)
    paths = np.stack([s.centroids[:, :2] for s in km.history]).astype(np.float32)
    return points, ids, km, paths


def test_training_animation_plays_without_redraw_on_svg_traces():
    """Frames update SVG traces in place: no WebGL trace (a WebGL trace changes only on a
    full redraw, 0.4-1.3 s a frame in a software renderer), and no frame asks for a redraw."""
    points, ids, km, paths = _toy_training()
    fig = figures.training_animation(points, ids, km.history, paths, "toy")
    assert {t.type for t in fig.data} <= {"scatter", "bar"}
    assert all(t.get("type") in ("scatter", "bar") for f in fig.to_dict()["frames"] for t in f["data"])
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.args[1]["frame"] == {"duration": figures.PLAY_MS, "redraw": False}
    assert figures.PLAY_MS < 100  # the browser waits a display refresh more: 100 ms played ~9/s
    for step in fig.layout.sliders[0].steps:
        assert step.args[1]["frame"]["redraw"] is False
    # the bars are one colour: a number on a colourscale makes plotly.js warn per bar, per frame
    assert isinstance(fig.data[5].marker.color, str)
    # the heading names the run; the strip names the step shown
    assert fig.layout.title.text == f"toy — Iteration 0 to {len(km.history) - 1}"
    assert fig.data[9].text[0].startswith(f"Iteration 0 of {len(km.history) - 1} · inertia ")


def test_training_animation_draws_an_even_sample_of_the_displayed_vectors():
    n = 2 * figures.ANIMATED_POINTS + 1
    points, ids, km, paths = _toy_training(n=n)
    fig = figures.training_animation(points, ids, km.history, paths, "toy")
    drawn = np.asarray(fig.data[0].customdata)
    assert len(drawn) == figures.ANIMATED_POINTS
    assert len(np.unique(drawn)) == len(drawn) and np.all(np.diff(drawn) > 0)
    # spread over the whole sample (the ids are sorted: the first 1,000 would be one part)
    assert drawn[0] == 0 and drawn[-1] >= n - 3
    np.testing.assert_array_equal(np.asarray(fig.data[0].x, dtype=np.float32), points[drawn, 0])
    for step, frame in zip(km.history, fig.to_dict()["frames"]):
        assert np.array_equal(_decoded(frame["data"][0]["marker"]["color"]), step.labels[drawn])
    # the numbers still count every vector
    assert _decoded(fig.to_dict()["frames"][-1]["data"][4]["y"]).sum() == n
    # fewer displayed vectors than that: all drawn
    np.testing.assert_array_equal(figures.animated_sample(300), np.arange(300))


def test_first_training_frame_says_the_other_iterations_are_coming():
    points, ids, km, paths = _toy_training()
    fig = figures.training_animation(points, ids, km.history[:1], paths[:1], "toy", playing_total=7)
    assert "Iteration 0 of 6" in fig.layout.title.text  # what bench.app_timing waits for
    assert not fig.frames and not fig.layout.updatemenus
    assert fig.data[9].text[0].startswith("Iteration 0 of 6")


def test_step_strip_sits_above_the_panels_and_keeps_the_gap_between_the_right_ones():
    """The strip takes the top of the figure; the right panels keep the 0.2 gap that holds the
    upper one's x title and the lower one's heading (in presenter view they overlapped)."""
    import pytest

    points, ids, km, paths = _toy_training()
    fig = figures.training_animation(points, ids, km.history, paths, "toy")
    lay = fig.layout
    assert lay.yaxis2.domain[0] - lay.yaxis4.domain[1] == pytest.approx(0.2)
    panels_top = max(lay.yaxis.domain[1], lay.yaxis2.domain[1])
    assert lay.yaxis10.domain[0] > panels_top
    assert sorted(a.y for a in lay.annotations) == pytest.approx([lay.yaxis4.domain[1], panels_top, panels_top])
