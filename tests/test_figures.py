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
