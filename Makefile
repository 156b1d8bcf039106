# Every target creates the environment it needs from the lock file; only Python >= 3.11 and make
# are required on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock

.PHONY: demo test lint typecheck unit fmt bench lock clean openapi reference

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "assay needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# A known pip first: the one a Python ships may mishandle extras (pandas[parquet]) in
# --require-hashes mode.
$(STAMP): $(BIN)/python requirements.lock requirements-pip.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-pip.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/assay demo --dir build/demo

# The checks run side by side: the tests leave a core idle a third of the time (they wait on
# servers and subprocesses), which mypy fills. Output is kept whole line by line.
test: $(STAMP)
	@$(MAKE) --no-print-directory -j3 -Oline lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# loadgroup: the tests of one xdist group (the Spark tests) share a worker, and so one JVM.
unit: $(STAMP)
	$(BIN)/pytest -n auto --dist loadgroup --durations=20

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

# Throughput benchmarks; PostgreSQL too when ASSAY_TEST_POSTGRES_URL is set. Tables go to
# benchmarks/results/.
bench: $(STAMP)
	$(BIN)/python benchmarks/ledger_append.py $(if $(ASSAY_TEST_POSTGRES_URL),--postgres $(ASSAY_TEST_POSTGRES_URL))
	$(BIN)/python benchmarks/bench_probes.py --rows 1000000
	$(BIN)/python benchmarks/bench_api.py --values 100000
	$(if $(ASSAY_TEST_POSTGRES_URL),$(BIN)/python benchmarks/bench_api_load.py --postgres $(ASSAY_TEST_POSTGRES_URL))
	$(BIN)/python benchmarks/bench_otlp.py --spans 50000 --events 1000000
	$(BIN)/python benchmarks/bench_scan.py --files 20000
	$(BIN)/python benchmarks/bench_transparency.py $(if $(ASSAY_TEST_POSTGRES_URL),--postgres $(ASSAY_TEST_POSTGRES_URL))
	$(if $(ASSAY_TEST_POSTGRES_URL),$(BIN)/python benchmarks/bench_metrics.py --postgres $(ASSAY_TEST_POSTGRES_URL))

# Write the server's OpenAPI document to docs/openapi.json (a test checks that it is current).
openapi: $(STAMP)
	$(BIN)/python -m assay.server.openapi_document docs/openapi.json

# Write the CLI reference from the commands' --help (a test checks that it is current).
reference: $(STAMP)
	env -i PATH="$$PATH" HOME="$$HOME" LANG=C.UTF-8 $(BIN)/python -m assay.cli.reference docs/reference/cli.md

# Regenerate the lock files after a dependency change in pyproject.toml (needs network access).
LOCK_OPTIONS := --universal --python-version 3.11 --generate-hashes
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	echo "pip==25.3" | $(BIN)/uv pip compile - $(LOCK_OPTIONS) -o requirements-pip.lock
	$(BIN)/uv pip compile pyproject.toml --extra mlflow --extra dev $(LOCK_OPTIONS) -o requirements.lock
	# The image's dependencies (deploy/Dockerfile): the core and the MLflow extra, same versions.
	$(BIN)/uv pip compile pyproject.toml --extra mlflow $(LOCK_OPTIONS) -c requirements.lock -o requirements-deploy.lock

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache
