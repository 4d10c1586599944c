import streamlit as st

from ui import boot, controls, current, figures, show, state, tables

boot.through_app()

st.title(":material/scatter_plot: Dataset")
show.explain(
    "An IVF index is only as good as the match between its lists and the shape of the data. "
    "Pick the data here: evenly spread blobs, a dense ball with a sparse halo (the chapter's "
    "exercise), shapes k-means cannot describe, exact copies, real digit images, or your own "
    "vectors. The picture is a 2-D projection coloured by where each vector came from; "
    "every other page uses this dataset."
)
controls.preset_button()
controls.dataset_controls()
if state.get("kind") == "upload" and not st.session_state.get("_upload"):
    st.stop()

ds = current.dataset()
c = st.columns([1, 1, 1, 3])
c[0].metric("Vectors (n)", f"{ds.n:,}")
c[1].metric("Dimensions (d)", ds.d)
c[2].metric("Groups", len(ds.group_names))
with c[3]:
    counts = ds.group_counts()
    tables.table(
        {"group": ds.group_names, "vectors": counts, "share": [f"{v / ds.n:.1%}" for v in counts]},
        hide_index=True, height=min(220, 38 + 35 * len(counts)),
    )
st.caption(state.escape(ds.description))  # an upload's description names its files
nlist = state.get("nlist")
if ds.n < 39 * nlist:
    st.warning(f"With nlist = {nlist:,} this dataset has fewer than 39 vectors per list "
               f"({ds.n / nlist:.1f}): k-means will estimate the centroids poorly. Use fewer "
               f"lists or more vectors.")
if nlist > ds.n:
    st.error(f"nlist = {nlist:,} is larger than n = {ds.n:,}: choose fewer lists on the Train page.")

controls.projection_control()
proj = current.projection()
fig = figures.dataset_view(proj.points, proj.sample_ids, ds.groups[proj.sample_ids],
                           ds.group_names, proj.method, ds.name, names=ds.item_names)
show.chart(fig, key="dataset_chart")
if proj.points.shape[0] < ds.n:
    st.caption(f"Showing a random {proj.points.shape[0]:,} of the {ds.n:,} vectors; "
               "every computation uses all of them.")
