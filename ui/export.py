"""An (nlist, nprobe) pair written out for FAISS, pgvector and Milvus, and a script that rebuilds the index.

Pure Python (no streamlit): the Choose page shows these texts and offers them as downloads;
a test runs :func:`faiss_script` with faiss-cpu and compares its ids with ivfcore's.
"""

import io

import numpy as np

#: Per metric: pgvector's operator class, Milvus's metric_type, FAISS's metric constant.
PGVECTOR_OPS = {"l2": "vector_l2_ops", "ip": "vector_ip_ops", "cosine": "vector_cosine_ops"}
MILVUS_METRIC = {"l2": "L2", "ip": "IP", "cosine": "COSINE"}
FAISS_METRIC = {"l2": "faiss.METRIC_L2", "ip": "faiss.METRIC_INNER_PRODUCT",
                "cosine": "faiss.METRIC_INNER_PRODUCT"}
SCRIPT_NAME = "rebuild_ivf_index.py"
CENTROIDS_NAME = "centroids.npy"
VECTORS_NAME = "vectors.npy"


def _metric(metric):
    if metric not in PGVECTOR_OPS:
        raise ValueError(f"metric={metric!r} must be one of {', '.join(PGVECTOR_OPS)}")
    return metric


def faiss_snippet(nlist, nprobe, d, metric="l2"):
    """Python for a FAISS IndexIVFFlat with this nlist, searched at this nprobe (trained by FAISS).

    Parameters
    ----------
    nlist, nprobe, d : int
    metric : {"l2", "ip", "cosine"}

    Returns
    -------
    str
    """
    metric = _metric(metric)
    flat = "IndexFlatL2" if metric == "l2" else "IndexFlatIP"
    norm = ("faiss.normalize_L2(xb)  # cosine = inner product of unit vectors\n"
            "faiss.normalize_L2(xq)\n") if metric == "cosine" else ""
    return (
        "import faiss\n\n"
        f"d, nlist = {d}, {nlist}\n"
        f"{norm}"
        f"quantizer = faiss.{flat}(d)\n"
        f"index = faiss.IndexIVFFlat(quantizer, d, nlist, {FAISS_METRIC[metric]})\n"
        "index.train(xb)  # k-means on at most 256 * nlist sampled rows, 10 iterations\n"
        "index.add(xb)\n"
        f"index.nprobe = {nprobe}\n"
        "distances, ids = index.search(xq, 10)\n"
    )


def pgvector_snippet(nlist, nprobe, metric="l2", table="items", column="embedding"):
    """SQL for a pgvector ivfflat index with ``lists = nlist`` and ``ivfflat.probes = nprobe``.

    Parameters
    ----------
    nlist, nprobe : int
    metric : {"l2", "ip", "cosine"}
        Picks the operator class (``vector_l2_ops``, ``vector_ip_ops``, ``vector_cosine_ops``)
        and the distance operator of the query (``<->``, ``<#>``, ``<=>``).
    table, column : str

    Returns
    -------
    str
    """
    metric = _metric(metric)
    op = {"l2": "<->", "ip": "<#>", "cosine": "<=>"}[metric]
    return (
        f"CREATE INDEX ON {table} USING ivfflat ({column} {PGVECTOR_OPS[metric]}) "
        f"WITH (lists = {nlist});\n\n"
        f"SET ivfflat.probes = {nprobe};\n"
        f"SELECT id FROM {table} ORDER BY {column} {op} $1 LIMIT 10;\n"
    )


def milvus_snippet(nlist, nprobe, metric="l2", field="embedding"):
    """pymilvus index and search parameters for IVF_FLAT with this nlist and nprobe.

    Parameters
    ----------
    nlist, nprobe : int
    metric : {"l2", "ip", "cosine"}
    field : str

    Returns
    -------
    str
    """
    m = MILVUS_METRIC[_metric(metric)]
    return (
        "index_params = client.prepare_index_params()\n"
        f'index_params.add_index(field_name="{field}", index_type="IVF_FLAT",\n'
        f'                       metric_type="{m}", params={{"nlist": {nlist}}})\n'
        'client.create_index("items", index_params)\n\n'
        f'search_params = {{"metric_type": "{m}", "params": {{"nprobe": {nprobe}}}}}\n'
        'client.search("items", data=queries, limit=10, search_params=search_params)\n'
    )


def faiss_script(nlist, nprobe, d, k=10, metric="l2"):
    """A runnable script that rebuilds this exact index in FAISS from our centroids.

    The quantizer holds the app's centroids (no FAISS training), the vectors come from a
    ``.npy`` file the user has, and every vector goes to the list of its nearest centroid,
    as in ivfcore; searching at the same nprobe then returns the same ids.

    Parameters
    ----------
    nlist, nprobe, d, k : int
    metric : {"l2", "ip", "cosine"}

    Returns
    -------
    str
        Python source. Usage: ``python rebuild_ivf_index.py vectors.npy centroids.npy
        [queries.npy] [--out ids.npy]``; without queries it searches the first 10 vectors.
    """
    metric = _metric(metric)
    flat = "IndexFlatL2" if metric == "l2" else "IndexFlatIP"
    norm = "cosine" if metric == "cosine" else ""
    return f'''"""Rebuild the IVF index chosen in IVF Lab with FAISS, from its centroids.

nlist = {nlist}, nprobe = {nprobe}, metric = {metric}, d = {d}.

Usage:
    pip install faiss-cpu numpy
    python {SCRIPT_NAME} {VECTORS_NAME} {CENTROIDS_NAME} [queries.npy] [--out ids.npy]

{VECTORS_NAME}: your vectors, an (n, {d}) float array saved with numpy.save (IVF Lab offers the
dataset's vectors as a download when they are small enough; otherwise save your own in the
same row order). {CENTROIDS_NAME}: the {nlist} centroids IVF Lab trained. The quantizer gets
these centroids, so FAISS does no training of its own and every vector lands in the same list
as in IVF Lab. Without queries.npy the first 10 vectors are searched.
"""

import sys

import faiss
import numpy as np

NLIST, NPROBE, K, D = {nlist}, {nprobe}, {k}, {d}
COSINE = {bool(norm)}


def build(xb, centroids):
    """An IndexIVFFlat whose coarse quantizer holds ``centroids``, with ``xb`` added."""
    xb = np.ascontiguousarray(xb, dtype=np.float32)
    centroids = np.ascontiguousarray(centroids, dtype=np.float32)
    if COSINE:
        faiss.normalize_L2(xb)
    assert centroids.shape == (NLIST, D), centroids.shape
    assert xb.shape[1] == D, xb.shape
    quantizer = faiss.{flat}(D)
    quantizer.add(centroids)
    index = faiss.IndexIVFFlat(quantizer, D, NLIST, {FAISS_METRIC[metric]})
    assert index.is_trained  # the quantizer already holds nlist centroids
    index.add(xb)
    index.nprobe = NPROBE
    return index


def main(argv):
    out = None
    if "--out" in argv:
        i = argv.index("--out")
        out = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    xb = np.load(argv[0])
    index = build(xb, np.load(argv[1]))
    xq = np.load(argv[2]) if len(argv) == 3 else xb[:10]
    xq = np.ascontiguousarray(xq, dtype=np.float32)
    if COSINE:
        faiss.normalize_L2(xq)
    distances, ids = index.search(xq, K)
    if out:
        np.save(out, ids)
    for row in ids[:10]:
        print(" ".join(map(str, row)))


if __name__ == "__main__":
    main(sys.argv[1:])
'''


def npy_bytes(array):
    """``array`` as the bytes of a ``.npy`` file (numpy.save)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()
