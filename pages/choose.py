import io

import numpy as np
import streamlit as st

import ivfcore
from ivfcore import tuning
from ui import boot, controls, current, export, fmt, practice, show, state, tables
from ui import figures_practice as figs
from ui.settings import CHOOSE_QUERIES, CHOOSE_SAMPLES

boot.through_app()

SAMPLE_WORDS = {39: "39 per list (FAISS's warning)", 256: "256 per list (FAISS's default)", 0: "every row"}
MAX_VECTORS_DOWNLOAD = 64 * 2**20  # bytes of the dataset offered as vectors.npy

st.title(":material/tune: Choose nlist and nprobe")
show.explain(
    "Rules of thumb give a first nlist; then nprobe is raised until recall is good enough. "
    "This page measures instead, on your data: it trains an index for each nlist around the "
    "usual rules (√n/4, √n/2, √n, 4√n and 16√n, at most n/39 so every list gets 39 vectors, "
    "plus your own nlist and pgvector's), searches held-out queries at every nprobe, and finds "
    "the cheapest (nlist, nprobe) that reaches your target recall. **Work** is what a query "
    "pays: comparing itself with all nlist centroids, plus the vectors in the lists it opens."
)
ds = current.dataset()
n = len(ds.x)
c = st.columns(4)
with c[0]:
    target = state.widget("ch_target", st.slider, "Target recall@k", min_value=0.5, max_value=0.99, step=0.01)
with c[1]:
    k = state.widget("ch_k", st.slider, "k (neighbours)", min_value=1, max_value=100)
with c[2]:
    n_queries = state.widget("ch_q", st.select_slider, "Held-out queries", options=list(CHOOSE_QUERIES))
with c[3]:
    extra = state.widget("ch_extra", st.number_input, "Another nlist (0: none)", min_value=0,
                         max_value=4096, help="Add one more nlist to the grid.")
with st.expander("How each nlist is trained, and the metric"):
    e = st.columns(3)
    controls.metric_control(e[2])
    with e[0]:
        state.widget("ch_iter", st.number_input, "k-means iterations", min_value=1, max_value=100,
                     help="FAISS trains an IVF index with 10.")
    with e[1]:
        state.widget("ch_mpc", st.selectbox, "Training rows", options=list(CHOOSE_SAMPLES),
                     format_func=SAMPLE_WORDS.get)
    st.markdown(
        "As FAISS does by default, k-means trains on a random sample of 256 rows per list "
        "when the data has more (then every row is put in the list of its nearest centroid). "
        "That is fair, since 256 vectors place a centroid about as well as thousands, and "
        "fast: the large nlists train on all rows anyway. Init, empty-list repair, tolerance "
        "and seed are those of the **2 · Train** page."
    )

rules = tuning.rules(n)
own = state.get("nlist")
nlists = tuning.nlist_grid(n, extra=[own, rules.pgvector_lists] + ([extra] if extra else []))
metric = practice.current_metric(ds)
metric_words = practice.METRIC_WORDS[metric]
q = practice.queries(ds, n_queries, k, metric)
points = practice.grid(ds, nlists, n_queries, k, q, rules, metric)
curves = [p.curve for _, p in points]
trainings = {int(c.nlist): tr for c, (tr, _) in zip(curves, points)}
k = curves[0].k
front = tuning.pareto_front(curves)
best = tuning.cheapest(curves, target)
per = tuning.cheapest_per_nlist(curves, target)


def at(nlist, nprobe):
    """The grid's pair (nlist, nprobe) as a Choice."""
    cv = next(c for c in curves if c.nlist == nlist)
    i = cv.at(nprobe)
    return tuning.Choice(nlist, nprobe, float(cv.recall[i]), float(cv.scanned[i]))


m = st.columns(5)
if best is None:
    st.warning(f"No (nlist, nprobe) on the grid reaches recall {target:.2f}.")
else:
    m[0].metric("Cheapest nlist", f"{best.nlist:,}")
    m[1].metric("its nprobe", f"{best.nprobe:,}")
    m[2].metric(f"Recall@{k}", f"{best.recall:.3f}")
    m[3].metric("Distance computations", f"{best.work:,.0f}",
                help=f"{best.nlist:,} centroids + {best.scanned:,.0f} vectors scanned, per query (mean)")
    m[4].metric("Speed-up vs brute force", fmt.ratio(q.keep.size / best.work))

pg = at(rules.pgvector_lists, rules.pgvector_probes)
first = [at(c.nlist, tuning.Rules.first_nprobe(c.nlist)) for c in curves]
marks = [(f"pgvector: lists = {pg.nlist:,}, probes = {pg.nprobe}", [pg], "diamond"),
         ("first nprobe = nlist / 16", first, "circle")]
show.chart(figs.recall_vs_work(curves, front, best, target, marks, own,
                                    f"Recall@{k} against work, every nprobe of every nlist"), key="ch_work")
faiss_range = [int(v) for v in nlists if rules.faiss_low <= v <= rules.faiss_high]
st.caption(
    f"{len(q.xq)} queries held out of the index ({fmt.weighting(ds.group_names, q.shares)}), "
    f"searched against {q.keep.size:,} indexed vectors ({metric_words}) at every nprobe from 1 to "
    f"{min(64, int(nlists.max()))}, then in growing steps up to nlist. The dashed line is the Pareto "
    "front: no pair on the grid gets more recall for less work. FAISS suggests nlist from "
    f"4√n = {rules.faiss_low:,} to 16√n = {rules.faiss_high:,}"
    + (f" (on the grid: {', '.join(f'{v:,}' for v in faiss_range)})." if faiss_range
       else f": with {n:,} vectors that leaves fewer than 39 vectors per list, so the grid stops at "
            f"{tuning.max_nlist(n):,}.")
)

left, right = st.columns(2)
show.chart(figs.work_split(per, target, own, f"Work at recall {target:.2f}: the centroids "
                                  "are work too"), key="ch_split", where=left)
timed = []
for c, (_, p) in zip(curves, points):
    timed.append((c.nlist, p.timed_nprobes, c.recall[np.searchsorted(c.nprobes, p.timed_nprobes)],
                  p.ms_per_query))
show.chart(figs.time_vs_recall(timed, own, "Measured time per query"), key="ch_ms", where=right)
reach = {nl: ch for nl, ch in per.items() if ch is not None}
if reach:
    big = max(reach)
    st.markdown(
        f"More lists make each list smaller, so fewer vectors are scanned for the same recall, "
        f"but every query first compares itself with **all** nlist centroids. At nlist = "
        f"{big:,} that alone is {big:,} computations ({big / reach[big].work:.0%} of its work at "
        f"recall {target:.2f}): past a point the centroid part grows faster than the scan "
        "shrinks. Times are measured once on this server, on one thread, over "
        f"{min(len(q.xq), 50)} queries, at nprobe = 1, 4, 16, … (powers of four), nlist / 16 and nlist, the best of two runs; they follow the work, plus a "
        "fixed cost per list opened."
    )

rows = []
front_keys = {(f.nlist, f.nprobe) for f in front}
for c, (_, p) in zip(curves, points):
    ms = dict(zip(p.timed_nprobes.tolist(), p.ms_per_query.tolist()))
    for i, pr in enumerate(c.nprobes):
        rows.append({"nlist": c.nlist, "nprobe": int(pr), f"recall@{k}": round(float(c.recall[i]), 4),
                     "centroid comparisons": c.nlist, "vectors scanned": round(float(c.scanned[i]), 1),
                     "distance computations": round(float(c.work[i]), 1),
                     "ms per query (measured)": round(ms[int(pr)], 4) if int(pr) in ms else None,
                     "on the Pareto front": (c.nlist, int(pr)) in front_keys})
st.subheader("Where the rules of thumb land")
rule_rows = [("pgvector", pg)] + [("nprobe = nlist / 16", ch) for ch in first]
rule_table = [{"rule": name, "nlist": ch.nlist, "nprobe": ch.nprobe, f"recall@{k}": round(ch.recall, 3),
               "work": round(ch.work),
               f"nprobe for {target:.2f}": per[ch.nlist].nprobe if per[ch.nlist] else None,
               f"work for {target:.2f}": round(per[ch.nlist].work) if per[ch.nlist] else None}
              for name, ch in rule_rows]
tables.table(rule_table, hide_index=True)
st.caption(
    "pgvector's rule: lists = rows / 1000 up to 1M rows (√rows above), probes = √lists. "
    f"Work: distance computations per query (nlist centroids + vectors scanned); the last two "
    f"columns give the smallest nprobe of that nlist reaching recall {target:.2f} and its work."
)
with st.expander(f"Every (nlist, nprobe) measured ({len(rows):,} rows)"):
    tables.table(rows, hide_index=True)
buf = io.StringIO()
buf.write(",".join(rows[0]) + "\n")
for r in rows:
    buf.write(",".join("" if v is None else str(v) for v in r.values()) + "\n")
st.download_button("Download the table (CSV)", buf.getvalue(), file_name="nlist_nprobe.csv",
                   mime="text/csv", on_click="ignore", icon=":material/download:")

if best is not None:
    st.subheader(f"The choice written out: nlist = {best.nlist:,}, nprobe = {best.nprobe}")
    tabs = st.tabs(["FAISS", "pgvector", "Milvus", "Rebuild this exact index"])
    tabs[0].code(export.faiss_snippet(best.nlist, best.nprobe, ds.d, metric), language=None)  # plain: the highlighter's colours fail contrast
    tabs[1].code(export.pgvector_snippet(best.nlist, best.nprobe, metric), language=None)
    tabs[2].code(export.milvus_snippet(best.nlist, best.nprobe, metric), language=None)
    with tabs[3]:
        centroids = trainings[best.nlist].km.centroids
        st.markdown(
            f"A script that builds this index in FAISS with the app's own {best.nlist:,} centroids "
            f"(no training of its own): every vector lands in the same list, and at nprobe = "
            f"{best.nprobe} it returns the ids ivfcore returns. It needs your vectors as a .npy "
            "file, rows in the same order."
        )
        d = st.columns(3)
        d[0].download_button("Script (.py)", export.faiss_script(best.nlist, best.nprobe, ds.d, k, metric),
                             file_name=export.SCRIPT_NAME, mime="text/x-python", on_click="ignore")
        d[1].download_button("Centroids (.npy)", lambda: export.npy_bytes(centroids),
                             file_name=export.CENTROIDS_NAME, on_click="ignore")
        if ds.x.nbytes <= MAX_VECTORS_DOWNLOAD:
            d[2].download_button(f"The {n:,} vectors (.npy, {ds.x.nbytes / 2**20:.0f} MB)",
                                 lambda: export.npy_bytes(ds.x), file_name=export.VECTORS_NAME,
                                 on_click="ignore")
        else:
            d[2].caption(f"The vectors ({ds.x.nbytes / 2**20:,.0f} MB) are too large to download "
                         "here: save your own copy with numpy.save.")

    st.subheader("Training on a sample")
    st.markdown(
        f"FAISS trains k-means on at most 256 rows per list and warns below 39. Here the chosen "
        f"nlist = {best.nlist:,} is trained three ways: on 39 × nlist random rows, on 256 × nlist "
        "and on every row. Each result then puts **all** rows in the list of their nearest "
        f"centroid; the table compares the training time, the inertia of all rows, how even the "
        f"lists are and recall@{k} at nprobe = {best.nprobe}."
    )
    if state.widget("ch_cmp", st.toggle, "Train the three samples and compare"):
        out = []
        for mpc in (39, 256, 0):
            gkey = practice.grid_key(best.nlist, metric, n, {"ch_mpc": mpc})
            tr = practice.training(ds, gkey, SAMPLE_WORDS[mpc])
            s = ivfcore.size_stats(tr.km.sizes)
            out.append({"trained on": SAMPLE_WORDS[mpc], "rows trained": tr.km.n_train,
                        "time (s)": round(tr.seconds, 2), "inertia, all rows": practice.inertia_text(tr.km.inertia),
                        "imbalance factor": round(s.imbalance_factor, 3),
                        f"recall@{k}": round(practice.sample_recall(
                            ds, gkey, n_queries, k, best.nprobe, q, tr.km.centroids), 4)})
        tables.table(out, hide_index=True)
        same = [r["trained on"] for r in out if r["rows trained"] == n]
        st.caption(
            "Sampled rows are drawn at random (seed of the Train page) from all "
            f"{n:,} vectors, the held-out queries included, as the grid's trainings are. "
            + (f"{' and '.join(same)} train on the same {n:,} rows here (the sample would not be "
               "smaller than the data): one training, shown twice. " if len(same) > 1 else "")
            + "Times are measured once, when each training first ran on this server."
        )
