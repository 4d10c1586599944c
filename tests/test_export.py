"""The chosen (nlist, nprobe) written out: FAISS, pgvector and Milvus texts, and a FAISS script run for real."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ivfcore
from ui import export


def test_pgvector_uses_the_operator_class_of_the_metric():
    sql = export.pgvector_snippet(316, 18)
    assert "USING ivfflat (embedding vector_l2_ops) WITH (lists = 316);" in sql
    assert "SET ivfflat.probes = 18;" in sql
    assert "vector_ip_ops" in export.pgvector_snippet(10, 2, metric="ip")
    assert "vector_cosine_ops" in export.pgvector_snippet(10, 2, metric="cosine")
    with pytest.raises(ValueError):
        export.pgvector_snippet(10, 2, metric="hamming")


def test_faiss_and_milvus_snippets_name_the_pair():
    py = export.faiss_snippet(316, 18, 128)
    assert "faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_L2)" in py
    assert "d, nlist = 128, 316" in py and "index.nprobe = 18" in py
    assert "normalize_L2" in export.faiss_snippet(4, 1, 8, metric="cosine")
    mv = export.milvus_snippet(316, 18)
    assert 'index_type="IVF_FLAT"' in mv and '{"nlist": 316}' in mv and '{"nprobe": 18}' in mv
    assert 'metric_type="L2"' in mv and 'metric_type="COSINE"' in export.milvus_snippet(4, 1, "cosine")
    compile(py, "snippet", "exec")


def _run_script(tmp_path, script, xb, centroids, xq):
    """Write the downloads and the queries to ``tmp_path``, run the script as a user would."""
    (tmp_path / export.VECTORS_NAME).write_bytes(export.npy_bytes(xb))
    (tmp_path / export.CENTROIDS_NAME).write_bytes(export.npy_bytes(centroids))
    np.save(tmp_path / "queries.npy", xq)
    (tmp_path / export.SCRIPT_NAME).write_text(script)
    run = subprocess.run(
        [sys.executable, export.SCRIPT_NAME, export.VECTORS_NAME, export.CENTROIDS_NAME,
         "queries.npy", "--out", "ids.npy"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 0, run.stderr
    return run, np.load(tmp_path / "ids.npy")


@pytest.mark.parametrize("nlist,nprobe", [(16, 3), (40, 1)])
def test_faiss_script_rebuilds_the_index_and_returns_our_ids(tmp_path, nlist, nprobe):
    pytest.importorskip("faiss")
    ds = ivfcore.make_dataset("blobs", seed=2, n=3000, d=12, centers=6)
    km = ivfcore.train_kmeans(ds.x, nlist, seed=1, max_iter=10, max_points_per_centroid=39)
    index = ivfcore.build_ivf(ds.x, km.centroids)
    xq = ivfcore.make_dataset("blobs", seed=9, n=200, d=12, centers=6).x
    ours = index.search(xq, k=10, nprobe=nprobe).ids
    run, theirs = _run_script(tmp_path, export.faiss_script(nlist, nprobe, ds.d, k=10), ds.x, km.centroids, xq)
    np.testing.assert_array_equal(theirs, ours)
    assert run.stdout.splitlines()[0] == " ".join(map(str, ours[0]))


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_faiss_script_rebuilds_an_inner_product_index_and_returns_our_ids(tmp_path, metric):
    # GloVe's words are meant for cosine; "ip" uses the raw vectors (long vectors win)
    pytest.importorskip("faiss")
    words = ivfcore.make_dataset("glove", n=6000).x
    xb, xq = np.ascontiguousarray(words[:5000]), np.ascontiguousarray(words[5000:5200])
    nlist, nprobe = 40, 3
    km = ivfcore.train_kmeans(xb, nlist, seed=1, max_iter=10, max_points_per_centroid=39, metric=metric)
    ours = ivfcore.build_ivf(xb, km.centroids, metric=metric).search(xq, k=10, nprobe=nprobe).ids
    script = export.faiss_script(nlist, nprobe, xb.shape[1], k=10, metric=metric)
    assert "faiss.METRIC_INNER_PRODUCT" in script and "IndexFlatIP" in script
    assert ("COSINE = True" in script) == (metric == "cosine")
    _, theirs = _run_script(tmp_path, script, xb, km.centroids, xq)
    np.testing.assert_array_equal(theirs, ours)


def test_snippets_for_cosine_name_every_systems_cosine():
    assert "vector_cosine_ops" in export.pgvector_snippet(40, 3, "cosine")
    assert "ORDER BY embedding <=> $1" in export.pgvector_snippet(40, 3, "cosine")
    mv = export.milvus_snippet(40, 3, "cosine")  # the index and the search both name it
    assert 'metric_type="COSINE"' in mv and '"metric_type": "COSINE"' in mv
    py = export.faiss_snippet(40, 3, 50, "cosine")
    assert "faiss.IndexFlatIP(d)" in py and "faiss.METRIC_INNER_PRODUCT" in py
    assert py.index("faiss.normalize_L2(xb)") < py.index("index.train(xb)")
