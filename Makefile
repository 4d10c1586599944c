# IVF Lab: every target creates or refreshes .venv from the pinned requirements first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test bench clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest

# FAISS's bundled OpenBLAS gets the kernel numpy's OpenBLAS chose (OPENBLAS_CORETYPE, read when
# the library loads), for the whole run; a value the user set, or a numpy without OpenBLAS, is
# left alone. `python -m bench` alone does the same by re-executing itself.
bench: $(VENV)/.dev
	@kernel=$$($(PY) -c 'from bench.common import numpy_blas_kernel; print(numpy_blas_kernel() or "")'); \
	if [ -z "$${OPENBLAS_CORETYPE+set}" ] && [ -n "$$kernel" ]; then \
		export OPENBLAS_CORETYPE="$$kernel" IVFLAB_BENCH_SET_CORETYPE="$$kernel"; fi; \
	echo "make bench: OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE-(not set)} (numpy's OpenBLAS kernel: $${kernel:-none})"; \
	$(PY) -m bench && $(PY) -m bench.app_timing

clean:
	rm -rf $(VENV) .pytest_cache .numba_cache
