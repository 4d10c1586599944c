import numpy as np
import streamlit as st

import ivfcore
from ui import boot, cache, current, figures, lessons, show, state, tables
from ui.settings import FAILURE_SPECS, SHAPES, manifold_spec

boot.through_app()

st.title(":material/warning: Failure-mode lab")
show.explain(
    "The chapter names three ways IVF training goes wrong without any error message: lists "
    "that end up **empty**, lists of very **unequal** size, and data whose shape k-means "
    "cannot describe (**non-spherical**). Each tab reproduces one on data built to show it, "
    "with everything else held equal, so the difference you see is the failure itself."
)
empty_tab, unbalanced_tab, shape_tab = state.tabs("fm_tab", {
    "empty": "Empty clusters", "unbalanced": "Unbalanced clusters", "shapes": "Non-spherical clusters"})

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
        repaired = [r.cluster for s in km.history for r in s.repairs]
        rows.append({"strategy": empty, "empty lists at the start": km.history[0].n_empty,
                     "empty lists at the end": km.history[-1].n_empty,
                     "repairs": len(repaired),
                     "repeat repairs": len(repaired) - len(set(repaired)),
                     "iterations": km.n_iter, "final inertia": round(km.inertia, 1)})
        series[empty] = ([s.iteration for s in km.history], [s.n_empty for s in km.history])
    tables.table(rows, hide_index=True, column_config={
        "repairs": st.column_config.NumberColumn(
            help="How many times an empty list was given a new centroid, over all iterations"),
        "repeat repairs": st.column_config.NumberColumn(
            help="Repairs of a list that had been repaired before and emptied again"),
    })
    show.chart(figures.lines(series, "iteration", "empty lists",
                             "Empty lists per iteration, by strategy"), key="empties")
    best = min(rows, key=lambda r: r["final inertia"])
    keep = next(r for r in rows if r["strategy"] == "keep")
    again = max(rows, key=lambda r: r["repeat repairs"])
    if again["repeat repairs"]:
        repeat = (
            f"A repair is not always final: under **{again['strategy']}**, "
            f"{again['repeat repairs']} of its {again['repairs']} repairs went to a list that had "
            "been repaired before and lost all its vectors again. ")
        if scenario == "copies":
            repeat += (
                "On copies the reason is a tie: a centroid moved onto a copied vector, or split "
                "off a list of identical copies, is exactly as near to those copies as the "
                "centroid already there, and a tie goes to the list with the lower number.")
    else:
        repeat = "Every repair held: no list emptied a second time."
    st.markdown(
        f"An empty list is a centroid that can never answer a query, and the vectors it should "
        f"have taken crowd into other lists. Leaving them (**keep**) ends with "
        f"**{keep['empty lists at the end']}** of {nlist} lists empty and inertia "
        f"{keep['final inertia']:,}; **{best['strategy']}** ends lowest ({best['final inertia']:,}). "
        + repeat
    )
    if scenario == "copies" and keep["empty lists at the end"] == 0:
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
    show.chart(figures.cost_boxes(boxes, "Vectors scanned per query at nprobe = 1"),
               key="cost_boxes")
    tables.table(rows, hide_index=True)


with shape_tab:
    st.markdown(
        "k-means describes each list by one point, the mean of its vectors, and gives every "
        "vector to the nearest such point, so the borders between lists are straight. The "
        "chapter warns that on elongated or curved data (rings, moons, spirals, filaments; many "
        "learned embeddings look like this) the centroids do not represent the data well. Does "
        "that make search worse? Below, the same nlist and nprobe on round blobs and on a "
        "shape: compare the numbers, then read what they say."
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
    shape = state.get("fm_shape")
    K_NN, N_QUERIES = 10, 200
    # What the generating groups of each dataset are called in the text.
    PARTS = {"blobs": "blobs", "moons": "moons", "rings": "rings", "spiral": "arms",
             "filaments": "filaments"}
    sides = {}
    cols = st.columns(2)
    for col, (name, spec) in zip(cols, (("blobs", FAILURE_SPECS["blobs"]),
                                        (shape, manifold_spec(shape)))):
        with col:
            ds = cache.generated_dataset(spec)
            key = (nlist, "random", "reinit", 50, 1e-4, 0)
            km = current.training_for(spec, key, ds.x)
            ho = cache.held_out(spec, key, N_QUERIES, K_NN, ds.x, np.zeros(ds.n, dtype=np.int64),
                                km.centroids)
            proj = cache.projection(spec, "pca", ds.x)
            show.chart(figures.partition_view(
                proj.points, proj.sample_ids, km.labels[proj.sample_ids],
                proj.transform(km.centroids), km.k, f"{name}: lists and centroids (PCA)"),
                key=f"shape_{spec[0]}")
            m = lessons.shape_numbers(ds, km, ho, nprobe)
            sides[name] = m
            parts = PARTS[name]
            row = st.columns(3)
            row[0].metric(f"Recall@{K_NN}", f"{m['recall']:.2f}",
                          help=f"At nprobe = {nprobe}: share of each query's {K_NN} true "
                               f"neighbours found when it opens its {nprobe} nearest lists; "
                               f"mean over {N_QUERIES} "
                               "held-out queries.")
            row[1].metric("Neighbour lists", f"{m['lists']:.1f}",
                          help=f"How many different lists hold a query's {K_NN} true "
                               f"neighbours; mean over {N_QUERIES} held-out queries. 1.0 = "
                               "every query's neighbours share one list.")
            row[2].metric(f"nprobe for all {K_NN}", m["needed"],
                          help=f"The smallest nprobe that finds all {K_NN} true neighbours; "
                               f"median over {N_QUERIES} held-out queries.")
            row = st.columns(3)
            row[0].metric(f"All {K_NN} in one list", f"{m['one list']:.0%}",
                          help=f"Share of the queries whose {K_NN} true neighbours all lie in "
                               "a single list.")
            row[1].metric("Off-data centroids", f"{m['off']} of {nlist}",
                          help="Centroids with no vector near them: every vector is farther "
                               f"from the centroid than a typical query is from its {K_NN}th "
                               "true neighbour (the median of that distance).")
            row[2].metric("Mixed lists", f"{m['mixed']} of {nlist}",
                          help=f"Lists holding vectors of more than one of the {m['groups']} "
                               f"{parts}: none of them fills 90% of the list.")
    b, sh = sides["blobs"], sides[shape]
    parts = PARTS[shape]
    better, slight, fewer = lessons.compare_shapes(b, sh)
    slightly = "slightly " if slight else ""
    which = {"shape": "**better**", "blobs": "**worse**"}.get(better)
    if which:
        verdict = (f"At nlist = {nlist} and nprobe = {nprobe}, search does {slightly}{which} on "
                   f"the {shape} than on the round blobs: recall@{K_NN} {sh['recall']:.2f} "
                   f"against {b['recall']:.2f}.")
    else:
        verdict = (f"At nlist = {nlist} and nprobe = {nprobe}, the {shape} and the round "
                   f"blobs reach **about the same** recall@{K_NN} "
                   f"({sh['recall']:.2f} and {b['recall']:.2f}).")
    spread = (f"Recall depends on how many lists a query's neighbours are spread over: "
              f"{sh['lists']:.1f} on average for the {shape} ({sh['one list']:.0%} of the "
              f"queries have all {K_NN} in one list), {b['lists']:.1f} for the blobs "
              f"({b['one list']:.0%}).")
    if fewer and fewer == better:
        spread += " That is where the difference in recall comes from."
    curve = ("Every shape here is a thin curve or line with a little noise, and along it a "
             "vector's nearest neighbours lie a short way along the same curve. The straight "
             "borders cut the curve into segments, and only vectors near the two ends of a "
             "segment have neighbours across a border; the rest keep all their neighbours in "
             "one list. More lists make shorter segments, with more ends.")
    if b["cut"]:
        blob = (f"The blobs fill all {b['d']} dimensions. {b['cut']} of the {b['groups']} blobs "
                f"{'is' if b['cut'] == 1 else 'are'} cut between lists here, and a border "
                "through a round cloud passes close to a large share of its vectors, so their "
                "neighbours land on both sides.")
    else:
        blob = (f"With {nlist} lists for {b['groups']} blobs, no blob is cut between lists: "
                "each list takes whole blobs, so a blob's neighbourhoods stay inside one list.")
    st.markdown(f"{verdict} {spread}\n\n{curve} {blob}")

    bend = "of a bent piece of curve, or " if shape != "filaments" else ""
    cost = (f"What the chapter warns about is the description, not the search: a centroid is "
            f"the mean of its list, and the mean {bend}of pieces of different {parts}, can lie "
            f"off the data, where there are no vectors. Here **{sh['off']}** of the {nlist} "
            f"centroids for the {shape} sit off the data ({b['off']} for the blobs), and "
            f"**{sh['mixed']}** of the {shape} lists mix vectors of different {parts} "
            f"({b['mixed']} of the blobs' lists mix blobs).")
    if sh["off"] == 0 and sh["mixed"] == 0:
        cost += (f" At nlist = {nlist} the pieces are short enough to be nearly straight, so "
                 f"every centroid sits on its piece and no list mixes {parts}: lower nlist "
                 "(try 2 to 8) to see centroids in empty space and lists that take in more "
                 f"than one of the {parts}.")
    else:
        what = []
        if sh["off"]:
            what.append("a centroid off the data stands for a place where no vector is")
        if sh["mixed"]:
            what.append("a mixing list holds vectors from separate parts of the shape")
        cost += (f" Such lists describe no single region of the data: {'; '.join(what)}. "
                 "Search can still do well, because probing only needs a query's nearest "
                 "centroids to own its neighbours, which is what the recall above measures; "
                 "but the lists say little about the shape itself.")
    if nlist < b["groups"]:
        cost += (f" With fewer lists than blobs ({nlist} for {b['groups']}), some of the "
                 "blobs' lists must hold several blobs"
                 + (", and their centroids fall in the empty space between them." if b["off"]
                    else "."))
    st.markdown(cost)
    st.caption(f"Blobs: {b['description']} Shape: {sh['description']} Both use the same "
               f"nlist, nprobe and {N_QUERIES} held-out queries; k-means with random "
               "initialisation, seed 0.")
