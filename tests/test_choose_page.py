"""AppTest of the Choose page: it runs, and its numbers are the engine's (computed here)."""

import math
import os

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ivfcore
from ivfcore import tuning
from ui import practice

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "app.py")


def _page(query):
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({k: str(v) for k, v in query.items()})
    at.run()
    at.switch_page("pages/choose.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    return at


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _engine_curve(ds, nlist, n_queries, k, iters, nprobes, mpc=256):
    n_groups = len(np.unique(ds.groups))
    keep, qids = ivfcore.holdout_split(len(ds.x), math.ceil(n_queries / n_groups), seed=0, groups=ds.groups)
    km = ivfcore.train_kmeans(ds.x, nlist, init="random", empty="reinit", max_iter=iters, tol=1e-4,
                              seed=0, record_history=False, max_points_per_centroid=mpc)
    index = ivfcore.build_ivf(ds.x[keep], km.centroids)
    sweep = ivfcore.recall_sweep(index, ds.x[qids], k=k, nprobes=nprobes)
    return sweep.weighted(ivfcore.share_weights(ds.groups[qids], ds.groups)), km, len(keep)


def test_defaults_pick_the_engines_cheapest_pair():
    at = _page({})
    ds = ivfcore.make_dataset("blobs", seed=0, n=5000, d=16, centers=8, spread=1.0)
    rules = tuning.rules(5000)
    grid = tuning.nlist_grid(5000, extra=[16, rules.pgvector_lists])
    assert len(grid) == 6
    best = None
    for nlist in grid:
        sw, _, n_kept = _engine_curve(ds, int(nlist), 200, 10, 10, range(1, int(nlist) + 1))
        reach = np.flatnonzero(sw.recall >= 0.9 - 1e-12)
        if len(reach):
            i = reach[0]  # work grows with nprobe: the first is the cheapest of this nlist
            cand = (sw.distance_computations[i], -sw.recall[i], int(nlist), int(sw.nprobes[i]), sw.recall[i])
            best = cand if best is None or cand < best else best
    m = _metrics(at)
    work, _, nlist, nprobe, recall = best
    assert m["Cheapest nlist"] == f"{nlist:,}" and m["its nprobe"] == f"{nprobe:,}"
    assert m["Recall@10"] == f"{recall:.3f}"
    assert m["Distance computations"] == f"{work:,.0f}"
    charts = at.get("plotly_chart")
    assert len(charts) == 3
    assert any(f"nlist = {nlist:,}, nprobe = {nprobe}" in h.value for h in at.subheader)
    codes = " ".join(c.value for c in at.code)
    assert f"WITH (lists = {nlist});" in codes and f"SET ivfflat.probes = {nprobe};" in codes
    assert f"index.nprobe = {nprobe}" in codes and f'{{"nprobe": {nprobe}}}' in codes


def test_sample_comparison_equals_the_engine():
    at = _page({"nlist": 16, "ch_cmp": True})
    ds = ivfcore.make_dataset("blobs", seed=0, n=5000, d=16, centers=8, spread=1.0)
    m = _metrics(at)
    nlist, nprobe = int(m["Cheapest nlist"].replace(",", "")), int(m["its nprobe"])
    table = at.dataframe[-1].value
    assert list(table["rows trained"]) == [min(5000, 39 * nlist), min(5000, 256 * nlist), 5000]
    every = table[table["rows trained"] == 5000]
    assert len(every) >= 2  # a sample as large as the data is no sample: one training, shown twice
    assert every["time (s)"].nunique() == 1
    for row, mpc in zip(table.itertuples(index=False), (39, 256, None)):
        sw, km, _ = _engine_curve(ds, nlist, 200, 10, 10, [nprobe], mpc=mpc)
        assert row[3] == practice.inertia_text(km.inertia) and "e+" not in row[3]
        assert row[4] == round(ivfcore.size_stats(km.sizes).imbalance_factor, 3)
        assert row[5] == round(float(sw.recall[0]), 4)


def test_exercise_preset_runs_and_its_pair_is_the_engines():
    # one k-means iteration and 50 queries keep this affordable; the page is the same
    at = _page({"kind": "exercise", "nlist": 100, "ch_iter": 1, "ch_q": 50})
    ds = ivfcore.make_dataset("exercise", seed=0)
    m = _metrics(at)
    nlist, nprobe = int(m["Cheapest nlist"].replace(",", "")), int(m["its nprobe"])
    assert nlist in tuning.nlist_grid(len(ds.x), extra=[100]).tolist()
    probes = [nprobe - 1, nprobe] if nprobe > 1 else [nprobe]
    sw, _, _ = _engine_curve(ds, nlist, 50, 10, 1, probes)
    assert m["Recall@10"] == f"{sw.recall[-1]:.3f}" and sw.recall[-1] >= 0.9
    assert m["Distance computations"] == f"{sw.distance_computations[-1]:,.0f}"
    if nprobe > 1:  # the smallest nprobe of that nlist reaching the target
        assert sw.recall[0] < 0.9
