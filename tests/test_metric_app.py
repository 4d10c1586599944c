"""The metric and real embeddings in the app: settings, word queries, caches per metric, the lesson."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ivfcore
from tests.test_app import APP, _metrics, _set, _visit
from ui import figures, metric_lesson, query, results
from ui.settings import SETTINGS, parse_vector, query_problem

TRAIN = dict(init="random", empty="reinit", max_iter=50, tol=1e-4, seed=0)


def _app(params):
    at = AppTest.from_file(APP, default_timeout=400)
    for k, v in params.items():
        at.query_params[k] = str(v)
    at.run()
    assert not at.exception, at.exception
    return at


def _returned(at):
    return next(d.value for d in at.dataframe if "true rank" in d.value.columns
                and "rank" in d.value.columns)


def test_queries_the_url_may_hold():
    for ok in ("id:3", "new:7", "word:king", "word:<img src=x>", "vec:1,2.5,-3e-2", "vec:1 2 3"):
        assert query_problem(ok) is None, ok
    for bad in ("word:", "vec:", "vec:1,x", "vec:1,nan", "king", "id:-1", "word:a\nb"):
        assert query_problem(bad), bad
    assert parse_vector("[1, 2;3 4e1]") == [1.0, 2.0, 3.0, 40.0]
    assert SETTINGS["metric"].parse("ip") == "ip" and SETTINGS["metric"].parse("manhattan") == "auto"


def test_glove_word_query_finds_royalty_by_cosine_and_says_the_metric():
    at = _visit(_app({"kind": "glove", "glove.n": 20000, "metric": "cosine", "q": "word:king"}),
                "pages/search.py")
    words = _returned(at)["word"].tolist()
    assert "queen" in words or "prince" in words, words
    assert "king" not in words  # the query word is not its own answer
    assert at.query_params["metric"] == "cosine" and at.query_params["q"] == "word:king"
    side = " ".join(m.value for m in at.sidebar.markdown)
    assert "**Metric:** cosine" in side
    assert "cosine similarity" in _returned(at).columns
    # the numbers are the engine's: cosine k-means, cosine index, the word's own row left out
    ds = ivfcore.make_dataset("glove", n=20000)
    qid = int(np.flatnonzero(ds.item_names == "king")[0])
    km = ivfcore.train_kmeans(ds.x, 16, metric="cosine", **TRAIN)
    tr = ivfcore.build_ivf(ds.x, km.centroids, metric="cosine").trace(ds.x[qid], k=10, nprobe=1,
                                                                     exclude_id=qid)
    table = _returned(at)
    assert table["vector id"].tolist() == tr.result_ids.tolist()
    assert np.allclose(table["cosine similarity"], np.round(tr.result_distances.astype(float), 4))
    assert words == [ds.item_names[i] for i in tr.result_ids]
    # typing a word in the box makes it the query; an unknown word changes nothing and says so
    at.text_input(key="word_box").input("Queen").run()
    assert at.session_state["_settings"]["q"] == "word:queen"
    at.text_input(key="word_box").input("zzqqxx-not-a-word").run()
    assert at.session_state["_settings"]["q"] == "word:queen"
    assert any("is not one of the 20,000 words" in w.value for w in at.warning)


def test_an_unknown_word_in_a_link_is_named_and_replaced():
    at = _visit(_app({"kind": "glove", "glove.n": 1000, "q": "word:notaword12345"}), "pages/search.py")
    assert at.session_state["_settings"]["q"] == "id:0"
    assert any("is not a word of this data" in w.value for w in at.warning)
    at = _visit(_app({"q": "word:king"}), "pages/search.py")  # blobs have no words
    assert at.session_state["_settings"]["q"] == "id:0"
    assert any("these vectors have no words" in w.value for w in at.warning)


def test_caches_keep_the_metrics_apart():
    """The same data at l2 and then cosine in one session: each shows its own engine's numbers."""
    at = _visit(_app({"metric": "cosine", "nprobe": 2, "q": "id:17"}), "pages/search.py")
    ds = ivfcore.make_dataset("blobs", seed=0, n=5000, d=16, centers=8, spread=1.0)
    for metric in ("cosine", "l2", "ip", "cosine"):
        _set(at, metric=metric)
        at.run()
        assert not at.exception
        km = ivfcore.train_kmeans(ds.x, 16, metric=metric, **TRAIN)
        tr = ivfcore.build_ivf(ds.x, km.centroids, metric=metric).trace(ds.x[17], k=10, nprobe=2,
                                                                        exclude_id=17)
        table = _returned(at)
        assert table["vector id"].tolist() == tr.result_ids.tolist(), metric
        assert results.value_label(metric) in table.columns
        assert _metrics(at)["Candidates scanned"] == f"{tr.n_candidates:,}"
    # blobs have no metric of their own: "l2" is the default and stays out of the link
    _set(at, metric="auto")
    at.run()
    assert "metric" not in at.query_params
    assert "**Metric:** L2 (Euclidean) (the data's own)" in " ".join(m.value for m in at.sidebar.markdown)


def test_a_pasted_vector_is_the_query():
    ds = ivfcore.make_dataset("blobs", seed=0, n=5000, d=16, centers=8, spread=1.0)
    at = _visit(_app({"nprobe": 3}), "pages/search.py")
    at.text_input(key="vector_box").input(" ".join(f"{v:.7g}" for v in ds.x[42])).run()
    q = at.session_state["_settings"]["q"]
    assert q.startswith("vec:") and np.allclose(parse_vector(q[4:]), ds.x[42])
    assert any("the vector you pasted" in m.value for m in at.markdown)
    km = ivfcore.train_kmeans(ds.x, 16, **TRAIN)
    tr = ivfcore.build_ivf(ds.x, km.centroids).trace(ds.x[42], k=10, nprobe=3)
    assert _returned(at)["vector id"].tolist() == tr.result_ids.tolist()  # 42 itself first
    at.text_input(key="vector_box").input("1, 2, 3").run()
    assert at.session_state["_settings"]["q"] == q
    assert any("has 3 numbers; the vectors here have d = 16" in w.value for w in at.warning)


def test_words_on_hover_are_escaped_for_plotly():
    evil = "<img src=x onerror=alert(1)>&"
    names = np.array(["a", evil, "c"], dtype=object)
    fig = figures.dataset_view(np.zeros((3, 2), np.float32), np.arange(3), np.zeros(3, int),
                               ["all"], "pca", "t", names=names)
    text = json.dumps(fig.to_plotly_json(), default=str)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;&amp;" in text
    assert fig.data[0].customdata[1][0] == 1  # the id stays first, for click-to-query
    assert query.clicked_id({"points": [{"customdata": [1, "&lt;img"], "curve_number": 0}]}) == 1


def test_the_results_tables_follow_the_trace():
    ds = ivfcore.make_dataset("glove", n=2000)
    km = ivfcore.train_kmeans(ds.x, 20, metric="ip", **TRAIN)
    index = ivfcore.build_ivf(ds.x, km.centroids, metric="ip")
    tr = index.trace(ds.x[5], k=10, nprobe=1, exclude_id=5)
    got = results.returned(tr, index.labels, ds.item_names)
    assert list(got["word"]) == [ds.item_names[i] for i in tr.result_ids]
    assert np.all(np.diff(got["inner product"]) <= 0)  # largest first
    for vid, rank in zip(got["vector id"], got["true rank"]):
        where = np.flatnonzero(tr.true_ids == vid)
        assert rank == ("–" if len(where) == 0 else str(where[0] + 1))
    miss = results.missed(tr, ds.item_names)
    assert list(miss["vector id"]) == tr.missed_ids.tolist()
    assert (miss["nprobe needed"] > 1).all()


def test_metric_lesson_numbers_against_brute_force():
    from ui import cache

    ds = ivfcore.make_dataset("glove", n=3000)
    spec, nlist, k, nq = ("glove", 0, (("n", 3000),)), 20, 10, 25
    held, full = {}, {}
    for m in metric_lesson.LESSON_METRICS:
        km = ivfcore.train_kmeans(ds.x, nlist, metric=m, **TRAIN)
        tkey = (nlist, "random", "reinit", 50, 1e-4, 0, m)
        held[m] = cache.held_out(spec, tkey, nq, k, ds.x, ds.groups, km.centroids)
        full[m] = ivfcore.build_ivf(ds.x, km.centroids, metric=m)
    cmp = metric_lesson.compare(held, full, ds.x, "cosine")
    ref = held["cosine"]
    w = ref.sweep.weights
    # exact search by each metric against cosine's exact neighbours: the ceiling
    for m in ("l2", "ip"):
        _, ids = ivfcore.brute_force_knn(held[m].index.xb, ref.queries, k, metric=m)
        per = [np.isin(t, f).mean() for f, t in zip(ids, ref.true_ids)]
        assert cmp.overlap[m] == pytest.approx(float(np.dot(per, w)))
        assert cmp.sweeps[m].recall[-1] == pytest.approx(cmp.overlap[m])  # nprobe = nlist
    assert cmp.overlap["cosine"] == pytest.approx(1.0) and cmp.sweeps["cosine"].recall[-1] == pytest.approx(1.0)
    for m in metric_lesson.LESSON_METRICS:
        assert cmp.list_sizes[m].sum() == ds.n
        assert np.array_equal(cmp.list_sizes[m], np.bincount(full[m].labels, minlength=nlist))
    near = metric_lesson.neighbour_words(ds.x, ds.item_names, 5, 4)
    _, ids = ivfcore.brute_force_knn(ds.x, ds.x[5], 5, metric="ip")
    assert near["ip"] == [ds.item_names[i] for i in ids[0] if i != 5][:4]


def test_recall_page_lesson_opens_glove_and_shows_each_index_against_cosine():
    at = _visit(_app({"rq": 25}), "pages/recall.py")
    assert not any("ceiling (exact search)" in d.value.columns for d in at.dataframe)
    next(b for b in at.button if b.label.startswith("Open GloVe")).click().run()
    assert not at.exception
    s = at.session_state["_settings"]
    assert (s["kind"], s["glove.n"], s["nlist"], s["q"]) == ("glove", 20000, 141, "word:king")
    table = next(d.value for d in at.dataframe if "ceiling (exact search)" in d.value.columns)
    assert table["index"].tolist() == ["L2 index (raw vectors)", "inner-product index (raw vectors)",
                                       "cosine index (unit vectors)"]
    assert table["ceiling (exact search)"].tolist()[2] == 1.0
    assert (table["ceiling (exact search)"].iloc[:2] < 0.9).all()  # other metrics, other neighbours
    words = next(d.value for d in at.dataframe if "cosine" in d.value.columns)
    assert "queen" in words["cosine"].tolist()
    assert at.get("plotly_chart") and not at.error
