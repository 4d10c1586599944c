import numpy as np
import streamlit as st

from ui import boot, cache, controls, current, figures, fmt, query, results, show, state, tables

boot.through_app()

st.title(":material/travel_explore: Search: what a query scans, finds and misses")
show.explain(
    "A query is compared with all nlist centroids, opens the **nprobe** nearest lists and "
    "computes exact distances only to the vectors stored there. **Click any point** to make "
    "it the query, or pick one with the buttons below. Coloured points were scanned, grey ones never looked "
    "at; green circles are true neighbours found, orange squares results that are not true "
    "neighbours, red crosses true neighbours missed because their list was not probed. Raise nprobe and watch recall and cost grow together."
)

ds = current.dataset()
metric = controls.metric_control(st.columns(2)[0])
index = current.index()
controls.search_controls(index.nlist)
value = results.value_label(metric)

pick = st.columns([1, 1, 1.3, 1])
seed = int(np.random.default_rng().integers(1 << 30))  # a new draw per click
pick[0].button(":material/casino: Random data vector", on_click=lambda: state.put(q=f"id:{query.random_id(ds, seed)}"))
with pick[2]:
    g = st.selectbox("Random vector from group", range(len(ds.group_names)),
                     format_func=lambda i: ds.group_names[i], label_visibility="collapsed")
pick[1].button(":material/casino: Random from this group →",
               on_click=lambda: state.put(q=f"id:{query.random_id(ds, seed, g)}"))
pick[3].button(":material/auto_awesome: Fresh random vector", on_click=lambda: state.put(q=f"new:{seed % 100000}"))

controls.query_boxes(ds)

q = state.checked_query(ds.n, ds.d, ds.item_names)
word = q.partition(":")[2] if q.startswith("word:") else None
qvec, qdesc, qid = query.resolve(q, ds, cache.data_spread(state.spec(), ds.x),
                                 state.word_id(word, ds.item_names) if word else None)
with current.shown_errors():
    tr = index.trace(qvec, k=state.get("topk"), nprobe=state.get("nprobe"), exclude_id=qid)

proj = current.projection()
# A result counts as found when it is as near as the k-th true neighbour (ties count alike).
found = tr.result_ids[tr.result_hits].tolist()
wrong = tr.result_ids[~tr.result_hits].tolist()
stand_ins = len(set(found) - set(tr.true_ids.tolist()))
layers = {
    name: (proj.transform(ds.x[ids]) if ids else np.empty((0, 2), np.float32), np.asarray(ids, int))
    for name, ids in (("found", found), ("wrong", wrong), ("missed", tr.missed_ids.tolist()))
}
layers["query"] = proj.transform(qvec[None])
labels = index.labels[proj.sample_ids]
centroid_xy = proj.transform(index.centroids)


def on_click():
    vid = query.clicked_id(st.session_state["search_chart"].selection)
    if vid is not None:
        state.put(q=f"id:{vid}")


head = st.columns([3, 1])
head[0].markdown(f"**Query:** {state.escape(qdesc)}")
if qid is not None:
    head[0].caption(
        f"Vector {qid} is stored in the index, so it is left out of its own results and of its "
        "own true neighbours (the search and brute force each ask for one more and drop it), "
        "as the Recall page holds its queries out of the index. Its list is still opened and "
        "the vector itself still scanned: it counts in *Candidates scanned*.")
with head[1]:
    state.widget("zoom", st.toggle, "Zoom in on the query",
                 help="Frame the chart on the query, the probed lists and the neighbours. Off: "
                      "all the data (on the chapter's exercise the dense ball is then a dot).")
fig = figures.search_view(proj.points, proj.sample_ids, labels, centroid_xy, tr, layers,
                          f"k = {tr.k}, nprobe = {tr.nprobe} of nlist = {tr.nlist}",
                          zoom=state.get("zoom"), names=ds.item_names)
show.chart(fig, key="search_chart", on_select=on_click, selection_mode="points")
st.html(f'<div style="font-size:0.9rem;margin-top:-0.5rem">'
        f'{figures.search_key({n: len(layers[n][1]) for n in ("found", "wrong", "missed")}, index.nlist)}</div>')

m = st.columns(5)
m[0].metric("Centroids compared", f"{tr.nlist:,}")
m[1].metric("Candidates scanned", f"{tr.n_candidates:,}",
            help="Vectors in the probed lists: each gets an exact distance.")
m[2].metric("Distance computations", f"{tr.n_distance_computations:,}",
            delta=f"brute force: {tr.n_total:,}", delta_color="off", delta_arrow="off")
m[3].metric("Speed-up vs brute force", fmt.ratio(tr.speedup))
m[4].metric(f"Recall@{tr.k}", f"{tr.recall:.0%}",
            help="Share of the true k nearest neighbours that the search returned; a returned "
                 "vector as near as the k-th true neighbour counts as one of them.")

if len(tr.result_ids) < tr.k:  # the probed lists hold fewer vectors than k: a ceiling, as with a filter
    st.info(
        f"**{fmt.count(len(tr.result_ids), 'result')}, not {tr.k}:** the {fmt.count(tr.nprobe, 'list')} "
        f"opened {'holds' if tr.nprobe == 1 else 'hold'} only {fmt.count(tr.n_candidates, 'vector')}"
        + (" (the query itself left out)" if tr.excluded_id >= 0 else "")
        + ". A search never returns more than its probed lists hold: raise nprobe, or see "
          "**12 · Filtered search**, where a filter makes the same ceiling much lower.")
if stand_ins:
    st.caption(
        f"{stand_ins} of the results {'is' if stand_ins == 1 else 'are'} not among brute "
        f"force's {tr.k} nearest but as near as its {tr.k}-th ({value} "
        f"{float(tr.true_distances[-1]):.4g}, within rounding): equally near vectors are "
        f"interchangeable, so {'it counts' if stand_ins == 1 else 'they count'} as found and the true "
        f"neighbour{'' if stand_ins == 1 else 's'} brute force kept instead "
        f"{'is' if stand_ins == 1 else 'are'} not missed.")
order = "largest first" if metric != "l2" else "smallest first"
st.markdown(f"**The {fmt.count(len(tr.result_ids), 'result')} returned**, nearest first ({value}, "
            f"{order}); *true rank* is its place among brute force's {tr.k} nearest.")
tables.table(results.returned(tr, index.labels, ds.item_names), hide_index=True)
if len(tr.missed_ids):
    st.markdown(f"**{fmt.count(len(tr.missed_ids), 'true neighbour')} missed** — each sat in a list that was not "
                "probed; *nprobe needed* is the rank of that list among the query's nearest "
                "centroids, the smallest nprobe that would have found it.")
    tables.table(results.missed(tr, ds.item_names), hide_index=True)
else:
    every = ("The true neighbour was" if len(tr.true_ids) == 1 else
             f"All {len(tr.true_ids):,} true neighbours were")
    st.success(f"{every} found by opening {tr.nprobe} of {fmt.count(tr.nlist, 'list')}.")
with st.expander("The probed lists, nearest centroid first"):
    tables.table(
        {"rank": np.arange(1, tr.nprobe + 1), "list": tr.probed,
         f"{value} to centroid": np.round(tr.centroid_distances[: tr.nprobe].astype(float), 4),
         "vectors scanned": index.list_sizes[tr.probed]},
        hide_index=True,
    )
