"""Property-based tests (hypothesis) of IVF search under every metric, on small awkward inputs.

The same awkward matrices as tests/test_properties.py (1-60 vectors in 1-8 dimensions, float,
int or bool, duplicates, constant rows, grids of ties, magnitudes 1e-30 to 1e15). For each of
"l2", "ip" and "cosine": every id in exactly one list (the list of its nearest centroid by the
metric); results sorted nearest first in the metric's order, from probed lists, at the values
reported; nprobe == nlist is exact search, with recall 1 by the tie rule; under "cosine" a
zero row is refused, naming it, and nothing else is.
"""

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from test_properties import FAST, _call, _refused_as_too_large, matrices

import ivfcore
from ivfcore import InputError


def _prepared64(x, metric):
    """The vectors as the metric compares them, in float64 (the reference)."""
    x = np.asarray(x, dtype=np.float64)
    if metric != "cosine":
        return x
    peak = np.abs(x).max(axis=1, keepdims=True)
    y = x / peak
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def _values64(a, b, metric):
    """Reference values (m, n): squared distances ("l2") or inner products, float64."""
    if metric == "l2":
        return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    return a @ b.T


def _near_first(values, metric):
    return values if metric == "l2" else -values


def _tol(a, b, d):
    """What float32 rounding may move a value by: about eps32 * d * |a| |b| (|a|^2 + |b|^2 for l2)."""
    pa = float(np.abs(a).max()) if a.size else 0.0
    pb = float(np.abs(b).max()) if b.size else 0.0
    return 1e-4 * max(1, d) * min(max(pa, pb), 1e150) ** 2 + 1e-30


def _first_zero_row(x):
    rows = np.flatnonzero(~np.asarray(x, dtype=np.float64).any(axis=1))
    return int(rows[0]) if len(rows) else None


@FAST
@given(
    data=matrices(huge=True),
    metric=st.sampled_from(ivfcore.METRICS),
    nlist_extra=st.integers(0, 60),
    centroid_source=st.sampled_from(["kmeans", "rows", "random"]),
    m=st.integers(1, 5),
    k=st.integers(1, 70),
    nprobe_extra=st.integers(0, 60),
    seed=st.integers(0, 2**31),
)
def test_search_invariants_for_every_metric(data, metric, nlist_extra, centroid_source, m, k,
                                            nprobe_extra, seed):
    x, peak = data
    n, d = x.shape
    rng = np.random.default_rng(seed)
    nlist = 1 + nlist_extra % n
    if centroid_source == "kmeans":
        km, err = _call(ivfcore.train_kmeans, x, nlist, max_iter=3, seed=seed, metric=metric,
                        record_history=False)
        if err is not None:
            if "zero vector" in str(err):
                assert metric == "cosine" and f"row {_first_zero_row(x)} " in str(err)
            else:
                _refused_as_too_large(err, peak)
            return
        centroids = km.centroids
    elif centroid_source == "rows":
        centroids = x[rng.integers(0, n, size=nlist)]
    else:
        centroids = rng.normal(size=(nlist, d)) * max(peak, 1e-30)
    index, err = _call(ivfcore.build_ivf, x, centroids, metric=metric)
    zero = _first_zero_row(x)
    if err is not None and "too large" in str(err):
        _refused_as_too_large(err, max(peak, float(np.abs(np.asarray(centroids, dtype=np.float64)).max())))
        return
    if metric == "cosine" and zero is not None:
        assert err is not None and f"x row {zero} is a zero vector" in str(err), err
        return
    assert err is None, str(err)
    assert index.metric == metric

    # every id in exactly one list: the list of its nearest centroid by the metric
    assert index.list_sizes.sum() == n
    assert np.array_equal(np.sort(index.list_ids), np.arange(n))
    for lst in range(nlist):
        assert (index.labels[index.list_members(lst)] == lst).all()
    xb64 = _prepared64(x, metric)
    c64 = np.asarray(index.centroids, dtype=np.float64)
    score_c = _near_first(_values64(xb64, c64, metric), metric)
    tol = _tol(xb64, c64, d)
    assert np.all(score_c[np.arange(n), index.labels] <= score_c.min(axis=1) + tol)

    # queries: stored vectors and new points; a zero query under cosine is refused by row
    xq = np.concatenate([np.asarray(x[rng.integers(0, n, size=m)], dtype=np.float64),
                         rng.normal(size=(m, d)) * max(peak, 1e-30)])
    nprobe = 1 + nprobe_extra % nlist
    res, err = _call(index.search, xq, k=k, nprobe=nprobe)
    qzero = _first_zero_row(xq)
    if err is not None and "too large" in str(err):
        _refused_as_too_large(err, max(peak, float(np.abs(xq).max())))
        return
    if metric == "cosine" and qzero is not None:
        assert err is not None and f"xq row {qzero} is a zero vector" in str(err), err
        return
    assert err is None, str(err)
    assert res.metric == metric
    mq = xq.shape[0]
    pad = res.ids == -1
    np.testing.assert_array_equal(pad, np.isinf(res.distances))
    assert (res.distances[pad] == (np.inf if metric == "l2" else -np.inf)).all()
    assert not np.isnan(res.distances).any()
    order = _near_first(res.distances, metric)  # ascending when nearest first
    for row, p in zip(order, pad):
        assert (np.diff(row[~p]) >= 0).all() and p[len(row) - p.sum():].all()
    np.testing.assert_array_equal((~pad).sum(axis=1), np.minimum(k, res.n_candidates))
    xq64 = _prepared64(xq.astype(index.xb.dtype), metric)
    vals = _values64(xq64, xb64, metric)
    vals_c = _near_first(_values64(xq64, c64, metric), metric)
    tol = _tol(np.vstack([xq64, xb64]), np.vstack([xb64, c64]), d)
    for i in range(mq):
        found = res.ids[i][~pad[i]]
        assert len(set(found.tolist())) == len(found)
        # probed: the nprobe nearest centroids by the metric; results from them, at their values
        assert vals_c[i, res.probed[i]].max() <= np.sort(vals_c[i])[nprobe - 1] + tol
        assert np.isin(index.labels[found], res.probed[i]).all()
        np.testing.assert_allclose(res.distances[i][~pad[i]], vals[i, found], rtol=1e-3, atol=tol)

    # nprobe == nlist is exact search, and recall by the tie rule is 1
    full = index.search(xq, k=k, nprobe=nlist)
    dist, ids = ivfcore.brute_force_knn(x, xq, k, metric=metric)
    kk = min(k, n)
    np.testing.assert_allclose(full.distances[:, :kk], dist, rtol=1e-3, atol=tol)
    assert (full.ids[:, :kk] >= 0).all() and (full.ids[:, kk:] == -1).all()
    ref = np.sort(_near_first(vals, metric), axis=1)[:, :kk]
    np.testing.assert_allclose(_near_first(dist, metric), ref, rtol=1e-3, atol=tol)
    sw = ivfcore.recall_sweep(index, xq, k=k, nprobes=[nprobe, nlist])  # the tie rule
    assert sw.recall[-1] == 1.0 and 0.0 <= sw.recall[0] <= 1.0

    # the trace agrees, and a missed neighbour's list was not opened
    tr = index.trace(xq[0], k=k, nprobe=nprobe)
    assert tr.metric == metric
    one = index.search(xq[:1], k=k, nprobe=nprobe)  # one query alone: the same ties broken alike
    np.testing.assert_array_equal(tr.probed, one.probed[0])
    np.testing.assert_array_equal(tr.result_ids, one.ids[0][one.ids[0] >= 0])
    assert (np.diff(_near_first(tr.centroid_distances, metric)) >= 0).all()
    assert (tr.true_list_rank[np.isin(tr.true_ids, tr.missed_ids)] > nprobe).all()
    assert index.trace(xq[0], k=k, nprobe=nlist).recall == 1.0
    own = index.trace(x[0], k=k, nprobe=nprobe, exclude_id=0)
    assert 0 not in own.result_ids and 0 not in own.true_ids
    spread = ivfcore.neighbour_spread(index, xq, k=k)
    assert ((spread.nprobe_needed >= 1) & (spread.nprobe_needed <= nlist)).all()
    event(f"{metric}: checked in full")


def test_unknown_metric_and_zero_rows_by_hand():
    x = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, -1.0]])
    with pytest.raises(InputError, match="x row 1 is a zero vector"):
        ivfcore.build_ivf(x, x[:1], metric="cosine")
    index = ivfcore.build_ivf(x, x[:1], metric="ip")
    assert index.search([0.0, 0.0], k=3, nprobe=1).distances.tolist() == [[0.0, 0.0, 0.0]]
