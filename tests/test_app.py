"""AppTest: every page runs, interactions change what is shown, numbers equal ivfcore's."""

import os

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ivfcore
from ui.cache import PQ_POINTS_PER_CODEWORD
from ui.settings import EXERCISE_PRESET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "app.py")
PAGES = ["pages/dataset.py", "pages/train.py", "pages/sizes.py", "pages/search.py",
         "pages/recall.py", "pages/exercise.py", "pages/failures.py", "pages/pq.py", "pages/choose.py"]


def _app(query=None):
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in (query or {}).items():
        at.query_params[k] = str(v)
    at.run()
    assert not at.exception, at.exception
    return at


def _set(at, **changes):
    s = dict(at.session_state["_settings"])
    s.update(changes)
    at.session_state["_settings"] = s


def _visit(at, page):
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _default_blobs():
    return ivfcore.make_dataset("blobs", seed=0, n=5000, d=16, centers=8, spread=1.0)


@pytest.fixture(scope="module")
def blobs_index():
    ds = _default_blobs()
    km = ivfcore.train_kmeans(ds.x, 16, init="random", empty="reinit", max_iter=50, tol=1e-4, seed=0)
    return ds, km, ivfcore.build_ivf(ds.x, km.centroids)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_at_defaults(page):
    at = _visit(_app(), page)
    assert at.title and at.markdown  # a heading and an explanation
    assert at.get("plotly_chart"), "each page draws at least one chart"
    assert not at.error


def test_every_page_runs_with_the_exercise_preset():
    at = _app()
    at.button[0].click().run()  # the preset button
    assert at.session_state["_settings"]["kind"] == "exercise"
    # the preset's data and 100 lists; fewer iterations (and, on the Choose page, one per nlist
    # and 50 queries, as in tests/test_choose_page.py) keep this fast
    _set(at, max_iter=6, ch_iter=1, ch_q=50)
    for page in PAGES:
        _visit(at, page)
        assert not at.error
    _visit(at, "pages/search.py")
    assert _metrics(at)["Centroids compared"] == "100"


def test_search_numbers_equal_ivfcore(blobs_index):
    ds, km, index = blobs_index
    at = _visit(_app(), "pages/search.py")
    for nprobe, q in ((1, 0), (3, 1234), (16, 4999)):
        _set(at, nprobe=nprobe, q=f"id:{q}")
        at.run()
        tr = index.trace(ds.x[q], k=10, nprobe=nprobe, exclude_id=q)  # not its own neighbour
        m = _metrics(at)
        assert m["Candidates scanned"] == f"{tr.n_candidates:,}"
        assert m["Distance computations"] == f"{tr.n_distance_computations:,}"
        assert m["Recall@10"] == f"{tr.recall:.0%}"
        assert m["Speed-up vs brute force"] == (f"{tr.speedup:,.1f}×" if tr.speedup >= 10
                                                else f"{tr.speedup:.3g}×")
        if nprobe == 16:  # every list opened: the centroids make it dearer than brute force
            assert tr.speedup < 1 and m["Speed-up vs brute force"] == "0.997×"
        # the chart's key (drawn as HTML under it) counts what the chart shows
        key = " ".join(h.proto.body for h in at.get("html"))
        found = int(tr.result_hits.sum())  # as near as the k-th true neighbour
        assert found >= len(set(tr.result_ids) & set(tr.true_ids))
        assert f"true neighbour found ({found})" in key
        assert f"true neighbour missed ({len(tr.missed_ids)})" in key
        assert f"returned, not a true neighbour ({len(tr.result_ids) - found})" in key


def test_changing_nprobe_widget_changes_the_work_shown(blobs_index):
    at = _visit(_app(), "pages/search.py")
    before = _metrics(at)["Candidates scanned"]
    nprobe_slider = next(s for s in at.slider if s.label.startswith("nprobe"))
    nprobe_slider.set_value(8).run()
    assert at.session_state["_settings"]["nprobe"] == 8
    after = _metrics(at)["Candidates scanned"]
    assert int(after.replace(",", "")) > int(before.replace(",", ""))


def test_query_chosen_in_session_state_is_drawn():
    at = _visit(_app(), "pages/search.py")
    _set(at, q="id:4321")
    at.run()
    assert any("data vector 4321" in md.value for md in at.markdown)
    _set(at, q="new:5")
    at.run()
    assert any("fresh random vector" in md.value for md in at.markdown)


def test_sizes_printout_equals_ivfcore_and_follows_init():
    at = _app({"nlist": 12})
    _visit(at, "pages/sizes.py")
    ds = _default_blobs()
    texts = [c.value for c in at.code]
    for init, text in zip(("random", "k-means++"), texts):
        km = ivfcore.train_kmeans(ds.x, 12, init=init, empty="reinit", max_iter=50, tol=1e-4, seed=0)
        s = ivfcore.size_stats(km.sizes)
        assert f"min={s.min}, max={s.max}, std={s.std:.1f}" in text
        assert str(list(s.largest)) in text
    m = [x.value for x in at.metric if x.label == "Imbalance factor"]
    assert len(m) == 2


def test_changing_nlist_retrains():
    at = _visit(_app(), "pages/train.py")
    assert _metrics(at)["Iterations"]
    nlist_box = next(n for n in at.number_input if n.label.startswith("Lists"))
    nlist_box.set_value(5).run()
    assert not at.exception
    _visit(at, "pages/sizes.py")
    assert "Largest 5 clusters" in at.code[0].value
    # five lists: the largest-5 printout lists exactly five sizes summing to n
    sizes = eval(at.code[0].value.split("Largest 5 clusters: ")[1])
    assert len(sizes) == 5 and sum(sizes) == 5000


def test_url_reproduces_settings():
    query = {"kind": "imbalanced", "imbalanced.n": 2000, "nlist": 7, "init": "k-means++",
             "nprobe": 3, "q": "id:17", "topk": 5}
    at = _app(query)
    s = at.session_state["_settings"]
    assert (s["kind"], s["imbalanced.n"], s["nlist"], s["init"], s["nprobe"], s["q"]) == (
        "imbalanced", 2000, 7, "k-means++", 3, "id:17")
    _visit(at, "pages/search.py")
    ds = ivfcore.make_dataset("imbalanced", seed=0, n=2000, d=32)
    km = ivfcore.train_kmeans(ds.x, 7, init="k-means++", max_iter=50, tol=1e-4, seed=0)
    tr = ivfcore.build_ivf(ds.x, km.centroids).trace(ds.x[17], k=5, nprobe=3)
    assert _metrics(at)["Candidates scanned"] == f"{tr.n_candidates:,}"
    # and the app writes its non-default settings back into the URL
    assert at.query_params["nlist"] == ["7"] or at.query_params["nlist"] == "7"


def test_bad_settings_show_a_message_not_a_traceback():
    at = _app({"kind": "digits", "nlist": 2000})  # nlist > n = 1797
    _visit(at, "pages/train.py")
    assert any("nlist = 2,000 lists is more than the 1,797 vectors" in e.value for e in at.error)
    assert not at.get("progress"), "no training progress bar left above the message"
    at = _app({"nlist": 8, "max_iter": 3, "init": "k-means++"})
    _set(at, tol=-1.0)  # a setting only the engine refuses (the URL parser would drop it)
    _visit(at, "pages/train.py")
    assert any("These settings do not work" in e.value for e in at.error)
    assert not at.get("progress")
    at = _app({"nlist": 4, "nprobe": 9})  # nprobe > nlist
    _visit(at, "pages/search.py")
    assert any("only nlist = 4" in w.value for w in at.warning)
    assert at.session_state["_settings"]["nprobe"] == 4


def test_url_with_garbage_values_falls_back_to_defaults():
    at = _app({"nlist": "many", "init": "magic", "kind": "nope", "nprobe": "-3"})
    s = at.session_state["_settings"]
    assert (s["nlist"], s["init"], s["kind"], s["nprobe"]) == (16, "random", "blobs", 1)


def test_server_upload_limit_matches_load_vectors_limit():
    import tomllib

    with open(os.path.join(ROOT, ".streamlit", "config.toml"), "rb") as fh:
        cfg = tomllib.load(fh)
    assert cfg["server"]["maxUploadSize"] * 2**20 == ivfcore.MAX_BYTES
    assert cfg["browser"]["gatherUsageStats"] is False and cfg["server"]["headless"] is True


def test_umap_view_is_fitted_in_a_worker_process_not_the_server():
    # UMAP's numba code holds the interpreter lock for seconds: fitted in the server it would
    # freeze every other learner's page, so it runs in ui.cache's worker process.
    from ui import worker

    at = _app({"proj": "umap"})
    assert at.get("plotly_chart")
    pool = worker._pool
    assert pool is not None, "the UMAP view was not fitted through the worker"
    pids = [p.pid for p in pool._processes.values()]
    assert pids and os.getpid() not in pids
    spec = at.get("plotly_chart")[0].proto.spec
    assert "UMAP" in spec or "umap" in spec


def test_run_log_records_each_script_run_only_when_asked(tmp_path, monkeypatch):
    import json

    path = tmp_path / "runs.jsonl"
    _visit(_app(), "pages/search.py")
    assert not path.exists()
    monkeypatch.setenv("IVFLAB_RUN_LOG", str(path))
    at = _visit(_app(), "pages/search.py")
    _set(at, nprobe=3)
    at.run()
    runs = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["page"] for r in runs] == ["", "search", "search"]
    assert all(r["end"] >= r["start"] and r["cpu"] >= 0 and r["outcome"] == "finished" for r in runs)
    assert len({r["session"] for r in runs}) == 1


def test_umap_worker_starts_without_running_the_app_script(capfd, monkeypatch):
    # Every script run installs a fresh module for app.py as sys.modules["__main__"] (no spec,
    # __file__ = app.py), and a spawned worker re-imports that file: it must draw nothing there
    # (it printed bare-mode warnings for the whole app when a run started just before a spawn).
    import sys
    import types

    from ui import worker

    fresh = types.ModuleType("__main__")
    fresh.__file__ = APP
    monkeypatch.setitem(sys.modules, "__main__", fresh)
    if worker._pool is not None:
        worker._pool.shutdown()
        worker._pool = None
    capfd.readouterr()
    try:
        assert worker.run(len, [1, 2, 3]) == 3
    finally:
        worker._pool.shutdown()
        worker._pool = None
    err = capfd.readouterr().err
    assert "ScriptRunContext" not in err and "streamlit run" not in err, err[-500:]


def test_app_script_draws_nothing_when_a_spawned_worker_reimports_it():
    # What multiprocessing's spawn does in the worker with the parent's main script, whatever
    # module a concurrent script run has just installed as __main__.
    import subprocess
    import sys

    code = (f"import runpy, sys; runpy.run_path({APP!r}, run_name='__mp_main__'); "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr[-500:]
    assert "streamlit run" not in out.stderr


def test_recall_page_numbers_equal_the_engine_sweep():
    at = _visit(_app({"kind": "imbalanced", "imbalanced.n": 3000, "nlist": 10}), "pages/recall.py")
    assert len(at.get("plotly_chart")) == 2
    ds = ivfcore.make_dataset("imbalanced", seed=0, n=3000, d=32)
    km = ivfcore.train_kmeans(ds.x, 10, init="random", max_iter=50, tol=1e-4, seed=0)
    keep, qids = ivfcore.holdout_split(ds.n, 100, seed=0, groups=ds.groups)
    sw = ivfcore.recall_sweep(ivfcore.build_ivf(ds.x[keep], km.centroids), ds.x[qids], k=10)
    table = at.dataframe[0].value
    a = table[table["index"] == "A"]
    # "all queries": 100 dense and 100 sparse held out, averaged as the data is (90% dense)
    qg = ds.groups[qids]
    data_weighted = (0.9 * sw.for_queries(qg == 0).recall + 0.1 * sw.for_queries(qg == 1).recall)
    # shown to 3 decimals: within half a unit of the last digit (two float orders of the same
    # weighted mean may round a 0.xxx5 differently)
    np.testing.assert_allclose(a["recall@10"].to_numpy(), data_weighted, rtol=0, atol=0.0005 + 1e-9)
    assert np.abs(data_weighted - sw.recall).max() > 0.05  # not the plain mean of the queries
    np.testing.assert_array_equal(a["nprobe"].to_numpy(), sw.nprobes)
    caption = " ".join(c.value for c in at.caption)
    assert "weighted by the group's share of the data: 90% dense, 10% sparse" in caption
    # the per-group curves are drawn: dense and sparse for A and B
    names = [t["name"] for t in __import__("json").loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert any("dense queries" in n for n in names) and any("sparse queries" in n for n in names)


def test_exercise_page_answers_are_computed_from_the_engine():
    at = _visit(_app(), "pages/exercise.py")
    assert not at.error
    for t in at.toggle:
        t.set_value(True)
    at.run()
    assert not at.exception
    ds = ivfcore.make_dataset("exercise", seed=0)
    km = ivfcore.train_kmeans(ds.x, 100, init="k-means++", empty="reinit", max_iter=50, tol=1e-4, seed=0)
    s = ivfcore.size_stats(km.sizes)
    table = at.dataframe[0].value
    row = table[table["init"] == "k-means++"].iloc[0]
    assert row["max"] == s.max and row["imbalance factor"] == round(s.imbalance_factor, 2)
    # the lesson the chapter's exercise teaches holds on this data
    rnd = table[table["init"] == "random"].iloc[0]
    assert row["imbalance factor"] > 3 > 1.1 > rnd["imbalance factor"]
    assert row["lists mostly dense at the end"] < rnd["lists mostly dense at the end"]
    recall = at.dataframe[2].value.set_index("queries")
    assert recall.loc["dense", "recall@10, nprobe 5"] < recall.loc["sparse", "recall@10, nprobe 5"]


def test_recall_queries_and_exercise_answers_travel_in_the_url():
    at = _visit(_app({"kind": "imbalanced", "imbalanced.n": 2000, "nlist": 8, "rq": 25}), "pages/recall.py")
    assert "25 per group" in " ".join(c.value for c in at.caption)
    at = _visit(_app({"ex_a2": "True"}), "pages/exercise.py")
    assert [t.value for t in at.main.toggle] == [False, True, False]
    at.main.toggle[0].set_value(True)
    at.run()
    assert at.query_params["ex_a1"] in ("1", ["1"]) and at.query_params["ex_a2"] in ("1", ["1"])


def test_failure_lab_tables_equal_the_engine():
    at = _visit(_app({"fm_empty": "box"}), "pages/failures.py")
    assert not at.error
    ds = ivfcore.make_dataset("blobs", seed=0, n=3000, d=8, centers=6, spread=1.0)
    c0 = ivfcore.box_init(ds.x, 40, seed=0)
    table = at.dataframe[0].value.set_index("strategy")
    for empty in ivfcore.EMPTY_STRATEGIES:
        km = ivfcore.train_kmeans(ds.x, 40, init=c0, empty=empty, max_iter=50, tol=1e-4, seed=0)
        assert table.loc[empty, "empty lists at the end"] == km.history[-1].n_empty
        assert table.loc[empty, "iterations"] == km.n_iter
    assert table.loc["keep", "empty lists at the end"] > 0 == table.loc["reinit", "empty lists at the end"]
    # unbalanced tab: k-means++ makes dense queries scan far more than sparse ones
    cost = at.dataframe[1].value.set_index(["init", "queries"])
    assert cost.loc[("k-means++", "dense"), "mean"] > 5 * cost.loc[("k-means++", "sparse"), "mean"]
    # non-spherical tab: two partitions drawn, recall shown for blobs and the shape
    recalls = [m.value for m in at.metric if m.label.startswith("Recall@10")]
    assert len(recalls) == 2


def test_changing_init_and_topk_widgets_changes_what_is_shown(blobs_index):
    at = _visit(_app(), "pages/train.py")
    init_box = next(s for s in at.selectbox if s.label == "Initialisation")
    init_box.set_value("k-means++").run()
    assert not at.exception and at.session_state["_settings"]["init"] == "k-means++"
    _visit(at, "pages/sizes.py")
    ds = _default_blobs()
    km = ivfcore.train_kmeans(ds.x, 16, init="k-means++", max_iter=50, tol=1e-4, seed=0)
    s = ivfcore.size_stats(km.sizes)
    assert f"min={s.min}, max={s.max}, std={s.std:.1f}" in at.code[0].value
    _visit(at, "pages/search.py")
    topk = next(s for s in at.slider if s.label.startswith("k ("))
    topk.set_value(3).run()
    m = _metrics(at)
    tr = ivfcore.build_ivf(ds.x, km.centroids).trace(ds.x[0], k=3, nprobe=1, exclude_id=0)
    assert m["Recall@3"] == f"{tr.recall:.0%}"
    assert m["Candidates scanned"] == f"{tr.n_candidates:,}"


def test_nprobe_above_nlist_is_clamped_everywhere_at_once():
    # The page clamped it after the sidebar was drawn: the sidebar said nprobe = 50 until the
    # next click while the slider and the warning said 16.
    at = _visit(_app({"nprobe": 50}), "pages/search.py")
    assert any("nprobe was 50" in w.value and "it is now 16" in w.value for w in at.warning)
    side = " ".join(m.value for m in at.sidebar.markdown)
    assert "nprobe = 16" in side and "nprobe = 50" not in side
    assert at.session_state["_settings"]["nprobe"] == 16 and at.query_params["nprobe"] in ("16", ["16"])
    at.run()  # the notice is said once
    assert not any("nprobe was" in w.value for w in at.warning)


def test_sizes_page_warns_about_training_b_too():
    # B with 200 lists on 5,000 vectors: 25 per list, below k-means' 39; only A's were shown
    at = _visit(_app({"b_nlist": 200}), "pages/sizes.py")
    km_b = ivfcore.train_kmeans(_default_blobs().x, 200, init="k-means++", max_iter=50, tol=1e-4, seed=0)
    assert km_b.warnings and all(any(w in shown.value for shown in at.warning) for w in km_b.warnings)
    assert "n / nlist = **25.0** vectors per list" not in " ".join(m.value for m in at.markdown)
    assert any("n / nlist = **25** vectors per list" in m.value for m in at.markdown)


def test_pq_page_numbers_equal_the_engine():
    at = _visit(_app({"pq_m": 8, "pq_nbits": 6}), "pages/pq.py")
    assert not at.error
    m = _metrics(at)
    assert m["IVF-Flat: bytes per vector"] == "64" and m["IVF-PQ: bytes per vector"] == "6"
    ds = _default_blobs()
    km = ivfcore.train_kmeans(ds.x, 16, max_iter=50, tol=1e-4, seed=0)
    keep, _ = ivfcore.holdout_split(ds.n, 100, seed=0, groups=ds.groups)
    spread = np.mean(np.sum((ds.x[keep] - ds.x[keep].mean(0)) ** 2, axis=1))
    errs = {}
    for residual in (True, False):
        pq = ivfcore.build_ivfpq(ds.x[keep], km.centroids, m=8, nbits=6, by_residual=residual, seed=0,
                              max_points_per_centroid=PQ_POINTS_PER_CODEWORD)
        errs[residual] = pq.reconstruction_error() / spread
    assert m["Reconstruction error, residuals"] == f"{errs[True]:.1%}"
    assert m["Reconstruction error, raw vectors"] == f"{errs[False]:.1%}"
    # the caption says what trained the codebooks: a sample of the 4,900 indexed vectors
    assert pq.n_train == 2**6 * PQ_POINTS_PER_CODEWORD < len(keep)
    caption = " ".join(c.value for c in at.caption)
    assert f"random sample of {pq.n_train:,} of the {len(keep):,} vectors" in caption
    assert len(at.get("plotly_chart")) == 2
    # the explanation says what the numbers show, whichever way they go
    text = " ".join(md.value for md in at.markdown)
    assert ("Here residuals cut" in text) == (errs[True] < errs[False])
    assert ("Here they do not" in text) == (errs[True] >= errs[False])
    # a new k re-sweeps the queries but does not retrain the product quantizers
    from ui import cache

    spec = ("blobs", 0, (("n", 5000), ("d", 16), ("centers", 8), ("spread", 1.0)))
    tkey = (16, "random", "reinit", 50, 1e-4, 0, "l2")
    built = cache.cached_pq_index(spec, tkey, 100, (8, 6, True))
    assert built is not None
    _set(at, topk=5)
    at.run()
    assert not at.exception and cache.cached_pq_index(spec, tkey, 100, (8, 6, True)) is built


def _missed_rows(at):
    tables = [d.value for d in at.dataframe if "nprobe needed" in d.value.columns]
    return tables[0] if tables else None


def test_search_on_copies_lists_no_missed_neighbour_that_an_equal_result_replaced():
    # The link: 10 "missed" neighbours at distance² 0 with "nprobe needed 1" at nprobe 3
    at = _visit(_app({"kind": "duplicates", "empty": "keep", "nlist": 200, "nprobe": 3}),
                "pages/search.py")
    assert at.session_state["_settings"]["nprobe"] == 3
    missed = _missed_rows(at)
    assert missed is None or not ((missed["distance²"] == 0) | (missed["nprobe needed"] <= 3)).any()
    assert _metrics(at)["Recall@10"] == "100%"
    assert any("All 10 true neighbours were found" in s.value for s in at.success)
    ds = ivfcore.make_dataset("duplicates", seed=0)
    km = ivfcore.train_kmeans(ds.x, 200, init="random", empty="keep", max_iter=50, tol=1e-4, seed=0)
    tr = ivfcore.build_ivf(ds.x, km.centroids).trace(ds.x[0], k=10, nprobe=3, exclude_id=0)
    key = " ".join(h.proto.body for h in at.get("html"))
    assert f"true neighbour found ({int(tr.result_hits.sum())})" in key and tr.result_hits.all()


def test_search_every_missed_neighbour_sits_in_an_unprobed_list():
    at = _visit(_app({"kind": "duplicates", "empty": "keep", "nlist": 50, "nprobe": 1}),
                "pages/search.py")
    for q in (0, 1900, 2500, 2999):
        _set(at, q=f"id:{q}")
        at.run()
        missed = _missed_rows(at)
        if missed is not None:
            assert (missed["nprobe needed"] > 1).all(), (q, missed)


def test_a_data_vector_is_not_its_own_neighbour_on_the_search_page():
    # /search?blobs.n=1000&nlist=1000&topk=1&q=id:5 said "Recall@1 100%": it found itself
    at = _visit(_app({"blobs.n": 1000, "nlist": 1000, "topk": 1, "q": "id:5"}), "pages/search.py")
    s = at.session_state["_settings"]
    assert (s["nlist"], s["topk"], s["q"]) == (1000, 1, "id:5")
    m = _metrics(at)
    assert m["Recall@1"] != "100%"
    assert not any("true neighbours were found" in x.value for x in at.success)
    ds = ivfcore.make_dataset("blobs", seed=0, n=1000, d=16, centers=8, spread=1.0)
    km = ivfcore.train_kmeans(ds.x, 1000, init="random", empty="reinit", max_iter=50, tol=1e-4,
                              seed=0)
    tr = ivfcore.build_ivf(ds.x, km.centroids).trace(ds.x[5], k=1, nprobe=1, exclude_id=5)
    assert 5 not in tr.true_ids and 5 not in tr.result_ids
    assert m["Recall@1"] == f"{tr.recall:.0%}"
    assert m["Candidates scanned"] == f"{tr.n_candidates:,}"  # its own vector, still scanned
    missed = _missed_rows(at)
    assert missed is not None and missed["vector id"].tolist() == tr.missed_ids.tolist()
    assert 5 not in missed["vector id"].tolist()
    text = " ".join(c.value for c in at.caption)
    assert "left out of its own results and of its own true neighbours" in text
    assert "counts in *Candidates scanned*" in text
    # a fresh random vector is not in the data: nothing to leave out, and no such sentence
    _set(at, q="new:3")
    at.run()
    assert "left out of its own results" not in " ".join(c.value for c in at.caption)


def test_train_page_says_how_many_vectors_the_animation_draws():
    """The caption names exactly how many of how many vectors are drawn, and the chart draws
    that many; the list sizes in the frames still count every vector."""
    import base64
    import json

    from ui import figures

    at = _visit(_app(), "pages/train.py")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    ids = spec["data"][0]["customdata"]
    if isinstance(ids, dict):  # plotly's typed-array spec
        ids = np.frombuffer(base64.b64decode(ids["bdata"]), dtype=ids["dtype"])
    caption = " ".join(c.value for c in at.caption)
    assert f"The picture draws {len(ids):,} of the 5,000 vectors" in caption, caption
    assert "use all 5,000" in caption
    assert len(ids) == figures.ANIMATED_POINTS < 5000
    assert all(t["type"] in ("scatter", "bar") for t in spec["data"])
    sizes = spec["frames"][-1]["data"][4]["y"]
    if isinstance(sizes, dict):
        sizes = np.frombuffer(base64.b64decode(sizes["bdata"]), dtype=sizes["dtype"])
    assert int(np.sum(sizes)) == 5000
