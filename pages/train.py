import streamlit as st

from ui import boot, cache, controls, current, figures, show, state, tables
from ui.settings import INERTIA_WORDS

boot.through_app()

st.title(":material/animation: Train: k-means places the centroids")
show.explain(
    "Training an IVF index means running k-means: every vector goes to its nearest centroid, "
    "then every centroid moves to the mean of its vectors, again and again until they stop "
    "moving. Press **▶ Play** (or drag the iteration slider) to watch the vectors change "
    "colour as lists form, the centroids travel, the inertia fall and the list sizes settle. "
    "Try k-means++ instead of random initialisation on the chapter's exercise, or the "
    "near-duplicates data with each empty-list strategy: watch lists empty out (✕) and get "
    "repaired (★) while training runs. Often even *keep*, which repairs nothing, ends with "
    "every list in use, because a centroid left in place can win vectors back later; the "
    "Failure-mode lab compares the four side by side."
)
controls.training_controls()
controls.projection_control()

ds = current.dataset()
proj = current.projection()
progress_slot = st.empty()  # above the chart, so the progress stays in view
slot = st.empty()
title = f"{ds.name}, nlist = {state.get('nlist')}, {state.get('init')} init, {state.metric()}"


def first_frame(step, total):
    """Draw iteration 0 while the remaining iterations are still being computed."""
    paths = proj.transform(step.centroids)[None]
    fig = figures.training_animation(proj.points, proj.sample_ids, [step], paths, title,
                                     playing_total=total + 1)
    show.chart(fig, key="train_first_frame", where=slot)


km = current.training(on_first_step=first_frame, progress_slot=progress_slot)
paths = current.centroid_paths(km, proj)
fig = cache.training_figure(state.spec(), state.training_key(), proj.method, title, proj, km, paths)
show.chart(fig, key="train_chart", where=slot)

c = st.columns(5)
c[0].metric("Iterations", km.n_iter)
c[1].metric("Converged", "yes" if km.converged else "no",
            help="No means training stopped at max_iter before the shift fell below the tolerance.")
c[2].metric("Final inertia", f"{km.inertia:,.5g}")
c[3].metric("Empty lists at the end", int((km.sizes == 0).sum()))
c[4].metric("Repairs made", sum(len(s.repairs) for s in km.history))
for w in km.warnings:
    st.warning(w)
repairs = [(s.iteration, r.cluster, r.strategy, r.source) for s in km.history for r in s.repairs]
if repairs:
    with st.expander(f"Every empty-list repair ({len(repairs)})"):
        it, lst, how, src = zip(*repairs)
        tables.table({"iteration": it, "list": lst, "strategy": how,
                      "from (vector id, or list split)": src}, hide_index=True)
n_drawn, n = len(figures.animated_sample(len(proj.sample_ids))), len(ds.x)
drawn_words = (f"The picture draws all {n:,} vectors." if n_drawn == n else
               f"The picture draws {n_drawn:,} of the {n:,} vectors, chosen at random (fewer points "
               f"keep the animation smooth); the lists, list sizes, inertia and every number here "
               f"use all {n:,}.")
st.caption(
    f"Inertia is {INERTIA_WORDS[state.metric()]}; the shift is "
    "how far all centroids moved together in one iteration (the stopping rule compares it "
    "with the tolerance). ✕ marks a list left empty at that iteration, ★ a list repaired in "
    f"it. {drawn_words} "
    "Drag a box on the picture to zoom in (double-click to zoom out): on the chapter's "
    "exercise the dense ball is small in this view but holds 90% of the vectors."
)
