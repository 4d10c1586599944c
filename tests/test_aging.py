"""ivfcore.aging: scenarios split the data as documented, measures equal the engine's own numbers."""

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, aging


@pytest.fixture(scope="module")
def data():
    ds = ivfcore.make_dataset("imbalanced", seed=0, n=3000, d=8)
    return ds.x, ds.groups


@pytest.mark.parametrize("case", aging.CASES)
def test_scenario_keeps_every_row_once_and_holds_queries_out(data, case):
    x, groups = data
    sc = aging.make_scenario(case, x, groups, 20, n_queries=60, seed=1)
    assert len(sc.x) + len(sc.queries) == len(x)
    assert sc.query_new.sum() + (~sc.query_new).sum() == len(sc.queries) == 60
    if case == "empty":  # pgvector's example: 200 rows train 100 lists
        assert (sc.n_initial, sc.nlist) == (aging.EMPTY_TABLE_ROWS, aging.EMPTY_TABLE_LISTS)
        assert not (~sc.query_new).any()
    if case != "shift":  # rows are moved only in the drift case: the rest are the data's own rows
        rows = {r.tobytes() for r in x}
        assert all(r.tobytes() in rows for r in np.vstack([sc.x, sc.queries]))


def test_shift_moves_the_arriving_rows_only(data):
    x, groups = data
    sc = aging.make_scenario("shift", x, groups, 20, n_queries=40, seed=2)
    rows = {r.tobytes() for r in x}
    initial = sc.x[: sc.n_initial]
    assert all(r.tobytes() in rows for r in initial)
    assert not any(r.tobytes() in rows for r in sc.x[sc.n_initial:])


def test_measure_equals_the_engine(data):
    x, groups = data
    sc = aging.make_scenario("group", x, groups, 16, n_queries=50, seed=0)
    km = ivfcore.train_kmeans(sc.x[: sc.n_initial], 16, seed=0, max_iter=20)
    for fraction in (0.0, 0.5, 1.0):
        p = aging.measure(sc, km.centroids, fraction, nprobe=2, k=5)
        n_idx = sc.n_initial + int(round(fraction * sc.n_arriving))
        index = ivfcore.build_ivf(sc.x[:n_idx], km.centroids)
        sw = ivfcore.recall_sweep(index, sc.queries, k=5, nprobes=[2])
        assert p.n_indexed == n_idx and p.list_sizes.sum() == n_idx
        assert p.recall == pytest.approx(float(sw.recall[0]))
        assert p.imbalance_factor == pytest.approx(ivfcore.size_stats(index.list_sizes).imbalance_factor)
        assert p.scanned == pytest.approx(float(sw.distance_computations[0]) - 16)


def test_health_check_is_one_with_every_list_open_and_lower_with_one(data):
    x, _ = data
    km = ivfcore.train_kmeans(x, 32, seed=0, max_iter=20)
    index = ivfcore.build_ivf(x, km.centroids)
    assert aging.health_check(index, index.nlist, k=5) == 1.0
    assert aging.health_check(index, 1, k=5) < 1.0


def test_bad_cases_are_refused(data):
    x, groups = data
    with pytest.raises(InputError, match="case="):
        aging.make_scenario("nope", x, groups, 8)
    with pytest.raises(InputError, match="single group"):
        aging.make_scenario("group", x, np.zeros(len(x), dtype=int), 8)
    sc = aging.make_scenario("shift", x, groups, 8, n_queries=20)
    km = ivfcore.train_kmeans(sc.x[: sc.n_initial], 8, seed=0, max_iter=5)
    with pytest.raises(InputError, match="fraction"):
        aging.measure(sc, km.centroids, 1.5, nprobe=1)
