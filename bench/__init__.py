"""Benchmarks of ``ivfcore`` against the chapter's naive code, scikit-learn and FAISS.

Run ``make bench`` (or ``python -m bench``; ``--quick`` for a smaller smoke run). Every row is
timed in the same process and the same rounds as the reference it is compared with, so the
ratios hold even on a machine that is busy with other work; absolute times do not.
Results and their reading: ``docs/benchmarks.md``.
"""
