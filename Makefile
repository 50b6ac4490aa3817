# 码上提 — the two commands: `make run` and `make test`.
PORT ?= 8000
VENV := .venv/bin

.PHONY: run test setup bench lint

run:
	@scripts/setup.sh run
	@$(VENV)/feedback init
	@$(VENV)/feedback demo
	@$(VENV)/feedback posters
	@$(VENV)/feedback serve --port $(PORT)

test:
	@scripts/setup.sh test
	@$(VENV)/python -m pytest $(PYTEST_ARGS)

bench:
	@scripts/setup.sh test
	@$(VENV)/python bench/run.py

lint:
	@scripts/setup.sh test
	@$(VENV)/ruff check .
