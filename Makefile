# Set-up and the two commands of the README. Everything installs into .venv with pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/siting demo --out outputs/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_distance.py --write
	$(BIN)/python benchmarks/bench_orlib.py --instances 1-40 --time-limit 55 --spopt --spopt-instances 1-10
	$(BIN)/python benchmarks/bench_mclp.py --time-limit 55
	$(BIN)/python benchmarks/bench_mclp.py --time-limit 55 --layout uniform
	$(BIN)/python benchmarks/bench_mclp.py --time-limit 55 --scale 0.1 --prove 600
	$(BIN)/python benchmarks/bench_mclp.py --set-cover --time-limit 30
	$(BIN)/python benchmarks/bench_shelters.py --time-limit 15 --prove 900
	$(BIN)/python benchmarks/bench_shelters.py --demand 3000 --candidates 600 --time-limit 60

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/ruff check src tests
	$(BIN)/mypy src/siting

clean:
	rm -rf $(VENV) outputs build src/*.egg-info
