"""ivfcore: a small inverted-file (IVF) vector index engine written to be read and taught.

Public API (see DESIGN.md): datasets, k-means training with history (Euclidean or spherical),
IVF-Flat and IVF-PQ search with traces, exact search, recall and list-size statistics; the
metrics "l2", "ip" and "cosine" (:mod:`ivfcore.metrics`).
"""

from . import aging, filtering, warmup
from .datasets import KINDS, Dataset, make_dataset
from .errors import InputError
from .ivf import IVFIndex, QueryTrace, SearchResult, build_ivf
from .kmeans import (
    EMPTY_STRATEGIES, INITS, KMeansResult, KMeansStep, Repair, box_init, train_kmeans,
)
from .knn import brute_force_knn, recall_at_k
from .loading import (
    FORMATS, MAX_BYTES, ParquetColumns, load_ground_truth, load_queries, load_vectors, parquet_columns,
)
from .metrics import METRICS, check_metric, is_similarity, prepare, to_reported
from .pq import IVFPQIndex, build_ivfpq
from .projection import METHODS as PROJECTIONS, Projection, fit_projection
from .stats import SizeStats, group_occupancy, size_stats
from .tuning import NprobeForRecall, smallest_nprobe
from .sweep import (
    NeighbourSpread, RecallSweep, default_nprobes, holdout_split, neighbour_spread, recall_sweep,
    share_weights,
)

__all__ = [
    "Dataset", "EMPTY_STRATEGIES", "INITS", "IVFIndex", "IVFPQIndex", "InputError", "KINDS", "KMeansResult",
    "KMeansStep", "MAX_BYTES", "PROJECTIONS", "Projection", "QueryTrace", "Repair", "SearchResult", "SizeStats",
    "FORMATS", "ParquetColumns", "load_ground_truth", "load_queries", "parquet_columns",
    "brute_force_knn", "build_ivf", "build_ivfpq", "fit_projection", "group_occupancy", "load_vectors", "make_dataset", "recall_at_k",
    "size_stats", "train_kmeans", "RecallSweep", "default_nprobes", "holdout_split",
    "recall_sweep", "NeighbourSpread", "neighbour_spread", "box_init", "share_weights",
    "METRICS", "check_metric", "is_similarity", "prepare", "to_reported",
    "NprobeForRecall", "smallest_nprobe",
]
