import streamlit as st

from ui import boot, cache, controls, current, figures, state
from ui.settings import HELD_OUT_PER_GROUP

boot.through_app()

st.title(":material/show_chart: Recall vs work")
st.markdown(
    "Every query pays for its nprobe: more lists opened means more distance computations and "
    "more true neighbours found. These curves sweep nprobe over queries **held out** of the "
    "index and plot recall@k against nprobe and against the work done, with brute force "
    "(every vector compared, recall 1) as the reference. Compare two trainings, and read the "
    "dashed per-group curves: on the chapter's exercise, dense-ball queries need far more "
    "work than sparse ones for the same recall."
)
ds = current.dataset()
b_over = controls.comparison_controls()
c = st.columns(2)
with c[0]:
    state.widget("rq", st.select_slider, "Held-out queries per group", options=list(HELD_OUT_PER_GROUP))
with c[1]:
    state.widget("topk", st.slider, "k (neighbours)", min_value=1, max_value=100)
k, n_queries = state.get("topk"), state.get("rq")

curves, colors = [], figures.palette(2)
rows = []
for (name, over), color in zip((("A", {}), ("B", b_over)), colors):
    km = current.training(over)
    ho = cache.held_out(state.spec(), state.training_key(over), n_queries, k, ds.x, ds.groups,
                        km.centroids)
    sw, qgroups = ho.sweep, ho.groups
    label = f"{name}: {controls.describe_training(over)} (all queries)"
    curves.append((label, sw, color, "solid"))
    if len(ds.group_names) > 1:
        for g, dash in zip(range(len(ds.group_names)), ("dash", "dot", "dashdot", "longdash")):
            sub = sw.for_queries(qgroups == g)
            curves.append((f"{name}, {ds.group_names[g]} queries", sub, color, dash))
    for i, p in enumerate(sw.nprobes):
        rows.append({"index": name, "nprobe": int(p), f"recall@{sw.k}": round(float(sw.recall[i]), 3),
                     "distance computations": int(round(sw.distance_computations[i])),
                     "speed-up vs brute force": round(sw.n_total / sw.distance_computations[i], 1)})

left, right = st.columns(2)
left.plotly_chart(figures.recall_curves(curves, sw.n_total, "Recall against nprobe"), key="by_nprobe")
right.plotly_chart(figures.recall_curves(curves, sw.n_total, "Recall against work", by="work"),
                   key="by_work")
st.caption(
    f"{len(qgroups)} queries held out of the index ({n_queries} per group, at most half of "
    "a group); the centroids come from the training on the Train page. Group curves (dashed) "
    "only appear when the dataset has more than one generating group."
)
with st.expander("The numbers behind the curves"):
    st.dataframe(rows, hide_index=True)
