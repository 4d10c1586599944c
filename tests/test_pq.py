"""IVF-PQ: reconstruction, ADC search against exact search on reconstructions, recall, errors.

Thresholds are measured values with a margin, and each says what it would catch.
"""

import numpy as np
import pytest

import ivfcore
from ivfcore import (
    InputError, brute_force_knn, build_ivf, build_ivfpq, make_dataset, recall_at_k, train_kmeans,
)


def _coarse(x, nlist, seed=0):
    return train_kmeans(x, nlist, seed=seed, record_history=False).centroids


def _relative_error(index, x):
    """Mean squared reconstruction error over the data's total variance (0 = perfect)."""
    total_variance = float(((x - x.mean(axis=0)) ** 2).sum(axis=1).mean())
    return index.reconstruction_error() / total_variance


@pytest.fixture(scope="module")
def blobs16():
    """2,800 stored + 200 held-out queries, 10 Gaussian blobs in 16-D, 8 coarse lists."""
    ds = make_dataset("blobs", seed=2, n=3000, d=16, centers=10)
    xb, xq = ds.x[:2800], ds.x[2800:]
    return xb, xq, _coarse(xb, 8)


@pytest.fixture(scope="module")
def small_index():
    ds = make_dataset("imbalanced", seed=0, n=1500, d=16)
    c = _coarse(ds.x, 12)
    rng = np.random.default_rng(5)
    xq = ds.x[rng.choice(ds.n, 40, replace=False)] + rng.normal(0, 0.05, (40, ds.d)).astype(np.float32)
    return ds.x, c, xq, build_ivfpq(ds.x, c, m=4, nbits=4, seed=0)


@pytest.mark.parametrize("d", [4, 8])
def test_one_subquantizer_per_dimension_reconstructs_closely(d):
    # m = d: each codebook is a 256-level scalar quantizer of one coordinate. A uniform
    # 256-level quantizer of uniformly spread values has relative error 1/256^2 = 1.5e-5;
    # measured 1.6e-5 (d=4) and 2.9e-5 (d=8). The bound allows about 6x that for k-means's
    # uneven levels (8 training values per codeword), and fails for nbits=6 (measured 1.4e-4
    # and 2.1e-4) or a decoder that drops the centroid.
    ds = make_dataset("blobs", seed=0, n=2000, d=d, centers=8)
    index = build_ivfpq(ds.x, _coarse(ds.x, 8), m=d, nbits=8, seed=0)
    assert index.codebooks.shape == (d, 256, 1)
    assert index.codes.shape == (2000, d) and index.codes.dtype == np.uint8
    assert _relative_error(index, ds.x) < 1e-4
    rec = index.reconstruct(np.arange(ds.n))
    assert rec.shape == ds.x.shape and rec.dtype == np.float32
    # reconstruction_error is the mean squared norm of x - reconstruct(x)
    assert index.reconstruction_error() == pytest.approx(float(((ds.x - rec) ** 2).sum(1).mean()), rel=1e-5)


def test_residual_encoding_beats_raw_encoding_on_clustered_data():
    # Raw codes must spend codewords on where the blobs are; residual codes only on the spread
    # inside a list. Measured 12.2 (residual) vs 32.7 (raw), a ratio of 0.37.
    ds = make_dataset("blobs", seed=1, n=4000, d=16, centers=16)
    c = _coarse(ds.x, 16)
    residual = build_ivfpq(ds.x, c, m=4, nbits=4, seed=0, by_residual=True)
    raw = build_ivfpq(ds.x, c, m=4, nbits=4, seed=0, by_residual=False)
    assert residual.reconstruction_error() < 0.6 * raw.reconstruction_error()
    # decoding adds the list centroid only when the codes are residuals
    ids = np.arange(5)
    cb = residual.codebooks[np.arange(4), residual.codes[ids]].reshape(5, 16)
    np.testing.assert_allclose(residual.reconstruct(ids), cb + c[residual.labels[ids]], rtol=1e-6)
    cb = raw.codebooks[np.arange(4), raw.codes[ids]].reshape(5, 16)
    np.testing.assert_allclose(raw.reconstruct(ids), cb, rtol=1e-6)


def test_recall_grows_with_m_when_every_list_is_probed(blobs16):
    # nprobe = nlist scans every code, so all loss is quantization, which shrinks as m grows.
    # Measured recall@10: 0.27, 0.46, 0.72, 0.91 for m = 2, 4, 8, 16 (FAISS: 0.28, 0.46, 0.70, 0.92).
    xb, xq, c = blobs16
    _, true = brute_force_knn(xb, xq, 10)
    recalls = []
    for m in (2, 4, 8, 16):
        index = build_ivfpq(xb, c, m=m, nbits=6, seed=0)
        recalls.append(recall_at_k(index.search(xq, k=10, nprobe=index.nlist).ids, true))
    assert all(b > a + 0.05 for a, b in zip(recalls, recalls[1:])), recalls
    assert recalls[-1] > 0.8, recalls


def test_adc_distance_is_the_distance_to_the_reconstruction():
    # Hand-checkable: sum_j |r_j - codeword_j|^2 = |q - centroid - decoded residual|^2.
    # Coarse codebooks (nbits=2) make reconstructions far from the data and full of ties,
    # so compare distances, which ties cannot reorder.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8)).astype(np.float32)
    xq = rng.normal(size=(7, 8)).astype(np.float32)
    index = build_ivfpq(x, _coarse(x, 4), m=4, nbits=2, seed=0)
    rec = index.reconstruct(np.arange(len(x)))
    assert index.reconstruction_error() > 0.1  # really lossy, so this is not exact search
    res = index.search(xq, k=6, nprobe=index.nlist)
    ref_d, _ = brute_force_knn(rec, xq, 6)
    np.testing.assert_allclose(res.distances, ref_d, rtol=1e-4, atol=1e-4)
    to_rec = ((xq[:, None, :] - rec[res.ids]) ** 2).sum(-1)
    np.testing.assert_allclose(res.distances, to_rec, rtol=1e-4, atol=1e-4)
    # and by the lookup table: one entry per sub-space, summed
    q, i = 0, int(res.ids[0, 0])
    tables = index.lookup_tables(xq[q], index.labels[i])
    assert tables.shape == (1, 4, 4)
    r = (xq[q] - index.centroids[index.labels[i]]).reshape(4, 2)
    by_hand = sum(((r[j] - index.codebooks[j, index.codes[i, j]]) ** 2).sum() for j in range(4))
    assert tables[0, np.arange(4), index.codes[i]].sum() == pytest.approx(by_hand, rel=1e-5)
    assert res.distances[0, 0] == pytest.approx(by_hand, rel=1e-5)


def test_codebook_as_big_as_the_data_makes_search_exact():
    # 64 vectors, 2**6 = 64 codewords per sub-space: k-means puts one codeword on each
    # training sub-vector, every code is lossless, and full-probe ADC is brute force.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 8)).astype(np.float32)
    xq = rng.normal(size=(5, 8)).astype(np.float32)
    index = build_ivfpq(x, _coarse(x, 4), m=4, nbits=6, seed=0)
    np.testing.assert_allclose(index.reconstruct(np.arange(64)), x, atol=1e-5)
    res = index.search(xq, k=10, nprobe=index.nlist)
    ref_d, ref_i = brute_force_knn(x, xq, 10)
    np.testing.assert_array_equal(res.ids, ref_i)
    np.testing.assert_allclose(res.distances, ref_d, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("nprobe,k", [(1, 5), (3, 10), (1, 300), (12, 100)])
def test_search_result_invariants(small_index, nprobe, k):
    x, c, xq, index = small_index
    res = index.search(xq, k=k, nprobe=nprobe)
    assert res.ids.shape == res.distances.shape == (len(xq), k) and res.ids.dtype == np.int64
    np.testing.assert_array_equal(res.n_distance_computations, index.nlist + res.n_candidates)
    np.testing.assert_array_equal(res.n_candidates, index.list_sizes[res.probed].sum(axis=1))
    _, nearest_lists = brute_force_knn(c, xq, nprobe)
    np.testing.assert_array_equal(res.probed, nearest_lists)
    np.testing.assert_array_equal(res.ids == -1, np.isinf(res.distances))
    padded_last = np.where(np.isfinite(res.distances), res.distances, np.finfo(np.float32).max)
    assert np.all(np.diff(padded_last, axis=1) >= 0)  # ascending, with the inf padding at the end
    # every id found lies in a probed list, at most once per query
    for q in range(len(xq)):
        found = res.ids[q][res.ids[q] >= 0]
        assert len(found) == min(k, res.n_candidates[q]) == len(set(found.tolist()))
        assert np.isin(index.labels[found], res.probed[q]).all()
    if k == 300:
        assert (res.ids == -1).any()  # small lists: the padding really is exercised


@pytest.mark.parametrize("by_residual", [True, False])
def test_memory_bounded_chunks_give_the_same_answer(small_index, monkeypatch, by_residual):
    x, c, xq, _ = small_index
    index = build_ivfpq(x, c, m=4, nbits=4, seed=0, by_residual=by_residual)
    whole = index.search(xq, k=7, nprobe=5)
    # tiny chunks: a few queries per sub-block of lookup tables
    monkeypatch.setattr(ivfcore.distances, "CHUNK_ELEMENTS", 4 * 16 * 3)
    chunked = index.search(xq, k=7, nprobe=5)
    np.testing.assert_array_equal(chunked.ids, whole.ids)
    # the coarse distances |q - c|^2 and the query tables are matrix products, which BLAS may
    # round differently in the last bit for 3 rows than for 40
    np.testing.assert_allclose(chunked.distances, whole.distances, rtol=1e-5)
    np.testing.assert_array_equal(chunked.probed, whole.probed)


def test_lists_match_ivf_flat_and_trace_reports_exact_neighbours(small_index):
    x, c, xq, index = small_index
    flat = build_ivf(x, c)
    for name in ("list_ids", "list_sizes", "list_offsets", "labels", "centroids"):
        np.testing.assert_array_equal(getattr(index, name), getattr(flat, name))
    assert (index.nlist, index.ntotal, index.d) == (12, len(x), 16)
    np.testing.assert_array_equal(index.list_members(3), flat.list_members(3))
    t = index.trace(xq[0], k=10, nprobe=3)
    res = index.search(xq[:1], k=10, nprobe=3)
    np.testing.assert_array_equal(t.result_ids, res.ids[0])
    np.testing.assert_allclose(t.result_distances, res.distances[0])
    assert t.n_distance_computations == res.n_distance_computations[0]
    _, true = brute_force_knn(x, xq[:1], 10)  # true neighbours are exact, on the original vectors
    np.testing.assert_array_equal(np.sort(t.true_ids), np.sort(true[0]))
    assert t.recall == pytest.approx(recall_at_k(res.ids, true))


def test_same_seed_same_codes_and_bytes_per_vector_by_hand(blobs16):
    xb, _, c = blobs16
    a = build_ivfpq(xb, c, m=4, nbits=5, seed=3)
    b = build_ivfpq(xb, c, m=4, nbits=5, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(a.codebooks, b.codebooks)
    other = build_ivfpq(xb, c, m=4, nbits=5, seed=4)
    assert not np.array_equal(a.codebooks, other.codebooks)
    # 4 sub-vectors x 5 bits = 20 bits -> 3 bytes; the list also keeps an 8-byte id
    assert a.bytes_per_vector == 3 and a.bytes_per_vector_with_id == 11
    assert build_ivfpq(xb, c, m=16, nbits=1, seed=0).bytes_per_vector == 2
    assert build_ivfpq(xb, c, m=2, nbits=3, seed=0).bytes_per_vector == 1


def test_codebooks_are_trained_on_a_capped_sample_drawn_with_the_seed():
    # At most 256 training vectors per codeword: with nbits=1, 512 of the 3,000 vectors,
    # drawn with the seed's Generator; each sub-space's k-means then draws from its own child
    # Generator (rng.spawn), the same k-means as train_kmeans up to float rounding.
    x = np.random.default_rng(0).normal(size=(3000, 4)).astype(np.float32)
    index = build_ivfpq(x, x[:1], m=2, nbits=1, seed=7, by_residual=False)
    assert index.n_train == 512
    rng = np.random.default_rng(7)
    sample = x[np.sort(rng.choice(3000, size=512, replace=False))]
    for j, child in enumerate(rng.spawn(2)):
        km = train_kmeans(
            sample[:, 2 * j : 2 * j + 2], 2, init="random", max_iter=25, seed=child, record_history=False
        )
        np.testing.assert_allclose(index.codebooks[j], km.centroids, rtol=1e-5, atol=1e-6)
    assert build_ivfpq(x[:400], x[:1], m=2, nbits=1, seed=7).n_train == 400  # under the cap: all
    # the cap is a keyword: None trains on every vector, a smaller cap on fewer
    assert build_ivfpq(x, x[:1], m=2, nbits=1, seed=7, max_points_per_centroid=None).n_train == 3000
    assert build_ivfpq(x, x[:1], m=2, nbits=1, seed=7, max_points_per_centroid=10).n_train == 20


def test_codebook_kmeans_matches_train_kmeans_on_a_real_sample():
    # The fast labels-only Lloyd loop is train_kmeans's algorithm: same start, same repairs,
    # same iterations, so the same codebook up to float rounding (256 codewords, 8-D).
    x = make_dataset("blobs", seed=3, n=6000, d=16, centers=20).x
    index = build_ivfpq(x, x[:1], m=2, nbits=8, seed=11, by_residual=False, max_iter=10)
    assert index.n_train == 6000  # under the cap: no sample is drawn before the children
    for j, child in enumerate(np.random.default_rng(11).spawn(2)):
        km = train_kmeans(np.ascontiguousarray(x[:, 8 * j : 8 * j + 8]), 256, init="random",
                          max_iter=10, seed=child, record_history=False)
        close = np.isclose(index.codebooks[j], km.centroids, rtol=1e-4, atol=1e-4).all(axis=1)
        assert close.mean() > 0.97, close.mean()  # a rare tie may move a codeword


def test_sampled_codebook_training_is_reproducible_and_nearly_as_good():
    # FAISS's cap (256 per codeword) against training on every vector: the same seed gives
    # the same codes, and recall@10 barely moves. 20,000 blob vectors, nbits=6: 16,384 sampled.
    ds = make_dataset("blobs", seed=4, n=20_200, d=16, centers=30)
    xb, xq = ds.x[:20_000], ds.x[20_000:]
    c = _coarse(xb, 16)
    capped = build_ivfpq(xb, c, m=4, nbits=6, seed=5, max_iter=10)
    again = build_ivfpq(xb, c, m=4, nbits=6, seed=5, max_iter=10)
    full = build_ivfpq(xb, c, m=4, nbits=6, seed=5, max_iter=10, max_points_per_centroid=None)
    assert capped.n_train == 256 * 64 and full.n_train == 20_000
    np.testing.assert_array_equal(capped.codes, again.codes)
    _, true = brute_force_knn(xb, xq, 10)
    r_capped = recall_at_k(capped.search(xq, k=10, nprobe=4).ids, true)
    r_full = recall_at_k(full.search(xq, k=10, nprobe=4).ids, true)
    assert r_capped > r_full - 0.03, (r_capped, r_full)
    assert capped.reconstruction_error() < 1.05 * full.reconstruction_error()


@pytest.fixture(scope="module")
def tiny():
    x = np.random.default_rng(0).normal(size=(300, 12)).astype(np.float32)
    return x, x[:3]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(m=5), r"d=12 is not divisible by m=5.*\[1, 2, 3, 4, 6, 12\]"),
        (dict(m=24), "d=12 is not divisible by m=24"),
        (dict(m=0), "m=0 must be at least 1"),
        (dict(m=4, nbits=0), "nbits=0 must be at least 1"),
        (dict(m=4, nbits=9), "nbits=9 must be between 1 and 8"),
        (dict(m=4, nbits=8.5), "nbits=8.5 must be a whole number"),
        (dict(m=4, by_residual="yes"), "by_residual='yes' must be True or False"),
        (dict(m=4, init="kmeans"), "init='kmeans'"),
        (dict(m=4, seed=-1), "seed=-1"),
    ],
)
def test_bad_build_settings_raise_input_error(tiny, kwargs, match):
    x, c = tiny
    with pytest.raises(InputError, match=match):
        build_ivfpq(x, c, **kwargs)


def test_too_few_vectors_or_mismatched_centroids_raise_input_error(tiny):
    # fewer vectors than codewords is an error, not a silent cap of nbits
    x, c = tiny
    with pytest.raises(InputError, match=r"2\*\*nbits=128 codewords.*only n=100.*nbits <= 6"):
        build_ivfpq(x[:100], c, m=4, nbits=7)
    with pytest.raises(InputError, match=r"2\*\*nbits=256 codewords.*only n=200.*nbits <= 7"):
        build_ivfpq(x[:200], c, m=4, nbits=8)
    with pytest.raises(InputError, match="x has d=12 dimensions but centroids has d=3"):
        build_ivfpq(x, c[:, :3], m=4)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda ix: ix.search(np.zeros((2, 12)), k=1, nprobe=4), "nprobe=4 is larger than the number of lists nlist=3"),
        (lambda ix: ix.search(np.zeros((2, 5))), "d=5"),
        (lambda ix: ix.search(np.zeros((2, 12)), k=0), "k=0"),
        (lambda ix: ix.trace(np.zeros((2, 12))), "one query"),
        (lambda ix: ix.reconstruct([0, 300]), "id 300 is out of range"),
        (lambda ix: ix.reconstruct([0.5]), "whole numbers"),
        (lambda ix: ix.lookup_tables(np.zeros(12), 3), "list_id=3 must be at most 2"),
    ],
)
def test_bad_queries_raise_input_error(tiny, call, match):
    x, c = tiny
    with pytest.raises(InputError, match=match):
        call(build_ivfpq(x, c, m=4, nbits=4))


def test_recall_close_to_faiss_ivfpq_on_the_same_lists(blobs16):
    # A loose check against the reference implementation: same data, same coarse centroids,
    # same m and nbits; the codebooks are trained by different k-means runs, so only the
    # coarse lists and code size must match exactly. Measured (m=8, nbits=6): recall@10 0.72
    # vs FAISS 0.70, mean squared reconstruction error 1.40 vs 1.35.
    faiss = pytest.importorskip("faiss")
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # tiny data: OpenMP threads only contend on a busy machine
    try:
        _compare_with_faiss(faiss, *blobs16)
    finally:
        faiss.omp_set_num_threads(threads)


def _compare_with_faiss(faiss, xb, xq, c):
    d, nlist, m, nbits = xb.shape[1], c.shape[0], 8, 6
    quantizer = faiss.IndexFlatL2(d)
    quantizer.add(c)
    ref = faiss.IndexIVFPQ(quantizer, d, nlist, m, nbits)
    ref.train(xb)  # the quantizer already holds nlist centroids: only the PQ is trained
    ref.add(xb)
    ref.nprobe = nlist
    _, ref_ids = ref.search(xq, 10)
    ours = build_ivfpq(xb, c, m=m, nbits=nbits, seed=0)
    sizes = [ref.invlists.list_size(l) for l in range(nlist)]
    np.testing.assert_array_equal(ours.list_sizes, sizes)
    assert ours.bytes_per_vector == ref.code_size
    _, true = brute_force_knn(xb, xq, 10)
    ours_recall = recall_at_k(ours.search(xq, k=10, nprobe=nlist).ids, true)
    ref_recall = recall_at_k(ref_ids, true)
    assert ours_recall > ref_recall - 0.05, (ours_recall, ref_recall)
    ref.make_direct_map()
    ref_mse = float(((xb - ref.reconstruct_n(0, len(xb))) ** 2).sum(1).mean())
    assert ours.reconstruction_error() < 1.15 * ref_mse, (ours.reconstruction_error(), ref_mse)


def test_exported_from_the_package():
    assert "build_ivfpq" in ivfcore.__all__ and "IVFPQIndex" in ivfcore.__all__
    assert issubclass(ivfcore.IVFPQIndex, ivfcore.IVFIndex)


def test_build_reports_progress_per_codebook_then_encoding():
    ds = make_dataset("blobs", seed=0, n=600, d=8, centers=3)
    km = train_kmeans(ds.x, 4, seed=0)
    seen = []
    build_ivfpq(ds.x, km.centroids, m=4, nbits=4, callback=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]



@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_refine_sweeps_equal_one_recall_sweep_per_refine(metric):
    # One scan per nprobe for every refine factor must give exactly what separate sweeps give.
    ds = make_dataset("imbalanced", seed=4, n=2000, d=16)
    xb, xq = ds.x[:1900], ds.x[1900:]
    c = train_kmeans(xb, 10, seed=0, record_history=False, metric=metric).centroids
    index = build_ivfpq(xb, c, m=4, nbits=5, seed=0, metric=metric)
    got = ivfcore.pq.refine_sweeps(index, xq, k=5, refines=(10, 1, 2))
    assert sorted(got) == [1, 2, 10]
    for r, sw in got.items():
        want = ivfcore.recall_sweep(index, xq, k=5, refine=r)
        np.testing.assert_array_equal(sw.nprobes, want.nprobes)
        np.testing.assert_array_equal(sw.per_query_recall, want.per_query_recall)
        np.testing.assert_array_equal(sw.per_query_computations, want.per_query_computations)
    assert got[10].recall[-1] > got[1].recall[-1]  # re-ranking matters here: the test is not vacuous
