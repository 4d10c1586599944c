"""IVF Lab: an interactive lab for how an inverted-file (IVF) vector index is trained and searched."""

# Streamlit runs this script as "__main__". The UMAP worker process (ui/worker.py) is spawned
# by multiprocessing, which re-imports the parent's main script under "__mp_main__": there
# it must draw nothing (it would print bare-mode warnings for the whole app).
if __name__ == "__main__":
    import os

    # numba (used by UMAP): a writable on-disk cache and a threading layer safe for several sessions.
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".numba_cache"))
    os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")

    import streamlit as st

    from ui import cache, runlog, show, sidebar, state, style

    st.set_page_config(page_title="IVF Lab", page_icon=":material/hub:", layout="wide")

    PAGES = [
        st.Page("pages/dataset.py", title="1 · Dataset", icon=":material/scatter_plot:", default=True),
        st.Page("pages/train.py", title="2 · Train (k-means)", icon=":material/animation:"),
        st.Page("pages/sizes.py", title="3 · Cluster sizes", icon=":material/bar_chart:"),
        st.Page("pages/search.py", title="4 · Search", icon=":material/travel_explore:"),
        st.Page("pages/recall.py", title="5 · Recall vs work", icon=":material/show_chart:"),
        st.Page("pages/exercise.py", title="6 · The chapter's exercise", icon=":material/school:"),
        st.Page("pages/failures.py", title="7 · Failure-mode lab", icon=":material/warning:"),
        st.Page("pages/pq.py", title="8 · IVF-PQ vs IVF-Flat", icon=":material/compress:"),
        st.Page("pages/worksheet.py", title="9 · Worksheet", icon=":material/assignment:"),
        st.Page("pages/choose.py", title="10 · Choose nlist and nprobe", icon=":material/tune:"),
        st.Page("pages/aging.py", title="11 · An index that ages", icon=":material/update:"),
        st.Page("pages/filtered.py", title="12 · Filtered search", icon=":material/filter_alt:"),
    ]
    page = st.navigation(PAGES)
    state.init(page.url_path)
    # The presenter view folds the sidebar away (its toggle then sits at the top of the page);
    # calls to set_page_config add up, and a changed sidebar state applies at once.
    presenting = show.presenting()
    st.set_page_config(initial_sidebar_state="collapsed" if presenting else "auto")
    style.apply(presenting)
    # cache.work_scope: memory this run reserves for a large dataset is released when it ends
    with runlog.timed(page), cache.work_scope():
        sidebar.show()
        page.run()
    # After the page is sent, so the first page is not slowed: compiled kernels ready before a
    # learner's first search or training.
    cache.engine_warm_up()
