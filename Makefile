# Two commands do all the set-up on a fresh machine with Python 3.10+:
#   make lab   – create .venv if absent, install, open the chapter in JupyterLab
#   make test  – same set-up, then the whole test suite (unit tests + every notebook in test mode)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: lab test notebooks badges bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[test]"
	touch $@

lab: $(VENV)/.installed
	$(BIN)/jupyter lab notebooks/

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# Re-run every notebook at reader size and store its outputs (what readers see on GitHub).
notebooks: $(VENV)/.installed
	$(BIN)/python -m ddpm_lessons.notebook_tools execute notebooks/*.ipynb

# Rewrite the Colab/Binder badges from the repository URL in pyproject.toml.
badges: $(VENV)/.installed
	$(BIN)/python -m ddpm_lessons.notebook_tools badges notebooks/*.ipynb

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks
