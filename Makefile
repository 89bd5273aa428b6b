# Two commands do all the set-up on a fresh machine with Python 3.10+:
#   make lab   – create .venv if absent, install torch (CPU-only build on Linux without an NVIDIA
#                GPU) + the package + JupyterLab, open the chapter on notebook 01
#   make test  – same set-up with the test tools instead of JupyterLab, then the whole test suite
#                (unit tests + every notebook in test mode + the notebooks' text pairs)
# TORCH=auto|cpu|cuda chooses the torch build (default auto, see scripts/install_torch.sh);
# a torch already installed in .venv is kept.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= auto
BIN := $(VENV)/bin
# The chapter's JupyterLab settings (.jupyter/labconfig: no news prompt), added to the user's own.
LAB_ENV := JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}"

.PHONY: lab test test-colab test-book install-lab install-test install-book notebooks badges pair bench slides exercises book

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.torch: $(BIN)/python scripts/install_torch.sh
	bash scripts/install_torch.sh $(BIN)/python $(TORCH)
	touch $@

$(VENV)/.installed-%: $(VENV)/.torch pyproject.toml
	$(BIN)/python -m pip install -e ".[$*]"
	touch $@

.PRECIOUS: $(VENV)/.installed-%

install-lab: $(VENV)/.installed-lab
install-test: $(VENV)/.installed-test
install-book: $(VENV)/.installed-book

lab: $(VENV)/.installed-lab
	$(LAB_ENV) $(BIN)/jupyter lab notebooks/01_recap.ipynb

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# The Colab launch path in a throwaway environment with Colab's package versions (minutes).
test-colab: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m colab tests/test_launch_colab.py

# The book and the offline slides, built into a temporary folder with the network blocked and
# checked as HTML (tests/test_book.py; fetches the slides' JS libraries from npm once).
test-book: $(VENV)/.installed-test $(VENV)/.installed-book
	$(BIN)/python -m pytest -m book tests/test_book.py

# Re-run every notebook at reader size and store its outputs (what readers see on GitHub).
# Then the exercises/takeaways/slide metadata (their "time to run" comes from the new outputs),
# the instructor guide's timings, and the text pairs. (The build tools: tools/, `python -m tools --help`.)
NOTEBOOKS := notebooks/*.ipynb
notebooks: $(VENV)/.installed-test
	$(BIN)/python -m tools build
	$(BIN)/python -m tools execute $(NOTEBOOKS)
	$(BIN)/python -m tools build
	$(BIN)/python -m tools run-solutions
	$(BIN)/python -m tools timings --write
	$(BIN)/python -m tools pair $(NOTEBOOKS)

# Exercises, takeaways, prerequisites line, slide metadata and the solutions notebooks from
# notebooks/exercises/*.md.
exercises: $(VENV)/.installed-test
	$(BIN)/python -m tools build

# One reveal.js deck per notebook, from the stored outputs, into the ignored build/slides/, with
# reveal.js, MathJax, jQuery and require.js in build/slides/lib/ (fetched once from npm into
# build/vendor/): the folder works offline.
slides: $(VENV)/.installed-test
	$(BIN)/python -m tools slides build/slides

# The chapter as a static site in build/book/ (open build/book/index.html), from the stored
# outputs, offline: README, the notebooks, their solutions, the instructor guide.
book: $(VENV)/.installed-book
	$(BIN)/python -m tools.book build/book

# Rewrite the Colab/Kaggle/Binder badges and the Colab/Kaggle setup block of the chapter and
# solutions notebooks (from pyproject.toml and tools/badges.py), then the text pairs.
badges: $(VENV)/.installed-test
	$(BIN)/python -m tools badges $(NOTEBOOKS) notebooks/solutions/*.ipynb
	$(BIN)/python -m tools pair $(NOTEBOOKS)

# Write notebooks/py/*.py (jupytext py:percent) from the notebooks; run after editing a notebook.
pair: $(VENV)/.installed-test
	$(BIN)/python -m tools pair $(NOTEBOOKS)

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks
