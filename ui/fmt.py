"""Numbers as the pages print them: enough digits that two different values never read alike."""

import math


def percent(v):
    """A share as a percentage: one decimal from 0.1% up, two significant digits below."""
    if v == 0 or not math.isfinite(v):
        return f"{v:.1%}"
    return f"{v:.1%}" if abs(v) >= 0.001 else f"{v * 100:.2g}%"


def ratio(v):
    """A speed-up factor: 20.2×, 3.46×, and 0.997× (not 1.0×) when opening every list costs more."""
    return f"{v:,.1f}×" if v >= 10 else f"{v:.3g}×"


def average(v):
    """An average count: 312, 1,000, and 1.22 (not 1) when it is small."""
    return f"{v:,.0f}" if v >= 10 else f"{v:.3g}"


def count(n, noun, plural=None):
    """A count with its noun: "1 list", "2 lists", "100,000 vectors"."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def share(v):
    """A share of the data as a short percentage: 90%, 12.5%, 0.4%."""
    text = f"{100 * v:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def weighting(names, shares):
    """How an "all queries" average is weighted, in words: each group by its share of the data.

    ``shares[g]`` is group g's fraction of the data. A few groups are named with their
    shares ("90% dense, 10% sparse"); equal shares are said once; many groups give a range.
    """
    shares = [float(s) for s in shares]
    if len(shares) == 1:
        return "one group, so every query counts the same"
    head = "each group's queries weighted by the group's share of the data"
    if max(shares) - min(shares) < 5e-4:
        return f"{head}, {share(shares[0])} each"
    if len(shares) <= 4:
        return f"{head}: " + ", ".join(f"{share(s)} {n}" for n, s in zip(names, shares))
    return f"{head}, from {share(min(shares))} to {share(max(shares))}"
