# Two commands for a fresh clone: `make lab` and `make test`. Both set up .venv first (once).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8888
JOBS   ?= 2

.PHONY: setup lab test labs labs-check solutions grade gpu-check clean

setup: $(STAMP)

# Re-run when pyproject.toml changes (the stamp is older than it); a failed install writes no stamp.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
	  echo "error: aisys needs Python 3.10 or newer, but '$(PYTHON)' is '$$($(PYTHON) --version 2>&1)'." >&2; \
	  echo "       Install Python 3.11 and run 'make PYTHON=python3.11 $(MAKECMDGOALS)', or use conda: 'conda env create -f environment.yml'." >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

lab: $(STAMP)
	$(PY) -m aisys lab --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

labs: $(STAMP)
	$(PY) -m grader release solutions labs

labs-check: $(STAMP)
	$(PY) -m grader release solutions labs --check

# Re-run the solution notebooks and store the check outputs nbval compares; then regenerate labs/.
solutions: $(STAMP)
	$(PY) -m grader execute solutions/*.ipynb
	$(PY) -m grader release solutions labs

# Smoke test of the autograder: every solution must score full marks (the notebooks only: running them leaves
# reports and model files beside them, which batch would grade as submissions).
grade: $(STAMP)
	rm -rf build/grade-in && mkdir -p build/grade-in && cp solutions/*.ipynb build/grade-in/
	$(PY) -m grader batch build/grade-in --out build/grades/solutions.csv --jobs $(JOBS) --require-full

# On a machine with an NVIDIA GPU: every solution graded there at full marks, and the ch04 kernels' GPU table.
gpu-check: $(STAMP)
	$(PY) benchmarks/gpu_check.py

clean:
	rm -rf $(VENV) .pytest_cache .grader-cache build
