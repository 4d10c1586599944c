"""Which query the learner chose, as a short string kept in the settings (and the URL).

``"id:123"`` is data vector 123; ``"new:7"`` is a fresh random vector drawn (seed 7) from a
Gaussian with the data's per-dimension mean and spread, so it is not in the data;
``"word:king"`` is the data vector named "king" (data with item names, e.g. GloVe's words);
``"vec:0.1,2,..."`` is a vector the learner pasted (d numbers).
"""

import numpy as np

import ivfcore

from .settings import parse_vector


def resolve(q, ds, spread=None, word_id=None):
    """(vector (d,), description, data id or None) for a query string; falls back to vector 0.

    ``spread``: the data's per-dimension (mean, std), if the caller keeps them (else computed).
    ``word_id``: the row of the word a ``word:`` query names (looked up by the caller, which
    keeps the word index); None falls back to vector 0. The description is plain text: a
    page escapes it for markdown.
    """
    kind, _, arg = str(q).partition(":")
    if kind == "word" and word_id is not None:
        return ds.x[word_id], f"the word '{arg}' (data vector {word_id})", word_id
    if kind == "vec":
        values = parse_vector(arg)
        if values is not None and len(values) == ds.d:
            return np.asarray(values, np.float32), f"the vector you pasted ({ds.d} numbers)", None
    if kind == "new" and arg.isdigit():
        rng = np.random.default_rng(int(arg))
        mean, std = spread if spread is not None else data_spread(ds.x)
        v = (mean + std * rng.standard_normal(ds.d)).astype(np.float32)
        return v, f"a fresh random vector (seed {arg}), not in the data", None
    vid = int(arg) if kind == "id" and arg.isdigit() and int(arg) < ds.n else 0
    g = ds.group_names[ds.groups[vid]]
    name = f" '{ds.item_names[vid]}'" if ds.item_names is not None else ""
    return ds.x[vid], f"data vector {vid}{name} (from group '{g}')", vid


def vector_text(v):
    """A vector as the ``vec:`` query holds it: comma-separated numbers, as short as exact float32."""
    return ",".join(f"{float(x):.7g}" for x in np.asarray(v, np.float32))


def data_spread(x):
    """Per-dimension mean and standard deviation of the data, for drawing fresh vectors."""
    return x.mean(axis=0), x.std(axis=0)


def random_id(ds, seed, group=None):
    """A data vector id drawn uniformly (from one group if given)."""
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(ds.groups == group) if group is not None else np.arange(ds.n)
    if len(pool) == 0:
        raise ivfcore.InputError("that group has no vectors")
    return int(rng.choice(pool))


def clicked_id(selection):
    """The vector id of the first clicked point that carries one (centroids carry list ids)."""
    for p in (selection or {}).get("points", []):
        data = p.get("customdata")
        if isinstance(data, list):
            data = data[0] if data else None
        if isinstance(data, (int, float)) and p.get("curve_number", 0) not in (2, 3):
            return int(data)
    return None
