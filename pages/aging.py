import streamlit as st

from ui import boot, current, figures, figures_practice, fmt, show, state
from ui.settings import AGING_FRACTIONS

boot.through_app()

CASES = {"shift": "new rows from a drifted distribution", "group": "a new group arrives",
         "empty": "pgvector's classic: index built on 200 rows, lists = 100"}

st.title(":material/update: An index that ages")
show.explain(
    "An IVF index is trained once. Rows inserted later go to the list of their nearest **old** "
    "centroid, however different they are from the data those centroids were trained on. Here "
    "the index is trained on the first rows and the rest arrive afterwards, without retraining. "
    "Move the slider to insert them and watch the lists fill unevenly, the scan cost grow and "
    "recall at a fixed nprobe change, then **rebuild** (retrain on every row now in the index) "
    "and compare."
)
ds = current.dataset()
groups_ok = len(ds.group_names) > 1
cases = [c for c in CASES if c != "group" or groups_ok]
if state.get("ag_case") not in cases:
    state.correct(ag_case="shift")
c = st.columns([2, 2])
with c[0]:
    state.widget("ag_case", st.radio, "What arrives after the index is built", options=cases,
                 format_func=CASES.get)
with c[1]:
    state.widget("ag_frac", st.select_slider, "Share of the new rows inserted", options=list(AGING_FRACTIONS),
                 format_func=lambda f: f"{f:.0%}")
case, frac = state.get("ag_case"), state.get("ag_frac")
sc = current.aging_scenario(case, ds, state.get("nlist"))
k, nprobe = state.get("topk"), min(state.get("nprobe"), sc.nlist)
km = current.aging_training(case, sc, sc.n_initial)
points = current.aging_points(case, sc, km.centroids, "aged", AGING_FRACTIONS, nprobe, k)
p = points[AGING_FRACTIONS.index(frac)]

rebuilt = None
b = st.columns([1, 1, 2])
if not state.get("ag_rebuild"):
    b[0].button(":material/build: Rebuild the index", on_click=lambda: state.put(ag_rebuild=True),
                help="Retrain k-means on every row now in the index (pgvector: REINDEX).")
else:
    b[0].button(":material/undo: Back to the aged index", on_click=lambda: state.put(ag_rebuild=False))
    km_new = current.aging_training(case, sc, p.n_indexed)
    rebuilt = current.aging_points(case, sc, km_new.centroids, ("rebuilt", p.n_indexed), [frac], nprobe, k)[0]

st.subheader(f"{p.n_indexed:,} rows indexed ({sc.n_initial:,} trained on, "
             f"{p.n_indexed - sc.n_initial:,} inserted later), nlist = {sc.nlist}, nprobe = {nprobe}, k = {k}")


def delta(now, then, fmt_fn):
    return None if rebuilt is None else f"rebuilt: {fmt_fn(then)}"


mc = st.columns(4)
mc[0].metric("Imbalance factor", f"{p.imbalance_factor:.2f}",
             delta=delta(p.imbalance_factor, rebuilt and rebuilt.imbalance_factor, lambda v: f"{v:.2f}"),
             delta_color="off", help="FAISS's k·Σnᵢ²/n²: 1 = even lists.")
mc[1].metric("Vectors scanned per query", fmt.average(p.scanned),
             delta=delta(p.scanned, rebuilt and rebuilt.scanned, fmt.average), delta_color="off",
             help="Mean over the held-out queries, at this nprobe.")
mc[2].metric(f"Recall@{k} at nprobe = {nprobe}", f"{p.recall:.3f}",
             delta=delta(p.recall, rebuilt and rebuilt.recall, lambda v: f"{v:.3f}"), delta_color="off",
             help=f"{len(sc.queries)} held-out queries, against exact search over the rows indexed.")
mc[3].metric("Health check", f"{p.check:.3f}",
             delta=delta(p.check, rebuilt and rebuilt.check, lambda v: f"{v:.3f}"), delta_color="off",
             help="Recall of 100 sampled stored rows at this nprobe against nprobe = nlist.")

star = (lambda v: (frac, v)) if rebuilt is not None else (lambda v: None)
left, right = st.columns(2)
show.chart(figures_practice.aging_drift(
    AGING_FRACTIONS, {"imbalance factor": [q.imbalance_factor for q in points]},
    "imbalance factor", "Lists grow uneven as rows arrive",
    rebuilt=star(rebuilt.imbalance_factor if rebuilt else None), fmt_y=".2f"), key="ag_imbalance", where=left)
show.chart(figures_practice.aging_drift(
    AGING_FRACTIONS, {f"recall@{k}, held-out queries": [q.recall for q in points],
                      "health check (sampled rows)": [q.check for q in points]},
    f"recall@{k} at nprobe = {nprobe}", "Recall at a fixed nprobe",
    rebuilt=star(rebuilt.recall if rebuilt else None), fmt_y=".3f"), key="ag_recall", where=right)
left2, right2 = st.columns(2)
show.chart(figures_practice.aging_drift(
    AGING_FRACTIONS, {"vectors scanned per query": [q.scanned for q in points]},
    "vectors scanned per query", "Scan cost at a fixed nprobe",
    rebuilt=star(rebuilt.scanned if rebuilt else None), fmt_y=",.0f"), key="ag_scan", where=left2)
sizes = rebuilt.list_sizes if rebuilt is not None else p.list_sizes
show.chart(figures.sorted_sizes(
    sizes, f"List sizes, {'rebuilt' if rebuilt is not None else 'aged'} index, {frac:.0%} of the new rows in"),
    key="ag_sizes", where=right2)

worse = p.check < points[0].check - 0.02
st.markdown(
    "**The check practitioners run.** Without held-out queries, take about 100 rows already in "
    "the table, search each at the nprobe in use and again with every list open "
    "(`nprobe = nlist`, which is exact for IVF-Flat), and count the shared results. Here it reads "
    f"**{p.check:.3f}** now against **{points[0].check:.3f}** before any new row arrived"
    + ("; a drop like this one is the signal to rebuild." if worse else
       "; it has not dropped, but watch the scan cost: a few swollen lists make every query that "
       "lands in them slower.")
)
note = {
    "shift": "Half of the rows (at random) train the index; the other half arrive moved by twice "
             "the data's spread in one random direction, so the old centroids do not describe them.",
    "group": f"Every group but the last trains the index; the group \"{ds.group_names[-1]}\" arrives "
             "afterwards." if groups_ok else "",
    "empty": "200 random rows train 100 lists (2 rows per centroid), as when an index is created on "
             "a nearly empty table; every other row arrives afterwards. pgvector's documentation says "
             "to create the index once the table has data for this reason.",
}[case]
st.caption(
    f"{note} {len(sc.queries)} queries are held out of the index, drawn from the first and the "
    "arriving rows in proportion. Recall counts a returned vector as near as the k-th true "
    "neighbour as found (ties count alike). k-means uses the Train page's settings (init, "
    "iterations, seed); the rebuilt index trains the same way on every row indexed."
)
