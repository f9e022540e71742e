# The README's two commands: `make demo` and `make test`. Both set up everything they need
# (a virtual environment in .venv with the Python dependencies, the compiled core) first.

PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
# clippy on the binding and maturin build against the project's interpreter.
export PYO3_PYTHON := $(PY)

.PHONY: setup dev demo test test-rust test-python lint bench clean

$(VENV)/.ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "maturin>=1.7,<2"
	touch $@

setup: $(VENV)/.ready

# The compiled core, in the quick-to-build dev profile, plus the test dependencies.
dev: setup
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet --extras test,bench,spark

demo: dev
	$(PY) examples/demo.py out/demo

lint: dev
	cargo fmt --check
	cargo clippy --all-targets --features python -- -D warnings
	cargo clippy --all-targets -- -D warnings
	$(PY) -m mypy.stubtest neardup._core --allowlist tests/stubtest-allowlist.txt

test-rust:
	cargo test --quiet

test-python: dev
	NEARDUP_BACKEND=rust $(PY) -m pytest -q
	NEARDUP_BACKEND=python $(PY) -m pytest -q

test: lint test-rust test-python

bench: setup
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet --release --extras bench
	$(PY) benches/run.py

clean:
	rm -rf $(VENV) target python/neardup/_core*.so
