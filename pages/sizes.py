import numpy as np
import streamlit as st

import ivfcore
from ui import boot, controls, current, figures, fmt, show, tables

boot.through_app()

st.title(":material/bar_chart: Cluster sizes: how evenly the lists fill")
show.explain(
    "A query scans every vector in the lists it probes, so the size of those lists *is* its "
    "cost. Even lists mean every query pays about n / nlist per probed list; uneven lists "
    "make queries that land in a big list slow. Below, the current training (A) sits beside "
    "a second one (B) on the same data: by default B uses k-means++ initialisation, so on "
    "the chapter's exercise you can see where the centroids go."
)

ds = current.dataset()
b_over = controls.comparison_controls()
log = st.toggle("Log scale for list sizes", value=False,
                help="Useful when a few lists are huge. The stacked 'What fills each list' "
                     "stays linear: stacked bars cannot be read on a log scale.")
runs = [("A", {}), ("B", b_over)]

cols = st.columns(2)
for col, (name, over) in zip(cols, runs):
    with col:
        km = current.training(over)
        s = ivfcore.size_stats(km.sizes)
        st.subheader(f"{name}: {controls.describe_training(over)}")
        st.code(
            f"Cluster size stats: min={s.min}, max={s.max}, std={s.std:.1f}\n"
            f"Largest 5 clusters: {list(s.largest)}",
            language=None, wrap_lines=True,
        )
        m = st.columns(3)
        m[0].metric("Imbalance factor", f"{s.imbalance_factor:.2f}",
                    help="FAISS's k·Σnᵢ² / n²: 1.0 = perfectly even lists.")
        m[1].metric("Empty lists", s.n_empty)
        m[2].metric("Scan per probe", f"{s.expected_scan:,.0f}",
                    help="Expected size of the list a query drawn from the data lands in: Σnᵢ² / n.")
        for w in km.warnings:  # e.g. too few vectors per list for B's nlist
            st.warning(w)
        st.markdown(
            f"An even split means n / nlist = **{fmt.average(s.mean)}** vectors per list. A "
            f"query drawn from the data lands, on average, in a list of "
            f"**{s.expected_scan:,.0f}** — "
            f"{s.imbalance_factor:.2f}× the even share — and one that lands in the largest "
            f"list scans **{s.max:,}** at nprobe = 1."
        )
        occ = ivfcore.group_occupancy(km.labels, ds.groups, km.k, len(ds.group_names))
        top_group = occ.argmax(axis=1)
        majority = np.bincount(top_group[occ.sum(axis=1) > 0], minlength=occ.shape[1])
        colors = np.array(figures.palette(len(ds.group_names)))[top_group]
        show.chart(figures.sorted_sizes(km.sizes, "Every list, largest first (colour: the "
                                        "group filling most of it)", log=log, colors=colors),
                   key=f"sorted_{name}")
        show.chart(figures.size_histogram(km.sizes, "How many lists have each size", log=log),
                   key=f"hist_{name}")
        tables.table(
            {"group": ds.group_names, "vectors": ds.group_counts(),
             "lists holding any": (occ > 0).sum(axis=0),
             "lists where it is the majority": majority},
            hide_index=True,
        )
        if len(ds.group_names) > 1:
            show.chart(figures.group_occupancy(occ, ds.group_names, "What fills each list"),
                       key=f"occ_{name}")
st.caption(
    "The printout matches the chapter's exercise code (min, max, standard deviation, largest "
    "five). 'Lists where it is the majority' counts centroids that sit among that group's "
    "vectors: on the exercise data, compare how many centroids the dense 90% gets under "
    "random and k-means++ initialisation."
)
