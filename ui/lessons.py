"""Numbers the failure-mode lab's shape lesson is written from, all read off engine results.

Pure numpy over ivfcore's outputs (no streamlit), so the page only words what they say.
"""

import numpy as np

import ivfcore


def shape_numbers(ds, km, ho, nprobe):
    """What the shape tab shows for one dataset, all read off the engine's results.

    A centroid is "off the data" when every vector is farther from it than a typical
    held-out query is from its k-th true neighbour; a list "mixes" groups when no single
    generating group fills 90% of it; a group is "cut" when no single list holds 90% of it.
    """
    d_centroid, _ = ho.index.exact(km.centroids, 1)  # squared, as ho.true_distances
    occ = ivfcore.group_occupancy(km.labels, ds.groups, km.k, len(ds.group_names))
    filled = occ.sum(axis=1)
    return {"recall": round(ho.recall_at(nprobe), 2), "lists": float(ho.spread.n_lists.mean()),
            "one list": float((ho.spread.n_lists == 1).mean()),
            "needed": int(np.median(ho.spread.nprobe_needed)),
            "off": int((d_centroid[:, 0] > np.median(ho.true_distances[:, -1])).sum()),
            "mixed": int(((occ.max(axis=1) < 0.9 * filled) & (filled > 0)).sum()),
            "cut": int((occ.max(axis=0) < 0.9 * occ.sum(axis=0)).sum()),
            "groups": len(ds.group_names), "d": ds.d, "description": ds.description}


def larger(values, same, rel_tol):
    """Which of two named values is larger, or ``same`` when they are within ``rel_tol``.

    ``values`` is ``{name: value}`` with two entries; ``rel_tol`` is a share of the larger
    magnitude (0: only equal values are the same). The exercise page sets this answer beside
    the learner's prediction.
    """
    (a, va), (b, vb) = values.items()
    if abs(va - vb) <= rel_tol * max(abs(va), abs(vb)):
        return same
    return a if va > vb else b


def compare_shapes(blobs, shape):
    """Which side of the shape tab searches better, from two :func:`shape_numbers` results.

    Returns ``(better, slight, fewer)``: ``better`` is "shape", "blobs" or None, judged on
    the recall as shown (two decimals; a gap of 0.02 or more counts), ``slight`` when that gap
    is under 0.05; ``fewer`` is the side whose queries' neighbours sit in fewer lists (by more
    than 0.05 on average), or None.
    """
    gap = round(100 * shape["recall"]) - round(100 * blobs["recall"])
    better = "shape" if gap >= 2 else "blobs" if gap <= -2 else None
    fewer = ("shape" if shape["lists"] < blobs["lists"] - 0.05 else
             "blobs" if blobs["lists"] < shape["lists"] - 0.05 else None)
    return better, abs(gap) < 5, fewer
