# Evaluation workbench: every command sets up .venv itself on a fresh machine.
# `make help` lists the targets.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SCALE  ?= 1
SEED   ?= 20220203
JOBS   ?=

.DEFAULT_GOAL := help
.PHONY: help setup report demo-data test test-all lint format lab kernel bench clean-reports

help: ## Show this list of targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11 or run 'make PYTHON=/path/to/python3.11 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the workbench with its test tools

report: $(STAMP) ## Generate the demo world and run every report on it (JOBS=1: one notebook at a time)
	$(BIN)/workbench demo-data --scale $(SCALE) --seed $(SEED)
	$(BIN)/workbench ingest demo
	$(BIN)/workbench run all$(if $(JOBS), --jobs $(JOBS))

demo-data: $(STAMP) ## Write the demo world's raw exports to surveys/data/demo/raw/
	$(BIN)/workbench demo-data --scale $(SCALE) --seed $(SEED)

test: $(STAMP) ## Run the fast test suite
	$(BIN)/python -m pytest -q -n 2

test-all: $(STAMP) ## Run every test, including slow statistical simulations
	$(BIN)/python -m pytest -q -n 2 -m ""

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

kernel: $(STAMP) ## Register the project's environment as a Jupyter kernel for your own JupyterLab
	$(BIN)/python -m ipykernel install --user --name evaluation-workbench --display-name "Evaluation workbench (.venv)"

lab: $(STAMP) ## Open JupyterLab on the project, with .venv as the kernel
	$(BIN)/jupyter lab --notebook-dir=.

bench: $(STAMP) ## Run the benchmarks and write benchmarks/results/
	$(BIN)/python benchmarks/run_all.py

clean-reports: ## Remove generated reports (keeps the scheduler's ledger; never touches raw data)
	find reports -mindepth 1 -maxdepth 1 -type d ! -name _schedule -exec rm -rf {} +
