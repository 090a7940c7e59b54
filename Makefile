# mlkit course — build and test tooling.  POSIX sh only (works with dash).
#   make lab     install into .venv (once) and open the course in JupyterLab
#   make test    install into .venv (once) and run every test
#   make bench   run every benchmarks/*.py with the venv's Python, BLAS on one thread
#   make clean   remove .venv and build/test caches (never nbgrader's folders)

SHELL := /bin/sh

# Python used to create the venv: python3.11 if present, else python3.
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV ?= .venv
VENV_BIN := $(VENV)/bin
VENV_PYTHON := $(VENV_BIN)/python
# Reinstalled whenever pyproject.toml changes (the stamp lives inside the venv).
STAMP := $(VENV)/.mlkit-installed
# nbgrader runs `alembic` and `jupyter` by name: the venv's bin/ must be on PATH.
WITH_VENV := PATH="$(abspath $(VENV_BIN)):$$PATH"

PYTEST_ARGS ?=
LAB_ARGS ?=

.PHONY: help venv system-packages node-packages lab test bench clean
.DEFAULT_GOAL := help

help:
	@echo "make lab     install (once) and open the course in JupyterLab"
	@echo "make test    install (once) and run every test"
	@echo "make bench   run the benchmarks"
	@echo "make clean   remove $(VENV) and caches"
	@echo "instructors: make release | autograde | feedback | grades  (see docs/instructor_guide.md)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ ! -x "$(VENV_PYTHON)" ]; then \
	    command -v "$(PYTHON)" >/dev/null 2>&1 || { \
	        echo "error: '$(PYTHON)' not found; install Python 3.11+ or run: make PYTHON=/path/to/python3.11 ..." >&2; exit 1; }; \
	    "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	        echo "error: mlkit needs Python >= 3.11, '$(PYTHON)' is $$("$(PYTHON)" -V 2>&1); run: make PYTHON=/path/to/python3.11 ..." >&2; exit 1; }; \
	    echo "==> creating $(VENV) with $$("$(PYTHON)" -V 2>&1)"; \
	    "$(PYTHON)" -m venv "$(VENV)"; \
	fi
	@echo "==> installing mlkit and its course/test tools into $(VENV) (a few minutes the first time)"
	@"$(VENV_PYTHON)" -m pip install --quiet --upgrade pip
	@# setuptools prints a boxed note on every editable install: silence just that one.
	@PYTHONWARNINGS="ignore:Editable installation" "$(VENV_PYTHON)" -m pip install --quiet -e '.[dev]'
	@touch "$@"
	@echo "==> $(VENV) is ready"

lab: venv
	@echo "==> opening JupyterLab on course/ (Ctrl-C twice to stop)"
	@$(WITH_VENV) "$(VENV_BIN)/jupyter" lab --ServerApp.root_dir=course \
	    $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

# Debian packages some tests need (tests/system-packages.txt, one per line).
# As root (CI) the missing ones are installed; otherwise the tests that need
# them skip and say so, and this prints the command that installs them.
SYSTEM_PACKAGES_FILE := tests/system-packages.txt

system-packages:
	@missing=""; \
	for package in $$(grep -v '^[[:space:]]*#' $(SYSTEM_PACKAGES_FILE)); do \
	    dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "==> installing Debian packages the tests need:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	    echo "note: Debian packages missing:$$missing; the tests that need them will skip (install: sudo apt-get install$$missing)"; \
	fi

# npm packages some tests need (tests/node-packages.txt: configurable-http-proxy
# for the JupyterHub test), installed into $(VENV)/node when npm is there.
NODE_PACKAGES_FILE := tests/node-packages.txt
NODE_PREFIX := $(VENV)/node

node-packages: venv
	@packages=$$(grep -v '^[[:space:]]*#' $(NODE_PACKAGES_FILE) | tr '\n' ' '); \
	stamp="$(NODE_PREFIX)/.installed"; \
	if [ -z "$${packages% }" ] || cmp -s "$$stamp" $(NODE_PACKAGES_FILE); then exit 0; fi; \
	if ! command -v npm >/dev/null 2>&1; then \
	    echo "note: npm is missing; the tests that need $$packages will skip (install Node.js and npm)"; exit 0; \
	fi; \
	echo "==> installing npm packages the tests need: $$packages"; \
	mkdir -p "$(NODE_PREFIX)" && npm install --silent --no-save --prefix "$(NODE_PREFIX)" $$packages && cp $(NODE_PACKAGES_FILE) "$$stamp"

test: venv system-packages node-packages
	@$(WITH_VENV) "$(VENV_PYTHON)" -m pytest -q $(PYTEST_ARGS)

bench: venv
	@failed=""; found=""; \
	for f in benchmarks/*.py; do \
	    [ -e "$$f" ] || continue; found=1; \
	    echo "==> $$f"; \
	    $(WITH_VENV) OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$(VENV_PYTHON)" "$$f" || failed="$$failed $$f"; \
	done; \
	[ -n "$$found" ] || echo "no benchmarks/*.py yet"; \
	if [ -n "$$failed" ]; then echo "failed:$$failed" >&2; exit 1; fi

clean:
	rm -rf "$(VENV)" build dist *.egg-info .pytest_cache .hypothesis
	find . -path "./$(VENV)" -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -prune -exec rm -rf {} +

# -- instructor: release the course, grade a class (docs/instructor_guide.md) --
#   make release     solutions/ -> course/ (student notebooks; commit the result)
#   make autograde   submitted/<student>/<assignment>/ -> autograded/ and the gradebook
#   make feedback    autograded/ -> feedback/ (HTML, hidden tests removed)
#   make grades      gradebook -> grades.csv and grades_by_test.csv
# ASSIGNMENT=01_the_layer limits release/autograde/feedback to one assignment.
ASSIGNMENT ?=
GRADING := $(WITH_VENV) "$(VENV_PYTHON)" -m mlkit.grading

.PHONY: release autograde feedback grades

release: venv
	@$(GRADING) release $(ASSIGNMENT)

autograde: venv
	@$(GRADING) autograde $(ASSIGNMENT)

feedback: venv
	@$(GRADING) feedback $(ASSIGNMENT)

grades: venv
	@$(GRADING) grades
