"""ivfcore.metrics and the metric-aware distance helpers, against float64 references by hand."""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError
from ivfcore.distances import nearest, pairwise_scores, smallest_k
from ivfcore.metrics import (
    check_metric, is_similarity, normalise_rows, padding_value, prepare, to_reported, to_scores,
)


def test_metrics_are_the_three_faiss_ones():
    assert ivfcore.METRICS == ("l2", "ip", "cosine")
    for m in ivfcore.METRICS:
        assert check_metric(m) == m
    assert [is_similarity(m) for m in ivfcore.METRICS] == [False, True, True]


@pytest.mark.parametrize("bad", ["L2", "euclidean", "", None, 2, "dot"])
def test_unknown_metric_is_refused_naming_it_and_the_choices(bad):
    with pytest.raises(InputError) as err:
        check_metric(bad)
    msg = str(err.value)
    assert repr(bad) in msg and "l2, ip, cosine" in msg


def test_cosine_refuses_a_zero_vector_naming_its_row():
    x = np.ones((5, 3), dtype=np.float32)
    x[3] = 0
    with pytest.raises(InputError, match=r"xb row 3 is a zero vector"):
        prepare(x, "cosine", "xb")
    # the other metrics take it as it is
    assert prepare(x, "ip") is x and prepare(x, "l2") is x


def test_zero_row_found_in_a_later_block(monkeypatch):
    monkeypatch.setattr(ivfcore.metrics, "NORMALISE_BLOCK_ROWS", 4)
    x = np.ones((10, 2))
    x[9] = 0
    with pytest.raises(InputError, match="row 9 "):
        normalise_rows(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prepare_cosine_gives_unit_rows_of_the_same_direction(dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 7)).astype(dtype)
    x[:10] *= 1e-30  # squares of these underflow in float32
    x[10:20] *= 1e15
    u = prepare(x, "cosine")
    assert u.dtype == dtype and u.flags.c_contiguous and u is not x
    x64 = x.astype(np.float64)
    ref = x64 / np.linalg.norm(x64 / np.abs(x64).max(1, keepdims=True), axis=1, keepdims=True) \
        / np.abs(x64).max(1, keepdims=True)
    np.testing.assert_allclose(u, ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(u.astype(np.float64), axis=1), 1.0, rtol=1e-6)


def test_prepare_cosine_matches_faiss_normalize_l2():
    faiss = pytest.importorskip("faiss")
    x = np.random.default_rng(1).normal(size=(200, 16)).astype(np.float32)
    ref = x.copy()
    faiss.normalize_L2(ref)
    np.testing.assert_allclose(prepare(x, "cosine"), ref, rtol=0, atol=2e-7)


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_pairwise_scores_smaller_is_nearer_and_convert_back(metric):
    rng = np.random.default_rng(2)
    a = prepare(rng.normal(size=(9, 5)).astype(np.float32), metric)
    b = prepare(rng.normal(size=(30, 5)).astype(np.float32) * rng.uniform(0.1, 3, (30, 1)).astype(np.float32), metric)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if metric == "l2":
        want = ((a64[:, None] - b64[None]) ** 2).sum(-1)  # reported = score
        nearest_first = np.argsort(want, axis=1)
    else:
        want = a64 @ b64.T  # reported: inner products / cosine similarities
        nearest_first = np.argsort(-want, axis=1)
    scores = pairwise_scores(a, b, metric)
    np.testing.assert_allclose(to_reported(scores, metric), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(smallest_k(scores, 4), nearest_first[:, :4])
    np.testing.assert_allclose(to_scores(to_reported(scores, metric), metric), scores)
    reported = to_reported(np.take_along_axis(scores, smallest_k(scores, 4), 1), metric)
    # the order a result reports: distances ascending, similarities descending
    assert (np.diff(reported, axis=1) >= 0).all() if metric == "l2" else (np.diff(reported, axis=1) <= 0).all()


def test_padding_sorts_after_every_result():
    assert padding_value("l2") == np.inf
    assert padding_value("ip") == -np.inf and padding_value("cosine") == -np.inf
    # padding is +inf in score space for every metric, so the IVF merge needs no change
    assert to_reported(np.float32(np.inf), "ip") == padding_value("ip")


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_nearest_by_inner_product_against_argmax(metric):
    rng = np.random.default_rng(3)
    x = prepare(rng.normal(size=(5000, 6)).astype(np.float32) * 3, metric)
    c = prepare(rng.normal(size=(40, 6)).astype(np.float32), metric)
    labels, values = nearest(x, c, metric=metric)
    ip = x.astype(np.float64) @ c.astype(np.float64).T
    np.testing.assert_array_equal(labels, ip.argmax(axis=1))
    np.testing.assert_allclose(values, ip.max(axis=1), rtol=1e-5, atol=1e-5)


def test_nearest_l2_and_ip_differ_where_lengths_matter():
    # hand-checked: q = (1, 0); a short vector pointing at q, a long one at 45 degrees
    c = np.array([[0.9, 0.0], [3.0, 3.0]], dtype=np.float32)
    q = np.array([[1.0, 0.0]], dtype=np.float32)
    lab_l2, d2 = nearest(q, c)  # distances^2: 0.01 and 4 + 9 = 13
    lab_ip, ip = nearest(q, c, metric="ip")  # inner products: 0.9 and 3
    assert lab_l2[0] == 0 and d2[0] == pytest.approx(0.01, abs=1e-6)
    assert lab_ip[0] == 1 and ip[0] == pytest.approx(3.0)
    lab_cos, cos = nearest(prepare(q, "cosine"), prepare(c, "cosine"), metric="cosine")
    assert lab_cos[0] == 0 and cos[0] == pytest.approx(1.0)  # cosine 1 vs 1/sqrt(2)


def test_nearest_l2_is_unchanged_by_the_metric_keyword():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3000, 8)).astype(np.float32)
    c = rng.normal(size=(17, 8)).astype(np.float32)
    a = nearest(x, c)
    b = nearest(x, c, metric="l2")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
