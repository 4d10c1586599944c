"""The Choose page's grid under the dataset's metric: its cached trainings, exact neighbours and
curves are those of the engine under that metric (GloVe, cosine), and the page reads the metric
from one place (ui.practice.current_metric)."""

import numpy as np
import pytest

import ivfcore
from ui import cache, practice

SPEC = ("test-choose-metric", "glove", 3000)


@pytest.fixture(scope="module")
def glove():
    return ivfcore.make_dataset("glove", n=3000)


@pytest.mark.parametrize("query, used", [
    ({"kind": "glove", "glove.n": "1000"}, "cosine"),  # auto: the data's own metric
    ({"kind": "glove", "glove.n": "1000", "metric": "l2"}, "l2"),  # the learner's choice
    ({}, "l2"),  # generated data has none of its own
])
def test_the_page_uses_the_metric_setting(query, used, monkeypatch):
    from pages_open import app

    seen = []
    real = practice.queries
    monkeypatch.setattr(practice, "queries", lambda ds, n_q, k, metric: seen.append(metric) or real(ds, n_q, k, metric))
    app({**query, "ch_q": "50", "ch_iter": "1"}, page="pages/choose.py", timeout=300)
    assert seen == [used]


def test_inertia_reads_without_exponents():
    assert practice.inertia_text(12837212.4) == "12,837,212"
    assert practice.inertia_text(65147.83) == "65,147.8"
    assert practice.inertia_text(0.0123456789) == "0.0123457"


def _grid(ds, metric, nlist=24, n_queries=40, k=10):
    gkey = cache.GridKey(nlist, "random", "reinit", 5, 1e-4, 0, 39, metric)
    q = cache.choose_queries(SPEC, n_queries, k, metric, ds.x, ds.groups)
    tr = cache.grid_training(SPEC, gkey, ds.x)
    point = cache.grid_point(SPEC, gkey, n_queries, k, (2,), ds.x, q, tr.km.centroids)
    return q, tr, point


@pytest.mark.parametrize("metric", ["cosine", "ip"])
def test_grid_curve_equals_the_engines_under_the_metric(glove, metric):
    q, tr, point = _grid(glove, metric)
    km = ivfcore.train_kmeans(glove.x, 24, init="random", empty="reinit", max_iter=5, tol=1e-4,
                              seed=0, max_points_per_centroid=39, metric=metric)
    np.testing.assert_array_equal(tr.km.centroids, km.centroids)
    assert tr.km.metric == metric and tr.km.n_train == 39 * 24
    # the exact neighbours by the metric, among the kept vectors
    _, true_ids = ivfcore.brute_force_knn(glove.x[q.keep], q.xq, 10, metric=metric)
    np.testing.assert_array_equal(q.true_ids, true_ids)
    index = ivfcore.build_ivf(glove.x[q.keep], km.centroids, metric=metric)
    sweep = ivfcore.recall_sweep(index, q.xq, k=10, nprobes=point.curve.nprobes).weighted(q.weights)
    np.testing.assert_allclose(point.curve.recall, sweep.recall, rtol=1e-12)
    np.testing.assert_allclose(point.curve.work, sweep.distance_computations, rtol=1e-12)
    assert point.curve.recall[-1] == pytest.approx(1.0)


def test_the_metric_changes_the_answer(glove):
    # the same settings under l2 give other neighbours and another curve: the key holds the metric
    q_cos, _, p_cos = _grid(glove, "cosine")
    q_l2, _, p_l2 = _grid(glove, "l2")
    assert (q_cos.true_ids != q_l2.true_ids).any()
    assert not np.array_equal(p_cos.curve.recall, p_l2.curve.recall)
