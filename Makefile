# ennp_lab: `make demo` runs the main job, `make test` runs the whole test suite.
# Both create .venv if missing and install everything they need into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CPU build of torch must come first: a later, unpinned resolution would pull CUDA.
TORCH  := "torch>=2.2,<2.14"

.PHONY: demo test lab install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[lab,test,xtb]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ennp-lab demo

# Two phases. (1) Everything but the browser, on two pytest-xdist workers of one torch
# thread each; --dist loadfile keeps a notebook's cells (and a module's fixtures) on one
# worker, in order, as nbval needs. (2) The real-browser tests alone: they judge what
# JupyterLab draws in real time (anywidget gives a widget model 2 s to load; plotly's
# FigureWidget can lose its data when its view renders first), which a second busy
# worker makes flaky. Both phases run; the target fails if either did.
WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest --durations=30 --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg
test: $(STAMP)
	status=0; \
	OMP_NUM_THREADS=1 $(PYTEST) -n $(WORKERS) --dist loadfile --ignore=tests/browser tests notebooks || status=1; \
	$(PYTEST) tests/browser || status=1; \
	exit $$status

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python benchmarks/inference.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
