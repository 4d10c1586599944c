"""Figures of the practitioner's pages (an index that ages, filtered search): pure plotly, no streamlit."""

import numpy as np
import plotly.graph_objects as go

from . import fmt
from .figures import _layout, _legend_below, palette

STRATEGY_COLORS = {"post-filter": "#d55e00", "over-fetch": "#0072b2", "iterative": "#009e73"}
STRATEGY_NAMES = {"post-filter": "post-filtering", "over-fetch": "over-fetching (k' = k / selectivity)",
                  "iterative": "iterative probing"}


def by_selectivity(selectivities, values, ylabel, title, *, k=None, y_range=None):
    """One line per filtering strategy against the filter's selectivity (log, 50% at the left).

    ``values``: strategy -> sequence of y, one per selectivity. ``k`` draws the line "k results".
    """
    fig = go.Figure()
    sel = np.asarray(selectivities, dtype=np.float64)
    for name, ys in values.items():
        fig.add_trace(go.Scatter(
            x=sel, y=ys, mode="lines+markers", name=STRATEGY_NAMES[name],
            line=dict(color=STRATEGY_COLORS[name], width=2.5), marker=dict(size=7),
            customdata=[fmt.share(s) for s in sel],
            hovertemplate=f"{STRATEGY_NAMES[name]}<br>%{{customdata}} of vectors allowed: "
                          f"%{{y:,.3~f}}<extra></extra>",
        ))
    if k is not None:
        fig.add_hline(y=k, line_dash="dot", line_color="#555", annotation_text=f"k = {k}",
                      annotation_position="bottom right")
    fig.update_xaxes(title_text="share of vectors the filter allows (log)", type="log",
                     autorange="reversed", tickvals=sel, ticktext=[fmt.share(s) for s in sel])
    fig.update_yaxes(title_text=ylabel, **(dict(range=y_range) if y_range else dict(rangemode="tozero")))
    _layout(fig, title, height=400)
    return _legend_below(fig, -0.3)


def strategy_bars(runs, k, title):
    """Per strategy, the share of queries by results returned (0 .. k): where the short answers are."""
    fig = go.Figure()
    for name, run in runs.items():
        counts = np.bincount(run.returned, minlength=k + 1)[: k + 1]
        fig.add_trace(go.Bar(
            x=np.arange(k + 1), y=counts / max(1, len(run.returned)), name=STRATEGY_NAMES[name],
            marker_color=STRATEGY_COLORS[name], customdata=counts,
            hovertemplate=f"{STRATEGY_NAMES[name]}<br>%{{customdata}} queries returned %{{x}} "
                          "results<extra></extra>",
        ))
    fig.update_xaxes(title_text=f"results returned (of k = {k})", dtick=1 if k <= 20 else None)
    fig.update_yaxes(title_text="share of queries", tickformat=".0%", rangemode="tozero")
    fig.update_layout(barmode="group", bargap=0.15)
    _layout(fig, title, height=400)
    return _legend_below(fig, -0.3)


def aging_drift(fractions, series, ylabel, title, *, rebuilt=None, fmt_y=",.3~f"):
    """A measure of the aged index against the share of new rows inserted.

    ``series``: name -> y per fraction (each a line); ``rebuilt``: (fraction, y) of the
    index retrained on every indexed row, drawn as a star.
    """
    fig = go.Figure()
    x = np.asarray(fractions, dtype=np.float64)
    for (name, ys), color in zip(series.items(), palette(len(series))):
        fig.add_trace(go.Scatter(x=x, y=ys, mode="lines+markers", name=name,
                                 line=dict(color=color, width=2.5), marker=dict(size=7),
                                 hovertemplate=f"{name}<br>%{{x:.0%}} of the new rows in: "
                                               f"%{{y:{fmt_y}}}<extra></extra>"))
    if rebuilt is not None:
        fig.add_trace(go.Scatter(x=[rebuilt[0]], y=[rebuilt[1]], mode="markers", name="rebuilt (retrained)",
                                 marker=dict(symbol="star", size=16, color="#111", line=dict(width=1, color="#fff")),
                                 hovertemplate=f"rebuilt: %{{y:{fmt_y}}}<extra></extra>"))
    fig.update_xaxes(title_text="share of the new rows inserted", tickformat=".0%", tickvals=x,
                     range=[-0.05, 1.05])
    fig.update_yaxes(title_text=ylabel, rangemode="tozero")
    _layout(fig, title, height=380)
    return _legend_below(fig, -0.3)
