"""The compiled ADC scan (ivfcore.adc) against its plain numpy version, ties and filters included."""

import numpy as np
import pytest

from ivfcore.adc import adc_topk, adc_topk_numpy


def _case(seed, nq=23, nlist=7, m=4, ksub=16, integer=False, dtype=np.float32):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(0, 40, size=nlist)
    sizes[2] = 0  # an empty list
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    ntotal = int(offsets[-1])
    codes = rng.integers(0, ksub, size=(ntotal, m)).astype(np.uint8)
    ids = rng.permutation(ntotal).astype(np.int64)
    make = (lambda *s: rng.integers(0, 4, size=s)) if integer else (lambda *s: rng.normal(size=s))
    qt = make(m, nq, ksub).astype(dtype)  # integers: many equal scores, so the tie order shows
    lt = make(nlist, m, ksub).astype(dtype)
    probed = np.stack([rng.permutation(nlist)[:3] for _ in range(nq)]).astype(np.int64)
    probed[::5, -1] = -1  # iterative probing pads with -1
    base = make(nq, 3).astype(dtype)
    return qt, lt, base, probed, codes, offsets, ids


@pytest.mark.parametrize("integer", [False, True])
@pytest.mark.parametrize("per_list", [False, True])
@pytest.mark.parametrize("filtered", [False, True])
@pytest.mark.parametrize("k", [1, 5, 200])
def test_compiled_scan_equals_numpy(integer, per_list, filtered, k):
    qt, lt, base, probed, codes, offsets, ids = _case(1, integer=integer)
    allowed = np.random.default_rng(2).random(len(ids)) < 0.6 if filtered else None
    args = (qt, lt if per_list else None, base, probed, codes, offsets, ids, allowed, k, False)
    d, i = adc_topk(*args)
    rd, ri = adc_topk_numpy(*args)
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_array_equal(d, rd)
    if k == 200:  # fewer candidates than k: padded with -1 / inf
        assert (i == -1).any() and np.isinf(d[i == -1]).all()


def test_clip_and_float64():
    qt, lt, base, probed, codes, offsets, ids = _case(3, dtype=np.float64)
    base -= 50  # scores well below 0: clipped after ranking
    d, i = adc_topk(qt, lt, base, probed, codes, offsets, ids, None, 4, True)
    rd, ri = adc_topk_numpy(qt, lt, base, probed, codes, offsets, ids, None, 4, True)
    assert d.dtype == np.float64
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_array_equal(d, rd)
    assert (d[i >= 0] == 0).all()


def test_hand_made_scan():
    # one query, two lists; score = base + table entries of the code (per-list table added)
    qt = np.array([[[0.0, 1.0]], [[0.0, 10.0]]], dtype=np.float32)  # (m=2, nq=1, ksub=2)
    lt = np.array([[[0.0, 0.0], [0.0, 0.0]], [[5.0, 5.0], [0.0, 0.0]]], dtype=np.float32)
    codes = np.array([[1, 1], [0, 0], [1, 0], [0, 1]], dtype=np.uint8)  # list 0: rows 0-1, list 1: 2-3
    offsets = np.array([0, 2, 4], dtype=np.int64)
    ids = np.array([10, 11, 12, 13], dtype=np.int64)
    base = np.array([[100.0, 200.0]], dtype=np.float32)
    d, i = adc_topk(qt, lt, base, np.array([[0, 1]]), codes, offsets, ids, None, 4, False)
    # id 10: 100+1+10, 11: 100, 12: 200+(1+5)+0, 13: 200+5+10
    np.testing.assert_array_equal(i, [[11, 10, 12, 13]])
    np.testing.assert_array_equal(d, [[100, 111, 206, 215]])
