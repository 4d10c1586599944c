import numpy as np
import streamlit as st

import ivfcore
from ui import boot, cache, controls, current, figures_practice, fmt, show, state, tables
from ui.settings import SELECTIVITIES

boot.through_app()

N_QUERIES = 50  # held out per group

st.title(":material/filter_alt: Filtered search")
show.explain(
    "Real queries come with a condition: *only products in stock*, *only documents of this "
    "user*. Here every vector gets an **attribute**, and a query may only return vectors whose "
    "attribute matches. An IVF index knows nothing of the attribute, so it has three ways to "
    "answer: **post-filtering** (open the nprobe lists as usual, drop what does not match: "
    "FAISS and pgvector by default), **over-fetching** (ask the index for k / selectivity "
    "results, then drop what does not match), and **iterative probing** (keep opening the next "
    "nearest list until k matching vectors are found: pgvector's iterative scan, LanceDB's "
    "minimum / maximum nprobes). Lower the share of matching vectors and watch who comes back "
    "short."
)
ds = current.dataset()
km = current.training()
nlist = km.centroids.shape[0]
controls.search_controls(nlist)
k, nprobe = state.get("topk"), min(state.get("nprobe"), nlist)

groups_ok = len(ds.group_names) > 1
c = st.columns(3)
with c[0]:
    attrs = ["category", "group"] if groups_ok else ["category"]
    if state.get("ft_attr") not in attrs:
        state.correct(ft_attr="category")
    state.widget("ft_attr", st.radio, "The attribute", options=attrs, horizontal=True,
                 format_func={"category": "a random category", "group": "the data's groups"}.get,
                 help="A random category that a chosen share of vectors carries, or the group "
                      "each vector was generated in.")
with c[1]:
    if state.get("ft_attr") == "group":
        if state.get("ft_group") >= len(ds.group_names):
            state.correct(ft_group=0)
        state.widget("ft_group", st.selectbox, "Only vectors of group", options=list(range(len(ds.group_names))),
                     format_func=lambda g: ds.group_names[g])
    else:
        state.widget("ft_sel", st.select_slider, "Share of vectors that match (selectivity)",
                     options=list(SELECTIVITIES), format_func=fmt.share)
with c[2]:
    state.widget("ft_max", st.number_input, "Iterative probing: at most this many lists (0 = all)",
                 min_value=0, max_value=nlist, step=1,
                 help="pgvector's ivfflat.max_probes; LanceDB's maximum_nprobes.")
max_nprobe = state.get("ft_max") or nlist
if max_nprobe < nprobe:
    st.info(f"At most {max_nprobe} lists is fewer than nprobe = {nprobe}: iterative probing opens "
            f"nprobe = {nprobe} lists, as post-filtering does.")
    max_nprobe = nprobe

spec, tkey = state.spec(), state.training_key()
ho = cache.held_out(spec, tkey, N_QUERIES, k, ds.x, ds.groups, km.centroids)
keep, _ = ivfcore.holdout_split(len(ds.x), N_QUERIES, seed=0, groups=ds.groups)
ntotal = ho.index.ntotal
masks = [(f"{fmt.share(s)} category", ivfcore.filtering.category_mask(ntotal, s, seed=0)) for s in SELECTIVITIES]
if state.get("ft_attr") == "group":
    g = state.get("ft_group")
    chosen_name = f"group {ds.group_names[g]}"
    masks.append((f"group {g}", ds.groups[keep] == g))
else:
    chosen_name = f"the {fmt.share(state.get('ft_sel'))} category"
key = ("filtered", spec, tkey, N_QUERIES)
runs_all = current.filter_runs(key, ho, masks, k, nprobe, max_nprobe)
runs = runs_all[-1] if state.get("ft_attr") == "group" else runs_all[SELECTIVITIES.index(state.get("ft_sel"))]
allowed = masks[-1][1] if state.get("ft_attr") == "group" else masks[SELECTIVITIES.index(state.get("ft_sel"))][1]
share = float(allowed.mean())

post, over, it = runs["post-filter"], runs["over-fetch"], runs["iterative"]
st.subheader(f"{ho.queries.shape[0]} held-out queries, k = {k}, nprobe = {nprobe}, filter: {chosen_name}")
mc = st.columns(4)
mc[0].metric("Vectors that match", f"{int(allowed.sum()):,} of {ntotal:,}", help=f"{fmt.percent(share)} of the index")
mc[1].metric("Post-filtering: results returned", f"{post.returned.mean():.1f} of {k}",
             help="Averaged over the queries.")
mc[2].metric("Over-fetching: results returned", f"{over.returned.mean():.1f} of {k}",
             help=f"The index was asked for k' = {over.k_fetch:,} results.")
mc[3].metric("Iterative probing: results returned", f"{it.returned.mean():.1f} of {k}")

rows = [{"strategy": figures_practice.STRATEGY_NAMES[name],
         "asked of the index": r.k_fetch,
         "returned (mean)": round(float(r.returned.mean()), 2),
         "queries short of k": int((r.returned < min(k, int(allowed.sum()))).sum()),
         f"recall@{k}": round(float(r.recall.mean()), 3),
         "lists opened": round(float(r.lists_opened.mean()), 1),
         "distance computations": int(round(float(r.distance_computations.mean())))}
        for name, r in runs.items()]
tables.table(rows)

# Why a query came back short, in words: the one with the fewest post-filtered results.
j = int(np.argmin(post.returned))
scanned = int(post.distance_computations[j]) - nlist
if post.returned[j] < k:
    why = (f"**Why a filtered query returns {post.returned[j]} rows instead of {k}.** The shortest "
           f"answer here is held-out query {j + 1}: its {fmt.count(nprobe, 'nearest list')} held "
           f"{scanned:,} vectors, and only {fmt.percent(share)} of all vectors match, so about "
           f"{scanned * share:,.1f} matching vectors were to be expected in them; post-filtering "
           f"found {post.returned[j]}, and cannot return more than the probed lists hold, however "
           f"many match elsewhere. ")
else:
    why = (f"**Every query got its {k} rows by post-filtering here.** Even the leanest, held-out "
           f"query {j + 1}, opened {fmt.count(nprobe, 'list')} holding {scanned:,} vectors; with "
           f"{fmt.percent(share)} of all vectors matching, about {scanned * share:,.1f} matches "
           f"were to be expected there, more than k. Lower the share that matches, or nprobe, "
           f"until the probed lists hold fewer matches than k: then post-filtering comes back "
           f"short. ")
if over.returned[j] < k:
    why += (f"Over-fetching asked for {over.k_fetch:,} results and kept the {over.returned[j]} that "
            "match: it only sees the same probed lists, so it is capped the same way (and when k' "
            "is below what those lists hold, it can drop matching vectors that post-filtering keeps). ")
why += (f"Iterative probing opened {it.lists_opened[j]} lists for this query and returned "
        f"{it.returned[j]}, at {int(it.distance_computations[j]):,} distance computations against "
        f"{int(post.distance_computations[j]):,}.")
st.markdown(why)

left, right = st.columns(2)
show.chart(figures_practice.strategy_bars(runs, k, f"How many results each query got ({chosen_name})"),
           key="ft_returned", where=left)
sel_runs = runs_all[: len(SELECTIVITIES)]
names = list(runs)
show.chart(figures_practice.by_selectivity(
    SELECTIVITIES, {n: [float(r[n].recall.mean()) for r in sel_runs] for n in names},
    f"recall@{k}", "Recall as the filter narrows (random category)",
    y_range=[0, 1.05]), key="ft_recall", where=right)
left2, right2 = st.columns(2)
show.chart(figures_practice.by_selectivity(
    SELECTIVITIES, {n: [float(r[n].returned.mean()) for r in sel_runs] for n in names},
    "results returned (mean)", "Results returned as the filter narrows", k=k), key="ft_count", where=left2)
show.chart(figures_practice.by_selectivity(
    SELECTIVITIES, {n: [float(r[n].distance_computations.mean()) for r in sel_runs] for n in names},
    "distance computations / query", "Work as the filter narrows (mean per query)"), key="ft_work", where=right2)
st.caption(
    f"Recall counts a returned vector when it is as near as the k-th nearest *matching* vector "
    f"(brute force over the matching vectors only; ties count alike); a query with fewer than "
    f"k matching vectors in the whole index is judged on those it has. Iterative probing stops "
    f"as soon as the opened lists hold k matching vectors, so a nearer match in the next list "
    f"can still be missed, and it opens at most {max_nprobe} lists. The category is random "
    f"(seed 0), so it has nothing to do with where a vector lies; the data's groups do, which is "
    f"why filtering on a group behaves differently. {ho.queries.shape[0]} queries held out of "
    f"the index, {ntotal:,} vectors indexed, nlist = {nlist}."
)
