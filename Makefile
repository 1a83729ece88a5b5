# diffbench: the two commands a new user runs are `make report` and `make test`.
# Every set-up step lives here, so a fresh clone needs only Python >= 3.11 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# The stamp records that the current pyproject.toml is installed; an unchanged install is not redone.
STAMP  := $(VENV)/.stamp-install
EXTRAS ?= test,peers,jax,cluster

# `make report` writes the run to reports/latest/ (git-ignored), so the checkout stays clean;
# `make showcase` refreshes the committed showcase in reports/showcase/ on purpose.
RUN_DIR      := reports/latest
SHOWCASE_DIR := reports/showcase

.PHONY: all install test lint report showcase asv clean

all: test

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "diffbench needs Python >= 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $@

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check methods diffbench benchmarks tests

report: $(STAMP)
	$(BIN)/diffbench run --output $(RUN_DIR)
	$(BIN)/diffbench report --input $(RUN_DIR)

showcase: $(STAMP)
	$(BIN)/diffbench run --output $(SHOWCASE_DIR)
	$(BIN)/diffbench report --input $(SHOWCASE_DIR)

clean:
	rm -rf $(VENV) .asv .pytest_cache .ruff_cache .hypothesis

# asv: benchmark the committed HEAD in asv's own virtualenv (results under .asv/), publish the
# HTML (.asv/html; serve it with `.venv/bin/asv preview`) and turn the results into the sweep's
# table, figures and report in reports/asv/. `asv machine --yes` runs only if no machine is known.
asv: $(STAMP)
	@test -f "$$HOME/.asv-machine.json" || $(BIN)/asv machine --yes
	$(BIN)/asv run
	$(BIN)/asv publish
	$(BIN)/diffbench from-asv .asv/results --output reports/asv
