# 数乡 Shuxiang — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench install browsers clean test-postgres

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/shuxiang migrate --noinput
	$(BIN)/shuxiang demo --if-empty
	@echo "后台任务日志：var/worker.log"
	@# The task worker (escalations, warning fan-out, rollups) runs beside the server and stops with it.
	@mkdir -p var; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/shuxiang worker > var/worker.log 2>&1 & worker=$$!; \
	  $(BIN)/shuxiang serve --no-migrate

lint: $(STAMP)
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench

format: $(STAMP)
	$(BIN)/ruff format src bench
	$(BIN)/ruff check --fix src bench

test: $(STAMP) lint
	SHUXIANG_TESTING=true $(BIN)/shuxiang check --fail-level ERROR
	SHUXIANG_TESTING=true $(BIN)/shuxiang makemigrations --check --dry-run
	SHUXIANG_TESTING=true $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} SHUXIANG_TESTING=true $(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
