"""A worksheet for the current dataset and settings: questions a learner answers in the app.

Pure Python (no streamlit): the page (``pages/worksheet.py``) hands in the engine's results
for the current settings and shows, downloads or prints what this module writes. Every
answer is formatted as the page it points to prints it, and every question carries the link
(:func:`ui.links.view_url`) that opens that page with the settings the answer needs.
"""

import html
from dataclasses import dataclass

import numpy as np

import ivfcore

from . import links
from .settings import KIND_LABELS, KIND_PARAMS, METRIC_LABELS

#: The recall a query must reach in the "smallest nprobe" question.
TARGET_RECALL = 0.9

PAGE_TITLES = {"dataset": "1 · Dataset", "train": "2 · Train (k-means)", "sizes": "3 · Cluster sizes",
               "search": "4 · Search", "recall": "5 · Recall vs work"}


@dataclass(frozen=True)
class Question:
    """One question: what to find, on which page (opened with ``values``), and its answer."""

    text: str  # plain text, no markup
    page: str  # a key of links.PAGES
    where: str  # where on that page the answer is printed
    values: dict  # the settings the link opens
    answer: str  # as the page prints it

    def link(self, base=links.SERVER):
        return links.view_url(self.page, self.values, base)


@dataclass(frozen=True)
class Worksheet:
    """The questions for one dataset and set of settings, and what they were made from."""

    setup: str  # one line: data, index and search settings
    query_id: int  # the data vector the search questions use
    questions: tuple


def query_id(values, n):
    """The data vector the worksheet asks about: drawn from the dataset and training seeds."""
    return int(np.random.default_rng([values["seed"], values["train_seed"]]).integers(n))


def recall_nprobe(values, nprobes, recall, nlist):
    """The nprobe of the held-out recall question: one of the Recall page's ``nprobes``.

    Drawn from the seeds among those strictly between 1 and nlist where the recall is still
    below 1 (all of them between 1 and nlist if none is; nlist if there are none), so a new
    seed asks about another point of the curve.
    """
    inner = [int(p) for p in nprobes if 1 < p < nlist]
    if not inner:
        return int(nlist)
    below = [int(p) for p, r in zip(nprobes, recall) if 1 < p < nlist and r < 1]
    inner = below or inner
    rng = np.random.default_rng([values["seed"], values["train_seed"], 1])
    return inner[int(rng.integers(len(inner)))]


def describe(values, n, d, metric="l2"):
    """The setup in one line (no text from a file: an upload is named as such).

    ``metric`` is the one the index and the answers use (the setting "auto" resolved).
    """
    kind = values["kind"]
    data = KIND_LABELS[kind]
    if kind not in ("upload", "digits"):
        data += f", seed {values['seed']}"
    params = [f"{p[0]} = {values[f'{kind}.{p[0]}']}" for p in KIND_PARAMS.get(kind, [])
              if p[0] not in ("n", "d")]
    if params:
        data += " (" + ", ".join(params) + ")"
    return (f"Data: {data}; {n:,} vectors in {d} dimensions. Index: nlist = {values['nlist']}, "
            f"{values['init']} initialisation, empty lists: {values['empty']}, training seed "
            f"{values['train_seed']}, metric {METRIC_LABELS[metric]}. Search: k = {values['topk']}.")


def recall_text(r):
    """A recall as the Recall page's table prints it (rounded to 3 decimals, no trailing zeros)."""
    return f"{round(float(r), 3):.3f}".rstrip("0").rstrip(".")


def build(values, ds, km, index, held_out):
    """The worksheet for these settings.

    Parameters
    ----------
    values : dict
        The current settings (``ui.state.values()``).
    ds : ivfcore.Dataset
        The current dataset.
    km : ivfcore.KMeansResult
        The current training (the Train page's).
    index : ivfcore.IVFIndex
        The index over all of ``ds`` with ``km``'s centroids (the Search page's).
    held_out : object with ``sweep`` (an :class:`ivfcore.RecallSweep`)
        The Recall page's held-out queries for this training (``ui.cache.held_out``), with
        ``values["rq"]`` queries per group and k = ``values["topk"]``.

    Returns
    -------
    Worksheet
    """
    k = values["topk"]
    nprobe = min(values["nprobe"], index.nlist)
    qid = query_id(values, ds.n)
    s = ivfcore.size_stats(km.sizes)
    tr = index.trace(ds.x[qid], k=k, nprobe=nprobe, exclude_id=qid)
    tuned = ivfcore.smallest_nprobe(index, ds.x[qid], TARGET_RECALL, k=k, exclude_id=qid)
    sw = held_out.sweep
    p = recall_nprobe(values, sw.nprobes, sw.recall, index.nlist)
    recall = sw.recall[int(np.flatnonzero(sw.nprobes == p)[0])]
    at_query = {**values, "q": f"id:{qid}", "nprobe": nprobe}
    target = f"{TARGET_RECALL:.0%}"
    qs = [
        Question("How many iterations did k-means run before it stopped?", "train",
                 "the metric Iterations, under the animation", values, str(km.n_iter)),
        Question("How many vectors does the largest list hold?", "sizes",
                 "training A: max in the printout, also the last bold number under it", values,
                 f"{s.max:,}"),
        Question("What is the imbalance factor of the lists (1.0 = perfectly even)?", "sizes",
                 "training A: the metric Imbalance factor", values, f"{s.imbalance_factor:.2f}"),
        Question(f"Search with data vector {qid} as the query at nprobe = {nprobe}. How many "
                 "candidates does it scan?", "search", "the metric Candidates scanned",
                 at_query, f"{tr.n_candidates:,}"),
        Question(f"Same query and nprobe: how many distance computations does the search make "
                 "in all (centroids compared plus candidates scanned)?", "search",
                 "the metric Distance computations", at_query, f"{tr.n_distance_computations:,}"),
        Question(f"Move the nprobe slider up from 1. What is the smallest nprobe "
                 f"at which data vector {qid} reaches a recall@{k} of at least {target}?",
                 "search", f"the nprobe slider, when the metric Recall@{k} first shows {target} "
                 "or more", {**at_query, "nprobe": 1},
                 str(tuned.nprobe) if tuned.nprobe is not None else "no nprobe reaches it"),
        Question(f"Over the held-out queries, what is recall@{sw.k} of training A at nprobe = "
                 f"{p}?", "recall",
                 f"the first table under \"The numbers behind the curves\": row A, nprobe {p}",
                 values, recall_text(recall)),
    ]
    return Worksheet(setup=describe(values, ds.n, ds.d, index.metric), query_id=qid, questions=tuple(qs))


# ------------------------------------------------------------------------------ documents

TITLE = "IVF Lab worksheet"


def to_markdown(ws, base=links.SERVER, key=False):
    """The worksheet as Markdown: the setup, each question with its link (and the answers if ``key``)."""
    lines = [f"# {TITLE}{': answer key' if key else ''}", "", ws.setup, ""]
    for i, q in enumerate(ws.questions, 1):
        lines.append(f"{i}. {q.text}  ")
        lines.append(f"   Open: <{q.link(base)}> ({PAGE_TITLES[q.page]}: {q.where})")
        if key:
            lines.append(f"   **Answer: {q.answer}**")
        else:
            lines.append("   Answer: ______")
        lines.append("")
    return "\n".join(lines)


_CSS = """
body { font-family: Georgia, serif; max-width: 46rem; margin: 2rem auto; line-height: 1.45; color: #111; }
h1 { font-size: 1.5rem; } li { margin-bottom: 1.1rem; }
a { color: #174ea6; word-break: break-all; } .where { color: #444; font-size: 0.9rem; }
.answer { font-weight: bold; } .blank { display: inline-block; border-bottom: 1px solid #111; width: 12rem; }
.key { page-break-before: always; }
@media print { a { color: #111; } }
"""


def _html_list(ws, base, key):
    items = []
    for q in ws.questions:
        url = html.escape(q.link(base), quote=True)
        answer = (f'<span class="answer">Answer: {html.escape(q.answer)}</span>' if key
                  else 'Answer: <span class="blank">&nbsp;</span>')
        items.append(
            f"<li><p>{html.escape(q.text)}</p>"
            f'<p class="where">Open <a href="{url}">{url}</a><br>'
            f"{html.escape(PAGE_TITLES[q.page])}: {html.escape(q.where)}</p><p>{answer}</p></li>")
    return "<ol>" + "".join(items) + "</ol>"


def to_html(ws, base=links.SERVER, key=False):
    """A printable, self-contained HTML page (no external resources; every text escaped).

    With ``key``, the answer key follows on a new printed page.
    """
    body = [f"<h1>{html.escape(TITLE)}</h1>", f"<p>{html.escape(ws.setup)}</p>",
            _html_list(ws, base, key=False)]
    if key:
        body += [f'<h1 class="key">{html.escape(TITLE)}: answer key</h1>',
                 f"<p>{html.escape(ws.setup)}</p>", _html_list(ws, base, key=True)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(TITLE)}</title><style>{_CSS}</style></head><body>"
            + "".join(body) + "</body></html>\n")
