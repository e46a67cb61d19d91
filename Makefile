# VoiceAgent: every target sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: setup run test test-unit lint protos bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/voiceagent up

test: setup
	$(BIN)/python -m pytest tests -q -ra --durations=15

test-unit: setup
	$(BIN)/python -m pytest tests/unit -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy services operator/voiceagent_operator bench tests

protos: setup
	$(BIN)/python -m services.common.protogen

bench: setup
	@mkdir -p bench/results
	@set -e; for script in bench/*_bench.py; do echo "== $$script"; $(BIN)/python $$script; done
	@echo "results in bench/results/"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache bench/results/*.json
