import streamlit as st

from ui import boot, cache, current, links, state, worksheet

boot.through_app()

st.title(":material/assignment: Worksheet")
st.markdown(
    "Questions about the dataset and index set up right now, each answered by a number the "
    "app prints. Every question links to the page that holds its answer, opened with these "
    "settings. Change the data or a seed on the other pages and the worksheet changes with "
    "them; the answer key is worked out from the same settings, so it always matches."
)


def base_url():
    """The address of this app as the browser sees it (the placeholder when it is unknown)."""
    url = st.context.url
    if not url:
        return links.SERVER
    url = url.rstrip("/")
    suffix = "/" + links.PAGES["worksheet"]
    return url[: -len(suffix)] if url.endswith(suffix) else url


ds = current.dataset()
km = current.training()
index = current.index()
values = state.values()
held = cache.held_out(state.spec(), state.training_key(), values["rq"], values["topk"], ds.x,
                      ds.groups, km.centroids)
with st.spinner("Working out the answers…"), current.shown_errors():
    ws = worksheet.build(values, ds, km, index, held)
base = base_url()

show_key = state.widget("ws_key", st.toggle, "Show the answer key (teacher)",
                        help="Shows each answer under its question and offers the key as a "
                             "download. Off while learners use this page.")
st.caption(ws.setup)
for i, q in enumerate(ws.questions, 1):
    with st.container(border=True):
        st.markdown(f"**{i}.** {q.text}")
        st.markdown(f"[Open {worksheet.PAGE_TITLES[q.page]}]({q.link(base)}) · {q.where}")
        if show_key:
            st.markdown(f"**Answer:** {q.answer}")

c = st.columns(3)
c[0].download_button("Worksheet (Markdown)", worksheet.to_markdown(ws, base),
                     "ivf-worksheet.md", "text/markdown", on_click="ignore",
                     icon=":material/download:")
c[1].download_button("Printable page (HTML)" + (", with the key" if show_key else ""),
                     worksheet.to_html(ws, base, key=show_key), "ivf-worksheet.html",
                     "text/html", on_click="ignore", icon=":material/print:")
if show_key:
    c[2].download_button("Answer key (Markdown)", worksheet.to_markdown(ws, base, key=True),
                         "ivf-worksheet-key.md", "text/markdown", on_click="ignore",
                         icon=":material/key:")
st.caption(
    f"The search questions use data vector {ws.query_id}, drawn from the dataset seed and the "
    "training seed. A vector used as a query is left out of its own results, and a returned "
    "vector as near as the k-th true neighbour counts as found, as on the Search page. The "
    "links point at " + (base if base != links.SERVER else "this server") + "."
)
