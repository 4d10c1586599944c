"""NumPy ``.npz`` (a zip of .npy files): one array, or ann-benchmarks' train / test / neighbors.

The zip directory is read first: too many members, or a member whose declared uncompressed
size is beyond what the limits allow, is refused before anything is inflated. Each member's
.npy header is then checked like a lone .npy file; nothing is ever unpickled.
"""

import io
import zipfile

from ..errors import InputError
from . import npy
from ._common import Parsed, check_values, reason

#: At most this many arrays in one archive.
MAX_MEMBERS = 8
#: Arrays the ann-benchmarks layout may hold.
KEYS = ("train", "test", "neighbors", "distances")


def read(data, name, limits, **_):
    """One array as ``x``, or train (+ test and neighbors) -> :class:`Parsed`."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(f"'{name}' is not a .npz (zip) archive ({reason(exc)})") from None
    if not infos:
        raise InputError(f"'{name}' is an empty archive; it holds no arrays")
    if len(infos) > MAX_MEMBERS:
        raise InputError(
            f"'{name}' holds {len(infos)} members; at most {MAX_MEMBERS} are accepted "
            "(one array, or train, test, neighbors)"
        )
    # The most a .npy of max_values numbers can unpack to: 8-byte values plus a header.
    member_limit = limits.max_values * 8 + 65536
    arrays = {}
    for info in infos:
        key = info.filename[:-4] if info.filename.endswith(".npy") else None
        if not key or "/" in key:
            raise InputError(
                f"'{name}' holds '{_shown(info.filename)}', which is not a .npy array; a .npz "
                "holds only .npy members"
            )
        if info.file_size > member_limit:
            raise InputError(
                f"'{name}' member '{_shown(key)}' unpacks to {info.file_size:,} bytes; the limit "
                f"is {member_limit:,} ({limits.max_values:,} numbers)"
            )
        arrays[key] = info
    if len(arrays) > 1 and "train" not in arrays:
        raise InputError(
            f"'{name}' holds {len(arrays)} arrays ({', '.join(map(_shown, sorted(arrays)))}); use "
            "one array, or name them train (the vectors), test (queries) and neighbors (true ids)"
        )
    unknown = sorted(set(arrays) - set(KEYS)) if len(arrays) > 1 else []
    if unknown:
        raise InputError(
            f"'{name}' holds arrays it does not know: {', '.join(map(_shown, unknown))}; beside "
            "train it accepts test, neighbors and distances"
        )
    if ("neighbors" in arrays) != ("test" in arrays):
        raise InputError(f"'{name}' has {'neighbors' if 'neighbors' in arrays else 'test'} "
                         "without its partner; test (queries) and neighbors (true ids) come together")
    wanted = [k for k in ("train", "test", "neighbors") if k in arrays] or list(arrays)
    total = 0
    got = {}
    for key in wanted:
        raw = _member(zf, arrays[key], name, key)
        got[key] = npy.parse(raw, name, limits, part=f"array '{_shown(key)}'")
        total += got[key].size
        check_values(name, total, limits, what="holds at least")
    if "train" not in got:
        return Parsed(x=next(iter(got.values())))
    return Parsed(x=got["train"], queries=got.get("test"), true_ids=got.get("neighbors"))


def _member(zf, info, name, key):
    try:
        with zf.open(info) as fh:
            return fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise InputError(f"'{name}' member '{_shown(key)}' cannot be unpacked ({reason(exc)})") from None
    except Exception as exc:  # zlib.error and friends from a damaged stream
        raise InputError(f"'{name}' member '{_shown(key)}' is damaged ({reason(exc)})") from None


def _shown(text):
    text = text if len(text) <= 40 else text[:37] + "..."
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
