"""Section 2: batched search, ivfcore's IVF-Flat against FAISS's IndexIVFFlat on the same lists,
and exact search against FAISS's IndexFlatL2 and scikit-learn's brute-force NearestNeighbors.

Both IVF indexes use the same centroids (the k-means initial centroids), so they hold the same
inverted lists and must return the same neighbours; any difference has to be a tie. Exact
search is compared with the faster of its two peers in this run.
"""

import numpy as np

import ivfcore

from .common import Target, best, best_ratio, faster_peer, fmt_ms, fmt_x, interleaved, rng

K = 10
NPROBES = (1, 5, 10, 100)
QPS_TARGET = Target(">=", 1.0)  # ivfcore qps / FAISS IndexIVFFlat qps, at every nprobe (issue #15)
EXACT_TARGET = Target(">=", 0.5)  # ivfcore qps / the faster of IndexFlatL2 and scikit-learn brute
PEERS = {"faiss": "FAISS IndexFlatL2", "sklearn": "scikit-learn NearestNeighbors(brute)"}


def ids_row(report, sec, what, counts, m, peer="FAISS"):
    """One row: queries whose ids equal the peer's, or differ only by ties, at each setting.

    ``counts`` maps a label (an nprobe) to ``(identical, ties)``; the target is every query.
    """
    labels = list(counts)
    agree = {p: sum(counts[p]) for p in labels}
    worst = min(agree.values())
    value = " / ".join(f"{counts[p][0]:,}" + (f"+{counts[p][1]}" if counts[p][1] else "") for p in labels)
    report.add(sec, what, value + f" of {m:,}", f"{peer}'s ids", "identical (+ ties)",
               target=Target("==", m, " queries"), target_value=worst)


def held_out_queries(n_queries):
    """Queries made by the same recipe with another seed: 90% dense, 10% sparse, like the data."""
    ds = ivfcore.make_dataset("exercise", seed=1)
    r = rng("queries")
    n_sparse = n_queries // 10
    dense = r.choice(np.flatnonzero(ds.groups == 0), size=n_queries - n_sparse, replace=False)
    sparse = r.choice(np.flatnonzero(ds.groups == 1), size=n_sparse, replace=False)
    return np.ascontiguousarray(ds.x[np.concatenate([dense, sparse])])


def faiss_ivf(x, centroids, nprobe=1):
    """IndexIVFFlat whose coarse quantizer holds exactly our centroids (no FAISS training)."""
    import faiss

    d, nlist = x.shape[1], centroids.shape[0]
    quantizer = faiss.IndexFlatL2(d)
    quantizer.add(np.ascontiguousarray(centroids, dtype=np.float32))
    index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_L2)
    index.is_trained = True
    index.add(x)
    index.nprobe = nprobe  # FAISS's Python wrapper keeps the quantizer alive with the index
    return index


def chapter_ivf_search(centroids, inverted_lists, vectors, query, nprobe, k=10):
    """The chapter's per-query search (its prints removed): Python lists, one query at a time."""
    diff = centroids - query
    centroid_distances = np.sum(diff**2, axis=1)
    closest_centroids = np.argsort(centroid_distances)[:nprobe]
    candidate_indices = []
    for c in closest_centroids:
        candidate_indices.extend(inverted_lists[c])
    candidates = vectors[candidate_indices]
    diff = candidates - query
    distances = np.sum(diff**2, axis=1)
    top_k_idx = np.argsort(distances)[:k]
    return distances[top_k_idx], np.array(candidate_indices)[top_k_idx]


def compare_ids(x, xq, ids_a, ids_b, probed_a=None, probed_b=None, rtol=1e-5):
    """How far two result sets differ, and whether each difference is a tie.

    A row whose ids differ counts as a *distance tie* when both id lists have the same sorted
    exact (float64) distances up to float32 rounding, and as a *probe tie* when the two sides
    opened different lists because two centroids were equally near up to rounding.
    Returns (identical rows, distance ties, probe ties, other).
    """
    same = np.all(ids_a == ids_b, axis=1)
    ties = probe_ties = other = 0
    for r in np.flatnonzero(~same):
        q = xq[r].astype(np.float64)

        def exact(ids):
            ids = ids[ids >= 0]
            rows = x[ids].astype(np.float64)
            return np.sort(((rows - q) ** 2).sum(axis=1))

        da, db = exact(ids_a[r]), exact(ids_b[r])
        if len(da) == len(db) and np.allclose(da, db, rtol=rtol, atol=rtol * max(1.0, da[-1] if len(da) else 1)):
            ties += 1
        elif probed_a is not None and set(probed_a[r]) != set(probed_b[r]):
            probe_ties += 1
        else:
            other += 1
    return int(same.sum()), ties, probe_ties, other


def run(report, x, c0, data_dir, cfg):
    import faiss

    sec = "2"
    m = cfg["queries"]
    xq = held_out_queries(m)
    print(f"\n[2] search: {m:,} held-out queries (same recipe, seed 1), k={K}, nlist={len(c0)}, "
          f"same centroids for both indexes, {cfg['search_rounds']} interleaved rounds", flush=True)

    holder = {}

    def build_ours():
        holder["ours"] = ivfcore.build_ivf(x, c0)

    def build_faiss():
        holder["faiss"] = faiss_ivf(x, c0)

    t_build = interleaved({"ivfcore": build_ours, "faiss": build_faiss}, cfg["search_rounds"])
    ours, theirs = holder["ours"], holder["faiss"]
    report.add(sec, "build IVF-Flat (assign + lists): ivfcore.build_ivf", fmt_ms(best(t_build["ivfcore"])),
               f"FAISS {fmt_ms(best(t_build['faiss']))}",
               fmt_x(best_ratio(t_build["ivfcore"], t_build["faiss"])) + " FAISS's time")

    invlists = theirs.invlists
    faiss_sizes = np.array([invlists.list_size(l) for l in range(ours.nlist)])
    moved = int(np.abs(faiss_sizes - ours.list_sizes).sum())
    report.note(f"inverted lists: the same sizes in both indexes"
                if moved == 0 else f"inverted lists: sizes differ by {moved} vectors in total (ties)")

    flat = faiss.IndexFlatL2(x.shape[1])
    flat.add(x)
    _, true_ids = flat.search(xq, K)
    raw = {"nprobe": {}, "queries": m}
    id_counts = {}
    lists = {l: ours.list_members(l).tolist() for l in range(ours.nlist)}  # the chapter's dict of lists
    for p in NPROBES:
        if p > len(c0):
            continue
        theirs.nprobe = p
        out = {}

        def ours_search():
            out["ours"] = ours.search(xq, k=K, nprobe=p)

        def faiss_search():
            out["faiss"] = theirs.search(xq, K)

        fns = {"ivfcore": ours_search, "faiss": faiss_search}
        if p == 5:
            def chapter_search():
                for q in xq:
                    chapter_ivf_search(ours.centroids, lists, x, q, p, K)
            fns["chapter"] = chapter_search
        t = interleaved(fns, cfg["search_rounds"])
        qps = {name: m / best(v) for name, v in t.items()}
        ratio = best_ratio(t["faiss"], t["ivfcore"])  # = ivfcore qps / FAISS qps
        res, (fd, fi) = out["ours"], out["faiss"]
        _, fprobed = theirs.quantizer.search(xq, p)
        same, ties, ptie, other = compare_ids(x, xq, res.ids, fi, res.probed, fprobed)
        rec_ours = ivfcore.recall_at_k(res.ids, true_ids)
        rec_faiss = ivfcore.recall_at_k(fi, true_ids)
        raw["nprobe"][p] = {"times": t, "qps": qps, "ratio": ratio, "identical": same, "ties": ties,
                            "probe_ties": ptie, "other": other, "recall_ivfcore": rec_ours,
                            "recall_faiss": rec_faiss,
                            "candidates_mean": float(res.n_candidates.mean())}
        report.add(
            sec, f"search qps, nprobe={p}: ivfcore IVFIndex.search",
            f"{qps['ivfcore']:,.0f} q/s", f"FAISS IndexIVFFlat {qps['faiss']:,.0f} q/s",
            fmt_x(ratio) + " FAISS's qps",
            target=QPS_TARGET, target_value=ratio,
        )
        id_counts[p] = (same, ties + ptie)
        if "chapter" in qps:
            report.add(sec, f"search qps, nprobe={p}: chapter's ivf_search, one query at a time",
                       f"{qps['chapter']:,.0f} q/s", f"FAISS IndexIVFFlat {qps['faiss']:,.0f} q/s",
                       fmt_x(best_ratio(t["faiss"], t["chapter"])) + " FAISS's qps")
        report.note(
            f"nprobe={p}: ids identical to FAISS for {same}/{m} queries"
            + (f"; the other {m - same}: {ties} equal distances (ties), {ptie} lists opened "
               f"differently (equidistant centroids), {other} unexplained" if same < m else "")
            + f". recall@{K}: ivfcore {rec_ours:.3f}, FAISS {rec_faiss:.3f}; "
            f"{res.n_candidates.mean():,.0f} candidates scanned per query."
        )

    ids_row(report, sec, "IVF-Flat ids as FAISS's, nprobe=" + "/".join(map(str, id_counts)), id_counts, m)

    from sklearn.neighbors import NearestNeighbors

    sk = NearestNeighbors(n_neighbors=K, algorithm="brute", metric="euclidean").fit(x)
    out = {}

    def ours_brute():
        out["ivfcore"] = ivfcore.brute_force_knn(x, xq, K)

    def faiss_brute():
        out["faiss"] = flat.search(xq, K)

    def sklearn_brute():
        out["sklearn"] = sk.kneighbors(xq, K)

    t = interleaved({"ivfcore": ours_brute, "faiss": faiss_brute, "sklearn": sklearn_brute},
                    cfg["search_rounds"])
    qps = {name: m / best(v) for name, v in t.items()}
    peer = faster_peer(t, PEERS)
    ratio = best_ratio(t[peer], t["ivfcore"])
    ref = f"faster peer: {PEERS[peer]} {qps[peer]:,.0f} q/s"
    same, ties, ptie, other = compare_ids(x, xq, out["ivfcore"][1], out["faiss"][1])
    s_same, s_ties, s_ptie, s_other = compare_ids(x, xq, out["ivfcore"][1], out["sklearn"][1])
    raw["brute"] = {"times": t, "qps": qps, "faster_peer": peer, "ratio": ratio, "identical": same,
                    "ties": ties, "other": other + ptie, "sklearn_identical": s_same,
                    "sklearn_ties": s_ties, "sklearn_other": s_other + s_ptie}
    report.add(sec, "exact search qps: ivfcore.brute_force_knn", f"{qps['ivfcore']:,.0f} q/s", ref,
               fmt_x(ratio) + " the faster peer's qps", target=EXACT_TARGET, target_value=ratio)
    for name in sorted(PEERS, key=lambda n_: n_ != peer):
        report.add(sec, f"exact search qps: {PEERS[name]}", f"{qps[name]:,.0f} q/s",
                   *((ref, fmt_x(best_ratio(t[peer], t[name])) + " the faster peer's qps")
                     if name != peer else ()))
    ids_row(report, sec, "exact search ids as FAISS's / scikit-learn's",
            {"faiss": (same, ties + ptie), "sklearn": (s_same, s_ties + s_ptie)}, m, "FAISS's / scikit-learn")
    report.note(f"exact search: ids identical to FAISS for {same}/{m} queries"
                + (f" ({ties} ties, {other + ptie} unexplained)" if same < m else "")
                + f", to scikit-learn for {s_same}/{m}"
                + (f" ({s_ties} ties, {s_other + s_ptie} unexplained)" if s_same < m else "") + ".")
    report.raw["search"] = raw
