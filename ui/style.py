"""The app's few CSS rules, in one place: what makes every page read on a 1024x768 projector.

Streamlit cuts metric labels, button labels and widget labels with an ellipsis when their
column is narrow, and its wide layout pads the page by 5rem on each side. At 1024 px, with
the sidebar open, that left ~560 px for a row of five metrics. The rules below give the
content the width, let labels wrap instead of being cut, scale metric values with the
window, and let a row of columns wrap to a second line when its columns would get too
narrow (Streamlit's columns are already a wrapping flex row; they only lack a minimum width).
Charts side by side get a larger minimum, so at 1024 px they stack, each at full width.
"""

import streamlit as st

# Column minimums: a metric or a widget needs ~6rem; a chart needs ~26rem to keep its
# titles, ticks and legend apart.
COLUMN_MIN = "6rem"
CHART_COLUMN_MIN = "26rem"

CSS = f"""
@media (max-width: 1400px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 1.5rem; padding-right: 1.5rem;
                                          padding-top: 3rem; }}
}}
[data-testid="stColumn"] {{ min-width: {COLUMN_MIN}; }}
[data-testid="stColumn"]:has(.stPlotlyChart) {{ min-width: min(100%, {CHART_COLUMN_MIN}); }}

/* Labels wrap onto a second line instead of ending in "..." */
[data-testid="stMetricLabel"] .stMarkdownEllipsis,
[data-testid="stMetricDelta"] .stMarkdownEllipsis,
[data-testid="stMetricLabel"] p, [data-testid="stMetricDelta"] p,
[data-testid="stWidgetLabel"] p, [data-testid^="stBaseButton"] p,
[data-testid="stCheckbox"] p, [data-testid="stToggle"] p {{
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: normal;
}}
/* An uploader lists every extension it accepts (17 formats): wrap them, do not cut them */
[data-testid="stFileUploaderDropzoneInstructions"] span,
[data-testid="stFileUploaderDropzoneInstructions"] small {{
  white-space: normal; overflow: visible; text-overflow: clip;
}}
[data-testid="stMetricLabel"] > div {{ overflow: visible; }}
[data-testid="stMetricValue"] {{ font-size: clamp(1.5rem, 2.6vw, 2.25rem); }}
[data-testid="stMetricValue"] p {{ white-space: normal; }}

/* Captions: Streamlit draws them at 60% opacity, below WCAG's 4.5:1 contrast on white */
[data-testid="stCaptionContainer"] {{ opacity: 1; color: #55575e; }}
"""


# The presenter view (a projector at the front of a room): everything sized in rem grows
# by a quarter (text, widgets, metrics, spacing), headings less so they stay on one or two
# lines at 1024 px. Injected only when the view is on.
PRESENTER_CSS = """
html { font-size: 20px; }
h1 { font-size: 2.1rem !important; }
h2 { font-size: 1.6rem !important; }
h3 { font-size: 1.3rem !important; }
[data-testid="stCaptionContainer"] { font-size: 0.9rem; color: #3d3f45; }
/* room below Streamlit's fixed header for the presenter-view switch at the top */
[data-testid="stMainBlockContainer"] { padding-top: 4.5rem; }
"""


def apply(presenting=False):
    """Inject the CSS (once per script run; Streamlit adds no space for a style-only element).

    ``presenting``: add the presenter view's larger sizes.
    """
    st.html(f"<style>{CSS}{PRESENTER_CSS if presenting else ''}</style>")
