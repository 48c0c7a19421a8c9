# Two commands on a fresh machine:
#   make demo   install mlpulse into .venv and run its main job on the embedded store
#   make test   start the real services on 127.0.0.1 and run lint and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The ApacheJIT file beside the checkout, if there is one; else the demo downloads it.
DATA ?= $(firstword $(wildcard ../shared/data/apachejit/apachejit_test_small.csv))

.PHONY: install demo test lint bench services-start services-stop

$(BIN)/mlpulse: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(BIN)/mlpulse

demo: install
	$(BIN)/mlpulse demo $(if $(DATA),--data $(DATA))

test: install
	bash deployments/testing/run-tests.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/drift_vs_evidently.py

services-start:
	bash deployments/testing/services.sh install
	bash deployments/testing/services.sh start

services-stop:
	bash deployments/testing/services.sh stop
