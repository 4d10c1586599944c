"""Groups of widgets bound to settings, shared by the pages that need them."""

import streamlit as st

import ivfcore

from . import fmt, query, state
from .upload_box import upload_box
from .settings import EXERCISE_PRESET, KIND_LABELS, KIND_PARAMS, SETTINGS, SHAPES

INIT_HELP = ("random: nlist distinct data vectors, as the chapter does. k-means++: each next "
             "centroid drawn with probability proportional to its squared distance from the "
             "ones chosen so far, which favours outliers.")
FIXED_KINDS = ("digits", "glove")  # real data: no seed to choose
METRIC_HELP = ("How vectors are compared, in training and in search. L2: squared Euclidean "
               "distance, smaller is nearer. Inner product: larger is nearer, so long vectors "
               "win. Cosine: the inner product of unit vectors (the angle only). k-means for "
               "inner product and cosine is spherical: centroids kept at unit length, as FAISS "
               "does. Each dataset has its own default (GloVe: cosine; the rest: L2).")
EMPTY_HELP = ("What happens to a list that ends an iteration with no vectors. reinit: move its "
              "centroid to a random data vector (the chapter). split: split a big list in two "
              "(FAISS). farthest: move it onto the vector farthest from its centroid "
              "(scikit-learn). keep: leave it empty.")


def preset_button():
    st.button("▶ Load the chapter's exercise: 100,000 vectors in 128-D, 90% in a dense ball, "
              "100 lists", on_click=state.put, kwargs=EXERCISE_PRESET, type="primary")


def dataset_controls():
    """Kind, seed and the kind's own parameters (or the upload box)."""
    kinds = list(KIND_LABELS)
    state.widget("kind", st.selectbox, "Dataset", options=kinds, format_func=KIND_LABELS.get)
    kind = state.get("kind")
    if kind == "upload":
        upload_box()
        return
    params = KIND_PARAMS[kind]
    cols = st.columns(max(2, len(params) + 1))
    for col, (name, default, typ, low, high, label, help_) in zip(cols, params):
        with col:
            key = f"{kind}.{name}"
            if name == "shape":
                state.widget(key, st.selectbox, label, options=list(SHAPES), help=help_)
            elif typ is int:
                state.widget(key, st.number_input, label, min_value=low, max_value=high,
                             step=_round_step(high), help=help_)
            else:
                state.widget(key, st.number_input, label, min_value=float(low),
                             max_value=float(high), step=0.05, format="%.2f", help=help_)
    with cols[-1]:
        if kind not in FIXED_KINDS:
            state.widget("seed", st.number_input, "Seed", min_value=0, step=1,
                         help="Same seed, same vectors, same pictures.")


def _round_step(high):
    """A round step for a count input: 1,000 for n up to 200,000, 1 below 1,000."""
    return 10 ** max(0, len(str(int(high))) - 3)


def projection_control():
    state.widget("proj", st.segmented_control, "2-D view", options=list(ivfcore.PROJECTIONS),
                 format_func=str.upper, required=True,
                 help="PCA: a linear projection, exact and instant. UMAP: keeps neighbourhoods, "
                      "so clusters separate more clearly; its first fit on a server takes a while.")


def training_controls():
    # Two rows of three: six in a row left each ~100 px at 1024 px and cut "k-means++".
    c = st.columns(3) + st.columns(3)
    with c[0]:
        state.widget("nlist", st.number_input, "Lists (nlist = k)", min_value=1,
                     max_value=SETTINGS["nlist"].high, step=1,
                     help="How many centroids k-means places, i.e. how many inverted lists.")
    with c[1]:
        state.widget("init", st.selectbox, "Initialisation", options=list(ivfcore.INITS), help=INIT_HELP)
    with c[2]:
        state.widget("empty", st.selectbox, "Empty lists", options=list(ivfcore.EMPTY_STRATEGIES),
                     help=EMPTY_HELP)
    with c[3]:
        state.widget("max_iter", st.number_input, "Max iterations", min_value=1, max_value=300, step=1)
    with c[4]:
        state.widget("tol", st.number_input, "Tolerance", min_value=0.0, format="%.0e", step=1e-4,
                     help="Stop when the centroids move less than this in total (Frobenius norm).")
    with c[5]:
        state.widget("train_seed", st.number_input, "Training seed", min_value=0, step=1)
    metric_control(st.columns(2)[0])


SHORT_METRIC = {"l2": "L2", "ip": "inner product", "cosine": "cosine"}


def metric_control(where=None):
    """The metric selector (setting ``metric``): shows the metric in use, the data's own by default.

    Choosing the data's own metric stores "auto", so a link names a metric only when it
    differs from the data's (``state.widget``'s ``auto``). Returns the metric in use.
    """
    own = state.own_metric() or "l2"

    def label(m):  # short: a selectbox clips its text (no ellipsis) in a third of 1024 px
        return f"{SHORT_METRIC[m]} (data's own)" if m == own else SHORT_METRIC[m]

    with where if where is not None else st.container():
        state.widget("metric", st.selectbox, "Metric", auto=own, options=list(ivfcore.METRICS),
                     format_func=label, help=METRIC_HELP)
    return state.metric()


def search_controls(nlist):
    if state.get("nprobe") > nlist:
        # Run again with the clamped value, so the sidebar (drawn before this page) shows it.
        state.say_later("nprobe", f"nprobe was {state.get('nprobe')}, but this index has only "
                                  f"nlist = {fmt.count(nlist, 'list')}: it is now {nlist} (open every list).")
        state.correct(nprobe=nlist)
        st.rerun()
    notice = state.said("nprobe")
    if notice:
        st.warning(notice)
    c = st.columns(2)
    with c[0]:
        state.widget("topk", st.slider, "k (neighbours to return)", min_value=1, max_value=100)
    with c[1]:
        hi = max(2, nlist)
        state.widget("nprobe", st.slider, "nprobe (lists to open)", min_value=1, max_value=hi,
                     help="How many of the nearest lists the query scans.")


def comparison_controls():
    """Settings of training B (compared with the current training A); returns B's overrides."""
    with st.container(border=True):
        st.markdown("**Training B** differs from A in:")
        c = st.columns(3)
        with c[0]:
            state.widget("b_init", st.selectbox, "Initialisation", options=["same", *ivfcore.INITS])
        with c[1]:
            state.widget("b_empty", st.selectbox, "Empty lists",
                         options=["same", *ivfcore.EMPTY_STRATEGIES])
        with c[2]:
            state.widget("b_nlist", st.number_input, "Lists (0 = same as A)", min_value=0, step=1)
    b = {"init": state.get("b_init"), "empty": state.get("b_empty"), "nlist": state.get("b_nlist")}
    return {k: v for k, v in b.items() if v not in ("same", 0)}


def describe_training(overrides=None):
    v = {**state.values(), **(overrides or {})}
    return f"nlist = {v['nlist']}, {v['init']} init, empty: {v['empty']}"


def query_boxes(ds):
    """A box to type a word (data with item names) and one to paste a vector; each sets ``q``.

    A word that is not in the data, or a vector of the wrong length, leaves the query as it
    was and says why below the boxes.
    """
    q = state.get("q")
    kind, _, arg = q.partition(":")
    names = ds.item_names
    cols = st.columns([1, 2]) if names is not None else [None, st.container()]
    if names is not None:
        st.session_state["word_box"] = arg if kind == "word" else ""
        cols[0].text_input("Type a word, then press Enter", key="word_box", max_chars=200,
                           on_change=_word_typed, args=(names,), placeholder="e.g. king",
                           help=f"Any of the {len(names):,} words of this data. The word's own "
                                "vector is the query; it is left out of its own results.")
    st.session_state["vector_box"] = arg if kind == "vec" else ""
    cols[1].text_input(f"Or paste a vector ({ds.d} numbers, commas or spaces), then press Enter",
                       key="vector_box", on_change=_vector_pasted, args=(ds.d,),
                       placeholder="0.1, -0.2, 0.3, …")
    notice = state.said("query_box")
    if notice:
        st.warning(notice)


def _word_typed(names):
    word = st.session_state["word_box"].strip()
    if not word:
        return
    found = next((w for w in (word, word.lower()) if state.word_id(w, names) is not None), None)
    if found is None:
        state.say_later("query_box", f"\u201c{state.escape(word)}\u201d is not one of the "
                                     f"{len(names):,} words here: the query is unchanged.")
        return
    state.put(q=f"word:{found}")


def _vector_pasted(d):
    text = st.session_state["vector_box"]
    if not text.strip():
        return
    values = query.parse_vector(text)
    if values is None:
        state.say_later("query_box", "That vector is not a list of numbers separated by commas "
                                     "or spaces: the query is unchanged.")
    elif len(values) != d:
        state.say_later("query_box", f"That vector has {len(values):,} numbers; the vectors here "
                                     f"have d = {d}: the query is unchanged.")
    else:
        state.put(q=f"vec:{query.vector_text(values)}")
