"""Every setting a learner can change: its name (also its URL parameter), default and type.

Pure Python (no streamlit), so pages, state handling and tests share one table.
"""

import math
import re
from dataclasses import dataclass
from typing import Callable

import ivfcore

_KIND_WORDS = {int: "a whole number", float: "a number", bool: "1 or 0", str: "text"}
# What a URL may say for a switch: 1/0 (what links hold) or true/false in any case (older links).
_BOOL_WORDS = {"1": True, "true": True, "0": False, "false": False}


@dataclass(frozen=True)
class Setting:
    """One setting: URL name, default, type and what values are allowed.

    ``pages``: the url paths of the pages that own the setting (empty: every page). A
    page's own setting appears only in that page's links, so it does not ride along.
    ``check``: for text settings, a function returning why a value is not allowed (or None).
    """

    name: str
    default: object
    kind: type  # int, float, str or bool
    choices: tuple = ()
    low: float = None
    high: float = None
    pages: tuple = ()
    check: Callable = None

    def read(self, text):
        """(value, None) for a URL string that is allowed, else (default, why it is not).

        Parameters
        ----------
        text : str
            The parameter's value as the URL holds it.

        Returns
        -------
        value : object
            The value to use: ``text`` converted, or the default when it is not allowed.
        reason : str or None
            Why ``text`` was not used, in words a learner can act on; None when it was.
        """
        text = str(text)
        if self.kind is bool:
            value = _BOOL_WORDS.get(text.strip().lower())
            return (value, None) if value is not None else (self.default, "is not 1 or 0 (on or off)")
        try:
            value = self.kind(text)
        except (TypeError, ValueError):
            return self.default, f"is not {_KIND_WORDS[self.kind]}"
        if self.kind is float and not math.isfinite(value):
            return self.default, "is not a finite number"
        if self.choices and value not in self.choices:
            return self.default, "is not one of " + ", ".join(map(str, self.choices))
        if self.low is not None and value < self.low:
            return self.default, f"is below the smallest allowed value, {self.low:,}"
        if self.high is not None and value > self.high:
            return self.default, f"is above the largest allowed value, {self.high:,}"
        reason = self.check(value) if self.check else None
        return (self.default, reason) if reason else (value, None)

    def text(self, value):
        """The URL text of ``value``: a switch as 1 or 0, anything else as ``str`` writes it."""
        if self.kind is bool:
            return "1" if value else "0"
        return str(value)

    def parse(self, text):
        """The value a URL string stands for, or the default when it is not allowed."""
        return self.read(text)[0]


# A pasted query vector: at most this many numbers (the widest data the app makes is 2,048-D).
MAX_VECTOR_TEXT = 40_000


def query_problem(q):
    """Why ``q`` is not a query the Search page can read (None when it is).

    ``id:N`` (a data vector), ``new:N`` (a fresh random vector, seed N), ``word:W`` (the data
    vector named W, for data with item names such as GloVe's words) or ``vec:a,b,...`` (a
    pasted vector). Whether the id, word or vector fits the data is checked later, against
    the data (:func:`ui.state.checked_query`).
    """
    if re.fullmatch(r"(id|new):[0-9]{1,12}", q):
        return None
    kind, sep, arg = q.partition(":")
    if sep and kind == "word" and 0 < len(arg) <= 200 and arg.isprintable():
        return None
    if sep and kind == "vec" and len(arg) <= MAX_VECTOR_TEXT and parse_vector(arg) is not None:
        return None
    return "is not id:<vector number>, new:<seed>, word:<word> or vec:<numbers>"


def parse_vector(text):
    """The finite numbers of ``text`` separated by commas and/or spaces, as a list; None if any is not one.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of float or None
    """
    parts = [p for p in re.split(r"[\s,;]+", str(text).strip().strip("[]")) if p]
    if not parts:
        return None
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    return values if all(math.isfinite(v) for v in values) else None


def upload_problem(digest):
    """Why ``digest`` cannot name an upload (None when it can): 16 hexadecimal digits."""
    return None if re.fullmatch(r"[0-9a-f]{16}", digest) else "is not an upload's 16-digit name"


# Dataset parameters per kind: (param, default, type, low, high, label, help)
KIND_PARAMS = {
    "blobs": [
        ("n", 5000, int, 100, 200_000, "Vectors (n)", None),
        ("d", 16, int, 2, 512, "Dimensions (d)", None),
        ("centers", 8, int, 1, 100, "Blobs", "How many Gaussian blobs the vectors come from"),
        ("spread", 1.0, float, 0.1, 10.0, "Blob spread", "Standard deviation inside each blob"),
    ],
    "imbalanced": [
        ("n", 10_000, int, 100, 200_000, "Vectors (n)", None),
        ("d", 32, int, 2, 512, "Dimensions (d)", None),
        ("dense_fraction", 0.9, float, 0.0, 1.0, "Dense fraction", "Share of vectors in the dense ball"),
        ("dense_spread", 0.5, float, 0.0, 5.0, "Dense spread", "Standard deviation of the dense ball"),
        ("sparse_scale", 10.0, float, 0.5, 100.0, "Sparse box side", "Sparse vectors are uniform in [0, side]^d"),
    ],
    "exercise": [],
    "manifold": [
        ("shape", "moons", str, None, None, "Shape", "Which non-spherical shape"),
        ("n", 4000, int, 100, 200_000, "Vectors (n)", None),
        ("d", 16, int, 3, 512, "Dimensions (d)", None),
        ("noise", 0.05, float, 0.0, 2.0, "Noise", "Isotropic noise added in every dimension"),
    ],
    "duplicates": [
        ("n", 3000, int, 100, 200_000, "Vectors (n)", None),
        ("d", 8, int, 1, 512, "Dimensions (d)", None),
        ("duplicate_fraction", 0.6, float, 0.0, 1.0, "Copied fraction", "Share of vectors that are exact copies"),
        ("n_distinct", 5, int, 1, 100, "Distinct originals", "How many different vectors are copied"),
    ],
    "digits": [],
    "glove": [
        ("n", 20_000, int, 1_000, 400_000, "Words (n)", "The n most frequent words of GloVe 6B (50-D)"),
    ],
    "uniform": [
        ("n", 5000, int, 100, 200_000, "Vectors (n)", None),
        ("d", 32, int, 1, 512, "Dimensions (d)", None),
    ],
}
SHAPES = ("moons", "rings", "spiral", "filaments")
COMPARISON_PAGES = ("sizes", "recall")  # the pages that draw training B
FAILURE_TABS = ("empty", "unbalanced", "shapes")  # the failure-mode lab's tabs, in order
HELD_OUT_PER_GROUP = (25, 50, 100, 200)
CHOOSE_QUERIES = (50, 100, 200, 400, 1000)  # held-out queries in all on the Choose page
CHOOSE_SAMPLES = (39, 256, 0)  # training rows per list on the Choose page (0: every row)

# The metric setting: "auto" is the dataset's own (Dataset.metric, else "l2"), kept out of links.
METRIC_AUTO = "auto"
METRIC_LABELS = {"l2": "L2 (Euclidean)", "ip": "inner product", "cosine": "cosine"}
# What a search reports under each metric, as column headers and captions say it.
VALUE_LABELS = {"l2": "distance²", "ip": "inner product", "cosine": "cosine similarity"}
# What the Train page's inertia adds up under each metric (ivfcore.kmeans: never increases).
INERTIA_WORDS = {
    "l2": "the sum of squared distances from each vector to its centroid",
    "ip": "the sum over vectors of |x| − x·c (its length minus its inner product with its "
          "unit-length centroid: 0 when it points exactly along it)",
    "cosine": "the sum over vectors of 1 − cosine similarity to its centroid (0 when every "
              "vector points exactly along its centroid)",
}
FILTER_ATTRS = ("category", "group")  # a random attribute of a chosen share, or the data's groups
SELECTIVITIES = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005)  # share of vectors a filter lets through
AGING_CASES = ("shift", "group", "empty")  # drifted arrivals, a new group, pgvector's empty table
AGING_FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)  # share of the arriving rows inserted

KIND_LABELS = {
    "blobs": "Balanced blobs",
    "imbalanced": "Imbalanced (dense + sparse)",
    "exercise": "The chapter's exercise (100k x 128)",
    "manifold": "Non-spherical shapes",
    "duplicates": "Near-duplicates (exact copies)",
    "digits": "Handwritten digits (real data)",
    "glove": "GloVe word vectors (real data, 50-D)",
    "uniform": "Uniform random (no structure)",
    "upload": "Your own vectors (upload)",
}


def _kind_settings():
    out = []
    for kind, params in KIND_PARAMS.items():
        for name, default, typ, low, high, _, _ in params:
            choices = SHAPES if name == "shape" else ()
            out.append(Setting(f"{kind}.{name}", default, typ, choices, low, high))
    return out


SETTINGS = {
    s.name: s
    for s in [
        Setting("kind", "blobs", str, tuple(KIND_LABELS)),
        Setting("seed", 0, int, low=0, high=2**31 - 1),
        *_kind_settings(),
        # training (the IVF's coarse quantizer)
        Setting("nlist", 16, int, low=1, high=4096),
        Setting("init", "random", str, ivfcore.INITS),
        Setting("empty", "reinit", str, ivfcore.EMPTY_STRATEGIES),
        Setting("max_iter", 50, int, low=1, high=300),
        Setting("tol", 1e-4, float, low=0.0, high=1e6),
        Setting("train_seed", 0, int, low=0, high=2**31 - 1),
        # how vectors are compared, in training and search ("auto": the dataset's own)
        Setting("metric", METRIC_AUTO, str, (METRIC_AUTO,) + ivfcore.METRICS),
        Setting("proj", "pca", str, ivfcore.PROJECTIONS),
        # an uploaded file, named by its content's digest (see ui/uploads.py)
        Setting("upload", "", str, check=upload_problem),
        # comparison training on the sizes and recall pages ("same" keeps the main training's value)
        Setting("b_init", "k-means++", str, ("same",) + ivfcore.INITS, pages=COMPARISON_PAGES),
        Setting("b_empty", "same", str, ("same",) + ivfcore.EMPTY_STRATEGIES, pages=COMPARISON_PAGES),
        Setting("b_nlist", 0, int, low=0, high=4096, pages=COMPARISON_PAGES),
        # failure-mode lab (fm_tab: the tab a link opens)
        Setting("fm_tab", "empty", str, FAILURE_TABS, pages=("failures",)),
        Setting("fm_empty", "copies", str, ("copies", "box"), pages=("failures",)),
        Setting("fm_shape", "moons", str, SHAPES, pages=("failures",)),
        Setting("fm_nlist", 16, int, low=2, high=256, pages=("failures",)),
        Setting("fm_nprobe", 1, int, low=1, high=256, pages=("failures",)),
        # recall page: held-out queries per group
        Setting("rq", 100, int, HELD_OUT_PER_GROUP, pages=("recall",)),
        # the chapter's exercise: which answers are revealed
        *(Setting(f"ex_a{i}", False, bool, pages=("exercise",)) for i in (1, 2, 3)),
        # IVF-PQ (pq_m = 0: default_pq_m(d), which the page shows without storing it)
        Setting("pq_m", 0, int, low=0, high=4096, pages=("pq",)),
        Setting("pq_nbits", 8, int, low=1, high=8, pages=("pq",)),
        # worksheet: the answer key shown (for the teacher)
        Setting("ws_key", False, bool, pages=("worksheet",)),
        # choose nlist and nprobe: target recall, k, held-out queries in all, another nlist to
        # try (0: none), k-means iterations and training sample per list (0: every row) of the
        # grid, and whether to compare training samples
        Setting("ch_target", 0.9, float, low=0.5, high=0.99, pages=("choose",)),
        Setting("ch_k", 10, int, low=1, high=100, pages=("choose",)),
        Setting("ch_q", 200, int, CHOOSE_QUERIES, pages=("choose",)),
        Setting("ch_extra", 0, int, low=0, high=4096, pages=("choose",)),
        Setting("ch_iter", 10, int, low=1, high=100, pages=("choose",)),
        Setting("ch_mpc", 256, int, CHOOSE_SAMPLES, pages=("choose",)),
        Setting("ch_cmp", False, bool, pages=("choose",)),
        # filtered search: the attribute (a random category of a given share, or a group)
        Setting("ft_attr", "category", str, FILTER_ATTRS, pages=("filtered",)),
        Setting("ft_sel", 0.05, float, SELECTIVITIES, pages=("filtered",)),
        Setting("ft_group", 0, int, low=0, high=10_000, pages=("filtered",)),
        Setting("ft_max", 0, int, low=0, high=4096, pages=("filtered",)),  # 0: every list
        # an index that ages: which arrival, how much of it is in, rebuilt or not
        Setting("ag_case", "shift", str, AGING_CASES, pages=("aging",)),
        Setting("ag_frac", 1.0, float, AGING_FRACTIONS, pages=("aging",)),
        Setting("ag_rebuild", False, bool, pages=("aging",)),
        # search
        Setting("nprobe", 1, int, low=1, high=4096),
        Setting("topk", 10, int, low=1, high=100),
        Setting("q", "id:0", str, check=query_problem),
        Setting("zoom", True, bool, pages=("search",)),  # search chart framed on what the query touched
        # presenter view: larger text and charts for a projector, on whatever page is open
        Setting("present", False, bool),
    ]
}

# The chapter's exercise as one click: its data, 100 lists, as many iterations as it runs.
EXERCISE_PRESET = {"kind": "exercise", "seed": 0, "nlist": 100, "init": "random",
                   "empty": "reinit", "max_iter": 50, "tol": 1e-4, "proj": "pca",
                   "nprobe": 5, "topk": 10, "q": "id:0"}


# Fixed datasets of the failure-mode lab: (kind, seed, params) specs as dataset_spec makes them.
FAILURE_SPECS = {
    "empty": ("duplicates", 0, (("n", 3000), ("d", 8), ("duplicate_fraction", 0.6), ("n_distinct", 5))),
    "unbalanced": ("imbalanced", 0, (("n", 20000), ("d", 32), ("dense_fraction", 0.9),
                                     ("dense_spread", 0.5), ("sparse_scale", 10.0))),
    "blobs": ("blobs", 0, (("n", 4000), ("d", 16), ("centers", 8), ("spread", 1.0))),
    "box": ("blobs", 0, (("n", 3000), ("d", 8), ("centers", 6), ("spread", 1.0))),
}


def manifold_spec(shape):
    return ("manifold", 0, (("shape", shape), ("n", 4000), ("d", 16), ("noise", 0.05)))


def dataset_spec(values):
    """The hashable description of the current dataset: (kind, seed, ((param, value), ...))."""
    kind = values["kind"]
    if kind == "upload":
        return ("upload", values.get("upload_digest", ""), ())
    params = tuple((p[0], values[f"{kind}.{p[0]}"]) for p in KIND_PARAMS[kind])
    return (kind, values["seed"], params)


def metric_in_use(setting, own):
    """The metric to use: ``setting`` unless it is "auto", then the data's own (``own``, else "l2")."""
    return (own or "l2") if setting == METRIC_AUTO else setting


def pq_m_choices(d):
    """Sub-quantizer counts that divide d (m must divide d)."""
    return [m for m in range(1, d + 1) if d % m == 0]


def default_pq_m(d):
    """Sub-vectors of about 8 dimensions for wide data (m = 16 at d = 128), 4 for narrow."""
    width = 8 if d >= 64 else 4
    return min(pq_m_choices(d), key=lambda m: (abs(m - d / width), m))
