"""Uploaded files kept on the server, so a reload (or a link its owner shares) opens them again.

An upload is named by its content's digest (``upload=<16 hex digits>`` in the URL), never by
a server path. It opens only for the browsers that uploaded it (a random per-browser token,
see ``ui/browser.py``) unless an owner shares it: then anyone holding the link opens it.

The store is bounded by bytes (``IVFLAB_UPLOAD_STORE_MB``, default 256 MB): when a new file
does not fit, the least recently opened ones are forgotten; their links then say so.
Nothing is written to disk, so a server restart forgets every upload.
Pure Python (no streamlit): ``ui.cache.upload_store()`` holds the one store of a server.
"""

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

DEFAULT_MAX_BYTES = int(float(os.environ.get("IVFLAB_UPLOAD_STORE_MB", "256")) * 2**20)


@dataclass
class Upload:
    """One kept file: its name as uploaded, its bytes, who may open it."""

    digest: str
    filename: str
    data: bytes
    owners: set = field(default_factory=set)
    shared: bool = False


class UploadStore:
    """Uploads by digest, at most ``max_bytes`` of file content in all (least recently opened go first).

    Thread-safe: every session of a server uses the same store.
    """

    def __init__(self, max_bytes=DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._items = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def n_bytes(self):
        """Bytes of file content held now (never above ``max_bytes``)."""
        return self._bytes

    def keep(self, digest, filename, data, owner):
        """Keep a file for ``owner`` (a browser token); False when it is larger than the whole store.

        Keeping a file someone else already uploaded adds ``owner`` to its owners.
        """
        with self._lock:
            item = self._items.get(digest)
            if item is None:
                if len(data) > self.max_bytes:
                    return False
                item = self._items[digest] = Upload(digest, filename, data)
                self._bytes += len(data)
                while self._bytes > self.max_bytes:
                    _, old = self._items.popitem(last=False)
                    self._bytes -= len(old.data)
            item.owners.add(owner)
            self._items.move_to_end(digest)
            return True

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
