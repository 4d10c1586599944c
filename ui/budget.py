"""One byte budget for everything the server keeps for its learners, least recently used out first.

:class:`BudgetCache` is the map every shared cache of ``ui/cache.py`` lives in (one namespace
per cached function). It holds at most ``max_bytes`` (``IVFLAB_CACHE_MB``, default 2048) of

- **kept entries**, each measured once when it is stored (:func:`measure`: numpy arrays'
  ``nbytes`` through dataclasses, tuples, lists, dicts and objects' attributes; an array
  several entries share counts once; a memory-mapped array, or one the caller declares
  process-wide (GloVe's matrix), costs nothing; plotly figures and other Python objects
  approximately, by ``sys.getsizeof``), and
- **work in progress**: :meth:`BudgetCache.hold` reserves the memory a script run is about to
  use on a large dataset (the dataset itself, what is derived from it, a generator's
  intermediate arrays) until the run ends. A run waits for its reservation until the kept
  entries (least recently used evicted first) and the other runs' reservations leave room;
  a run that already holds a reservation, or one that would be alone, never waits.

An entry larger than the whole budget is computed and returned to the learner who asked,
but not kept (keeping it would evict everything else and still break the budget). The
newest entry is otherwise always kept, even when reservations leave no room for it: the
next rerun of the page that computed it needs it (a training that was not kept would be
trained again on every rerun); older entries go first. Each key is computed once even when
several learners ask for it at once (the others wait and share the result); a computation
that raises leaves nothing behind. Thread-safe. Pure Python: no streamlit.
"""

import functools
import inspect
import os
import sys
import threading
from collections import OrderedDict
from dataclasses import fields, is_dataclass

import numpy as np

ENV = "IVFLAB_CACHE_MB"
DEFAULT_MB = 2048


def max_bytes_from_env(environ=os.environ):
    """The budget in bytes: ``IVFLAB_CACHE_MB`` (megabytes, default 2048)."""
    text = environ.get(ENV, "").strip()
    mb = float(text) if text else DEFAULT_MB
    if not mb > 0:
        raise ValueError(f"{ENV}={text!r}: the cache budget must be a positive number of megabytes")
    return int(mb * 2**20)


# --------------------------------------------------------------------------- measuring

_ATOMS = (int, float, complex, bool, type(None), np.generic)
_SKIP = (type, type(sys), type(len), type(max_bytes_from_env), threading.Thread)
_MAX_OBJECTS = 2_000_000  # walking stops there (the rest is not counted): bounds the time
_SAMPLE = 64  # a long list of plain numbers is estimated from its first elements


def _root(a):
    """The object owning an array's memory (the end of its ``.base`` chain)."""
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a


def measure(obj, exempt=frozenset()):
    """Bytes ``obj`` holds: (``{id(owner): nbytes}`` of the array buffers it keeps alive, other bytes).

    A view keeps its whole base alive, so it counts the base. Buffers owned by a memory map,
    or whose owner's ``id`` is in ``exempt``, count 0. Objects are walked through dataclass
    fields, ``__dict__``, ``__slots__``, tuples, lists, sets and dicts (each object once);
    functions, classes, modules and other callables are not walked (they belong to the code,
    not to the entry). Plotly figures are walked through their data, layout and frames.
    """
    buffers, seen = {}, set()
    other = 0
    todo = [obj]
    while todo and len(seen) < _MAX_OBJECTS:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            root = _root(o)
            if isinstance(root, np.memmap) or type(root).__name__ == "mmap" or id(root) in exempt:
                continue
            if isinstance(root, np.ndarray):
                buffers[id(root)] = root.nbytes
            elif isinstance(root, (bytes, bytearray)):
                buffers[id(root)] = len(root)
            else:  # memory owned by something else (a buffer protocol object): its share
                buffers[id(root)] = max(buffers.get(id(root), 0), o.nbytes)
            if o.dtype == object:
                other += sys.getsizeof(o)
                todo.extend(o.ravel().tolist())
            continue
        if isinstance(o, _ATOMS):
            other += sys.getsizeof(o)
            continue
        if isinstance(o, (str, bytes, bytearray)):
            other += sys.getsizeof(o)
            continue
        if isinstance(o, _SKIP) or (callable(o) and not hasattr(o, "to_plotly_json")):
            continue
        if hasattr(o, "to_plotly_json") and hasattr(o, "_data") and hasattr(o, "_layout"):
            other += sys.getsizeof(o)
            todo.extend([o._data, o._layout, [getattr(f, "_props", None) for f in getattr(o, "_frame_objs", ())]])
            continue
        if isinstance(o, dict):
            other += sys.getsizeof(o)
            todo.extend(o.keys())
            todo.extend(o.values())
            continue
        if isinstance(o, (list, tuple, set, frozenset)):
            other += sys.getsizeof(o)
            items = o if isinstance(o, (list, tuple)) else list(o)
            if len(items) > 4 * _SAMPLE and all(isinstance(x, (int, float)) for x in items[:_SAMPLE]):
                head = sum(sys.getsizeof(x) for x in items[:_SAMPLE])
                other += head * len(items) // _SAMPLE
            else:
                todo.extend(items)
            continue
        other += sys.getsizeof(o)
        if is_dataclass(o):
            todo.extend(getattr(o, f.name, None) for f in fields(o))
        if hasattr(o, "__dict__"):
            todo.append(vars(o))
        for slot in getattr(type(o), "__slots__", ()):
            if isinstance(slot, str) and hasattr(o, slot):
                todo.append(getattr(o, slot))
    return buffers, other


def nbytes(obj, exempt=frozenset()):
    """Total bytes of :func:`measure` (each buffer once)."""
    buffers, other = measure(obj, exempt)
    return sum(buffers.values()) + other


# --------------------------------------------------------------------------- the cache

class _Entry:
    __slots__ = ("value", "buffers", "other")

    def __init__(self, value, buffers, other):
        self.value, self.buffers, self.other = value, buffers, other


class BudgetCache:
    """Entries and reservations within ``max_bytes`` (see the module docstring).

    ``exempt``: a function returning ids of array owners that live for the whole process
    anyway (they cost the cache nothing).
    """

    def __init__(self, max_bytes, exempt=frozenset):
        self.max_bytes = int(max_bytes)
        self._exempt = exempt
        self._items = OrderedDict()  # key -> _Entry, least recently used first
        self._buffers = {}  # id(owner) -> [nbytes, entries holding it]
        self._kept = 0  # bytes of kept entries, each buffer once
        self._holds = {}  # hold key -> [bytes, set of owners]
        self._extra = {}  # owner -> bytes reserved for the moment (a generator's peak)
        self._cond = threading.Condition(threading.Lock())
        self._key_locks = {}
        self.evictions = 0
        self.not_kept = 0

    # -- reading
    @property
    def kept_bytes(self):
        """Bytes of the entries kept now (shared arrays once)."""
        return self._kept

    @property
    def reserved_bytes(self):
        """Bytes reserved by script runs now."""
        return sum(h[0] for h in self._holds.values()) + sum(self._extra.values())

    def __len__(self):
        return len(self._items)

    def __contains__(self, key):
        with self._cond:
            return key in self._items

    def get(self, key):
        """The kept value of ``key`` (now the most recently used), else None."""
        with self._cond:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items.move_to_end(key)
            return entry.value

    def get_or_compute(self, key, compute):
        """The value of ``key``, computed by ``compute()`` once however many threads ask at once."""
        hit = self.get(key)
        if hit is not None:
            return hit
        with self._cond:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            hit = self.get(key)
            if hit is not None:
                return hit
            try:
                value = compute()
                self.put(key, value)
                return value
            finally:  # also when compute raises (bad settings): no lock left behind per key
                with self._cond:
                    self._key_locks.pop(key, None)

    def put(self, key, value):
        """Keep ``value`` under ``key`` unless it is larger than the whole budget; returns whether kept."""
        if value is None:  # None means "not cached" to get(): never kept
            return False
        buffers, other = measure(value, self._exempt())
        with self._cond:
            self._drop(key)
            fresh = sum(n for i, n in buffers.items() if i not in self._buffers) + other
            if fresh > self.max_bytes:
                self.not_kept += 1
                return False
            self._items[key] = _Entry(value, buffers, other)
            for i, n in buffers.items():
                slot = self._buffers.setdefault(i, [n, 0])
                if slot[1] == 0:
                    self._kept += n
                slot[1] += 1
            self._kept += other
            self._shrink(0, keep=key)
            self._cond.notify_all()
            return True

    def discard(self, key):
        with self._cond:
            self._drop(key)
            self._cond.notify_all()

    def clear(self):
        with self._cond:
            for key in list(self._items):
                self._drop(key)
            self._cond.notify_all()

    def _drop(self, key):
        entry = self._items.pop(key, None)
        if entry is None:
            return
        for i in entry.buffers:
            slot = self._buffers[i]
            slot[1] -= 1
            if slot[1] == 0:
                self._kept -= slot[0]
                del self._buffers[i]
        self._kept -= entry.other

    def _shrink(self, need, keep=None):
        """Evict least recently used entries until ``need`` more bytes fit (never ``keep``)."""
        while self._kept + self.reserved_bytes + need > self.max_bytes:
            victim = next((k for k in self._items if k != keep), None)
            if victim is None:
                return False
            self._drop(victim)
            self.evictions += 1
        return True

    # -- work in progress
    def hold(self, owner, key, nbytes, extra=0, wait=True):
        """Reserve ``nbytes`` for work on ``key`` (shared by every owner holding the same key)
        plus ``extra`` bytes for ``owner`` alone, until :meth:`release_extra` / :meth:`release`.

        Waits until they fit beside the other reservations, evicting kept entries as needed;
        never waits when ``owner`` already holds something (no deadlock between two runs that
        each hold one reservation) or when nothing else is reserved. ``wait=False``: returns
        False at once instead of waiting (nothing reserved); True once reserved.
        """
        with self._cond:
            while True:
                held = self._holds.get(key)
                need = (0 if held else nbytes) + extra
                holds_any = owner in self._extra or any(owner in h[1] for h in self._holds.values())
                if self.reserved_bytes + need <= self.max_bytes or holds_any or not self.reserved_bytes:
                    self._shrink(need)  # as far as it goes: alone, the work runs anyway
                    break
                if not wait:
                    return False
                self._cond.wait(1.0)  # released reservations notify; the timeout is a safety net
            if held:
                held[1].add(owner)
            else:
                self._holds[key] = [nbytes, {owner}]
            if extra:
                self._extra[owner] = self._extra.get(owner, 0) + extra
            return True

    def holds(self, owner):
        """Whether ``owner`` holds any reservation now."""
        with self._cond:
            return owner in self._extra or any(owner in h[1] for h in self._holds.values())

    def release_extra(self, owner):
        with self._cond:
            self._extra.pop(owner, None)
            self._cond.notify_all()

    def release(self, owner):
        """End every reservation of ``owner`` (a script run that finished)."""
        with self._cond:
            self._extra.pop(owner, None)
            for key in [k for k, h in self._holds.items() if owner in h[1]]:
                self._holds[key][1].discard(owner)
                if not self._holds[key][1]:
                    del self._holds[key]
            self._cond.notify_all()


# --------------------------------------------------------------------------- the decorator

def _freeze(value):
    """A hashable stand-in for a key argument (lists -> tuples, dicts -> sorted items)."""
    try:
        hash(value)
        return value
    except TypeError:
        pass
    if isinstance(value, dict):
        return ("__dict__",) + tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_freeze(v) for v in value)
    raise TypeError(f"cache key argument of type {type(value).__name__} is not hashable: "
                    "pass it as an _underscore argument and key on its settings")


def memoize(store, show_spinner=False, spinner=None):
    """Decorate a function so that its results live in ``store`` (a :class:`BudgetCache`, or a
    function returning one), keyed like ``st.cache_resource``: by the function's name and its
    arguments whose names do not start with ``_`` (defaults applied).

    ``show_spinner``: False, or the text ``spinner(text)`` (a context manager) shows while a
    result is computed (never on a hit).
    """
    def decorate(func):
        sig = inspect.signature(func)
        names = [p for p in sig.parameters if not p.startswith("_")]
        name = f"{func.__module__}.{func.__qualname__}"

        def key(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            return (name,) + tuple(_freeze(bound.arguments[p]) for p in names)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            cache = store() if callable(store) and not isinstance(store, BudgetCache) else store

            def compute():
                if show_spinner and spinner is not None:
                    with spinner(show_spinner):
                        return func(*args, **kwargs)
                return func(*args, **kwargs)

            return cache.get_or_compute(key(*args, **kwargs), compute)

        wrapper.key = key
        return wrapper

    return decorate
