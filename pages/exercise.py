import numpy as np
import streamlit as st

import ivfcore
from ui import boot, cache, current, figures, lessons, show, state, tables
from ui.settings import EXERCISE_PRESET, dataset_spec

boot.through_app()

st.title(":material/school: The chapter's exercise, guided")
show.explain(
    "The chapter ends with an exercise: put 90% of the vectors in a tight ball and spread the "
    "other 10% across space, train an IVF index with 100 lists, and look at what happens to "
    "list sizes and to searches. This page walks through it one step at a time. Every number "
    "below is computed live from the data; make a prediction before you reveal each answer."
)
st.info("This page always uses the exercise's own settings (seed 0, 100 lists, up to 50 "
        "iterations, Euclidean distance), whatever the other pages are set to.")

SPEC = dataset_spec({**state.values(), **EXERCISE_PRESET})
NLIST, K = 100, 10
KEYS = {init: (NLIST, init, "reinit", 50, 1e-4, 0) for init in ivfcore.INITS}

# --- Step 1 -------------------------------------------------------------------------------
st.header("1 · Make the data by the chapter's recipe")
ds = cache.generated_dataset(SPEC)
dense, sparse = ds.groups == 0, ds.groups == 1
st.markdown(
    "Each **dense** vector is, coordinate by coordinate, a normal draw with standard "
    "deviation 0.5 plus a uniform draw from [0, 1): a ball around (0.5, …, 0.5). Each "
    "**sparse** vector is uniform over [0, 10) in every coordinate: a huge, thin cloud."
)
nn = cache.nearest_neighbour_distances(SPEC, 300, ds.x, ds.groups)
c = st.columns(4)
c[0].metric("Dense vectors", f"{dense.sum():,}")
c[1].metric("Sparse vectors", f"{sparse.sum():,}")
c[2].metric("Nearest neighbour, dense (median)", f"{np.median(nn[0]):.2f}")
c[3].metric("Nearest neighbour, sparse (median)", f"{np.median(nn[1]):.2f}")
st.markdown(
    f"A sparse vector's nearest neighbour is typically **{np.median(nn[1]) / np.median(nn[0]):.1f}×** "
    "farther away than a dense vector's: the two groups have very different density."
)

# --- Step 2 -------------------------------------------------------------------------------
st.header("2 · Train 100 lists, as the chapter does (random initialisation)")
runs = {init: current.training_for(SPEC, key, ds.x) for init, key in KEYS.items()}
km = runs["random"]
s = ivfcore.size_stats(km.sizes)
st.code(f"Cluster size stats: min={s.min}, max={s.max}, std={s.std:.1f}\n"
        f"Largest 5 clusters: {list(s.largest)}", language=None, wrap_lines=True)
st.markdown(
    f"Training ran {km.n_iter} iterations. An even split would be {s.mean:,.0f} per list; the "
    f"imbalance factor is **{s.imbalance_factor:.2f}** (1.0 = perfectly even)."
)


def sizes_chart(run, title, key):
    """Sorted list sizes, each bar coloured by the group that fills most of the list."""
    occ = ivfcore.group_occupancy(run.labels, ds.groups, NLIST, 2)
    colors = np.array(figures.palette(2))[occ.argmax(axis=1)]
    show.chart(figures.sorted_sizes(run.sizes, title, colors=colors), key=key)


sizes_chart(km, "Random initialisation: every list, largest first (blue: mostly dense, "
            "orange: mostly sparse)", "ex_sizes_random")


def reveal(label, name):
    """A toggle bound to a setting, so a link can carry which answers are shown."""
    return state.widget(name, st.toggle, f"Show the answer: {label}")


def judge(key, answer):
    """Set the learner's prediction (radio ``key``) beside the answer the numbers give."""
    guess = st.session_state.get(key)
    if guess is None:
        st.info(f"The numbers say: **{answer}**. (Make a prediction above to compare.)")
    elif guess == answer:
        st.success(f"You predicted **{guess}**, and the numbers agree: **{answer}**.")
    else:
        st.warning(f"You predicted **{guess}**; the numbers say **{answer}**. Read on to see why.")


# --- Question 1 -----------------------------------------------------------------------------
st.header("3 · Random or k-means++: who gets the lists?")
st.radio("Predict: which initialisation gives the dense 90% of the vectors more lists?",
         ["random", "k-means++", "about the same"], index=None, key="ex_q1", horizontal=True)
if reveal("list sizes and where the centroids sit", "ex_a1"):
    rows = []
    sits = {}
    for init, run in runs.items():
        st_ = ivfcore.size_stats(run.sizes)
        start = cache.centroid_groups(SPEC, KEYS[init] + ("l2", "start"), ds.x, ds.groups,
                                      run.history[0].centroids)
        occ = ivfcore.group_occupancy(run.labels, ds.groups, NLIST, 2)
        sits[init] = (int((start == 0).sum()), int((occ.argmax(axis=1) == 0).sum()))
        rows.append({"init": init, "centroids starting in the dense ball": sits[init][0],
                     "lists mostly dense at the end": sits[init][1],
                     "imbalance factor": round(st_.imbalance_factor, 2), "min": st_.min,
                     "max": st_.max, "std": round(st_.std, 1), "largest 5": str(list(st_.largest))})
    tables.table(rows, hide_index=True)
    sizes_chart(runs["k-means++"], "k-means++: every list, largest first (blue: mostly dense, "
                "orange: mostly sparse)", "ex_sizes_pp")
    r, p = sits["random"], sits["k-means++"]
    judge("ex_q1", lessons.larger({"random": r[1], "k-means++": p[1]}, "about the same", 0.1))
    st.markdown(
        f"Random initialisation picks 100 data vectors, and 90% of the data is dense, so "
        f"**{r[0]}** centroids start in the ball and **{r[1]}** lists end up mostly dense: the "
        f"dense vectors are shared by many lists. k-means++ picks each next centroid with "
        f"probability proportional to its squared distance from those already chosen; the "
        f"sparse vectors are far from everything, so only **{p[0]}** start in the ball and "
        f"**{p[1]}** lists end up holding the 90,000 dense vectors between them. Their lists "
        f"swell, and the imbalance factor jumps from {rows[0]['imbalance factor']} to "
        f"{rows[1]['imbalance factor']}."
    )

# --- Question 2 -----------------------------------------------------------------------------
st.header("4 · What does a query cost, dense or sparse?")
st.radio("Predict: at nprobe = 1, which queries scan more vectors under k-means++?",
         ["dense queries", "sparse queries", "about the same"], index=None, key="ex_q2",
         horizontal=True)


def sweeps():
    """Held-out queries searched at every nprobe, per initialisation (cached, shared)."""
    return {init: cache.held_out(SPEC, KEYS[init], 100, K, ds.x, ds.groups, run.centroids)
            for init, run in runs.items()}


if reveal("vectors scanned per query", "ex_a2"):
    rows = []
    for init, ho in sweeps().items():
        sw, qg = ho.sweep, ho.groups
        for p in (1, 10):
            i = int(np.flatnonzero(sw.nprobes == p)[0])
            for g, name in enumerate(ds.group_names):
                w = sw.per_query_computations[i, qg == g] - NLIST
                rows.append({"init": init, "nprobe": p, "queries": name,
                             "vectors scanned (mean)": int(w.mean()),
                             "fewest": int(w.min()), "most": int(w.max())})
    tables.table(rows, hide_index=True)
    get = {(r["init"], r["nprobe"], r["queries"]): r["vectors scanned (mean)"] for r in rows}
    judge("ex_q2", lessons.larger({"dense queries": get[("k-means++", 1, "dense")],
                                   "sparse queries": get[("k-means++", 1, "sparse")]},
                                  "about the same", 0.1))
    st.markdown(
        f"Held-out queries (100 dense, 100 sparse, not in the index). Under k-means++ a dense "
        f"query opens one of the few swollen lists and scans about "
        f"**{get[('k-means++', 1, 'dense')]:,}** vectors at nprobe = 1, against "
        f"**{get[('k-means++', 1, 'sparse')]:,}** for a sparse query. With random "
        f"initialisation the two differ far less ({get[('random', 1, 'dense')]:,} and "
        f"{get[('random', 1, 'sparse')]:,}). The cost of a search depends on where the query "
        "lands, and uneven lists make that difference large."
    )

# --- Question 3 -----------------------------------------------------------------------------
st.header("5 · Recall at small nprobe: dense or sparse queries?")
st.radio("Predict: at nprobe = 5 with random initialisation, are dense or sparse queries more "
         "likely to find their 10 true neighbours?", ["dense", "sparse", "the same"], index=None,
         key="ex_q3", horizontal=True)
if reveal("recall and where the neighbours live", "ex_a3"):
    ho = sweeps()["random"]
    sw, qg, spread = ho.sweep, ho.groups, ho.spread
    PROBES = (1, 5, 10, 30)
    LISTS, NEEDED = "lists holding the 10", "nprobe for all 10"
    rows = []
    for g, name in enumerate(ds.group_names):
        sub = sw.for_queries(qg == g)
        row = {"queries": name}
        for p in PROBES:
            row[f"recall@{K}, nprobe {p}"] = round(float(sub.recall[sub.nprobes == p][0]), 2)
        row[LISTS] = round(float(spread.n_lists[qg == g].mean()), 1)
        row[NEEDED] = int(np.median(spread.nprobe_needed[qg == g]))
        rows.append(row)
    counts = np.bincount(qg, minlength=len(ds.group_names))
    st.markdown(
        f"Held-out queries, {' and '.join(f'{c} {n}' for c, n in zip(counts, ds.group_names))}. "
        f"**recall, nprobe p**: recall@{K}, the share of a query's {K} true neighbours found at "
        f"that nprobe (mean). **{LISTS}**: how many different lists hold a query's {K} true "
        f"neighbours (mean). **{NEEDED}**: the smallest nprobe that finds all {K} (median)."
    )
    config = {f"recall@{K}, nprobe {p}": st.column_config.NumberColumn(
        f"recall, nprobe {p}", help=f"Recall@{K} at nprobe = {p}: share of the {K} true "
        "neighbours found, mean over the group's queries") for p in PROBES}
    config[LISTS] = st.column_config.NumberColumn(
        help=f"How many different lists hold a query's {K} true neighbours (mean over the "
             "group's queries)")
    config[NEEDED] = st.column_config.NumberColumn(
        help=f"The smallest nprobe that finds all {K} true neighbours: the rank of the "
             "farthest list holding one of them (median over the group's queries)")
    tables.table(rows, hide_index=True, column_config=config)
    d, sp = rows
    r5 = f"recall@{K}, nprobe 5"
    winner = ("**sparse** queries find more of their neighbours" if sp[r5] > d[r5] else
              "**dense** queries find more of their neighbours" if d[r5] > sp[r5] else
              "dense and sparse queries find the same share of their neighbours")
    judge("ex_q3", lessons.larger({"dense": d[r5], "sparse": sp[r5]}, "the same", 0.0))
    mostly_dense = int((ivfcore.group_occupancy(km.labels, ds.groups, NLIST, 2).argmax(axis=1)
                        == 0).sum())
    st.markdown(
        f"At nprobe = 5, {winner}: recall **{d[r5]}** for "
        f"dense queries, **{sp[r5]}** for sparse ones. In {ds.d} dimensions the dense ball is "
        f"one round cloud with no clusters inside it. k-means still cuts it into "
        f"{mostly_dense} lists (the lists mostly filled with dense vectors), and the cuts pass "
        f"close to almost every vector: a dense query's {K} true neighbours sit in "
        f"**{d[LISTS]}** different lists on average, and finding all of them takes nprobe ≈ "
        f"**{d[NEEDED]}**. A sparse query's neighbours are spread over **{sp[LISTS]}** lists "
        f"(all found by nprobe ≈ {sp[NEEDED]}). So at small nprobe dense recall stays low: the "
        "data has no structure for the lists to follow. Open the Recall page with the exercise "
        "loaded to see the full curves."
    )

st.divider()
st.button("Load the exercise into the other pages", on_click=state.put, kwargs=EXERCISE_PRESET,
          icon=":material/open_in_new:")
