"""The worksheet (issue 16, part 3): its answers equal the engine's numbers, computed here
independently, for two dataset seeds; the key shows only behind the teacher toggle; the
downloads hold the questions and their links."""

import re

import numpy as np
import pytest

import ivfcore
from ui import worksheet
from ui.links import SERVER

from pages_open import notices, open_link, page_text

SETUP = {"kind": "imbalanced", "imbalanced.n": "4000", "nlist": "24", "nprobe": "2"}
N, D, NLIST, NPROBE, K, PER_GROUP = 4000, 32, 24, 2, 10, 100


def _url(**extra):
    query = "&".join(f"{k}={v}" for k, v in {**SETUP, **extra}.items())
    return f"{SERVER}/worksheet?{query}"


def _reference(seed, recall_nprobe):
    """Each answer from ivfcore alone, the way each page computes it (no ui code)."""
    ds = ivfcore.make_dataset("imbalanced", seed=seed, n=N, d=D, dense_fraction=0.9,
                              dense_spread=0.5, sparse_scale=10.0)
    km = ivfcore.train_kmeans(ds.x, NLIST, init="random", empty="reinit", max_iter=50, tol=1e-4, seed=0)
    index = ivfcore.build_ivf(ds.x, km.centroids)
    qid = int(np.random.default_rng([seed, 0]).integers(ds.n))
    s = ivfcore.size_stats(km.sizes)
    tr = index.trace(ds.x[qid], k=K, nprobe=NPROBE, exclude_id=qid)
    needed = next(p for p in range(1, NLIST + 1)
                  if index.trace(ds.x[qid], k=K, nprobe=p, exclude_id=qid).recall >= 0.9)
    # held-out recall: PER_GROUP queries per group out of the index, weighted by group share
    keep, qids = ivfcore.holdout_split(ds.n, PER_GROUP, seed=0, groups=ds.groups)
    xb, xq = ds.x[keep], ds.x[qids]
    held = ivfcore.build_ivf(xb, km.centroids)
    true_d, true_i = ivfcore.brute_force_knn(xb, xq, K)
    found = held.search(xq, k=K, nprobe=recall_nprobe).ids
    found_d = np.sum((xb[found] - xq[:, None, :]).astype(np.float64) ** 2, axis=2)
    scale = np.sum(xq.astype(np.float64) ** 2, axis=1) + np.sum(xb[true_i[:, -1]].astype(np.float64) ** 2, axis=1)
    per_query = [ivfcore.recall_at_k(found[j:j + 1], true_i[j:j + 1], distances=found_d[j:j + 1],
                                     true_distances=true_d[j:j + 1], scale=scale[j:j + 1])
                 for j in range(len(qids))]
    g = ds.groups[qids]
    share = np.bincount(ds.groups) / ds.n
    w = share[g] / np.bincount(g)[g]
    recall = float(np.dot(per_query, w / w.sum()))
    return qid, [str(km.n_iter), f"{s.max:,}", f"{s.imbalance_factor:.2f}", f"{tr.n_candidates:,}",
                 f"{tr.n_distance_computations:,}", str(needed),
                 f"{round(recall, 3):.3f}".rstrip("0").rstrip(".")]


def _questions_and_answers(at):
    md = [m.value for m in at.markdown]
    questions = [v for v in md if re.match(r"\*\*\d\.\*\* ", v)]
    answers = [v.removeprefix("**Answer:** ") for v in md if v.startswith("**Answer:** ")]
    return questions, answers


@pytest.mark.parametrize("seed", [0, 1])
def test_answers_equal_the_engine_for_two_seeds(seed):
    at = open_link(_url(seed=seed, ws_key="1"))
    assert not at.exception and not at.error and not notices(at)
    questions, answers = _questions_and_answers(at)
    assert 5 <= len(questions) <= 8 and len(answers) == len(questions)
    p = int(re.search(r"at nprobe = (\d+)\?", questions[-1]).group(1))
    qid, want = _reference(seed, p)
    assert f"data vector {qid} " in questions[3]
    assert answers == want
    assert len(at.get("download_button")) == 3


def test_key_hidden_until_the_teacher_toggle():
    at = open_link(_url(seed=0))
    questions, answers = _questions_and_answers(at)
    assert questions and not answers
    assert [b.label for b in at.get("download_button")] == ["Worksheet (Markdown)", "Printable page (HTML)"]
    toggle = next(t for t in at.toggle if t.label == "Show the answer key (teacher)")
    toggle.set_value(True).run()
    assert len(_questions_and_answers(at)[1]) == len(questions)
    assert dict(at.query_params).get("ws_key") in ("1", ["1"]), "the key's toggle is in the link"


def test_each_link_opens_the_page_that_prints_its_answer():
    """Open every question's link as a fresh browser would: the answer is on that page."""
    at = open_link(_url(seed=1, ws_key="1"))
    questions, answers = _questions_and_answers(at)
    links = [re.search(r"\]\((http[^)]+)\)", m.value).group(1) for m in at.markdown
             if m.value.startswith("[Open ")]
    assert len(links) == len(questions)
    for i, (link, answer) in enumerate(zip(links, answers)):
        page = open_link(link)
        assert not page.exception and not notices(page), link
        text = page_text(page)
        if i == 5:  # the smallest nprobe: the link opens nprobe 1, the answer is a slider value
            continue
        assert any(re.search(rf"(?<![\d.,]){re.escape(answer)}(?![\d,]|\.\d)", t) for t in text), (link, answer)


class _Held:
    def __init__(self, sweep):
        self.sweep = sweep


def test_downloads_hold_questions_links_and_the_key_only_when_asked():
    ds = ivfcore.make_dataset("blobs", seed=0, n=600, d=4, centers=3, spread=1.0)
    km = ivfcore.train_kmeans(ds.x, 6, seed=0)
    index = ivfcore.build_ivf(ds.x, km.centroids)
    keep, qids = ivfcore.holdout_split(ds.n, 20, seed=0)
    sweep = ivfcore.recall_sweep(ivfcore.build_ivf(ds.x[keep], km.centroids), ds.x[qids], k=10)
    values = {"kind": "blobs", "seed": 0, "blobs.n": 600, "blobs.d": 4, "blobs.centers": 3,
              "blobs.spread": 1.0, "nlist": 6, "init": "random", "empty": "reinit", "max_iter": 50,
              "tol": 1e-4, "train_seed": 0, "proj": "pca", "upload": "", "topk": 10, "nprobe": 1,
              "q": "id:0", "rq": 20, "zoom": True}
    ws = worksheet.build(values, ds, km, index, _Held(sweep))
    base = "http://class.example:8501"
    md, key = worksheet.to_markdown(ws, base), worksheet.to_markdown(ws, base, key=True)
    page, page_key = worksheet.to_html(ws, base), worksheet.to_html(ws, base, key=True)
    for q in ws.questions:
        assert q.text in md and q.text in key
        assert q.link(base) in md and q.link(base).replace("&", "&amp;") in page
        assert f"**Answer: {q.answer}**" in key and f"**Answer: {q.answer}**" not in md
        assert f'<span class="answer">Answer: {q.answer}</span>' in page_key
    assert 'class="answer"' not in page and "answer key" not in page
    assert "http" not in page.replace(base, ""), "no external resource"
    assert q.link(base).startswith(base + "/recall")


def test_html_escapes_every_text():
    q = worksheet.Question("Is <b>x</b> & y?", "train", "<script>alert(1)</script>", {}, "<i>7</i>")
    ws = worksheet.Worksheet(setup="a < b", query_id=0, questions=(q,))
    out = worksheet.to_html(ws, key=True)
    assert "<b>x</b>" not in out and "<script>" not in out and "<i>7</i>" not in out
    assert "Is &lt;b&gt;x&lt;/b&gt; &amp; y?" in out and "a &lt; b" in out


def test_setup_names_the_metric_and_answers_use_it():
    """Under metric=cosine the sheet says so, and the candidate count is the cosine index's."""
    at = open_link(_url(seed=0, ws_key="1", metric="cosine"))
    assert not at.exception and not at.error and not notices(at)
    setup = " ".join(c.value for c in at.caption if c.value.startswith("Data:"))
    assert "metric cosine" in setup
    questions, answers = _questions_and_answers(at)
    ds = ivfcore.make_dataset("imbalanced", seed=0, n=N, d=D, dense_fraction=0.9,
                              dense_spread=0.5, sparse_scale=10.0)
    km = ivfcore.train_kmeans(ds.x, NLIST, init="random", empty="reinit", max_iter=50, tol=1e-4, seed=0,
                              metric="cosine")
    index = ivfcore.build_ivf(ds.x, km.centroids, metric="cosine")
    qid = int(re.search(r"data vector (\d+) ", questions[3]).group(1))
    tr = index.trace(ds.x[qid], k=K, nprobe=NPROBE, exclude_id=qid)
    assert answers[3] == f"{tr.n_candidates:,}"
    assert answers[0] == str(km.n_iter)
