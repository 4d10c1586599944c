"""The Dataset page's upload area: a base file, its Parquet columns, a queries file and their truth.

Whatever the learner picks is an upload of its own in the store (``ui/uploads.py``), named
by a digest of the file and the choices: a reload, or a link its owner shares, opens the
same vectors, column, queries and ground truth. A file or choice that cannot be used shows
the engine's message (its file-derived text escaped) and leaves the data in use unchanged.
"""

import streamlit as st

import ivfcore

from . import browser, cache, state, uploads

#: Every extension the engine knows, in each uploader: any file, good or bad, reaches the
#: engine and gets its message rather than the browser's bare refusal.
TYPES = [ext.lstrip(".") for ext in ivfcore.FORMATS]
_GEN = "_upload_gen"  # bumped when an extra file is removed, so its uploader starts empty


def upload_box():
    """Read a learner's vectors in any format ivfcore reads; a bad file shows why and changes nothing.

    A good file is kept on the server for this browser, so a reload opens it again; its
    owner can share it with anyone holding the link. Below it: the vector and label columns
    of a Parquet file, and, for a file without queries, a queries file and its ground truth.
    """
    limit = ivfcore.MAX_BYTES // 2**20
    file = st.file_uploader(
        f"Your vectors: .npy, .csv, .txt (also GloVe), .fvecs/.bvecs, .fbin/.u8bin/.i8bin, "
        f"ann-benchmarks .hdf5, .parquet or .npz (at most {limit} MB)",
        type=TYPES, key="upload_file",
    )
    current = uploads.held(st.session_state.get("_upload"))
    if file is not None:
        data = file.getvalue()
        if current is None or current.base_digest != cache.digest_of(data):
            _try_base(file.name, data, current)  # reruns when the file is used
    if current is None:
        if file is None:
            st.info("Upload a file to use your own vectors; until then the other pages show "
                    "nothing to index.")
        return
    if file is None:
        st.caption(f"Using **{state.escape(current.filename)}**. Drop another file to replace it.")
    loaded = state.said("upload")
    if loaded:
        st.success(loaded)
    ds, problem = cache.tried_upload(current.digest, current.filename, current)
    if problem:  # kept before, refused now (e.g. the limits were lowered): say so, offer a new file
        st.error(f"**That file cannot be used:** {state.escape(problem)}")
        return
    _parquet_choices(current)
    _queries_and_truth(current, ds)
    share_toggle(current.digest)


def _refused(what, problem, current):
    still = f" Still using **{state.escape(current.filename)}**." if current else ""
    end = "" if problem.rstrip().endswith((".", "?", "!")) else "."
    st.error(f"**{what} cannot be used:** {state.escape(problem)}{end}{still}")


def _try_base(name, data, current):
    """Use a newly dropped file (with its first vector column, for a Parquet file with several)."""
    new = uploads.Held(cache.digest_of(data), name, data)
    note = ""
    if name.lower().endswith(".parquet"):
        try:
            cols = cache.parquet_columns(new.digest, name, data)
        except ivfcore.InputError as exc:
            _refused("That file", str(exc), current)
            return
        if len(cols.vector_columns) > 1:
            first = cols.vector_columns[0][0]
            new = new.choose(column=first)
            note = (f" It has {len(cols.vector_columns)} vector columns: using "
                    f"'{state.escape(first)}'; choose another below.")
    ds, problem = cache.tried_upload(new.digest, name, new)
    if problem:
        _refused("That file", problem, current)
        return
    _adopt(new, f"Loaded {_what(ds)} from {state.escape(name)}.{note}", shared=False)


def _what(ds):
    """'N vectors in d-D', with the queries and truth a file brings."""
    text = f"{ds.n:,} vectors in {ds.d}-D"
    if ds.queries is not None:
        text += f", {len(ds.queries):,} queries"
        if ds.true_ids is not None:
            text += f" and their {ds.true_ids.shape[1]} true neighbours"
    return text


def _adopt(new, message, shared, rerun=True):
    """Make ``new`` the session's upload, keep it on the server, name it in the URL."""
    kept = cache.upload_store().keep(new.digest, new.filename, new.data, browser.token(),
                                     extras=new.extras, base=new.base, shared=shared)
    st.session_state["_upload"] = new
    state.put(upload=new.digest)
    state.say_later("upload", message + ("" if kept else " It is too large for the server to "
                                         "keep across a reload: it stays in this tab only."))
    if rerun:
        st.rerun()  # the sidebar is drawn before the page: run again so it names the new data now


def _change(current, what, **changes):
    """Use ``current`` with other extras, or say why not (the data in use stays)."""
    new = current.choose(**changes)
    ds, problem = cache.tried_upload(new.digest, new.filename, new)
    if problem:
        _refused(what, problem, current)
        return
    shared = cache.upload_store().is_shared(current.digest)
    _adopt(new, f"Now using {_what(ds)}.", shared)


def _parquet_choices(current):
    """The vector column (when there are several) and the label column of a Parquet file."""
    if not current.filename.lower().endswith(".parquet"):
        return
    try:
        cols = cache.parquet_columns(current.base_digest, current.filename, current.data)
    except ivfcore.InputError:
        return  # it loaded, so the footer was read before; nothing to choose now
    vectors = [name for name, _ in cols.vector_columns]
    dims = dict(cols.vector_columns)
    labels = list(cols.label_columns)
    if len(vectors) < 2 and not labels:
        return
    c = st.columns(2)
    if len(vectors) > 1:
        chosen = current.extras.column if current.extras.column in vectors else vectors[0]
        column = c[0].selectbox(
            "Vector column", vectors, index=vectors.index(chosen), key=f"upload_column:{current.digest}",
            format_func=lambda n: n if dims[n] is None else f"{n} ({dims[n]}-D)",
            help="The file has several columns of number lists: which one holds the vectors.")
        if column != chosen:
            _change(current, "That column", column=column)
    if labels:
        options = [uploads.NO_LABELS] + labels
        in_use = current.extras.labels
        if in_use is None:  # the engine's default: the only text column, if there is one
            in_use = labels[0] if len(labels) == 1 else uploads.NO_LABELS
        label = c[1].selectbox(
            "Labels (a text column)", options, index=options.index(in_use),
            key=f"upload_labels:{current.digest}", format_func=lambda n: n or "(none)",
            help="A column of text naming each vector (a word, a title), kept as the vectors' names.")
        if label != in_use:
            _change(current, "That label column", labels=label)


def _queries_and_truth(current, ds):
    """A queries file for a base file without queries, then their ground truth."""
    extras = current.extras
    file_queries = ds.queries is not None and extras.queries is None
    if file_queries and ds.true_ids is not None and extras.truth is None:
        st.caption(f"The file brings {len(ds.queries):,} queries and their "
                   f"{ds.true_ids.shape[1]} true neighbours each: the **5 · Recall vs work** "
                   "page measures recall over them.")
        return
    with st.expander("Held-out queries and their true neighbours (optional)",
                     expanded=extras.queries is not None or file_queries):
        st.caption(
            "As SIFT ships them: a queries file with the vectors' d (.fvecs, .bvecs, .fbin, "
            ".u8bin, .i8bin, .npy), then their ground truth (.ivecs, .ibin, or .npy of ids: row "
            "i lists the base vectors nearest to query i, counting from 0). The **5 · Recall vs "
            "work** page then measures recall over these queries instead of drawing its own; "
            "without a ground truth it finds the true neighbours by brute force.")
        gen = st.session_state.get(_GEN, 0)
        if file_queries:
            st.caption(f"The file brings {len(ds.queries):,} queries of its own.")
        else:
            _extra_file(current, "queries", "Queries file", f"upload_queries:{current.base_digest}:{gen}")
        if ds.queries is not None:
            q = extras.queries.digest if extras.queries else "file"
            _extra_file(current, "truth", "Ground truth of the queries (ids)",
                        f"upload_truth:{current.base_digest}:{q}:{gen}")


def _extra_file(current, what, label, key):
    """One extra file's uploader: a new file is checked and used, a used one can be removed."""
    part = getattr(current.extras, what)
    file = st.file_uploader(label, type=TYPES, key=key)
    if file is not None:
        data = file.getvalue()
        digest = cache.digest_of(data)
        if part is None or part.digest != digest:
            new_part = uploads.Part(digest, file.name, data)
            if what == "queries":  # a truth belongs to the queries it was computed for
                _change(current, "That queries file", queries=new_part, truth=None)
            else:
                _change(current, "That ground-truth file", truth=new_part)
    if part is not None:
        c = st.columns([3, 1], vertical_alignment="center")
        c[0].caption(f"Using **{state.escape(part.filename)}**"
                     + (" (and the ground truth below)." if what == "queries" and current.extras.truth else "."))
        c[1].button("Remove", key=f"remove_{what}:{current.digest}", on_click=_remove,
                    args=(current, what))


def _remove(current, what):
    """Button callback: the same upload without its queries (and their truth) or without its truth."""
    changes = {"queries": None, "truth": None} if what == "queries" else {"truth": None}
    new = current.choose(**changes)
    st.session_state[_GEN] = st.session_state.get(_GEN, 0) + 1
    ds, problem = cache.tried_upload(new.digest, new.filename, new)
    if problem is None:
        _adopt(new, f"Now using {_what(ds)}.", cache.upload_store().is_shared(current.digest),
               rerun=False)


def share_toggle(digest):
    """Off by default: the link opens the upload in this browser only. On: for anyone holding it."""
    store = cache.upload_store()
    if not store.owns(digest, browser.token()):
        if store.is_shared(digest):
            st.caption("Opened from a link its owner shared with the class.")
        return
    st.session_state["upload_share"] = store.is_shared(digest)
    st.toggle("Share this dataset with anyone who has the link", key="upload_share",
              on_change=lambda: store.share(digest, browser.token(), st.session_state["upload_share"]),
              help="Off: this page's link opens the file only in this browser (also after a "
                   "reload). On: anyone who opens the link gets the same vectors, e.g. a class "
                   "you send it to. The link names the file by a digest of its content, never "
                   "by a path; the server keeps recent uploads only, until it restarts.")
    if st.session_state["upload_share"]:
        st.caption("Shared: copy the address bar to give the class this dataset.")
