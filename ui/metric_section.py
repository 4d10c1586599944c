"""The Recall page's last section: what the wrong metric costs, live on data meant for one (GloVe).

Three trainings of the same data (L2, inner product, cosine; the other settings as on the
Train page), each judged by the data's own metric's neighbours (``ui.metric_lesson``).
"""

import streamlit as st

import ivfcore

from . import cache, current, figures, fmt, metric_lesson, show, state, tables
from .settings import METRIC_LABELS

# One click to data meant for cosine: 20,000 words, about sqrt(n) lists.
GLOVE_PRESET = {"kind": "glove", "glove.n": 20_000, "nlist": 141, "metric": "auto", "q": "word:king"}
INDEX_NAMES = {"l2": "L2 index (raw vectors)", "ip": "inner-product index (raw vectors)",
               "cosine": "cosine index (unit vectors)"}
COLORS = {"l2": "#d55e00", "ip": "#cc79a7", "cosine": "#0072b2"}
EXAMPLE_WORD = "king"


def draw(ds, n_queries, k):
    """Draw the section for the current data (a button to GloVe when the data has no metric of its own)."""
    st.subheader("Which metric? What the wrong one costs")
    truth = ds.metric
    if truth is None:
        st.markdown(
            "Generated data has no metric of its own: it is made for L2. Real embeddings are "
            "trained for one, usually cosine or inner product, and an index built with another "
            "finds other neighbours. GloVe's word vectors are meant for cosine similarity: open "
            "them to see the cost, measured live.")
        st.button("Open GloVe: 20,000 words, nlist = 141, the query 'king'",
                  on_click=state.put, kwargs=GLOVE_PRESET)
        return
    spec = state.spec()
    held, full, tkeys = {}, {}, []
    for m in metric_lesson.LESSON_METRICS:
        over = {"metric": m}
        km = current.training(over)
        tkey = state.training_key(over)
        tkeys.append(tkey)
        held[m] = cache.held_out(spec, tkey, n_queries, k, ds.x, ds.groups, km.centroids)
        full[m] = current.index(over)
    cmp = cache.metric_comparison(spec, tuple(tkeys), n_queries, k, truth, held, full, ds.x)
    _recall(cmp, truth)
    _lists(cmp)
    _words(ds, k)


def _recall(cmp, truth):
    own = METRIC_LABELS[truth]
    st.markdown(
        f"The true neighbours here are the data's own: the {cmp.k} nearest by **{own}**. The same "
        f"held-out queries search three indexes trained with the Train page's settings, one per "
        "metric; each returned word counts when it is one of those true neighbours. An index "
        "built for another metric has other exact neighbours: even opening every list, it finds "
        "only the share of the true ones that they hold (the dotted lines).")
    curves = [(INDEX_NAMES[m], cmp.sweeps[m], COLORS[m], "solid" if m == truth else "dash")
              for m in metric_lesson.LESSON_METRICS]
    fig = figures.recall_curves(curves, cmp.sweeps[truth].n_total,
                                f"Recall against the {own} neighbours, by index metric")
    figures.recall_ceilings(fig, [(cmp.overlap[m], f"{METRIC_LABELS[m]}: exact search's ceiling "
                                   f"({cmp.overlap[m]:.0%})", COLORS[m])
                                  for m in metric_lesson.LESSON_METRICS if m != truth],
                            int(cmp.sweeps[truth].nprobes.max()))
    show.chart(fig, key="metric_recall")
    sw = cmp.sweeps[truth]
    rows = [{"index": INDEX_NAMES[m],
             **{f"nprobe {int(p)}": round(float(r), 2) for p, r in zip(sw.nprobes, cmp.sweeps[m].recall)},
             "ceiling (exact search)": round(cmp.overlap[m], 2)}
            for m in metric_lesson.LESSON_METRICS]
    tables.table(rows, hide_index=True)


def _lists(cmp):
    ip, cos = cmp.long_share["ip"], cmp.long_share["cosine"]
    st.markdown(
        "**Inner product on vectors of different lengths.** x·q = |x| |q| cos(x, q): a long "
        "vector has a large inner product with everything it roughly points along, so it is "
        f"near to many queries. Here the longest 10% of the vectors make {fmt.percent(ip)} of "
        f"the inner-product neighbours of the held-out queries, against {fmt.percent(cos)} of "
        "the cosine ones: long vectors crowd out the nearest in meaning. The lists "
        "feel it less: k-means by inner product keeps its centroids at unit length (spherical, "
        "as FAISS's), so a vector's length does not decide its list (x·c = |x| x̂·c is "
        "largest for the same c as x̂·c); it only pulls its list's centroid, which moves to the "
        "direction of the *sum* of its vectors, towards itself. The same data and settings, "
        "list sizes side by side:")
    cols = st.columns(2)
    for col, m in zip(cols, ("ip", "cosine")):
        sizes = cmp.list_sizes[m]
        stats = ivfcore.size_stats(sizes)
        show.chart(figures.sorted_sizes(sizes, f"{METRIC_LABELS[m]}: imbalance factor "
                                        f"{stats.imbalance_factor:.2f}",
                                        colors=[COLORS[m]] * len(sizes)),
                   where=col, key=f"metric_sizes_{m}")
    lines = []
    for m in ("ip", "cosine"):
        share, length = metric_lesson.largest_lists(cmp, m)
        lines.append(f"- {METRIC_LABELS[m]}: the 5 largest lists hold {fmt.percent(share)} of the "
                     f"vectors, whose mean length is {length:.2f}")
    st.markdown("\n".join(lines) + f"\n\nThe mean length of all the vectors is {cmp.mean_length:.2f}.")


def _words(ds, k):
    if ds.item_names is None:
        return
    q = state.get("q")
    word = q.partition(":")[2] if q.startswith("word:") else EXAMPLE_WORD
    qid = state.word_id(word, ds.item_names)
    if qid is None:
        return
    near = cache.neighbour_words(state.spec(), qid, k, ds.x, ds.item_names)
    st.markdown(
        f"**The neighbours themselves.** The exact {k} nearest words to "
        f"“{state.escape(word)}” under each metric (type another word on the **4 · Search** "
        "page; its metric control shows what an index by each finds):")
    tables.table({METRIC_LABELS[m]: near[m] for m in metric_lesson.LESSON_METRICS}, hide_index=True)
