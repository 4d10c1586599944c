"""Figures of the practitioner's pages (choose nlist and nprobe, an index that ages, filtered
search): engine results in, ``go.Figure`` out (no streamlit here)."""

import numpy as np
import plotly.graph_objects as go

from . import fmt
from .figures import _layout, _legend_below, _log_range, _log_ticks, palette

FRONT = "#111111"
CHOSEN = "#d73027"
CENTROID_WORK = "#e69f00"
SCAN_WORK = "#0072b2"


def _nlist_name(nlist, own):
    return f"nlist = {nlist:,}" + (" (yours)" if nlist == own else "")


def recall_vs_work(curves, front, choice, target, marks, own_nlist, title):
    """Recall@k against distance computations per query: one line per nlist, the front, the pick.

    Parameters
    ----------
    curves : list of ivfcore.tuning.Curve
    front : list of ivfcore.tuning.Choice
        The Pareto front (drawn as a dark dashed line).
    choice : Choice or None
        The cheapest pair reaching ``target`` (a star).
    target : float
        The target recall (a dotted line).
    marks : list of (name, list of Choice, symbol)
        Where rules of thumb land (one marker trace each).
    own_nlist : int
        The learner's nlist, named "(yours)" in the legend.
    title : str
    """
    fig = go.Figure()
    n_total = curves[0].n_total
    for c, color in zip(curves, palette(len(curves))):
        name = _nlist_name(c.nlist, own_nlist)
        fig.add_trace(go.Scatter(
            x=c.work, y=c.recall, mode="lines", name=name, line=dict(color=color, width=2),
            customdata=np.c_[c.nprobes, c.scanned],
            hovertemplate=(f"{name}, nprobe %{{customdata[0]}}<br>recall %{{y:.3f}}<br>"
                           f"{c.nlist:,} centroids + %{{customdata[1]:,.0f}} vectors = "
                           "%{x:,.0f} distance computations<extra></extra>"),
        ))
    fig.add_trace(go.Scatter(
        x=[f.work for f in front], y=[f.recall for f in front], mode="lines", name="Pareto front",
        line=dict(color=FRONT, width=2, dash="dash"), hoverinfo="skip",
    ))
    for name, points, symbol in marks:
        fig.add_trace(go.Scatter(
            x=[p.work for p in points], y=[p.recall for p in points], mode="markers", name=name,
            marker=dict(symbol=symbol, size=11, color="white", line=dict(color=FRONT, width=2)),
            customdata=[[p.nlist, p.nprobe] for p in points],
            hovertemplate=(f"{name}<br>nlist %{{customdata[0]:,}}, nprobe %{{customdata[1]}}: "
                           "recall %{y:.3f}, %{x:,.0f} computations<extra></extra>"),
        ))
    if choice is not None:
        fig.add_trace(go.Scatter(
            x=[choice.work], y=[choice.recall], mode="markers", name="cheapest reaching the target",
            marker=dict(symbol="star", size=18, color=CHOSEN, line=dict(color="white", width=1)),
            hovertemplate=(f"nlist {choice.nlist:,}, nprobe {choice.nprobe}: recall %{{y:.3f}}, "
                           "%{x:,.0f} computations<extra></extra>"),
        ))
    fig.add_hline(y=target, line_dash="dot", line_color=CHOSEN,
                  annotation_text=f"target {target:.2f}", annotation_position="bottom right")
    fig.add_vline(x=n_total, line_dash="dot", line_color="#555")
    fig.add_annotation(x=float(np.log10(n_total)), xref="x", y=0.02, yref="paper",
                       text=f"brute force: {n_total:,}", showarrow=False, xanchor="right",
                       yanchor="bottom", xshift=-4, font=dict(color="#555"))
    lo = float(min(c.work.min() for c in curves))
    hi = max(float(max(c.work.max() for c in curves)), float(n_total))
    fig.update_xaxes(title_text="distance computations per query (log): centroids + vectors scanned",
                     type="log", range=_log_range(lo, hi), autorange=False,
                     tickvals=_log_ticks(lo, hi), tickformat="~s")
    fig.update_yaxes(title_text=f"recall@{curves[0].k}", range=[0, 1.05],
                     tickvals=np.linspace(0, 1, 6))
    _layout(fig, title, height=560)
    return _legend_below(fig, -0.2)


def time_vs_recall(points, own_nlist, title):
    """Measured milliseconds per query against recall@k, one line per nlist.

    ``points``: list of (nlist, nprobes, recall, ms) at the nprobes that were timed.
    """
    fig = go.Figure()
    for (nlist, nprobes, recall, ms), color in zip(points, palette(len(points))):
        name = _nlist_name(nlist, own_nlist)
        fig.add_trace(go.Scatter(
            x=recall, y=ms, mode="lines+markers", name=name, line=dict(color=color, width=2),
            marker=dict(size=6), customdata=nprobes,
            hovertemplate=(f"{name}, nprobe %{{customdata}}<br>recall %{{x:.3f}}: "
                           "%{y:.3g} ms per query<extra></extra>"),
        ))
    all_ms = np.concatenate([np.asarray(p[3], dtype=float) for p in points])
    lo, hi = float(all_ms.min()), float(all_ms.max())
    fig.update_xaxes(title_text="recall@k", range=[0, 1.02])
    fig.update_yaxes(title_text="milliseconds per query (log, measured)", type="log",
                     range=_log_range(lo, hi), autorange=False, tickvals=_log_ticks(lo, hi),
                     tickformat="~g")
    _layout(fig, title, height=460)
    return _legend_below(fig, -0.22)


def work_split(per_nlist, target, own_nlist, title):
    """Stacked bars per nlist at the smallest nprobe reaching ``target``: centroids + vectors scanned.

    ``per_nlist``: dict nlist -> Choice or None (None: the target is out of reach, said on the bar).
    """
    names = [_nlist_name(n, own_nlist) for n in per_nlist]
    reached = [c for c in per_nlist.values() if c is not None]
    cent = [c.nlist if c else None for c in per_nlist.values()]
    scan = [c.scanned if c else None for c in per_nlist.values()]
    probes = [c.nprobe if c else None for c in per_nlist.values()]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=cent, name="centroid comparisons (nlist)", marker_color=CENTROID_WORK,
                         hovertemplate="%{x}: %{y:,} centroid comparisons<extra></extra>"))
    fig.add_trace(go.Bar(x=names, y=scan, name="vectors scanned", marker_color=SCAN_WORK,
                         customdata=probes,
                         hovertemplate="%{x}, nprobe %{customdata}: %{y:,.0f} vectors scanned<extra></extra>"))
    top = max((c.work for c in reached), default=1.0)
    for name, c in zip(names, per_nlist.values()):
        text = f"nprobe {c.nprobe}<br>{c.work:,.0f}" if c else f"never reaches {target:.2f}"
        fig.add_annotation(x=name, y=c.work if c else 0, text=text, showarrow=False, yanchor="bottom",
                           yshift=2, font=dict(size=11))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="", type="category")
    fig.update_yaxes(title_text="distance computations per query", range=[0, top * 1.18])
    _layout(fig, title, height=460)
    return _legend_below(fig, -0.18)


# --- filtered search and an index that ages ----------------------------------------------

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
