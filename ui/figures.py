"""Pure plotly figure builders: engine results in, ``go.Figure`` out (no streamlit here).

Positions are float32 and labels small integers, so figures travel as compact typed arrays.
"""

import base64
import colorsys
import re

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import fmt

GREY = "#b8bcc4"
QUERY = "#111111"
FOUND = "#1a9850"
MISSED = "#d73027"
WRONG = "#f28e2b"
EMPTY = "#d73027"
REPAIRED = "#f5b800"
SIZES_BAR = "#4c78a8"
FONT = dict(size=13)
TITLE_FONT = dict(size=15)
SUBPLOT_TITLE_SIZE = 12
AXIS_2D = dict(showticklabels=False, zeroline=False, showgrid=False)
# The player's time per frame: 80 ms asks for 12.5 frames a second. A browser starts the next
# frame on its first display refresh (every 16.7 ms) after this time has passed, so 100 ms
# gave at most 8-9 frames a second, under issue #15's 10.
PLAY_MS = 80


# Okabe & Ito's colour-blind-safe set without its green, vermillion and black, which the
# search chart keeps for found (green), missed (red) and the query (black).
OKABE_ITO = ("#0072b2", "#e69f00", "#56b4e9", "#cc79a7", "#f0e442")
# Hue bands (degrees) the generated colours stay in: away from green (~70-170) and red
# (~330-25), so no list colour can be read as a found or missed mark.
LIST_HUES = ((25.0, 60.0), (180.0, 325.0))


def palette(k):
    """k colours for lists or groups: Okabe-Ito first, then hues outside the red and green bands.

    The generated hues are spaced by the golden ratio over the allowed bands, with alternating
    lightness, so neighbouring list numbers get clearly different colours.
    """
    out = list(OKABE_ITO[:k])
    widths = [hi - lo for lo, hi in LIST_HUES]
    for i in range(k - len(out)):
        t = ((i + 1) * 0.618033988749895) % 1.0 * sum(widths)
        for (lo, _), w in zip(LIST_HUES, widths):
            if t < w:
                hue = lo + t
                break
            t -= w
        light = (0.42, 0.58, 0.32)[i % 3]
        r, g, b = colorsys.hls_to_rgb(hue / 360.0, light, 0.75)
        out.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return out


def _colorscale(k):
    """A stepwise colourscale so that integer label i maps exactly to palette(k)[i]."""
    cols = palette(max(k, 1))
    if k <= 1:
        return [[0, cols[0]], [1, cols[0]]]
    return [[i / (k - 1), c] for i, c in enumerate(cols)]


def _label_marker(labels, k, size=5, opacity=0.8):
    return dict(color=labels, colorscale=_colorscale(k), cmin=0, cmax=max(k - 1, 1),
                size=size, opacity=opacity, showscale=False)


def _axis_ranges(xy, pad=0.05):
    """x and y axis settings pinned to the extent of ``xy``, so frames do not rescale the view."""
    lo, hi = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return tuple(
        dict(range=[float(lo[i] - pad * span[i]), float(hi[i] + pad * span[i])], autorange=False,
             title_text=f"projection axis {i + 1}", **AXIS_2D)
        for i in (0, 1)
    )


def _fixed_axes(fig, xy, row=None, col=None, pad=0.05):
    """Pin the 2-D axes of ``fig`` (or of one subplot) to the extent of ``xy``."""
    xaxis, yaxis = _axis_ranges(xy, pad)
    kw = dict(row=row, col=col) if row else {}
    fig.update_xaxes(**xaxis, **kw)
    fig.update_yaxes(**yaxis, **kw)


def _base_layout(title, height):
    return dict(title=dict(text=title, x=0.01, font=TITLE_FONT), height=height, font=FONT,
                margin=dict(l=10, r=10, t=60, b=10), legend=dict(itemsizing="constant"),
                hovermode="closest", dragmode="zoom")


def _layout(fig, title, height=560):
    fig.update_layout(**_base_layout(title, height))
    return fig


def plotly_text(text):
    """Text from data shown literally in plotly's pseudo-HTML (hover, titles, ticks): ``&``, ``<``, ``>`` escaped.

    Plotly turns ``<b>``, ``<a href>``, ``<br>`` and the like into elements; a word such as
    ``<img src=x onerror=...>`` must read as those characters, never become one.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _id_data(ids, names=None):
    """``customdata`` of vector markers: the ids, or (id, escaped name) rows when ``names`` exist.

    The id stays first, so click-to-query reads it either way (``ui.query.clicked_id``).
    """
    ids = np.asarray(ids)
    if names is None:
        return ids
    out = np.empty((len(ids), 2), dtype=object)
    out[:, 0] = ids.tolist()
    out[:, 1] = [plotly_text(names[i]) for i in ids]
    return out


def _vector_hover(names, rest=""):
    """Hover text of a vector marker carrying :func:`_id_data`: its id (and word), then ``rest``."""
    if names is None:
        return f"vector %{{customdata}}{rest}<extra></extra>"
    return f"%{{customdata[1]}} (vector %{{customdata[0]}}){rest}<extra></extra>"


def _legend_below(fig, y, **legend):
    """A horizontal legend under the x-axis title (``y`` in plot heights, negative): at the
    right, a legend took a third of a chart's width on a 1024 px screen."""
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=y, yanchor="top", **legend))
    return fig


def dataset_view(points, ids, groups, group_names, method, title, names=None):
    """The displayed sample coloured by generating group, one legend entry per group.

    ``names``: a name per vector of the whole dataset (e.g. GloVe's words), shown on hover.
    """
    fig = go.Figure()
    cols = palette(len(group_names))
    for g, name in enumerate(group_names):
        mask = groups == g
        if not mask.any():
            continue
        fig.add_trace(go.Scattergl(
            x=points[mask, 0], y=points[mask, 1], mode="markers", name=name,
            marker=dict(size=4, color=cols[g], opacity=0.7), customdata=_id_data(ids[mask], names),
            hovertemplate=f"{name}<br>" + _vector_hover(names),
        ))
    _fixed_axes(fig, points)
    _layout(fig, f"{title} — {method.upper()} view of {len(ids):,} vectors")
    return _legend_below(fig, -0.08, title_text="generated as")


def _trail(paths, upto, length):
    """Each centroid's path over the last ``length`` steps, NaN-separated, as (x, y)."""
    start = max(0, upto - length)
    seg = paths[start : upto + 1]  # (t, k, 2)
    k = seg.shape[1]
    buf = np.full((k, seg.shape[0] + 1, 2), np.nan, dtype=np.float32)
    buf[:, :-1] = np.transpose(seg, (1, 0, 2))
    buf = buf.reshape(-1, 2)
    return buf[:, 0], buf[:, 1]


# plotly.js's names of the numpy types a typed array may hold
_JS_TYPES = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
             "float32": "f4", "float64": "f8"}


def _typed(a):
    """A numpy array as plotly.js's typed-array spec (base64 bytes), as plotly.py sends arrays.

    plotly.py passes such a spec through unchecked, where it checks a numpy array (~1 ms
    each): the training animation's frames hold hundreds of arrays.
    """
    a = np.ascontiguousarray(a)
    if a.dtype == np.int64:
        a = a.astype(np.int32)
    if a.size == 0 or a.dtype.name not in _JS_TYPES:
        return a.tolist()
    out = {"dtype": _JS_TYPES[a.dtype.name], "bdata": base64.b64encode(a).decode("ascii")}
    if a.ndim > 1:
        out["shape"] = ", ".join(str(n) for n in a.shape)
    return out


def _marked(paths, i, lists):
    """Positions (x, y) and list numbers of some centroids at step ``i`` (for the ✕ / ★ marks).

    No list: one point at NaN (list -1), drawn nowhere; a trace with no point at all would
    lose its legend key, which explains the marks.
    """
    lists = np.asarray(lists, dtype=np.int32)
    if not len(lists):
        return np.full(1, np.nan, np.float32), np.full(1, np.nan, np.float32), np.full(1, -1, np.int32)
    return paths[i, lists, 0], paths[i, lists, 1], lists


def _step_title(step, total):
    bits = [f"Iteration {step.iteration} of {total - 1}", f"inertia {step.inertia:,.4g}"]
    if step.iteration:
        bits.append(f"shift {step.shift:.4g}")
    if step.n_empty:
        bits.append(f"{step.n_empty} empty list{'s' if step.n_empty > 1 else ''}")
    if len(step.repaired):
        bits.append(f"{len(step.repaired)} repaired ({step.repairs[0].strategy})")
    return " · ".join(bits)


#: Traces of the training animation that its frames change, in the figure's trace order:
#: vectors (colours), centroid trails, centroids, this iteration's inertia, list sizes,
#: the ✕ marks of empty lists and the ★ marks of repaired ones (these two only when some
#: step has an empty or repaired list: :data:`MARK_TRACES`), and the line that names the step.
ANIMATED_TRACES = (0, 1, 2, 4, 5, 7, 8, 9)
MARK_TRACES = (7, 8)
#: Vectors the training animation draws: each frame restyles every drawn point, and in the
#: software rendering of a headless or GPU-less browser 5,000 points held it near 2 frames/s.
ANIMATED_POINTS = 1000
_STEP_AXES = ("x10", "y10")  # the strip above the panels where the step is named
_PANELS_TOP = 0.9  # share of the plot height the three panels keep below that strip


def animated_sample(n, size=ANIMATED_POINTS):
    """Positions (into the displayed sample of ``n``) of the vectors the animation draws.

    Evenly spaced through the displayed sample, whose ids are sorted: a uniform sample of
    it that keeps each part of the data (e.g. the exercise's dense and sparse vectors) in
    its share.
    """
    if n <= size:
        return np.arange(n)
    return np.arange(size) * n // size


def training_animation(points, ids, history, paths, title, trail=8, playing_total=None):
    """k-means as an animation: recoloured points, moving centroids, inertia, list sizes.

    Each frame carries only what changes, as numbers (the vectors' list labels in the
    smallest integer type, positions, sorted sizes): colours come from a colourscale set once
    on the figure's traces, and an empty (✕) or repaired (★) list is a mark drawn over its
    centroid by a trace of its own. Plotly validates every list of colours or symbol names
    element by element, which made a 50-iteration animation take seconds to build.

    Frames play without a full redraw: every trace is SVG (plotly updates SVG traces in
    place; WebGL ones only on a full redraw, which cost 0.4-1.3 s a frame in a software
    renderer), at most :data:`ANIMATED_POINTS` vectors are drawn (:func:`animated_sample`),
    and the step is named by a text trace above the panels (a redraw-free frame does not
    redraw the figure's title).

    Parameters
    ----------
    points : (m, 2) float32 positions of the displayed vectors ``ids``.
    history : sequence of KMeansStep (at least step 0).
    paths : (len(history), k, 2) centroid positions per step.
    playing_total : when only the first steps exist yet, how many there will be (for titles).
    """
    k = history[0].centroids.shape[0]
    total = playing_total or len(history)
    drawn = animated_sample(len(ids))
    points, ids = points[drawn], ids[drawn]
    fig = make_subplots(
        rows=2, cols=2, column_widths=[0.6, 0.4], row_heights=[0.5, 0.5],
        specs=[[{"rowspan": 2}, {"secondary_y": True}], [None, {}]],
        subplot_titles=("Vectors by list; ◆ centroids", "Inertia and shift",
                        "List sizes at this iteration"),
        # room between the panels for the right panels' tick labels and y titles
        horizontal_spacing=0.13, vertical_spacing=0.2,
    )
    fig.update_annotations(font_size=SUBPLOT_TITLE_SIZE)
    its = np.array([s.iteration for s in history])
    inertia = np.array([s.inertia for s in history])
    shift = np.array([s.shift if s.iteration else np.nan for s in history])
    ymax = max(int(s.sizes.max()) for s in history) * 1.05
    list_ids = np.arange(k, dtype=np.int16 if k < 2**15 else np.int32)

    def frame_traces(i):
        s = history[i]
        tx, ty = _trail(paths, i, trail)
        order = np.argsort(-s.sizes, kind="stable").astype(list_ids.dtype)
        ex, ey, empty = _marked(paths, i, np.flatnonzero(s.sizes == 0))
        rx, ry, repaired = _marked(paths, i, s.repaired)
        return [
            dict(type="scatter", marker=dict(color=s.labels[ids])),
            dict(type="scatter", x=tx, y=ty),
            dict(type="scatter", x=paths[i, :, 0], y=paths[i, :, 1],
                 customdata=np.c_[list_ids, s.sizes].astype(np.int32)),
            dict(type="scatter", x=[s.iteration], y=[s.inertia]),
            dict(type="bar", y=s.sizes[order], customdata=order),
            dict(type="scatter", x=ex, y=ey, customdata=empty),
            dict(type="scatter", x=rx, y=ry, customdata=repaired),
            dict(type="scatter", text=[_step_title(s, total)]),
        ]

    def typed(trace):
        """A frame trace with its arrays as typed-array specs (see :func:`_typed`)."""
        out = {}
        for key, v in trace.items():
            out[key] = typed(v) if isinstance(v, dict) else _typed(v) if isinstance(v, np.ndarray) else v
        return out

    first = frame_traces(0)
    fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name="vectors",
                             customdata=ids, hovertemplate="vector %{customdata}<extra></extra>",
                             showlegend=False,
                             marker=_label_marker(first[0]["marker"]["color"], k, size=4, opacity=0.75)),
                  row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines", name="centroid path", line=dict(color="#333", width=1),
                             hoverinfo="skip", showlegend=True, x=first[1]["x"], y=first[1]["y"]),
                  row=1, col=1)
    fig.add_trace(go.Scatter(mode="markers", name="centroid",
                             hovertemplate="list %{customdata[0]}: %{customdata[1]} vectors<extra></extra>",
                             marker=dict(symbol="diamond", size=11, color=list_ids, colorscale=_colorscale(k),
                                         cmin=0, cmax=max(k - 1, 1), showscale=False,
                                         line=dict(color="#222222", width=2)),
                             x=first[2]["x"], y=first[2]["y"], customdata=first[2]["customdata"]),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=its, y=inertia, mode="lines+markers", name="inertia",
                             line=dict(color="#4c78a8"), marker=dict(size=4),
                             hovertemplate="iteration %{x}: inertia %{y:,.5g}<extra></extra>"),
                  row=1, col=2)
    fig.add_trace(go.Scatter(mode="markers", name="this iteration", showlegend=False,
                             marker=dict(size=13, color="#e45756", symbol="circle-open", line_width=3),
                             hoverinfo="skip", x=first[3]["x"], y=first[3]["y"]), row=1, col=2)
    # one colour: plotly.js warns on the console for every bar whose colour is a number on a
    # colourscale, on every frame (a fifth of a frame's time)
    fig.add_trace(go.Bar(name="list size", showlegend=False, x=np.arange(k), y=first[4]["y"],
                         marker_color=SIZES_BAR, customdata=first[4]["customdata"],
                         hovertemplate="list %{customdata}: %{y} vectors<extra></extra>"), row=2, col=2)
    fig.add_trace(go.Scatter(x=its, y=shift, mode="lines", name="shift",
                             line=dict(color="#72b7b2", dash="dot"),
                             hovertemplate="iteration %{x}: shift %{y:.4g}<extra></extra>"),
                  row=1, col=2, secondary_y=True)
    # the marks of empty and repaired lists, over their centroids (and their legend keys)
    for name, sym, size, color, tr in (("empty list", "x", 14, EMPTY, first[5]),
                                       ("repaired this step", "star", 17, REPAIRED, first[6])):
        none = tr["customdata"][0] < 0  # as the legend-only keys were: [None] keeps the key
        fig.add_trace(go.Scatter(x=[None] if none else tr["x"], y=[None] if none else tr["y"],
                                 customdata=tr["customdata"], mode="markers",
                                 name=name, marker=dict(symbol=sym, size=size, color=color,
                                                        line=dict(color="#222222", width=1)),
                                 hovertemplate=f"list %{{customdata}}: {name}<extra></extra>"),
                      row=1, col=1)
    _step_strip(fig, first[7]["text"])

    if len(history) > 1:
        # the ✕ / ★ traces stay out of the frames when no list is ever empty or repaired
        marks = any(s.n_empty or len(s.repaired) for s in history)
        animated = [t for t in ANIMATED_TRACES if marks or t not in MARK_TRACES]
        slots = [ANIMATED_TRACES.index(t) for t in animated]
        fig.frames = [
            dict(name=str(s.iteration), traces=animated,
                 data=[typed(t) for j, t in enumerate(frame_traces(i)) if j in slots])
            for i, s in enumerate(history)
        ]
        heading = f"{title} — Iteration 0 to {total - 1}"
    else:  # the first frame, drawn while the other iterations are computed
        heading = f"{title} — Iteration 0 of {total - 1}; computing the others…"
    xy_all = np.vstack([points, paths.reshape(-1, 2)])
    _fixed_axes(fig, xy_all, row=1, col=1)
    fig.update_xaxes(title_text="iteration", row=1, col=2, range=[-0.5, max(total - 1, 1) + 0.5])
    fig.update_yaxes(title_text="inertia (log)", row=1, col=2, secondary_y=False, type="log")
    fig.update_yaxes(title_text="shift", row=1, col=2, secondary_y=True, showgrid=False, rangemode="tozero",
                     tickmode="auto", nticks=6, tickformat=".3~g")
    fig.update_xaxes(title_text="lists, largest first", row=2, col=2, showticklabels=False)
    fig.update_yaxes(title_text="vectors", row=2, col=2, range=[0, ymax])
    _layout(fig, heading, height=700)
    if len(history) > 1:
        _add_player(fig, [str(s.iteration) for s in history])
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0, yanchor="top"), bargap=0.05)
    return fig


def _step_strip(fig, text):
    """The line naming the shown step (iteration, inertia, shift, empty lists), above the panels.

    A text trace on axes of its own: frames update it in place, where the figure's title
    would need a full redraw. The panels and their titles move down to make room.
    """
    # the right-hand panels each give up half the room, so the gap between them (for the
    # upper one's x title and the lower one's heading, larger in presenter view) stays
    half = (1 - _PANELS_TOP) / 2
    top, (lo2, _), (_, hi4) = _PANELS_TOP, fig.layout.yaxis2.domain, fig.layout.yaxis4.domain
    fig.layout.yaxis.domain = [0, top]
    fig.layout.yaxis2.domain = [lo2 - half, top]
    fig.layout.yaxis4.domain = [0, hi4 - half]
    for note in fig.layout.annotations:  # the panels' headings, at their tops
        note.y = top if note.y == 1 else hi4 - half
    xa, ya = _STEP_AXES
    hidden = dict(visible=False, range=[0, 1], autorange=False, fixedrange=True)
    fig.update_layout({f"xaxis{xa[1:]}": dict(domain=[0, 1], anchor=ya, **hidden),
                       f"yaxis{ya[1:]}": dict(domain=[0.95, 1], anchor=xa, **hidden)})
    fig.add_trace(go.Scatter(x=[0], y=[0.5], xaxis=xa, yaxis=ya, mode="text", text=text,
                             textposition="middle right", textfont=dict(size=14), name="step",
                             hoverinfo="skip", showlegend=False, cliponaxis=False))


def _add_player(fig, names):
    """Play/pause buttons and an iteration slider; frames update the SVG traces in place (no redraw)."""
    go_frame = lambda ms: dict(frame=dict(duration=ms, redraw=False),
                               transition=dict(duration=0), mode="immediate")
    fig.update_layout(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=-0.11, xanchor="left", yanchor="top",
            pad=dict(t=0, r=10), showactive=False,
            buttons=[
                dict(label="▶ Play", method="animate", args=[None, {**go_frame(PLAY_MS), "fromcurrent": True}]),
                dict(label="❚❚ Pause", method="animate", args=[[None], go_frame(0)]),
            ],
        )],
        sliders=[dict(
            # right of the two buttons (~150 px), in pixels: a share of the width (x = 0.2)
            # put Pause over the slider's start on a 1024 px screen
            active=0, x=0.0, y=-0.09, len=1.0, xanchor="left", yanchor="top",
            currentvalue=dict(visible=False), pad=dict(t=0, b=0, l=170),
            steps=[dict(label=n, method="animate", args=[[n], go_frame(0)]) for n in names],
        )],
    )
    fig.update_layout(margin=dict(b=170))


def size_histogram(sizes, title, log=False):
    """How many lists have each size: a narrow peak means even lists."""
    fig = go.Figure(go.Histogram(
        x=sizes, nbinsx=min(60, max(10, len(sizes) // 2)), marker_color="#4c78a8",
        hovertemplate="lists of %{x} vectors: %{y}<extra></extra>",
    ))
    mean = float(np.mean(sizes))
    fig.add_vline(x=mean, line_dash="dash", line_color="#333",
                  annotation_text=f"mean {mean:,.0f}", annotation_position="top right")
    fig.update_xaxes(title_text="list size (vectors in the list)")
    fig.update_yaxes(title_text="number of lists", **_log_y(1, len(sizes), log))
    return _layout(fig, title, height=360)


def _log_y(lo, hi, log):
    """y-axis settings: linear, or log with round ticks from lo to hi (never plotly's "2 5")."""
    if not log:
        return dict(type="linear")
    return dict(type="log", tickvals=_log_ticks(max(lo, 1), max(hi, 1)), tickformat="~s")


def _level_line(fig, y, text, log):
    """A dashed horizontal reference line labelled at its right end.

    On a log axis plotly places a shape in data units but an annotation in log10 units, so
    add_hline's own label would float far above the line: the label is placed by hand.
    """
    fig.add_hline(y=y, line_dash="dash", line_color="#333")
    fig.add_annotation(x=1, xref="paper", xanchor="right", y=np.log10(y) if log else y, yref="y",
                       yanchor="bottom", text=text, showarrow=False)


def sorted_sizes(sizes, title, log=False, colors=None):
    """Every list's size, largest first, with the even share n / nlist marked."""
    order = np.argsort(-np.asarray(sizes), kind="stable")
    fig = go.Figure(go.Bar(
        x=np.arange(len(sizes)), y=np.asarray(sizes)[order], customdata=order,
        marker_color=np.asarray(colors)[order] if colors is not None else "#4c78a8",
        hovertemplate="list %{customdata}: %{y:,} vectors<extra></extra>",
    ))
    even = float(np.sum(sizes)) / len(sizes)
    _level_line(fig, even, f"even share {fmt.average(even)}", log and even > 0)
    fig.update_xaxes(title_text="lists, sorted from largest to smallest", showticklabels=False)
    positive = np.asarray(sizes)[np.asarray(sizes) > 0]
    lo, hi = (positive.min(), positive.max()) if positive.size else (1, 1)
    fig.update_yaxes(title_text="vectors in the list", **_log_y(lo, hi, log))
    fig.update_layout(bargap=0.05)
    return _layout(fig, title, height=360)


MAX_BARS = 256  # bars in the stacked "what fills each list" chart


def group_occupancy(counts, group_names, title):
    """Stacked bars per list (largest first): which generating groups fill each list."""
    counts = np.asarray(counts)
    order = np.argsort(-counts.sum(axis=1), kind="stable")
    cols = palette(len(group_names))
    # Past a few hundred lists each stacked bar is under a pixel wide and the last group
    # paints over the others: neighbouring lists (in sorted order) are then summed per bar.
    per_bar = -(-len(order) // MAX_BARS)
    sorted_counts = counts[order]
    if per_bar > 1:
        starts = np.arange(0, len(order), per_bar)
        sorted_counts = np.add.reduceat(sorted_counts, starts, axis=0)
        where = [f"lists ranked {a + 1}-{min(a + per_bar, len(order))}" for a in starts]
        xtitle = f"lists, sorted from largest to smallest ({per_bar} per bar, summed)"
    else:
        where = [f"list {i}" for i in order]
        xtitle = "lists, sorted from largest to smallest"
    fig = go.Figure()
    for g, name in enumerate(group_names):
        fig.add_trace(go.Bar(
            x=np.arange(len(where)), y=sorted_counts[:, g], name=name, marker_color=cols[g],
            customdata=where, hovertemplate=f"%{{customdata}}: %{{y:,}} {name}<extra></extra>",
        ))
    fig.update_layout(barmode="stack", bargap=0.05)
    fig.update_xaxes(title_text=xtitle, showticklabels=False)
    fig.update_yaxes(title_text="vectors in the list")
    _layout(fig, title, height=380)
    return _legend_below(fig, -0.2, title_text="generated as")


RANK_LABELS = 10  # probed centroids numbered on the search chart
# The search chart's marks: name, colour, plotly symbol, size, the same shape as a character
# and as a word for the key. Each has its own shape, so none relies on colour alone.
MARKS = {
    "wrong": ("returned, not a true neighbour", WRONG, "square", 10, "■", "square"),
    "found": ("true neighbour found", FOUND, "circle", 12, "●", "circle"),
    "missed": ("true neighbour missed", MISSED, "x", 13, "✖", "cross"),
}


def search_view(points, ids, labels, centroid_xy, trace, layers, title, zoom=False, names=None):
    """One query's search drawn over the displayed vectors.

    ``labels`` are the lists of the displayed vectors ``ids``; ``layers`` maps "found",
    "wrong" and "missed" to (xy, ids) of vectors drawn on top whether displayed or not, and
    "query" to its (1, 2) position. Every vector marker carries its id for click-to-query.
    ``zoom`` frames the view on what the query touched (the query, the scanned vectors, the
    probed centroids, the results and the missed neighbours) instead of all the data: on the
    chapter's exercise the dense ball, where most queries land, is a dot in the full view.
    ``names``: a name per vector of the whole dataset (e.g. words), shown on hover, escaped.

    Redrawn on every click, so the traces are plain dicts validated once, in one
    ``go.Figure`` call (``add_trace`` of a ``go.Scattergl`` validates everything twice).
    """
    k = centroid_xy.shape[0]
    probed = np.zeros(k, dtype=bool)
    probed[trace.probed] = True
    in_probed = probed[labels]
    other = ~probed
    traces = [
        dict(x=points[~in_probed, 0], y=points[~in_probed, 1], name="not scanned",
             marker=dict(size=4, color=GREY, opacity=0.35), customdata=_id_data(ids[~in_probed], names),
             hovertemplate=_vector_hover(names, ", list not probed")),
        dict(x=points[in_probed, 0], y=points[in_probed, 1], name="scanned (in a probed list)",
             marker=_label_marker(labels[in_probed], k, size=5, opacity=0.6),
             customdata=_id_data(ids[in_probed], names), hovertemplate=_vector_hover(names, ": scanned")),
        dict(x=centroid_xy[other, 0], y=centroid_xy[other, 1], name="centroid (not probed)",
             marker=dict(symbol="diamond-open", size=8, color="#666"), customdata=np.flatnonzero(other),
             hovertemplate="list %{customdata}: not probed<extra></extra>"),
        dict(x=centroid_xy[trace.probed, 0], y=centroid_xy[trace.probed, 1], mode="markers+text",
             name="probed centroid (rank)",
             # ranks beyond the first few pile up into an unreadable smear: hover tells them
             text=[str(r + 1) if r < RANK_LABELS else "" for r in range(len(trace.probed))],
             textposition="top center", textfont=dict(size=12, color="#000"),
             marker=dict(symbol="diamond", size=14, color=np.array(palette(k))[trace.probed],
                         line=dict(color="#000", width=2)),
             customdata=np.c_[trace.probed, np.arange(1, len(trace.probed) + 1)],
             hovertemplate="list %{customdata[0]}: probed, rank %{customdata[1]}<extra></extra>"),
    ]
    for key in ("wrong", "found", "missed"):
        name, color, symbol, size = MARKS[key][:4]
        xy, vid = layers[key]
        traces.append(dict(
            x=xy[:, 0], y=xy[:, 1], name=f"{name} ({len(vid)})",
            # a dark outline sets the marks apart from the (circle) vectors of the lists
            marker=dict(symbol=symbol, size=size, color=color, line=dict(color="#000", width=1.5)),
            customdata=_id_data(vid, names), hovertemplate=_vector_hover(names, f": {name}"),
        ))
    qxy = layers["query"]
    traces.append(dict(
        x=qxy[:, 0], y=qxy[:, 1], name="query",
        marker=dict(symbol="star", size=20, color=QUERY, line=dict(color="#fff", width=1)),
        hovertemplate="the query<extra></extra>",
    ))
    for t in traces:
        t["type"] = "scattergl"
        t.setdefault("mode", "markers")
    if zoom:
        touched = [qxy, points[in_probed], centroid_xy[trace.probed]]
        touched += [layers[key][0] for key in ("found", "wrong", "missed")]
        xaxis, yaxis = _axis_ranges(np.vstack(touched), pad=0.08)
    else:
        xaxis, yaxis = _axis_ranges(np.vstack([points, centroid_xy, qxy]))
    layout = _base_layout(title, 620)
    # The key is drawn by the page (search_key): a plotly legend cost the browser ~40 ms per click.
    layout.update(xaxis=xaxis, yaxis=yaxis, clickmode="event+select", showlegend=False)
    return go.Figure(data=traces, layout=layout)


def search_key(counts, k):
    """HTML key of :func:`search_view` (its own legend is off): ``counts`` of found/wrong/missed.

    Each mark is named by its shape as well as drawn in its colour, so the key reads without
    colour vision.
    """
    cols = palette(max(k, 3))
    items = [
        (f'<span style="color:{GREY}">●</span>', "not scanned (small grey dot)"),
        ("".join(f'<span style="color:{c}">●</span>' for c in cols[:3]), "scanned (small dot, colour = its list)"),
        ('<span style="color:#666">◇</span>', "centroid, not probed (hollow diamond)"),
        ("◆", f"probed centroid (filled diamond, number = rank, first {RANK_LABELS}; hover for the rest)"),
    ]
    for key in ("wrong", "found", "missed"):
        name, color, _, _, glyph, shape = MARKS[key]
        items.append((f'<span style="color:{color}">{glyph}</span>', f"{name} ({counts[key]}), {shape}"))
    items.append((f'<span style="color:{QUERY}">★</span>', "the query (star)"))
    return " &nbsp; ".join(f'<span style="white-space:nowrap">{sym} {text}</span>' for sym, text in items)



# Each line style of recall_curves also gets its own marker, so curves that overlap stay apart.
_DASH_SYMBOLS = {"solid": "circle", "dash": "square", "dot": "diamond", "dashdot": "triangle-up",
                 "longdash": "x"}


def _log_range(lo, hi, margin=1.2):
    """A log-axis range (in log10 units, as plotly wants) from lo/margin to hi*margin."""
    return [float(np.log10(lo / margin)), float(np.log10(hi * margin))]


def _log_ticks(lo, hi, margin=1.2):
    """Round tick values for a log axis from lo to hi: 1, 2, 5 per decade, or 1 per decade
    when the axis spans two decades or more (plotly's own minor labels read "2 3 4 ... 9")."""
    first, last = int(np.floor(np.log10(lo / margin))), int(np.ceil(np.log10(hi * margin)))
    steps = (1,) if hi >= 100 * lo else (1, 2, 5)
    ticks = [m * 10.0 ** e for e in range(first, last + 1) for m in steps
             if lo / margin <= m * 10.0 ** e <= hi * margin]
    return ticks if len(ticks) >= 2 else None  # a very narrow axis: plotly's own ticks


def recall_curves(curves, n_total, title, by="nprobe"):
    """Recall@k against nprobe or against distance computations, one line per curve.

    ``curves`` is a list of (name, RecallSweep, colour, dash). Brute force (recall 1 at
    ``n_total`` computations) is the reference. The x axis (log) is pinned to the data:
    nprobe from 1 to the largest swept, or work from the cheapest point to brute force.
    """
    fig = go.Figure()
    xs = []
    for name, sw, color, dash in curves:
        x = sw.nprobes if by == "nprobe" else sw.distance_computations
        xs.append(np.asarray(x, dtype=np.float64))
        fig.add_trace(go.Scatter(
            x=x, y=sw.recall, mode="lines+markers", name=name,
            line=dict(color=color, dash=dash, width=2.5),
            marker=dict(size=7, symbol=_DASH_SYMBOLS.get(dash, "circle")),
            customdata=np.c_[sw.nprobes, sw.distance_computations],
            hovertemplate=(f"{name}<br>nprobe %{{customdata[0]}}: recall %{{y:.3f}}, "
                           "%{customdata[1]:,.0f} distance computations<extra></extra>"),
        ))
    # Above the line at the left, where the curves are lowest (at the right they reach 1).
    fig.add_hline(y=1.0, line_dash="dot", line_color="#555",
                  annotation_text="brute force: recall 1", annotation_position="top left")
    xs = np.concatenate(xs) if xs else np.array([1.0])
    if by == "nprobe":
        fig.update_xaxes(title_text="nprobe (lists opened per query)", type="log",
                         range=_log_range(1.0, float(xs.max())), autorange=False,
                         tickvals=np.unique(xs).astype(int))
    else:
        # Shapes and annotations on a log axis: the shape takes data units, the annotation
        # log10 units (add_vline's own annotation would land at 10**n_total, off the chart).
        fig.add_vline(x=n_total, line_dash="dot", line_color="#555")
        fig.add_annotation(x=float(np.log10(n_total)), xref="x", y=0.02, yref="paper",
                           text=f"brute force: {n_total:,}", showarrow=False,
                           xanchor="right", yanchor="bottom", xshift=-4,
                           font=dict(color="#555"))
        lo, hi = float(xs.min()), max(float(xs.max()), float(n_total))
        fig.update_xaxes(title_text="distance computations per query (log)", type="log",
                         range=_log_range(lo, hi), autorange=False, tickvals=_log_ticks(lo, hi),
                         tickformat="~s")
    fig.update_yaxes(title_text=f"recall@{curves[0][1].k}" if curves else "recall", range=[0, 1.1],
                     tickvals=np.linspace(0, 1, 6))
    _layout(fig, title, height=560)
    # A wide legend sample, so a dashed or dotted line shows its pattern there.
    fig.update_layout(legend=dict(orientation="h", y=-0.22, yanchor="top", x=0, itemwidth=60))
    return fig


def recall_ceilings(fig, levels, nprobe_max):
    """Dotted horizontal lines on a recall-against-nprobe chart, one legend entry per (recall, label, colour).

    For an index whose exact neighbours are not the true ones (a different metric): the
    share of the true top-k its exact top-k holds, which it reaches by opening every list.
    Legend entries, not labels on the chart: there they would sit on the curves that meet them.
    """
    for y, text, color in levels:
        fig.add_trace(go.Scatter(
            x=[1, nprobe_max], y=[y, y], mode="lines", name=plotly_text(text),
            line=dict(color=color, dash="dot", width=2), hoverinfo="skip"))
    return fig


def lines(series, xlabel, ylabel, title, log_y=False):
    """One line per named (x, y) series."""
    fig = go.Figure()
    for (name, (x, y)), color in zip(series.items(), palette(len(series))):
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=name,
                                 line=dict(color=color, width=2.5), marker=dict(size=5)))
    fig.update_xaxes(title_text=xlabel)
    fig.update_yaxes(title_text=ylabel, type="log" if log_y else "linear", rangemode="tozero")
    _layout(fig, title, height=400)
    return _legend_below(fig, -0.25)


def cost_boxes(groups, title, ylabel="vectors scanned per query"):
    """Box plots of a per-query cost, one box per named sample (points shown)."""
    fig = go.Figure()
    for (name, values), color in zip(groups.items(), palette(len(groups))):
        fig.add_trace(go.Box(y=values, name=name, boxpoints="all", jitter=0.4, pointpos=0,
                             marker=dict(size=3, color=color), line=dict(color=color)))
    fig.update_yaxes(title_text=ylabel, rangemode="tozero")
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=400)


def partition_view(points, ids, labels, centroid_xy, k, title):
    """Displayed vectors coloured by their list, with every centroid on top."""
    fig = go.Figure()
    fig.add_trace(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", name="vectors",
                               marker=_label_marker(labels, k, size=4, opacity=0.7),
                               customdata=np.c_[ids, labels],
                               hovertemplate="vector %{customdata[0]} in list %{customdata[1]}<extra></extra>"))
    fig.add_trace(go.Scattergl(x=centroid_xy[:, 0], y=centroid_xy[:, 1], mode="markers",
                               name="centroid", customdata=np.arange(k),
                               marker=dict(symbol="diamond", size=12, color=palette(k),
                                           line=dict(color="#000", width=2)),
                               hovertemplate="centroid of list %{customdata}<extra></extra>"))
    _fixed_axes(fig, np.vstack([points, centroid_xy]))
    fig.update_layout(legend=dict(orientation="h", y=-0.16, yanchor="top", x=0))  # below the x title
    return _layout(fig, title, height=460)


def residual_picture(panels, title):
    """Original vectors joined to their decoded versions, one panel per encoding.

    ``panels`` is a list of (name, original_xy, decoded_xy, centroid_xy).
    """
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p[0] for p in panels],
                        horizontal_spacing=0.05)
    fig.update_annotations(font_size=SUBPLOT_TITLE_SIZE)
    for col, (name, orig, dec, cxy) in enumerate(panels, start=1):
        seg = np.full((len(orig) * 3, 2), np.nan, dtype=np.float32)
        seg[0::3], seg[1::3] = orig, dec
        show = col == 1
        fig.add_trace(go.Scattergl(x=seg[:, 0], y=seg[:, 1], mode="lines", name="error",
                                   line=dict(color="#d73027", width=1), showlegend=show,
                                   hoverinfo="skip"), row=1, col=col)
        fig.add_trace(go.Scattergl(x=orig[:, 0], y=orig[:, 1], mode="markers", name="original",
                                   marker=dict(size=5, color="#4c78a8"), showlegend=show), row=1, col=col)
        fig.add_trace(go.Scattergl(x=dec[:, 0], y=dec[:, 1], mode="markers", name="decoded",
                                   marker=dict(size=6, color="#f28e2b", symbol="x"),
                                   showlegend=show), row=1, col=col)
        fig.add_trace(go.Scattergl(x=cxy[:, 0], y=cxy[:, 1], mode="markers", name="list centroid",
                                   marker=dict(size=14, symbol="diamond", color="#111"),
                                   showlegend=show), row=1, col=col)
        every = np.vstack([orig, dec, cxy])
        _fixed_axes(fig, every, row=1, col=col)
        if col > 1:  # side by side: one y title, on the left (a second one overlapped panel 1)
            fig.update_yaxes(title_text=None, row=1, col=col)
    fig.update_layout(legend=dict(orientation="h", y=-0.16, yanchor="top", x=0))  # below the x title
    return _layout(fig, title, height=460)


# ------------------------------------------------------------------ presenter view

#: How much the presenter view enlarges a chart's parts (see :func:`for_projector`).
PROJECTOR = dict(font=1.4, marker=1.5, line=2.0, outline=1.5)
_FONT_KEYS = ("font", "textfont", "tickfont", "titlefont", "insidetextfont", "outsidetextfont")
# plotly's sizes for what a figure leaves unset (they must grow too)
_PLOTLY_FONT, _PLOTLY_MARKER, _PLOTLY_LINE, _PLOTLY_HEIGHT = 12, 6, 2, 450
# and the sizes Streamlit's chart theme gives tick labels and legends, and axis titles
_THEME_TICK, _THEME_AXIS_TITLE = 12, 14


def for_projector(fig, font=PROJECTOR["font"], marker=PROJECTOR["marker"], line=PROJECTOR["line"],
                  outline=PROJECTOR["outline"]):
    """A copy of ``fig`` readable from the back of a room: larger text, markers and lines.

    Every font size is multiplied by ``font`` (text that names no size gets plotly's 12
    times ``font`` through the figure's own font), every marker size by ``marker``, every
    line width by ``line`` (a marker's outline by ``outline``), in the traces, the layout
    (titles, annotations, legend, axes, shapes) and the animation frames alike. The top and
    bottom margins grow with the text and the figure with them (the plot area keeps its
    height); a legend, buttons or slider below the plot move down as much as their text grows.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Left unchanged.
    font, marker, line, outline : float
        Scale factors.

    Returns
    -------
    plotly.graph_objects.Figure
        The scaled copy.
    """
    spec = fig.to_dict()
    factors = dict(font=font, marker=marker, line=line, outline=outline)
    for trace in spec.get("data", []):
        _plotly_defaults(trace)
        _scale(trace, factors)
    for frame in spec.get("frames", []):
        for trace in frame.get("data", []):
            _scale(trace, factors)
        _scale(frame.get("layout", {}), factors)
    layout = spec.setdefault("layout", {})
    for shape in layout.get("shapes", []):
        shape.setdefault("line", {}).setdefault("width", _PLOTLY_LINE)
    _scale(layout, factors)
    base = layout.setdefault("font", {})
    base.setdefault("size", _PLOTLY_FONT * font)  # a size it held is scaled already
    # Streamlit's chart theme sizes tick labels, axis titles and the legend itself, above the
    # figure's own font: they only grow when the figure names their size.
    layout.setdefault("xaxis", {})
    layout.setdefault("yaxis", {})
    for name, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*", name) and isinstance(axis, dict):
            axis.setdefault("tickfont", {}).setdefault("size", _THEME_TICK * font)
            title = axis.setdefault("title", {})
            if isinstance(title, dict):
                title.setdefault("font", {}).setdefault("size", _THEME_AXIS_TITLE * font)
    legend = layout.setdefault("legend", {})
    legend.setdefault("font", {}).setdefault("size", _THEME_TICK * font)
    if isinstance(legend.get("title"), dict):
        legend["title"].setdefault("font", {}).setdefault("size", _THEME_TICK * font)
    # The title above and the legend, buttons and slider below need more room: the margins
    # grow with the text and the figure with them, so the plot area keeps its height in
    # pixels, and what sits below it (placed in plot heights) moves down as its text grows.
    margin = layout.setdefault("margin", {})
    grown = 0.0
    for side, default in (("t", 100), ("b", 80)):
        before = margin.get(side, default)
        margin[side] = before * font
        grown += margin[side] - before
    layout["height"] = layout.get("height", _PLOTLY_HEIGHT) + grown
    for item in [layout.get("legend", {}), *layout.get("updatemenus", []), *layout.get("sliders", [])]:
        if item.get("y", 1) < 0:
            item["y"] = item["y"] * font
    for slider in layout.get("sliders", []):
        pad = slider.get("pad", {})
        if "l" in pad:  # the room left of the slider for the (larger) play buttons
            pad["l"] = pad["l"] * font
    return go.Figure(spec)


def _plotly_defaults(trace):
    """Write into a scatter or box trace the marker size and line width plotly would use."""
    if trace.get("type") not in ("scatter", "scattergl", "box"):
        return
    mode = trace.get("mode", "markers" if trace.get("type") == "box" else "lines+markers")
    if "markers" in mode:
        trace.setdefault("marker", {}).setdefault("size", _PLOTLY_MARKER)
    if "lines" in mode or trace.get("type") == "box":
        trace.setdefault("line", {}).setdefault("width", _PLOTLY_LINE)


def _scale(node, factors, parent=None):
    """Scale, in place, the sizes and widths inside one part of a figure's dict."""
    if isinstance(node, list):
        for item in node:
            _scale(item, factors, parent)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _FONT_KEYS and isinstance(value, dict) and "size" in value:
            value["size"] = _times(value["size"], factors["font"])
        elif key == "marker" and isinstance(value, dict) and "size" in value:
            value["size"] = _times(value["size"], factors["marker"])
        elif key == "line" and isinstance(value, dict) and "width" in value:
            value["width"] = _times(value["width"], factors["outline" if parent == "marker" else "line"])
        if isinstance(value, (dict, list)) and key not in ("x", "y", "z", "customdata", "text"):
            _scale(value, factors, key)


def _times(value, factor):
    """``value`` (a number, a list or plotly's typed-array dict of numbers) times ``factor``."""
    if isinstance(value, (int, float, np.number)):
        return float(value) * factor
    if isinstance(value, dict):  # {"dtype": "i1", "bdata": base64, "shape": ...}, as to_dict writes arrays
        value = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=float) * factor
