"""Compile, or load from numba's on-disk cache, every compiled kernel the engine runs.

The search kernels (:mod:`ivfcore.scan`), the fused Lloyd pass (:mod:`ivfcore.lloyd`) and the
IVF-PQ scan (:mod:`ivfcore.adc`) are compiled by numba on their first call for each type
signature: seconds with an empty cache (once per checkout), about a second to load them from
the cache in a fresh process. :func:`warm_up` makes those first calls on a few hundred random
float32 vectors, for each kernel and route the app uses, so that a server can pay it at
start-up instead of its first learner paying it on a click.
"""

import numpy as np


def warm_up():
    """Call each compiled kernel once on tiny data (float32; "l2" and "cosine"; every route).

    Returns nothing; takes a fraction of a second once the kernels are in the disk cache.
    """
    from .ivf import build_ivf
    from .kmeans import train_kmeans
    from .knn import brute_force_knn
    from .pq import build_ivfpq

    x = np.random.default_rng(0).standard_normal((600, 8), dtype=np.float32)
    allowed = np.arange(len(x)) % 2 == 0
    for metric in ("l2", "cosine"):
        km = train_kmeans(x, 8, max_iter=2, seed=0, metric=metric)
        index = build_ivf(x, km.centroids, metric=metric)
        index.trace(x[0], k=5, nprobe=2)  # one query: the serial per-query scan
        index.search(x[:64], k=5, nprobe=2)  # few queries per list: the parallel per-query scan
        index.search(x[:64], k=5, nprobe=8)  # many per list: one product per list
        index.search(x[:64], k=5, nprobe=2, allowed=allowed)
        brute_force_knn(x, x[:64], 5, metric=metric)
        pq = build_ivfpq(x, km.centroids, m=2, nbits=4, seed=0, metric=metric)
        pq.search(x[:64], k=5, nprobe=2)
