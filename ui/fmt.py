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
