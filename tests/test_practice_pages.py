"""AppTest of the practitioner's pages (11 · An index that ages, 12 · Filtered search) and the
re-ranking on the PQ page: they run at defaults and on the exercise preset, and their numbers
equal the engine's, computed here."""

import os

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ivfcore
from ivfcore import aging, filtering
from ui.cache import PQ_POINTS_PER_CODEWORD
from ui.settings import EXERCISE_PRESET, SELECTIVITIES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "app.py")
NEW_PAGES = ["pages/aging.py", "pages/filtered.py"]


def _open(page, query=None):
    at = AppTest.from_file(APP, default_timeout=600)
    for k, v in (query or {}).items():
        at.query_params[k] = str(v)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _blobs_training():
    ds = ivfcore.make_dataset("blobs", seed=0, n=5000, d=16, centers=8, spread=1.0)
    km = ivfcore.train_kmeans(ds.x, 16, init="random", empty="reinit", max_iter=50, tol=1e-4, seed=0)
    return ds, km


@pytest.mark.parametrize("page", NEW_PAGES)
def test_new_pages_run_at_defaults(page):
    at = _open(page)
    assert at.title and at.markdown and len(at.get("plotly_chart")) >= 4


def test_new_pages_run_with_the_exercise_preset():
    at = AppTest.from_file(APP, default_timeout=900)
    at.run()
    at.button[0].click().run()  # the preset button on the Dataset page
    s = dict(at.session_state["_settings"])
    assert s["kind"] == EXERCISE_PRESET["kind"]
    s["max_iter"] = 4  # the preset's data and 100 lists; few iterations keep this fast
    at.session_state["_settings"] = s
    heads = {}
    for page in NEW_PAGES:
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        heads[page] = at.subheader[0].value
    assert "nlist = 100, nprobe = 5" in heads["pages/aging.py"]
    assert "100 held-out queries, k = 10, nprobe = 5" in heads["pages/filtered.py"]  # 2 groups x 50


def test_filtered_page_numbers_equal_the_engine():
    at = _open("pages/filtered.py", {"ft_sel": 0.02, "nprobe": 2})
    ds, km = _blobs_training()
    keep, qids = ivfcore.holdout_split(len(ds.x), 50, seed=0, groups=ds.groups)
    index = ivfcore.build_ivf(ds.x[keep], km.centroids)
    allowed = filtering.category_mask(len(keep), 0.02, seed=0)
    runs = filtering.compare_strategies(index, ds.x[qids], 10, 2, allowed)
    m = _metrics(at)
    assert m["Vectors that match"] == f"{int(allowed.sum()):,} of {len(keep):,}"
    assert m["Post-filtering: results returned"] == f"{runs['post-filter'].returned.mean():.1f} of 10"
    assert m["Iterative probing: results returned"] == f"{runs['iterative'].returned.mean():.1f} of 10"
    table = at.dataframe[0].value
    assert list(table["recall@10"]) == [round(float(r.recall.mean()), 3) for r in runs.values()]
    assert list(table["distance computations"]) == [
        int(round(float(r.distance_computations.mean()))) for r in runs.values()]
    j = int(np.argmin(runs["post-filter"].returned))
    why = next(md.value for md in at.markdown if md.value.startswith("**Why a filtered query"))
    assert f"returns {runs['post-filter'].returned[j]} rows instead of 10" in why
    assert f"held-out query {j + 1}" in why


def test_filtered_page_by_group_and_a_cap_on_lists():
    at = _open("pages/filtered.py", {"ft_attr": "group", "ft_group": 3, "ft_max": 2})
    assert "group" in at.subheader[0].value
    ds, km = _blobs_training()
    keep, qids = ivfcore.holdout_split(len(ds.x), 50, seed=0, groups=ds.groups)
    index = ivfcore.build_ivf(ds.x[keep], km.centroids)
    runs = filtering.compare_strategies(index, ds.x[qids], 10, 1, ds.groups[keep] == 3, max_nprobe=2)
    table = at.dataframe[0].value
    assert list(table["lists opened"]) == [round(float(r.lists_opened.mean()), 1) for r in runs.values()]
    assert table["lists opened"].max() <= 2


def test_aging_page_numbers_equal_the_engine_and_rebuild_shows_the_retrained_ones():
    at = _open("pages/aging.py", {"ag_case": "empty", "ag_frac": 0.5})
    ds, _ = _blobs_training()
    sc = aging.make_scenario("empty", ds.x, ds.groups, 16)
    km = ivfcore.train_kmeans(sc.x[: sc.n_initial], 100, init="random", empty="reinit", max_iter=50,
                              tol=1e-4, seed=0)
    p = aging.measure(sc, km.centroids, 0.5, nprobe=1, k=10)
    m = _metrics(at)
    assert m["Imbalance factor"] == f"{p.imbalance_factor:.2f}"
    assert m["Recall@10 at nprobe = 1"] == f"{p.recall:.3f}"
    assert m["Health check"] == f"{p.check:.3f}"
    assert f"{p.n_indexed:,} rows indexed" in at.subheader[0].value
    at.button[0].click().run()  # rebuild
    assert not at.exception and at.session_state["_settings"]["ag_rebuild"]
    km2 = ivfcore.train_kmeans(sc.x[: p.n_indexed], 100, init="random", empty="reinit", max_iter=50,
                               tol=1e-4, seed=0)
    r = aging.measure(sc, km2.centroids, 0.5, nprobe=1, k=10)
    deltas = {mm.label: mm.proto.delta for mm in at.metric}
    assert deltas["Imbalance factor"] == f"rebuilt: {r.imbalance_factor:.2f}"
    assert deltas["Health check"] == f"rebuilt: {r.check:.3f}"
    assert at.query_params["ag_rebuild"] in ("1", ["1"])  # the link reproduces the rebuilt view


def test_pq_page_reports_refine_recall_and_memory():
    at = _open("pages/pq.py")
    text = next(md.value for md in at.markdown if md.value.startswith("**Why IVF-PQ recall levels off"))
    ds, km = _blobs_training()
    keep, qids = ivfcore.holdout_split(len(ds.x), 100, seed=0, groups=ds.groups)
    pq = ivfcore.build_ivfpq(ds.x[keep], km.centroids, m=4, nbits=8, by_residual=True, seed=0,
                              max_points_per_centroid=PQ_POINTS_PER_CODEWORD)
    assert f"{pq.refine_bytes:,} bytes" in text and pq.refine_bytes == len(keep) * 16 * 4
    xq = ds.x[qids]
    w = ivfcore.share_weights(ds.groups[qids], ds.groups)
    true_d, true_ids = pq.exact(xq, 10)  # as the page: the same truth and every nprobe swept
    sw = ivfcore.recall_sweep(pq, xq, k=10, true_ids=true_ids, true_distances=true_d, refine=10).weighted(w)
    assert f"{sw.recall[0]:.3f} with refine 10" in text
    names = [t["name"] for t in __import__("json").loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert any("refine 2" in n for n in names) and any("refine 10" in n for n in names)


def test_search_page_says_when_k_exceeds_the_probed_lists():
    at = _open("pages/search.py", {"topk": 100, "nlist": 64})
    assert any("not 100" in i.value and "hold" in i.value for i in at.info)
    at2 = _open("pages/search.py")
    assert not any("not 10:" in i.value for i in at2.info)


def test_selectivity_choices_run_from_half_down_to_half_a_percent():
    assert SELECTIVITIES[0] == 0.5 and SELECTIVITIES[-1] == 0.005
