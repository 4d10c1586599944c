import numpy as np
import streamlit as st

from ui import boot, cache, current, figures, fmt, show, state
from ui.settings import default_pq_m, pq_m_choices

boot.through_app()

st.title(":material/compress: IVF-PQ beside IVF-Flat")
show.explain(
    "IVF-Flat stores every vector as it is: 4 bytes per dimension. IVF-PQ stores a short code "
    "instead: each vector (or its **residual**, the vector minus its list's centroid) is cut "
    "into m pieces, and each piece is replaced by the number of its nearest entry in a small "
    "codebook learned by k-means. Memory drops by an order of magnitude or more; distances "
    "become approximate, so recall drops too. Try m and the code size, and compare encoding "
    "residuals with encoding the raw vectors."
)
ds = current.dataset()
km = current.training()
d = ds.d
choices = pq_m_choices(d)
c = st.columns(3)
with c[0]:
    m = state.widget("pq_m", st.select_slider, "m (sub-vectors per vector)", options=choices,
                     auto=default_pq_m(d), help=f"m must divide d = {d}; each sub-vector has d / m dimensions.")
with c[1]:
    state.widget("pq_nbits", st.select_slider, "bits per sub-vector code", options=list(range(1, 9)),
                 help="Each codebook has 2^bits entries.")
with c[2]:
    state.widget("topk", st.slider, "k (neighbours)", min_value=1, max_value=100)
nbits, k = state.get("pq_nbits"), state.get("topk")
spec, tkey = state.spec(), state.training_key()
if ds.n // 2 < 2**nbits:
    st.error(f"This dataset is too small for {2**nbits}-entry codebooks: use fewer bits.")
    st.stop()

n_queries = 100
flat = cache.held_out(spec, tkey, n_queries, k, ds.x, ds.groups, km.centroids)
REFINES = (2, 10)  # re-ranking factors drawn beside plain IVF-PQ (refine 1), residual codes only
runs, refined = {}, {}
for residual in (True, False):
    built = current.pq_index(n_queries, (m, nbits, residual), ds, km.centroids)
    # one scan per nprobe gives the plain sweep and the re-ranked ones
    sweeps = cache.pq_sweeps(spec, tkey, n_queries, k, (m, nbits, residual),
                             (1, *REFINES) if residual else (1,), built, flat)
    runs[residual] = cache.pq_held_out(built, flat, sweeps[1])
    if residual:
        refined = sweeps
pq = runs[True].index
rel = cache.pq_errors(spec, tkey, n_queries, m, nbits, {r: runs[r].index for r in runs})

mc = st.columns(4)
mc[0].metric("IVF-Flat: bytes per vector", f"{4 * d:,}")
mc[1].metric("IVF-PQ: bytes per vector", f"{pq.bytes_per_vector:,}",
             delta=f"{4 * d / pq.bytes_per_vector:,.0f}× smaller", delta_color="off", delta_arrow="off",
             help="The code only; both kinds also keep an 8-byte id per vector.")
mc[2].metric("Reconstruction error, residuals", fmt.percent(rel[True]),
             help="Mean squared distance from each vector to its decoded version, as a share "
                  "of the data's mean squared spread around its mean.")
mc[3].metric("Reconstruction error, raw vectors", fmt.percent(rel[False]))

curves = [("IVF-Flat", flat.sweep, "#4c78a8", "solid"),
          (f"IVF-PQ, residuals (m = {m}, {nbits} bits)", runs[True].sweep, "#e45756", "solid"),
          (f"IVF-PQ, raw vectors (m = {m}, {nbits} bits)", runs[False].sweep, "#e45756", "dash")]
curves += [(f"IVF-PQ, residuals, re-ranked (refine {r})", refined[r], color, "solid")
           for r, color in zip(REFINES, ("#b07aa1", "#6a3d9a"))]
left, right = st.columns(2)
show.chart(figures.recall_curves(curves, flat.sweep.n_total, f"Recall@{k} against nprobe"),
           key="pq_recall", where=left)

# The picture: a few vectors of the largest list, before and after encoding, in PCA.
proj = cache.projection(spec, "pca", ds.x)
big = int(np.argmax(pq.list_sizes))
members = pq.list_members(big)[:60]
panels = []
for residual, name in ((True, "residuals encoded"), (False, "raw vectors encoded")):
    dec = runs[residual].index.reconstruct(members)
    panels.append((name, proj.transform(pq.xb[members]), proj.transform(dec),
                   proj.transform(pq.centroids[big][None])))
show.chart(figures.residual_picture(
    panels, f"60 vectors of the largest list and their decoded versions (PCA)"),
    key="pq_picture", where=right)
res_err, raw_err = rel[True], rel[False]
if res_err < raw_err:
    verdict = (f"Here residuals cut the reconstruction error from {fmt.percent(raw_err)} to "
               f"{fmt.percent(res_err)} of the data's spread.")
else:
    verdict = (f"Here they do not: {fmt.percent(res_err)} with residuals against "
               f"{fmt.percent(raw_err)} raw. With "
               f"only {2**nbits} entries per {d // m}-dimensional piece, raw encoding can spend "
               "them on the data's largest split (on the chapter's exercise: dense ball against "
               "sparse halo), while the residuals around each centroid have no such split to "
               "capture; with more bits per piece residuals usually win again (try it).")
st.markdown(
    f"With **residual** encoding the codebooks only have to describe how vectors differ from "
    f"their own list's centroid, which is small; with **raw** encoding they must describe the "
    f"whole space with the same {2**nbits} entries per piece. {verdict} Red lines join each "
    f"vector to what the index remembers of it."
)
at = int(np.searchsorted(flat.sweep.nprobes, min(state.get("nprobe"), pq.nlist)))
at = min(at, len(flat.sweep.nprobes) - 1)
p_at = int(flat.sweep.nprobes[at])
st.markdown(
    f"**Why IVF-PQ recall levels off, and re-ranking.** The PQ distances are estimates, so the "
    f"true neighbours can be out-ranked by vectors whose codes merely look nearer: opening more "
    f"lists does not fix that. Re-ranking takes the k × refine best by PQ distance and sorts "
    f"them again by exact distance (FAISS's `IndexRefineFlat`, LanceDB's `refine_factor`). At "
    f"nprobe = {p_at}: recall {runs[True].sweep.recall[at]:.3f} without re-ranking, "
    + ", ".join(f"{refined[r].recall[at]:.3f} with refine {r}" for r in REFINES)
    + f", {flat.sweep.recall[at]:.3f} for IVF-Flat. The price is memory: the exact distances need "
    f"the raw vectors, {pq.refine_bytes:,} bytes ({4 * d:,} per vector, as much as IVF-Flat) kept "
    f"beside the {pq.bytes_per_vector * pq.ntotal:,} bytes of codes, and k × refine extra distance "
    "computations per query."
)
weighting = (f" ({fmt.weighting(ds.group_names, flat.shares)})" if len(ds.group_names) > 1
             else "")
st.caption(
    f"{len(flat.groups)} held-out queries{weighting}. A returned vector counts as found when "
    "its exact distance (not the PQ estimate) is within the k-th true neighbour's. The same "
    f"lists (nlist = {pq.nlist}, from the Train page's training) for all three indexes, so "
    "only the stored vectors differ. "
    + (f"PQ codebooks trained with this app's own k-means on a random sample of {pq.n_train:,} "
       f"of the {pq.ntotal:,} vectors ({cache.PQ_POINTS_PER_CODEWORD} per codebook entry; "
       "FAISS samples 256 by default); every vector is then encoded." if pq.n_train < pq.ntotal else
       f"PQ codebooks trained with this app's own k-means on all {pq.ntotal:,} vectors.")
)
