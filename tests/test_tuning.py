"""The smallest nprobe reaching a target recall for one query (ivfcore.tuning), against the
reference: a loop over every nprobe calling IVFIndex.trace, the recall the Search page shows."""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError
from ivfcore.tuning import smallest_nprobe


def _loop(index, q, target, k, exclude_id):
    """Brute reference: trace at nprobe = 1, 2, ... until the recall reaches the target."""
    for p in range(1, index.nlist + 1):
        r = index.trace(q, k=k, nprobe=p, exclude_id=exclude_id).recall
        if r >= target:
            return p, r
    return None, r


@pytest.mark.parametrize("kind, params", [
    ("blobs", dict(n=1500, d=8, centers=6, spread=1.0)),
    ("duplicates", dict(n=800, d=4, duplicate_fraction=0.6, n_distinct=5)),  # ties everywhere
    ("imbalanced", dict(n=1500, d=16)),
])
def test_equals_a_loop_over_trace(kind, params):
    ds = ivfcore.make_dataset(kind, seed=3, **params)
    km = ivfcore.train_kmeans(ds.x, 24, seed=1, record_history=False)
    index = ivfcore.build_ivf(ds.x, km.centroids)
    rng = np.random.default_rng(0)
    checked = 0
    for qid in rng.choice(ds.n, 12, replace=False):
        for k, target in ((10, 0.9), (10, 1.0), (5, 0.5), (1, 1.0)):
            for exclude in (int(qid), None):
                got = smallest_nprobe(index, ds.x[qid], target, k=k, exclude_id=exclude)
                want = _loop(index, ds.x[qid], target, k, exclude)
                assert (got.nprobe, got.recall) == want, (qid, k, target, exclude)
                checked += got.nprobe > 1
    assert checked, "some queries need more than one list"


def test_fresh_query_and_every_list_reaches_full_recall():
    ds = ivfcore.make_dataset("blobs", seed=0, n=1000, d=8, centers=4, spread=2.0)
    km = ivfcore.train_kmeans(ds.x, 10, seed=0, record_history=False)
    index = ivfcore.build_ivf(ds.x, km.centroids)
    q = np.full(8, 0.3, dtype=np.float32)
    got = smallest_nprobe(index, q, 1.0, k=20)
    assert got.nprobe is not None and got.nprobe <= index.nlist and got.recall == 1.0
    assert got.nprobe == _loop(index, q, 1.0, 20, None)[0]


def test_hand_made_case():
    # two lists: query at 0; its 2 nearest vectors sit in the farther list
    x = np.array([[1.0], [1.1], [-2.0], [-2.1], [-2.2]], dtype=np.float32)
    index = ivfcore.build_ivf(x, np.array([[0.9], [-0.5]], dtype=np.float32))
    # the centroid at -0.5 is nearer to q = 0 than 0.9: list 1 is opened first
    q = np.zeros(1, dtype=np.float32)
    assert smallest_nprobe(index, q, 1.0, k=2).nprobe == 2
    assert smallest_nprobe(index, q, 0.5, k=2).nprobe == 2
    assert smallest_nprobe(index, np.array([-2.05], np.float32), 1.0, k=2).nprobe == 1


def test_checks_its_inputs():
    x = np.eye(4, dtype=np.float32)
    index = ivfcore.build_ivf(x, x[:2])
    with pytest.raises(InputError, match="target"):
        smallest_nprobe(index, x[0], 1.5)
    with pytest.raises(InputError, match="target"):
        smallest_nprobe(index, x[0], 0)
    with pytest.raises(InputError, match="one query"):
        smallest_nprobe(index, x[:2], 0.9)
