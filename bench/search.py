"""Section 2: batched search, ivfcore's IVF-Flat against FAISS's IndexIVFFlat on the same lists.

Both indexes use the same centroids (the k-means initial centroids), so they hold the same
inverted lists and must return the same neighbours; any difference has to be a tie.
"""

import numpy as np

import ivfcore

from .common import Target, best, best_ratio, fmt_ms, fmt_x, interleaved, rng

K = 10
NPROBES = (1, 5, 10, 100)
QPS_TARGET = Target(">=", 0.5)  # ivfcore qps / FAISS qps at nprobe 5


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
            target=QPS_TARGET if p == 5 else None, target_value=ratio,
        )
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

    out = {}

    def ours_brute():
        out["ours"] = ivfcore.brute_force_knn(x, xq, K)

    def faiss_brute():
        out["faiss"] = flat.search(xq, K)

    t = interleaved({"ivfcore": ours_brute, "faiss": faiss_brute}, cfg["search_rounds"])
    qps = {name: m / best(v) for name, v in t.items()}
    same, ties, ptie, other = compare_ids(x, xq, out["ours"][1], out["faiss"][1])
    raw["brute"] = {"times": t, "qps": qps, "identical": same, "ties": ties, "other": other + ptie}
    report.add(sec, "exact search qps: ivfcore.brute_force_knn", f"{qps['ivfcore']:,.0f} q/s",
               f"FAISS IndexFlatL2 {qps['faiss']:,.0f} q/s",
               fmt_x(best_ratio(t["faiss"], t["ivfcore"])) + " FAISS's qps")
    report.note(f"exact search: ids identical to FAISS for {same}/{m} queries"
                + (f" ({ties} ties, {other + ptie} unexplained)" if same < m else "") + ".")
    report.raw["search"] = raw
