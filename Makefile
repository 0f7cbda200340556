# Two commands on a fresh machine (Python 3.11 and PyPI reachable):
#   make run    create .venv from envs/requirements.lock, run the whole pipeline on the embedded default
#   make test   create .venv if needed, run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
CORES  ?= 2
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test env lint dag report clean-results lock unlock

run: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/mscsurvey run --cores $(CORES)

test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest

env: $(STAMP)

$(STAMP): envs/requirements.lock envs/ner-model.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --requirement envs/requirements.lock
	$(BIN)/pip install --quiet --require-hashes --no-deps --requirement envs/ner-model.lock
	$(BIN)/pip install --quiet --no-deps --editable .
	touch $@

PYDIRS := $(wildcard src tests workflow/scripts benchmarks)

lint: $(STAMP)
	$(BIN)/ruff check $(PYDIRS)
	$(BIN)/ruff format --check $(PYDIRS)
	$(BIN)/snakefmt --check Snakefile workflow/rules
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --lint

# Remove the lock a killed run left, but only when no run is alive in this folder (Snakemake's lock
# files name no process: --unlock during a live run lets a second run write the same files).
unlock: $(STAMP)
	$(BIN)/python -m mscsurvey.liverun
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --unlock

dag: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --dag --quiet

clean-results:
	rm -rf results/* data/raw/survey.csv data/raw/truth.json data/raw/pseudonym.key data/raw/logs

# Re-pin the lock file from pyproject's dependencies and the tools (needs PyPI).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --upgrade pip
	.lockenv/bin/pip install --quiet . pytest ruff snakefmt nbclient nbconvert ipykernel jupytext \
		papermill pypandoc-binary typst pyreadstat openpyxl snakemake-executor-plugin-slurm
	{ echo "# Exact versions of every Python package mscsurvey uses (Python 3.11), installed by 'make env'."; \
	  echo "# Regenerate: make lock (a fresh venv, pip install of pyproject's dependencies + tools, pip freeze)."; \
	  .lockenv/bin/pip freeze --exclude mscsurvey; } > envs/requirements.lock
	rm -rf .lockenv
