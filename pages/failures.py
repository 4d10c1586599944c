import numpy as np
import streamlit as st

import ivfcore
from ui import boot, cache, current, figures, state
from ui.settings import FAILURE_SPECS, SHAPES, manifold_spec

boot.through_app()

st.title(":material/warning: Failure-mode lab")
st.markdown(
    "The chapter names three ways IVF training goes wrong without any error message: lists "
    "that end up **empty**, lists of very **unequal** size, and data whose shape k-means "
    "cannot describe (**non-spherical**). Each tab reproduces one on data built to show it, "
    "with everything else held equal, so the difference you see is the failure itself."
)
empty_tab, unbalanced_tab, shape_tab = st.tabs(
    ["Empty clusters", "Unbalanced clusters", "Non-spherical clusters"])

with empty_tab:
    scenarios = {"copies": "Random initialisation on exact copies (the chapter's case)",
                 "box": "Centroids started at random points of the bounding box"}
    state.widget("fm_empty", st.radio, "How the empty lists arise", options=list(scenarios),
                 format_func=scenarios.get, horizontal=True)
    scenario = state.get("fm_empty")
    spec = FAILURE_SPECS["empty" if scenario == "copies" else "box"]
    ds = cache.generated_dataset(spec)
    nlist = 40
    if scenario == "copies":
        init, start, why = "random", None, (
            "Random initialisation draws the same copied vector several times; identical "
            "centroids tie, every copy goes to the first of them, and the others start empty.")
    else:
        init, start, why = "box", cache.box_start(spec, nlist, ds.x), (
            "Points drawn uniformly from the box around the data mostly land where there is "
            "no data: nothing is nearest to them, so their lists start empty.")
    st.markdown(f"**Data:** {ds.description} **Training:** nlist = {nlist}, seed 0, once with "
                f"each of the four ways of handling a list that has lost all its vectors. {why}")
    rows, series = [], {}
    for empty in ivfcore.EMPTY_STRATEGIES:
        km = current.training_for(spec, (nlist, init, empty, 50, 1e-4, 0), ds.x, init=start)
        rows.append({"strategy": empty, "empty lists at the start": km.history[0].n_empty,
                     "empty lists at the end": km.history[-1].n_empty,
                     "repairs": sum(len(s.repairs) for s in km.history),
                     "iterations": km.n_iter, "final inertia": round(km.inertia, 1)})
        series[empty] = ([s.iteration for s in km.history], [s.n_empty for s in km.history])
    st.dataframe(rows, hide_index=True)
    st.plotly_chart(figures.lines(series, "iteration", "empty lists",
                                  "Empty lists per iteration, by strategy"), key="empties")
    best = min(rows, key=lambda r: r["final inertia"])
    keep = next(r for r in rows if r["strategy"] == "keep")
    st.markdown(
        f"An empty list is a centroid that can never answer a query, and the vectors it should "
        f"have taken crowd into other lists. Leaving them (**keep**) ends with "
        f"**{keep['empty lists at the end']}** of {nlist} lists empty and inertia "
        f"{keep['final inertia']:,}; **{best['strategy']}** ends lowest ({best['final inertia']:,}). "
        "A repair is not always final: a list split off a group of identical copies ties with "
        "its twin and can empty again."
    )
    if keep["empty lists at the end"] == 0:
        st.markdown(
            "Here even **keep** recovers, only more slowly: each empty centroid sits exactly on "
            "a copied vector, so once its twin drifts towards the mean of its list, the copies "
            "are nearer the waiting centroid and move over. Choose the bounding-box start to "
            "see lists that stay empty for good."
        )

with unbalanced_tab:
    spec = FAILURE_SPECS["unbalanced"]
    ds = cache.generated_dataset(spec)
    st.markdown(
        f"**Data:** {ds.description} **Training:** nlist = 50, random vs k-means++. Below: how "
        "many vectors each held-out query scans at nprobe = 1, by the region it comes from. "
        "With even lists every query pays about the same; with uneven lists the cost depends "
        "on where the query lands."
    )
    boxes, rows = {}, []
    for init in ivfcore.INITS:
        key = (50, init, "reinit", 50, 1e-4, 0)
        km = current.training_for(spec, key, ds.x)
        ho = cache.held_out(spec, key, 100, 10, ds.x, ds.groups, km.centroids)
        scanned = ho.sweep.per_query_computations[0] - km.k  # nprobes[0] is 1
        qg = ho.groups
        for g, name in enumerate(ds.group_names):
            v = scanned[qg == g]
            boxes[f"{init}: {name} queries"] = v
            rows.append({"init": init, "queries": name, "mean": int(v.mean()),
                         "std": int(v.std()), "min": int(v.min()), "max": int(v.max()),
                         "imbalance factor": round(ivfcore.size_stats(km.sizes).imbalance_factor, 2)})
    st.plotly_chart(figures.cost_boxes(boxes, "Vectors scanned per query at nprobe = 1"),
                    key="cost_boxes")
    st.dataframe(rows, hide_index=True)

with shape_tab:
    st.markdown(
        "k-means describes each list by one point and assigns vectors to the nearest one: it "
        "draws straight borders, which suits round clusters. On curved or elongated shapes "
        "(rings, moons, spirals, filaments, like many learned embeddings) the borders cut "
        "across the shape, so close neighbours along it land in different lists. Here the "
        "same nlist and nprobe are used on round blobs and on a shape."
    )
    c = st.columns(3)
    with c[0]:
        state.widget("fm_shape", st.selectbox, "Shape", options=list(SHAPES))
    with c[1]:
        state.widget("fm_nlist", st.slider, "nlist", min_value=2, max_value=64)
    nlist = state.get("fm_nlist")
    if state.get("fm_nprobe") > nlist:
        state.put(fm_nprobe=nlist)
    with c[2]:
        state.widget("fm_nprobe", st.slider, "nprobe", min_value=1, max_value=nlist)
    nprobe = state.get("fm_nprobe")
    cols = st.columns(2)
    for col, spec in zip(cols, (FAILURE_SPECS["blobs"], manifold_spec(state.get("fm_shape")))):
        with col:
            ds = cache.generated_dataset(spec)
            key = (nlist, "random", "reinit", 50, 1e-4, 0)
            km = current.training_for(spec, key, ds.x)
            ho = cache.held_out(spec, key, 200, 10, ds.x, np.zeros(ds.n, dtype=np.int64),
                                km.centroids)
            proj = cache.projection(spec, "pca", ds.x)
            st.plotly_chart(figures.partition_view(
                proj.points, proj.sample_ids, km.labels[proj.sample_ids],
                proj.transform(km.centroids), km.k, f"{spec[0]}: lists and centroids (PCA)"),
                key=f"shape_{spec[0]}")
            m = st.columns(3)
            m[0].metric(f"Recall@10 at nprobe {nprobe}", f"{ho.recall_at(nprobe):.2f}")
            m[1].metric("Lists holding the 10 neighbours", f"{ho.spread.n_lists.mean():.1f}",
                        help="Mean over 200 held-out queries.")
            m[2].metric("nprobe for all 10 (median)", int(np.median(ho.spread.nprobe_needed)))
    st.caption(
        "Blobs: 8 round Gaussian clusters, 16-D. Shape: the chosen curve lifted into 16-D by a "
        "random rotation, with a little noise. Same number of vectors, lists and queries."
    )
