"""Section 5: real embeddings by cosine, GloVe 6B 50-d (400,000 words), ivfcore against FAISS.

What a FAISS user does for cosine is normalise the vectors (``faiss.normalize_L2``) and search
by inner product; ivfcore takes ``metric="cosine"`` and normalises inside. The timed FAISS
calls include that normalisation wherever ivfcore's do (k-means, building the index, the
queries), so both sides do the same work:

- spherical k-means per iteration from the same unit-length initial centroids
  (``faiss.Kmeans(spherical=True)``, every point used);
- IVF search at nprobe 1 / 5 / 20 on the same centroids (``IndexIVFFlat`` over an
  ``IndexFlatIP`` quantizer, ``METRIC_INNER_PRODUCT``): the same lists, so the same ids up to
  ties;
- exact search, the index's own brute force ``IVFIndex.exact``, against the faster of FAISS's
  ``IndexFlatIP`` and scikit-learn's ``NearestNeighbors(algorithm="brute", metric="cosine")``
  (fitted on the raw rows: it normalises inside, as ivfcore does), all 1,000 queries in one
  batched call per method, fewer rounds than the other rows (``glove_exact_rounds``) so that
  400,000 words x 1,000 queries finishes in a minute or two.
"""

import time

import numpy as np

import ivfcore

from .common import SEED, Target, best, best_ratio, faster_peer, fmt_ms, fmt_s, fmt_x, interleaved, rng
from .search import EXACT_TARGET, ids_row

K = 10
NPROBES = (1, 5, 20)
KMEANS_TARGET = Target("<=", 1.0, "x")  # ivfcore's time per iteration / FAISS's
QPS_TARGET = Target(">=", 1.0)  # ivfcore qps / FAISS qps
EXACT_PEERS = {"faiss": "FAISS IndexFlatIP", "sklearn": "scikit-learn NearestNeighbors(brute, cosine)"}


def _normalised(faiss, x):
    """What a FAISS user searches for cosine: a unit-length copy of the rows."""
    out = np.array(x, dtype=np.float32, order="C", copy=True)
    faiss.normalize_L2(out)
    return out


def faiss_spherical_kmeans(faiss, x, c0, n_iter):
    km = faiss.Kmeans(x.shape[1], len(c0), niter=n_iter, spherical=True, max_points_per_centroid=10**9,
                      seed=SEED, verbose=False)
    km.train(_normalised(faiss, x), init_centroids=c0)
    return km


def faiss_ivf_cosine(faiss, x, centroids):
    """IndexIVFFlat by inner product over unit vectors, its quantizer holding exactly ``centroids``."""
    d, nlist = x.shape[1], centroids.shape[0]
    quantizer = faiss.IndexFlatIP(d)
    quantizer.add(np.ascontiguousarray(centroids, dtype=np.float32))
    index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.add(_normalised(faiss, x))
    return index


def compare_ids(ids_a, sims_a, ids_b, sims_b, tol=1e-5):
    """(identical rows, rows that differ only among equally similar vectors, other rows)."""
    same = np.all(ids_a == ids_b, axis=1)
    close = np.all(np.abs(sims_a - sims_b) <= tol * (1 + np.abs(sims_b)), axis=1)
    return int(same.sum()), int((~same & close).sum()), int((~same & ~close).sum())


def run(report, x_unused, c0_unused, data_dir, cfg):
    import faiss

    sec = "5"
    t0 = time.perf_counter()
    ds = ivfcore.make_dataset("glove", n=cfg["glove_n"])
    t_load = time.perf_counter() - t0
    x = ds.x
    n, d = x.shape
    nlist, n_iter, m = cfg["glove_nlist"], cfg["glove_iter"], cfg["queries"]
    r = rng("glove")
    c0 = ivfcore.prepare(np.ascontiguousarray(x[np.sort(r.choice(n, size=nlist, replace=False))]), "cosine")
    q_ids = np.sort(r.choice(n, size=m, replace=False))
    xq = np.ascontiguousarray(x[q_ids])  # words as queries, as the Search page asks
    print(f"\n[5] GloVe by cosine: n={n:,} d={d} (loaded in {t_load:.2f} s), nlist={nlist}, "
          f"{n_iter} k-means iterations from the same {nlist} unit rows; {m:,} words as queries, "
          f"k={K}; {cfg['rounds']} interleaved rounds", flush=True)
    report.note(f"GloVe {n:,} x {d}: make_dataset('glove') took {t_load:.2f} s in this process")

    # --- spherical k-means
    out = {}

    def ours_kmeans():
        out["ours"] = ivfcore.train_kmeans(x, nlist, init=c0, max_iter=n_iter, tol=0, metric="cosine",
                                           record_history=False)

    def faiss_kmeans():
        out["faiss"] = faiss_spherical_kmeans(faiss, x, c0, n_iter)

    ivfcore.train_kmeans(x[:20000], nlist, init=c0, max_iter=1, metric="cosine", record_history=False)
    faiss_spherical_kmeans(faiss, x[:20000], c0, 1)  # warm-up: imports, thread pools
    t = interleaved({"ivfcore": ours_kmeans, "faiss": faiss_kmeans}, cfg["rounds"])
    km, fk = out["ours"], out["faiss"]
    per_iter = {name: [v / n_iter for v in ts] for name, ts in t.items()}
    ratio = best_ratio(per_iter["ivfcore"], per_iter["faiss"])
    report.add(sec, f"GloVe spherical k-means per iteration (k={nlist}): ivfcore.train_kmeans(metric='cosine')",
               fmt_ms(best(per_iter["ivfcore"])), f"faiss.Kmeans(spherical=True) {fmt_ms(best(per_iter['faiss']))}",
               fmt_x(ratio) + " FAISS's time", target=KMEANS_TARGET, target_value=ratio)
    _, f_labels = fk.index.search(_normalised(faiss, x), 1)
    same_labels = float((f_labels[:, 0] == km.labels).mean())
    c_gap = float(np.abs(km.centroids - fk.centroids).max())
    report.note(f"GloVe k-means: {same_labels:.2%} of the words in the same cluster as FAISS's after "
                f"{n_iter} iterations; centroids within {c_gap:.1e}")

    # --- IVF search, same centroids
    holder = {}

    def build_ours():
        holder["ours"] = ivfcore.build_ivf(x, km.centroids, metric="cosine")

    def build_faiss():
        holder["faiss"] = faiss_ivf_cosine(faiss, x, km.centroids)

    t = interleaved({"ivfcore": build_ours, "faiss": build_faiss}, cfg["search_rounds"])
    ours, theirs = holder["ours"], holder["faiss"]
    report.add(sec, "GloVe build IVF-Flat (normalise + assign + lists): ivfcore.build_ivf(metric='cosine')",
               fmt_ms(best(t["ivfcore"])), f"FAISS {fmt_ms(best(t['faiss']))}",
               fmt_x(best_ratio(t["ivfcore"], t["faiss"])) + " FAISS's time")
    sizes = np.array([theirs.invlists.list_size(lst) for lst in range(nlist)])
    moved = int(np.abs(sizes - ours.list_sizes).sum())
    report.note("GloVe inverted lists: the same sizes in both indexes" if moved == 0
                else f"GloVe inverted lists: sizes differ by {moved} vectors in total (ties)")
    raw = {"n": n, "nlist": nlist, "load_s": t_load, "kmeans_same_labels": same_labels, "nprobe": {}}
    id_counts = {}
    for p in NPROBES:
        theirs.nprobe = p
        res = {}

        def ours_search():
            res["ours"] = ours.search(xq, k=K, nprobe=p)

        def faiss_search():
            res["faiss"] = theirs.search(_normalised(faiss, xq), K)

        t = interleaved({"ivfcore": ours_search, "faiss": faiss_search}, cfg["search_rounds"])
        qps = {name: m / best(v) for name, v in t.items()}
        ratio = best_ratio(t["faiss"], t["ivfcore"])
        fd, fi = res["faiss"]
        same, ties, other = compare_ids(res["ours"].ids, res["ours"].distances, fi, fd)
        raw["nprobe"][p] = {"qps": qps, "ratio": ratio, "identical": same, "ties": ties, "other": other}
        id_counts[p] = (same, ties)
        report.add(sec, f"GloVe search qps by cosine, nprobe={p}: ivfcore IVFIndex.search",
                   f"{qps['ivfcore']:,.0f} q/s", f"FAISS IndexIVFFlat IP {qps['faiss']:,.0f} q/s",
                   fmt_x(ratio) + " FAISS's qps", target=QPS_TARGET, target_value=ratio)
        report.note(f"GloVe nprobe={p}: ids identical to FAISS for {same}/{m} queries"
                    + (f" ({ties} differ only among equally similar words, {other} otherwise)"
                       if same < m else ""))

    ids_row(report, sec, "GloVe IVF ids as FAISS's, nprobe=" + "/".join(map(str, id_counts)), id_counts, m)

    # --- exact search: one batched call of all m queries per method, fewer rounds
    from sklearn.neighbors import NearestNeighbors

    flat = faiss.IndexFlatIP(d)
    flat.add(_normalised(faiss, x))
    sk = NearestNeighbors(n_neighbors=K, algorithm="brute", metric="cosine").fit(x)

    def ours_exact():
        res["ivfcore"] = ours.exact(xq, K)

    def faiss_exact():
        res["faiss"] = flat.search(_normalised(faiss, xq), K)

    def sklearn_exact():
        res["sklearn"] = sk.kneighbors(xq, K)

    rounds = cfg["glove_exact_rounds"]
    print(f"  GloVe exact search: {m:,} queries x {n:,} words in one call per method, {rounds} rounds",
          flush=True)
    t = interleaved({"ivfcore": ours_exact, "faiss": faiss_exact, "sklearn": sklearn_exact}, rounds)
    qps = {name: m / best(v) for name, v in t.items()}
    peer = faster_peer(t, EXACT_PEERS)
    ratio = best_ratio(t[peer], t["ivfcore"])
    ref = f"faster peer: {EXACT_PEERS[peer]} {qps[peer]:,.0f} q/s"
    (od, oi), (fd, fi), (sd, si) = res["ivfcore"], res["faiss"], res["sklearn"]
    same, ties, other = compare_ids(oi, od, fi, fd)
    s_same, s_ties, s_other = compare_ids(oi, od, si, (1 - sd).astype(od.dtype))  # cosine distance -> similarity
    raw["exact"] = {"qps": qps, "times": t, "faster_peer": peer, "ratio": ratio, "rounds": rounds,
                    "identical": same, "ties": ties, "other": other, "sklearn_identical": s_same,
                    "sklearn_ties": s_ties, "sklearn_other": s_other}
    report.add(sec, f"GloVe exact search qps by cosine ({rounds} rounds): ivfcore IVFIndex.exact",
               f"{qps['ivfcore']:,.0f} q/s", ref, fmt_x(ratio) + " the faster peer's qps",
               target=EXACT_TARGET, target_value=ratio)
    for name in sorted(EXACT_PEERS, key=lambda n_: n_ != peer):
        report.add(sec, f"GloVe exact search qps by cosine: {EXACT_PEERS[name]}", f"{qps[name]:,.0f} q/s",
                   *((ref, fmt_x(best_ratio(t[peer], t[name])) + " the faster peer's qps")
                     if name != peer else ()))
    ids_row(report, sec, "GloVe exact ids as FAISS's / scikit-learn's",
            {"faiss": (same, ties), "sklearn": (s_same, s_ties)}, m, "FAISS's / scikit-learn")
    report.note(f"GloVe exact search: ids identical to FAISS for {same}/{m} queries"
                + (f" ({ties} differ only among equally similar words, {other} otherwise)" if same < m else "")
                + f", to scikit-learn for {s_same}/{m}"
                + (f" ({s_ties} differ only among equally similar words, {s_other} otherwise)"
                   if s_same < m else ""))
    report.raw["glove"] = raw
    print(f"  GloVe section: {fmt_s(time.perf_counter() - t0)}", flush=True)
