# The README's two commands: `make demo` and `make test`. Both set up everything they need
# (a virtual environment in .venv with the Python dependencies, the compiled core) first.

PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
# clippy on the binding and maturin build against the project's interpreter.
export PYO3_PYTHON := $(PY)

.PHONY: setup dev demo test test-rust test-python test-spark lint bench clean fuzz-short

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
	$(PY) -m ruff check .
	cargo fmt --check
	cargo clippy --all-targets --features python -- -D warnings
	cargo clippy --all-targets -- -D warnings
	$(PY) -m mypy.stubtest neardup._core --allowlist tests/stubtest-allowlist.txt

test-rust:
	cargo test --quiet

# The Spark tests (marker `spark`) run once, on the Rust backend, in test-spark.
test-python: dev
	NEARDUP_BACKEND=rust $(PY) -m pytest -q -m "not spark"
	NEARDUP_BACKEND=python $(PY) -m pytest -q -m "not spark"

# neardup.spark needs Java 17+: say so plainly instead of letting the tests skip.
test-spark: dev
	@java -version >/dev/null 2>&1 || { echo "make test-spark: no Java runtime found; neardup.spark needs Java 17+ (e.g. apt-get install openjdk-17-jre-headless, or set JAVA_HOME)" >&2; exit 1; }
	@major=$$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1); \
	  [ "$${major:-0}" -ge 17 ] || { echo "make test-spark: Java $$major found; neardup.spark needs Java 17+" >&2; exit 1; }
	NEARDUP_BACKEND=rust $(PY) -m pytest -q -m spark

# A short, deterministic (fixed seed and run count) atheris campaign per Python API target;
# the long campaigns and the cargo-fuzz targets are in docs/fuzzing.md. atheris is the
# `fuzz` extra of pyproject.toml (a prebuilt wheel).
FUZZ_TARGETS := text dedup simhash chrome align repeats model
fuzz-short: dev
	$(PY) -m pip install --quiet "atheris>=2.3"
	@log=$$(mktemp); for target in $(FUZZ_TARGETS); do \
	  if NEARDUP_BACKEND=rust $(PY) fuzz/python/fuzz_api.py $$target -seed=1 -runs=$(FUZZ_RUNS) >$$log 2>&1; \
	  then echo "fuzz $$target: $$(grep '^Done' $$log)"; \
	  else cat $$log; rm -f $$log; echo "fuzz-short: target $$target failed (input saved as crash-*)" >&2; exit 1; fi; \
	done; rm -f $$log
FUZZ_RUNS ?= 3000

test: lint test-rust test-python test-spark fuzz-short

bench: setup
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet --release --extras bench
	$(PY) benches/run.py

clean:
	rm -rf $(VENV) target python/neardup/_core*.so
