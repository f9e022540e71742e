# The README's two commands: `make demo` and `make test`. Both set up what they need (a virtual
# environment in .venv, the compiled core, and for `make test` the test dependencies) first.

PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
# clippy on the binding and maturin build against the project's interpreter.
export PYO3_PYTHON := $(PY)
# pytest workers (pytest-xdist): one per core of the 2-core machines this runs on.
JOBS ?= 2
comma := ,
# A tree without target/ (a fresh clone, as CI's) is compiled whole, where incremental
# compilation only adds work (the crate alone: 62 -> 45 s on 2 cores); once target/ exists,
# later builds of the edit loop stay incremental.
ifeq ($(wildcard target),)
export CARGO_INCREMENTAL ?= 0
endif

.PHONY: setup core dev demo java test test-rust test-python test-spark test-python-only test-wheel lint bench clean fuzz-short

$(VENV)/.ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "maturin>=1.7,<2"
	touch $@

setup: $(VENV)/.ready

# The compiled core, in the quick-to-build dev profile, with the runtime dependencies only:
# what the demo needs.
core: setup
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet

# The core plus what the tests need: the test extra, pyspark for the Spark tests and atheris
# for the short fuzz campaign (the bench extra is `make bench`'s).
# The package is byte-compiled once: where the environment sets PYTHONDONTWRITEBYTECODE, every
# interpreter the tests start (the CLI's subprocesses, Spark's workers) would compile it again.
# So are the test modules and pytest's plugins, with pytest's assertion rewriting (a collection
# that may write its bytecode): each pytest process (every xdist worker of both passes, the
# Spark tests') otherwise rewrites them again: a collection took 8.9-10.6 -> 3.2-4.9 CPU s.
# pip installs on one core: the core is compiled beside it (in place, --skip-install), and
# maturin develop then finds it built and installs the package.
DEV_EXTRAS := test,spark,fuzz
dev: setup
	$(PY) tools/requirements.py $(subst $(comma), ,$(DEV_EXTRAS)) > $(VENV)/requirements-dev.txt
	@$(PY) -m pip install --quiet -r $(VENV)/requirements-dev.txt & pip=$$!; \
	  VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet --skip-install; built=$$?; \
	  wait $$pip && [ $$built -eq 0 ]
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet --extras $(DEV_EXTRAS)
	$(PY) -m compileall -q python/neardup
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest --collect-only -q -p no:cacheprovider >/dev/null

demo: core
	$(PY) examples/demo.py out/demo

define lint_commands
$(PY) -m ruff check . && cargo fmt --check \
  && cargo clippy --all-targets --features python -- -D warnings \
  && cargo clippy --all-targets -- -D warnings \
  && $(PY) -m mypy.stubtest neardup._core --allowlist tests/stubtest-allowlist.txt
endef
lint: dev
	$(lint_commands)

test-rust:
	cargo test --quiet

# Java 17+ for neardup.spark: said plainly instead of letting the Spark tests skip.
java:
	@java -version >/dev/null 2>&1 || { echo "make: no Java runtime found; neardup.spark (its tests) needs Java 17+ (e.g. apt-get install openjdk-17-jre-headless, or set JAVA_HOME)" >&2; exit 1; }
	@major=$$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1); \
	  [ "$${major:-0}" -ge 17 ] || { echo "make: Java $$major found; neardup.spark needs Java 17+" >&2; exit 1; }

# Every test runs under the Rust backend and, under the Python reference, those whose outcome
# depends on the backend (not marked backend_independent: see pyproject.toml's markers). The
# Spark tests (marker `spark`: one Spark session, much of it waiting on the JVM) start first
# and run beside the rest, in a process of their own (without pytest's cache, which the passes
# write); their output follows the others'. Under `make test` the rest is the lint and `cargo
# test` (BEFORE_PASSES: the compilers leave a core idle), the Rust pass, the Python pass, the
# fuzz campaign and the wheel check (AFTER_PASSES). (pytest-xdist's --dist loadgroup, which
# would keep them on one worker, ignores its groups under pytest 9.2: each worker started a
# Spark session.)
test-python: dev java
	@mkdir -p out; NEARDUP_BACKEND=rust $(PY) -m pytest -q -p no:cacheprovider -m spark >out/test-spark.log 2>&1 & spark=$$!; \
	  trap 'kill $$spark 2>/dev/null' INT TERM; \
	  echo "NEARDUP_BACKEND=rust pytest -m spark: started, beside what follows (out/test-spark.log)"; \
	  $(if $(BEFORE_PASSES),$(BEFORE_PASSES) || { kill $$spark 2>/dev/null; exit 1; };) \
	  echo "NEARDUP_BACKEND=rust pytest -n $(JOBS) -m 'not spark'"; \
	  NEARDUP_BACKEND=rust $(PY) -m pytest -q -n $(JOBS) -m "not spark"; rust=$$?; \
	  echo "NEARDUP_BACKEND=python pytest -n $(JOBS) -m 'not spark and not backend_independent'"; \
	  NEARDUP_BACKEND=python $(PY) -m pytest -q -n $(JOBS) -m "not spark and not backend_independent"; python=$$?; \
	  $(if $(AFTER_PASSES),$(AFTER_PASSES); after=$$?,after=0); \
	  wait $$spark; spark_status=$$?; echo "--- the Spark tests (NEARDUP_BACKEND=rust pytest -m spark):"; cat out/test-spark.log; \
	  [ $$rust -eq 0 ] && [ $$python -eq 0 ] && [ $$after -eq 0 ] && [ $$spark_status -eq 0 ]

# The Spark tests alone.
test-spark: dev java
	NEARDUP_BACKEND=rust $(PY) -m pytest -q -m spark

# The whole suite on the pure-Python reference, on a checkout where nothing is compiled and no
# Rust toolchain is used: the runtime and test dependencies of pyproject.toml in their own
# environment, neardup imported from python/. Tests that need the compiled core skip, saying
# so (the Spark tests need the spark extra and Java: test-spark). Needs Python >= 3.11: the
# reference refuses an older Unicode database than the core's (docs/text.md).
PYONLY := .venv-python
test-python-only:
	$(PYTHON) -m venv $(PYONLY)
	$(PYONLY)/bin/python tools/requirements.py test > $(PYONLY)/requirements.txt
	$(PYONLY)/bin/python -m pip install --quiet -r $(PYONLY)/requirements.txt
	NEARDUP_BACKEND=python PYTHONPATH=$(abspath python) $(PYONLY)/bin/python -m pytest -q -n $(JOBS) -m "not spark"

# A short, deterministic (fixed seed and run count) atheris campaign per Python API target,
# $(JOBS) targets at a time (each is ~5 s of starting and instrumenting, the runs under a
# second); the long campaigns and the cargo-fuzz targets are in docs/fuzzing.md. atheris is the
# `fuzz` extra of pyproject.toml (a prebuilt wheel), installed by `dev`.
FUZZ_TARGETS := text dedup simhash chrome align repeats model
FUZZ_RUNS ?= 3000
define fuzz_short
dir=$$(mktemp -d); \
  printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(JOBS) -I{} sh -c 'NEARDUP_BACKEND=rust $(PY) fuzz/python/fuzz_api.py {} -seed=1 -runs=$(FUZZ_RUNS) >'"$$dir"'/{}.log 2>&1 || touch '"$$dir"'/{}.failed'; \
  failed=0; for target in $(FUZZ_TARGETS); do \
    if [ -e $$dir/$$target.failed ]; then cat $$dir/$$target.log; echo "fuzz-short: target $$target failed (input saved as crash-*)" >&2; failed=1; \
    else echo "fuzz $$target: $$(grep '^Done' $$dir/$$target.log)"; fi; \
  done; rm -rf $$dir; [ $$failed -eq 0 ]
endef
fuzz-short: dev
	@$(fuzz_short)

# The abi3 wheel (dev profile: packaging, not speed) installs into a fresh environment whose
# PATH has no cargo or rustc and runs `neardup clean` with the compiled core.
test-wheel: dev
	$(PY) tools/check_wheel.py

# The lint and `cargo test` run before the two passes, the short fuzz campaign and the wheel
# check after them, all beside the Spark tests (test-python's BEFORE_PASSES and AFTER_PASSES).
# The wheel check, mostly pip on one core, runs beside the fuzz campaign.
test: test-python
test: BEFORE_PASSES = echo "ruff, cargo fmt, clippy, stubtest, cargo test"; ( $(lint_commands) ) && cargo test --quiet
test: AFTER_PASSES = ( $(fuzz_short) ) & fuzz=$$!; $(PY) tools/check_wheel.py; wheel=$$?; wait $$fuzz && [ $$wheel -eq 0 ]

bench: setup
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet --release --extras bench
	$(PY) benches/run.py

clean:
	rm -rf $(VENV) $(PYONLY) target python/neardup/_core*.so
