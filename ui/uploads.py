"""Uploaded files kept on the server, so a reload (or a link its owner shares) opens them again.

An upload is named by a digest (``upload=<16 hex digits>`` in the URL), never by a server
path: the digest of the file's content, or, once the learner has chosen a Parquet column or
added a queries / ground-truth file, a digest of all of that (:func:`combined_digest`), so a
link always names exactly what it shows. It opens only for the browsers that uploaded it (a
random per-browser token, see ``ui/browser.py``) unless an owner shares it: then anyone
holding the link opens it.

The store is bounded by bytes (``IVFLAB_UPLOAD_STORE_MB``, default 256 MB) of distinct file
content (a base file kept under several choices counts once): when a new upload does not
fit, the least recently opened ones are forgotten; their links then say so. Nothing is
written to disk, so a server restart forgets every upload.
Pure Python (no streamlit): ``ui.cache.upload_store()`` holds the one store of a server.
"""

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import ivfcore

DEFAULT_MAX_BYTES = int(float(os.environ.get("IVFLAB_UPLOAD_STORE_MB", "256")) * 2**20)
NO_LABELS = ""  # Extras.labels: the learner chose no label column (None: the file's default)


def digest_of(data):
    """16 hex digits naming ``data`` (sha256)."""
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class Part:
    """One extra file: its digest, name as uploaded and bytes (compared by digest only)."""

    digest: str
    filename: str
    data: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class Extras:
    """What a learner chose on top of the base file.

    ``column`` / ``labels``: the Parquet vector and label columns (None: the file's default;
    ``labels == NO_LABELS``: no labels); ``queries`` and ``truth``: a queries file and the
    ids of their true neighbours.
    """

    column: str = None
    labels: str = None
    queries: Part = None
    truth: Part = None

    def parts(self):
        return [p for p in (self.queries, self.truth) if p is not None]

    def empty(self):
        return self == Extras()


NO_EXTRAS = Extras()


def combined_digest(base, extras):
    """The digest naming a base file (its digest ``base``) with ``extras``: ``base`` when there are none."""
    if extras.empty():
        return base
    key = "\0".join(["ivflab-upload", base, repr(extras.column), repr(extras.labels),
                     extras.queries.digest if extras.queries else "-",
                     extras.truth.digest if extras.truth else "-"])
    return digest_of(key.encode("utf-8"))


class Held(NamedTuple):
    """The upload a session uses (``st.session_state["_upload"]``): indexable as (digest, filename, data)."""

    digest: str  # names the whole: the URL's upload= and the caches' key
    filename: str  # the base file
    data: bytes
    extras: Extras = NO_EXTRAS
    base: str = None  # the base file's own digest (None: ``digest``)

    @property
    def base_digest(self):
        return self.base or self.digest

    def choose(self, **changes):
        """The same base file with other extras (``Extras`` fields)."""
        extras = replace(self.extras, **changes)
        return Held(combined_digest(self.base_digest, extras), self.filename, self.data, extras,
                    self.base_digest)


def held(value):
    """A session's ``_upload`` as :class:`Held` (None stays None; a bare 3-tuple has no extras)."""
    if value is None or isinstance(value, Held):
        return value
    return Held(*value)


def load(upload):
    """The Dataset an upload describes: the base file, its column choices, queries and truth.

    Raises ``ivfcore.InputError`` (each message names the file at fault).
    """
    extras = upload.extras
    labels = None if extras.labels == NO_LABELS else extras.labels
    ds = ivfcore.load_vectors(upload.data, filename=upload.filename, column=extras.column,
                              labels=labels)
    if extras.labels == NO_LABELS and ds.item_names is not None:
        ds = replace(ds, item_names=None)
    added = []
    if extras.queries is not None:
        ds = ivfcore.load_queries(extras.queries.data, filename=extras.queries.filename, dataset=ds)
        added.append(f"{len(ds.queries):,} queries from '{extras.queries.filename}'")
    if extras.truth is not None:
        ds = ivfcore.load_ground_truth(extras.truth.data, filename=extras.truth.filename, dataset=ds)
        added.append(f"their {ds.true_ids.shape[1]} true neighbours from '{extras.truth.filename}'")
    if added:
        ds = replace(ds, description=f"{ds.description} With {' and '.join(added)}.")
    return ds


@dataclass
class Upload:
    """One kept upload: its base file's name and bytes, the extras chosen, who may open it."""

    digest: str
    filename: str
    data: bytes
    owners: set = field(default_factory=set)
    shared: bool = False
    extras: Extras = NO_EXTRAS
    base: str = None

    def as_held(self):
        return Held(self.digest, self.filename, self.data, self.extras, self.base)


class UploadStore:
    """Uploads by digest, at most ``max_bytes`` of distinct file content in all (least recently opened go first).

    Thread-safe: every session of a server uses the same store.
    """

    def __init__(self, max_bytes=DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._items = OrderedDict()
        self._files = {}  # content digest -> [size, number of uploads using it]
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def n_bytes(self):
        """Bytes of distinct file content held now (never above ``max_bytes``)."""
        return self._bytes

    def keep(self, digest, filename, data, owner, *, extras=NO_EXTRAS, base=None, shared=False):
        """Keep an upload for ``owner`` (a browser token); False when it is larger than the whole store.

        ``extras`` and ``base`` as in :class:`Held`; ``shared``: whether a new entry starts
        shared (an owner's choice on a shared upload stays shared). Keeping an upload someone
        else already kept adds ``owner`` to its owners.
        """
        files = _files_of(base or digest, data, extras)
        with self._lock:
            item = self._items.get(digest)
            if item is None:
                if sum(files.values()) > self.max_bytes:
                    return False
                item = self._items[digest] = Upload(digest, filename, data, shared=bool(shared),
                                                    extras=extras, base=base)
                for key, size in files.items():
                    self._ref(key, size)
                while self._bytes > self.max_bytes:  # never the new item: it fits on its own
                    _, old = self._items.popitem(last=False)
                    for key in _files_of(old.base or old.digest, old.data, old.extras):
                        self._unref(key)
            item.owners.add(owner)
            self._items.move_to_end(digest)
            return True

    def _ref(self, key, size):
        entry = self._files.setdefault(key, [size, 0])
        if entry[1] == 0:
            self._bytes += size
        entry[1] += 1

    def _unref(self, key):
        entry = self._files[key]
        entry[1] -= 1
        if entry[1] == 0:
            self._bytes -= entry[0]
            del self._files[key]

    def open(self, digest, browser):
        """(upload, None) when ``browser`` may open ``digest``, else (None, why not).

        Why not: ``"missing"`` (never kept, or forgotten to make room or by a restart) or
        ``"private"`` (kept, but neither this browser's nor shared).
        """
        with self._lock:
            item = self._items.get(digest)
            if item is None:
                return None, "missing"
            if not item.shared and browser not in item.owners:
                return None, "private"
            self._items.move_to_end(digest)
            return item, None

    def share(self, digest, browser, on):
        """Let anyone with the link open ``digest`` (or stop that); only an owner may. Returns the state."""
        with self._lock:
            item = self._items.get(digest)
            if item is None or browser not in item.owners:
                return False
            item.shared = bool(on)
            return item.shared

    def is_shared(self, digest):
        with self._lock:
            item = self._items.get(digest)
            return bool(item and item.shared)

    def owns(self, digest, browser):
        with self._lock:
            item = self._items.get(digest)
            return bool(item and browser in item.owners)


def _files_of(base, data, extras):
    """Distinct files of an upload: content digest -> size."""
    files = {base: len(data)}
    for part in extras.parts():
        files[part.digest] = len(part.data)
    return files
