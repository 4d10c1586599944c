"""Section 1: k-means training, ivfcore against the chapter's naive code, scikit-learn and FAISS.

The target is a ratio to the faster of the two peers that run the same method (scikit-learn's
``KMeans(algorithm="lloyd")`` and ``faiss.Kmeans``), whichever it is in this run.

All methods start from the same initial centroids (k random data rows) and run a fixed number
of Lloyd iterations (tol=0), so they do the same work and end at (nearly) the same centroids.
"""

import os

import numpy as np

import ivfcore

from .common import (
    SEED, Target, best, best_ratio, faster_peer, fmt_mb, fmt_ms, fmt_s, fmt_x, interleaved, rng, run_child,
)

TIME_TARGET = Target("<=", 1.0, "x")  # ivfcore's time per iteration / the faster peer's (issue #15)
MEMORY_TARGET = Target("<", 200.0, " MB")  # ivfcore's peak memory on top of the data


# --- the methods: each runs n_iter iterations from c0 and returns the iterations it did ------


def run_ivfcore(x, c0, n_iter):
    km = ivfcore.train_kmeans(x, len(c0), init=c0, max_iter=n_iter, tol=0, record_history=False)
    run_ivfcore.last = km
    return km.n_iter


def run_sklearn(x, c0, n_iter):
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=len(c0), init=c0, n_init=1, algorithm="lloyd", max_iter=n_iter, tol=0)
    km.fit(x)
    run_sklearn.last = km
    return int(km.n_iter_)


def run_faiss(x, c0, n_iter):
    import faiss

    km = faiss.Kmeans(x.shape[1], len(c0), niter=n_iter, max_points_per_centroid=10**9,
                      seed=SEED, verbose=False)
    km.train(x, init_centroids=c0)
    run_faiss.last = km
    return len(km.obj)


def naive_assign(x, c):
    """The chapter's assignment step: it builds the (n, k, d) difference array, twice over."""
    diff = x[:, np.newaxis] - c[np.newaxis, :]
    distances = np.sum(diff**2, axis=2)
    return np.argmin(distances, axis=1)


def naive_update(x, labels, c):
    """The chapter's update step: one boolean mask over all vectors per cluster."""
    new = np.zeros_like(c)
    for j in range(len(c)):
        mask = labels == j
        if mask.sum() > 0:
            new[j] = x[mask].mean(axis=0)
        else:  # the chapter re-draws it with the global RNG; keeping it changes no timing
            new[j] = c[j]
    return new


def run_naive(x, c0, n_iter):
    c = c0.copy()
    for _ in range(n_iter):
        labels = naive_assign(x, c)
        c = naive_update(x, labels, c)
    return n_iter


METHODS = {"ivfcore": run_ivfcore, "sklearn": run_sklearn, "faiss": run_faiss, "naive": run_naive}
NAMES = {
    "ivfcore": "ivfcore.train_kmeans",
    "sklearn": "scikit-learn KMeans (lloyd)",
    "faiss": "faiss.Kmeans",
    "naive": "chapter's naive k-means",
}


def warm_up(x, c0, names=tuple(METHODS)):
    """Run each method once on a little data: imports, thread pools, first-call set-up.

    4,000 rows keep FAISS above its 39-points-per-centroid warning for k=100.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            METHODS[name](x[: 200 if name == "naive" else 4000], c0, 1)


def initial_centroids(x, k):
    """k distinct data rows, the same for every method."""
    ids = np.sort(rng("kmeans-init").choice(x.shape[0], size=k, replace=False))
    return np.ascontiguousarray(x[ids])


def run(report, x, c0, data_dir, cfg):
    n, d = x.shape
    k = len(c0)
    n_iter = cfg["kmeans_iter"]
    naive_rows = cfg["naive_rows"]
    scale = n / naive_rows
    # The exercise rows are 90% dense then 10% sparse: a random subsample keeps that mix.
    xs = np.ascontiguousarray(x[np.sort(rng("naive-rows").choice(n, size=naive_rows, replace=False))])
    np.save(os.path.join(data_dir, "x_naive.npy"), xs)
    sec = "1"
    print(f"\n[1] k-means: n={n:,} d={d} k={k}, {n_iter} iterations from the same {k} data rows; "
          f"naive on {naive_rows:,} rows (x{scale:g} to extrapolate), {cfg['rounds']} interleaved rounds",
          flush=True)

    iters = {}

    def timed(name, data, iterations):
        def call():
            iters[name] = METHODS[name](data, c0, iterations)
        return call

    warm_up(x, c0)
    fns = {name: timed(name, x, n_iter) for name in ("ivfcore", "sklearn", "faiss")}
    fns["naive"] = timed("naive", xs, cfg["naive_iter"])
    times = interleaved(fns, cfg["rounds"])
    per_iter = {name: [t / iters[name] for t in ts] for name, ts in times.items()}
    per_iter["naive"] = [t * scale for t in per_iter["naive"]]  # linear in n: extrapolated to n
    ms = {name: best(v) for name, v in per_iter.items()}
    peer = faster_peer(per_iter, ("sklearn", "faiss"))
    other = "faiss" if peer == "sklearn" else "sklearn"
    label = {"sklearn": "scikit-learn", "faiss": "FAISS"}
    ref = f"faster peer: {label[peer]} {fmt_ms(ms[peer])}"
    report.raw["kmeans"] = {"per_iter_s": per_iter, "iterations": iters, "n": n, "k": k,
                            "naive_rows": naive_rows, "faster_peer": peer}

    ratio = best_ratio(per_iter["ivfcore"], per_iter[peer])
    report.add(sec, f"k-means time per iteration: {NAMES['ivfcore']}", fmt_ms(ms["ivfcore"]), ref,
               fmt_x(ratio) + f" {label[peer]}'s time", target=TIME_TARGET, target_value=round(ratio, 2))
    report.add(sec, f"k-means time per iteration: {NAMES[peer]}", fmt_ms(ms[peer]))
    report.add(sec, f"k-means time per iteration: {NAMES[other]}", fmt_ms(ms[other]), ref,
               fmt_x(best_ratio(per_iter[other], per_iter[peer])) + f" {label[peer]}'s time")
    ref = f"FAISS {fmt_ms(ms['faiss'])}"
    naive_measured = best(times["naive"]) / cfg["naive_iter"]
    report.add(sec, f"k-means time per iteration: {NAMES['naive']}, {naive_rows:,} rows, x{scale:g}",
               f"{fmt_ms(naive_measured)} -> {fmt_s(ms['naive'])} at n={n:,}", ref,
               fmt_x(best_ratio(per_iter["naive"], per_iter["faiss"])) + " FAISS's time")

    # Same work, same answer: labels and inertia after the same iterations.
    km, sk, fk = run_ivfcore.last, run_sklearn.last, run_faiss.last
    same_sk = float(np.mean(km.labels == sk.labels_))
    fd, fl = ivfcore.brute_force_knn(np.ascontiguousarray(fk.centroids, dtype=x.dtype), x, 1)
    same_f = float(np.mean(km.labels == fl[:, 0]))
    f_inertia = float(fd.sum(dtype=np.float64))
    report.raw["kmeans"]["agreement"] = {"labels_vs_sklearn": same_sk, "labels_vs_faiss": same_f,
                                         "inertia": [km.inertia, float(sk.inertia_), f_inertia]}
    report.note(
        f"k-means, same work and answer: after {n_iter} iterations the labels are identical to "
        f"scikit-learn's for {same_sk:.2%} of vectors and to those of FAISS's centroids for "
        f"{same_f:.2%}; inertia ivfcore {km.inertia:,.0f}, scikit-learn {sk.inertia_:,.0f}, FAISS "
        f"{f_inertia:,.0f} ({abs(km.inertia / f_inertia - 1):.4%} apart). Vectors of the dense ball "
        "are nearly equidistant from several centroids, so float32 rounding in a different BLAS "
        "flips a few of them and Lloyd's iterations carry the difference on. Iterations done: "
        + ", ".join(f"{k_}={v}" for k_, v in iters.items()) + "."
    )

    # Peak memory, each method in a fresh process.
    mem = {}
    for name in ("ivfcore", "sklearn", "faiss", "naive"):
        mem[name] = run_child("kmeans_mem", {"method": name, "data_dir": data_dir, "n_iter": 2})
    report.raw["kmeans"]["memory"] = mem
    fmb = mem["faiss"]["extra_mb"]
    fref = f"FAISS {fmt_mb(fmb)}"
    for name in ("ivfcore", "sklearn", "faiss"):
        mb = mem[name]["extra_mb"]
        report.add(sec, f"k-means peak extra memory: {NAMES[name]}", fmt_mb(mb),
                   *((fref, _times(mb, fmb)) if name != "faiss" else ()),
                   **(dict(target=MEMORY_TARGET, target_value=mb) if name == "ivfcore" else {}))
    nv = mem["naive"]["extra_mb"]
    theory_gb = 2 * n * k * d * 4 / 2**30
    report.add(sec, f"k-means peak extra memory: {NAMES['naive']}, {naive_rows:,} rows, x{scale:g}",
               f"{fmt_mb(nv)} -> {fmt_mb(nv * scale)} at n={n:,}", fref, _times(nv * scale, fmb))
    report.note(
        f"Memory = VmHWM of a fresh process minus its resident size after loading x "
        f"({mem['ivfcore']['base_mb']:.0f} MB incl. libraries), "
        f"{'peak reset with /proc/self/clear_refs' if mem['ivfcore']['reset'] else 'no peak reset available'}. "
        f"The naive figure at n={n:,} is extrapolated (linear in n; two (n, k, d) float32 arrays "
        f"are {theory_gb:.1f} GB); it is not run at full size."
    )


def _times(mb, ref_mb):
    """``mb`` as a multiple of the reference, when the reference is big enough to divide by."""
    if ref_mb < 1:
        return ""
    r = mb / ref_mb
    return (f"{r:,.0f}x" if r >= 100 else fmt_x(r)) + " FAISS's"
