import numpy as np
import streamlit as st

from ui import boot, cache, controls, current, figures, file_queries, fmt, metric_section, show, state, tables
from ui.settings import HELD_OUT_PER_GROUP

boot.through_app()

# One dash style per group; with more groups than styles the dashed curves would be
# ambiguous (and unreadable), so they are left out and the page says so.
GROUP_DASHES = ("dash", "dot", "dashdot", "longdash")

st.title(":material/show_chart: Recall vs work")
show.explain(
    "Every query pays for its nprobe: more lists opened means more distance computations and "
    "more true neighbours found. These curves sweep nprobe over queries **held out** of the "
    "index and plot recall@k against nprobe and against the work done, with brute force "
    "(every vector compared, recall 1) as the reference. Compare two trainings and, when the "
    "data has a few generating groups, the dashed per-group curves: on the chapter's "
    "exercise, dense-ball queries need far more work than sparse ones for the same recall."
)
ds = current.dataset()
b_over = controls.comparison_controls()
from_file = ds.queries is not None  # the file's own queries (and truth) replace held-out ones
c = st.columns(3)
with c[0]:
    if from_file:
        st.caption(f"Queries: your file's {len(ds.queries):,} (none held out of the index).")
    else:
        state.widget("rq", st.select_slider, "Held-out queries per group", options=list(HELD_OUT_PER_GROUP))
with c[1]:
    state.widget("topk", st.slider, "k (neighbours)", min_value=1, max_value=100)
controls.metric_control(c[2])
k, n_queries = state.get("topk"), state.get("rq")

n_groups = len(ds.group_names)
draw_groups = 1 < n_groups <= len(GROUP_DASHES)
curves, colors = [], figures.palette(2)
rows, group_rows = [], []
for (name, over), color in zip((("A", {}), ("B", b_over)), colors):
    km = current.training(over)
    if from_file:
        ho = cache.file_held_out(state.spec(), state.training_key(over), k, ds, km.centroids)
    else:
        ho = cache.held_out(state.spec(), state.training_key(over), n_queries, k, ds.x, ds.groups,
                            km.centroids)
    sw, qgroups = ho.sweep, ho.groups
    label = f"{name}: {controls.describe_training(over)} (all queries)"
    curves.append((label, sw, color, "solid"))
    for g in range(n_groups if n_groups > 1 else 0):
        if not (qgroups == g).any():
            continue
        sub = sw.for_queries(qgroups == g)
        if draw_groups:
            curves.append((f"{name}, {ds.group_names[g]} queries", sub, color, GROUP_DASHES[g]))
        group_rows.append({"index": name, "queries": ds.group_names[g],
                           **{f"nprobe {int(p)}": round(float(r), 3)
                              for p, r in zip(sub.nprobes, sub.recall)}})
    for i, p in enumerate(sw.nprobes):
        rows.append({"index": name, "nprobe": int(p), f"recall@{sw.k}": round(float(sw.recall[i]), 3),
                     "distance computations": int(round(sw.distance_computations[i])),
                     "speed-up vs brute force": round(sw.n_total / sw.distance_computations[i], 1)})

left, right = st.columns(2)
show.chart(figures.recall_curves(curves, sw.n_total, "Recall against nprobe"), key="by_nprobe", where=left)
show.chart(figures.recall_curves(curves, sw.n_total, "Recall against work", by="work"),
           key="by_work", where=right)

per_group = np.bincount(qgroups, minlength=n_groups)
if n_groups == 1:
    held = f"{per_group[0]}"
elif (per_group == per_group[0]).all():
    held = f"{per_group[0]} from each of the {n_groups} groups"
else:
    held = "; ".join(f"{ds.group_names[g]}: {per_group[g]}" for g in range(n_groups))
if n_groups == 1:
    groups_note = "The data has a single generating group, so there are no per-group curves."
elif draw_groups:
    groups_note = (f"Dashed and dotted: one curve per generating group ({n_groups} groups, "
                   "each with its own line style and marker), in the colour of its training.")
else:
    groups_note = (f"The data has {n_groups} generating groups, more than the "
                   f"{len(GROUP_DASHES)} line styles that keep per-group curves apart, so none "
                   "are drawn: the solid curves average over all the groups' queries. Each group's "
                   "recall is in the second table under \"The numbers behind the curves\".")
weighting = ""
if n_groups > 1:
    weighting = (f"The solid \"all queries\" curves and the first table below average the "
                 f"queries {fmt.weighting(ds.group_names, ho.shares)}, so they show the recall "
                 "of queries drawn as the data is, whatever the number held out per group. ")
if from_file:
    for line in file_queries.warnings(ho.given):
        st.warning(line)
    st.caption(file_queries.caption(ho.given, sw.n_total))
else:
    st.caption(
        f"{len(qgroups)} queries held out of the index ({n_queries} per group asked for, at most "
        f"half of a group; held out: {held}), searched against {sw.n_total:,} indexed vectors. The "
        f"centroids come from the training on the Train page. {weighting}{groups_note} A returned "
        "vector as near as the k-th true neighbour counts as found, even when brute force kept "
        "another vector at that same distance."
    )
with st.expander("The numbers behind the curves"):
    tables.table(rows, hide_index=True)
    if group_rows:
        st.markdown(f"Recall@{sw.k} of each group's held-out queries, by nprobe:")
        tables.table(group_rows, hide_index=True)

metric_section.draw(ds, n_queries, k)
