"""Tables as the pages show them: whole numbers with thousands separators, as in the text.

``st.dataframe`` prints 90000 where the sentence beside it says 90,000; every table goes
through :func:`table` so counts read the same everywhere.
"""

import numbers

import numpy as np
import streamlit as st


def _whole_number_columns(data):
    """Names of the columns of ``data`` (a dict of columns or a list of row dicts) holding integers."""
    if isinstance(data, dict):
        columns = {name: np.asarray(values) for name, values in data.items()}
    else:
        names = dict.fromkeys(name for row in data for name in row)
        columns = {name: [row.get(name) for row in data] for name in names}
    out = []
    for name, values in columns.items():
        values = list(np.asarray(values, dtype=object).ravel())
        whole = [isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values]
        if any(whole) and all(w or v is None for w, v in zip(whole, values)):  # None: an empty cell
            out.append(name)
    return out


def table(data, *, column_config=None, **kwargs):
    """``st.dataframe(data, hide_index=True, ...)`` with integer columns shown as 90,000."""
    config = {name: st.column_config.NumberColumn(format="localized")
              for name in _whole_number_columns(data)}
    for name, given in (column_config or {}).items():
        tc = given.get("type_config", {}) if isinstance(given, dict) else {}
        if name in config and tc.get("type") == "number" and tc.get("format") is None:
            given = {**given, "type_config": {**tc, "format": "localized"}}
        config[name] = given
    kwargs.setdefault("hide_index", True)
    return st.dataframe(data, column_config=config, **kwargs)
