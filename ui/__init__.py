"""Streamlit glue for IVF Lab: settings and URL state, shared caches, plotly figure builders."""
